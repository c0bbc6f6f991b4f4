// Package slurm submits runs to a Slurm cluster and asks it how they
// ended, through Slurm's own commands (sbatch, scontrol, sacct, scancel),
// as a user at a login node would.
//
// The job of a run is its pinned re-run script (package rerun), written
// for the job: the node clones the recorded commit, re-checks every
// dataset's digest with coreutils and refuses a changed one before any
// container starts; the container is named after the run, and the script
// stops it when Slurm cancels the job.
package slurm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/reprohq/repro/runlog"
)

// Client runs Slurm's commands. The zero Client, and a nil one, find
// them on PATH and use the cluster that SLURM_CONF (or Slurm's default)
// names.
type Client struct {
	// Bin maps a command's name (sbatch, scontrol, sacct, scancel) to
	// the program to run; a name not in it is found on PATH.
	Bin map[string]string
}

func (c *Client) bin(name string) string {
	if c == nil {
		return name
	}
	if b, ok := c.Bin[name]; ok {
		return b
	}
	return name
}

// run runs one of Slurm's commands and returns its output; a failure
// carries the command's own message.
func (c *Client) run(ctx context.Context, name string, args ...string) (string, error) {
	return c.runInput(ctx, "", name, args...)
}

// runInput is run with stdin reading input.
func (c *Client) runInput(ctx context.Context, input, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, c.bin(name), args...)
	cmd.Stdin = strings.NewReader(input)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		var ee *exec.Error
		if errors.As(err, &ee) {
			return "", &MissingError{Command: name}
		}
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return stdout.String(), &CommandError{Command: name, Message: firstLine(msg)}
	}
	return stdout.String(), nil
}

// MissingError is a Slurm command that is not on PATH: this machine is
// not a Slurm login node.
type MissingError struct{ Command string }

func (e *MissingError) Error() string {
	return fmt.Sprintf("%s is not on PATH: Slurm jobs are submitted from a machine where Slurm's commands work (a login node of the cluster)", e.Command)
}

// CommandError is a Slurm command that failed, with its own message.
type CommandError struct{ Command, Message string }

func (e *CommandError) Error() string { return e.Command + ": " + e.Message }

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return runlog.Visible(line)
}

// Submission is one batch job to submit.
type Submission struct {
	Script string   // the job script
	Name   string   // the job's name
	Dir    string   // its working directory
	Stdout string   // where its stdout goes
	Stderr string   // where its stderr goes
	Args   []string // the user's own sbatch options (CheckArgs)
}

// owned are the sbatch options a run's job sets itself: given again,
// they would send its output elsewhere, rename it, or replace its script.
var owned = []string{"-o", "--output", "-e", "--error", "-J", "--job-name", "-D", "--chdir",
	"--wrap", "--parsable", "-W", "--wait", "--test-only", "-i", "--input", "--export-file"}

// ArgError is a user's sbatch argument refused: the argument, and why.
type ArgError struct {
	Arg string
	Why string
}

func (e *ArgError) Error() string {
	return fmt.Sprintf("sbatch argument %q %s", e.Arg, e.Why)
}

// CheckArgs refuses a user's sbatch argument that is not an option, or
// is one that the job sets itself.
func CheckArgs(args []string) error {
	for _, a := range args {
		if !strings.HasPrefix(a, "-") || a == "-" || a == "--" {
			return &ArgError{Arg: a, Why: "is not an sbatch option; write each as one argument, its value after =, as in --partition=gpu"}
		}
		if strings.ContainsAny(a, "\x00\n\r") {
			return &ArgError{Arg: a, Why: "holds a line break or NUL byte"}
		}
		name, _, _ := strings.Cut(a, "=")
		for _, o := range owned {
			short := len(o) == 2
			if name == o || short && strings.HasPrefix(a, o) {
				return &ArgError{Arg: a, Why: "sets what repro sets for the job itself (its name, script, output files and working directory); leave it out"}
			}
		}
	}
	return nil
}

// Submit queues s and returns its job ID.
func (c *Client) Submit(ctx context.Context, s Submission) (string, error) {
	if err := CheckArgs(s.Args); err != nil {
		return "", err
	}
	args := []string{"--parsable", "--job-name=" + s.Name, "--chdir=" + s.Dir, "--output=" + s.Stdout, "--error=" + s.Stderr}
	args = append(args, s.Args...)
	args = append(args, s.Script)
	out, err := c.run(ctx, "sbatch", args...)
	if err != nil {
		return "", fmt.Errorf("submit the job: %w", err)
	}
	// --parsable prints "ID" or "ID;CLUSTER".
	id, _, _ := strings.Cut(strings.TrimSpace(out), ";")
	if !runlog.ValidJobID(id) {
		return "", fmt.Errorf("sbatch printed %q, not a job ID", firstLine(out))
	}
	return id, nil
}

// Test asks sbatch whether it would take a job with these options
// (--test-only: nothing is queued), so that a partition or a resource
// the cluster does not have is refused before anything is recorded.
func (c *Client) Test(ctx context.Context, args []string) error {
	if err := CheckArgs(args); err != nil {
		return err
	}
	if _, err := c.runInput(ctx, "#!/bin/sh\ntrue\n", "sbatch", append([]string{"--test-only"}, args...)...); err != nil {
		var me *MissingError
		if errors.As(err, &me) {
			return err
		}
		return &TestError{Err: err}
	}
	return nil
}

// TestError is sbatch --test-only refusing the job: Slurm would not take
// it with the options given.
type TestError struct{ Err error }

func (e *TestError) Error() string {
	return fmt.Sprintf("Slurm would not take the job (%v); check the sbatch options", e.Err)
}

func (e *TestError) Unwrap() error { return e.Err }

