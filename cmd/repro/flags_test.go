package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/reprohq/repro/image"
	"github.com/reprohq/repro/launch"
	"github.com/reprohq/repro/provenance"
	"github.com/reprohq/repro/rerun"
)

func TestParseDataArg(t *testing.T) {
	tests := []struct {
		in      string
		want    launch.DataArg
		wantErr string
	}{
		{"train=./data", launch.DataArg{Name: "train", Path: "./data"}, ""},
		{"v2.labels=/a=b", launch.DataArg{Name: "v2.labels", Path: "/a=b"}, ""},
		{"train", launch.DataArg{}, "write NAME=PATH"},
		{"train=", launch.DataArg{}, "write NAME=PATH"},
		{"=x", launch.DataArg{}, "may have letters"},
		{"../x=y", launch.DataArg{}, "may have letters"},
		{".hidden=y", launch.DataArg{}, "may have letters"},
		{"a/b=y", launch.DataArg{}, "may have letters"},
	}
	for _, tt := range tests {
		got, err := parseDataArg(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseDataArg(%q) = %v, %v; want error %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseDataArg(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

// A value launch refused is named by its flag, its cause kept.
func TestFlagError(t *testing.T) {
	cause := os.ErrNotExist
	for _, tc := range []struct {
		in   error
		want string
	}{
		{&launch.InputError{Input: launch.InputData, Name: "train", Value: "../nope", Err: cause}, "--data train=../nope: file does not exist"},
		{&launch.InputError{Input: launch.InputOut, Value: "./o", Err: errors.New("not empty")}, "--out ./o: not empty"},
		{&launch.InputError{Input: launch.InputWorkdir, Value: "rel", Err: errors.New("give an absolute path")}, `--workdir "rel": give an absolute path`},
		{&launch.InputError{Input: launch.InputMemory, Value: "-1", Err: errors.New("no")}, `--memory "-1": no`},
		{&launch.LatestError{Image: "r/t"}, `image "r/t" uses the moving tag latest; name a version tag or a digest, or pass --allow-latest`},
		{&launch.NoCodeError{Err: errors.New("not inside a git repository")}, "not inside a git repository; run inside your code's repository, point --code at it, or pass --no-code"},
		{&launch.DirtyTreeError{Dir: "/w", Changed: []string{"a"}}, "work tree /w has uncommitted changes:\n  a\ncommit them, or pass --allow-dirty to record the run as dirty"},
		{&launch.SecretFileError{Path: ".env", Why: "its name"}, "uncommitted file .env looks like it holds a secret (its name), and a dirty run stores its uncommitted changes in the ledger and in re-run scripts: commit it if it is not a secret, add it to .gitignore, or pass --allow-secret-file .env"},
		{errors.New("other"), "other"},
	} {
		got := flagError(tc.in)
		if got.Error() != tc.want {
			t.Errorf("flagError(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if !errors.Is(flagError(&launch.InputError{Input: launch.InputData, Err: cause}), cause) {
		t.Error("the cause is lost")
	}
	if !errors.Is(flagError(&launch.NoCodeError{Err: cause}), cause) {
		t.Error("the cause of a missing repository is lost")
	}
	// The library's own messages name no flag.
	for _, e := range []error{&launch.LatestError{Image: "r/t"}, &launch.NoCodeError{Err: cause}, &launch.DirtyTreeError{Dir: "/w"}, &launch.SecretFileError{Path: ".env"}} {
		if strings.Contains(e.Error(), "--") {
			t.Errorf("launch names a flag: %q", e.Error())
		}
	}
	// What a library says without a flag.
	if got := (&launch.InputError{Input: launch.InputData, Name: "train", Value: "/d", Err: cause}).Error(); !strings.HasPrefix(got, "dataset train at /d: ") {
		t.Errorf("library message %q", got)
	}
}

// image's refusals are said with the flags that fix them.
func TestImageError(t *testing.T) {
	for _, tc := range []struct {
		in   error
		want string
	}{
		{&image.OptionError{Option: image.OptDest, Value: "app", Err: errors.New("not an absolute path in the image")}, `--dest "app": not an absolute path in the image`},
		{&image.OptionError{Option: image.OptTags, Err: errors.New("bad tag")}, `--to: bad tag`},
		{&image.OptionError{Option: image.OptBase, Value: "x:latest", Err: errors.New("moving")}, `--base "x:latest": moving`},
		{&image.TagTakenError{Tag: "r/t:1.0.0", Digest: "sha256:ab"}, "r/t:1.0.0 already points at sha256:ab, another image; an exact version names one image: bump --version, or pass --force to move the tag"},
		{errors.New("other"), "other"},
	} {
		if got := imageError(tc.in).Error(); got != tc.want {
			t.Errorf("imageError(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
	d := &image.DirtyContextError{Context: "ctx", Changed: []string{"a.txt"}, Commit: strings.Repeat("c", 40), DirtyTag: "git-ccccccc-dirty"}
	if got := imageError(d).Error(); !strings.Contains(got, "or build with --allow-dirty (tagged git-ccccccc-dirty") || !strings.Contains(got, "(1 files: a.txt)") {
		t.Errorf("dirty: %q", got)
	}
	if strings.Contains(d.Error(), "--") {
		t.Errorf("the library names a flag: %q", d.Error())
	}
}

// A refusal deep in an error is said with its flag, its context kept.
func TestCLIError(t *testing.T) {
	plain := &provenance.PlainHTTPError{Host: "10.0.0.5:5000"}
	err := fmt.Errorf("resolve 10.0.0.5:5000/t:1: GET http://10.0.0.5:5000/v2/: %w", plain)
	got := cliError(err).Error()
	if want := "resolve 10.0.0.5:5000/t:1: GET http://10.0.0.5:5000/v2/: plain HTTP to 10.0.0.5:5000 refused: only loopback registries are reached without TLS; pass --insecure to allow it"; got != want {
		t.Errorf("cliError = %q, want %q", got, want)
	}
	if !errors.As(cliError(err), &plain) {
		t.Error("the typed error is lost")
	}
	dirty := &rerun.DirtyRunError{Run: "4e1d", Changed: []string{"a.py"}, Commit: strings.Repeat("c", 40)}
	if got := cliError(dirty).Error(); !strings.HasSuffix(got, "pass --allow-dirty to re-run at commit cccccccccccc without them") {
		t.Errorf("dirty: %q", got)
	}
	for _, e := range []error{plain, dirty, &rerun.GitImageError{Run: "4e1d", Commit: "c"}} {
		if strings.Contains(e.Error(), "--") {
			t.Errorf("a library names a flag: %q", e.Error())
		}
	}
	if other := errors.New("other"); cliError(other) != other {
		t.Error("an unrelated error was changed")
	}
}

// A refused variable is told in the terms of the flag that gave it.
func TestFlagError_Env(t *testing.T) {
	lookup := func(string) (string, bool) { return "", false }
	for _, tc := range []struct {
		specs, secrets []string
		want           string
	}{
		{[]string{"1X=2"}, nil, `-e "1X": a variable name has letters`},
		{nil, []string{"bad-name"}, `--secret-env "bad-name": a variable name`},
		{[]string{"HF_TOKEN=hf_abc"}, nil, "-e HF_TOKEN=...: a secret's value does not go on the command line, where shell history and the process list keep it: export HF_TOKEN and pass -e HF_TOKEN"},
		{[]string{"MODE"}, nil, "-e MODE: MODE is not set in your environment; set it or write -e MODE=VALUE"},
		{nil, []string{"KEY"}, "--secret-env KEY: KEY is not set in your environment"},
		{[]string{"A=a\x00b"}, nil, "-e A: the value contains a NUL byte"},
	} {
		_, err := provenance.ParseEnv(tc.specs, tc.secrets, lookup)
		got := flagError(err)
		if got == nil || !strings.HasPrefix(got.Error(), tc.want) || strings.Contains(got.Error(), "hf_abc") {
			t.Errorf("%v %v: %v, want %q", tc.specs, tc.secrets, got, tc.want)
		}
	}
	if err := flagError(&provenance.EnvError{Name: "NOTE", Problem: provenance.EnvExportOnly}); !strings.HasSuffix(err.Error(), "export NOTE and pass -e NOTE") {
		t.Errorf("export-only: %v", err)
	}
}
