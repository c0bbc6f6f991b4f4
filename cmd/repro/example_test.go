package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestExampleSklearn runs make example-sklearn (examples/sklearn/run.sh):
// a scikit-learn trainer on a Debian base made with debootstrap, three
// models trained and re-run byte-identical. It takes minutes (the base),
// so it runs only with REPRO_EXAMPLES=1.
func TestExampleSklearn(t *testing.T) {
	if os.Getenv("REPRO_EXAMPLES") != "1" {
		t.Skip("set REPRO_EXAMPLES=1 to run the examples (minutes)")
	}
	cmd := exec.Command("make", "example-sklearn")
	cmd.Dir = "../.."
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make example-sklearn: %v\n%s", err, tail(string(out), 60))
	}
	for _, want := range []string{
		"outputs of run", "are identical to run",
		"example-sklearn: every model.pkl and predictions.csv re-ran byte-identical",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, tail(string(out), 60))
		}
	}
	if n := strings.Count(string(out), "are identical to run"); n != 3 {
		t.Errorf("%d models re-ran identical, want 3:\n%s", n, tail(string(out), 60))
	}
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// TestDemo runs make demo, the README's first command, on a free port:
// a demo that no longer runs is a broken front door.
func TestDemo(t *testing.T) {
	if exec.Command("docker", "info").Run() != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true but the Docker Engine is not usable")
		}
		t.Skip("needs the Docker Engine")
	}
	if _, err := exec.LookPath("docker-registry"); err != nil && os.Getenv("CI") != "true" {
		t.Skip("needs docker-registry (make demo would install it)")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command("make", "demo")
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), fmt.Sprintf("REPRO_DEMO_PORT=%d", port))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make demo: %v\n%s", err, tail(string(out), 40))
	}
	if !strings.Contains(string(out), "demo: the re-run's model.bin is byte-identical to the original's") {
		t.Fatalf("make demo did not end with the byte-identical re-run:\n%s", tail(string(out), 40))
	}
}
