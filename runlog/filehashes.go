package runlog

import (
	"context"
	"database/sql"
	"errors"
)

// FileHashes returns the hash cache record of a dataset directory (nil
// when there is none). Its encoding is provenance's.
func (l *Ledger) FileHashes(ctx context.Context, root string) ([]byte, error) {
	if l.db == nil {
		return nil, nil
	}
	var data []byte
	err := l.db.QueryRowContext(ctx, "SELECT data FROM file_hashes WHERE root = ?", root).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, explain(err)
	}
	return data, nil
}

// PutFileHashes replaces the hash cache record of a dataset directory.
func (l *Ledger) PutFileHashes(ctx context.Context, root string, data []byte) error {
	return explainWrite(l.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO file_hashes (root, data, updated_at) VALUES (?, ?, ?)
			ON CONFLICT(root) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at`, root, data, l.stamp())
		return err
	}))
}
