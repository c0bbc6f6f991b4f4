package runlog

import (
	"context"
	"fmt"
)

// PushReport is what Push did.
type PushReport struct {
	Copied  int `json:"copied"`  // runs the target did not have, now chained there
	Present int `json:"present"` // runs the target already had, left alone
	Running int `json:"running"` // runs still running in the source, not copied yet
	// Refused are the runs whose record in the source does not match its
	// own chain links: edited after they were recorded, never copied.
	Refused []*ChainProblem `json:"refused"`
}

// pushBatchSize is how many runs Push copies in one transaction unless
// told otherwise: a push that is killed loses at most one batch, which the
// next push copies again.
const pushBatchSize = 1000

// PushOptions tune Push.
type PushOptions struct {
	Batch    int                   // runs a transaction (0: 1,000)
	Progress func(done, total int) // told how many runs were looked at so far; nil: nothing
}

// Push copies into l (a team's ledger) the finished runs of from that l
// does not have, in the order from recorded them, as they were recorded:
// their IDs, names, labels, times, datasets (with their listings),
// outputs, metrics and uncommitted changes, each chained in l as Import
// chains a run. A run is known by its ID, so pushing again copies nothing
// twice; a run whose record in from does not verify against from's own
// chain is refused. The next batch is read and checked while the last
// is written.
func (l *Ledger) Push(ctx context.Context, from *Ledger, o PushOptions) (*PushReport, error) {
	if o.Batch <= 0 {
		o.Batch = pushBatchSize
	}
	rep := &PushReport{Refused: []*ChainProblem{}}
	if from.db == nil {
		return rep, nil
	}
	var total int
	if err := from.db.QueryRowContext(ctx, "SELECT count(*) FROM runs").Scan(&total); err != nil {
		return nil, fmt.Errorf("read %s: %w", from.Path(), explain(err))
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan *pushWork, 1)
	var readErr error
	go func() {
		defer close(batches)
		readErr = l.readBatches(ctx, from, o.Batch, batches)
	}()
	done := 0
	for w := range batches {
		rep.Present += w.present
		rep.Running += w.running
		rep.Refused = append(rep.Refused, w.refused...)
		if len(w.todo) > 0 {
			copied, err := l.pushBatch(ctx, w.todo, w.patches)
			if err != nil {
				cancel()
				for range batches {
				}
				return rep, err
			}
			rep.Copied += copied
			rep.Present += len(w.todo) - copied // pushed by someone else meanwhile
		}
		done += w.read
		if o.Progress != nil {
			o.Progress(done, total)
		}
	}
	if readErr != nil {
		return rep, fmt.Errorf("read %s: %w", from.Path(), readErr)
	}
	if rep.Copied > 0 && l.db.b == postgresBackend {
		// The planner learns of the new rows now, not when autovacuum
		// next looks (see repro_analyze in the schema).
		if _, err := l.db.ExecContext(ctx, "SELECT repro_analyze()"); err != nil {
			return rep, err
		}
	}
	return rep, ctx.Err()
}

// pushWork is one batch of a push, read and checked.
type pushWork struct {
	read             int    // runs looked at
	todo             []*Run // to copy
	patches          map[string][]byte
	present, running int
	refused          []*ChainProblem
}

