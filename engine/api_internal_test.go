package engine

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestDockerSocket(t *testing.T) {
	home := t.TempDir()
	withContext := t.TempDir()
	os.WriteFile(filepath.Join(withContext, "config.json"), []byte(`{"currentContext": "remote"}`), 0o600)
	defaultContext := t.TempDir()
	os.WriteFile(filepath.Join(defaultContext, "config.json"), []byte(`{"auths": {}, "currentContext": "default"}`), 0o600)
	broken := t.TempDir()
	os.WriteFile(filepath.Join(broken, "config.json"), []byte(`{`), 0o600)
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"nothing set", map[string]string{"HOME": home}, "/var/run/docker.sock"},
		{"unix host", map[string]string{"DOCKER_HOST": "unix:///run/user/1000/docker.sock"}, "/run/user/1000/docker.sock"},
		{"tcp host", map[string]string{"DOCKER_HOST": "tcp://10.0.0.1:2376"}, ""},
		{"ssh host", map[string]string{"DOCKER_HOST": "ssh://me@build"}, ""},
		{"empty unix host", map[string]string{"DOCKER_HOST": "unix://"}, ""},
		{"context by env", map[string]string{"HOME": home, "DOCKER_CONTEXT": "rootless"}, ""},
		{"default context by env", map[string]string{"HOME": home, "DOCKER_CONTEXT": "default"}, "/var/run/docker.sock"},
		{"context in config", map[string]string{"DOCKER_CONFIG": withContext}, ""},
		{"default context in config", map[string]string{"DOCKER_CONFIG": defaultContext}, "/var/run/docker.sock"},
		{"unreadable config", map[string]string{"DOCKER_CONFIG": broken}, ""},
		{"no home", map[string]string{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := dockerSocket(func(k string) string { return tt.env[k] }); got != tt.want {
				t.Errorf("dockerSocket = %q, want %q", got, tt.want)
			}
		})
	}
}

// cliOnly is an Engine that asks the CLI every question.
func cliOnly() *Engine {
	e := &Engine{}
	e.apiOnce.Do(func() {})
	return e
}

// TestEngineAPI_AgreesWithCLI: the engine's API and its CLI give the same
// answers about a real image and container, an absent one included, and
// an API that does not answer hands over to the CLI.
func TestEngineAPI_AgreesWithCLI(t *testing.T) {
	if exec.Command("docker", "info").Run() != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true but the Docker Engine is not usable")
		}
		t.Skip("no usable Docker Engine")
	}
	ctx := context.Background()
	api := &Engine{}
	if api.api() == nil {
		t.Skip("this environment's docker CLI does not use a local socket")
	}
	if _, err := api.api().call(ctx, "GET", "/version", "", nil); err != nil {
		t.Fatalf("the API does not answer: %v", err)
	}
	cli := cliOnly()
	unreachable := &Engine{Getenv: func(k string) string {
		if k == "DOCKER_HOST" {
			return "unix://" + filepath.Join(t.TempDir(), "no.sock")
		}
		return ""
	}}

	// An image of one file, imported (nothing to pull).
	var layer bytes.Buffer
	tw := tar.NewWriter(&layer)
	tw.WriteHeader(&tar.Header{Name: "hello", Mode: 0o644, Size: 2})
	tw.Write([]byte("hi"))
	tw.Close()
	image := fmt.Sprintf("repro-engine-test:%d", os.Getpid())
	imp := exec.Command("docker", "import", "-", image)
	imp.Stdin = &layer
	if out, err := imp.CombinedOutput(); err != nil {
		t.Fatalf("docker import: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("docker", "image", "rm", "-f", image).Run() })

	for _, e := range []*Engine{api, unreachable} {
		v1, err1 := e.Version(ctx)
		v2, err2 := cli.Version(ctx)
		if err1 != nil || err2 != nil || v1 != v2 || v1 == "" {
			t.Errorf("Version: %q (%v), CLI %q (%v)", v1, err1, v2, err2)
		}
		for _, ref := range []string{image, "repro-engine-test:absent"} {
			id1, ok1, err1 := e.ImageID(ctx, ref)
			id2, ok2, err2 := cli.ImageID(ctx, ref)
			if err1 != nil || err2 != nil || id1 != id2 || ok1 != ok2 {
				t.Errorf("ImageID(%s): %q %v (%v), CLI %q %v (%v)", ref, id1, ok1, err1, id2, ok2, err2)
			}
		}
	}

	name := fmt.Sprintf("repro-engine-test-%d", os.Getpid())
	exec.Command("docker", "rm", "-f", name).Run()
	if out, err := exec.Command("docker", "create", "--name", name, "--label", "repro.run=abc", image, "/hello").CombinedOutput(); err != nil {
		t.Fatalf("docker create: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("docker", "rm", "-f", name).Run() })
	for _, e := range []*Engine{api, unreachable} {
		got, found1, err1 := e.Inspect(ctx, name)
		want, found2, err2 := cli.Inspect(ctx, name)
		if err1 != nil || err2 != nil || !found1 || !found2 || got.State != want.State || got.Config.Labels["repro.run"] != "abc" || want.Config.Labels["repro.run"] != "abc" {
			t.Errorf("inspect: %+v %v (%v), CLI %+v %v (%v)", got, found1, err1, want, found2, err2)
		}
	}
	api.Remove(ctx, name)
	for _, e := range []*Engine{api, unreachable, cli} {
		if _, found, err := e.Inspect(ctx, name); found || err != nil {
			t.Errorf("after removal: found %v (%v)", found, err)
		}
	}
}
