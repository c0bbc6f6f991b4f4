package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/reprohq/repro/provenance"
)

// Engine is a docker-compatible container CLI.
type Engine struct {
	Bin         string        // "docker" or "podman"
	Stdout      io.Writer     // the container's stdout
	Stderr      io.Writer     // the container's stderr and pull progress
	StopTimeout time.Duration // grace period between SIGTERM and SIGKILL on interrupt
	// Getenv finds where the engine listens (DOCKER_HOST and the like);
	// nil is os.Getenv.
	Getenv func(string) string

	apiOnce   sync.Once  // api resolves apiClient once
	apiClient *engineAPI // nil: ask the CLI
}

// Mount is a bind mount.
type Mount struct {
	Source   string
	Target   string
	ReadOnly bool
}

// Container is what to run.
type Container struct {
	Name    string
	Labels  map[string]string
	Image   string // repo@sha256:...
	Argv    []string
	Workdir string
	Mounts  []Mount
	Env     []string          // the variables' names, in order
	Values  map[string]string // the values for Env: they reach the container only (see envFile)
	Memory  string            // --memory, as docker takes it ("" : no limit)
	GPUs    string            // --gpus, as docker takes it ("" : none)
	User    string            // --user UID:GID ("" : the image's own user)
}

// Exit is how a container ended.
type Exit struct {
	Code      int
	Signal    string // the signal repro received and forwarded, if any
	OOMKilled bool
	Err       string // the engine's own failure, if it never ran the command
}

// Name is the container CLI: docker (the default) or podman.
func (e *Engine) Name() string {
	if e.Bin == "" {
		return "docker"
	}
	return e.Bin
}

// Version is the engine server's version.
func (e *Engine) Version(ctx context.Context) (string, error) {
	if a := e.api(); a != nil {
		var v struct{ Version string }
		if _, err := a.call(ctx, http.MethodGet, "/version", "", &v); err == nil && v.Version != "" {
			return v.Version, nil
		}
	}
	out, err := e.output(ctx, "version", "--format", "{{.Server.Version}}")
	if err != nil {
		var missing *MissingError
		if errors.As(err, &missing) {
			return "", err
		}
		return "", fmt.Errorf("%s is not usable: %w; start the engine, or check which one %s is set to use (%s)", e.Name(), err, e.Name(), engineSetting(e.Name()))
	}
	return strings.TrimSpace(out), nil
}

// Rootless says whether the engine runs without root (rootless docker):
// its containers' root is the user who runs it, so their files are
// already that user's.
func (e *Engine) Rootless(ctx context.Context) (bool, error) {
	if a := e.api(); a != nil {
		var info struct{ SecurityOptions []string }
		if _, err := a.call(ctx, http.MethodGet, "/info", "", &info); err == nil {
			return slices.Contains(info.SecurityOptions, "name=rootless"), nil
		}
	}
	var opts []string
	out, err := e.output(ctx, "info", "--format", "{{json .SecurityOptions}}")
	if err != nil {
		return false, err
	}
	if err := json.Unmarshal([]byte(out), &opts); err != nil {
		return false, fmt.Errorf("%s info: %w", e.Name(), err)
	}
	return slices.Contains(opts, "name=rootless"), nil
}

// engineSetting names what chooses the engine a container CLI talks to.
func engineSetting(bin string) string {
	switch filepath.Base(bin) {
	case "docker":
		return "DOCKER_HOST, docker context ls"
	case "podman":
		return "CONTAINER_HOST, podman system connection ls"
	}
	return "its configuration"
}

// MissingError is the error for a container CLI that is not on PATH.
type MissingError struct{ Bin string }

func (e *MissingError) Error() string {
	return e.Bin + " not found on PATH; install it or choose another engine"
}

// ImageID returns the local image ID (the config digest) of ref, and
// whether the image is present at all.
func (e *Engine) ImageID(ctx context.Context, ref string) (string, bool, error) {
	if a := e.api(); a != nil {
		var img struct{ Id string }
		status, err := a.call(ctx, http.MethodGet, "/images/"+ref+"/json", "", &img)
		switch {
		case status == http.StatusNotFound:
			return "", false, nil
		case err == nil && img.Id != "":
			return img.Id, true, nil
		}
	}
	out, err := e.output(ctx, "image", "inspect", "--format", "{{.Id}}", "--", ref)
	if err != nil {
		// docker: "No such image"; podman: "image not known".
		if msg := strings.ToLower(err.Error()); strings.Contains(msg, "no such image") || strings.Contains(msg, "image not known") {
			return "", false, nil
		}
		return "", false, err
	}
	id := strings.TrimSpace(out)
	if id != "" && !strings.HasPrefix(id, "sha256:") {
		id = "sha256:" + id // podman prints the config digest's hex alone
	}
	return id, true, nil
}

