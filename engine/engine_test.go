package engine_test

import (
	"strings"
	"testing"

	"github.com/reprohq/repro/engine"
)

func TestEngine_RunArgs(t *testing.T) {
	e := &engine.Engine{Bin: "docker"}
	got := e.RunArgs(engine.Container{
		Name: "repro-abc", Labels: map[string]string{"repro.run": "abc", "a": "b"},
		Image: "r/x@sha256:00", Argv: []string{"--privileged", "-v", "/:/host"}, Workdir: "/workspace",
		Mounts: []engine.Mount{{Source: "/src", Target: "/workspace", ReadOnly: true}, {Source: "/o", Target: "/out"}},
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
