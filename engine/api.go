package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// The engine's questions (its version, an image's ID, a container's state)
// and the removal of a finished container go straight to the Docker
// Engine API on its unix socket when the docker CLI would talk to that
// socket anyway: each CLI call costs ~50-100 ms and as much CPU, four per
// run, while the run waits. Anything else (podman, a remote or TLS host,
// a context of the CLI's own) goes through the CLI, and so does any call
// the socket does not answer plainly (no connection, or an error status
// other than "no such image/container"): the CLI's answer, or error, is
// then the one reported, as before.

// engineAPI is an HTTP client of the Docker Engine API on a unix socket.
type engineAPI struct {
	client *http.Client
}

// dockerSocket is the unix socket the docker CLI would use, if that can
// be told without the CLI: DOCKER_HOST as unix://PATH, or, with neither
// DOCKER_HOST nor a context chosen (DOCKER_CONTEXT, or the currentContext
// of the CLI's config.json), the default socket. "" otherwise.
func dockerSocket(getenv func(string) string) string {
	if host := getenv("DOCKER_HOST"); host != "" {
		if p, ok := strings.CutPrefix(host, "unix://"); ok && p != "" {
			return p
		}
		return ""
	}
	if c := getenv("DOCKER_CONTEXT"); c != "" && c != "default" {
		return ""
	}
	dir := getenv("DOCKER_CONFIG")
	if dir == "" {
		home := getenv("HOME")
		if home == "" {
			return ""
		}
		dir = filepath.Join(home, ".docker")
	}
	b, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err == nil {
		var cfg struct {
			CurrentContext string `json:"currentContext"`
		}
		if json.Unmarshal(b, &cfg) != nil || cfg.CurrentContext != "" && cfg.CurrentContext != "default" {
			return ""
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return ""
	}
	return "/var/run/docker.sock"
}

func newEngineAPI(socket string) *engineAPI {
	d := net.Dialer{Timeout: 2 * time.Second}
	return &engineAPI{client: &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return d.DialContext(ctx, "unix", socket)
		},
		MaxIdleConns:    2,
		IdleConnTimeout: 30 * time.Second,
	}}}
}

// call sends one request; into, when set, receives a 2xx answer's JSON.
// It returns the status (0 when nothing answered) and an error for
// anything but a 2xx answer that decoded: the engine's own message for an
// error status.
func (a *engineAPI) call(ctx context.Context, method, path, query string, into any) (int, error) {
	u := url.URL{Scheme: "http", Host: "docker", Path: path, RawQuery: query}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), nil)
	if err != nil {
		return 0, err
	}
	resp, err := a.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode/100 != 2 {
		var msg struct{ Message string }
		if json.Unmarshal(body, &msg) != nil || msg.Message == "" {
			msg.Message = strings.TrimSpace(string(body))
		}
		return resp.StatusCode, errors.New(msg.Message)
	}
	if into != nil {
		if err := json.Unmarshal(body, into); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: %v", method, path, err)
		}
	}
	return resp.StatusCode, nil
}

// ContainerInfo is the part of a container's inspection repro reads.
type ContainerInfo struct {
	State  ContainerState
	Config struct {
		Labels map[string]string
	}
}

// ContainerState is how a container stands, as its inspection says.
type ContainerState struct {
	Running, Restarting bool
	ExitCode            int
	OOMKilled           bool
	Error               string
	FinishedAt          time.Time
}

// NeverRan says the container was created and never started (or failed
// to start): its ExitCode, 0, is no process's.
func (s ContainerState) NeverRan() bool {
	return !s.Running && !s.Restarting && s.FinishedAt.IsZero()
}

// api returns the engine's API client, or nil when the CLI must be asked.
func (e *Engine) api() *engineAPI {
	e.apiOnce.Do(func() {
		if e.Name() != "docker" {
			return
		}
		getenv := e.Getenv
		if getenv == nil {
			getenv = os.Getenv
		}
		if s := dockerSocket(getenv); s != "" {
			e.apiClient = newEngineAPI(s)
		}
	})
	return e.apiClient
}

// Inspect returns a container's inspection; found is false when
// the engine has no such container.
func (e *Engine) Inspect(ctx context.Context, name string) (info ContainerInfo, found bool, err error) {
	if a := e.api(); a != nil {
		status, err := a.call(ctx, http.MethodGet, "/containers/"+name+"/json", "", &info)
		switch {
		case status == http.StatusNotFound:
			return info, false, nil
		case err == nil:
			return info, true, nil
		}
		info = ContainerInfo{} // any other answer: the CLI's is the one reported
	}
	out, err := e.output(ctx, "container", "inspect", "--", name)
	if err != nil {
		if strings.Contains(strings.ToLower(err.Error()), "no such") {
			return info, false, nil
		}
		return info, false, err
	}
	var all []ContainerInfo
	if err := json.Unmarshal([]byte(out), &all); err != nil || len(all) != 1 {
		return info, false, fmt.Errorf("%s container inspect %s: unexpected answer", e.Name(), name)
	}
	return all[0], true, nil
}

// Remove removes a container, running or not; errors are not
// reported (a container already gone is what was wanted).
func (e *Engine) Remove(ctx context.Context, name string) {
	if a := e.api(); a != nil {
		if status, err := a.call(ctx, http.MethodDelete, "/containers/"+name, "force=1", nil); err == nil || status == http.StatusNotFound {
			return
		}
	}
	e.quiet(ctx, "rm", "--force", name)
}
