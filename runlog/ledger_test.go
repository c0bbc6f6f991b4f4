package runlog_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"github.com/reprohq/repro/runlog"
	"github.com/reprohq/repro/schema"
)

func mustOpen(t *testing.T, path string, opts ...runlog.Option) *runlog.Ledger {
	t.Helper()
	l, err := runlog.Open(context.Background(), path, opts...)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func fileSum(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

func run(id string, started time.Time) *runlog.Run {
	return &runlog.Run{
		ID: id, Image: "r/x:1", ImageRepo: "r/x", ImageDigest: "sha256:" + strings.Repeat("a", 64),
		Argv: []string{"train", "--lr", "0.1"}, StartedAt: started,
		Data: []runlog.Dataset{{Name: "train", Path: "/d", Kind: "dir", Digest: "sha256:" + strings.Repeat("b", 64), Files: 2, Bytes: 10}},
	}
}

func TestOpen_CreatesAndMigrates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "ledger.db")
	mustOpen(t, path)
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var version int
	var mode string
	if err := db.QueryRow("PRAGMA user_version").Scan(&version); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if version != schema.Latest() || mode != "wal" {
		t.Errorf("user_version %d, journal_mode %q; want %d, wal", version, mode, schema.Latest())
	}
	var n int
	if err := db.QueryRow("SELECT count(*) FROM schema_migrations").Scan(&n); err != nil || n != len(schema.Migrations()) {
		t.Errorf("schema_migrations has %d rows (%v), want %d", n, err, len(schema.Migrations()))
	}
	// Opening again applies nothing twice.
	mustOpen(t, path)
}

func TestOpen_Refusals(t *testing.T) {
	dir := t.TempDir()
	newer := filepath.Join(dir, "newer.db")
	l := mustOpen(t, newer)
	l.Close()
	db, _ := sql.Open("sqlite3", newer)
	if _, err := db.Exec("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	truncated := filepath.Join(dir, "truncated.db")
	{
		l := mustOpen(t, truncated)
		for i := 0; i < 50; i++ {
			if err := l.Begin(context.Background(), run(runlog.NewID(), time.Now())); err != nil {
				t.Fatal(err)
			}
		}
		l.Close()
		b, _ := os.ReadFile(truncated)
		if err := os.WriteFile(truncated, b[:len(b)/2], 0o644); err != nil {
			t.Fatal(err)
		}
	}
	junk := filepath.Join(dir, "junk.db")
	if err := os.WriteFile(junk, bytes.Repeat([]byte("not sqlite "), 100), 0o644); err != nil {
		t.Fatal(err)
	}
	foreign := filepath.Join(dir, "other-app.db") // SQLite, but another program's
	db, _ = sql.Open("sqlite3", foreign)
	if _, err := db.Exec("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('mine')"); err != nil {
		t.Fatal(err)
	}
	db.Close()

	tests := []struct {
		name    string
		path    string
		opts    []runlog.Option
		wantErr string
	}{
		{"newer schema", newer, nil, "has schema version 99, newer than this repro understands"},
		{"not a database", junk, nil, "is not a readable SQLite ledger"},
		{"another program's SQLite file", foreign, nil, "is an SQLite file but not a repro ledger"},
		{"truncated", truncated, nil, "is not a readable SQLite ledger"},
		{"directory", dir, nil, "is a directory"},
		{"empty path", "", nil, "ledger path is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before [32]byte
			if fi, err := os.Stat(tt.path); err == nil && fi.Mode().IsRegular() {
				before = fileSum(t, tt.path)
			}
			_, err := runlog.Open(context.Background(), tt.path, tt.opts...)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Open: %v, want error containing %q", err, tt.wantErr)
			}
			if fi, err := os.Stat(tt.path); err == nil && fi.Mode().IsRegular() && fileSum(t, tt.path) != before {
				t.Errorf("Open changed %s while refusing it", tt.path)
			}
		})
	}
	var se *runlog.SchemaError
	if _, err := runlog.Open(context.Background(), newer); !errors.As(err, &se) || se.Found != 99 {
		t.Errorf("newer schema error = %v, want *SchemaError with Found 99", err)
	}
	// Read-only, a newer ledger opens for queries, untouched.
	before := fileSum(t, newer)
	ro := mustOpen(t, newer, runlog.ReadOnly())
	if ro.NewerSchema() != 99 {
		t.Errorf("NewerSchema = %d, want 99", ro.NewerSchema())
	}
	if _, err := ro.List(context.Background(), runlog.Filter{}); err != nil {
		t.Errorf("List on a newer ledger: %v", err)
	}
	ro.Close()
	if fileSum(t, newer) != before {
		t.Error("a read-only open changed the newer ledger")
	}
}

