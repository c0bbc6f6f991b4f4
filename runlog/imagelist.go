package runlog

import (
	"context"
	"sort"
	"time"
)

// ImageSummary is one image repro built or ran.
type ImageSummary struct {
	Repository   string     `json:"repository"`
	Digest       string     `json:"digest"`
	Built        bool       `json:"built"` // built by repro build (the images table has it)
	SourceCommit string     `json:"source_commit,omitempty"`
	Created      string     `json:"created,omitempty"`
	Tags         []string   `json:"tags"`      // tags that point at it now
	PastTags     []string   `json:"past_tags"` // tags that pointed at it and moved on
	Runs         int        `json:"runs"`
	LastRun      *time.Time `json:"last_run"`
}

// Images lists the images of a repository ("" : all) that repro built or
// ran, with their tags now and in the past, and how many runs used each.
func (l *Ledger) Images(ctx context.Context, repository string) ([]ImageSummary, error) {
	if l.db == nil {
		return []ImageSummary{}, nil
	}
	byDigest := map[string]*ImageSummary{}
	get := func(repo, digest string) *ImageSummary {
		s := byDigest[digest]
		if s == nil {
			s = &ImageSummary{Repository: repo, Digest: digest, Tags: []string{}, PastTags: []string{}}
			byDigest[digest] = s
		}
		return s
	}
	filter, args := "", []any{}
	if repository != "" {
		filter, args = " WHERE repository = ?", []any{repository}
	}
	rows, err := l.db.QueryContext(ctx, "SELECT repository, digest, source_commit, created FROM images"+filter, args...)
	if err != nil {
		return nil, explain(err)
	}
	for rows.Next() {
		var repo, digest, commit, created string
		if err := rows.Scan(&repo, &digest, &commit, &created); err != nil {
			rows.Close()
			return nil, err
		}
		s := get(repo, digest)
		s.Built, s.SourceCommit, s.Created = true, commit, created
	}
	rows.Close()

	// How many runs used each image: kept by the ledger as runs are
	// recorded (schema 0003), not counted here.
	runFilter := ""
	if repository != "" {
		runFilter = " WHERE image_repo = ?"
	}
	rows, err = l.db.QueryContext(ctx, "SELECT image_repo, image_digest, runs, last_started FROM image_usage"+runFilter, args...)
	if err != nil {
		return nil, explain(err)
	}
	for rows.Next() {
		var repo, last string
		var digest digestCol
		var n int
		if err := rows.Scan(&repo, &digest, &n, &last); err != nil {
			rows.Close()
			return nil, err
		}
		s := get(repo, string(digest))
		s.Runs += n
		if t, err := time.Parse(TimeFormat, last); err == nil && (s.LastRun == nil || t.After(*s.LastRun)) {
			s.LastRun = &t
		}
	}
	rows.Close()

	rows, err = l.db.QueryContext(ctx, "SELECT repository, tag, digest FROM tag_events"+filter+" ORDER BY at, id", args...)
	if err != nil {
		return nil, explain(err)
	}
	type key struct{ repo, tag string }
	current := map[key]string{}
	pointed := map[key]map[string]bool{}
	for rows.Next() {
		var k key
		var digest string
		if err := rows.Scan(&k.repo, &k.tag, &digest); err != nil {
			rows.Close()
			return nil, err
		}
		current[k] = digest
		if pointed[k] == nil {
			pointed[k] = map[string]bool{}
		}
		pointed[k][digest] = true
	}
	rows.Close()
	for k, digests := range pointed {
		for d := range digests {
			s := get(k.repo, d)
			if current[k] == d {
				s.Tags = append(s.Tags, k.tag)
			} else {
				s.PastTags = append(s.PastTags, k.tag)
			}
		}
	}
	out := make([]ImageSummary, 0, len(byDigest))
	for _, s := range byDigest {
		sort.Strings(s.Tags)
		sort.Strings(s.PastTags)
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Repository != out[j].Repository {
			return out[i].Repository < out[j].Repository
		}
		return out[i].Digest < out[j].Digest
	})
	return out, nil
}
