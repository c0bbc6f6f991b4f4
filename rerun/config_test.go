package rerun_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reprohq/repro/rerun"
)

func TestFormatDelta(t *testing.T) {
	tests := []struct {
		a, b float64
		want string
	}{
		{0.93, 0.958, "+0.028"},
		{0.958, 0.93, "-0.028"},
		{1.2, 1.5, "+0.3"},
		{10, 12, "+2"},
		{0.1, 0.1, "0"},
		{1e-7, 3e-7, "+0.0000002"},
		{1, 1.5e22, "1.5e+22"},
	}
	for _, tt := range tests {
		if got := rerun.FormatDelta(tt.a, tt.b); got != tt.want {
			t.Errorf("FormatDelta(%v, %v) = %s, want %s", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestParseConfig(t *testing.T) {
	c, err := rerun.ParseConfig([]byte("verify:\n  ignore_metrics: [train_seconds, \"*_time\"]\n"))
	if err != nil || strings.Join(c.Verify.IgnoreMetrics, ",") != "train_seconds,*_time" {
		t.Fatalf("ParseConfig: %+v, %v", c, err)
	}
	for in, want := range map[string]string{
		"verify:\n  ignore_metric: [x]\n":    `unknown field "ignore_metric"`,
		"verify:\n  ignore_metrics: ['[']\n": `pattern "["`,
		"verify:\n  ignore_metrics: ['']\n":  "an empty pattern",
		"verify: [1, 2]\n":                   rerun.ConfigFile,
	} {
		if _, err := rerun.ParseConfig([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseConfig(%q) = %v, want an error containing %q", in, err, want)
		}
	}
	dir := t.TempDir()
	if c, err := rerun.LoadConfig(dir); err != nil || len(c.Verify.IgnoreMetrics) != 0 {
		t.Fatalf("no %s: %+v, %v", rerun.ConfigFile, c, err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, rerun.ConfigFile)); err != nil {
		t.Fatal(err)
	}
	if _, err := rerun.LoadConfig(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("a symlinked %s: %v", rerun.ConfigFile, err)
	}
}

// FuzzParseConfig: whatever a committed .repro.yaml holds, parsing it
// returns a config whose patterns all compile, or an error naming the
// file; it never panics.
func FuzzParseConfig(f *testing.F) {
	f.Add([]byte("verify:\n  ignore_metrics: [a, 'b*']\n"))
	f.Add([]byte("verify: {ignore_metrics: ['[']}"))
	f.Add([]byte("&a [*a, *a]"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := rerun.ParseConfig(b)
		if err != nil {
			if !strings.Contains(err.Error(), rerun.ConfigFile) {
				t.Fatalf("error without the file's name: %v", err)
			}
			return
		}
		if err := rerun.CheckPatterns(c.Verify.IgnoreMetrics); err != nil {
			t.Fatalf("accepted a bad pattern: %v", err)
		}
	})
}
