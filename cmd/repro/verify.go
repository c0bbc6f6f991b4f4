package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/reprohq/repro/compare"
	"github.com/reprohq/repro/runlog"
	"github.com/reprohq/repro/trust"
)

// exitDiffers is verify's status when what is on disk or in the ledger is
// not what was recorded.
const exitDiffers = 3

type verifyOptions struct {
	runs        []string // RUN...; none: the chain
	json        bool
	sign        bool
	trustLedger bool
	keys        []string                   // PEM files of keys trusted besides the user's own
	signer      func() (*trust.Key, error) // the user's key, for --sign
}

func newVerifyCmd(g *globals) *cobra.Command {
	o := &verifyOptions{signer: g.key}
	cmd := &cobra.Command{
		Use:   "verify [RUN...]",
		Short: "Check the ledger's tamper-evident chain, or a run's outputs on disk",
		Long: `Without RUN, verify walks the ledger's chain: every run is chained twice,
when it is recorded and when it finishes, each link a hash over the run's
canonical encoding and the link before it, so a record edited, deleted or
inserted behind repro's back (with the sqlite3 shell, say) is found, and the
first such record is named. The chain's head is signed with the key of the
repro that wrote it last (see repro key): verify says "signed by <key id>"
for your own key or one given with --key, and fails on "unsigned", "signature
does not match" (the ledger was rewritten, hashes and all) and a key you do
not trust. --sign signs a verified, unsigned head with your key (a ledger
from an older repro, or one you received and checked). --ledger FILE chooses
the ledger, as for every command.

With RUN, verify first checks the run's own chain links (--trust-ledger
skips that), then hashes the run's --out directory as it is now and compares
it with the outputs recorded when the run finished, naming each file that
changed, vanished or appeared.

Exit status: 0 intact, 3 something differs from the record, 1 error, 2 usage.`,
		Example: `  repro verify
  repro --ledger /shared/ledger.db verify --key alice.pub --key bob.pub
  repro verify --sign
  repro verify 4e1d2a9c0b7f`,
		RunE: g.withLedger(true, func(ctx context.Context, l *runlog.Ledger, args []string, s streams) error {
			o.runs = args
			return runVerify(ctx, l, o, s)
		}),
	}
	jsonFlag(cmd, &o.json, "the result as JSON")
	cmd.Flags().StringArrayVar(&o.keys, "key", nil, "also trust this public key (PEM, as repro key prints it); repeatable")
	cmd.Flags().BoolVar(&o.sign, "sign", false, "sign the chain's head with your key once the chain verifies (an unsigned or older ledger)")
	cmd.Flags().BoolVar(&o.trustLedger, "trust-ledger", false, "with RUN: use the record even if its chain links do not match")
	return cmd
}

// runVerify walks the chain, or checks each run's outputs on disk; exit
// status 3 when something differs from the record.
func runVerify(ctx context.Context, l *runlog.Ledger, o *verifyOptions, s streams) error {
	w := s.out
	if len(o.runs) == 0 {
		return verifyChain(ctx, l, o, s)
	}
	differs := false
	for _, a := range o.runs {
		r, err := getChecked(ctx, l, a, o.trustLedger)
		if err != nil {
			return err
		}
		diffs, err := compare.VerifyOutputs(ctx, r)
		if err != nil {
			return err
		}
		if o.json {
			if err := printJSON(w, map[string]any{"id": r.ID, "outputs_digest": r.OutputsDigest, "differences": diffs}); err != nil {
				return err
			}
		} else if len(diffs) == 0 {
			fmt.Fprintf(w, "run %s: %d outputs in %s as recorded\n", r.ShortID(), len(r.Outputs), r.OutDir)
		} else {
			rows := make([][]string, 0, len(diffs))
			for _, d := range diffs {
				rows = append(rows, []string{d.Path, d.Change, d.Original, d.New})
			}
			fmt.Fprintf(w, "run %s: %d outputs in %s differ from the record\n", r.ShortID(), len(diffs), r.OutDir)
			if err := printTable(w, []string{"PATH", "CHANGE", "RECORDED", "NOW"}, rows); err != nil {
				return err
			}
		}
		differs = differs || len(diffs) > 0
	}
	if differs {
		return &statusError{exitDiffers}
	}
	return nil
}

// verifyChain walks the chain and checks the head's signature.
func verifyChain(ctx context.Context, l *runlog.Ledger, o *verifyOptions, s streams) error {
	w := s.out
	trusted, err := trustedKeys(o.keys)
	if err != nil {
		return err
	}
	rep, err := l.VerifyChain(ctx)
	if err != nil {
		return err
	}
	var sig *runlog.HeadSignature
	if rep.Problem == nil {
		if sig, err = l.CheckHead(ctx, rep.HeadSeq, rep.Head, trusted); err != nil {
			return err
		}
		if o.sign && sig.State == runlog.Unsigned {
			k, err := o.signer()
			if err != nil {
				return err
			}
			wl, err := l.Reopen(ctx, runlog.WithSigner(k))
			if err != nil {
				return err
			}
			err = wl.SignHead(ctx, k)
			wl.Close()
			if err != nil {
				return err
			}
			if sig, err = l.CheckHead(ctx, rep.HeadSeq, rep.Head, append(trusted, k.PublicKey())); err != nil {
				return err
			}
		}
	}
	if o.json {
		if err := printJSON(w, struct {
			*runlog.ChainReport
			Signature *runlog.HeadSignature `json:"signature"`
		}{rep, sig}); err != nil {
			return err
		}
	}
	if rep.Problem != nil {
		fmt.Fprintf(s.err, "repro: %v\n", rep.Problem)
		return &statusError{exitDiffers}
	}
	state := sig.State
	if state == runlog.SignedBy {
		state = "signed by " + sig.KeyID
	}
	if !o.json {
		running := ""
		if rep.Running > 0 {
			running = fmt.Sprintf(" and %d running", rep.Running)
		}
		fmt.Fprintf(w, "ledger %s: %d finished runs%s, chain intact, %s\n", l.Path(), rep.Records, running, state)
	}
	switch sig.State {
	case runlog.SignedBy, runlog.NothingToSign:
		return nil
	case runlog.Unsigned:
		fmt.Fprintf(s.err, "repro: the chain's head is unsigned: it was written by a repro older than signatures, or rewritten and its signatures removed; once you trust its contents, repro verify --sign signs it with your key\n")
	case runlog.SignedByUntrusted:
		fmt.Fprintf(s.err, "repro: %s: %s; pass its public key with --key to trust it\n", sig.State, sig.Detail)
	default:
		fmt.Fprintf(s.err, "repro: %s: %s\n", sig.State, sig.Detail)
	}
	return &statusError{exitDiffers}
}
