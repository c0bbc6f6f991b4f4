package runlog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// KeptCopy is a copy of a run's image in another repository.
type KeptCopy struct {
	Repository string `json:"repository"`
	Tag        string `json:"tag"`
	KeptAt     string `json:"kept_at"`
}

// RecordKept records that run id's image was copied to repository under
// tag (again: the time is updated).
func (l *Ledger) RecordKept(ctx context.Context, id, repository, tag string) error {
	if !ValidID(id) {
		return fmt.Errorf("run ID %q is not 32 lowercase hex digits", id)
	}
	now := l.stamp()
	return l.write(ctx, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO kept_copies (run_id, repository, tag, kept_at) VALUES (?,?,?,?)
			ON CONFLICT(run_id, repository) DO UPDATE SET tag = excluded.tag, kept_at = excluded.kept_at`, id, repository, tag, now)
		return err
	})
}

// KeptCopies lists the kept copies of run id's image, oldest first. They
// are read back as input: callers check each repository before use.
func (l *Ledger) KeptCopies(ctx context.Context, id string) ([]KeptCopy, error) {
	out := []KeptCopy{}
	if l.db == nil {
		return out, nil
	}
	rows, err := l.db.QueryContext(ctx, `SELECT repository, tag, kept_at FROM kept_copies WHERE run_id = ? ORDER BY kept_at, repository`, id)
	if err != nil {
		return nil, explain(err)
	}
	defer rows.Close()
	for rows.Next() {
		var k KeptCopy
		if err := rows.Scan(&k.Repository, &k.Tag, &k.KeptAt); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// Imported is where an imported run came from.
type Imported struct {
	Signer     string `json:"signer"` // key ID, or "unsigned"
	Source     string `json:"source"` // the image its attestation was attached to
	ImportedAt string `json:"imported_at"`
}

// Import records a finished run read from an attestation, as it was: its
// own start and finish times, outputs and metrics, and patch when given.
// It is chained here (begin and end links, as repro would have), and
// marked imported with its signer and source. A run already in the
// ledger is left alone (fresh is false).
func (l *Ledger) Import(ctx context.Context, r *Run, patch []byte, signer, source string) (fresh bool, err error) {
	if err := r.Validate(); err != nil {
		return false, err
	}
	if r.Status == StatusRunning || r.FinishedAt == nil {
		return false, fmt.Errorf("run %s: an imported run must be finished", r.ShortID())
	}
	if r.PatchDigest != "" && patch != nil && BlobDigest(patch) != r.PatchDigest {
		return false, fmt.Errorf("run %s: its uncommitted changes do not match their digest %s", r.ShortID(), r.PatchDigest)
	}
	now := l.stamp()
	err = explainWrite(l.write(ctx, func(tx *txn) error {
		if fresh, err = l.copyRun(ctx, tx, r, patch, now); err != nil || !fresh {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO imported_runs (run_id, signer, source, imported_at) VALUES (?,?,?,?)`, r.ID, signer, source, now)
		return err
	}))
	return fresh, err
}

// copyRun records finished run r as it was recorded elsewhere (with patch,
// its uncommitted changes, when it has some): begun, chained, finished at
// its own time and chained again. fresh is false when r was already here.
func (l *Ledger) copyRun(ctx context.Context, tx *txn, r *Run, patch []byte, now string) (fresh bool, err error) {
	res := Result{Status: r.Status, ExitCode: r.ExitCode, Signal: r.Signal, OOMKilled: r.OOMKilled, Error: r.Error,
		OutputsDigest: r.OutputsDigest, Outputs: r.Outputs, Metrics: r.Metrics}
	begun := *r
	begun.Status, begun.Patch = StatusRunning, patch
	cs := contexts{}
	if fresh, err = begin(ctx, tx, &begun, cs); err != nil || !fresh {
		return fresh, err
	}
	if err := chainRun(ctx, tx, r.ID, linkBegin, l.signer, now, cs); err != nil {
		return true, err
	}
	return true, finish(ctx, tx, r.ID, res, r.FinishedAt.UTC().Format(TimeFormat), l.signer)
}

// ImportedFrom says where run id was imported from (nil: recorded here).
func (l *Ledger) ImportedFrom(ctx context.Context, id string) (*Imported, error) {
	if l.db == nil {
		return nil, nil
	}
	var im Imported
	err := l.db.QueryRowContext(ctx, `SELECT signer, source, imported_at FROM imported_runs WHERE run_id = ?`, id).Scan(&im.Signer, &im.Source, &im.ImportedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, explain(err)
	}
	return &im, nil
}
