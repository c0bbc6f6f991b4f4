package compare_test

import (
	"strings"
	"testing"

	"github.com/reprohq/repro/compare"
	"github.com/reprohq/repro/runlog"
)

func TestOutputs(t *testing.T) {
	orig := []runlog.Output{{Path: "a", Digest: "1"}, {Path: "b", Digest: "2"}, {Path: "c", Digest: "3"}}
	next := []runlog.Output{{Path: "a", Digest: "1"}, {Path: "b", Digest: "9"}, {Path: "d", Digest: "4"}}
	var got []string
	for _, d := range compare.Outputs(orig, next) {
		got = append(got, d.Path+":"+d.Change+":"+d.Original+">"+d.New)
	}
	if want := "b:changed:2>9 c:vanished:3> d:appeared:>4"; strings.Join(got, " ") != want {
		t.Errorf("Outputs = %v, want %s", got, want)
	}
	if d := compare.Outputs(orig, orig); len(d) != 0 {
		t.Errorf("identical outputs differ: %v", d)
	}
}

func TestMetrics(t *testing.T) {
	got := compare.Metrics(map[string]float64{"loss": 0.5, "acc": 0.9, "old": 1}, map[string]float64{"loss": 0.25, "acc": 0.9, "new": 2})
	if len(got) != 4 {
		t.Fatalf("Metrics = %+v", got)
	}
	byName := map[string]compare.MetricDelta{}
	for _, m := range got {
		byName[m.Name] = m
	}
	if !byName["acc"].Same() || byName["loss"].Same() || *byName["loss"].Delta != -0.25 {
		t.Errorf("acc %+v loss %+v", byName["acc"], byName["loss"])
	}
	if byName["old"].New != nil || byName["new"].Original != nil || byName["new"].Delta != nil {
		t.Errorf("one-sided metrics: old %+v new %+v", byName["old"], byName["new"])
	}
}

func TestParseListing_Escapes(t *testing.T) {
	// Lines as sha256sum prints them for odd names.
	listing := "aa  plain\n\\bb  new\\nline\n\\cc  back\\\\slash\n\\dd  car\\rriage\nee  with  two spaces\n"
	got := compare.ParseListing([]byte(listing))
	want := []string{"plain", "new\nline", `back\slash`, "car\rriage", "with  two spaces"}
	if len(got) != len(want) {
		t.Fatalf("ParseListing = %+v", got)
	}
	for i, w := range want {
		if got[i].Path != w || !strings.HasPrefix(got[i].Digest, "sha256:") {
			t.Errorf("entry %d = %+v, want path %q", i, got[i], w)
		}
	}
}

// Verify: files counted, a metrics file that differs only in ignored
// metrics is allowed, anything else is not.
func TestVerify(t *testing.T) {
	out := func(p, d string) runlog.Output { return runlog.Output{Path: p, Digest: d} }
	orig := &runlog.Run{Outputs: []runlog.Output{out("model.bin", "m1"), out("metrics.json", "j1")}, Metrics: map[string]float64{"acc": 0.9, "train_seconds": 1.2}}
	next := &runlog.Run{Outputs: []runlog.Output{out("model.bin", "m1"), out("metrics.json", "j2")}, Metrics: map[string]float64{"acc": 0.9, "train_seconds": 1.5}}
	v := compare.Verify(orig, next, nil)
	if v.Same() || v.Identical != 1 || v.Files != 2 || len(v.Outputs) != 1 {
		t.Fatalf("no ignore: %+v", v)
	}
	v = compare.Verify(orig, next, []string{"train_*"})
	if !v.Same() || !v.MetricsFileIgnored || v.Identical != 1 {
		t.Fatalf("train_* ignored: %+v", v)
	}
	next.Metrics["acc"] = 0.8
	if v = compare.Verify(orig, next, []string{"train_*"}); v.Same() {
		t.Fatalf("a real metric change passed: %+v", v)
	}
	next.Metrics["acc"] = 0.9
	next.Outputs[0].Digest = "m2"
	if v = compare.Verify(orig, next, []string{"train_*"}); v.Same() || len(v.Outputs) != 1 || v.Outputs[0].Path != "model.bin" {
		t.Fatalf("a changed model passed: %+v", v)
	}
}
