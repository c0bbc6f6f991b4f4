package runlog

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/reprohq/repro/ident"
)

// Status of a run.
const (
	StatusRunning     = "running"
	StatusSucceeded   = "succeeded"
	StatusFailed      = "failed"
	StatusInterrupted = "interrupted"
	StatusLost        = "lost"
)

// ShortIDLen is how many hex digits of a run ID are shown.
const ShortIDLen = ident.ShortLen

// Run is one recorded run. Its JSON form is what `repro ls --json` and
// `repro show --json` print; field names are stable.
type Run struct {
	seq int64 // the ledger's key for the run

	ID        string            `json:"id"`
	Name      string            `json:"name,omitempty"`
	Labels    map[string]string `json:"labels"`
	Status    string            `json:"status"`
	ExitCode  *int              `json:"exit_code"`
	Signal    string            `json:"signal,omitempty"`
	OOMKilled bool              `json:"oom_killed,omitempty"`
	Error     string            `json:"error,omitempty"`

	Image             string `json:"image"`
	ImageRepo         string `json:"image_repo"`
	ImageTag          string `json:"image_tag,omitempty"`
	ImageDigest       string `json:"image_digest"`
	ImageIndexDigest  string `json:"image_index_digest,omitempty"`
	ImageConfigDigest string `json:"image_config_digest,omitempty"`
	ImagePlatform     string `json:"image_platform,omitempty"`

	CodeDir      string   `json:"code_dir,omitempty"`
	Commit       string   `json:"commit"`
	Branch       string   `json:"branch,omitempty"`
	Remote       string   `json:"remote,omitempty"`
	Dirty        bool     `json:"dirty"`
	ChangedFiles []string `json:"changed_files"`
	CodeMount    bool     `json:"code_mount"`
	CodeTree     string   `json:"code_tree,omitempty"`  // git tree of a dirty work tree
	PatchDigest  string   `json:"code_patch,omitempty"` // sha256 of the patch HEAD -> CodeTree
	Patch        []byte   `json:"-"`                    // written by Begin; read with Blob

	Argv    []string  `json:"argv"`
	Workdir string    `json:"workdir,omitempty"`
	Memory  string    `json:"memory,omitempty"`
	GPUs    string    `json:"gpu_request,omitempty"`
	Env     []EnvVar  `json:"env"`
	Data    []Dataset `json:"datasets"`

	OutDir        string             `json:"out_dir,omitempty"`
	OutputsDigest string             `json:"outputs_digest,omitempty"`
	Outputs       []Output           `json:"outputs"`
	Metrics       map[string]float64 `json:"metrics"`

	Host   Host   `json:"host"`
	Engine Engine `json:"engine"`

	ReproVersion string     `json:"repro_version,omitempty"`
	StartedAt    time.Time  `json:"started_at"`
	FinishedAt   *time.Time `json:"finished_at"`
	RerunOf      string     `json:"rerun_of"`
}

// ShortID is the run ID as shown to people.
func (r *Run) ShortID() string { return Short(r.ID) }

// Short shortens a run ID for display.
func Short(id string) string { return ident.RunID(id).Short() }

// EnvVar is one variable passed to the container. A secret has no value:
// the ledger keeps only its name.
type EnvVar struct {
	Name   string `json:"name"`
	Value  string `json:"value,omitempty"`
	Secret bool   `json:"secret,omitempty"`
}

// Dataset is one --data input with its content digest.
type Dataset struct {
	Name   string `json:"name"`
	Path   string `json:"path"`
	Kind   string `json:"kind"` // "dir" or "file"
	Digest string `json:"digest"`
	Files  int64  `json:"files"`
	Bytes  int64  `json:"bytes"`
	// Listing is the sha256sum listing of a directory, stored once per
	// version by Begin (read with Blob).
	Listing []byte `json:"-"`
}

// Output is one file the run wrote under --out.
type Output struct {
	Path   string `json:"path"`
	Digest string `json:"digest"`
	Bytes  int64  `json:"bytes"`
}

// Host is where the run was launched.
type Host struct {
	User     string `json:"user"`
	Hostname string `json:"hostname"`
	OS       string `json:"os"`
	Arch     string `json:"arch"`
	GPUs     []GPU  `json:"gpus"`
}

// GPU is one accelerator seen by nvidia-smi.
type GPU struct {
	Model  string `json:"model"`
	Driver string `json:"driver"`
}

