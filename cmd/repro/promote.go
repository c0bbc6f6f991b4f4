package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/reprohq/repro/image"
	"github.com/reprohq/repro/runlog"
)

type promoteOptions struct {
	registryFlags
	image string   // REGISTRY/NAME@sha256:... or REGISTRY/NAME:TAG
	to    []string // tags
}

func newPromoteCmd(g *globals) *cobra.Command {
	o := &promoteOptions{}
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
			if len(o.to) == 0 {
				return usagef("promote needs --to TAG")
			}
			return nil
		},
		RunE: g.withLedger(false, func(ctx context.Context, l *runlog.Ledger, args []string, s streams) error {
			o.image = args[0]
			return runPromote(ctx, l, o, s)
		}),
	}
	cmd.Flags().StringArrayVar(&o.to, "to", nil, "tag to point at the digest; repeatable")
	o.registryFlags.addFlags(cmd)
	return cmd
}

// runPromote points tags at a digest already in the registry and records it.
func runPromote(ctx context.Context, l *runlog.Ledger, o *promoteOptions, s streams) error {

	p, err := image.Promote(ctx, o.image, o.to, o.registryFlags.options())
	if p != nil && len(p.Tags) > 0 {
		if rerr := image.RecordPromotion(ctx, l, p); rerr != nil && err == nil {
			err = fmt.Errorf("promoted but could not record it: %w", rerr)
		}
	}
	if err != nil {
		return imageError(err)
	}
	if !strings.Contains(o.image, "@") {
		fmt.Fprintf(s.err, "repro: resolved %s -> %s@%s\n", o.image, p.Repository, p.Digest)
	}
	fmt.Fprintf(s.err, "repro: %s now points at %s\n", strings.Join(p.Tags, ", "), p.Digest)
	fmt.Fprintf(s.out, "%s@%s\n", p.Repository, p.Digest)
	return nil
}