// Cancel cancels job id: Slurm signals the job script, which stops the
// run's container.
func (c *Client) Cancel(ctx context.Context, id string) error {
	if !runlog.ValidJobID(id) {
		return fmt.Errorf("job ID %q is not digits", runlog.Visible(id))
	}
	if _, err := c.run(ctx, "scancel", id); err != nil {
		return fmt.Errorf("cancel job %s: %w", id, err)
	}
	return nil
}

// State is what Slurm says of a job.
type State struct {
	State    string // PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT...
	Reason   string // why it waits, or how it ended ("None": no reason)
	ExitCode int    // the job script's exit status
	Signal   int    // the signal that ended the job script (0: none)
	Node     string // where it runs or ran
	End      time.Time
}

// Ended says whether the job is over: no state after this one.
func (s State) Ended() bool {
	switch s.State {
	case "PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "SUSPENDED", "REQUEUED",
		"REQUEUE_FED", "REQUEUE_HOLD", "RESIZING", "SIGNALING", "STAGE_OUT", "STOPPED", "RESV_DEL_HOLD":
		return false
	}
	return s.State != ""
}

// ErrUnknownJob is a job that neither the controller nor accounting
// knows.
var ErrUnknownJob = errors.New("Slurm knows no such job")

// Query asks Slurm about job id: the controller while it holds the job
// (scontrol), then accounting (sacct), then the job completion log
// (sacct -c, for clusters without slurmdbd).
func (c *Client) Query(ctx context.Context, id string) (State, error) {
	if !runlog.ValidJobID(id) {
		return State{}, fmt.Errorf("job ID %q is not digits", runlog.Visible(id))
	}
	out, err := c.run(ctx, "scontrol", "show", "job", "--oneliner", id)
	if err == nil {
		return parseScontrol(out)
	}
	var me *MissingError
	if errors.As(err, &me) {
		return State{}, err
	}
	if !strings.Contains(err.Error(), "Invalid job id") {
		return State{}, fmt.Errorf("ask Slurm about job %s: %w", id, err)
	}
	var last error = ErrUnknownJob
	for _, args := range [][]string{{"-j", id}, {"-c", "-j", id}} {
		args = append(args, "--parsable2", "--noheader", "--allocations", "--format=JobID,State,ExitCode,NodeList,Reason,End")
		out, err := c.run(ctx, "sacct", args...)
		if err != nil {
			last = fmt.Errorf("ask Slurm's accounting about job %s: %w", id, err)
			continue
		}
		if s, ok := parseSacct(out, id); ok {
			return s, nil
		}
	}
	return State{}, last
}

// parseScontrol reads `scontrol show job --oneliner`: Key=Value fields
// separated by spaces (a value may hold spaces; only the keys used here
// are read, each the first of its name).
func parseScontrol(out string) (State, error) {
	f := fields(strings.TrimSpace(out))
	s := State{State: f["JobState"], Reason: f["Reason"], Node: f["NodeList"]}
	if s.State == "" {
		return State{}, fmt.Errorf("scontrol printed no JobState: %q", firstLine(out))
	}
	if s.Node == "" || s.Node == "(null)" {
		s.Node = f["BatchHost"]
	}
	if s.Node == "(null)" {
		s.Node = ""
	}
	s.ExitCode, s.Signal = exitPair(f["ExitCode"])
	s.End = slurmTime(f["EndTime"])
	return s, nil
}

// fields splits scontrol's one-line form into its keys' values. A key is
// a word of letters, digits, '/', ':' and '_' right after a space (or at
// the start) followed by '='; everything up to the next key is its value.
func fields(line string) map[string]string {
	out := map[string]string{}
	var key string
	start := -1
	isKey := func(k string) bool {
		if k == "" {
			return false
		}
		for _, r := range k {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '/' || r == ':' || r == '_') {
				return false
			}
		}
		return true
	}
	words := strings.Split(line, " ")
	pos := 0
	for _, w := range words {
		if k, _, ok := strings.Cut(w, "="); ok && isKey(k) {
			if key != "" {
				if _, seen := out[key]; !seen {
					out[key] = strings.TrimSpace(line[start : pos-1])
				}
			}
			key, start = k, pos+len(k)+1
		}
		pos += len(w) + 1
	}
	if key != "" {
		if _, seen := out[key]; !seen && start <= len(line) {
			out[key] = strings.TrimSpace(line[start:])
		}
	}
	return out
}

// parseSacct reads sacct's --parsable2 lines for the allocation of job
// id: JobID|State|ExitCode|NodeList|Reason|End.
func parseSacct(out, id string) (State, bool) {
	for _, line := range strings.Split(out, "\n") {
		p := strings.Split(strings.TrimSpace(line), "|")
		if len(p) != 6 || p[0] != id {
			continue
		}
		// "CANCELLED by 1000": the state is the first word.
		state, _, _ := strings.Cut(p[1], " ")
		s := State{State: state, Node: p[3], Reason: p[4], End: slurmTime(p[5])}
		if s.Node == "None assigned" {
			s.Node = ""
		}
		s.ExitCode, s.Signal = exitPair(p[2])
		return s, state != ""
	}
	return State{}, false
}

// exitPair reads Slurm's "CODE:SIGNAL".
func exitPair(v string) (code, sig int) {
	c, s, _ := strings.Cut(v, ":")
	code, _ = strconv.Atoi(c)
	sig, _ = strconv.Atoi(s)
	return code, sig
}

// slurmTime reads Slurm's local "2006-01-02T15:04:05" (zero: unknown).
func slurmTime(v string) time.Time {
	t, err := time.ParseInLocation("2006-01-02T15:04:05", v, time.Local)
	if err != nil {
		return time.Time{}
	}
	return t
}
