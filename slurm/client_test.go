package slurm

import (
	"strings"
	"testing"

	"github.com/reprohq/repro/runlog"
)

func TestParseScontrol(t *testing.T) {
	for _, tc := range []struct {
		name, out string
		want      State
		ended     bool
	}{
		{
			name:  "failed",
			out:   "JobId=1 JobName=j.sh UserId=root(0) JobState=FAILED Reason=NonZeroExitCode Dependency=(null) ExitCode=3:0 RunTime=00:00:00 EndTime=2026-12-01T23:15:33 NodeList=vm BatchHost=vm Command=/tmp/a b/j.sh WorkDir=/tmp/sl StdErr=/tmp/sl/e.txt",
			want:  State{State: "FAILED", Reason: "NonZeroExitCode", ExitCode: 3, Node: "vm"},
			ended: true,
		},
		{
			name: "pending, no node yet",
			out:  "JobId=7 JobName=repro-x JobState=PENDING Reason=JobHeldUser Dependency=(null) ExitCode=0:0 EndTime=Unknown NodeList=(null) BatchHost=(null)\n",
			want: State{State: "PENDING", Reason: "JobHeldUser"},
		},
		{
			name:  "signal",
			out:   "JobId=9 JobState=CANCELLED Reason=None ExitCode=0:15 NodeList=node[1-2] EndTime=2026-12-01T23:15:33",
			want:  State{State: "CANCELLED", Reason: "None", Signal: 15, Node: "node[1-2]"},
			ended: true,
		},
		{
			name: "a value with spaces and an equals sign does not shift the keys",
			out:  "JobId=3 JobName=a b=c JobState=RUNNING Reason=None ExitCode=0:0 NodeList=vm",
			want: State{State: "RUNNING", Reason: "None", Node: "vm"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseScontrol(tc.out)
			if err != nil {
				t.Fatal(err)
			}
			got.End = got.End.UTC()
			want := tc.want
			if got.State != want.State || got.Reason != want.Reason || got.ExitCode != want.ExitCode || got.Signal != want.Signal || got.Node != want.Node {
				t.Errorf("got %+v, want %+v", got, want)
			}
			if got.Ended() != tc.ended {
				t.Errorf("Ended() = %v, want %v", got.Ended(), tc.ended)
			}
		})
	}
	if _, err := parseScontrol("slurm_load_jobs error: Invalid job id specified"); err == nil {
		t.Error("output without JobState parsed")
	}
}

func TestParseScontrolEndTime(t *testing.T) {
	s, err := parseScontrol("JobId=1 JobState=COMPLETED EndTime=2026-12-01T23:15:33 NodeList=vm")
	if err != nil {
		t.Fatal(err)
	}
	if s.End.IsZero() || s.End.Format("2006-01-02T15:04:05") != "2026-12-01T23:15:33" {
		t.Errorf("End = %v", s.End)
	}
}

func TestParseSacct(t *testing.T) {
	out := "12|CANCELLED by 0|0:15|vm|None|2026-12-01T23:15:33\n12.batch|CANCELLED|0:15|vm||2026-12-01T23:15:33\n"
	s, ok := parseSacct(out, "12")
	if !ok || s.State != "CANCELLED" || s.Signal != 15 || s.Node != "vm" {
		t.Errorf("got %+v, %v", s, ok)
	}
	if _, ok := parseSacct(out, "1"); ok {
		t.Error("job 1 found in job 12's lines")
	}
	if s, ok := parseSacct("5|PENDING|0:0|None assigned||Unknown\n", "5"); !ok || s.Node != "" || s.Ended() {
		t.Errorf("pending: %+v %v", s, ok)
	}
	if _, ok := parseSacct("5|FAILED|1:0\n", "5"); ok {
		t.Error("a short line parsed")
	}
}

func TestCheckArgs(t *testing.T) {
	for _, tc := range []struct {
		arg string
		ok  bool
	}{
		{"--partition=gpu", true},
		{"--gres=gpu:1", true},
		{"--time=1", true},
		{"-pgpu", true},
		{"--hold", true},
		{"--output=x", false},
		{"-ox", false},
		{"-o", false},
		{"--error=/dev/null", false},
		{"--job-name=x", false},
		{"-Jx", false},
		{"--chdir=/", false},
		{"--wrap=rm -rf /", false},
		{"--parsable", false},
		{"--wait", false},
		{"partition=gpu", false},
		{"-", false},
		{"--", false},
		{"--comment=a\nb", false},
	} {
		err := CheckArgs([]string{tc.arg})
		if (err == nil) != tc.ok {
			t.Errorf("CheckArgs(%q) = %v, want ok %v", tc.arg, err, tc.ok)
		}
	}
}