// Pull pulls ref, its progress going to Stderr.
func (e *Engine) Pull(ctx context.Context, ref string) error {
	args := []string{"pull"}
	if filepath.Base(e.Name()) == "podman" && provenance.LoopbackRegistry(ref) {
		// docker reaches a loopback registry over plain HTTP by itself;
		// podman has to be told. Only loopback, as repro's own client.
		args = append(args, "--tls-verify=false")
	}
	cmd := exec.CommandContext(ctx, e.Name(), append(args, "--", ref)...)
	var stderr bytes.Buffer
	cmd.Stdout = e.stderr()
	cmd.Stderr = io.MultiWriter(e.stderr(), &stderr)
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s pull %s: %s", e.Name(), ref, firstLine(stderr.String(), err))
	}
	return nil
}

func (e *Engine) stderr() io.Writer {
	if e.Stderr == nil {
		return io.Discard
	}
	return e.Stderr
}

func (e *Engine) stdout() io.Writer {
	if e.Stdout == nil {
		return io.Discard
	}
	return e.Stdout
}

// RunArgs is the exact engine argv for c, without the binary.
func (e *Engine) RunArgs(c Container) []string {
	args := []string{"run", "--name", c.Name, "--init", "--sig-proxy=false"}
	for _, k := range sortedKeys(c.Labels) {
		args = append(args, "--label", k+"="+c.Labels[k])
	}
	for _, m := range c.Mounts {
		spec := "type=bind,source=" + m.Source + ",target=" + m.Target
		if m.ReadOnly {
			spec += ",readonly"
		}
		args = append(args, "--mount", spec)
	}
	if c.Workdir != "" {
		args = append(args, "--workdir", c.Workdir)
	}
	if c.Memory != "" {
		args = append(args, "--memory", c.Memory)
	}
	if c.GPUs != "" {
		args = append(args, "--gpus", c.GPUs)
	}
	if c.User != "" {
		args = append(args, "--user", c.User)
	}
	if len(c.Env) > 0 {
		args = append(args, "--env-file", envFilePath)
	}
	args = append(args, "--", c.Image)
	return append(args, c.Argv...)
}

// Run runs c in the foreground, streaming its output. The first value on
// interrupts stops the container (SIGTERM, then SIGKILL after
// StopTimeout); a second kills it at once. Run returns once the container
// has ended and been removed.
func (e *Engine) Run(ctx context.Context, c Container, interrupts <-chan os.Signal) (Exit, error) {
	cmd := exec.Command(e.Name(), e.RunArgs(c)...)
	// The engine's client runs in repro's own environment, unchanged: a
	// container's DOCKER_HOST, LD_PRELOAD or HOME must configure the
	// container, never the client that talks to the engine.
	cmd.Env = os.Environ()
	if len(c.Env) > 0 {
		f, err := envFile(c, os.Getenv)
		if err != nil {
			return Exit{}, err
		}
		defer f.Close()
		cmd.ExtraFiles = []*os.File{f}
	}
	var stderr bytes.Buffer
	cmd.Stdout = e.stdout()
	cmd.Stderr = io.MultiWriter(e.stderr(), &tail{buf: &stderr, max: 4096})
	// Its own process group: a ^C on the terminal reaches repro only, and
	// repro decides how the container stops.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return Exit{}, fmt.Errorf("start %s: %w", e.Name(), err)
	}
	done := make(chan error, 1)
	exited := make(chan struct{})
	go func() { done <- cmd.Wait(); close(exited) }()

	var exit Exit
	var waitErr error
	stopped := false
