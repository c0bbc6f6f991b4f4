package runlog

import (
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	_ "github.com/mattn/go-sqlite3"
)

// TestPrefixRanges stores digests and commits the way the ledger does and
// checks that every prefix selects exactly the values that start with it
// (odd lengths, runs of f, and text values that are not hex among them).
func TestPrefixRanges(t *testing.T) {
	db, err := sql.Open("sqlite3", filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE TABLE v (d BLOB NOT NULL); CREATE INDEX v_d ON v(d)"); err != nil {
		t.Fatal(err)
	}
	digests := []string{
		"sha256:" + strings.Repeat("0", 64),
		"sha256:" + strings.Repeat("f", 64),
		"sha256:" + strings.Repeat("f", 63) + "e",
		"sha256:4e1d2a" + strings.Repeat("0", 58),
		"sha256:4e1d2b" + strings.Repeat("0", 58),
		"sha256:4e1e" + strings.Repeat("9", 60),
		"sha512:4e1d",
		"",
	}
	for _, d := range digests {
		if _, err := db.Exec("INSERT INTO v VALUES (?)", digestValue(d)); err != nil {
			t.Fatal(err)
		}
	}
	prefixes := []string{"sha256:", "sha256:4", "sha256:4e1d", "sha256:4e1d2", "sha256:4e1d2a", "sha256:f", "sha256:ff", "sha256:fff",
		digests[1], digests[2], "sha256:0", "sha256:1", "sha512:4e", "sha256:4E1D"}
	for _, p := range prefixes {
		cond, args := digestPrefixRange("d", p)
		rows, err := db.Query("SELECT d FROM v WHERE "+cond+" ORDER BY d", args...)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for rows.Next() {
			var d digestCol
			if err := rows.Scan(&d); err != nil {
				t.Fatal(err)
			}
			got = append(got, string(d))
		}
		rows.Close()
		var want []string
		for _, d := range digests {
			if d != "" && strings.HasPrefix(d, p) && !strings.HasPrefix(p, "sha256:4E") {
				want = append(want, d)
			}
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("prefix %q selects %q, want %q", p, got, want)
		}
	}
}

func TestDigestValue_RoundTrip(t *testing.T) {
	for _, d := range []string{"", "sha256:" + strings.Repeat("a", 64), "sha256:" + strings.Repeat("A", 64), "sha256:abc", "sha512:" + strings.Repeat("1", 128), "x"} {
		var back digestCol
		if err := back.Scan(digestValue(d)); err != nil || string(back) != d {
			t.Errorf("digest %q comes back as %q (%v)", d, back, err)
		}
		if b, ok := digestValue(d).([]byte); ok && len(b) != 32 {
			t.Errorf("digest %q stored in %d bytes", d, len(b))
		}
	}
	for _, c := range []string{"", strings.Repeat("0a", 20), strings.Repeat("b", 64), "abc", strings.Repeat("G", 40)} {
		var back commitCol
		if err := back.Scan(commitValue(c)); err != nil || string(back) != c {
			t.Errorf("commit %q comes back as %q (%v)", c, back, err)
		}
	}
}

func sampleRun(id, digest, outDir string, argv []string) *Run {
	cmd := []string{"docker", "run", "--name", "repro-" + Short(id), "--label", "repro.run=" + id,
		"--mount", "type=bind,source=" + outDir + ",target=/out", "--", "r/x@" + digest}
	return &Run{ID: id, ImageDigest: digest, Argv: argv, OutDir: outDir, ImageRepo: "r/x", Env: []EnvVar{{Name: "A", Value: "1"}},
		Engine: Engine{Name: "docker", Version: "27", Command: append(cmd, argv...)}, Host: Host{User: "ada", GPUs: []GPU{{Model: "A100"}}}}
}

