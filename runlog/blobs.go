package runlog

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
)

// BlobDigest is the digest a blob is stored under: sha256 of its bytes.
func BlobDigest(b []byte) string {
	h := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(h[:])
}

func putBlob(ctx context.Context, tx *txn, digest, kind string, data []byte) error {
	// Content-addressed: a blob already stored is not compressed again.
	if held, _ := hasBlob(ctx, tx, digest); held {
		return nil
	}
	z, err := compressBlob(data)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO blobs (digest, kind, size, data) VALUES (?, ?, ?, ?) ON CONFLICT (digest) DO NOTHING`, digest, kind, len(data), z)
	return err
}

// compressBlob is data as the blobs table stores it: gzip-compressed.
func compressBlob(data []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(data)
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// HasBlob says whether the ledger holds a blob under digest.
func (l *Ledger) HasBlob(ctx context.Context, digest string) (bool, error) {
	if l.db == nil {
		return false, nil
	}
	held, err := hasBlob(ctx, l.db, digest)
	return held, explain(err)
}

func hasBlob(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, digest string) (bool, error) {
	var one int
	err := q.QueryRowContext(ctx, "SELECT 1 FROM blobs WHERE digest = ?", digest).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// ErrNoBlob is returned for a blob the ledger does not hold.
var ErrNoBlob = errors.New("not stored in the ledger")

// Blob returns the bytes stored under digest: a dirty run's patch, or a
// dataset version's listing.
func (l *Ledger) Blob(ctx context.Context, digest string) ([]byte, error) {
	if l.db == nil {
		return nil, fmt.Errorf("blob %s: %w", digest, ErrNoBlob)
	}
	var data []byte
	err := l.db.QueryRowContext(ctx, "SELECT data FROM blobs WHERE digest = ?", digest).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("blob %s: %w", digest, ErrNoBlob)
	}
	if err != nil {
		return nil, explain(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("blob %s is damaged: %w", digest, err)
	}
	return io.ReadAll(zr)
}
