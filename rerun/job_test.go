package rerun_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/reprohq/repro/rerun"
	"github.com/reprohq/repro/runlog"
)

// runningRun is a run as recorded before its job is submitted.
func runningRun() *runlog.Run {
	r := finishedRun([]string{"--seed", "3"}, []runlog.EnvVar{{Name: "MODE", Value: "fast"}})
	r.Status, r.ExitCode, r.FinishedAt = runlog.StatusRunning, nil, nil
	return r
}

// jobEngine stands in for docker on the node: its run prints its
// arguments and then runs until stop is asked for; every call is logged.
const jobEngine = `#!/bin/sh
echo "$*" >>"$FAKE_LOG"
case "$1" in
pull) exit 0 ;;
image) echo "` + config + `" ;;
run)
	while [ ! -e "$FAKE_LOG.stopped" ]; do sleep 0.05; done
	exit 143
	;;
stop) : >"$FAKE_LOG.stopped" ;;
rm) ;;
*) exit 99 ;;
esac
`

// jobDir writes r's job script with a fake docker first on PATH and
// returns the job directory, the script and the PATH to run it with.
func jobDir(t *testing.T, r *runlog.Run) (dir, script string, env []string) {
	t.Helper()
	dir = t.TempDir()
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "docker"), []byte(jobEngine), 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := rerun.Script(r, rerun.Options{Job: &rerun.Job{Dir: dir}})
	if err != nil {
		t.Fatal(err)
	}
	script = filepath.Join(dir, "job.sh")
	if err := rerun.WriteFile(script, b); err != nil {
		t.Fatal(err)
	}
	env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "FAKE_LOG="+filepath.Join(dir, "engine.log"),
		// The job runs the recorded engine, whatever the job's
		// environment says.
		"REPRO_ENGINE=/nonexistent/engine")
	return dir, script, env
}

// A TERM to the job script (Slurm cancelling the job) stops the
// container by its name, waits for the engine's client and removes the
// container, under every shell.
func TestJob_TermStopsContainer(t *testing.T) {
	for _, sh := range shells(t, allShells) {
		t.Run(filepath.Base(strings.Join(sh, " ")), func(t *testing.T) {
			r := runningRun()
			dir, script, env := jobDir(t, r)
			cmd := exec.Command(sh[0], append(sh[1:], script)...)
			cmd.Env = env
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			logPath := filepath.Join(dir, "engine.log")
			deadline := time.Now().Add(10 * time.Second)
			for {
				b, _ := os.ReadFile(logPath)
				if strings.Contains(string(b), "run ") {
					break
				}
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					cmd.Wait()
					t.Fatalf("the container never started: %s\n%s", b, stderr.String())
				}
				time.Sleep(20 * time.Millisecond)
			}
			cmd.Process.Signal(syscall.SIGTERM)
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("the job script did not end after TERM: %s", stderr.String())
			}
			b, _ := os.ReadFile(logPath)
			log := string(b)
			name := "repro-" + r.ShortID()
			for _, want := range []string{"run --rm --init --name " + name + " --label repro.run=" + r.ID, "stop --time 10 " + name, "rm --force " + name} {
				if !strings.Contains(log, want) {
					t.Errorf("the engine was not asked %q; it was asked:\n%s\nstderr: %s", want, log, stderr.String())
				}
			}
			if _, err := os.Stat(filepath.Join(dir, rerun.RefusedFile)); err == nil {
				t.Error("a job that started its container wrote a refusal")
			}
		})
	}
}

// A dataset changed since the run was recorded: the job refuses before
// the container starts, and writes why for the submitting repro.
func TestJob_RefusesChangedData(t *testing.T) {
	data := filepath.Join(t.TempDir(), "train.csv")
	if err := os.WriteFile(data, []byte("changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runningRun()
	r.Data = []runlog.Dataset{{Name: "train", Path: data, Kind: "file", Digest: digest, Files: 1, Bytes: 4}}
	dir, script, env := jobDir(t, r)
	// The job reads the recorded path, not one the environment names.
	env = append(env, "REPRO_DATA_train="+filepath.Join(dir, "elsewhere"))
	cmd := exec.Command("sh", script)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("a changed dataset was not refused:\n%s", out)
	}
	b, err := os.ReadFile(filepath.Join(dir, rerun.RefusedFile))
	if err != nil {
		t.Fatalf("no refusal written: %v\n%s", err, out)
	}
	if !strings.Contains(string(b), "dataset train at "+data+" has digest sha256:") || !strings.Contains(string(b), "changed between the submission and the job's start") {
		t.Errorf("refusal %q does not name the dataset and what happened", b)
	}
	if log, _ := os.ReadFile(filepath.Join(dir, "engine.log")); strings.Contains(string(log), "run ") {
		t.Errorf("a container started after the refusal:\n%s", log)
	}
}

func TestJob_Script(t *testing.T) {
	r := runningRun()
	if _, err := rerun.Script(r, rerun.Options{}); err == nil {
		t.Error("a re-run script was written for a run still running")
	}
	if _, err := rerun.Script(r, rerun.Options{Job: &rerun.Job{Dir: "relative"}}); err == nil {
		t.Error("a job script was written with a relative job directory")
	}
	if _, err := rerun.Script(r, rerun.Options{Job: &rerun.Job{Dir: "/jobs/a\nb"}}); err == nil {
		t.Error("a job script was written with a line break in its directory")
	}
	if _, err := exec.LookPath("shellcheck"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("shellcheck is missing")
		}
		t.Skip("shellcheck is missing")
	}
	r = runningRun()
	r.Argv = hostile
	r.Env = []runlog.EnvVar{{Name: "MODE", Value: "it's"}, {Name: "WANDB_API_KEY", Secret: true}}
	r.Commit, r.Remote, r.CodeDir, r.CodeMount = strings.Repeat("c", 40), "https://example.invalid/x.git", "/src/it's here", true
	r.OutDir, r.RerunOf = "/out dir", strings.Repeat("a", 32)
	r.Data = []runlog.Dataset{
		{Name: "train", Path: "/data/train's", Kind: "dir", Digest: digest, Files: 3, Bytes: 10},
		{Name: "labels.v2", Path: "/data/labels.csv", Kind: "file", Digest: config, Files: 1, Bytes: 4},
	}
	script, err := rerun.Script(r, rerun.Options{Job: &rerun.Job{Dir: "/shared/jobs/it's"}})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "job.sh")
	if err := rerun.WriteFile(path, script); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("shellcheck", "--shell=sh", path).CombinedOutput(); err != nil {
		t.Fatalf("shellcheck: %v\n%s\n%s", err, out, script)
	}
	s := string(script)
	for _, bad := range []string{"REPRO_ENGINE:-", "REPRO_OUT:-", "REPRO_DATA_train:-"} {
		if strings.Contains(s, bad) {
			t.Errorf("the job script lets the environment move a recorded value: %s", bad)
		}
	}
	// The work tree first: it has the commit even when it was never pushed.
	if i, j := strings.Index(s, "'/src/it'\\''s here'"), strings.Index(s, "'https://example.invalid/x.git'"); i < 0 || j < 0 || i > j {
		t.Errorf("the job does not clone from the work tree first")
	}
	if !strings.Contains(s, "--label 'repro.rerun-of="+r.RerunOf+"'") {
		t.Error("a re-run's job does not label its container with the run it re-runs")
	}
}
