package runlog

import (
	"context"
	"fmt"
	"sort"
)

// Node is one thing in a run's lineage. Links come from content digests:
// a run "produced" a dataset when its outputs have that dataset's digest,
// so nobody declares them.
type Node struct {
	Relation string  `json:"relation"` // how it relates to its parent: image, built from, base, code, data, produced by, re-run, consumed by
	Kind     string  `json:"kind"`     // run, image, commit, dataset
	ID       string  `json:"id"`       // run ID, digest or commit
	Name     string  `json:"name,omitempty"`
	Detail   string  `json:"detail,omitempty"`
	Children []*Node `json:"children"`
	Seen     bool    `json:"seen,omitempty"` // already shown elsewhere in this lineage
}

// Lineage returns the run's upstream (image and what it was built from,
// code, each dataset and the runs that produced it) and downstream (its
// re-runs and the runs that consumed its outputs as data), depth levels of
// runs in each direction.
func (l *Ledger) Lineage(ctx context.Context, ref string, depth int) (*Node, error) {
	r, err := l.Get(ctx, ref)
	if err != nil {
		return nil, err
	}
	if depth < 1 {
		depth = 1
	}
	seen := map[string]bool{}
	root := runNode("run", r)
	seen[r.ID] = true
	if err := l.upstream(ctx, root, r, depth, seen); err != nil {
		return nil, err
	}
	if err := l.downstream(ctx, root, r, depth, seen); err != nil {
		return nil, err
	}
	return root, nil
}

func runNode(rel string, r *Run) *Node {
	detail := r.Status
	if r.FinishedAt != nil {
		detail += " " + r.StartedAt.UTC().Format("2006-01-02T15:04:05Z")
	}
	return &Node{Relation: rel, Kind: "run", ID: r.ID, Name: r.Name, Detail: detail, Children: []*Node{}}
}

func (l *Ledger) upstream(ctx context.Context, n *Node, r *Run, depth int, seen map[string]bool) error {
	img := &Node{Relation: "image", Kind: "image", ID: r.ImageRepo + "@" + r.ImageDigest, Children: []*Node{}}
	if r.ImageTag != "" {
		img.Detail = "as " + r.ImageTag
	}
	for _, d := range []string{r.ImageDigest, r.ImageIndexDigest} {
		if d == "" {
			continue
		}
		built, err := l.GetImage(ctx, d)
		if err != nil {
			return err
		}
		if built == nil {
			continue
		}
		if built.SourceCommit != "" {
			img.Children = append(img.Children, &Node{Relation: "built from", Kind: "commit", ID: built.SourceCommit, Detail: built.Labels["org.opencontainers.image.source"], Children: []*Node{}})
		}
		base := built.BaseName
		if built.BaseDigest != "" {
			base += "@" + built.BaseDigest
		}
		img.Children = append(img.Children, &Node{Relation: "base", Kind: "image", ID: base, Children: []*Node{}})
		break
	}
	n.Children = append(n.Children, img)
	if r.Commit != "" {
		detail := r.Branch
		if r.Dirty {
			detail += " (dirty)"
		}
		n.Children = append(n.Children, &Node{Relation: "code", Kind: "commit", ID: r.Commit, Detail: detail, Children: []*Node{}})
	}
	for _, d := range r.Data {
		dn := &Node{Relation: "data " + d.Name, Kind: "dataset", ID: d.Digest, Detail: fmt.Sprintf("%s, %d files", d.Path, d.Files), Children: []*Node{}}
		n.Children = append(n.Children, dn)
		producers, err := l.producers(ctx, d)
		if err != nil {
			return err
		}
		for i := range producers {
			p := &producers[i]
			pn := runNode("produced by", p)
			dn.Children = append(dn.Children, pn)
			if seen[p.ID] {
				pn.Seen = true
				continue
			}
			seen[p.ID] = true
			if depth > 1 {
				if err := l.upstream(ctx, pn, p, depth-1, seen); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// producers are the runs whose outputs are the dataset: the same
// directory digest, or (for a file) an output file with its digest.
func (l *Ledger) producers(ctx context.Context, d Dataset) ([]Run, error) {
	if d.Kind == "file" {
		return l.runsFrom(ctx, "SELECT run FROM outputs WHERE digest = ?", digestValue(d.Digest))
	}
	// (The != '' lets SQLite use the partial index on outputs_digest.)
	return l.runsFrom(ctx, "SELECT seq FROM runs WHERE outputs_digest = ? AND outputs_digest != ''", digestValue(d.Digest))
}

// runsFrom loads, newest first, the runs whose keys (seq) a query on an
// index returns. Two steps on purpose: asked as one query with IN (SELECT ...),
// SQLite walks the runs by start time instead of using that index.
func (l *Ledger) runsFrom(ctx context.Context, idQuery string, args ...any) ([]Run, error) {
	rows, err := l.db.QueryContext(ctx, idQuery+" LIMIT 1000", args...)
	if err != nil {
		return nil, explain(err)
	}
	var ids []any
	for rows.Next() {
		var seq int64
		if err := rows.Scan(&seq); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, seq)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return []Run{}, nil
	}
	// By primary key, then newest first here: an ORDER BY on the start
	// time would tempt SQLite to walk every run by that index.
	runs, err := queryRunsOrdered(ctx, l.db, "WHERE r.seq IN "+inList(len(ids)), ids, "r.seq", 0)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(runs, func(i, j int) bool { return runs[i].StartedAt.After(runs[j].StartedAt) })
	if len(runs) > maxLinks {
		runs = runs[:maxLinks]
	}
	return runs, nil
}

// maxLinks bounds how many runs one link lists (a dataset produced by a
// thousand identical runs is shown by the newest few).
const maxLinks = 20

func (l *Ledger) downstream(ctx context.Context, n *Node, r *Run, depth int, seen map[string]bool) error {
	reruns, err := l.runsFrom(ctx, "SELECT seq FROM runs WHERE rerun_of = ?", r.ID)
	if err != nil {
		return err
	}
	for i := range reruns {
		c := runNode("re-run", &reruns[i])
		c.Seen = seen[reruns[i].ID]
		seen[reruns[i].ID] = true
		n.Children = append(n.Children, c)
	}
	if r.OutputsDigest == "" {
		return nil
	}
	digests := []string{r.OutputsDigest}
	values := []any{digestValue(r.OutputsDigest)}
	marks := "?"
	for _, o := range r.Outputs {
		digests = append(digests, o.Digest)
		values = append(values, digestValue(o.Digest))
		marks += ",?"
	}
	consumers, err := l.runsFrom(ctx, "SELECT DISTINCT run FROM datasets WHERE digest IN ("+marks+")", values...)
	if err != nil {
		return err
	}
	for i := range consumers {
		c := &consumers[i]
		cn := runNode("consumed by", c)
		for _, d := range c.Data {
			for _, x := range digests {
				if d.Digest == x {
					cn.Detail += " as data " + d.Name
				}
			}
		}
		n.Children = append(n.Children, cn)
		if seen[c.ID] {
			cn.Seen = true
			continue
		}
		seen[c.ID] = true
		if depth > 1 {
			if err := l.downstream(ctx, cn, c, depth-1, seen); err != nil {
				return err
			}
		}
	}
	return nil
}
