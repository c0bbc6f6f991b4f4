package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/reprohq/repro/runlog"
)

func newLabelCmd(g *globals) *cobra.Command {
	var (
		set    map[string]string
		remove []string
	)
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
			set, remove = map[string]string{}, []string{}
			for _, a := range args[1:] {
				if k, ok := strings.CutSuffix(a, "-"); ok && !strings.Contains(a, "=") {
					if _, _, err := runlog.ParseLabel(k + "=x"); err != nil {
						return usagef("%v", err)
					}
					remove = append(remove, k)
					continue
				}
				k, v, err := runlog.ParseLabel(a)
				if err != nil {
					return usagef("%v", err)
				}
				set[k] = v
			}
			return nil
		},
		RunE: g.withLedger(false, func(cmd *cobra.Command, args []string, l *runlog.Ledger) error {
			ctx := cmd.Context()
			id, err := l.Resolve(ctx, args[0])
			if err != nil {
				return err
			}
			if err := l.SetLabels(ctx, id, set, remove); err != nil {
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
			fmt.Fprintf(cmd.ErrOrStderr(), "repro: run %s labels: %s\n", r.ShortID(), strings.Join(keys, " "))
			return nil
		}),
	}
	return cmd
}
