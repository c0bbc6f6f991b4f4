package runlog

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/reprohq/repro/ident"
)

// How the ledger stores digests and commits (schema 0002): a sha256
// digest as its 32 bytes, a hex commit as its bytes, anything else as the
// text it is, and "" as "". Decoding gives back the same string.

const sha256Prefix = "sha256:"

func isLowerHex(s string) bool { return s == "" || ident.LowerHex(s) }

// digestValue is the stored form of a digest.
func digestValue(d string) any {
	if h, ok := strings.CutPrefix(d, sha256Prefix); ok && len(h) == 64 && isLowerHex(h) {
		b, _ := hex.DecodeString(h)
		return b
	}
	return d
}

// commitValue is the stored form of a commit.
func commitValue(c string) any {
	if (len(c) == 40 || len(c) == 64) && isLowerHex(c) {
		b, _ := hex.DecodeString(c)
		return b
	}
	return c
}

// digestCol scans a digest column back into its text.
type digestCol string

func (d *digestCol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d = ""
	case []byte:
		if len(v) == 0 {
			*d = "" // PostgreSQL's bytea holds SQLite's '' as no bytes
			return nil
		}
		if len(v) != 32 {
			return fmt.Errorf("a stored digest has %d bytes, want 32", len(v))
		}
		*d = digestCol(sha256Prefix + hex.EncodeToString(v))
	case string:
		*d = digestCol(v)
	default:
		return fmt.Errorf("a stored digest is a %T", src)
	}
	return nil
}

// commitCol scans a commit column back into its hex.
type commitCol string

func (c *commitCol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c = ""
	case []byte:
		*c = commitCol(hex.EncodeToString(v))
	case string:
		*c = commitCol(v)
	default:
		return fmt.Errorf("a stored commit is a %T", src)
	}
	return nil
}

var (
	_ sql.Scanner = (*digestCol)(nil)
	_ sql.Scanner = (*commitCol)(nil)
)

// hexPrefixRange is the condition selecting the rows whose column, stored
// as bytes, starts with the hex digits prefix (of any length, odd too):
// low <= column < the first byte string past every such value.
func hexPrefixRange(column, prefix string) (string, []any) {
	lowHex, highHex := prefix, prefix
	if len(prefix)%2 == 1 {
		lowHex, highHex = prefix+"0", prefix+"f"
	}
	low, _ := hex.DecodeString(lowHex)
	high, _ := hex.DecodeString(highHex)
	// The successor of high as a prefix: drop trailing 0xff, add one.
	for len(high) > 0 && high[len(high)-1] == 0xff {
		high = high[:len(high)-1]
	}
	if len(high) == 0 {
		return column + " >= ?", []any{low}
	}
	high[len(high)-1]++
	return column + " >= ? AND " + column + " < ?", []any{low, high}
}

// textPrefixRange selects rows whose text column starts with prefix.
func textPrefixRange(column, prefix string) (string, []any) {
	return column + " >= ? AND " + column + " < ?", []any{prefix, prefix + "\uffff"}
}

// digestPrefixRange selects rows whose digest column starts with prefix
// (sha256:4e1d...).
func digestPrefixRange(column, prefix string) (string, []any) {
	if h, ok := strings.CutPrefix(prefix, sha256Prefix); ok && len(h) <= 64 && isLowerHex(h) {
		return hexPrefixRange(column, h)
	}
	return textPrefixRange(column, prefix)
}

// commitPrefixRange selects rows whose commit column starts with prefix.
func commitPrefixRange(column, prefix string) (string, []any) {
	if len(prefix) <= 64 && isLowerHex(prefix) {
		return hexPrefixRange(column, prefix)
	}
	return textPrefixRange(column, prefix)
}

