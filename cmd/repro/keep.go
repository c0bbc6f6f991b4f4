package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/reprohq/repro/runlog"
)

type keepOptions struct {
	registryFlags
	runs []string // RUN...
	to   string   // REGISTRY/REPO
}

func newKeepCmd(g *globals) *cobra.Command {
	o := &keepOptions{}
	cmd := &cobra.Command{
		Use:   "keep RUN... --to REGISTRY/REPO",
		Short: "Keep a copy of runs' images where garbage collection will not delete them",
		Long: `Keep copies each run's image, by digest, to REGISTRY/REPO and tags the copy
keep-<run id>: registries' retention policies and garbage collection delete
untagged digests, and a run recorded today must still re-run next year. The
copy goes registry to registry (every platform of an index; layers the
target registry already holds are mounted, not uploaded; no engine, no
pull), with the attestations attached to the image. The copy is recorded
on the run; re-run scripts and rerun --exec try the recorded image first,
then each kept copy, always by the run's digest, and say which they used.

repro run --keep-to REPO (or REPRO_KEEP_TO) keeps every run's image as it
ends.

Exit status: 0 ok, 1 error, 2 usage.`,
		Example: `  repro keep 4e1d --to registry.example.com/ml/archive
  REPRO_KEEP_TO=registry.example.com/ml/archive repro run IMAGE -- train.py`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("keep needs one or more RUNs (IDs or unique prefixes; see repro ls)")
			}
			return nil
		},
		// Usage is checked before the ledger is opened.
		PreRunE: func(cmd *cobra.Command, args []string) error {
			if o.to == "" {
				return usagef("keep needs --to REGISTRY/REPO, where the copies go")
			}
			return nil
		},
		RunE: g.withLedger(false, func(ctx context.Context, l *runlog.Ledger, args []string, s streams) error {
			o.runs = args
			return runKeep(ctx, l, o, s)
		}),
	}
	cmd.Flags().StringVar(&o.to, "to", "", "REGISTRY/REPO the copies go to (required)")
	o.registryFlags.addFlags(cmd)
	return cmd
}

// runKeep keeps a copy of each run's image and records it on the run.
func runKeep(ctx context.Context, l *runlog.Ledger, o *keepOptions, s streams) error {

	for _, a := range o.runs {
		r, err := getChecked(ctx, l, a, false)
		if err != nil {
			return err
		}
		if err := keepRun(ctx, s, l, r, o.to, o.registryFlags.options()); err != nil {
			return err
		}
	}
	return nil
}
