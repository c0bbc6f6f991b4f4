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

// FileHashTree is a dataset directory's state as a whole, saved with its
// hash cache record: a digest of its files' stat data, and its version.
type FileHashTree struct {
	State  []byte
	Digest string
}

// FileHashTree returns the tree state saved with a dataset directory's
// hash cache record (nil when there is none).
func (l *Ledger) FileHashTree(ctx context.Context, root string) (*FileHashTree, error) {
	if l.db == nil {
		return nil, nil
	}
	var t FileHashTree
	err := l.db.QueryRowContext(ctx, "SELECT state, digest FROM file_hash_trees WHERE root = ?", root).Scan(&t.State, &t.Digest)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, explain(err)
	}
	return &t, nil
}

// PutFileHashes replaces the hash cache record of a dataset directory, and
// its tree state with tree (nil: none).
func (l *Ledger) PutFileHashes(ctx context.Context, root string, data []byte, tree *FileHashTree) error {
	return explainWrite(l.write(ctx, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO file_hashes (root, data, updated_at) VALUES (?, ?, ?)
			ON CONFLICT(root) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at`, root, data, l.stamp())
		if err != nil {
			return err
		}
		if tree == nil {
			_, err = tx.ExecContext(ctx, "DELETE FROM file_hash_trees WHERE root = ?", root)
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO file_hash_trees (root, state, digest) VALUES (?, ?, ?)
			ON CONFLICT(root) DO UPDATE SET state = excluded.state, digest = excluded.digest`, root, tree.State, tree.Digest)
		return err
	}))
}
