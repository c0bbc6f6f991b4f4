package runlog

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// SchedulerSlurm is the one scheduler repro submits to.
const SchedulerSlurm = "slurm"

// Job is the scheduler's side of a run that a scheduler ran (repro run
// --on slurm): the run itself is recorded as any other; this says where
// it was queued and what the scheduler said of it.
type Job struct {
	Scheduler string   `json:"scheduler"`
	ID        string   `json:"id,omitempty"`     // the job ID, once submitted
	Args      []string `json:"args"`             // the scheduler's own arguments, as given
	Node      string   `json:"node,omitempty"`   // where it ran
	State     string   `json:"state,omitempty"`  // the scheduler's last word: COMPLETED, TIMEOUT...
	Reason    string   `json:"reason,omitempty"` // the scheduler's reason, when it gave one
}

// Validate checks a job read back from a ledger for runID: a job ID is
// digits, and nothing holds a control character (the values are shown,
// and a job ID is passed to scontrol and scancel).
func (j *Job) Validate(runID string) error {
	bad := func(field, value, rule string) error {
		return &InvalidRunError{RunID: runID, Field: "run_jobs." + field, Value: value, Rule: rule}
	}
	if j.Scheduler != SchedulerSlurm {
		return bad("scheduler", j.Scheduler, "slurm")
	}
	if !ValidJobID(j.ID) && j.ID != "" {
		return bad("job_id", j.ID, "digits")
	}
	for _, a := range j.Args {
		if !plainText(a) || a == "" {
			return bad("args", a, "text without control characters")
		}
	}
	for _, f := range []struct{ name, v string }{{"node", j.Node}, {"state", j.State}, {"reason", j.Reason}} {
		if !plainText(f.v) || len(f.v) > 1024 {
			return bad(f.name, f.v, "text without control characters, at most 1024 bytes")
		}
	}
	if strings.Trim(j.State, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_") != "" {
		return bad("state", j.State, "upper-case letters and '_'")
	}
	return nil
}

// ValidJobID says whether s is a job ID as Slurm prints one for a job
// sbatch submitted: digits.
func ValidJobID(s string) bool {
	return s != "" && len(s) <= 20 && strings.Trim(s, "0123456789") == ""
}

// RecordJob records (again: replaces) the scheduler's side of run id.
func (l *Ledger) RecordJob(ctx context.Context, id string, j Job) error {
	if !ValidID(id) {
		return fmt.Errorf("run ID %q is not 32 lowercase hex digits", id)
	}
	if j.Args == nil {
		j.Args = []string{}
	}
	if err := j.Validate(id); err != nil {
		return err
	}
	return l.write(ctx, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO run_jobs (run_id, scheduler, job_id, args, node, state, reason) VALUES (?,?,?,?,?,?,?)
			ON CONFLICT(run_id) DO UPDATE SET scheduler = excluded.scheduler, job_id = excluded.job_id, args = excluded.args,
			node = excluded.node, state = excluded.state, reason = excluded.reason`,
			id, j.Scheduler, j.ID, js(j.Args, "[]"), j.Node, j.State, j.Reason)
		return err
	})
}

// JobOf returns the scheduler's side of run id (nil: the run ran on the
// machine that recorded it), validated.
func (l *Ledger) JobOf(ctx context.Context, id string) (*Job, error) {
	if l.db == nil {
		return nil, nil
	}
	var j Job
	var args string
	err := l.db.QueryRowContext(ctx, `SELECT scheduler, job_id, args, node, state, reason FROM run_jobs WHERE run_id = ?`, id).
		Scan(&j.Scheduler, &j.ID, &args, &j.Node, &j.State, &j.Reason)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, explain(err)
	}
	if err := json.Unmarshal([]byte(args), &j.Args); err != nil || j.Args == nil {
		return nil, &InvalidRunError{RunID: id, Field: "run_jobs.args", Value: args, Rule: "a JSON array of strings"}
	}
	if err := j.Validate(id); err != nil {
		return nil, err
	}
	return &j, nil
}
