package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/reprohq/repro/image"
	"github.com/reprohq/repro/runlog"
)

func newPromoteCmd(g *globals) *cobra.Command {
	var to []string
	var rf registryFlags
	cmd := &cobra.Command{
		Use:   "promote REGISTRY/NAME@sha256:... --to TAG",
		Short: "Point tags at an existing digest, without rebuilding or re-uploading",
		Long: `Promote re-tags a digest that is already in the registry: it writes the same
manifest under each --to tag, so no layer is pulled or uploaded and nothing
is rebuilt. A source given by tag is resolved to its digest first, and the
digest is shown. The tag latest is refused. Each moved tag is recorded in the
ledger (see repro tags history).

Exit status: 0 ok, 1 error, 2 usage.`,
		Example: `  repro promote 127.0.0.1:5000/trainer@sha256:4e1d... --to staging
  repro promote 127.0.0.1:5000/trainer:1.4.2 --to prod --to stable`,
		Args: exactArgs(1, "one image, REGISTRY/NAME@sha256:... or REGISTRY/NAME:TAG"),
		// Usage is checked before the ledger is opened.
		PreRunE: func(cmd *cobra.Command, args []string) error {
			if len(to) == 0 {
				return usagef("promote needs --to TAG")
			}
			return nil
		},
		RunE: g.withLedger(false, func(cmd *cobra.Command, args []string, l *runlog.Ledger) error {
			ctx := cmd.Context()
			p, err := image.Promote(ctx, args[0], to, rf.options())
			if p != nil && len(p.Tags) > 0 {
				if rerr := image.RecordPromotion(ctx, l, p); rerr != nil && err == nil {
					err = fmt.Errorf("promoted but could not record it: %w", rerr)
				}
			}
			if err != nil {
				return imageError(err)
			}
			if !strings.Contains(args[0], "@") {
				fmt.Fprintf(cmd.ErrOrStderr(), "repro: resolved %s -> %s@%s\n", args[0], p.Repository, p.Digest)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "repro: %s now points at %s\n", strings.Join(p.Tags, ", "), p.Digest)
			fmt.Fprintf(cmd.OutOrStdout(), "%s@%s\n", p.Repository, p.Digest)
			return nil
		}),
	}
	cmd.Flags().StringArrayVar(&to, "to", nil, "tag to point at the digest; repeatable")
	rf.addFlags(cmd)
	return cmd
}
