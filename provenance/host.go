package provenance

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"os/user"
	"runtime"
	"strings"
	"time"
)

// Host is the machine a run was launched from.
type Host struct {
	User     string
	Hostname string
	OS       string
	Arch     string
	GPUs     []GPU
}

// GPU is one accelerator as nvidia-smi reports it.
type GPU struct {
	Model  string
	Driver string
}

// CaptureHost reads the user, hostname, OS and architecture, and the GPUs
// when nvidia-smi is on PATH. It never fails: a fact it cannot read is
// left empty.
func CaptureHost(ctx context.Context) Host {
	h := Host{OS: runtime.GOOS, Arch: runtime.GOARCH}
	if u, err := user.Current(); err == nil {
		h.User = u.Username
	}
	h.Hostname, _ = os.Hostname()
	if _, err := exec.LookPath("nvidia-smi"); err == nil {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, "nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader").Output()
		if err == nil {
			h.GPUs = ParseGPUs(out)
		}
	}
	return h
}

// ParseGPUs reads nvidia-smi's "name, driver" CSV lines.
func ParseGPUs(out []byte) []GPU {
	var gpus []GPU
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		model, driver, ok := strings.Cut(sc.Text(), ",")
		if !ok {
			continue
		}
		gpus = append(gpus, GPU{Model: strings.TrimSpace(model), Driver: strings.TrimSpace(driver)})
	}
	return gpus
}
