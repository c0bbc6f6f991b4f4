package rerun

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"
)

// ConfigFile is a repository's settings for repro, committed at its root.
// A re-run reads it from the commit it checks out, so the settings are
// those of the code that ran.
const ConfigFile = ".repro.yaml"

// Config is what ConfigFile may hold:
//
//	verify:
//	  ignore_metrics: [train_seconds, "*_time"]
type Config struct {
	Verify VerifyConfig `json:"verify"`
}

// VerifyConfig shapes rerun --verify.
type VerifyConfig struct {
	// IgnoreMetrics are path.Match patterns of metric names whose values
	// may differ between a run and its re-run (timings, throughput).
	IgnoreMetrics []string `json:"ignore_metrics"`
}

// maxConfig bounds what is read of a ConfigFile.
const maxConfig = 64 << 10

// LoadConfig reads dir's ConfigFile; a missing one is the zero Config.
// The file is input: unknown keys, a bad pattern or a file that is not
// a regular file are refused, naming it.
func LoadConfig(dir string) (*Config, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	fi, err := root.Lstat(ConfigFile)
	if errors.Is(err, fs.ErrNotExist) {
		return &Config{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ConfigFile, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", ConfigFile)
	}
	f, err := root.Open(ConfigFile)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ConfigFile, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxConfig+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ConfigFile, err)
	}
	if len(b) > maxConfig {
		return nil, fmt.Errorf("%s is larger than %d KiB", ConfigFile, maxConfig>>10)
	}
	return ParseConfig(b)
}

// ParseConfig parses the contents of a ConfigFile.
func ParseConfig(b []byte) (*Config, error) {
	var c Config
	if err := yaml.UnmarshalStrict(b, &c); err != nil {
		return nil, fmt.Errorf("%s: %w", ConfigFile, err)
	}
	if err := CheckPatterns(c.Verify.IgnoreMetrics); err != nil {
		return nil, fmt.Errorf("%s: verify.ignore_metrics: %w", ConfigFile, err)
	}
	return &c, nil
}

// CheckPatterns refuses a metric pattern path.Match cannot use.
func CheckPatterns(patterns []string) error {
	for _, p := range patterns {
		if p == "" {
			return errors.New("an empty pattern")
		}
		if _, err := path.Match(p, ""); err != nil {
			return fmt.Errorf("pattern %q: %w", p, err)
		}
	}
	return nil
}

// Ignored says whether the metric name matches one of patterns.
func Ignored(name string, patterns []string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	return false
}

// FormatDelta prints b - a rounded to the decimals the two values carry
// (0.958 - 0.93 is 0.028, not 0.027999999999999997).
func FormatDelta(a, b float64) string {
	d := b - a
	if math.IsNaN(d) || math.IsInf(d, 0) {
		return strconv.FormatFloat(d, 'g', -1, 64)
	}
	places := max(decimals(a), decimals(b))
	if places > 17 || math.Abs(d) >= 1e21 {
		return strconv.FormatFloat(d, 'g', -1, 64)
	}
	s := strconv.FormatFloat(d, 'f', places, 64)
	if strings.Trim(s, "-0.") == "" {
		return "0"
	}
	if d > 0 {
		s = "+" + s
	}
	return s
}

// decimals is how many digits after the point v's shortest form has.
func decimals(v float64) int {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if _, frac, ok := strings.Cut(s, "."); ok {
		return len(frac)
	}
	return 0
}
