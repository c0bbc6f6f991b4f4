package main

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/reprohq/repro/ident"
	"github.com/reprohq/repro/provenance"
	"github.com/reprohq/repro/runlog"
)

type lsOptions struct {
	limit   int
	status  string
	json    bool
	image   string
	commit  string
	data    string
	since   string
	until   string
	name    string
	labels  []string
	rerunOf string
	user    string
	host    string
	columns string
	sort    string
}

var defaultColumns = "id,status,exit,image,commit,data,started,duration"

func newLsCmd(g *globals) *cobra.Command {
	o := &lsOptions{}
	cmd := &cobra.Command{
		Use:     "ls",
		Aliases: []string{"list"},
		Short:   "List recorded runs, newest first, filtered and sorted",
		Long: `Ls lists recorded runs, newest first: a table on a terminal, tab-separated
lines otherwise (full IDs and digests, times in RFC 3339), and a JSON array
of run objects with --json.

Filters combine: --image takes a digest, a digest prefix (sha256:4e1d),
REPO@sha256:..., REPO:TAG (the digest the tag points at now, from the
ledger's tag events) or a repository; --commit a commit prefix; --data a
dataset digest (or prefix) or a dataset name; --since and --until a
duration back from now (7d, 36h, 90m), an RFC 3339 time, or a date (UTC;
--since from its start, --until to its end); --label key=value, repeatable;
--rerun-of RUN the re-runs of a run; --user and --host who launched it, and
where (with --status running: what a machine that is gone left running).

--columns picks and orders columns: id, name, status, exit, image, commit,
data, started, finished, duration, user, host, labels, outputs, metric:NAME
(a recorded metric). --sort orders by started (default), duration, exit, status, name or
metric:NAME, highest first; add :asc to reverse. A * after a commit marks a
dirty tree. When stdout is not a terminal, rows are tab-separated, IDs and
digests whole, times RFC 3339 in UTC and durations in seconds.

Exit status: 0 ok, 1 error, 2 usage.`,
		Example: `  repro ls -n 20
  repro ls --image 127.0.0.1:5000/trainer:prod --since 7d
  repro ls --data train --status failed
  repro ls --label sweep=lr --columns id,name,status,metric:accuracy --sort metric:accuracy
  repro ls --json | jq -r '.[] | select(.dirty) | .id'`,
		Args: exactArgs(0, "no arguments"),
		RunE: g.withLedger(true, func(ctx context.Context, l *runlog.Ledger, args []string, s streams) error {
			return runLs(ctx, l, o, s)
		}),
	}
	f := cmd.Flags()
	f.IntVarP(&o.limit, "limit", "n", 0, "show at most N runs (0: all)")
	f.StringVar(&o.status, "status", "", "only runs with this status: running, succeeded, failed, interrupted, lost")
	jsonFlag(cmd, &o.json, "a JSON array of runs")
	f.StringVar(&o.image, "image", "", "only runs of this image: digest, digest prefix, REPO@digest, REPO:TAG or REPO")
	f.StringVar(&o.commit, "commit", "", "only runs of commits starting with this")
	f.StringVar(&o.data, "data", "", "only runs that used this dataset: a digest (or prefix) or a name")
	f.StringVar(&o.since, "since", "", "only runs started since: a duration (7d, 36h) or a date/time")
	f.StringVar(&o.until, "until", "", "only runs started until: a duration back from now or a date/time")
	f.StringVar(&o.name, "name", "", "only runs with this name")
	f.StringArrayVar(&o.labels, "label", nil, "only runs with this label key=value; repeatable")
	f.StringVar(&o.rerunOf, "rerun-of", "", "only re-runs of this run")
	f.StringVar(&o.user, "user", "", "only runs launched by this user")
	f.StringVar(&o.host, "host", "", "only runs launched on this host")
	f.StringVar(&o.columns, "columns", defaultColumns, "columns to show, comma-separated (see above)")
	f.StringVar(&o.sort, "sort", "started", "order: started, duration, exit, status, name, metric:NAME; :asc reverses")
	return cmd
}

// runLs lists the runs that match o.
func runLs(ctx context.Context, l *runlog.Ledger, o *lsOptions, s streams) error {
	f, err := o.filter(ctx, l)
	if err != nil {
		return err
	}
	cols, err := parseColumns(o.columns)
	if err != nil {
		return err
	}
	runs, err := l.List(ctx, f)
	if err != nil {
		return err
	}
	w := s.out
	if o.json {
		return printJSON(w, viewRuns(runs))
	}
	tty := isTerminal(w)
	rows := make([][]string, 0, len(runs))
	for i := range runs {
		rows = append(rows, runRow(&runs[i], cols, tty))
	}
	if len(rows) == 0 && tty {
		fmt.Fprintf(s.err, "repro: no runs match in %s\n", l.Path())
		return nil
	}
	header := make([]string, len(cols))
	for i, c := range cols {
		header[i] = strings.ToUpper(c)
	}
	return printTable(w, header, rows)
}