// Engine is the container engine and the exact command it was given.
type Engine struct {
	Name    string   `json:"name"`
	Version string   `json:"version"`
	Command []string `json:"command"`
}

// Result is how a run ended.
type Result struct {
	Status        string
	ExitCode      *int
	Signal        string
	OOMKilled     bool
	Error         string
	OutputsDigest string
	Outputs       []Output
	Metrics       map[string]float64
}

// NewID returns a fresh random run ID (32 hex digits; 12 are shown).
func NewID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return hex.EncodeToString(b[:])
}

// ErrNotFound is returned when no run matches.
var ErrNotFound = errors.New("no such run")

// AmbiguousError is returned when a prefix matches several runs.
type AmbiguousError struct {
	Prefix  string
	Matches []string
}

func (e *AmbiguousError) Error() string {
	short := make([]string, len(e.Matches))
	for i, m := range e.Matches {
		short[i] = Short(m)
	}
	more := ""
	if len(e.Matches) >= maxMatches {
		more = ", ..."
	}
	return fmt.Sprintf("run ID %q is ambiguous: it matches %s%s; give more digits", e.Prefix, strings.Join(short, ", "), more)
}

const maxMatches = 10

// ValidatePrefix checks that s can be a run ID or prefix of one.
func ValidatePrefix(s string) error {
	if s == "" {
		return errors.New("run ID is empty")
	}
	if len(s) > 32 {
		return fmt.Errorf("run ID %q is too long: IDs have 32 hex digits", truncate(s))
	}
	if !ident.LowerHex(s) {
		return fmt.Errorf("run ID %q is not hex: IDs look like 4e1d2a9c0b7f (see repro ls)", truncate(s))
	}
	return nil
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// Begin records run r as running. It is written before the container
// starts, so a crash leaves a trace. Begin is idempotent on r.ID.
func (l *Ledger) Begin(ctx context.Context, r *Run) error {
	if r.ID == "" {
		r.ID = NewID()
	}
	if r.StartedAt.IsZero() {
		r.StartedAt = l.now()
	}
	r.Status = StatusRunning
	return explainWrite(l.write(ctx, func(tx *txn) error {
		cs := contexts{}
		fresh, err := begin(ctx, tx, r, cs)
		if err != nil || !fresh {
			return err
		}
		// Chained as recorded: nothing a re-run reads is ever outside
		// the chain, even while the run is running.
		return chainRun(ctx, tx, r.ID, linkBegin, l.signer, l.stamp(), cs)
	}))
}

// begin inserts r; fresh is false when it was already there. The
// context it is stored with is left decoded in cs.
func begin(ctx context.Context, tx *txn, r *Run, cs contexts) (fresh bool, err error) {
	cid, err := contextID(ctx, tx, r, cs)
	if err != nil {
		return false, err
	}
	var seq int64
	switch err := tx.QueryRowContext(ctx, `INSERT INTO runs (
			name, id, status, context, image_digest, image_index_digest,
			code_commit, code_dirty, code_changed, code_tree, code_patch,
			argv, started_at, rerun_of
		) VALUES (?,?,?,?,?,?, ?,?,?,?,?, ?,?,?) ON CONFLICT (id) DO NOTHING RETURNING seq`,
		nullable(r.Name), r.ID, r.Status, cid, digestValue(r.ImageDigest), digestValue(r.ImageIndexDigest),
		commitValue(r.Commit), r.Dirty, js(r.ChangedFiles, "[]"), r.CodeTree, r.PatchDigest,
		js(r.Argv, "[]"), r.StartedAt.UTC().Format(TimeFormat), nullable(r.RerunOf)).Scan(&seq); {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil // already recorded: a retried commit
	case err != nil:
		return false, err
	}
	labels := make([][]any, 0, len(r.Labels))
	for k, v := range r.Labels {
		labels = append(labels, []any{seq, k, v})
	}
	if err := insertRows(ctx, tx, "INSERT INTO run_labels (run, key, value) VALUES ", labels, ""); err != nil {
		return false, err
	}
	if len(r.Patch) > 0 {
		if err := putBlob(ctx, tx, r.PatchDigest, "patch", r.Patch); err != nil {
			return false, err
		}
	}
	data := make([][]any, 0, len(r.Data))
	for _, d := range r.Data {
		if len(d.Listing) > 0 {
			if err := putBlob(ctx, tx, d.Digest, "listing", d.Listing); err != nil {
				return false, err
			}
		}
		data = append(data, []any{seq, d.Name, d.Path, d.Kind, digestValue(d.Digest), d.Files, d.Bytes})
	}
	return true, insertRows(ctx, tx, "INSERT INTO datasets (run, name, path, kind, digest, files, bytes) VALUES ", data, "")
}

// insertRows runs insert (up to VALUES) with rows as its values, a few
// hundred rows a statement, then suffix.
func insertRows(ctx context.Context, tx *txn, insert string, rows [][]any, suffix string) error {
	const chunk = 200
	for start := 0; start < len(rows); start += chunk {
		part := rows[start:min(start+chunk, len(rows))]
		var q strings.Builder
		q.WriteString(insert)
		args := make([]any, 0, len(part)*len(part[0]))
		for i, row := range part {
			if i > 0 {
				q.WriteByte(',')
			}
			q.WriteString(inList(len(row)))
			args = append(args, row...)
		}
		q.WriteString(suffix)
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// Finish records how run id ended. Finishing a run twice keeps the first
// result.
func (l *Ledger) Finish(ctx context.Context, id string, res Result) error {
	if res.Status == StatusRunning || res.Status == "" {
		return fmt.Errorf("finish run %s: status %q is not final", Short(id), res.Status)
	}
	return l.write(ctx, func(tx *txn) error { return finish(ctx, tx, id, res, l.stamp(), l.signer) })
}

func finish(ctx context.Context, tx *txn, id string, res Result, at string, signer Signer) error {
	runs, err := queryRuns(ctx, tx, "WHERE r.id = ?", []any{id}, 1)
	if err != nil {
		return err
	}
	if len(runs) != 1 {
		return fmt.Errorf("finish run %s: %w", Short(id), ErrNotFound)
	}
	r := &runs[0]
	if r.Status != StatusRunning {
		return nil
	}
	if err := res.checkDigests(); err != nil {
		return fmt.Errorf("finish run %s: %w", Short(id), err)
	}
	// A record edited while it ran is not chained as if repro wrote it.
	if err := checkBegun(ctx, tx, r); err != nil {
		return fmt.Errorf("finish run %s: %w", Short(id), err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE runs SET status = ?, exit_code = ?, signal = ?, oom_killed = ?, error = ?, outputs_digest = ?, metrics = ?, finished_at = ? WHERE seq = ?`,
		res.Status, res.ExitCode, res.Signal, res.OOMKilled, res.Error, digestValue(res.OutputsDigest), js(res.Metrics, "{}"), at, r.seq); err != nil {
		return err
	}
	outputs := make([][]any, 0, len(res.Outputs))
	for _, o := range dedupOutputs(res.Outputs) {
		outputs = append(outputs, []any{r.seq, o.Path, digestValue(o.Digest), o.Bytes})
	}
	if err := insertRows(ctx, tx, "INSERT INTO outputs (run, path, digest, bytes) VALUES ", outputs,
		" ON CONFLICT (run, path) DO UPDATE SET digest = excluded.digest, bytes = excluded.bytes"); err != nil {
		return err
	}
	// The end link hashes the row as it now reads: the row read above
	// with what the UPDATE and INSERT just wrote.
	if err := r.finished(res, at); err != nil {
		return fmt.Errorf("finish run %s: %w", Short(id), err)
	}
	return appendLink(ctx, tx, r, linkEnd, signer, at)
}

// checkDigests refuses digests the ledger could not store as digests
// (repro's own are always sha256).
func (res *Result) checkDigests() error {
	if res.OutputsDigest != "" && !ValidDigest(res.OutputsDigest) {
		return fmt.Errorf("outputs digest %q is not sha256:<64 hex digits>", Visible(res.OutputsDigest))
	}
	for _, o := range res.Outputs {
		if o.Digest != "" && !ValidDigest(o.Digest) {
			return fmt.Errorf("output %q: digest %q is not sha256:<64 hex digits>", Visible(o.Path), Visible(o.Digest))
		}
	}
	return nil
}

// dedupOutputs is outs with one entry per path, the last one given (as
// writing them one by one would leave them).
func dedupOutputs(outs []Output) []Output {
	last := make(map[string]int, len(outs))
	for i, o := range outs {
		last[o.Path] = i
	}
	if len(last) == len(outs) {
		return outs
	}
	kept := make([]Output, 0, len(last))
	for i, o := range outs {
		if last[o.Path] == i {
			kept = append(kept, o)
		}
	}
	return kept
}

// finished sets on r, read while it was running, what finish stores for
// res at time at, each field as reading it back would give it (digests
// read back as given once checkDigests has passed them).
func (r *Run) finished(res Result, at string) error {
	t, err := time.Parse(TimeFormat, at)
	if err != nil {
		return fmt.Errorf("finished at %q: %w", at, err)
	}
	var metrics map[string]float64
	if err := json.Unmarshal([]byte(js(res.Metrics, "{}")), &metrics); err != nil {
		return err
	}
	r.Status, r.Signal, r.OOMKilled, r.Error, r.OutputsDigest = res.Status, res.Signal, res.OOMKilled, res.Error, res.OutputsDigest
	r.ExitCode, r.FinishedAt, r.Metrics = nil, &t, metrics
	if res.ExitCode != nil {
		code := *res.ExitCode
		r.ExitCode = &code
	}
	byPath := make(map[string]int, len(r.Outputs))
	for i, o := range r.Outputs {
		byPath[o.Path] = i
	}
	for _, o := range dedupOutputs(res.Outputs) {
		if i, ok := byPath[o.Path]; ok {
			r.Outputs[i] = o
		} else {
			r.Outputs = append(r.Outputs, o)
		}
	}
	return nil
}

// Resolve turns a run ID, a unique prefix of one, or a run name (meaning
// the newest run of that name) into the full ID.
func (l *Ledger) Resolve(ctx context.Context, ref string) (string, error) {
	if l.db == nil {
		return "", fmt.Errorf("run %q: %w (the ledger %s is empty)", ref, ErrNotFound, l.path)
	}
	if err := ValidatePrefix(ref); err != nil {
		if ValidateName(ref) == nil {
			return l.resolveName(ctx, ref)
		}
		if ref == "" || len(ref) > 100 {
			return "", err
		}
		return "", fmt.Errorf("run %q is neither a run ID (hex, as in 4e1d2a9c0b7f) nor a run name (letters, digits, '.', '_', '-'); see repro ls", truncate(ref))
	}
	// The range scan uses the primary key: prefix <= id < prefix+"g".
	rows, err := l.db.QueryContext(ctx, "SELECT id FROM runs WHERE id >= ? AND id < ? ORDER BY id LIMIT ?", ref, ref+"g", maxMatches)
	if err != nil {
		return "", explain(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return "", err
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	switch len(ids) {
	case 0:
		return "", fmt.Errorf("run %q: %w in %s; see repro ls", ref, ErrNotFound, l.path)
	case 1:
		return ids[0], nil
	}
	return "", &AmbiguousError{Prefix: ref, Matches: ids}
}

func (l *Ledger) resolveName(ctx context.Context, name string) (string, error) {
	var id string
	err := l.db.QueryRowContext(ctx, "SELECT id FROM runs WHERE name = ? ORDER BY started_at DESC LIMIT 1", name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("run %q: %w: no run has that ID or name in %s; see repro ls", name, ErrNotFound, l.path)
	}
	if err != nil {
		return "", explain(err)
	}
	return id, nil
}

var nameRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`) })

// ValidateName checks a run name: letters, digits, '.', '_', '-', at most
// 100, and not something that reads as a run ID prefix.
func ValidateName(n string) error {
	if !nameRe().MatchString(n) {
		return fmt.Errorf("run name %q: use letters, digits, '.', '_' and '-' (at most 100, starting with a letter or digit)", truncate(n))
	}
	if ValidatePrefix(n) == nil {
		return fmt.Errorf("run name %q reads as a run ID prefix (only 0-9 and a-f); add another letter or a '-'", n)
	}
	return nil
}

var labelKeyRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$`) })

// ParseLabel parses key=value.
func ParseLabel(s string) (string, string, error) {
	k, v, ok := strings.Cut(s, "=")
	if !ok || !labelKeyRe().MatchString(k) {
		return "", "", fmt.Errorf("label %q: write key=value; keys have letters, digits, '.', '_', '/', '-'", truncate(s))
	}
	if len(v) > 1000 || strings.ContainsAny(v, "\x00\n") {
		return "", "", fmt.Errorf("label %q: the value must be one line of at most 1000 bytes", k)
	}
	return k, v, nil
}

// SetLabels sets and removes labels of a run after the fact. Labels are
// annotations, not part of the tamper-evident record.
func (l *Ledger) SetLabels(ctx context.Context, id string, set map[string]string, remove []string) error {
	return explainWrite(l.write(ctx, func(tx *txn) error {
		for _, k := range remove {
			if _, err := tx.ExecContext(ctx, "DELETE FROM run_labels WHERE run = (SELECT seq FROM runs WHERE id = ?) AND key = ?", id, k); err != nil {
				return err
			}
		}
		for k, v := range set {
			if _, err := tx.ExecContext(ctx, "INSERT INTO run_labels (run, key, value) VALUES ((SELECT seq FROM runs WHERE id = ?),?,?) ON CONFLICT(run, key) DO UPDATE SET value = excluded.value", id, k, v); err != nil {
				return err
			}
		}
		return nil
	}))
}

// Get returns the run whose ID is, or starts with, ref.
func (l *Ledger) Get(ctx context.Context, ref string) (*Run, error) {
	id, err := l.Resolve(ctx, ref)
	if err != nil {
		return nil, err
	}
	runs, err := l.query(ctx, "WHERE r.id = ?", []any{id}, 1)
	if err != nil {
		return nil, err
	}
	if len(runs) == 0 {
		return nil, fmt.Errorf("run %q: %w", ref, ErrNotFound)
	}
	return &runs[0], nil
}

const runColumns = `r.seq, r.name, r.id, r.status, r.exit_code, r.signal, r.oom_killed, r.error,
	r.context, r.image_digest, r.image_index_digest,
	r.code_commit, r.code_dirty, r.code_changed, r.code_tree, r.code_patch,
	r.argv, r.outputs_digest, r.metrics, r.started_at, r.finished_at, r.rerun_of, r.legacy`

func (l *Ledger) query(ctx context.Context, where string, args []any, limit int) ([]Run, error) {
	return queryRuns(ctx, l.db, where, args, limit)
}

func queryRuns(ctx context.Context, db querier, where string, args []any, limit int) ([]Run, error) {
	return queryRunsOrdered(ctx, db, where, args, "r.started_at DESC, r.seq DESC", limit)
}

func queryRunsOrdered(ctx context.Context, db querier, where string, args []any, order string, limit int) ([]Run, error) {
	return queryRunsShared(ctx, db, where, args, order, limit, contexts{})
}

// queryRunsShared is queryRunsOrdered with the decoded run contexts kept
// in shared, for a caller that reads many batches of runs.
func queryRunsShared(ctx context.Context, db querier, where string, args []any, order string, limit int, shared contexts) ([]Run, error) {
	q := "SELECT " + runColumns + " FROM runs r JOIN run_contexts c ON c.id = r.context " + where + " ORDER BY " + order
	if limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", limit)
	}
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, explain(err)
	}
	defer rows.Close()
	runs := []Run{}
	index := map[int64]int{}
	var (
		cids    []int64          // each run's context,
		legacys []sql.NullString // and legacy fields, applied once the contexts are read
	)
	for rows.Next() {
		var (
			r                               Run
			seq, cid                        int64
			changed, argv, started, metrics string
			finished, rerunOf, name, legacy sql.NullString
			exit                            sql.NullInt64
			image, imageIndex, outputs      digestCol
			commit                          commitCol
		)
		if err := rows.Scan(&seq, &name, &r.ID, &r.Status, &exit, &r.Signal, &r.OOMKilled, &r.Error,
			&cid, &image, &imageIndex, &commit, &r.Dirty, &changed, &r.CodeTree, &r.PatchDigest,
			&argv, &outputs, &metrics, &started, &finished, &rerunOf, &legacy); err != nil {
			return nil, fmt.Errorf("run %s: %w", Short(r.ID), err)
		}
		r.ImageDigest, r.ImageIndexDigest, r.OutputsDigest, r.Commit = string(image), string(imageIndex), string(outputs), string(commit)
		if exit.Valid {
			v := int(exit.Int64)
			r.ExitCode = &v
		}
		if err := errors.Join(decodeStrings(changed, &r.ChangedFiles), decodeStrings(argv, &r.Argv), decodeMetrics(metrics, &r.Metrics)); err != nil {
			return nil, fmt.Errorf("run %s: damaged field: %w", Short(r.ID), err)
		}
		var err error
		if r.StartedAt, err = time.Parse(TimeFormat, started); err != nil {
			return nil, fmt.Errorf("run %s: started_at: %w", Short(r.ID), err)
		}
		if finished.Valid {
			t, err := time.Parse(TimeFormat, finished.String)
			if err != nil {
				return nil, fmt.Errorf("run %s: finished_at: %w", Short(r.ID), err)
			}
			r.FinishedAt = &t
		}
		r.RerunOf, r.Name, r.seq = rerunOf.String, name.String, seq
		r.Data, r.Outputs, r.Labels = []Dataset{}, []Output{}, map[string]string{}
		index[seq] = len(runs)
		runs = append(runs, r)
		cids, legacys = append(cids, cid), append(legacys, legacy)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(runs) == 0 {
		return runs, nil
	}
	rows.Close()
	if err := shared.load(ctx, db, cids); err != nil {
		return nil, err
	}
	for i := range runs {
		r := &runs[i]
		shared[cids[i]].apply(r)
		if legacys[i].Valid {
			// Recorded by schema 1: the engine command and output
			// directory are the run's own.
			var own struct {
				Command []string `json:"engine_command"`
				OutDir  string   `json:"out_dir"`
			}
			if err := json.Unmarshal([]byte(legacys[i].String), &own); err != nil {
				return nil, fmt.Errorf("run %s: damaged field: %w", Short(r.ID), err)
			}
			r.Engine.Command, r.OutDir = own.Command, own.OutDir
		}
	}
	if err := attach(ctx, db, runs, index); err != nil {
		return nil, err
	}
	return runs, nil
}

// attach loads datasets, labels and outputs for the runs, a few hundred
// at a time (SQLite limits the number of bound parameters).
func attach(ctx context.Context, db querier, runs []Run, index map[int64]int) error {
	seqs := make([]any, 0, len(index))
	for seq := range index {
		seqs = append(seqs, seq)
	}
	const chunk = 500
	for start := 0; start < len(seqs); start += chunk {
		if err := attachChunk(ctx, db, seqs[start:min(start+chunk, len(seqs))], runs, index); err != nil {
			return err
		}
	}
	return nil
}

func attachChunk(ctx context.Context, db querier, seqs []any, runs []Run, index map[int64]int) error {
	in := inList(len(seqs))
	rows, err := db.QueryContext(ctx, "SELECT run, name, path, kind, digest, files, bytes FROM datasets WHERE run IN "+in+" ORDER BY run, name", seqs...)
	if err != nil {
		return err
	}
	for rows.Next() {
		var seq int64
		var d Dataset
		var digest digestCol
		if err := rows.Scan(&seq, &d.Name, &d.Path, &d.Kind, &digest, &d.Files, &d.Bytes); err != nil {
			rows.Close()
			return err
		}
		d.Digest = string(digest)
		runs[index[seq]].Data = append(runs[index[seq]].Data, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = db.QueryContext(ctx, "SELECT run, key, value FROM run_labels WHERE run IN "+in, seqs...)
	if err != nil {
		return err
	}
	for rows.Next() {
		var seq int64
		var k, v string
		if err := rows.Scan(&seq, &k, &v); err != nil {
			rows.Close()
			return err
		}
		runs[index[seq]].Labels[k] = v
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = db.QueryContext(ctx, "SELECT run, path, digest, bytes FROM outputs WHERE run IN "+in+" ORDER BY run, path", seqs...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var seq int64
		var o Output
		var digest digestCol
		if err := rows.Scan(&seq, &o.Path, &digest, &o.Bytes); err != nil {
			return err
		}
		o.Digest = string(digest)
		runs[index[seq]].Outputs = append(runs[index[seq]].Outputs, o)
	}
	return rows.Err()
}

func js(v any, empty string) string {
	b, err := json.Marshal(v)
	if err != nil || string(b) == "null" {
		return empty
	}
	return string(b)
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Running returns the runs still recorded as running, oldest first.
func (l *Ledger) Running(ctx context.Context) ([]Run, error) {
	if l.db == nil {
		return []Run{}, nil
	}
	runs, err := l.query(ctx, "WHERE r.status = 'running'", nil, 0)
	if err != nil {
		return nil, err
	}
	for i, j := 0, len(runs)-1; i < j; i, j = i+1, j-1 {
		runs[i], runs[j] = runs[j], runs[i]
	}
	return runs, nil
}
