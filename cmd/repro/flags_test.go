package main

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/reprohq/repro/launch"
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
	// What a library says without a flag.
	if got := (&launch.InputError{Input: launch.InputData, Name: "train", Value: "/d", Err: cause}).Error(); !strings.HasPrefix(got, "dataset train at /d: ") {
		t.Errorf("library message %q", got)
	}
}
