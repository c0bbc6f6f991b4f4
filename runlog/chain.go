package runlog

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"sync"
)

// canonicalV1 is the encoding a finished run is hashed in: a fixed list
// of fields in a fixed order, datasets by name, outputs by path, times in
// the ledger's own format. It never changes; a new encoding gets a new
// name.
type canonicalV1 struct {
	V                 int                `json:"v"`
	ID                string             `json:"id"`
	Name              string             `json:"name"`
	Status            string             `json:"status"`
	ExitCode          *int               `json:"exit_code"`
	Signal            string             `json:"signal"`
	OOMKilled         bool               `json:"oom_killed"`
	Error             string             `json:"error"`
	Image             string             `json:"image"`
	ImageRepo         string             `json:"image_repo"`
	ImageTag          string             `json:"image_tag"`
	ImageDigest       string             `json:"image_digest"`
	ImageIndexDigest  string             `json:"image_index_digest"`
	ImageConfigDigest string             `json:"image_config_digest"`
	ImagePlatform     string             `json:"image_platform"`
	CodeDir           string             `json:"code_dir"`
	Commit            string             `json:"commit"`
	Branch            string             `json:"branch"`
	Remote            string             `json:"remote"`
	Dirty             bool               `json:"dirty"`
	ChangedFiles      []string           `json:"changed_files"`
	CodeMount         bool               `json:"code_mount"`
	CodeTree          string             `json:"code_tree"`
	PatchDigest       string             `json:"code_patch"`
	Argv              []string           `json:"argv"`
	Workdir           string             `json:"workdir"`
	Memory            string             `json:"memory"`
	GPUs              string             `json:"gpu_request"`
	Env               []EnvVar           `json:"env"`
	Data              []Dataset          `json:"datasets"`
	OutDir            string             `json:"out_dir"`
	OutputsDigest     string             `json:"outputs_digest"`
	Outputs           []Output           `json:"outputs"`
	Metrics           map[string]float64 `json:"metrics"`
	Host              Host               `json:"host"`
	Engine            Engine             `json:"engine"`
	ReproVersion      string             `json:"repro_version"`
	StartedAt         string             `json:"started_at"`
	FinishedAt        string             `json:"finished_at"`
	RerunOf           string             `json:"rerun_of"`
}

func canonical(r *Run) []byte { return appendRun(make([]byte, 0, 4096), r) }

// appendRun appends r's canonical encoding to dst.
func appendRun(dst []byte, r *Run) []byte {
	c := canonicalV1{V: 1, ID: r.ID, Name: r.Name, Status: r.Status, ExitCode: r.ExitCode, Signal: r.Signal, OOMKilled: r.OOMKilled, Error: r.Error,
		Image: r.Image, ImageRepo: r.ImageRepo, ImageTag: r.ImageTag, ImageDigest: r.ImageDigest, ImageIndexDigest: r.ImageIndexDigest,
		ImageConfigDigest: r.ImageConfigDigest, ImagePlatform: r.ImagePlatform, CodeDir: r.CodeDir, Commit: r.Commit, Branch: r.Branch,
		Remote: r.Remote, Dirty: r.Dirty, ChangedFiles: r.ChangedFiles, CodeMount: r.CodeMount, CodeTree: r.CodeTree, PatchDigest: r.PatchDigest, Argv: r.Argv, Workdir: r.Workdir, Memory: r.Memory, GPUs: r.GPUs,
		Env: r.Env, Data: append([]Dataset{}, r.Data...), OutDir: r.OutDir, OutputsDigest: r.OutputsDigest,
		Outputs: append([]Output{}, r.Outputs...), Metrics: r.Metrics, Host: r.Host, Engine: r.Engine, ReproVersion: r.ReproVersion,
		StartedAt: r.StartedAt.UTC().Format(TimeFormat), RerunOf: r.RerunOf}
	if r.FinishedAt != nil {
		c.FinishedAt = r.FinishedAt.UTC().Format(TimeFormat)
	}
	sort.Slice(c.Data, func(i, j int) bool { return c.Data[i].Name < c.Data[j].Name })
	sort.Slice(c.Outputs, func(i, j int) bool { return c.Outputs[i].Path < c.Outputs[j].Path })
	if b, ok := appendCanonical(dst, &c); ok {
		return b
	}
	b, err := json.Marshal(c)
	if err != nil {
		panic(err) // only strings, numbers and slices of them
	}
	return append(dst, b...)
}

