package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// startSlurm starts a one-node Slurm cluster for the whole test run with
// scripts/slurm-cluster.sh (the one make bench uses), and returns the
// slurm.conf to point SLURM_CONF at; its daemons are stopped by PID when
// the tests end.
func startSlurm(t *testing.T) (string, error) {
	script, err := filepath.Abs(filepath.Join("..", "..", "scripts", "slurm-cluster.sh"))
	if err != nil {
		return "", err
	}
	// munged wants every directory on its socket's path searchable by
	// all, which a test's temporary directory is not.
	dir, err := os.MkdirTemp("", "repro-slurm-")
	if err != nil {
		return "", err
	}
	t.Cleanup(func() {
		if out, err := exec.Command(script, "stop", dir).CombinedOutput(); err != nil {
			t.Logf("stop the Slurm cluster: %v\n%s", err, out)
		}
		os.RemoveAll(dir)
	})
	var stderr strings.Builder
	cmd := exec.Command(script, "start", dir)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s start: %v: %s", script, err, stderr.String())
	}
	return strings.TrimSpace(string(out)), nil
}
