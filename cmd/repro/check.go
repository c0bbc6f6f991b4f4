package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/reprohq/repro/rerun"
	"github.com/reprohq/repro/runlog"
)

type checkOptions struct {
	registryFlags
	runs  []string // RUN...
	all   bool
	since string
	json  bool
}

func newCheckCmd(g *globals) *cobra.Command {
	o := &checkOptions{}
	cmd := &cobra.Command{
		Use:   "check [RUN...|--all] [--since D] [--json]",
		Short: "Can these runs be re-run now? Image, commit, data and patch, each checked",
		Long: `Check is the pre-flight before promising a reproduction: for each run, whether
its image is still in its registry by digest, or a kept copy is (HEAD
requests, no pull); whether its commit is on a branch or tag of the recorded
remote (listed as git ls-remote does) or in the local repository; whether
each dataset is at its recorded path with its recorded digest (unchanged
files are not read again: the ledger's hash cache); and whether its stored
uncommitted changes are intact. Each distinct image, commit and dataset is
checked once, concurrently. Finished runs only.

--all checks every finished run, --since a recent window (7d, a date).

Exit status: 0 every checked run can re-run, 3 some cannot (the table says
which input, and why), 1 error, 2 usage.`,
		Example: `  repro check 4e1d
  repro check --all --since 90d
  repro check --all --json | jq '.[] | select(.image.ok | not)'`,
		// Usage is checked before the ledger is opened.
		PreRunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 && !o.all {
				return usagef("check needs RUNs, or --all")
			}
			if len(args) > 0 && (o.all || o.since != "") {
				return usagef("give RUNs, or --all [--since D], not both")
			}
			return nil
		},
		RunE: g.withLedger(true, func(ctx context.Context, l *runlog.Ledger, args []string, s streams) error {
			o.runs = args
			return runCheck(ctx, l, o, s)
		}),
	}
	cmd.Flags().BoolVar(&o.all, "all", false, "check every finished run")
	cmd.Flags().StringVar(&o.since, "since", "", "with --all: only runs started since (7d, 2026-11-01)")
	jsonFlag(cmd, &o.json, "a JSON array of {run, image, code, data, patch}, each {ok, detail}")
	o.registryFlags.addFlags(cmd)
	return cmd
}

// runCheck says whether each run can re-run now; exit status 3 when some cannot.
func runCheck(ctx context.Context, l *runlog.Ledger, o *checkOptions, s streams) error {
	var runs []*runlog.Run
	if o.all {
		f := runlog.Filter{}
		if o.since != "" {
			var err error
			if f.Since, err = parseWhen(o.since, time.Now(), startOfDay); err != nil {
				return usagef("--since %q: %v", o.since, err)
			}
		}
		list, err := l.List(ctx, f)
		if err != nil {
			return err
		}
		for i := range list {
			if list[i].Status != runlog.StatusRunning {
				runs = append(runs, &list[i])
			}
		}
	}
	for _, a := range o.runs {
		r, err := getChecked(ctx, l, a, false)
		if err != nil {
			return err
		}
		if r.Status == runlog.StatusRunning {
			return fmt.Errorf("run %s is still running; check a finished run", r.ShortID())
		}
		runs = append(runs, r)
	}
	res, err := rerun.Check(ctx, l, runs, rerun.CheckOptions{Registry: o.registryFlags.options()})
	if err != nil {
		return err
	}
	w := s.out
	failed := 0
	for _, r := range res {
		if !r.Ready() {
			failed++
		}
	}
	if o.json {
		if err := printJSON(w, res); err != nil {
			return err
		}
	} else {
		tty := isTerminal(w)
		mark := func(v rerun.Verdict) string {
			switch {
			case v.Detail == "-":
				return "-"
			case v.OK:
				return "ok"
			}
			return "FAIL"
		}
		rows := make([][]string, 0, len(res))
		for _, r := range res {
			var why []string
			for _, v := range []rerun.Verdict{r.Image, r.Code, r.Data, r.Patch} {
				if !v.OK {
					why = append(why, v.Detail)
				}
			}
			id := r.Run
			if tty {
				id = runlog.Short(id)
			}
			rows = append(rows, []string{id, mark(r.Image), mark(r.Code), mark(r.Data), mark(r.Patch), orEmpty(strings.Join(why, "; "))})
		}
		if err := printTable(w, []string{"RUN", "IMAGE", "CODE", "DATA", "PATCH", "WHY NOT"}, rows); err != nil {
			return err
		}
		fmt.Fprintf(s.err, "repro: %d of %d runs can re-run now\n", len(res)-failed, len(res))
	}
	if failed > 0 {
		return &statusError{exitDiffers}
	}
	return nil
}
