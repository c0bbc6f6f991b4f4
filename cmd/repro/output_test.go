package main

import (
	"strings"
	"testing"
)

// Table headers are printed as written: no upper-casing, no spaces put
// around dashes or between letters and digits.
func TestRenderTable_HeadersAsWritten(t *testing.T) {
	var b strings.Builder
	header := []string{"WHAT", "RUN 4964ef244f2c", "RE-RUN", "metric: accuracy"}
	if err := renderTable(&b, header, [][]string{{"a", "b", "c", "d"}}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, h := range header {
		if !strings.Contains(out, h) {
			t.Errorf("header %q not printed as written:\n%s", h, out)
		}
	}
	for _, bad := range []string{"RE - RUN", "4964 EF", "METRIC"} {
		if strings.Contains(out, bad) {
			t.Errorf("header mangled (%q):\n%s", bad, out)
		}
	}
}
