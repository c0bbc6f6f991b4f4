package runlog

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// copyRuns is Push's fast way into a PostgreSQL ledger: a batch of
// finished runs in one transaction, their rows sent with COPY and their
// chain links computed here, exactly as copyRun would append them one
// statement at a time (the conformance suite compares the two). It
// returns how many of runs it copied: those another writer pushed in the
// meantime are left alone.
func (l *Ledger) copyRuns(ctx context.Context, runs []*Run, patches map[string][]byte) (int, error) {
	c, err := l.db.Conn(ctx)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	copied := 0
	err = c.Raw(func(dc any) error {
		conn := dc.(*stdlib.Conn).Conn()
		tx, err := conn.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(ctx)
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", ledgerLockKey); err != nil {
			return err
		}
		if runs, err = notYetIn(ctx, tx, runs); err != nil || len(runs) == 0 {
			return err
		}
		if err := copyRows(ctx, tx, runs, patches); err != nil {
			return err
		}
		// The new head, signed in the same transaction, as every write
		// signs it: a push killed after it commits leaves a signed head.
		var (
			seq  int64
			head digestCol
		)
		if err := tx.QueryRow(ctx, "SELECT seq, hash FROM chain ORDER BY seq DESC LIMIT 1").Scan(&seq, &head); err != nil {
			return err
		}
		if err := signHead(ctx, pgxTx{tx}, l.signer, seq, string(head), l.stamp()); err != nil {
			return err
		}
		copied = len(runs)
		return tx.Commit(ctx)
	})
	return copied, err
}

// pgxTx runs runlog's SQL on a pgx transaction, translated as txn does.
type pgxTx struct{ pgx.Tx }

func (t pgxTx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	q, args = postgresBackend.stmt(q, args)
	tag, err := t.Exec(ctx, q, args...)
	return driver.RowsAffected(tag.RowsAffected()), err
}

// notYetIn is runs without those tx's ledger holds already.
func notYetIn(ctx context.Context, tx pgx.Tx, runs []*Run) ([]*Run, error) {
	ids := make([]string, len(runs))
	for i, r := range runs {
		ids[i] = r.ID
	}
	rows, err := tx.Query(ctx, "SELECT id FROM runs WHERE id = ANY($1)", ids)
	if err != nil {
		return nil, err
	}
	have, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	if len(have) == 0 {
		return runs, nil
	}
	held := map[string]bool{}
	for _, id := range have {
		held[id] = true
	}
	var out []*Run
	for _, r := range runs {
		if !held[r.ID] {
			out = append(out, r)
		}
	}
	return out, nil
}

// copyRows writes runs, their contexts, labels, datasets, outputs, blobs
// and chain links.
func copyRows(ctx context.Context, tx pgx.Tx, runs []*Run, patches map[string][]byte) error {
	contexts, err := contextIDs(ctx, tx, runs)
	if err != nil {
		return err
	}
	rows, err := tx.Query(ctx, "SELECT nextval(pg_get_serial_sequence('runs', 'seq')) FROM generate_series(1, $1)", len(runs))
	if err != nil {
		return err
	}
	seqs, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return err
	}
	sort.Slice(seqs, func(i, j int) bool { return seqs[i] < seqs[j] })

	var runRows, labelRows, dataRows, outRows [][]any
	blobs := map[string]blob{} // by digest
	for i, r := range runs {
		seq := seqs[i]
		var exit any
		if r.ExitCode != nil {
			exit = int64(*r.ExitCode)
		}
		var finished any
		if r.FinishedAt != nil {
			finished = r.FinishedAt.UTC().Format(TimeFormat)
		}
		runRows = append(runRows, []any{seq, r.ID, nullable(r.Name), r.Status, exit, r.Signal, boolInt(r.OOMKilled), r.Error,
			contexts[i], stored(digestValue(r.ImageDigest)), stored(digestValue(r.ImageIndexDigest)), stored(commitValue(r.Commit)),
			boolInt(r.Dirty), js(r.ChangedFiles, "[]"), r.CodeTree, r.PatchDigest, js(r.Argv, "[]"),
			stored(digestValue(r.OutputsDigest)), js(r.Metrics, "{}"), r.StartedAt.UTC().Format(TimeFormat), finished, nullable(r.RerunOf)})
		for k, v := range r.Labels {
			labelRows = append(labelRows, []any{seq, k, v})
		}
		for _, d := range r.Data {
			dataRows = append(dataRows, []any{seq, d.Name, d.Path, d.Kind, stored(digestValue(d.Digest)), d.Files, d.Bytes})
			if len(d.Listing) > 0 {
				blobs[d.Digest] = blob{"listing", d.Listing}
			}
		}
		for _, o := range r.Outputs {
			outRows = append(outRows, []any{seq, o.Path, stored(digestValue(o.Digest)), o.Bytes})
		}
		if p := patches[r.ID]; len(p) > 0 && r.PatchDigest != "" {
			blobs[r.PatchDigest] = blob{"patch", p}
		}
	}
	for _, c := range []struct {
		table string
		cols  []string
		rows  [][]any
	}{
		{"runs", []string{"seq", "id", "name", "status", "exit_code", "signal", "oom_killed", "error", "context", "image_digest",
			"image_index_digest", "code_commit", "code_dirty", "code_changed", "code_tree", "code_patch", "argv", "outputs_digest",
			"metrics", "started_at", "finished_at", "rerun_of"}, runRows},
		{"run_labels", []string{"run", "key", "value"}, labelRows},
		{"datasets", []string{"run", "name", "path", "kind", "digest", "files", "bytes"}, dataRows},
		{"outputs", []string{"run", "path", "digest", "bytes"}, outRows},
	} {
		if len(c.rows) == 0 {
			continue
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{c.table}, c.cols, pgx.CopyFromRows(c.rows)); err != nil {
			return fmt.Errorf("copy %s: %w", c.table, err)
		}
	}
	if err := copyBlobs(ctx, tx, blobs); err != nil {
		return err
	}
	return copyChain(ctx, tx, runs)
}

