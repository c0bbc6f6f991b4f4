package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestExampleSklearn runs make example-sklearn (examples/sklearn/run.sh):
// a scikit-learn trainer on a Debian base made with debootstrap, three
// models trained and re-run byte-identical. It takes minutes (the base),
// so it runs only with REPRO_EXAMPLES=1.
func TestExampleSklearn(t *testing.T) {
	if os.Getenv("REPRO_EXAMPLES") != "1" {
		t.Skip("set REPRO_EXAMPLES=1 to run the examples (minutes)")
	}
	cmd := exec.Command("make", "example-sklearn")
	cmd.Dir = "../.."
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make example-sklearn: %v\n%s", err, tail(string(out), 60))
	}
	for _, want := range []string{
		"outputs of run", "are identical to run",
		"example-sklearn: every model.pkl and predictions.csv re-ran byte-identical",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, tail(string(out), 60))
		}
	}
	if n := strings.Count(string(out), "are identical to run"); n != 3 {
		t.Errorf("%d models re-ran identical, want 3:\n%s", n, tail(string(out), 60))
	}
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
