package compare

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"sort"

	"github.com/reprohq/repro/launch"
	"github.com/reprohq/repro/rerun"
	"github.com/reprohq/repro/runlog"
)

// OutputDiff is one output file that is not the same in two sets.
type OutputDiff struct {
	Path     string `json:"path"`
	Change   string `json:"change"` // changed, vanished (only in the first), appeared (only in the second)
	Original string `json:"original,omitempty"`
	New      string `json:"new,omitempty"`
}

// Outputs lists the files whose digests differ between orig and
// next, by path.
func Outputs(orig, next []runlog.Output) []OutputDiff {
	now := map[string]string{}
	for _, o := range next {
		now[o.Path] = o.Digest
	}
	diffs := []OutputDiff{}
	for _, o := range orig {
		d, ok := now[o.Path]
		switch {
		case !ok:
			diffs = append(diffs, OutputDiff{Path: o.Path, Change: "vanished", Original: o.Digest})
		case d != o.Digest:
			diffs = append(diffs, OutputDiff{Path: o.Path, Change: "changed", Original: o.Digest, New: d})
		}
		delete(now, o.Path)
	}
	for _, o := range next {
		if _, ok := now[o.Path]; ok {
			diffs = append(diffs, OutputDiff{Path: o.Path, Change: "appeared", New: o.Digest})
		}
	}
	sort.Slice(diffs, func(i, j int) bool { return diffs[i].Path < diffs[j].Path })
	return diffs
}

// MetricDelta is one metric in either run; Original or New is nil where
// the run did not report it.
type MetricDelta struct {
	Name     string   `json:"name"`
	Original *float64 `json:"original"`
	New      *float64 `json:"new"`
	Delta    *float64 `json:"delta"`
	Ignored  bool     `json:"ignored,omitempty"` // its name matches an ignore pattern
}

// Same says whether both runs reported the same value.
func (m MetricDelta) Same() bool {
	return m.Original != nil && m.New != nil && (*m.Original == *m.New || math.IsNaN(*m.Original) && math.IsNaN(*m.New))
}

// Metrics pairs the metrics of two runs by name; a metric whose
// name matches one of ignore is marked Ignored.
func Metrics(orig, next map[string]float64, ignore ...string) []MetricDelta {
	names := map[string]bool{}
	for k := range orig {
		names[k] = true
	}
	for k := range next {
		names[k] = true
	}
	out := []MetricDelta{}
	for k := range names {
		m := MetricDelta{Name: k, Ignored: rerun.Ignored(k, ignore)}
		if v, ok := orig[k]; ok {
			m.Original = &v
		}
		if v, ok := next[k]; ok {
			m.New = &v
		}
		if m.Original != nil && m.New != nil {
			d := *m.New - *m.Original
			m.Delta = &d
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Verification is how a re-run's outputs and metrics compare with the
// original's.
type Verification struct {
	Identical int           `json:"identical"` // output files with the same digest
	Files     int           `json:"files"`     // output files of the original
	Outputs   []OutputDiff  `json:"outputs"`   // files that differ, after the allowance below
	Metrics   []MetricDelta `json:"metrics"`   // every metric, Ignored marked
	// MetricsFileIgnored is set when the metrics file differed only in
	// ignored metrics, and so is not counted as a difference.
	MetricsFileIgnored bool `json:"metrics_file_ignored,omitempty"`
}

// MetricsFile is where a run's metrics come from, in its outputs.
const MetricsFile = "metrics.json"

// Same says whether the re-run reproduced the original.
func (v *Verification) Same() bool {
	if len(v.Outputs) > 0 {
		return false
	}
	for _, m := range v.Metrics {
		if !m.Same() && !m.Ignored {
			return false
		}
	}
	return true
}

// Verify compares a re-run with its original. The metrics file counts as
// the same when every metric it holds that is not ignored is the same.
func Verify(orig, next *runlog.Run, ignore []string) *Verification {
	v := &Verification{Files: len(orig.Outputs), Metrics: Metrics(orig.Metrics, next.Metrics, ignore...)}
	diffs := Outputs(orig.Outputs, next.Outputs)
	differs := map[string]bool{}
	for _, d := range diffs {
		differs[d.Path] = true
	}
	for _, o := range orig.Outputs {
		if !differs[o.Path] {
			v.Identical++
		}
	}
	ignoredOnly := len(ignore) > 0
	for _, m := range v.Metrics {
		if !m.Same() && !m.Ignored {
			ignoredOnly = false
		}
	}
	v.Outputs = []OutputDiff{}
	for _, d := range diffs {
		if d.Path == MetricsFile && d.Change == "changed" && ignoredOnly {
			v.MetricsFileIgnored = true
			continue
		}
		v.Outputs = append(v.Outputs, d)
	}
	return v
}

// VerifyOutputs hashes a finished run's --out directory as it is now and
// lists what differs from the outputs recorded when it finished.
func VerifyOutputs(ctx context.Context, r *runlog.Run) ([]OutputDiff, error) {
	if r.OutDir == "" {
		return nil, fmt.Errorf("run %s had no outputs directory; there are no outputs to verify", r.ShortID())
	}
	if r.Status == runlog.StatusRunning {
		return nil, fmt.Errorf("run %s is still running", r.ShortID())
	}
	_, now, err := launch.HashOutputs(ctx, r.OutDir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("run %s: %w", r.ShortID(), err)
	}
	return Outputs(r.Outputs, now), nil
}