// canonicalBegin is the encoding of r as it was when first recorded: the
// fields that finishing a run sets are left at their running values, so
// the begin link of a finished run is recomputed from its current row.
func canonicalBegin(r *Run) []byte { return appendBegin(make([]byte, 0, 4096), r) }

func appendBegin(dst []byte, r *Run) []byte {
	b := *r
	b.Status, b.ExitCode, b.Signal, b.OOMKilled, b.Error = StatusRunning, nil, "", false, ""
	b.OutputsDigest, b.Outputs, b.Metrics, b.FinishedAt = "", nil, nil, nil
	return appendRun(dst, &b)
}

// Link kinds: a run is chained when it is recorded and when it finishes.
const (
	linkBegin = "begin"
	linkEnd   = "end"
)

func canonicalFor(kind string, r *Run) []byte { return appendFor(make([]byte, 0, 4096), kind, r) }

// appendFor appends the encoding of r that its link of kind hashes to dst
// (reused from its start).
func appendFor(dst []byte, kind string, r *Run) []byte {
	if kind == linkBegin {
		return appendBegin(dst[:0], r)
	}
	return appendRun(dst[:0], r)
}

// chainHash is the chain's link for run r after the link prev.
func chainHash(prev string, r *Run) string { return chainHashOf(prev, canonical(r)) }

