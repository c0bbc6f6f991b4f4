package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/reprohq/repro/runlog"
)

// getChecked resolves ref and returns its run once the record has passed
// the boundary: every field valid, and (unless trustLedger) the run's
// chain links matching its row, so that nothing a re-run, a comparison
// or a verification uses was written behind repro's back.
func getChecked(ctx context.Context, l *runlog.Ledger, ref string, trustLedger bool) (*runlog.Run, error) {
	r, err := l.Get(ctx, ref)
	if err != nil {
		return nil, err
	}
	if !trustLedger {
		if err := l.CheckRun(ctx, r); err != nil {
			var p *runlog.ChainProblem
			if errors.As(err, &p) {
				return nil, fmt.Errorf("%w; the record is not what repro wrote: check the ledger with repro verify, or pass --trust-ledger to use it anyway", err)
			}
			return nil, err
		}
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return r, nil
}
