package runlog

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Filter selects runs for List. Zero values select everything.
type Filter struct {
	Limit        int
	Status       string
	ImageDigests []string // the run's manifest or index digest is one of these
	ImagePrefix  string   // or starts with this (sha256:4e1d...)
	ImageRepo    string   // the image's repository
	CommitPrefix string
	DataDigest   string // a dataset's digest starts with this
	DataName     string // a dataset has this name
	Since, Until time.Time
	Name         string
	Labels       map[string]string
	RerunOf      string
	User         string // launched by this user
	Host         string // launched on this host
	Sort         string // started (default), duration, exit, status, name, metric:NAME; add :asc to reverse

	dataMatches int // how many dataset rows the data filter matches (set by List)
}

func (f Filter) where() (string, []any, error) {
	var conds []string
	var args []any
	add := func(c string, a ...any) { conds = append(conds, c); args = append(args, a...) }
	if f.Status != "" {
		add("r.status = ?", f.Status)
	}
	imageIn := func(ds []string) {
		marks := inList(len(ds))
		var a []any
		for _, d := range ds {
			a = append(a, digestValue(d))
		}
		// (The != '' lets SQLite use the partial index on image_index_digest.)
		add("(r.image_digest IN "+marks+" OR (r.image_index_digest IN "+marks+" AND r.image_index_digest != ''))", append(a, a...)...)
	}
	if len(f.ImageDigests) > 0 {
		imageIn(f.ImageDigests)
	}
	if h, ok := strings.CutPrefix(f.ImagePrefix, sha256Prefix); ok && len(h) == 64 {
		imageIn([]string{f.ImagePrefix}) // a whole digest: index look-ups, not ranges
	} else if f.ImagePrefix != "" {
		c1, a1 := digestPrefixRange("r.image_digest", f.ImagePrefix)
		c2, a2 := digestPrefixRange("r.image_index_digest", f.ImagePrefix)
		add("(("+c1+") OR ("+c2+" AND r.image_index_digest != ''))", append(a1, a2...)...)
	}
	if f.ImageRepo != "" {
		add("r.context IN (SELECT id FROM run_contexts WHERE image_repo = ?)", f.ImageRepo)
	}
	if f.User != "" {
		add("r.context IN (SELECT id FROM run_contexts WHERE host_user = ?)", f.User)
	}
	if f.Host != "" {
		add("r.context IN (SELECT id FROM run_contexts WHERE host_name = ?)", f.Host)
	}
	if f.CommitPrefix != "" {
		c, a := commitPrefixRange("r.code_commit", f.CommitPrefix)
		add(c, a...)
	}
	if f.DataDigest != "" {
		c, a := digestPrefixRange("d.digest", f.DataDigest)
		add(f.datasetCond(c), a...)
	}
	if f.DataName != "" {
		add(f.datasetCond("d.name = ?"), f.DataName)
	}
	if !f.Since.IsZero() {
		add("r.started_at >= ?", f.Since.UTC().Format(TimeFormat))
	}
	if !f.Until.IsZero() {
		add("r.started_at <= ?", f.Until.UTC().Format(TimeFormat))
	}
	if f.Name != "" {
		add("r.name = ?", f.Name)
	}
	keys := make([]string, 0, len(f.Labels))
	for k := range f.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		add("r.seq IN (SELECT run FROM run_labels WHERE key = ? AND value = ?)", k, f.Labels[k])
	}
	if f.RerunOf != "" {
		add("r.rerun_of = ?", f.RerunOf)
	}
	where := ""
	if len(conds) > 0 {
		where = "WHERE " + strings.Join(conds, " AND ")
	}
	return where, args, nil
}

// datasetCond selects runs by their datasets. When the dataset is common
// (many runs per listed row), the runs are walked newest first and each
// is checked; when it is rare, the few runs are collected through the
// dataset index. SQLite cannot tell the two apart by itself, so List
// counts first (dataMatches).
func (f Filter) datasetCond(cond string) string {
	if f.Limit > 0 && f.dataMatches > 20*f.Limit {
		return "EXISTS (SELECT 1 FROM datasets d WHERE d.run = r.seq AND " + cond + ")"
	}
	return "r.seq IN (SELECT d.run FROM datasets d WHERE " + cond + ")"
}

