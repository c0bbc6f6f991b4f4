package main

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/reprohq/repro/runlog"
)

type labelOptions struct {
	ref    string            // RUN
	set    map[string]string // KEY=VALUE
	remove []string          // KEY-
}

func newLabelCmd(g *globals) *cobra.Command {
	o := &labelOptions{}
	cmd := &cobra.Command{
		Use:   "label RUN KEY=VALUE... [KEY-...]",
		Short: "Set or remove labels of a recorded run",
		Long: `Label sets labels (KEY=VALUE) and removes them (KEY-) on a run after the fact,
so runs can be found with repro ls --label. Labels are annotations: they are
not part of the tamper-evident record.

RUN is a run ID, a unique prefix of one, or a run name.

Exit status: 0 ok, 1 error, 2 usage.`,
		Example: `  repro label 4e1d best=true sweep=lr
  repro label baseline best-`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 2 {
				return usagef("label needs a RUN and at least one KEY=VALUE or KEY-")
			}
			return nil
		},
		// Usage is checked before the ledger is opened.
		PreRunE: func(cmd *cobra.Command, args []string) error {
			o.set, o.remove = map[string]string{}, []string{}
			for _, a := range args[1:] {
				if k, ok := strings.CutSuffix(a, "-"); ok && !strings.Contains(a, "=") {
					if _, _, err := runlog.ParseLabel(k + "=x"); err != nil {
						return usagef("%v", err)
					}
					o.remove = append(o.remove, k)
					continue
				}
				k, v, err := runlog.ParseLabel(a)
				if err != nil {
					return usagef("%v", err)
				}
				o.set[k] = v
			}
			return nil
		},
		RunE: g.withLedger(false, func(ctx context.Context, l *runlog.Ledger, args []string, s streams) error {
			o.ref = args[0]
			return runLabel(ctx, l, o, s)
		}),
	}
	return cmd
}

// runLabel sets and removes the labels of one run.
func runLabel(ctx context.Context, l *runlog.Ledger, o *labelOptions, s streams) error {
	id, err := l.Resolve(ctx, o.ref)
	if err != nil {
		return err
	}
	if err := l.SetLabels(ctx, id, o.set, o.remove); err != nil {
		return err
	}
	r, err := l.Get(ctx, id)
	if err != nil {
		return err
	}
	keys := make([]string, 0, len(r.Labels))
	for k := range r.Labels {
		keys = append(keys, k+"="+r.Labels[k])
	}
	sort.Strings(keys)
	fmt.Fprintf(s.err, "repro: run %s labels: %s\n", r.ShortID(), strings.Join(keys, " "))
	return nil
}
