package launch_test

import (
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
		got, err := launch.ParseDataArg(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseDataArg(%q) = %v, %v; want error %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseDataArg(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestEngine_RunArgs(t *testing.T) {
	e := &launch.Engine{Bin: "docker"}
	got := e.RunArgs(launch.Container{
		Name: "repro-abc", Labels: map[string]string{"repro.run": "abc", "a": "b"},
		Image: "r/x@sha256:00", Argv: []string{"--privileged", "-v", "/:/host"}, Workdir: "/workspace",
		Mounts: []launch.Mount{{Source: "/src", Target: "/workspace", ReadOnly: true}, {Source: "/o", Target: "/out"}},
		Env:    []string{"HF_TOKEN"}, Values: map[string]string{"HF_TOKEN": "secret-value"},
	})
	want := "run --name repro-abc --init --sig-proxy=false --label a=b --label repro.run=abc " +
		"--mount type=bind,source=/src,target=/workspace,readonly --mount type=bind,source=/o,target=/out " +
		"--workdir /workspace --env-file /dev/fd/3 -- r/x@sha256:00 --privileged -v /:/host"
	if strings.Join(got, " ") != want {
		t.Errorf("RunArgs =\n%s\nwant\n%s", strings.Join(got, " "), want)
	}
	for _, a := range got {
		if strings.Contains(a, "secret-value") {
			t.Fatal("a secret value is on the engine's command line")
		}
	}
}