func (o *lsOptions) filter(ctx context.Context, l *runlog.Ledger) (runlog.Filter, error) {
	f := runlog.Filter{Limit: o.limit, Status: o.status, CommitPrefix: o.commit, Name: o.name, Sort: o.sort}
	switch o.status {
	case "", runlog.StatusRunning, runlog.StatusSucceeded, runlog.StatusFailed, runlog.StatusInterrupted, runlog.StatusLost:
	default:
		return f, usagef("--status %q: choose running, succeeded, failed, interrupted or lost", o.status)
	}
	if o.limit < 0 {
		return f, usagef("-n must not be negative")
	}
	if o.commit != "" && !ident.LowerHex(o.commit) {
		return f, usagef("--commit %q: give a commit or a prefix of one (hex)", o.commit)
	}
	if err := o.imageFilter(ctx, l, &f); err != nil {
		return f, err
	}
	if o.data != "" {
		if strings.HasPrefix(o.data, "sha256:") {
			f.DataDigest = o.data
		} else {
			f.DataName = o.data
		}
	}
	now := time.Now()
	var err error
	if o.since != "" {
		if f.Since, err = parseWhen(o.since, now, startOfDay); err != nil {
			return f, usagef("--since %q: %v", o.since, err)
		}
	}
	if o.until != "" {
		if f.Until, err = parseWhen(o.until, now, endOfDay); err != nil {
			return f, usagef("--until %q: %v", o.until, err)
		}
	}
	for _, lbl := range o.labels {
		k, v, err := runlog.ParseLabel(lbl)
		if err != nil {
			return f, usagef("--label: %v", err)
		}
		if f.Labels == nil {
			f.Labels = map[string]string{}
		}
		f.Labels[k] = v
	}
	f.User, f.Host = o.user, o.host
	if o.rerunOf != "" {
		if f.RerunOf, err = l.Resolve(ctx, o.rerunOf); err != nil {
			return f, fmt.Errorf("--rerun-of: %w", err)
		}
	}
	return f, nil
}

func (o *lsOptions) imageFilter(ctx context.Context, l *runlog.Ledger, f *runlog.Filter) error {
	if o.image == "" {
		return nil
	}
	if strings.HasPrefix(o.image, "sha256:") {
		if !ident.LowerHex(strings.TrimPrefix(o.image, "sha256:")) {
			return usagef("--image %q: a digest is sha256: and lowercase hex", o.image)
		}
		f.ImagePrefix = o.image
		return nil
	}
	ref, err := provenance.ParseRef(o.image)
	if err != nil {
		return usagef("--image: %v", err)
	}
	switch {
	case ref.Digest != "":
		f.ImageDigests = []string{ref.Digest}
	case ref.Tag != "":
		ds, err := l.DigestsOfTag(ctx, ref.Repository, ref.Tag)
		if err != nil {
			return err
		}
		if len(ds) == 0 {
			return fmt.Errorf("--image %s: the ledger has no record of where that tag points (see repro tags history %s); give a digest", o.image, ref.Repository)
		}
		f.ImageDigests = ds
	default:
		f.ImageRepo = ref.Repository
	}
	return nil
}

var knownColumns = map[string]bool{"id": true, "name": true, "status": true, "exit": true, "image": true, "commit": true, "data": true,
	"started": true, "finished": true, "duration": true, "user": true, "host": true, "labels": true, "outputs": true}

func parseColumns(s string) ([]string, error) {
	var cols []string
	for _, c := range strings.Split(s, ",") {
		c = strings.TrimSpace(c)
		if knownColumns[c] || strings.HasPrefix(c, "metric:") && len(c) > len("metric:") {
			cols = append(cols, c)
			continue
		}
		return nil, usagef("--columns: unknown column %q; choose from id, name, status, exit, image, commit, data, started, finished, duration, user, host, labels, outputs, metric:NAME", c)
	}
	return cols, nil
}

func runRow(r *runlog.Run, cols []string, tty bool) []string {
	row := make([]string, len(cols))
	for i, c := range cols {
		row[i] = runCell(r, c, tty)
	}
	return row
}

func runCell(r *runlog.Run, col string, tty bool) string {
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	switch col {
	case "id":
		if tty {
			return r.ShortID()
		}
		return r.ID
	case "name":
		return dash(r.Name)
	case "status":
		return r.Status
	case "exit":
		if r.ExitCode == nil {
			return "-"
		}
		return fmt.Sprint(*r.ExitCode)
	case "image":
		if tty && r.ImageTag != "" {
			return r.ImageRepo + ":" + r.ImageTag + " (" + shortDigest(r.ImageDigest, true) + ")"
		}
		return r.ImageRepo + "@" + shortDigest(r.ImageDigest, tty)
	case "commit":
		if r.Commit == "" {
			return "-"
		}
		c := r.Commit
		if tty {
			c = ident.Commit(c).Short()
		}
		if r.Dirty {
			c += "*"
		}
		return c
	case "data":
		var data []string
		for _, d := range r.Data {
			if tty {
				data = append(data, d.Name)
			} else {
				data = append(data, d.Name+"="+d.Digest)
			}
		}
		return dash(strings.Join(data, ","))
	case "started":
		return formatTime(r.StartedAt, tty)
	case "user":
		return dash(runlog.Visible(r.Host.User))
	case "host":
		return dash(runlog.Visible(r.Host.Hostname))
	case "finished":
		if r.FinishedAt == nil {
			return "-"
		}
		return formatTime(*r.FinishedAt, tty)
	case "duration":
		switch {
		case r.FinishedAt != nil && tty:
			return formatDuration(r.FinishedAt.Sub(r.StartedAt))
		case r.FinishedAt != nil:
			return strconv.FormatFloat(r.FinishedAt.Sub(r.StartedAt).Seconds(), 'f', 3, 64) // seconds, for scripts
		case tty:
			return formatDuration(time.Since(r.StartedAt)) + "…"
		}
		return "-"
	case "labels":
		keys := make([]string, 0, len(r.Labels))
		for k := range r.Labels {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for i, k := range keys {
			keys[i] = k + "=" + r.Labels[k]
		}
		return dash(strings.Join(keys, ","))
	case "outputs":
		return dash(shortDigest(r.OutputsDigest, tty))
	}
	if name, ok := strings.CutPrefix(col, "metric:"); ok {
		if v, ok := r.Metrics[name]; ok {
			return strconv.FormatFloat(v, 'g', -1, 64)
		}
		return "-"
	}
	return "?"
}
