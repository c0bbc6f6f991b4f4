package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/reprohq/repro/compare"
	"github.com/reprohq/repro/runlog"
)

type diffOptions struct {
	a, b        string // RUN_A, RUN_B
	json        bool
	trustLedger bool
}

func newDiffCmd(g *globals) *cobra.Command {
	o := &diffOptions{}
	cmd := &cobra.Command{
		Use:   "diff RUN_A RUN_B",
		Short: "Show what differs between two runs: provenance, outputs, metrics",
		Long: `Diff compares two recorded runs and shows only what differs: the image
digest, the commit and its uncommitted changes (and, between two commits,
which files differ, as git diff --stat counts them, from the repository here
or the runs' own), each dataset (and which of its
files changed, from the listings stored when the runs started), the command,
the environment (secret values were never recorded), host, GPUs and engine,
then the outputs file by file and the metrics.

Exit status: 0 the runs are the same in every recorded respect, 3 they
differ, 1 error, 2 usage.`,
		Example: `  repro diff 4e1d 8c1f
  repro diff 4e1d 8c1f --json | jq .datasets`,
		Args: exactArgs(2, "two runs, RUN_A and RUN_B"),
		RunE: g.withLedger(true, func(ctx context.Context, l *runlog.Ledger, args []string, s streams) error {
			o.a, o.b = args[0], args[1]
			return runDiff(ctx, l, o, s)
		}),
	}
	jsonFlag(cmd, &o.json, "the differences as JSON")
	cmd.Flags().BoolVar(&o.trustLedger, "trust-ledger", false, "compare even runs whose chain links do not match their records")
	return cmd
}

// runDiff compares two runs; exit status 3 when they differ.
func runDiff(ctx context.Context, l *runlog.Ledger, o *diffOptions, s streams) error {
	a, err := getChecked(ctx, l, o.a, o.trustLedger)
	if err != nil {
		return err
	}
	b, err := getChecked(ctx, l, o.b, o.trustLedger)
	if err != nil {
		return err
	}
	// The commits' files are looked for here first, then where
	// each run's code was.
	d, err := compare.Runs(ctx, l, a, b, ".", a.CodeDir, b.CodeDir)
	if err != nil {
		return err
	}
	w := s.out
	if o.json {
		if err := printJSON(w, d); err != nil {
			return err
		}
	} else if d.Same() {
		fmt.Fprintf(w, "runs %s and %s are the same in every recorded respect\n", a.ShortID(), b.ShortID())
	} else {
		tty := isTerminal(w)
		var rows [][]string
		for _, f := range d.Fields {
			rows = append(rows, []string{f.Field, f.A, f.B})
		}
		for _, c := range d.Code {
			rows = append(rows, []string{"code " + c.Path, "", fmt.Sprintf("+%d -%d", c.Added, c.Deleted)})
		}
		if d.CodeUnknown {
			rows = append(rows, []string{"code: files", "(no repository here has both commits)", ""})
		}
		for _, ds := range d.Datasets {
			rows = append(rows, []string{"data " + ds.Name, orEmpty(shortDigest(ds.A, tty)), orEmpty(shortDigest(ds.B, tty))})
			for _, f := range ds.Files {
				rows = append(rows, []string{"data " + ds.Name + ": " + f.Path + " (" + f.Change + ")", orEmpty(shortDigest(f.Original, tty)), orEmpty(shortDigest(f.New, tty))})
			}
			if ds.Unknown {
				rows = append(rows, []string{"data " + ds.Name + ": files", "(listing not stored)", ""})
			}
		}
		for _, o := range d.Outputs {
			rows = append(rows, []string{"output " + o.Path + " (" + o.Change + ")", orEmpty(shortDigest(o.Original, tty)), orEmpty(shortDigest(o.New, tty))})
		}
		for _, m := range d.Metrics {
			rows = append(rows, []string{"metric " + m.Name, formatMetric(m.Original), formatMetric(m.New)})
		}
		if err := printTable(w, []string{"WHAT", "RUN " + a.ShortID(), "RUN " + b.ShortID()}, rows); err != nil {
			return err
		}
	}
	if !d.Same() {
		return &statusError{exitDiffers}
	}
	return nil
}
