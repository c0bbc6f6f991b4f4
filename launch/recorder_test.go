package launch_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/reprohq/repro/launch"
	"github.com/reprohq/repro/provenance"
	"github.com/reprohq/repro/runlog"
)

// testImage pushes a random image to an in-process registry on loopback
// and returns it by tag.
func testImage(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	tag, err := name.NewTag(strings.TrimPrefix(srv.URL, "http://") + "/ml/trainer:1.0")
	if err != nil {
		t.Fatal(err)
	}
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, img); err != nil {
		t.Fatal(err)
	}
	return tag.String()
}

// placement records what it is asked and runs nothing.
type placement struct {
	refuse error
	ran    []*runlog.Run
	res    *runlog.Result
	code   int
}

func (p *placement) Scheduler() string { return runlog.SchedulerSlurm }
func (p *placement) Args() []string    { return []string{"--partition=test"} }
func (p *placement) Check(context.Context, *runlog.Run) error {
	return p.refuse
}
func (p *placement) Run(_ context.Context, _ *runlog.Ledger, r *runlog.Run, _ <-chan os.Signal) (*runlog.Result, int, error) {
	p.ran = append(p.ran, r)
	return p.res, p.code, nil
}

// A run's ID, clock and host come from the spec: the same spec records
// the same run, whatever machine or moment runs the test.
func TestRun_Deterministic(t *testing.T) {
	ctx := context.Background()
	image := testImage(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "train.csv")
	if err := os.WriteFile(data, []byte("a,b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := runlog.Open(ctx, filepath.Join(dir, "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	at := time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)
	exit := 0
	p := &placement{res: &runlog.Result{Status: runlog.StatusSucceeded, ExitCode: &exit}}
	spec := launch.Spec{
		Image: image, Argv: []string{"/trainer", "--seed", "7"}, NoCode: true,
		Data:           []launch.DataArg{{Name: "train", Path: data}},
		DefaultOutRoot: filepath.Join(dir, "outputs"),
		Placement:      p,
		NewID:          func() string { return strings.Repeat("ab", 16) },
		Now:            func() time.Time { return at },
		Host: func(context.Context) provenance.Host {
			return provenance.Host{User: "ada", Hostname: "node-a", OS: "linux", Arch: "amd64"}
		},
	}
	out, err := launch.Run(ctx, l, spec)
	if err != nil {
		t.Fatal(err)
	}
	r := out.Run
	if r.ID != strings.Repeat("ab", 16) || !r.StartedAt.Equal(at) || r.Host.Hostname != "node-a" || r.Host.User != "ada" {
		t.Errorf("recorded ID %s at %s on %s@%s; want the spec's", r.ID, r.StartedAt, r.Host.User, r.Host.Hostname)
	}
	if want := filepath.Join(dir, "outputs", "abababababab"); r.OutDir != want {
		t.Errorf("out dir %s, want %s", r.OutDir, want)
	}
	if r.Status != runlog.StatusSucceeded || len(p.ran) != 1 || p.ran[0].Status != runlog.StatusRunning {
		t.Errorf("status %s after %d placements", r.Status, len(p.ran))
	}
	if len(r.Data) != 1 || r.Data[0].Digest != "sha256:"+sha256hex("a,b\n") {
		t.Errorf("data recorded as %+v", r.Data)
	}
	job, err := l.JobOf(ctx, r.ID)
	if err != nil || job == nil || job.Scheduler != runlog.SchedulerSlurm || strings.Join(job.Args, " ") != "--partition=test" {
		t.Errorf("job %+v, %v", job, err)
	}
}

// A placement's refusal comes before anything is recorded or made.
func TestRun_PlacementRefusesFirst(t *testing.T) {
	ctx := context.Background()
	image := testImage(t)
	dir := t.TempDir()
	l, err := runlog.Open(ctx, filepath.Join(dir, "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	refusal := errors.New("--out is on a tmpfs")
	p := &placement{refuse: refusal}
	out := filepath.Join(dir, "out")
	_, err = launch.Run(ctx, l, launch.Spec{Image: image, NoCode: true, OutDir: out, Placement: p})
	if !errors.Is(err, refusal) {
		t.Fatalf("Run = %v, want the placement's refusal", err)
	}
	runs, err := l.List(ctx, runlog.Filter{})
	if err != nil || len(runs) != 0 || len(p.ran) != 0 {
		t.Errorf("after a refusal: %d runs recorded, %d placed, %v", len(runs), len(p.ran), err)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("--out was made before the refusal: %v", err)
	}
}

func sha256hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}
