package runlog

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
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

func canonical(r *Run) []byte {
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
	b, err := json.Marshal(c)
	if err != nil {
		panic(err) // only strings, numbers and slices of them
	}
	return b
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

// chainRun appends the finished run id to the chain, inside the
// transaction that finished it.
func chainRun(ctx context.Context, tx *sql.Tx, id string) error {
	runs, err := queryRuns(ctx, tx, "WHERE r.id = ?", []any{id}, 1)
	if err != nil {
		return err
	}
	if len(runs) != 1 {
		return fmt.Errorf("chain run %s: %w", Short(id), ErrNotFound)
	}
	var prev digestCol
	err = tx.QueryRowContext(ctx, "SELECT hash FROM chain ORDER BY seq DESC LIMIT 1").Scan(&prev)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	rawID, err := hex.DecodeString(id)
	if err != nil {
		return fmt.Errorf("chain run %q: %w", id, err)
	}
	_, err = tx.ExecContext(ctx, "INSERT INTO chain (run_id, prev, hash) VALUES (?, ?, ?)",
		rawID, digestValue(string(prev)), digestValue(chainHash(string(prev), &runs[0])))
	return err
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
	Problem *ChainProblem `json:"problem"` // nil: intact
}

// VerifyChain walks the chain in order, recomputing every finished run's
// hash from its current contents, and reports the first record that was
// edited, deleted or inserted out of order behind repro's back, or a
// finished run that is not in the chain at all. It reads the chain and
// the runs a thousand at a time.
func (l *Ledger) VerifyChain(ctx context.Context) (*ChainReport, error) {
	rep := &ChainReport{}
	if l.db == nil {
		return rep, nil
	}
	prev := ""
	for after := int64(-1); ; {
		links, err := l.chainLinks(ctx, after, 1000)
		if err != nil {
			return nil, err
		}
		if len(links) == 0 {
			break
		}
		after = links[len(links)-1].seq
		ids := make([]any, len(links))
		for i, k := range links {
			ids[i] = k.id
		}
		runs, err := l.query(ctx, "WHERE r.id IN ("+strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")+")", ids, 0)
		if err != nil {
			return nil, err
		}
		byID := make(map[string]*Run, len(runs))
		for i := range runs {
			byID[runs[i].ID] = &runs[i]
		}
		for _, k := range links {
			if k.prev != prev {
				rep.Problem = &ChainProblem{Seq: k.seq, RunID: k.id, Kind: "inserted out of order", Detail: "its link does not follow the record before it: a record before it was deleted, or this one was inserted"}
				return rep, nil
			}
			r := byID[k.id]
			if r == nil {
				rep.Problem = &ChainProblem{Seq: k.seq, RunID: k.id, Kind: "deleted", Detail: "the chain lists it, the runs table does not have it"}
				return rep, nil
			}
			if chainHash(prev, r) != k.stored {
				rep.Problem = &ChainProblem{Seq: k.seq, RunID: k.id, Kind: "edited", Detail: "its contents no longer match the hash recorded when it finished"}
				return rep, nil
			}
			prev = k.stored
			rep.Records++
		}
	}
	// Every link named a different finished run (an edited or repeated
	// one fails its hash), so equal counts mean every finished run is in
	// the chain. Otherwise, find one that is not: written by hand.
	var finished int
	if err := l.db.QueryRowContext(ctx, "SELECT count(*) FROM runs WHERE status != 'running'").Scan(&finished); err != nil {
		return nil, explain(err)
	}
	if finished == rep.Records {
		return rep, nil
	}
	var id string
	err := l.db.QueryRowContext(ctx, `SELECT id FROM runs WHERE status != 'running'
		AND unhex(id) NOT IN (SELECT run_id FROM chain) ORDER BY started_at LIMIT 1`).Scan(&id)
	if err != nil {
		return nil, explain(err)
	}
	rep.Problem = &ChainProblem{RunID: id, Kind: "inserted", Detail: "it is finished but is not in the chain"}
	return rep, nil
}

type chainLink struct {
	seq          int64
	id           string
	prev, stored string
}

// chainLinks reads up to n links after position after.
func (l *Ledger) chainLinks(ctx context.Context, after int64, n int) ([]chainLink, error) {
	rows, err := l.db.QueryContext(ctx, "SELECT seq, run_id, prev, hash FROM chain WHERE seq > ? ORDER BY seq LIMIT ?", after, n)
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
		if err := rows.Scan(&k.seq, &rawID, &prev, &stored); err != nil {
			return nil, err
		}
		k.id, k.prev, k.stored = hex.EncodeToString(rawID), string(prev), string(stored)
		links = append(links, k)
	}
	return links, rows.Err()
}