// runContext is the part of a run that repeats from run to run: stored
// once in run_contexts, as JSON, and pointed at by every run it
// describes. With Template set, the run's own values are cut out of
// OutDir and Engine.Command (see cut) so that runs launched the same way
// share one context.
type runContext struct {
	Image             string   `json:"image"`
	ImageRepo         string   `json:"image_repo"`
	ImageTag          string   `json:"image_tag"`
	ImageConfigDigest string   `json:"image_config_digest"`
	ImagePlatform     string   `json:"image_platform"`
	CodeDir           string   `json:"code_dir"`
	Branch            string   `json:"code_branch"`
	Remote            string   `json:"code_remote"`
	CodeMount         bool     `json:"code_mount"`
	Workdir           string   `json:"workdir"`
	Env               []EnvVar `json:"env"`
	OutDir            string   `json:"out_dir"`
	Memory            string   `json:"memory"`
	GPUs              string   `json:"gpu_request"`
	Host              Host     `json:"host"`
	Engine            Engine   `json:"engine"`
	ReproVersion      string   `json:"repro_version"`
	Template          bool     `json:"template,omitempty"`  // placeholders in OutDir and Engine.Command
	ArgvTail          bool     `json:"argv_tail,omitempty"` // Engine.Command ended with Argv, which was cut off
}

// Placeholders for the run's own values. A NUL cannot be in an argument
// or a path, and the letters after it are not hex, so no digest, ID or
// path can run into one.
const (
	phOutDir = "\x00O"
	phDigest = "\x00D"
	phID     = "\x00R"
	phShort  = "\x00S"
)

// contextOf returns r's context, with r's own values cut out where that
// can be undone exactly.
func contextOf(r *Run) runContext {
	c := runContext{Image: r.Image, ImageRepo: r.ImageRepo, ImageTag: r.ImageTag, ImageConfigDigest: r.ImageConfigDigest,
		ImagePlatform: r.ImagePlatform, CodeDir: r.CodeDir, Branch: r.Branch, Remote: r.Remote, CodeMount: r.CodeMount,
		Workdir: r.Workdir, Env: r.Env, OutDir: r.OutDir, Memory: r.Memory, GPUs: r.GPUs, Host: r.Host, Engine: r.Engine,
		ReproVersion: r.ReproVersion}
	t := c
	t.cut(r)
	var back Run
	back.ID, back.ImageDigest, back.Argv = r.ID, r.ImageDigest, r.Argv
	t.apply(&back)
	if back.OutDir == r.OutDir && slices.Equal(back.Engine.Command, r.Engine.Command) {
		return t
	}
	return c
}

// cut replaces r's own values in OutDir and Engine.Command with
// placeholders, and drops the argv at the end of the command.
func (c *runContext) cut(r *Run) {
	if strings.Contains(r.OutDir, "\x00") || slices.ContainsFunc(r.Engine.Command, func(s string) bool { return strings.Contains(s, "\x00") }) {
		return
	}
	own := func(s string, withOut bool) string {
		if withOut && r.OutDir != "" {
			s = strings.ReplaceAll(s, r.OutDir, phOutDir)
		}
		if r.ImageDigest != "" {
			s = strings.ReplaceAll(s, r.ImageDigest, phDigest)
		}
		if r.ID != "" {
			s = strings.ReplaceAll(s, r.ID, phID)
			s = strings.ReplaceAll(s, Short(r.ID), phShort)
		}
		return s
	}
	cmd := r.Engine.Command
	if n := len(r.Argv); n > 0 && len(cmd) >= n && slices.Equal(cmd[len(cmd)-n:], r.Argv) {
		cmd, c.ArgvTail = cmd[:len(cmd)-n], true
	}
	c.Engine.Command = make([]string, len(cmd))
	for i, s := range cmd {
		c.Engine.Command[i] = own(s, true)
	}
	c.OutDir = own(r.OutDir, false)
	c.Template = true
}

