package runlog

import (
	"context"
	"errors"
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

// pushBatch is how many runs Push copies in one transaction: a push that
// is killed loses at most one batch, which the next push copies again.
const pushBatch = 250

// Push copies into l (a team's ledger) the finished runs of from that l
// does not have, oldest first, as they were recorded: their IDs, names,
// labels, times, datasets (with their listings), outputs, metrics and
// uncommitted changes, each chained in l as Import chains a run. A run is
// known by its ID, so pushing again copies nothing twice; a run whose
// record in from does not verify against from's own chain is refused.
// progress, when not nil, is told how many runs were looked at so far.
func (l *Ledger) Push(ctx context.Context, from *Ledger, progress func(done, total int)) (*PushReport, error) {
	rep := &PushReport{Refused: []*ChainProblem{}}
	runs, err := from.List(ctx, Filter{Sort: "started:asc"})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", from.Path(), err)
	}
	for start := 0; start < len(runs); start += pushBatch {
		batch := runs[start:min(start+pushBatch, len(runs))]
		present, err := l.existing(ctx, batch)
		if err != nil {
			return rep, err
		}
		var todo []*Run
		patches := map[string][]byte{}
		for i := range batch {
			r := &batch[i]
			switch {
			case present[r.ID]:
				rep.Present++
				continue
			case r.Status == StatusRunning:
				rep.Running++
				continue
			}
			if err := from.CheckRun(ctx, r); err != nil {
				var p *ChainProblem
				if !errors.As(err, &p) {
					return rep, err
				}
				rep.Refused = append(rep.Refused, p)
				continue
			}
			if err := from.attachBlobs(ctx, r, patches); err != nil {
				return rep, err
			}
			todo = append(todo, r)
		}
		if len(todo) > 0 {
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
			if err != nil {
				return rep, err
			}
			rep.Copied += copied
			rep.Present += len(todo) - copied // pushed by someone else meanwhile
		}
		if progress != nil {
			progress(start+len(batch), len(runs))
		}
	}
	return rep, nil
}

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

// attachBlobs reads from l the bytes run r carries besides its row: its
// patch (into patches) and its datasets' listings.
func (l *Ledger) attachBlobs(ctx context.Context, r *Run, patches map[string][]byte) error {
	if r.PatchDigest != "" {
		p, err := l.Blob(ctx, r.PatchDigest)
		if err != nil {
			return fmt.Errorf("run %s: its uncommitted changes: %w", r.ShortID(), err)
		}
		patches[r.ID] = p
	}
	for i := range r.Data {
		d := &r.Data[i]
		if ok, err := l.HasBlob(ctx, d.Digest); err != nil || !ok {
			continue // a listing is kept for diffs; without one, fewer details
		}
		b, err := l.Blob(ctx, d.Digest)
		if err != nil {
			return fmt.Errorf("run %s: dataset %s's listing: %w", r.ShortID(), d.Name, err)
		}
		d.Listing = b
	}
	return nil
}
