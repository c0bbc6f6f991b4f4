package engine_test

import (
	"context"
	"os"
	"path/filepath"
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

// A runtime that refuses to start a container (podman exits 126 and the
// container, created, reads exit code 0) is a failed run with the
// runtime's message, never a success; a container that ran and exited
// 126 itself keeps its own status.
func TestEngine_Run_NeverStarted(t *testing.T) {
	for _, tc := range []struct {
		name, finishedAt, wantErr string
	}{
		{"refused", "0001-01-01T00:00:00Z", "runc create failed"},
		{"ran", "2026-12-01T10:00:00Z", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bin := filepath.Join(t.TempDir(), "podman")
			script := `#!/bin/sh
case "$1" in
run) echo 'Error: runc: runc create failed: unable to start container process' >&2; exit 126 ;;
container) echo '[{"State": {"Running": false, "ExitCode": ` + map[bool]string{true: "126", false: "0"}[tc.wantErr == ""] + `, "Error": "", "FinishedAt": "` + tc.finishedAt + `"}, "Config": {"Labels": {}}}]' ;;
esac
exit 0
`
			if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
				t.Fatal(err)
			}
			e := &engine.Engine{Bin: bin}
			exit, err := e.Run(context.Background(), engine.Container{Name: "repro-x", Image: "r/x@sha256:00"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if exit.Code != 126 || !strings.Contains(exit.Err, tc.wantErr) || tc.wantErr == "" && exit.Err != "" {
				t.Errorf("exit = %+v, want code 126 and error %q", exit, tc.wantErr)
			}
		})
	}
}