// chainHashOf is chainHash for a run already in canonical form.
func chainHashOf(prev string, canon []byte) string {
	h := sha256.New()
	h.Write([]byte(prev))
	h.Write([]byte{'\n'})
	h.Write(canon)
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// chainRun appends run id's link of kind to the chain, inside the
// transaction that recorded or finished it, and signs the new head with
// signer (nil: unsigned). The run is read back, so that the link hashes
// what is stored; cs holds contexts already decoded.
func chainRun(ctx context.Context, tx *txn, id, kind string, signer Signer, at string, cs contexts) error {
	runs, err := queryRunsShared(ctx, tx, "WHERE r.id = ?", []any{id}, "r.seq DESC", 1, cs)
	if err != nil {
		return err
	}
	if len(runs) != 1 {
		return fmt.Errorf("chain run %s: %w", Short(id), ErrNotFound)
	}
	return appendLink(ctx, tx, &runs[0], kind, signer, at)
}

// appendLink appends r's link of kind after the chain's head and signs
// the new head with signer (nil: unsigned). r must be as its rows read.
func appendLink(ctx context.Context, tx *txn, r *Run, kind string, signer Signer, at string) error {
	var prev digestCol
	err := tx.QueryRowContext(ctx, "SELECT hash FROM chain ORDER BY seq DESC LIMIT 1").Scan(&prev)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	rawID, err := hex.DecodeString(r.ID)
	if err != nil {
		return fmt.Errorf("chain run %q: %w", r.ID, err)
	}
	hash := chainHashOf(string(prev), canonicalFor(kind, r))
	var seq int64
	if err := tx.QueryRowContext(ctx, "INSERT INTO chain (run_id, prev, hash, kind) VALUES (?, ?, ?, ?) RETURNING seq",
		rawID, digestValue(string(prev)), digestValue(hash), kind).Scan(&seq); err != nil {
		return err
	}
	return signHead(ctx, tx, signer, seq, hash, at)
}

// checkBegun is called before run r, as its rows read, is finished: its
// begin link must still match, so that a record edited while it was
// running is never chained as if repro had written it. A run left running
// by a repro older than begin links is let through.
func checkBegun(ctx context.Context, tx *txn, r *Run) error {
	rawID, _ := hex.DecodeString(r.ID)
	var (
		seq          int64
		prev, stored digestCol
	)
	err := tx.QueryRowContext(ctx, "SELECT seq, prev, hash FROM chain WHERE run_id = ? AND kind = 'begin'", rawID).Scan(&seq, &prev, &stored)
	if errors.Is(err, sql.ErrNoRows) {
		exempt, err := beginExempt(ctx, tx, rawID)
		if err != nil || exempt {
			return err
		}
		return &ChainProblem{RunID: r.ID, Kind: "inserted", Detail: "it is recorded as running but was never chained when it started"}
	}
	if err != nil {
		return err
	}
	if chainHashOf(string(prev), canonicalBegin(r)) != string(stored) {
		return &ChainProblem{Seq: seq, RunID: r.ID, Kind: "edited", Detail: "its contents no longer match the hash recorded when it started"}
	}
	return nil
}

// ChainProblem is the first place where the ledger differs from what
// repro wrote.
type ChainProblem struct {
	Seq    int64  `json:"seq"`    // position in the chain (0: not in it)
	RunID  string `json:"run_id"` // the record concerned
	Kind   string `json:"kind"`   // edited, deleted, inserted, unchained
	Detail string `json:"detail"`
}

func (p *ChainProblem) Error() string {
	return fmt.Sprintf("ledger record %s (chain position %d) was %s: %s", Short(p.RunID), p.Seq, p.Kind, p.Detail)
}

// ChainReport is what VerifyChain found.
type ChainReport struct {
	Records int           `json:"records"` // finished runs checked
	Running int           `json:"running"` // runs still running, checked as recorded
	Links   int           `json:"links"`   // chain links checked
	Head    string        `json:"head"`    // the last link's hash ("" : empty chain)
	HeadSeq int64         `json:"head_seq"`
	Problem *ChainProblem `json:"problem"` // nil: intact
}

// VerifyChain walks the chain in order, recomputing every link from its
// run's current contents (the begin link from the run as it was recorded,
// the end link from the run as it finished), and reports the first record
// that was edited, deleted or inserted behind repro's back, a finished run
// that is not in the chain, or a run recorded without a begin link.
//
// It streams, on every core: the chain is read a thousand links at a
// time, the runs each batch names are read by a pool of readers (each run
// once: a run is kept from its begin link to its end link), and the links
// are recomputed in parallel; problems are reported in chain order.
func (l *Ledger) VerifyChain(ctx context.Context) (*ChainReport, error) {
	rep := &ChainReport{}
	if l.db == nil {
		return rep, nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan *linkBatch, 4)
	go l.readChain(ctx, batches)
	prev := ""
	ends := 0
	kept := map[string]*Run{}
	for b := range batches {
		select {
		case <-b.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if b.err != nil {
			return nil, b.err
		}
		runs := make([]*Run, len(b.links))
		for i, k := range b.links {
			r := b.loaded[k.id]
			if b.fromKept[i] {
				r = kept[k.id]
			}
			runs[i] = r
			switch {
			case k.kind == linkBegin && b.keep[i]:
				kept[k.id] = r
			case k.kind == linkEnd:
				delete(kept, k.id)
			}
		}
		problems := checkLinks(b.links, runs)
		for i, k := range b.links {
			if k.prev != prev {
				rep.Problem = &ChainProblem{Seq: k.seq, RunID: k.id, Kind: "inserted out of order", Detail: "its link does not follow the record before it: a record before it was deleted, or this one was inserted"}
				return rep, nil
			}
			r := runs[i]
			if r == nil {
				rep.Problem = &ChainProblem{Seq: k.seq, RunID: k.id, Kind: "deleted", Detail: "the chain lists it, the runs table does not have it"}
				return rep, nil
			}
			if problems[i] != nil {
				rep.Problem = problems[i]
				return rep, nil
			}
			prev = k.stored
			rep.Links++
			rep.Head, rep.HeadSeq = k.stored, k.seq
			if k.kind == linkEnd {
				ends++
			} else if r.Status == StatusRunning {
				rep.Running++
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p, err := l.unchained(ctx, ends)
	if err != nil {
		return nil, err
	}
	rep.Problem, rep.Records = p, ends
	return rep, nil
}

// linkBatch is a run of consecutive chain links. The runs it names are
// read into loaded (by ID; absent: not in the runs table) by one of the
// readers, which closes done; a link marked fromKept takes the run kept
// from its begin link instead, and one marked keep keeps its run until
// its end link.
type linkBatch struct {
	links          []chainLink
	fromKept, keep []bool
	ids            []any // the runs to read
	loaded         map[string]*Run
	err            error
	done           chan struct{}
}

// readChain sends the chain, in order, in batches, and closes out; the
// runs of each batch are read by a pool of readers, one per core, while
// the chain goes on being read. Up to maxKept runs are kept between
// their begin and end links; past that, a run is read again for its end.
func (l *Ledger) readChain(ctx context.Context, out chan<- *linkBatch) {
	const batch, maxKept = 1000, 20000
	jobs := make(chan *linkBatch)
	var readers sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		readers.Go(func() {
			shared := contexts{}
			for b := range jobs {
				b.loaded = make(map[string]*Run, len(b.ids))
				if len(b.ids) > 0 {
					runs, err := queryRunsShared(ctx, l.db, "WHERE r.id IN "+inList(len(b.ids)), b.ids, "r.seq", 0, shared)
					b.err = err
					for i := range runs {
						b.loaded[runs[i].ID] = &runs[i]
					}
				}
				close(b.done)
			}
		})
	}
	defer func() {
		close(jobs)
		readers.Wait()
		close(out)
	}()
	kept := map[string]bool{}
	for after := int64(-1); ; {
		links, err := l.chainLinks(ctx, "seq > ? ORDER BY seq LIMIT ?", after, batch)
		if err != nil || len(links) == 0 {
			if err != nil {
				b := &linkBatch{err: err, done: make(chan struct{})}
				close(b.done)
				select {
				case out <- b:
				case <-ctx.Done():
				}
			}
			return
		}
		after = links[len(links)-1].seq
		b := &linkBatch{links: links, fromKept: make([]bool, len(links)), keep: make([]bool, len(links)), done: make(chan struct{})}
		reading := make(map[string]bool, len(links))
		for i, k := range links {
			switch {
			case kept[k.id]:
				b.fromKept[i] = true
			case !reading[k.id]:
				reading[k.id] = true
				b.ids = append(b.ids, k.id)
			}
			switch {
			case k.kind == linkBegin && len(kept) < maxKept:
				kept[k.id], b.keep[i] = true, true
			case k.kind == linkEnd:
				delete(kept, k.id)
			}
		}
		select { // in order to the checker, then to a reader
		case out <- b:
		case <-ctx.Done():
			return
		}
		select {
		case jobs <- b:
		case <-ctx.Done():
			return
		}
	}
}

// checkLinks recomputes each link from its run (nil: not checked), on
// every core, and returns the problem found with each.
func checkLinks(links []chainLink, runs []*Run) []*ChainProblem {
	problems := make([]*ChainProblem, len(links))
	workers := min(runtime.GOMAXPROCS(0), len(links))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			var buf []byte
			for i := w; i < len(links); i += workers {
				if runs[i] != nil {
					problems[i], buf = links[i].check(runs[i], buf)
				}
			}
		})
	}
	wg.Wait()
	return problems
}

// check recomputes link k from run r, encoding it in buf (returned for
// the next check to reuse).
func (k chainLink) check(r *Run, buf []byte) (*ChainProblem, []byte) {
	if k.kind == linkEnd && r.Status == StatusRunning {
		return &ChainProblem{Seq: k.seq, RunID: k.id, Kind: "edited", Detail: "the chain has it finished, the runs table has it running"}, buf
	}
	buf = appendFor(buf, k.kind, r)
	if chainHashOf(k.prev, buf) != k.stored {
		when := "finished"
		if k.kind == linkBegin {
			when = "started"
		}
		return &ChainProblem{Seq: k.seq, RunID: k.id, Kind: "edited", Detail: "its contents no longer match the hash recorded when it " + when}, buf
	}
	return nil, buf
}

// unchained finds a run that is not in the chain as it should be: a
// finished run without an end link (ends is how many end links the walk
// found, each for a distinct run, or its hash would have failed), or a
// run recorded since begin links exist that has none.
func (l *Ledger) unchained(ctx context.Context, ends int) (*ChainProblem, error) {
	var finished int
	if err := l.db.QueryRowContext(ctx, "SELECT count(*) FROM runs WHERE status != 'running'").Scan(&finished); err != nil {
		return nil, explain(err)
	}
	if finished != ends {
		var id string
		err := l.db.QueryRowContext(ctx, `SELECT id FROM runs WHERE status != 'running'
			AND `+l.db.b.unhex("id")+` NOT IN (SELECT run_id FROM chain WHERE kind = 'end') ORDER BY started_at LIMIT 1`).Scan(&id)
		if err == nil {
			return &ChainProblem{RunID: id, Kind: "inserted", Detail: "it is finished but is not in the chain"}, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return nil, explain(err)
		}
	}
	// A run recorded by this schema has a begin link; only runs finished
	// before it (their end link at or before begin_links_after) or left
	// running by an older repro have none. The runs without one are found
	// first, in one pass over both tables, and only they are checked for
	// an exemption: asked of every run, the exemption was a lookup per
	// run (5.5 s of 6 on PostgreSQL at a million runs).
	var id string
	err := l.db.QueryRowContext(ctx, `WITH m AS MATERIALIZED (SELECT r.id, r.started_at FROM runs r
			WHERE NOT EXISTS (SELECT 1 FROM chain b WHERE b.run_id = `+l.db.b.unhex("r.id")+` AND b.kind = 'begin'))
		SELECT m.id FROM m WHERE NOT `+fmt.Sprintf(beginExemptSQL, l.db.b.unhex("m.id"))+`
		ORDER BY m.started_at LIMIT 1`).Scan(&id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, explain(err)
	}
	return &ChainProblem{RunID: id, Kind: "inserted", Detail: "it was never chained when it was recorded"}, nil
}

// CheckRun checks one run's links before it is used (re-run, compared,
// verified): each link recomputed from the run's current row, and the
// link after each one built on it. It does not walk the whole chain; that
// is VerifyChain's work. A *ChainProblem means the record does not match.
func (l *Ledger) CheckRun(ctx context.Context, r *Run) error {
	problems, err := l.checkRuns(ctx, []*Run{r})
	if err != nil {
		return err
	}
	if p := problems[r.ID]; p != nil {
		return p
	}
	return nil
}

// checkRuns is CheckRun for many runs, their links read in one query: the
// problem of each run that has one, by ID.
func (l *Ledger) checkRuns(ctx context.Context, runs []*Run) (map[string]*ChainProblem, error) {
	problems := map[string]*ChainProblem{}
	if l.db == nil || len(runs) == 0 {
		return problems, nil
	}
	var rawIDs []any
	for _, r := range runs {
		rawID, err := hex.DecodeString(r.ID)
		if err != nil {
			problems[r.ID] = &ChainProblem{RunID: r.ID, Kind: "edited", Detail: "its ID is not hex"}
			continue
		}
		rawIDs = append(rawIDs, rawID)
	}
	byRun := map[string][]chainLink{}
	next := map[int64]string{} // a link's seq -> the prev of the link after it
	if len(rawIDs) > 0 {
		links, err := l.chainLinks(ctx, "run_id IN "+inList(len(rawIDs))+" ORDER BY seq", rawIDs...)
		if err != nil {
			return nil, err
		}
		var after []any
		for _, k := range links {
			byRun[k.id] = append(byRun[k.id], k)
			after = append(after, k.seq+1)
		}
		if next, err = l.nextPrevs(ctx, links, after); err != nil {
			return nil, err
		}
	}
	var buf []byte
	for _, r := range runs {
		if problems[r.ID] != nil {
			continue
		}
		var begun, ended bool
		var p *ChainProblem
		for _, k := range byRun[r.ID] {
			if p, buf = k.check(r, buf); p != nil {
				break
			}
			if n, ok := next[k.seq]; ok && n != k.stored {
				p = &ChainProblem{Seq: k.seq, RunID: r.ID, Kind: "edited", Detail: "the chain's next link does not build on its link: the chain after it was rewritten"}
				break
			}
			begun = begun || k.kind == linkBegin
			ended = ended || k.kind == linkEnd
		}
		switch {
		case p != nil:
		case r.Status != StatusRunning && !ended:
			p = &ChainProblem{RunID: r.ID, Kind: "inserted", Detail: "it is finished but is not in the chain"}
		case !begun:
			rawID, _ := hex.DecodeString(r.ID)
			exempt, err := beginExempt(ctx, l.db, rawID)
			if err != nil {
				return nil, explain(err)
			}
			if !exempt {
				p = &ChainProblem{RunID: r.ID, Kind: "inserted", Detail: "it was never chained when it was recorded"}
			}
		}
		if p != nil {
			problems[r.ID] = p
		}
	}
	return problems, nil
}

// nextPrevs is, for each of links, the prev of the chain's next link
// (none for the head): read for all at seq+1 (after), then one by one
// for the few whose next link is further on.
func (l *Ledger) nextPrevs(ctx context.Context, links []chainLink, after []any) (map[int64]string, error) {
	next := map[int64]string{}
	if len(after) == 0 {
		return next, nil
	}
	found, err := l.chainLinks(ctx, "seq IN "+inList(len(after)), after...)
	if err != nil {
		return nil, err
	}
	for _, n := range found {
		next[n.seq-1] = n.prev
	}
	for _, k := range links {
		if _, ok := next[k.seq]; ok {
			continue
		}
		var prev digestCol
		err := l.db.QueryRowContext(ctx, "SELECT prev FROM chain WHERE seq > ? ORDER BY seq LIMIT 1", k.seq).Scan(&prev)
		switch {
		case err == nil:
			next[k.seq] = string(prev)
		case !errors.Is(err, sql.ErrNoRows):
			return nil, explain(err)
		}
	}
	return next, nil
}

// beginExemptSQL is the condition, for the run whose 16-byte ID is %[1]s,
// of having no begin link by right: left running by a repro older than
// begin links (listed by migration 0005), or finished before they existed.
const beginExemptSQL = `(EXISTS (SELECT 1 FROM chain_legacy_running g WHERE g.run_id = %[1]s)
	OR EXISTS (SELECT 1 FROM chain e WHERE e.run_id = %[1]s AND e.kind = 'end'
		AND e.seq <= (SELECT begin_links_after FROM chain_meta)))`

// beginExempt says whether the run rawID may have no begin link.
func beginExempt(ctx context.Context, q querier, rawID []byte) (bool, error) {
	var exempt bool
	err := q.QueryRowContext(ctx, "SELECT "+fmt.Sprintf(beginExemptSQL, "?1"), rawID).Scan(&exempt)
	return exempt, err
}

type chainLink struct {
	seq          int64
	id           string
	kind         string
	prev, stored string
}

// chainLinks reads the links that where (after WHERE) selects.
func (l *Ledger) chainLinks(ctx context.Context, where string, args ...any) ([]chainLink, error) {
	rows, err := l.db.QueryContext(ctx, "SELECT seq, run_id, prev, hash, kind FROM chain WHERE "+where, args...)
	if err != nil {
		return nil, explain(err)
	}
	defer rows.Close()
	var links []chainLink
	for rows.Next() {
		var (
			k            chainLink
			rawID        []byte
			prev, stored digestCol
		)
		if err := rows.Scan(&k.seq, &rawID, &prev, &stored, &k.kind); err != nil {
			return nil, err
		}
		k.id, k.prev, k.stored = hex.EncodeToString(rawID), string(prev), string(stored)
		links = append(links, k)
	}
	return links, rows.Err()
}