// contextIDs are the keys of runs' contexts, stored first where new.
func contextIDs(ctx context.Context, tx pgx.Tx, runs []*Run) ([]int64, error) {
	bodies := make([]string, len(runs))
	repos := map[string]string{}
	for i, r := range runs {
		c := contextOf(r)
		b, err := json.Marshal(c)
		if err != nil {
			return nil, err
		}
		bodies[i] = string(b)
		repos[bodies[i]] = c.ImageRepo
	}
	distinct := make([]string, 0, len(repos))
	for b := range repos {
		distinct = append(distinct, b)
	}
	sort.Strings(distinct)
	rows, err := tx.Query(ctx, "SELECT id, body FROM run_contexts WHERE body = ANY($1)", distinct)
	if err != nil {
		return nil, err
	}
	ids := map[string]int64{}
	var (
		id   int64
		body string
	)
	if _, err := pgx.ForEachRow(rows, []any{&id, &body}, func() error { ids[body] = id; return nil }); err != nil {
		return nil, err
	}
	for _, b := range distinct {
		if _, ok := ids[b]; ok {
			continue
		}
		if err := tx.QueryRow(ctx, "INSERT INTO run_contexts (image_repo, body) VALUES ($1, $2) RETURNING id", repos[b], b).Scan(&id); err != nil {
			return nil, err
		}
		ids[b] = id
	}
	out := make([]int64, len(runs))
	for i := range runs {
		out[i] = ids[bodies[i]]
	}
	return out, nil
}

// blob is a blob to store: a patch or a listing.
type blob struct {
	kind string
	data []byte
}

// copyBlobs stores the blobs the ledger does not hold yet, compressed as
// putBlob stores them.
func copyBlobs(ctx context.Context, tx pgx.Tx, blobs map[string]blob) error {
	if len(blobs) == 0 {
		return nil
	}
	digests := make([]string, 0, len(blobs))
	for d := range blobs {
		digests = append(digests, d)
	}
	rows, err := tx.Query(ctx, "SELECT digest FROM blobs WHERE digest = ANY($1)", digests)
	if err != nil {
		return err
	}
	held, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for _, d := range held {
		delete(blobs, d)
	}
	var out [][]any
	for _, d := range digests {
		b, ok := blobs[d]
		if !ok {
			continue
		}
		z, err := compressBlob(b.data)
		if err != nil {
			return err
		}
		out = append(out, []any{d, b.kind, int64(len(b.data)), z})
	}
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"blobs"}, []string{"digest", "kind", "size", "data"}, pgx.CopyFromRows(out))
	return err
}

// copyChain appends each run's begin and end links after the chain's
// head, in order: the links chainRun would append recording and then
// finishing each.
func copyChain(ctx context.Context, tx pgx.Tx, runs []*Run) error {
	var head []byte
	if err := tx.QueryRow(ctx, "SELECT hash FROM chain ORDER BY seq DESC LIMIT 1").Scan(&head); err != nil && err != pgx.ErrNoRows {
		return err
	}
	var prev digestCol
	if err := prev.Scan(head); err != nil {
		return err
	}
	links := make([][]any, 0, 2*len(runs))
	buf := make([]byte, 0, 4096)
	for _, r := range runs {
		rawID, err := hex.DecodeString(r.ID)
		if err != nil {
			return fmt.Errorf("run %q: %w", r.ID, err)
		}
		for _, kind := range []string{linkBegin, linkEnd} {
			buf = appendFor(buf, kind, r)
			hash := chainHashOf(string(prev), buf)
			links = append(links, []any{rawID, stored(digestValue(string(prev))), stored(digestValue(hash)), kind})
			prev = digestCol(hash)
		}
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"chain"}, []string{"run_id", "prev", "hash", "kind"}, pgx.CopyFromRows(links))
	return err
}

// stored is a digest or commit column's value as bytea takes it.
func stored(v any) []byte {
	switch v := v.(type) {
	case []byte:
		return v
	case string:
		return []byte(v)
	}
	return nil
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
