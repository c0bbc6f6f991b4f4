package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/reprohq/repro/runlog"
)

type lsOptions struct {
	limit  int
	status string
	json   bool
}

func newLsCmd(g *globals) *cobra.Command {
	o := &lsOptions{}
	cmd := &cobra.Command{
		Use:     "ls",
		Aliases: []string{"list"},
		Short:   "List recorded runs, newest first",
		Long: `Ls lists recorded runs, newest first: a table on a terminal, tab-separated
lines otherwise (id, status, exit status, image@digest, commit with * when
dirty, datasets, started and finished times in RFC 3339), and a JSON array
of run objects with --json.

Exit status: 0 ok, 1 error, 2 usage.`,
		Example: `  repro ls
  repro ls -n 5 --status failed
  repro ls --json | jq -r '.[] | select(.dirty) | .id'`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch o.status {
			case "", runlog.StatusRunning, runlog.StatusSucceeded, runlog.StatusFailed, runlog.StatusInterrupted, runlog.StatusLost:
			default:
				return usagef("--status %q: choose running, succeeded, failed, interrupted or lost", o.status)
			}
			if o.limit < 0 {
				return usagef("-n must not be negative")
			}
			ctx := cmd.Context()
			g.settleLeftovers(ctx, cmd.ErrOrStderr())
			l, err := g.open(ctx, true)
			if err != nil {
				return err
			}
			defer l.Close()
			runs, err := l.List(ctx, runlog.Filter{Limit: o.limit, Status: o.status})
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if o.json {
				return printJSON(w, runs)
			}
			tty := isTerminal(w)
			rows := make([][]string, 0, len(runs))
			for i := range runs {
				rows = append(rows, runRow(&runs[i], tty))
			}
			if len(rows) == 0 && tty {
				fmt.Fprintf(cmd.ErrOrStderr(), "repro: no runs recorded in %s yet\n", l.Path())
				return nil
			}
			return printTable(w, []string{"ID", "STATUS", "EXIT", "IMAGE", "COMMIT", "DATA", "STARTED", "DURATION"}, rows)
		},
	}
	cmd.Flags().IntVarP(&o.limit, "limit", "n", 0, "show at most N runs (0: all)")
	cmd.Flags().StringVar(&o.status, "status", "", "only runs with this status")
	cmd.Flags().BoolVar(&o.json, "json", false, "print a JSON array of runs")
	return cmd
}

func runRow(r *runlog.Run, tty bool) []string {
	exit := "-"
	if r.ExitCode != nil {
		exit = fmt.Sprint(*r.ExitCode)
	}
	commit := "-"
	if r.Commit != "" {
		commit = r.Commit
		if tty {
			commit = r.Commit[:min(12, len(r.Commit))]
		}
		if r.Dirty {
			commit += "*"
		}
	}
	var data []string
	for _, d := range r.Data {
		if tty {
			data = append(data, d.Name)
		} else {
			data = append(data, d.Name+"="+d.Digest)
		}
	}
	dataCol := strings.Join(data, ",")
	if dataCol == "" {
		dataCol = "-"
	}
	image := r.ImageRepo + "@" + shortDigest(r.ImageDigest, tty)
	if tty && r.ImageTag != "" {
		image = r.ImageRepo + ":" + r.ImageTag + " (" + shortDigest(r.ImageDigest, true) + ")"
	}
	row := []string{r.ID, r.Status, exit, image, commit, dataCol, formatTime(r.StartedAt, tty)}
	if tty {
		row[0] = r.ShortID()
	}
	switch {
	case r.FinishedAt != nil && tty:
		row = append(row, formatDuration(r.FinishedAt.Sub(r.StartedAt)))
	case r.FinishedAt != nil:
		row = append(row, formatTime(*r.FinishedAt, false))
	case tty:
		row = append(row, formatDuration(time.Since(r.StartedAt))+"…")
	default:
		row = append(row, "-")
	}
	return row
}