wait:
	for {
		select {
		case waitErr = <-done:
			break wait
		case sig := <-interrupts:
			if !stopped {
				stopped = true
				exit.Signal = SignalName(sig)
				fmt.Fprintf(e.stderr(), "repro: %s: stopping container %s (again to kill it now)\n", exit.Signal, c.Name)
				go e.stopUntilGone(context.WithoutCancel(ctx), c.Name, exited)
			} else {
				fmt.Fprintf(e.stderr(), "repro: killing container %s\n", c.Name)
				go e.quiet(context.WithoutCancel(ctx), "kill", c.Name)
			}
		}
	}
	exit.Code = cmd.ProcessState.ExitCode()
	ictx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	// run passes the container's status through. 0 needs no look at the
	// container; through the CLI, where each call costs tens of ms,
	// neither does any status but the engine's own failures (125-127)
	// and a kill (137, maybe the OOM killer's).
	if exit.Code == 0 || e.api() == nil && exit.Code > 0 && !needsInspect(exit.Code) {
		e.Remove(ictx, c.Name)
		return exit, nil
	}
	// The container's own state is the truth: its exit code, and whether
	// the kernel's OOM killer ended it.
	info, found, err := e.Inspect(ictx, c.Name)
	switch {
	case err == nil && found && info.State.NeverRan():
		// Created, and the runtime refused to start it (podman then
		// exits 126 and the container reads exit code 0): the client's
		// status and message are the truth.
		exit.Err = firstLine(stderr.String(), waitErr)
		if info.State.Error != "" {
			exit.Err = info.State.Error
		}
		if exit.Code <= 0 {
			exit.Code = 125
		}
		e.Remove(ictx, c.Name)
	case err == nil && found:
		exit.Code, exit.OOMKilled, exit.Err = info.State.ExitCode, info.State.OOMKilled, info.State.Error
		e.Remove(ictx, c.Name)
	case waitErr != nil:
		// No container: the engine failed before creating it.
		exit.Err = firstLine(stderr.String(), waitErr)
		if exit.Code <= 0 {
			exit.Code = 125
		}
	}
	return exit, nil
}

// needsInspect says whether a run client's exit status may not be the
// container's own, or hides whether it ran out of memory.
func needsInspect(code int) bool { return code >= 125 && code <= 127 || code == 137 }

// envFilePath is where the engine's client reads the container's
// variables: the first of the files repro hands it (a pipe).
const envFilePath = "/dev/fd/3"

// envFile returns the read end of a pipe holding c's variables in the
// engine's --env-file format, one NAME=VALUE a line, written from memory:
// the values never touch a disk, an argv or the client's environment. A
// value the format cannot carry (a line break, invalid UTF-8, over 60 KB)
// is passed as a bare NAME, which the client reads from its environment,
// only when that environment holds exactly that value already (getenv:
// repro's own); otherwise it is refused.
func envFile(c Container, getenv func(string) string) (*os.File, error) {
	var b bytes.Buffer
	for _, n := range c.Env {
		line, err := EnvLine(n, c.Values[n], getenv)
		if err != nil {
			return nil, err
		}
		b.WriteString(line)
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	// A pipe holds 64 KB; a larger file is written while the client reads.
	go func() {
		w.Write(b.Bytes())
		w.Close()
	}()
	return r, nil
}

// EnvLine is variable n's line in an env file: an error for a value
// the format cannot carry and the environment (getenv) does not hold.
func EnvLine(n, v string, getenv func(string) string) (string, error) {
	if strings.ContainsAny(v, "\n\r") || !utf8.ValidString(v) || len(v) > 60000 {
		if getenv(n) != v {
			return "", &provenance.EnvError{Name: n, Problem: provenance.EnvExportOnly}
		}
		return n + "\n", nil
	}
	return n + "=" + v + "\n", nil
}

// stopUntilGone stops the container; if the engine does not know it yet
// (the signal came as it was being created), it asks again until the
// engine's client has exited.
func (e *Engine) stopUntilGone(ctx context.Context, name string, exited <-chan struct{}) {
	for {
		if _, err := e.output(ctx, "stop", "--time", fmt.Sprint(int(e.StopTimeout.Seconds())), name); err == nil {
			return
		}
		select {
		case <-exited:
			return
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func (e *Engine) output(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, e.Name(), args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return "", &MissingError{e.Name()}
		}
		return "", errors.New(firstLine(stderr.String(), err))
	}
	return string(out), nil
}

func (e *Engine) quiet(ctx context.Context, args ...string) {
	cmd := exec.CommandContext(ctx, e.Name(), args...)
	_ = cmd.Run()
}

func firstLine(s string, err error) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return err.Error()
	}
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// SignalName is a signal as repro records it: SIGINT, SIGTERM...
func SignalName(s os.Signal) string {
	switch s {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	case nil:
		return ""
	}
	return strings.ToUpper(s.String())
}

// tail keeps the last max bytes written.
type tail struct {
	buf *bytes.Buffer
	max int
}

func (t *tail) Write(p []byte) (int, error) {
	t.buf.Write(p)
	if over := t.buf.Len() - t.max; over > 0 {
		t.buf.Next(over)
	}
	return len(p), nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
