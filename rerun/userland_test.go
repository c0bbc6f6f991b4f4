package rerun_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reprohq/repro/provenance/dataset"
	"github.com/reprohq/repro/runlog"
)

// Names a dataset may hold that every userland lists alike: spaces,
// unicode, a leading dash, dot files, nested directories, and names whose
// byte order differs from a walk's ("a b.txt" < "a.b/c" < "a/b").
var plainNames = []string{"a b.txt", "é 日本.csv", "-leading.txt", "nested/deep/x.bin", "nested/y", "a.b/c", "a/b", ".hidden", "a-b", "z"}

// Names that GNU sha256sum escapes in its listing.
var oddNames = []string{"back\\slash", "new\nline", "cr\rname", "dir\\x/f", "plain"}

// writeDataset writes a dataset named name (a directory of names, or a file
// when names is nil) and returns its record, hashed as repro run and
// repro digest hash it.
func writeDataset(t testing.TB, name string, names []string) runlog.Dataset {
	t.Helper()
	root := filepath.Join(t.TempDir(), name)
	if names == nil {
		if err := os.WriteFile(root, []byte("label\n1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i, n := range names {
		p := filepath.Join(root, n)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(fmt.Sprintf("%d %q\n", i, n)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	v, err := dataset.HashPath(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	return runlog.Dataset{Name: name, Path: root, Kind: v.Kind, Digest: v.Digest, Files: v.Files, Bytes: v.Bytes}
}

// gnuTools are what the script and the fake engine call, as this
// machine's GNU userland has them.
var gnuTools = []string{"mktemp", "cut", "tr", "find", "sort", "xargs", "sed", "wc", "touch", "cp", "grep",
	"mkdir", "rm", "cat", "dirname", "date", "ls", "od", "sha256sum"}

// userland returns a PATH directory holding links to the named tools as
// this machine has them.
func userland(t testing.TB, tools ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, tool := range tools {
		p, err := exec.LookPath(tool)
		if err != nil {
			t.Fatalf("%s: %v", tool, err)
		}
		if err := os.Symlink(p, filepath.Join(dir, tool)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// busyboxUserland returns a PATH directory of busybox's applets only.
func busyboxUserland(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("busybox", "--install", "-s", dir).CombinedOutput(); err != nil {
		t.Fatalf("busybox --install: %v\n%s", err, out)
	}
	return dir
}

// replaceTool puts a shell script in place of tool in the PATH dir.
func replaceTool(t testing.TB, dir, tool, script string) {
	t.Helper()
	p := filepath.Join(dir, tool)
	if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+script+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
}

func without(tools []string, drop string) []string {
	var out []string
	for _, t := range tools {
		if t != drop {
			out = append(out, t)
		}
	}
	return out
}

func needBusybox(t *testing.T) {
	if _, err := exec.LookPath("busybox"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true but busybox is missing")
		}
		t.Skip("busybox is missing")
	}
}

// TestScript_DatasetDigestUserlands: the script computes each dataset's
// digest with the tools of several userlands and gets repro's answer,
// so an unchanged dataset is accepted; names GNU sha256sum escapes are
// either listed alike or refused naming the tool to install.
func TestScript_DatasetDigestUserlands(t *testing.T) {
	needBusybox(t)
	dash, err := exec.LookPath("dash")
	if err != nil {
		t.Skip("dash is missing")
	}
	busybox, _ := exec.LookPath("busybox")
	tests := []struct {
		name  string
		shell []string
		path  func(t *testing.T) string
		odd   string // the refusal for oddNames; "" : accepted
		noCR  string // the same without the carriage return
	}{
		{"GNU", []string{dash}, func(t *testing.T) string { return userland(t, gnuTools...) }, "", ""},
		{"busybox", []string{busybox, "sh"}, func(t *testing.T) string { return busyboxUserland(t) }, "has a backslash in its name, which sha256sum here does not list as GNU sha256sum does; install GNU coreutils", "has a backslash in its name"},
		{"shasum", []string{dash}, func(t *testing.T) string { return userland(t, append(without(gnuTools, "sha256sum"), "shasum")...) }, "has a carriage return in its name, which shasum here does not list as GNU sha256sum does", ""},
		{"openssl", []string{dash}, func(t *testing.T) string { return userland(t, append(without(gnuTools, "sha256sum"), "openssl")...) }, "has a backslash in its name, which openssl here does not list", "has a backslash in its name"},
		{"sort without -z", []string{dash}, func(t *testing.T) string {
			dir := userland(t, gnuTools...)
			sort, _ := exec.LookPath("sort")
			replaceTool(t, dir, "sort", `for a in "$@"; do [ "$a" != -z ] || { echo "sort: invalid option -- 'z'" >&2; exit 2; }; done; exec `+sort+` "$@"`)
			return dir
		}, "has a line break in its name, which sha256sum and sort here cannot list", "has a line break in its name"},
	}
	plain := writeDataset(t, "train", plainNames)
	file := writeDataset(t, "labels.v2", nil)
	odd := writeDataset(t, "odd", oddNames)
	noCR := writeDataset(t, "odd", without(oddNames, "cr\rname"))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.path(t)
			r := finishedRun([]string{"train"}, nil)
			r.Data = []runlog.Dataset{plain, file}
			args := roundTrip(t, tt.shell, r, "PATH="+path)
			if !strings.Contains(strings.Join(args, " "), "source="+plain.Path+",target=/data/train,readonly") {
				t.Fatalf("the dataset is not mounted: %q", args)
			}
			for _, c := range []struct {
				d    runlog.Dataset
				want string
			}{{odd, tt.odd}, {noCR, tt.noCR}} {
				r.Data = []runlog.Dataset{c.d}
				res := runScript(t, tt.shell, r, "PATH="+path)
				switch {
				case c.want == "" && res.err != nil:
					t.Fatalf("names GNU sha256sum escapes: %v\n%s", res.err, res.stderr)
				case c.want != "" && (res.err == nil || !strings.Contains(res.stderr, c.want) || strings.Contains(res.stderr, "has digest")):
					t.Fatalf("names GNU sha256sum escapes: %v, stderr %q; want a refusal containing %q", res.err, res.stderr, c.want)
				}
			}
		})
	}
}

// TestScript_ToolFailures: a tool that fails stops the script with a
// message naming it, never a claim that the data changed.
func TestScript_ToolFailures(t *testing.T) {
	needBusybox(t)
	// dash, not busybox sh: busybox's shell runs its own applets before
	// any on PATH, so a replaced tool would not be called.
	sh := []string{"dash"}
	plain := writeDataset(t, "train", plainNames)
	sha256sum, _ := exec.LookPath("sha256sum")
	tests := []struct {
		name, tool, script, want string
		path                     func(t testing.TB) string
	}{
		{"busybox find fails", "find", "exit 1", "find cannot list files with -print0", busyboxUserland},
		{"busybox find fails listing", "find", `case "$*" in *-prune*) exit 0 ;; esac; echo "find: ./x: Permission denied" >&2; exit 1`, "dataset train: find failed listing the files under", busyboxUserland},
		{"find lacks -print0", "find", `echo "find: unrecognized: -print0" >&2; exit 1`, "find cannot list files with -print0", gnu},
		// busybox's xargs runs its own sha256sum: these replace GNU's.
		{"sha256sum fails on files", "sha256sum", `[ $# -eq 0 ] || { echo "sha256sum: read error" >&2; exit 1; }; exec ` + sha256sum, "dataset train: sha256sum failed hashing the files under", gnu},
		{"sha256sum prints nothing", "sha256sum", `[ $# -eq 0 ] || exit 0; exec ` + sha256sum, "sha256 lines this script can read for the 10 files", gnu},
		{"no sha256 tool", "sha256sum", `echo nope`, "no working sha256 tool on PATH", gnu},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.path(t)
			replaceTool(t, path, tt.tool, tt.script)
			r := finishedRun([]string{"train"}, nil)
			r.Data = []runlog.Dataset{plain}
			res := runScript(t, sh, r, "PATH="+path)
			if res.err == nil || !strings.Contains(res.stderr, tt.want) || strings.Contains(res.stderr, "has digest") {
				t.Fatalf("%v, stderr %q; want a refusal containing %q that does not blame the data", res.err, res.stderr, tt.want)
			}
		})
	}
}

func gnu(t testing.TB) string { return userland(t, gnuTools...) }

// TestScript_DataChanged: a changed dataset is refused, and the script
// writes its listing beside itself, the same listing repro digest --list
// prints for the changed data, so the two sides can be compared.
func TestScript_DataChanged(t *testing.T) {
	needBusybox(t)
	busybox, _ := exec.LookPath("busybox")
	for _, sh := range [][]string{{"sh"}, {busybox, "sh"}} {
		t.Run(sh[0], func(t *testing.T) {
			d := writeDataset(t, "train", plainNames)
			r := finishedRun([]string{"train"}, nil)
			r.Data = []runlog.Dataset{d}
			if err := os.WriteFile(filepath.Join(d.Path, "nested", "y"), []byte("changed\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			var env []string
			if len(sh) > 1 {
				env = append(env, "PATH="+busyboxUserland(t))
			}
			res := runScript(t, sh, r, env...)
			listing := filepath.Join(res.dir, "repro-rerun-"+r.ShortID()+"-REPRO_DATA_train.sha256")
			if res.err == nil || !strings.Contains(res.stderr, "has digest") || !strings.Contains(res.stderr, listing) {
				t.Fatalf("%v, stderr %q; want the data refused, naming %s", res.err, res.stderr, listing)
			}
			got, err := os.ReadFile(listing)
			if err != nil {
				t.Fatal(err)
			}
			v, err := dataset.HashPath(context.Background(), d.Path)
			if err != nil {
				t.Fatal(err)
			}
			want, err := v.Listing()
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Fatalf("the script's listing:\n%s\nrepro digest --list:\n%s", got, want)
			}
		})
	}
}

// The script's listing of names GNU sha256sum escapes is repro's.
func TestScript_OddNamesListing(t *testing.T) {
	d := writeDataset(t, "odd", oddNames)
	r := finishedRun([]string{"train"}, nil)
	r.Data = []runlog.Dataset{d}
	if err := os.WriteFile(filepath.Join(d.Path, "plain"), []byte("changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res := runScript(t, []string{"sh"}, r)
	got, err := os.ReadFile(filepath.Join(res.dir, "repro-rerun-"+r.ShortID()+"-REPRO_DATA_odd.sha256"))
	if err != nil {
		t.Fatalf("%v (%s)", err, res.stderr)
	}
	v, err := dataset.HashPath(context.Background(), d.Path)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := v.Listing()
	if string(got) != string(want) {
		t.Fatalf("the script's listing:\n%q\nrepro digest --list:\n%q", got, want)
	}
}
