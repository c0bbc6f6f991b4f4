package compare

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/reprohq/repro/provenance/gitstate"
	"github.com/reprohq/repro/rerun"
	"github.com/reprohq/repro/runlog"
)

// FieldDiff is one recorded fact that differs between two runs.
type FieldDiff struct {
	Field string `json:"field"`
	A     string `json:"a"`
	B     string `json:"b"`
}

// DatasetDiff is one dataset whose version differs (or that only one run
// used), with the files that differ when both listings are stored.
type DatasetDiff struct {
	Name    string       `json:"name"`
	A       string       `json:"a"` // digest, "" when run A did not use it
	B       string       `json:"b"`
	Files   []OutputDiff `json:"files"`
	Unknown bool         `json:"files_unknown,omitempty"` // a listing is not stored
}

// RunDiff is what differs between two recorded runs: provenance first,
// then outputs and metrics. Equal facts are left out.
type RunDiff struct {
	A        string        `json:"a"`
	B        string        `json:"b"`
	Fields   []FieldDiff   `json:"fields"`
	Datasets []DatasetDiff `json:"datasets"`
	Outputs  []OutputDiff  `json:"outputs"`
	Metrics  []MetricDelta `json:"metrics"`
	// Code is what git diff --stat shows between the two commits, when a
	// repository that has both was found; CodeUnknown when none was.
	Code        []gitstate.FileChange `json:"code_files,omitempty"`
	CodeUnknown bool                  `json:"code_files_unknown,omitempty"`
}

// Same says whether nothing at all differs.
func (d *RunDiff) Same() bool {
	return len(d.Fields) == 0 && len(d.Datasets) == 0 && len(d.Outputs) == 0 && len(d.Metrics) == 0
}

// Diff compares two runs. Dataset listings come from the ledger, so the
// files that changed are named even when the data on disk has moved on.
// When the commits differ, the files that differ between them are read
// from the first of repos (git work trees; read, never run) that has
// both.
func Runs(ctx context.Context, l *runlog.Ledger, a, b *runlog.Run, repos ...string) (*RunDiff, error) {
	d := &RunDiff{A: a.ID, B: b.ID, Fields: []FieldDiff{}, Datasets: []DatasetDiff{}}
	field := func(name, x, y string) {
		if x != y {
			d.Fields = append(d.Fields, FieldDiff{Field: name, A: x, B: y})
		}
	}
	field("image_digest", a.ImageRepo+"@"+a.ImageDigest, b.ImageRepo+"@"+b.ImageDigest)
	field("commit", a.Commit, b.Commit)
	if a.Commit != "" && b.Commit != "" && a.Commit != b.Commit && runlog.ValidObjectID(a.Commit) && runlog.ValidObjectID(b.Commit) {
		changes, found, err := gitstate.CommitDiff(repos, a.Commit, b.Commit)
		if err != nil {
			return nil, err
		}
		d.Code, d.CodeUnknown = changes, !found
	}
	field("dirty", fmt.Sprint(a.Dirty), fmt.Sprint(b.Dirty))
	field("code_tree", a.CodeTree, b.CodeTree)
	field("changed_files", strings.Join(a.ChangedFiles, " "), strings.Join(b.ChangedFiles, " "))
	field("argv", shellWords(a.Argv), shellWords(b.Argv))
	field("workdir", a.Workdir, b.Workdir)
	field("env", envWords(a.Env), envWords(b.Env))
	field("memory", a.Memory, b.Memory)
	field("gpu_request", a.GPUs, b.GPUs)
	field("host", a.Host.User+"@"+a.Host.Hostname+" "+a.Host.OS+"/"+a.Host.Arch, b.Host.User+"@"+b.Host.Hostname+" "+b.Host.OS+"/"+b.Host.Arch)
	field("gpus", gpuWords(a.Host.GPUs), gpuWords(b.Host.GPUs))
	field("engine", a.Engine.Name+" "+a.Engine.Version, b.Engine.Name+" "+b.Engine.Version)
	field("status", a.Status, b.Status)
	field("exit_code", exitWord(a.ExitCode), exitWord(b.ExitCode))

	byName := map[string][2]*runlog.Dataset{}
	for i := range a.Data {
		e := byName[a.Data[i].Name]
		e[0] = &a.Data[i]
		byName[a.Data[i].Name] = e
	}
	for i := range b.Data {
		e := byName[b.Data[i].Name]
		e[1] = &b.Data[i]
		byName[b.Data[i].Name] = e
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		pair := byName[n]
		dd := DatasetDiff{Name: n, Files: []OutputDiff{}}
		if pair[0] != nil {
			dd.A = pair[0].Digest
		}
		if pair[1] != nil {
			dd.B = pair[1].Digest
		}
		if dd.A == dd.B {
			continue
		}
		if pair[0] != nil && pair[1] != nil && pair[0].Kind == "dir" && pair[1].Kind == "dir" {
			la, errA := l.Blob(ctx, dd.A)
			lb, errB := l.Blob(ctx, dd.B)
			if errA == nil && errB == nil {
				dd.Files = Outputs(parseListing(la), parseListing(lb))
			} else {
				dd.Unknown = true
			}
		}
		d.Datasets = append(d.Datasets, dd)
	}
	d.Outputs = Outputs(a.Outputs, b.Outputs)
	for _, m := range Metrics(a.Metrics, b.Metrics) {
		if !m.Same() {
			d.Metrics = append(d.Metrics, m)
		}
	}
	if d.Metrics == nil {
		d.Metrics = []MetricDelta{}
	}
	return d, nil
}

// parseListing reads a sha256sum listing back into files, undoing
// sha256sum's escapes.
func parseListing(b []byte) []runlog.Output {
	var out []runlog.Output
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	unescape := strings.NewReplacer(`\\`, `\`, `\n`, "\n", `\r`, "\r")
	for sc.Scan() {
		line := sc.Text()
		escaped := strings.HasPrefix(line, `\`)
		line = strings.TrimPrefix(line, `\`)
		sum, name, ok := strings.Cut(line, "  ")
		if !ok {
			continue
		}
		if escaped {
			name = unescape.Replace(name)
		}
		out = append(out, runlog.Output{Path: name, Digest: "sha256:" + sum})
	}
	return out
}

func shellWords(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = rerun.Quote(a)
	}
	return strings.Join(q, " ")
}

func envWords(env []runlog.EnvVar) string {
	var w []string
	for _, e := range env {
		if e.Secret {
			w = append(w, e.Name+"=(secret)")
		} else {
			w = append(w, e.Name+"="+e.Value)
		}
	}
	sort.Strings(w)
	return strings.Join(w, " ")
}

func gpuWords(gpus []runlog.GPU) string {
	var w []string
	for _, g := range gpus {
		w = append(w, g.Model+" ("+g.Driver+")")
	}
	return strings.Join(w, ", ")
}

func exitWord(code *int) string {
	if code == nil {
		return "-"
	}
	return fmt.Sprint(*code)
}