func TestOpen_ReadOnlyMissingIsEmpty(t *testing.T) {
	path := filepath.Join(t.TempDir(), "none.db")
	l := mustOpen(t, path, runlog.ReadOnly())
	runs, err := l.List(context.Background(), runlog.Filter{})
	if err != nil || len(runs) != 0 {
		t.Fatalf("List = %v, %v; want empty", runs, err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a read-only open created %s", path)
	}
}

func TestLedger_Resolve(t *testing.T) {
	ctx := context.Background()
	l := mustOpen(t, filepath.Join(t.TempDir(), "l.db"))
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	ids := []string{
		"aaaa1111000000000000000000000000",
		"aaaa2222000000000000000000000000",
		"bbbb0000000000000000000000000000",
	}
	for i, id := range ids {
		r := run(id, t0.Add(time.Duration(i)*time.Minute))
		r.Name = []string{"baseline", "baseline", "sweep-7"}[i] // a name means its newest run
		if err := l.Begin(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		prefix  string
		want    string
		wantErr string
	}{
		{"bbbb", ids[2], ""},
		{"aaaa1", ids[0], ""},
		{ids[1], ids[1], ""},
		{"aaaa", "", `run ID "aaaa" is ambiguous: it matches aaaa11110000, aaaa22220000; give more digits`},
		{"cccc", "", "no such run"},
		{"", "", "run ID is empty"},
		{"AAAA", "", "no run has that ID or name"},
		{"baseline", ids[1], ""},
		{"sweep-7", ids[2], ""},
		{"aa'; DROP TABLE runs; --", "", "is neither a run ID"},
		{strings.Repeat("a", 33), "", "no run has that ID or name"},
		{"bad name!", "", "is neither a run ID"},
	}
	for _, tt := range tests {
		t.Run(tt.prefix, func(t *testing.T) {
			got, err := l.Resolve(ctx, tt.prefix)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Resolve(%q) = %q, %v; want error %q", tt.prefix, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Resolve(%q) = %q, %v; want %q", tt.prefix, got, err, tt.want)
			}
		})
	}
	var ae *runlog.AmbiguousError
	if _, err := l.Resolve(ctx, "aaaa"); !errors.As(err, &ae) || len(ae.Matches) != 2 {
		t.Errorf("ambiguous error = %v, want *AmbiguousError with 2 matches", err)
	}
}