// apply sets r's shared fields from c, putting r's own values back where
// c has placeholders. r's ID, ImageDigest and Argv must be set.
func (c *runContext) apply(r *Run) {
	r.Image, r.ImageRepo, r.ImageTag, r.ImageConfigDigest, r.ImagePlatform = c.Image, c.ImageRepo, c.ImageTag, c.ImageConfigDigest, c.ImagePlatform
	r.CodeDir, r.Branch, r.Remote, r.CodeMount = c.CodeDir, c.Branch, c.Remote, c.CodeMount
	r.Workdir, r.Env, r.Memory, r.GPUs, r.ReproVersion = c.Workdir, append([]EnvVar{}, c.Env...), c.Memory, c.GPUs, c.ReproVersion
	r.Host = c.Host
	r.Host.GPUs = append([]GPU{}, c.Host.GPUs...)
	r.Engine = c.Engine
	r.Engine.Command = append([]string{}, c.Engine.Command...)
	r.OutDir = c.OutDir
	if !c.Template {
		return
	}
	short := Short(r.ID)
	fill := func(s string) string {
		if strings.IndexByte(s, 0) < 0 {
			return s
		}
		for _, p := range [...][2]string{{phOutDir, r.OutDir}, {phDigest, r.ImageDigest}, {phID, r.ID}, {phShort, short}} {
			s = strings.ReplaceAll(s, p[0], p[1])
		}
		return s
	}
	r.OutDir = fill(c.OutDir) // (has no phOutDir)
	for i, s := range r.Engine.Command {
		r.Engine.Command[i] = fill(s)
	}
	if c.ArgvTail {
		r.Engine.Command = append(r.Engine.Command, r.Argv...)
	}
}

// contextID returns the key of r's context, storing it if it is new, and
// keeps the context decoded in cs.
func contextID(ctx context.Context, tx *txn, r *Run, cs contexts) (int64, error) {
	c := contextOf(r)
	body, err := json.Marshal(c)
	if err != nil {
		return 0, err
	}
	var id int64
	err = tx.QueryRowContext(ctx, "SELECT id FROM run_contexts WHERE body = ?", string(body)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		err = tx.QueryRowContext(ctx, "INSERT INTO run_contexts (image_repo, body) VALUES (?, ?) RETURNING id", c.ImageRepo, string(body)).Scan(&id)
	}
	if err != nil {
		return 0, err
	}
	// The row's body is body: decoded here, it is what reading the run
	// back would decode, without reading it.
	_, err = cs.get(id, string(body))
	return id, err
}

// contexts decodes context bodies once per query.
type contexts map[int64]*runContext

// load reads and decodes the contexts among ids not yet in cs: a context
// is shared by many runs, so its body is read once, not once per run.
func (cs contexts) load(ctx context.Context, db querier, ids []int64) error {
	var missing []any
	seen := map[int64]bool{}
	for _, id := range ids {
		if cs[id] == nil && !seen[id] {
			seen[id] = true
			missing = append(missing, id)
		}
	}
	const chunk = 500
	for start := 0; start < len(missing); start += chunk {
		part := missing[start:min(start+chunk, len(missing))]
		rows, err := db.QueryContext(ctx, "SELECT id, body FROM run_contexts WHERE id IN "+inList(len(part)), part...)
		if err != nil {
			return explain(err)
		}
		for rows.Next() {
			var (
				id   int64
				body string
			)
			if err := rows.Scan(&id, &body); err != nil {
				rows.Close()
				return err
			}
			if _, err := cs.get(id, body); err != nil {
				rows.Close()
				return err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	for id := range seen {
		if cs[id] == nil {
			return fmt.Errorf("run context %d is missing from the ledger: it was deleted behind repro's back", id)
		}
	}
	return nil
}

func (cs contexts) get(id int64, body string) (*runContext, error) {
	if c := cs[id]; c != nil {
		return c, nil
	}
	c := &runContext{}
	if err := json.Unmarshal([]byte(body), c); err != nil {
		return nil, fmt.Errorf("run context %d is damaged: %w", id, err)
	}
	cs[id] = c
	return c, nil
}
