package runlog_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/reprohq/repro/runlog"
	"github.com/reprohq/repro/schema"
)

// TestMigrate_FromV1 upgrades a ledger written by schema 1 (dumped from a
// ledger the first release wrote) and checks that every run reads back
// exactly as that release listed it, that the tamper chain still holds,
// and that the upgraded ledger keeps recording and finding runs.
func TestMigrate_FromV1(t *testing.T) {
	ctx := context.Background()
	want, err := os.ReadFile("../testdata/ledger/v1-runs.json")
	if err != nil {
		t.Fatal(err)
	}
	path := schema1Ledger(t, "")

	l := mustOpen(t, path)
	runs, err := l.List(ctx, runlog.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.MarshalIndent(runs, "", "  ")
	if got = append(got, '\n'); !bytes.Equal(got, want) {
		os.WriteFile(filepath.Join(t.TempDir(), "got.json"), got, 0o644)
		t.Errorf("runs after the upgrade differ from what schema 1 listed:\n%s", firstDiff(got, want))
	}
	rep, err := l.VerifyChain(ctx)
	if err != nil || rep.Problem != nil || rep.Records != 11 {
		t.Fatalf("chain after the upgrade: %d records, problem %+v, err %v; want 11 intact", rep.Records, rep.Problem, err)
	}

	// Filters reach the converted digests, commits and contexts.
	for _, tc := range []struct {
		name string
		f    runlog.Filter
		want int
	}{
		{"image digest", runlog.Filter{ImageDigests: []string{runs[0].ImageDigest}}, 1},
		{"image prefix", runlog.Filter{ImagePrefix: "sha256:000000000000000000000000000000000000000000000000000000000000000"}, 12},
		{"image prefix, none", runlog.Filter{ImagePrefix: "sha256:01"}, 0},
		{"index digest", runlog.Filter{ImagePrefix: "sha256:eee"}, 1},
		{"repository", runlog.Filter{ImageRepo: "registry.example.com/ml/trainer"}, 12},
		{"commit", runlog.Filter{CommitPrefix: "00000000000000000000000000000000000000"}, 11},
		{"data digest", runlog.Filter{DataDigest: "sha256:0000000000000000000000000000000000000000000000000000010000000002"}, 1},
		{"data name", runlog.Filter{DataName: "labels"}, 12},
		{"label", runlog.Filter{Labels: map[string]string{"team": "vision"}}, 1},
		{"name", runlog.Filter{Name: "baseline"}, 1},
	} {
		got, err := l.List(ctx, tc.f)
		if err != nil || len(got) != tc.want {
			t.Errorf("%s: %d runs (%v), want %d", tc.name, len(got), err, tc.want)
		}
	}
	if id, err := l.Resolve(ctx, "baseline"); err != nil || id != runs[10].ID {
		t.Errorf("Resolve(baseline) = %s, %v; want %s", id, err, runs[10].ID)
	}

	// New runs go in beside the old ones; the chain goes on.
	r := run(runlog.NewID(), time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC))
	r.RerunOf = runs[0].ID
	if err := l.Begin(ctx, r); err != nil {
		t.Fatal(err)
	}
	code := 0
	if err := l.Finish(ctx, r.ID, runlog.Result{Status: runlog.StatusSucceeded, ExitCode: &code}); err != nil {
		t.Fatal(err)
	}
	if rep, err := l.VerifyChain(ctx); err != nil || rep.Problem != nil || rep.Records != 12 {
		t.Fatalf("chain after a new run: %+v, %v", rep, err)
	}
	var version int
	if err := sqlDB(t, path).QueryRow("PRAGMA user_version").Scan(&version); err != nil || version != schema.Latest() {
		t.Errorf("user_version %d (%v), want %d", version, err, schema.Latest())
	}
	// The kept image counts match the runs, old and new.
	checkImageUsage(t, l, path)
}

// checkImageUsage compares what repro images says of each image's runs
// (one entry per digest, whichever repositories ran it) with a count of
// the runs themselves.
func checkImageUsage(t *testing.T, l *runlog.Ledger, path string) {
	t.Helper()
	type use struct {
		runs int
		last string
	}
	want := map[string]use{}
	rows, err := sqlDB(t, path).Query("SELECT image_digest, count(*), max(started_at) FROM runs_view GROUP BY 1")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var digest, last string
		var n int
		if err := rows.Scan(&digest, &n, &last); err != nil {
			t.Fatal(err)
		}
		want[digest] = use{n, last}
	}
	images, err := l.Images(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]use{}
	for _, im := range images {
		if im.Runs > 0 {
			got[im.Digest] = use{im.Runs, im.LastRun.UTC().Format(runlog.TimeFormat)}
		}
	}
	if len(want) == 0 || !reflect.DeepEqual(got, want) {
		t.Errorf("repro images counts %v,\nthe runs say %v", got, want)
	}
}

func sqlDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// firstDiff shows the first line where a and b differ.
func firstDiff(a, b []byte) string {
	al, bl := bytes.Split(a, []byte("\n")), bytes.Split(b, []byte("\n"))
	for i := 0; i < len(al) && i < len(bl); i++ {
		if !bytes.Equal(al[i], bl[i]) {
			return "line " + itoa(i+1) + ":\n got  " + string(al[i]) + "\n want " + string(bl[i])
		}
	}
	return "lengths differ: " + itoa(len(al)) + " vs " + itoa(len(bl)) + " lines"
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestMigrate_ReadOnlyUpgrades: a command that only reads (repro ls) on a
// ledger an older repro wrote upgrades it first, instead of failing on a
// column the old shape does not have.
func TestMigrate_ReadOnlyUpgrades(t *testing.T) {
	path := schema1Ledger(t, "")
	l, err := runlog.Open(context.Background(), path, runlog.ReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	runs, err := l.List(context.Background(), runlog.Filter{})
	if err != nil || len(runs) != 12 {
		t.Fatalf("read-only List of a schema 1 ledger: %d runs, %v", len(runs), err)
	}
	var version int
	if err := sqlDB(t, path).QueryRow("PRAGMA user_version").Scan(&version); err != nil || version != schema.Latest() {
		t.Errorf("user_version %d (%v), want %d", version, err, schema.Latest())
	}
}

// TestMigrate_V1ContextsShared: two schema 1 runs launched the same way
// (they differ only in their own ID, output directory and engine command)
// share one context after the upgrade, and each reads back with its own
// values.
func TestMigrate_V1ContextsShared(t *testing.T) {
	ctx := context.Background()
	const twin = "0123456789abcdef0123456789abcdef"
	path := schema1Ledger(t, `CREATE TEMP TABLE t AS SELECT * FROM runs ORDER BY started_at LIMIT 1;
		UPDATE t SET id = ?, name = NULL, rerun_of = NULL, out_dir = '/home/ada/runs/twin',
			engine_command = json_array('docker', 'run', '--name', 'repro-0123456789ab', '--', 'x@' || image_digest);
		INSERT INTO runs SELECT * FROM t;`, twin)
	l := mustOpen(t, path)
	var contexts, runs int
	if err := sqlDB(t, path).QueryRow("SELECT count(DISTINCT context), count(*) FROM runs").Scan(&contexts, &runs); err != nil || runs != 13 || contexts != 12 {
		t.Fatalf("%d contexts for %d runs (%v), want 12 for 13", contexts, runs, err)
	}
	r, err := l.Get(ctx, twin)
	if err != nil {
		t.Fatal(err)
	}
	if r.OutDir != "/home/ada/runs/twin" || len(r.Engine.Command) != 6 || r.Engine.Command[3] != "repro-0123456789ab" {
		t.Errorf("the twin reads back with out dir %q and engine command %q", r.OutDir, r.Engine.Command)
	}
}

// schema1Ledger writes a ledger as the first release did (the schema 1
// dump), then runs more on the same connection, and returns its path.
func schema1Ledger(t *testing.T, more string, args ...any) string {
	t.Helper()
	dump, err := os.ReadFile("../testdata/ledger/v1.sql")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ledger.db")
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // one connection: the temp tables more creates are its own
	if _, err := db.Exec(string(dump)); err != nil {
		t.Fatalf("load the schema 1 dump: %v", err)
	}
	if more != "" {
		if _, err := db.Exec(more, args...); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

// TestMigrate_TagEventsFolded: rows an older repro wrote each time it saw
// a tag where it already pointed are folded into the row of the move,
// counted; afterwards, a row is added only when a tag moves.
func TestMigrate_TagEventsFolded(t *testing.T) {
	ctx := context.Background()
	const repo = "registry.example.com/ml/trainer"
	zero, one := "sha256:"+strings.Repeat("0", 64), "sha256:"+strings.Repeat("1", 64)
	path := schema1Ledger(t, `INSERT INTO tag_events (repository, tag, digest, action, at) VALUES
		(?1, '1.4', ?2, 'resolve', '2026-11-20T11:00:00.000000000Z'),
		(?1, '1.4', ?2, 'resolve', '2026-11-20T10:00:00.000000000Z'),
		(?1, '1.4', ?3, 'push', '2026-11-20T12:00:00.000000000Z'),
		(?1, '1.4', ?3, 'resolve', '2026-11-20T13:00:00.000000000Z'),
		(?1, '1.4', ?2, 'promote', '2026-11-20T14:00:00.000000000Z'),
		(?1, 'prod', ?2, 'promote', '2026-11-20T10:30:00.000000000Z')`, repo, zero, one)
	l := mustOpen(t, path)
	events, err := l.TagHistory(ctx, repo, "1.4", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		digest, action, at, last string
		seen                     int64
	}
	var got []row
	for _, e := range events {
		got = append(got, row{e.Digest, e.Action, e.At.Format(time.RFC3339), e.LastSeen.Format(time.RFC3339), e.Seen})
	}
	want := []row{
		{zero, "push", "2026-11-20T09:00:19Z", "2026-11-20T11:00:00Z", 3},
		{one, "push", "2026-11-20T12:00:00Z", "2026-11-20T13:00:00Z", 2},
		{zero, "promote", "2026-11-20T14:00:00Z", "2026-11-20T14:00:00Z", 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("1.4 after the upgrade:\n%v\nwant\n%v", got, want)
	}
	// Seen again where it points: counted, no row. Moved: a row.
	seen := time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)
	if err := l.RecordImage(ctx, nil, []runlog.TagEvent{{Repository: repo, Tag: "1.4", Digest: zero, Action: runlog.ActionResolve, At: seen}}); err != nil {
		t.Fatal(err)
	}
	if err := l.RecordImage(ctx, nil, []runlog.TagEvent{{Repository: repo, Tag: "prod", Digest: one, Action: runlog.ActionPromote, At: seen}}); err != nil {
		t.Fatal(err)
	}
	events, _ = l.TagHistory(ctx, repo, "", time.Time{})
	if len(events) != 5 {
		t.Fatalf("%d events, want 5: %+v", len(events), events)
	}
	last := events[len(events)-1]
	if e := events[3]; e.Tag != "1.4" || e.Seen != 2 || !e.LastSeen.Equal(seen) {
		t.Errorf("1.4 seen again: %+v", e)
	}
	if last.Tag != "prod" || last.Digest != one || last.Seen != 1 {
		t.Errorf("prod moved: %+v", last)
	}
}