func TestLedger_BeginFinishList(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	l := mustOpen(t, filepath.Join(t.TempDir(), "l.db"), runlog.WithClock(func() time.Time { return now }))
	first, second := run(runlog.NewID(), now.Add(-2*time.Hour)), run(runlog.NewID(), now.Add(-time.Hour))
	for _, r := range []*runlog.Run{first, second, first} { // the repeat is a retried commit
		if err := l.Begin(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	code := 0
	if err := l.Finish(ctx, first.ID, runlog.Result{Status: runlog.StatusSucceeded, ExitCode: &code,
		OutputsDigest: "sha256:" + strings.Repeat("c", 64),
		Outputs:       []runlog.Output{{Path: "model.bin", Digest: "sha256:" + strings.Repeat("d", 64), Bytes: 4}}}); err != nil {
		t.Fatal(err)
	}
	other := 9
	if err := l.Finish(ctx, first.ID, runlog.Result{Status: runlog.StatusFailed, ExitCode: &other}); err != nil {
		t.Fatal(err)
	}
	if err := l.Finish(ctx, first.ID, runlog.Result{Status: runlog.StatusRunning}); err == nil {
		t.Error("Finish with status running succeeded")
	}
	runs, err := l.List(ctx, runlog.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || runs[0].ID != second.ID || runs[1].ID != first.ID {
		t.Fatalf("List: %d runs, want 2 newest first", len(runs))
	}
	got := runs[1]
	if got.Status != runlog.StatusSucceeded || got.ExitCode == nil || *got.ExitCode != 0 {
		t.Errorf("first run: status %s exit %v; the first Finish should stand", got.Status, got.ExitCode)
	}
	if got.FinishedAt == nil || !got.FinishedAt.Equal(now) {
		t.Errorf("finished_at = %v, want %v", got.FinishedAt, now)
	}
	if len(got.Outputs) != 1 || got.Outputs[0].Path != "model.bin" || len(got.Data) != 1 || got.Data[0].Name != "train" {
		t.Errorf("outputs %v, datasets %v", got.Outputs, got.Data)
	}
	if strings.Join(got.Argv, " ") != "train --lr 0.1" {
		t.Errorf("argv = %q", got.Argv)
	}
	if runs[0].Status != runlog.StatusRunning || runs[0].FinishedAt != nil {
		t.Errorf("second run: %s, finished %v; want running", runs[0].Status, runs[0].FinishedAt)
	}
	if only, _ := l.List(ctx, runlog.Filter{Status: runlog.StatusRunning}); len(only) != 1 || only[0].ID != second.ID {
		t.Errorf("List(status=running) = %d runs", len(only))
	}
	if one, _ := l.List(ctx, runlog.Filter{Limit: 1}); len(one) != 1 {
		t.Errorf("List(limit=1) = %d runs", len(one))
	}
}

func TestLedger_TagHistory(t *testing.T) {
	ctx := context.Background()
	l := mustOpen(t, filepath.Join(t.TempDir(), "l.db"))
	t0 := time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC)
	d := func(c string) string { return "sha256:" + strings.Repeat(c, 64) }
	events := []runlog.TagEvent{
		{Repository: "r/x", Tag: "prod", Digest: d("1"), Action: runlog.ActionPush, At: t0},
		{Repository: "r/x", Tag: "dev", Digest: d("2"), Action: runlog.ActionPush, At: t0.Add(time.Hour)},
		{Repository: "r/x", Tag: "prod", Digest: d("3"), Action: runlog.ActionPromote, At: t0.Add(48 * time.Hour)},
		{Repository: "r/y", Tag: "prod", Digest: d("4"), Action: runlog.ActionPush, At: t0},
	}
	if err := l.RecordImage(ctx, nil, events); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		tag  string
		at   time.Time
		want []string
	}{
		{"", time.Time{}, []string{d("1"), d("2"), d("3")}},
		{"prod", time.Time{}, []string{d("1"), d("3")}},
		{"prod", t0.Add(24 * time.Hour), []string{d("1")}},
		{"prod", t0.Add(72 * time.Hour), []string{d("3")}},
		{"", t0.Add(2 * time.Hour), []string{d("1"), d("2")}},
		{"prod", t0.Add(-time.Hour), nil},
	}
	for i, tt := range tests {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			got, err := l.TagHistory(ctx, "r/x", tt.tag, tt.at)
			if err != nil {
				t.Fatal(err)
			}
			var digests []string
			for _, e := range got {
				digests = append(digests, e.Digest)
			}
			if strings.Join(digests, ",") != strings.Join(tt.want, ",") {
				t.Errorf("TagHistory(%q, %v) = %v, want %v", tt.tag, tt.at, digests, tt.want)
			}
		})
	}
}

// Several handles writing at once, as several repro processes do: every
// write lands, none fails with "database is locked".
func TestLedger_ConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "l.db")
	const writers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l, err := runlog.Open(ctx, path)
			if err != nil {
				errs <- err
				return
			}
			defer l.Close()
			for i := 0; i < each; i++ {
				r := run(runlog.NewID(), time.Now())
				if err := l.Begin(ctx, r); err != nil {
					errs <- err
					continue
				}
				code := 0
				if err := l.Finish(ctx, r.ID, runlog.Result{Status: runlog.StatusSucceeded, ExitCode: &code}); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	l := mustOpen(t, path, runlog.ReadOnly())
	runs, err := l.List(ctx, runlog.Filter{Status: runlog.StatusSucceeded})
	if err != nil || len(runs) != writers*each {
		t.Fatalf("%d succeeded runs (%v), want %d", len(runs), err, writers*each)
	}
}

// A migration that fails halfway leaves the ledger at the schema it had.
func TestOpen_MigrationIsAtomic(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "l.db")
	l := mustOpen(t, path)
	if err := l.Begin(ctx, run(runlog.NewID(), time.Now())); err != nil {
		t.Fatal(err)
	}
	l.Close()

	broken := append(schema.Migrations(), schema.Migration{
		Version: schema.Latest() + 1, Name: "9999_broken.sql",
		SQL: "ALTER TABLE runs ADD COLUMN half TEXT; CREATE TABLE half_done (x); INSERT INTO no_such_table VALUES (1);",
	})
	restore := runlog.SetMigrations(broken)
	_, err := runlog.Open(ctx, path)
	restore()
	if err == nil || !strings.Contains(err.Error(), "migration 9999_broken.sql") {
		t.Fatalf("Open with a failing migration: %v", err)
	}
	db, _ := sql.Open("sqlite3", path)
	defer db.Close()
	var version, halfTables, halfColumns, runs int
	db.QueryRow("PRAGMA user_version").Scan(&version)
	db.QueryRow("SELECT count(*) FROM sqlite_master WHERE name = 'half_done'").Scan(&halfTables)
	db.QueryRow("SELECT count(*) FROM pragma_table_info('runs') WHERE name = 'half'").Scan(&halfColumns)
	db.QueryRow("SELECT count(*) FROM runs").Scan(&runs)
	if version != schema.Latest() || halfTables != 0 || halfColumns != 0 || runs != 1 {
		t.Errorf("after a failed migration: user_version %d, half_done tables %d, half columns %d, runs %d", version, halfTables, halfColumns, runs)
	}
	// And the ledger still works with this repro.
	mustOpen(t, path)
}