// readBatches reads from's runs in the order it recorded them, a batch at
// a time, leaves out those l has, those still running and those whose
// chain links do not verify, and sends the rest with their blobs.
func (l *Ledger) readBatches(ctx context.Context, from *Ledger, size int, out chan<- *pushWork) error {
	shared := contexts{}
	after := int64(0)
	for {
		batch, err := queryRunsShared(ctx, from.db, "WHERE r.seq > ?", []any{after}, "r.seq", size, shared)
		if err != nil || len(batch) == 0 {
			return err
		}
		after = batch[len(batch)-1].seq
		present, err := l.existing(ctx, batch)
		if err != nil {
			return err
		}
		w := &pushWork{read: len(batch), patches: map[string][]byte{}}
		var candidates []*Run
		for i := range batch {
			r := &batch[i]
			switch {
			case present[r.ID]:
				w.present++
			case r.Status == StatusRunning:
				w.running++
			default:
				candidates = append(candidates, r)
			}
		}
		problems, err := from.checkRuns(ctx, candidates)
		if err != nil {
			return err
		}
		for _, r := range candidates {
			if p := problems[r.ID]; p != nil {
				w.refused = append(w.refused, p)
				continue
			}
			w.todo = append(w.todo, r)
		}
		if err := from.attachBlobs(ctx, w.todo, w.patches); err != nil {
			return err
		}
		select {
		case out <- w:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// pushBatch copies todo into l in one transaction: with COPY into
// PostgreSQL, statement by statement into SQLite (a local file, where
// statements cost microseconds).
func (l *Ledger) pushBatch(ctx context.Context, todo []*Run, patches map[string][]byte) (int, error) {
	if l.db.b == postgresBackend && !pushByStatement {
		var copied int
		err := retryBusy(ctx, func() (err error) { copied, err = l.copyRuns(ctx, todo, patches); return err })
		return copied, err
	}
	now := l.stamp()
	copied := 0
	err := explainWrite(l.write(ctx, func(tx *txn) error {
		copied = 0
		for _, r := range todo {
			fresh, err := l.copyRun(ctx, tx, r, patches[r.ID], now)
			if err != nil {
				return fmt.Errorf("run %s: %w", r.ShortID(), err)
			}
			if fresh {
				copied++
			}
		}
		return nil
	}))
	return copied, err
}

// pushByStatement makes Push write PostgreSQL statement by statement too
// (tests compare the two ways).
var pushByStatement = false

// existing says which of runs l already has.
func (l *Ledger) existing(ctx context.Context, runs []Run) (map[string]bool, error) {
	ids := make([]any, len(runs))
	for i := range runs {
		ids[i] = runs[i].ID
	}
	rows, err := l.db.QueryContext(ctx, "SELECT id FROM runs WHERE id IN "+inList(len(ids)), ids...)
	if err != nil {
		return nil, explain(err)
	}
	defer rows.Close()
	have := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		have[id] = true
	}
	return have, rows.Err()
}

// attachBlobs reads from l the bytes runs carry besides their rows: the
// patches (into patches, by run ID) and their datasets' listings. Which
// of them l holds is asked once for all.
func (l *Ledger) attachBlobs(ctx context.Context, runs []*Run, patches map[string][]byte) error {
	var digests []any
	for _, r := range runs {
		for _, d := range r.Data {
			digests = append(digests, d.Digest)
		}
	}
	held := map[string]bool{}
	for start := 0; start < len(digests); start += 500 {
		part := digests[start:min(start+500, len(digests))]
		rows, err := l.db.QueryContext(ctx, "SELECT digest FROM blobs WHERE kind = 'listing' AND digest IN "+inList(len(part)), part...)
		if err != nil {
			return explain(err)
		}
		for rows.Next() {
			var d string
			if err := rows.Scan(&d); err != nil {
				rows.Close()
				return err
			}
			held[d] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	for _, r := range runs {
		if r.PatchDigest != "" {
			p, err := l.Blob(ctx, r.PatchDigest)
			if err != nil {
				return fmt.Errorf("run %s: its uncommitted changes: %w", r.ShortID(), err)
			}
			patches[r.ID] = p
		}
		for i := range r.Data {
			d := &r.Data[i]
			if !held[d.Digest] {
				continue // a listing is kept for diffs; without one, fewer details
			}
			b, err := l.Blob(ctx, d.Digest)
			if err != nil {
				return fmt.Errorf("run %s: dataset %s's listing: %w", r.ShortID(), d.Name, err)
			}
			d.Listing = b
		}
	}
	return nil
}