func TestOutcome(t *testing.T) {
	job := runlog.Job{Scheduler: runlog.SchedulerSlurm, ID: "12", Args: []string{}}
	for _, tc := range []struct {
		name    string
		st      State
		refused string
		status  string
		exit    *int
		code    int
		errHas  string
		oom     bool
	}{
		{name: "completed", st: State{State: "COMPLETED", Node: "n1"}, status: runlog.StatusSucceeded, exit: ptr(0), code: 0},
		{name: "failed with the container's status", st: State{State: "FAILED", ExitCode: 3, Reason: "NonZeroExitCode"}, status: runlog.StatusFailed, exit: ptr(3), code: 3},
		{name: "failed by Slurm itself", st: State{State: "FAILED", Reason: "Prolog"}, status: runlog.StatusFailed, code: 1, errHas: "FAILED"},
		{name: "cancelled", st: State{State: "CANCELLED", Signal: 15}, status: runlog.StatusInterrupted, exit: ptr(143), code: 143, errHas: "was cancelled"},
		{name: "timeout", st: State{State: "TIMEOUT", ExitCode: 3}, status: runlog.StatusFailed, exit: ptr(3), code: 3, errHas: "reached its time limit (TIMEOUT)"},
		{name: "timeout killed", st: State{State: "TIMEOUT", Signal: 9}, status: runlog.StatusFailed, exit: ptr(137), code: 137, errHas: "TIMEOUT"},
		{name: "out of memory", st: State{State: "OUT_OF_MEMORY", ExitCode: 0, Signal: 9}, status: runlog.StatusFailed, exit: ptr(137), code: 137, errHas: "OUT_OF_MEMORY", oom: true},
		{name: "node failure", st: State{State: "NODE_FAIL", Node: "n3"}, status: runlog.StatusLost, code: 1, errHas: "its node failed (NODE_FAIL) on n3"},
		{name: "preempted", st: State{State: "PREEMPTED"}, status: runlog.StatusInterrupted, exit: ptr(0), code: 143, errHas: "preempted"},
		{name: "other", st: State{State: "BOOT_FAIL"}, status: runlog.StatusLost, code: 1, errHas: "BOOT_FAIL"},
		{name: "deadline", st: State{State: "DEADLINE"}, status: runlog.StatusFailed, exit: ptr(0), code: 1, errHas: "DEADLINE"},
		{name: "unknown state", st: State{State: "WEIRD-1"}, status: runlog.StatusFailed, exit: ptr(0), code: 1, errHas: "ended UNKNOWN"},
		{name: "refused on the node", st: State{State: "FAILED", ExitCode: 1, Node: "n1"}, refused: "dataset train changed", status: runlog.StatusFailed, code: 1, errHas: "refused to start the container on n1: dataset train changed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			settled, res, code := Outcome(job, tc.st, tc.refused)
			if res.Status != tc.status || code != tc.code || res.OOMKilled != tc.oom {
				t.Errorf("status %s, code %d, oom %v; want %s, %d, %v", res.Status, code, res.OOMKilled, tc.status, tc.code, tc.oom)
			}
			switch {
			case tc.exit == nil && res.ExitCode != nil:
				t.Errorf("exit code %d, want none", *res.ExitCode)
			case tc.exit != nil && (res.ExitCode == nil || *res.ExitCode != *tc.exit):
				t.Errorf("exit code %v, want %d", res.ExitCode, *tc.exit)
			}
			if !strings.Contains(res.Error, tc.errHas) {
				t.Errorf("error %q does not say %q", res.Error, tc.errHas)
			}
			if err := settled.Validate(strings.Repeat("a", 32)); err != nil {
				t.Errorf("the settled job would be refused when read back: %v", err)
			}
		})
	}
}

// The scheduler's words become a record: control characters in them are
// made visible, so that the record is accepted when read back.
func TestOutcomeHostileScheduler(t *testing.T) {
	job := runlog.Job{Scheduler: runlog.SchedulerSlurm, ID: "1", Args: []string{}}
	settled, res, _ := Outcome(job, State{State: "FAILED", ExitCode: 2, Node: "n\x1b[2J1", Reason: "a\nb"}, "")
	if err := settled.Validate(strings.Repeat("b", 32)); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(settled.Node+settled.Reason+res.Error, "\x1b\n") {
		t.Errorf("control characters kept: %q %q %q", settled.Node, settled.Reason, res.Error)
	}
}

func ptr(i int) *int { return &i }