// FuzzLedger_Resolve: any string given as a run ID either resolves to a
// recorded run it prefixes, or is refused with an error; none reaches SQL
// as anything but a bound value.
func FuzzLedger_Resolve(f *testing.F) {
	for _, s := range []string{"", "a", "aaaa", "AAAA", "' OR 1=1 --", "%", "_", "aaaa%", strings.Repeat("f", 40), "g"} {
		f.Add(s)
	}
	ctx := context.Background()
	path := filepath.Join(f.TempDir(), "l.db")
	l, err := runlog.Open(ctx, path)
	if err != nil {
		f.Fatal(err)
	}
	defer l.Close()
	ids := []string{"aaaa1111000000000000000000000000", "aaaa2222000000000000000000000000", "0123456789abcdef0123456789abcdef"}
	for _, id := range ids {
		if err := l.Begin(ctx, run(id, time.Now())); err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, prefix string) {
		got, err := l.Resolve(ctx, prefix)
		matches := 0
		for _, id := range ids {
			if prefix != "" && strings.HasPrefix(id, prefix) {
				matches++
			}
		}
		if err != nil {
			if matches == 1 {
				t.Fatalf("Resolve(%q) failed although one run matches: %v", prefix, err)
			}
			return
		}
		if matches != 1 || !strings.HasPrefix(got, prefix) {
			t.Fatalf("Resolve(%q) = %q with %d matching runs", prefix, got, matches)
		}
	})
}

// Import records a finished run as it was, chained here, marked imported.
func TestLedger_Import(t *testing.T) {
	ctx := context.Background()
	l := mustOpen(t, filepath.Join(t.TempDir(), "ledger.db"))
	code := 0
	start := time.Date(2026, 11, 1, 10, 0, 0, 123, time.UTC)
	end := start.Add(time.Minute)
	r := &runlog.Run{ID: "4e1d2a9c0b7f00000000000000000000", Status: runlog.StatusSucceeded, ExitCode: &code,
		Image: "127.0.0.1:5000/t:1", ImageRepo: "127.0.0.1:5000/t", ImageDigest: "sha256:" + strings.Repeat("1", 64),
		Argv: []string{"--seed", "7"}, Env: []runlog.EnvVar{}, ChangedFiles: []string{}, Labels: map[string]string{},
		Outputs: []runlog.Output{{Path: "model.bin", Digest: "sha256:" + strings.Repeat("3", 64), Bytes: 4}},
		Metrics: map[string]float64{"accuracy": 0.9}, StartedAt: start, FinishedAt: &end, Engine: runlog.Engine{Name: "docker"}}
	fresh, err := l.Import(ctx, r, nil, "ed25519:0123456789abcdef", "127.0.0.1:5000/t@"+r.ImageDigest)
	if err != nil || !fresh {
		t.Fatalf("Import: %v, %v", fresh, err)
	}
	if fresh, err := l.Import(ctx, r, nil, "x", "y"); err != nil || fresh {
		t.Fatalf("Import again: %v, %v; want left alone", fresh, err)
	}
	got, err := l.Get(ctx, r.ID)
	if err != nil || !got.StartedAt.Equal(start) || got.FinishedAt == nil || !got.FinishedAt.Equal(end) || got.Metrics["accuracy"] != 0.9 || len(got.Outputs) != 1 {
		t.Fatalf("imported run read back: %+v, %v", got, err)
	}
	rep, err := l.VerifyChain(ctx)
	if err != nil || rep.Problem != nil || rep.Records != 1 {
		t.Fatalf("chain after an import: %+v, %v", rep, err)
	}
	im, err := l.ImportedFrom(ctx, r.ID)
	if err != nil || im == nil || im.Signer != "ed25519:0123456789abcdef" {
		t.Fatalf("ImportedFrom: %+v, %v", im, err)
	}
}
