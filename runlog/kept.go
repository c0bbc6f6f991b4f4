package runlog

import (
	"context"
	"database/sql"
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
	return l.write(ctx, func(tx *sql.Tx) error {
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
