package runlog

import (
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/reprohq/repro/schema"
)

// SetMigrations replaces the migrations Open applies, for the test's
// duration.
func SetMigrations(ms []schema.Migration) (restore func()) {
	old := migrations
	migrations = func() []schema.Migration { return ms }
	return func() { migrations = old }
}

// RecordBatch records finished runs, many to a transaction (filling big
// ledgers for benchmarks), exactly as Begin and Finish would one by one.
func (l *Ledger) RecordBatch(ctx context.Context, runs []*Run, results []Result) error {
	return l.write(ctx, func(tx *txn) error {
		for i, r := range runs {
			r.Status = StatusRunning
			cs := contexts{}
			if _, err := begin(ctx, tx, r, cs); err != nil {
				return err
			}
			if err := chainRun(ctx, tx, r.ID, linkBegin, l.signer, r.StartedAt.UTC().Format(TimeFormat), cs); err != nil {
				return err
			}
			at := r.StartedAt.Add(time.Duration(30+i%600) * time.Second).UTC().Format(TimeFormat)
			if err := finish(ctx, tx, r.ID, results[i], at, l.signer); err != nil {
				return err
			}
		}
		return nil
	})
}

// Exec runs a statement on the ledger's connection (tests tune it).
func (l *Ledger) Exec(q string) error {
	_, err := l.db.Exec(q)
	return err
}

// SetMaxConns bounds the ledger's connection pool.
func (l *Ledger) SetMaxConns(n int) { l.db.SetMaxOpenConns(n) }

// ChainAll appends every finished run after the chain's last one to the
// chain, in the order of their keys, a thousand at a time: what Finish
// does one by one, for runs a benchmark inserted in bulk. Each thousand
// is put in canonical form on another goroutine while the next is read
// (reading them, and their canonical JSON, were each a large part of
// filling a ledger of a million runs).
func (l *Ledger) ChainAll(ctx context.Context) error {
	var last, max int64
	if err := l.db.QueryRowContext(ctx, "SELECT coalesce(max(seq), 0) FROM runs").Scan(&max); err != nil {
		return err
	}
	if err := l.db.QueryRowContext(ctx, "SELECT coalesce((SELECT r.seq FROM chain c JOIN runs r ON r.id = lower(hex(c.run_id)) ORDER BY c.seq DESC LIMIT 1), 0)").Scan(&last); err != nil {
		return err
	}
	const step = 1000
	for lo := last; lo < max; lo += 20 * step {
		err := l.write(ctx, func(tx *txn) error {
			var prev digestCol
			if err := tx.QueryRowContext(ctx, "SELECT hash FROM chain ORDER BY seq DESC LIMIT 1").Scan(&prev); err != nil && err != sql.ErrNoRows {
				return err
			}
			var (
				pending chan [][]byte // the canonical forms of the runs read last
				runs    []Run
			)
			link := func() error {
				if pending == nil {
					return nil
				}
				canon := <-pending
				for i := range runs {
					raw, _ := hex.DecodeString(runs[i].ID)
					for j, kind := range []string{linkBegin, linkEnd} {
						h := chainHashOf(string(prev), canon[2*i+j])
						if _, err := tx.ExecContext(ctx, "INSERT INTO chain (run_id, prev, hash, kind) VALUES (?, ?, ?, ?)", raw, digestValue(string(prev)), digestValue(h), kind); err != nil {
							return err
						}
						prev = digestCol(h)
					}
				}
				return nil
			}
			for from := lo; from < min(lo+20*step, max); from += step {
				next, err := queryRunsOrdered(ctx, tx, "WHERE r.seq > ? AND r.seq <= ? AND r.status != 'running'", []any{from, from + step}, "r.seq", 0)
				if err != nil {
					return err
				}
				if err := link(); err != nil {
					return err
				}
				runs, pending = next, make(chan [][]byte, 1)
				go func(runs []Run, out chan<- [][]byte) {
					canon := make([][]byte, 2*len(runs))
					for i := range runs {
						canon[2*i], canon[2*i+1] = canonicalBegin(&runs[i]), canonical(&runs[i])
					}
					out <- canon
				}(runs, pending)
			}
			return link()
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// Rechain recomputes every link of the chain from the runs as they are
// now, as someone who edited rows and knows the encoding would, without
// a key to sign with.
func (l *Ledger) Rechain(ctx context.Context) error {
	links, err := l.chainLinks(ctx, "1 ORDER BY seq")
	if err != nil {
		return err
	}
	return l.write(ctx, func(tx *txn) error {
		prev := ""
		for _, k := range links {
			runs, err := queryRuns(ctx, tx, "WHERE r.id = ?", []any{k.id}, 1)
			if err != nil || len(runs) != 1 {
				return fmt.Errorf("rechain %s: %v", k.id, err)
			}
			h := chainHashOf(prev, canonicalFor(k.kind, &runs[0]))
			if _, err := tx.ExecContext(ctx, "UPDATE chain SET prev = ?, hash = ? WHERE seq = ?", digestValue(prev), digestValue(h), k.seq); err != nil {
				return err
			}
			prev = h
		}
		return nil
	})
}

// SetPushByStatement makes Push write PostgreSQL statement by statement
// (on) or with COPY (off) until restore.
func SetPushByStatement(on bool) (restore func()) {
	old := pushByStatement
	pushByStatement = on
	return func() { pushByStatement = old }
}