// order turns a sort key into SQL. Every order ends with the key (seq,
// the order runs were recorded in) so that equal keys list the same way
// every time.
func (f Filter) order(b backend) (string, []any, error) {
	key, dir := f.Sort, "DESC"
	if k, ok := strings.CutSuffix(key, ":asc"); ok {
		key, dir = k, "ASC"
	}
	switch {
	case key == "" || key == "started":
		return "r.started_at " + dir + ", r.seq " + dir, nil, nil
	case key == "duration":
		return b.seconds("r.started_at", "r.finished_at") + " " + dir + " NULLS LAST, r.seq DESC", nil, nil
	case key == "exit":
		return "r.exit_code " + dir + " NULLS LAST, r.seq DESC", nil, nil
	case key == "status" || key == "name":
		return "r." + key + " " + dir + ", r.started_at DESC, r.seq DESC", nil, nil
	case strings.HasPrefix(key, "metric:") && len(key) > len("metric:"):
		return b.metric("r.metrics") + " " + dir + " NULLS LAST, r.started_at DESC, r.seq DESC", []any{b.metricPath(strings.TrimPrefix(key, "metric:"))}, nil
	}
	return "", nil, fmt.Errorf("sort order %q: choose started, duration, exit, status, name or metric:NAME, with :asc to reverse", f.Sort)
}

// metricPath is the parameter b.metric takes for the metric name: a JSON
// path for SQLite, a one-element text array for PostgreSQL.
func (b backend) metricPath(name string) string {
	quoted := `"` + strings.ReplaceAll(strings.ReplaceAll(name, `\`, `\\`), `"`, `\"`) + `"`
	if b == postgresBackend {
		return "{" + quoted + "}"
	}
	return "$." + quoted
}

// List returns the runs the filter selects, newest first unless sorted
// otherwise.
func (l *Ledger) List(ctx context.Context, f Filter) ([]Run, error) {
	if l.db == nil {
		return []Run{}, nil
	}
	if f.DataDigest != "" || f.DataName != "" {
		cond, a := "d.name = ?", []any{f.DataName}
		if f.DataDigest != "" {
			cond, a = digestPrefixRange("d.digest", f.DataDigest)
		}
		// Counted only as far as datasetCond needs to know.
		q := fmt.Sprintf("SELECT count(*) FROM (SELECT 1 FROM datasets d WHERE %s LIMIT %d) AS matches", cond, 20*f.Limit+1)
		if err := l.db.QueryRowContext(ctx, q, a...).Scan(&f.dataMatches); err != nil {
			return nil, explain(err)
		}
	}
	where, args, err := f.where()
	if err != nil {
		return nil, err
	}
	order, oargs, err := f.order(l.db.b)
	if err != nil {
		return nil, err
	}
	if f.Limit <= 0 || f.Limit > maxDeferred {
		return queryRunsOrdered(ctx, l.db, where, append(args, oargs...), order, f.Limit)
	}
	// Two steps: pick the page of runs by key, from the indexes and the
	// few columns the filter and order need, then read those runs whole.
	// In one step, SQLite carries every matching run's whole row (and its
	// context) through the sort to keep the first few.
	rows, err := l.db.QueryContext(ctx, fmt.Sprintf("SELECT r.seq FROM runs r %s ORDER BY %s LIMIT %d", where, order, f.Limit), append(args, oargs...)...)
	if err != nil {
		return nil, explain(err)
	}
	defer rows.Close()
	var seqs []any
	rank := map[int64]int{}
	for rows.Next() {
		var seq int64
		if err := rows.Scan(&seq); err != nil {
			return nil, err
		}
		rank[seq] = len(seqs)
		seqs = append(seqs, seq)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	if len(seqs) == 0 {
		return []Run{}, nil
	}
	runs, err := queryRunsOrdered(ctx, l.db, "WHERE r.seq IN "+inList(len(seqs)), seqs, "r.seq", 0)
	if err != nil {
		return nil, err
	}
	sort.Slice(runs, func(i, j int) bool { return rank[runs[i].seq] < rank[runs[j].seq] })
	return runs, nil
}

// maxDeferred is the longest page List picks by key first (bound
// parameters are limited).
const maxDeferred = 5000

// DigestsOfTag returns the digest a repository's tag points at now,
// according to the ledger's tag events.
func (l *Ledger) DigestsOfTag(ctx context.Context, repository, tag string) ([]string, error) {
	if l.db == nil {
		return nil, nil
	}
	var (
		id int64
		d  string
	)
	err := l.db.QueryRowContext(ctx, tagNowSQL, repository, tag).Scan(&id, &d)
	if err != nil {
		return nil, nil
	}
	return []string{d}, nil
}