// TestContext_Shared: runs launched the same way share one context; a
// run's own values come back exactly.
func TestContext_Shared(t *testing.T) {
	d1, d2 := "sha256:"+strings.Repeat("1", 64), "sha256:"+strings.Repeat("2", 64)
	a := sampleRun(strings.Repeat("a", 32), d1, "/runs/"+strings.Repeat("a", 12), []string{"train", "--seed", "1"})
	b := sampleRun(strings.Repeat("b", 32), d2, "/runs/"+strings.Repeat("b", 12), []string{"train", "--seed", "2"})
	ca, cb := contextOf(a), contextOf(b)
	if !ca.Template || !ca.ArgvTail || !reflect.DeepEqual(ca, cb) {
		t.Fatalf("contexts differ:\n%+v\n%+v", ca, cb)
	}
	for _, r := range []*Run{a, b} {
		c := contextOf(r)
		back := Run{ID: r.ID, ImageDigest: r.ImageDigest, Argv: r.Argv}
		c.apply(&back)
		if back.OutDir != r.OutDir || !slices.Equal(back.Engine.Command, r.Engine.Command) || !reflect.DeepEqual(back.Env, r.Env) || !reflect.DeepEqual(back.Host, r.Host) {
			t.Errorf("run %s comes back as %+v", Short(r.ID), back)
		}
	}
}

// FuzzContext: whatever the values (NULs, placeholders' letters, IDs and
// digests inside paths and arguments), a run's context gives back exactly
// its output directory and engine command.
func FuzzContext(f *testing.F) {
	f.Add(strings.Repeat("a", 32), "sha256:"+strings.Repeat("1", 64), "/runs/aaaaaaaaaaaa", "train\x00--seed", "x")
	f.Add("", "", "", "", "")
	f.Add(strings.Repeat("0", 32), "sha256:0", "/o/\x00O", "\x00R\x00S", "\x00D")
	f.Add("aaaa", "aa", "a", "aaa", "aaaaa")
	f.Fuzz(func(t *testing.T, id, digest, outDir, arg1, arg2 string) {
		r := sampleRun(id, digest, outDir, []string{arg1, arg2})
		r.Engine.Command = append(r.Engine.Command, id+outDir, digest+Short(id))
		for _, withTail := range []bool{true, false} {
			if withTail {
				r.Engine.Command = append(r.Engine.Command, r.Argv...)
			}
			c := contextOf(r)
			back := Run{ID: r.ID, ImageDigest: r.ImageDigest, Argv: r.Argv}
			c.apply(&back)
			if back.OutDir != r.OutDir || !slices.Equal(back.Engine.Command, r.Engine.Command) {
				t.Fatalf("out dir %q, command %q come back as %q, %q", r.OutDir, r.Engine.Command, back.OutDir, back.Engine.Command)
			}
		}
	})
}

// TestContext_Stored: a context is stored once and found again.
func TestContext_Stored(t *testing.T) {
	ctx := context.Background()
	l, err := Open(ctx, filepath.Join(t.TempDir(), "l.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for i := 0; i < 20; i++ {
		id := fmt.Sprintf("%032x", i+1)
		r := sampleRun(id, "sha256:"+hex.EncodeToString([]byte(fmt.Sprintf("%032d", i))), "/runs/"+Short(id), []string{"train", fmt.Sprint(i)})
		if err := l.Begin(ctx, r); err != nil {
			t.Fatal(err)
		}
		got, err := l.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if got.OutDir != r.OutDir || !slices.Equal(got.Engine.Command, r.Engine.Command) || got.ImageDigest != r.ImageDigest {
			t.Fatalf("run %d reads back as %q %q %q", i, got.OutDir, got.Engine.Command, got.ImageDigest)
		}
	}
	var n int
	if err := l.db.QueryRow("SELECT count(*) FROM run_contexts").Scan(&n); err != nil || n != 1 {
		t.Errorf("%d contexts stored for 20 runs launched alike (%v), want 1", n, err)
	}
}
