package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/reprohq/repro/rerun"
)

// exitDiffers is verify's status when what is on disk or in the ledger is
// not what was recorded.
const exitDiffers = 3

func newVerifyCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "verify [RUN...]",
		Short: "Check the ledger's tamper-evident chain, or a run's outputs on disk",
		Long: `Without RUN, verify walks the ledger's chain: every finished run carries a
hash over its canonical encoding and the previous run's hash, so a record
edited, deleted or inserted behind repro's back (with the sqlite3 shell, say)
is found, and the first such record is named. --ledger FILE chooses the
ledger, as for every command.

With RUN, verify hashes the run's --out directory as it is now and compares
it with the outputs recorded when the run finished, naming each file that
changed, vanished or appeared.

Exit status: 0 intact, 3 something differs from the record, 1 error, 2 usage.`,
		Example: `  repro verify
  repro --ledger /shared/ledger.db verify
  repro verify 4e1d2a9c0b7f`,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			l, err := g.open(ctx, true)
			if err != nil {
				return err
			}
			defer l.Close()
			w := cmd.OutOrStdout()
			if len(args) == 0 {
				rep, err := l.VerifyChain(ctx)
				if err != nil {
					return err
				}
				if asJSON {
					if err := printJSON(w, rep); err != nil {
						return err
					}
				} else if rep.Problem == nil {
					fmt.Fprintf(w, "ledger %s: %d finished runs, chain intact\n", l.Path(), rep.Records)
				}
				if rep.Problem != nil {
					fmt.Fprintf(cmd.ErrOrStderr(), "repro: %v\n", rep.Problem)
					return &statusError{exitDiffers}
				}
				return nil
			}
			differs := false
			for _, a := range args {
				r, err := l.Get(ctx, a)
				if err != nil {
					return err
				}
				diffs, err := rerun.VerifyOutputs(ctx, r)
				if err != nil {
					return err
				}
				if asJSON {
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
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}
