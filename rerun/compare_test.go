package rerun_test

import (
	"strings"
	"testing"

	"github.com/reprohq/repro/rerun"
	"github.com/reprohq/repro/runlog"
)

func TestCompareOutputs(t *testing.T) {
	orig := []runlog.Output{{Path: "a", Digest: "1"}, {Path: "b", Digest: "2"}, {Path: "c", Digest: "3"}}
	next := []runlog.Output{{Path: "a", Digest: "1"}, {Path: "b", Digest: "9"}, {Path: "d", Digest: "4"}}
	var got []string
	for _, d := range rerun.CompareOutputs(orig, next) {
		got = append(got, d.Path+":"+d.Change+":"+d.Original+">"+d.New)
	}
	if want := "b:changed:2>9 c:vanished:3> d:appeared:>4"; strings.Join(got, " ") != want {
		t.Errorf("CompareOutputs = %v, want %s", got, want)
	}
	if d := rerun.CompareOutputs(orig, orig); len(d) != 0 {
		t.Errorf("identical outputs differ: %v", d)
	}
}

func TestCompareMetrics(t *testing.T) {
	got := rerun.CompareMetrics(map[string]float64{"loss": 0.5, "acc": 0.9, "old": 1}, map[string]float64{"loss": 0.25, "acc": 0.9, "new": 2})
	if len(got) != 4 {
		t.Fatalf("CompareMetrics = %+v", got)
	}
	byName := map[string]rerun.MetricDelta{}
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
	got := rerun.ParseListing([]byte(listing))
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
