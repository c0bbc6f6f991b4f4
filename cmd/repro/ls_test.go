package main

import (
	"strings"
	"testing"
	"time"

	"github.com/reprohq/repro/runlog"
)

// Each column of repro ls, for people (a terminal) and for scripts.
func TestRunCell(t *testing.T) {
	start := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	end := start.Add(90*time.Second + 250*time.Millisecond)
	code := 3
	digest := "sha256:" + strings.Repeat("ab", 32)
	r := &runlog.Run{
		ID: strings.Repeat("4e", 16), Name: "", Status: runlog.StatusFailed, ExitCode: &code,
		ImageRepo: "127.0.0.1:5000/trainer", ImageTag: "1.0", ImageDigest: digest,
		Commit: strings.Repeat("c", 40), Dirty: true,
		Data:      []runlog.Dataset{{Name: "train", Digest: digest}, {Name: "labels", Digest: digest}},
		StartedAt: start, FinishedAt: &end, Labels: map[string]string{"sweep": "lr", "best": "true"},
		Metrics: map[string]float64{"acc": 0.875}, OutputsDigest: digest,
		Host: runlog.Host{User: "ada", Hostname: "login\x1b1"},
	}
	for _, tc := range []struct {
		col, script, terminal string
	}{
		{"id", r.ID, "4e4e4e4e4e4e"},
		{"name", "-", "-"},
		{"status", "failed", "failed"},
		{"exit", "3", "3"},
		{"image", "127.0.0.1:5000/trainer@" + digest, "127.0.0.1:5000/trainer:1.0 (sha256:abababababab…)"},
		{"commit", strings.Repeat("c", 40) + "*", "cccccccccccc*"},
		{"data", "train=" + digest + ",labels=" + digest, "train,labels"},
		{"started", "2026-11-20T09:00:00Z", start.Local().Format("2006-01-02 15:04:05")},
		{"finished", "2026-11-20T09:01:30Z", end.Local().Format("2006-01-02 15:04:05")},
		// The duration, never the finished time (a bug once): seconds for
		// scripts, rounded for people.
		{"duration", "90.250", "1m30s"},
		{"user", "ada", "ada"},
		{"host", `login\x1b1`, `login\x1b1`},
		{"labels", "best=true,sweep=lr", "best=true,sweep=lr"},
		{"outputs", digest, "sha256:abababababab…"},
		{"metric:acc", "0.875", "0.875"},
		{"metric:loss", "-", "-"},
	} {
		if got := runCell(r, tc.col, false); got != tc.script {
			t.Errorf("%s for scripts = %q, want %q", tc.col, got, tc.script)
		}
		if got := runCell(r, tc.col, true); got != tc.terminal {
			t.Errorf("%s on a terminal = %q, want %q", tc.col, got, tc.terminal)
		}
	}
	running := &runlog.Run{ID: r.ID, Status: runlog.StatusRunning, StartedAt: time.Now().Add(-time.Minute)}
	if got := runCell(running, "duration", false); got != "-" {
		t.Errorf("a running run's duration for scripts = %q, want -", got)
	}
	if got := runCell(running, "duration", true); !strings.HasSuffix(got, "…") {
		t.Errorf("a running run's duration on a terminal = %q, want a running time", got)
	}
}

func TestParseColumns(t *testing.T) {
	cols, err := parseColumns("id, user,host,metric:acc")
	if err != nil || strings.Join(cols, " ") != "id user host metric:acc" {
		t.Errorf("parseColumns = %v, %v", cols, err)
	}
	for _, bad := range []string{"nope", "metric:", "id,,status"} {
		if _, err := parseColumns(bad); err == nil {
			t.Errorf("parseColumns(%q) accepted", bad)
		}
	}
}

func TestPlaceFlags_Validate(t *testing.T) {
	for _, tc := range []struct {
		f    placeFlags
		want string // "" : valid
	}{
		{placeFlags{}, ""},
		{placeFlags{on: "slurm", slurmArgs: []string{"--partition=gpu"}, detach: true}, ""},
		{placeFlags{on: "pbs"}, "the one scheduler is slurm"},
		{placeFlags{detach: true}, "go with --on slurm"},
		{placeFlags{slurmArgs: []string{"--time=1"}}, "go with --on slurm"},
		{placeFlags{on: "slurm", slurmArgs: []string{"--output=x"}}, `--slurm-arg "--output=x" sets what repro sets`},
		{placeFlags{on: "slurm", slurmArgs: []string{"gpu"}}, `--slurm-arg "gpu" is not an sbatch option`},
	} {
		err := tc.f.validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%+v: %v", tc.f, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%+v: %v, want %q", tc.f, err, tc.want)
		}
	}
}

func TestJobSummary(t *testing.T) {
	for _, tc := range []struct {
		j    runlog.Job
		want string
	}{
		{runlog.Job{Scheduler: "slurm"}, "slurm (not submitted)"},
		{runlog.Job{Scheduler: "slurm", ID: "12", Node: "n7", State: "TIMEOUT", Reason: "TimeLimit", Args: []string{"--time=1", "--comment=a b"}},
			"slurm 12 on n7, TIMEOUT (TimeLimit); sbatch --time=1 '--comment=a b'"},
	} {
		if got := jobSummary(&tc.j); got != tc.want {
			t.Errorf("jobSummary = %q, want %q", got, tc.want)
		}
	}
}
