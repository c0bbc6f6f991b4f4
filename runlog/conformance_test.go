package runlog_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reprohq/repro/internal/pgtest"
	"github.com/reprohq/repro/runlog"
)

// The conformance suite: every ledger backend behaves the same through
// runlog's API. Each test here runs once on SQLite and once on a
// PostgreSQL server the tests start (scripts/pg-cluster.sh); where
// CI=true, a missing PostgreSQL fails the suite.

var pg *pgtest.Server

func TestMain(m *testing.M) {
	code := func() int {
		switch dir, err := os.MkdirTemp("", "runlog-pg-"); {
		case err != nil:
			fmt.Fprintln(os.Stderr, err)
			return 1
		case !pgtest.Available() && os.Getenv("CI") != "true":
			// PostgreSQL's half of the suite skips.
		default:
			defer os.RemoveAll(dir)
			if pg, err = pgtest.Start(dir); err != nil {
				fmt.Fprintf(os.Stderr, "runlog tests: %v\n", err)
				return 1
			}
			defer pg.Stop()
		}
		return m.Run()
	}()
	os.Exit(code)
}

// backend opens ledgers of one kind for a test.
type backend struct {
	name string
	// new makes an empty ledger and returns its name for runlog.Open.
	new func(t *testing.T) string
	// edit changes stored rows behind repro's back (a person with psql or
	// sqlite3): statements in the backend's own SQL.
	edit func(t *testing.T, ledger string, statements ...string)
}

func backends(t *testing.T) []backend {
	sqlite := backend{
		name: "sqlite",
		new:  func(t *testing.T) string { return filepath.Join(t.TempDir(), "ledger.db") },
		edit: func(t *testing.T, ledger string, statements ...string) {
			db, err := sql.Open("sqlite3", ledger)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			for _, st := range statements {
				if _, err := db.Exec(st); err != nil {
					t.Fatalf("%s: %v", st, err)
				}
			}
		},
	}
	postgres := backend{
		name: "postgres",
		new: func(t *testing.T) string {
			if pg == nil {
				t.Skip("PostgreSQL is not installed here (apt-get install postgresql)")
			}
			db, err := pg.NewDatabase("ledger")
			if err != nil {
				t.Fatal(err)
			}
			dsn := pg.WithPassword(db)
			l, err := runlog.Open(context.Background(), dsn, runlog.Migrate())
			if err != nil {
				t.Fatalf("migrate: %v", err)
			}
			l.Close()
			return dsn
		},
		edit: func(t *testing.T, ledger string, statements ...string) {
			u, err := url.Parse(ledger)
			if err != nil {
				t.Fatal(err)
			}
			if err := pg.Exec(strings.TrimPrefix(u.Path, "/"), statements...); err != nil {
				t.Fatal(err)
			}
		},
	}
	return []backend{sqlite, postgres}
}

// forEachBackend runs f as a subtest per backend.
func forEachBackend(t *testing.T, f func(t *testing.T, b backend)) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) { f(t, b) })
	}
}

func openLedger(t *testing.T, name string, opts ...runlog.Option) *runlog.Ledger {
	t.Helper()
	l, err := runlog.Open(context.Background(), name, opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

var fixedStart = time.Date(2026, 11, 20, 9, 0, 0, 123456789, time.UTC)

// conformRun is a run with a value in every field that is stored.
func conformRun(id string, n int) *runlog.Run {
	digest := fmt.Sprintf("sha256:%064x", n+1)
	out := "/runs/" + runlog.Short(id)
	return &runlog.Run{
		ID: id, Name: "sweep", Labels: map[string]string{"lr": fmt.Sprint(n)}, Status: runlog.StatusRunning,
		Image: "127.0.0.1:5000/trainer:1.0", ImageRepo: "127.0.0.1:5000/trainer", ImageTag: "1.0", ImageDigest: digest,
		ImageIndexDigest: fmt.Sprintf("sha256:%064x", 999), ImageConfigDigest: fmt.Sprintf("sha256:%064x", 998), ImagePlatform: "linux/amd64",
		CodeDir: "/home/ada/trainer", Commit: strings.Repeat("c", 40), Branch: "main", Remote: "https://example.invalid/trainer.git",
		Dirty: n%2 == 1, ChangedFiles: []string{"train.py"}, CodeMount: true,
		Argv: []string{"/trainer", "--seed", fmt.Sprint(n)}, Workdir: "/workspace", Memory: "16g", GPUs: "all",
		Env:    []runlog.EnvVar{{Name: "MODE", Value: "fast"}, {Name: "HF_TOKEN", Secret: true}},
		Data:   []runlog.Dataset{{Name: "train", Path: "/data/train", Kind: "dir", Digest: fmt.Sprintf("sha256:%064x", 500), Files: 3, Bytes: 42}},
		OutDir: out, Host: runlog.Host{User: "ada", Hostname: "gpu-1", OS: "linux", Arch: "amd64", GPUs: []runlog.GPU{{Model: "A100", Driver: "535"}}},
		Engine: runlog.Engine{Name: "docker", Version: "28.2.2", Command: []string{"docker", "run", "--name", "repro-" + runlog.Short(id),
			"--mount", "type=bind,source=" + out + ",target=/out", "--", "127.0.0.1:5000/trainer@" + digest, "/trainer", "--seed", fmt.Sprint(n)}},
		ReproVersion: "test", StartedAt: fixedStart.Add(time.Duration(n) * time.Minute),
	}
}

func conformResult(n int) runlog.Result {
	code := n % 3
	status := runlog.StatusSucceeded
	if code != 0 {
		status = runlog.StatusFailed
	}
	return runlog.Result{Status: status, ExitCode: &code, OutputsDigest: fmt.Sprintf("sha256:%064x", 700+n),
		Outputs: []runlog.Output{{Path: "model.bin", Digest: fmt.Sprintf("sha256:%064x", 800+n), Bytes: 1024}},
		Metrics: map[string]float64{"accuracy": 0.5 + float64(n)/100}}
}

func runID(n int) string { return fmt.Sprintf("%04x%028x", 0xa000+n, 0) }

// recordN records n finished runs with fixed IDs and times.
func recordN(t *testing.T, l *runlog.Ledger, n int) {
	t.Helper()
	ctx := context.Background()
	for i := range n {
		r := conformRun(runID(i), i)
		if err := l.Begin(ctx, r); err != nil {
			t.Fatalf("Begin %d: %v", i, err)
		}
		if err := l.Finish(ctx, r.ID, conformResult(i)); err != nil {
			t.Fatalf("Finish %d: %v", i, err)
		}
	}
}

func TestConformance_RecordAndRead(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		l := openLedger(t, b.new(t), runlog.WithClock(func() time.Time { return fixedStart.Add(time.Hour) }))
		recordN(t, l, 3)
		got, err := l.Get(ctx, runID(1)[:6])
		if err != nil {
			t.Fatal(err)
		}
		want := conformRun(runID(1), 1)
		if got.ID != want.ID || got.ImageDigest != want.ImageDigest || got.ImageIndexDigest != want.ImageIndexDigest ||
			got.Commit != want.Commit || !got.Dirty || got.Host.User != "ada" || got.Host.Hostname != "gpu-1" || len(got.Host.GPUs) != 1 ||
			strings.Join(got.Argv, " ") != "/trainer --seed 1" || got.OutDir != want.OutDir ||
			strings.Join(got.Engine.Command, " ") != strings.Join(want.Engine.Command, " ") ||
			!got.StartedAt.Equal(want.StartedAt) || got.Labels["lr"] != "1" || len(got.Data) != 1 || got.Data[0].Digest != want.Data[0].Digest {
			t.Errorf("run read back differs:\ngot  %+v\nwant %+v", got, want)
		}
		if got.Status != runlog.StatusFailed || *got.ExitCode != 1 || got.Metrics["accuracy"] != 0.51 || len(got.Outputs) != 1 || got.OutputsDigest != fmt.Sprintf("sha256:%064x", 701) {
			t.Errorf("result read back: %s %v %v %+v", got.Status, got.ExitCode, got.Metrics, got.Outputs)
		}
		if got.Env[1].Value != "" || !got.Env[1].Secret {
			t.Errorf("a secret came back with a value: %+v", got.Env)
		}
		if id, err := l.Resolve(ctx, "sweep"); err != nil || id != runID(2) {
			t.Errorf("Resolve(name) = %s, %v; want the newest, %s", id, err, runID(2))
		}
		if _, err := l.Resolve(ctx, "a00"); err == nil {
			t.Error("Resolve of an ambiguous prefix succeeded")
		}
		if err := l.SetLabels(ctx, runID(0), map[string]string{"best": "true"}, []string{"lr"}); err != nil {
			t.Fatal(err)
		}
		if r, _ := l.Get(ctx, runID(0)); len(r.Labels) != 1 || r.Labels["best"] != "true" {
			t.Errorf("labels after SetLabels: %v", r.Labels)
		}
	})
}

func TestConformance_List(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		l := openLedger(t, b.new(t))
		recordN(t, l, 6)
		ids := func(f runlog.Filter) string {
			t.Helper()
			runs, err := l.List(ctx, f)
			if err != nil {
				t.Fatalf("List(%+v): %v", f, err)
			}
			var s []string
			for _, r := range runs {
				s = append(s, r.ID[3:4])
			}
			return strings.Join(s, "")
		}
		for _, tc := range []struct {
			f    runlog.Filter
			want string
		}{
			{runlog.Filter{}, "543210"},
			{runlog.Filter{Limit: 2}, "54"},
			{runlog.Filter{Status: runlog.StatusSucceeded}, "30"},
			{runlog.Filter{ImagePrefix: fmt.Sprintf("sha256:%063x", 0)}, "543210"[:6]},
			{runlog.Filter{ImagePrefix: fmt.Sprintf("sha256:%064x", 3)}, "2"},
			{runlog.Filter{ImageRepo: "127.0.0.1:5000/trainer", Limit: 3}, "543"},
			{runlog.Filter{CommitPrefix: "cccc"}, "543210"},
			{runlog.Filter{DataName: "train", Limit: 1}, "5"},
			{runlog.Filter{DataDigest: fmt.Sprintf("sha256:%064x", 500)[:20]}, "543210"},
			{runlog.Filter{Since: fixedStart.Add(4 * time.Minute)}, "54"},
			{runlog.Filter{Until: fixedStart.Add(time.Minute)}, "10"},
			{runlog.Filter{Labels: map[string]string{"lr": "3"}}, "3"},
			{runlog.Filter{User: "ada", Host: "gpu-1", Limit: 1}, "5"},
			{runlog.Filter{User: "bob"}, ""},
			{runlog.Filter{Sort: "metric:accuracy:asc"}, "012345"},
			{runlog.Filter{Sort: "exit", Limit: 2}, "52"},
			{runlog.Filter{Sort: "duration:asc", Limit: 1}, "5"},
		} {
			if got := ids(tc.f); got != tc.want {
				t.Errorf("List(%+v) = %q, want %q", tc.f, got, tc.want)
			}
		}
	})
}

// A run recorded the same way links the chain the same way on every
// backend: what the chain hashes does not depend on where it is stored.
func TestConformance_SameChain(t *testing.T) {
	heads := map[string]string{}
	forEachBackend(t, func(t *testing.T, b backend) {
		l := openLedger(t, b.new(t), runlog.WithClock(func() time.Time { return fixedStart.Add(time.Hour) }))
		recordN(t, l, 4)
		rep, err := l.VerifyChain(context.Background())
		if err != nil || rep.Problem != nil || rep.Records != 4 {
			t.Fatalf("VerifyChain = %+v, %v", rep, err)
		}
		heads[b.name] = rep.Head
	})
	if len(heads) == 2 && heads["sqlite"] != heads["postgres"] {
		t.Errorf("chain heads differ: %v", heads)
	}
}

// A row edited behind repro's back is found, on every backend.
// TestConformance_FinishLinkIsRow: Finish hashes the end link from the row
// it read plus the result it wrote, without reading it again; verify
// recomputes the link from the row. Results whose stored form differs from
// their Go form (no metrics, a metric JSON cannot hold, one path given
// twice, an output row already there, no exit code) must hash the same.
func TestConformance_FinishLinkIsRow(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		name := b.new(t)
		l := openLedger(t, name)
		d := func(n int) string { return fmt.Sprintf("sha256:%064x", n) }
		minus := -1
		results := []runlog.Result{
			{Status: runlog.StatusSucceeded},
			{Status: runlog.StatusFailed, ExitCode: &minus, Signal: "SIGKILL", OOMKilled: true, Error: "out of memory: ünïcode\ttab",
				Metrics: map[string]float64{"loss": math.NaN()}},
			{Status: runlog.StatusSucceeded, OutputsDigest: d(1), Metrics: map[string]float64{"a": 1e300, "b": math.Copysign(0, -1), "c": 0.1},
				Outputs: []runlog.Output{{Path: "z.bin", Digest: d(2), Bytes: 1}, {Path: "a.bin", Digest: d(3), Bytes: 2}, {Path: "z.bin", Digest: d(4), Bytes: 3}}},
			{Status: runlog.StatusInterrupted, Outputs: []runlog.Output{{Path: "early.txt", Digest: d(5), Bytes: 9}, {Path: "late.txt", Bytes: 0}}},
		}
		for i, res := range results {
			r := conformRun(runID(i), i)
			if err := l.Begin(ctx, r); err != nil {
				t.Fatal(err)
			}
			if i == 3 { // a row written behind Finish's back, which it then overwrites
				b.edit(t, name, "INSERT INTO outputs (run, path, digest, bytes) SELECT seq, 'early.txt', '', 1 FROM runs WHERE id = '"+r.ID+"'")
			}
			if err := l.Finish(ctx, r.ID, res); err != nil {
				t.Fatalf("Finish %d: %v", i, err)
			}
		}
		rep, err := l.VerifyChain(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Problem != nil {
			t.Fatalf("an end link does not hash its row: %+v", rep.Problem)
		}
		got, err := l.Get(ctx, runID(2))
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Outputs) != 2 || got.Outputs[1].Path != "z.bin" || got.Outputs[1].Digest != d(4) {
			t.Errorf("outputs of a result naming z.bin twice: %+v", got.Outputs)
		}
		if got, _ := l.Get(ctx, runID(3)); len(got.Outputs) != 2 || got.Outputs[0].Digest != d(5) {
			t.Errorf("an output row already there was not overwritten: %+v", got.Outputs)
		}
	})
}

// TestConformance_FinishRefusesDigests: a digest the ledger could not
// store as one is refused and nothing is written.
func TestConformance_FinishRefusesDigests(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		l := openLedger(t, b.new(t))
		r := conformRun(runID(0), 0)
		if err := l.Begin(ctx, r); err != nil {
			t.Fatal(err)
		}
		for _, res := range []runlog.Result{
			{Status: runlog.StatusSucceeded, OutputsDigest: "md5:abc"},
			{Status: runlog.StatusSucceeded, Outputs: []runlog.Output{{Path: "m", Digest: "sha256:" + strings.Repeat("A", 64)}}},
		} {
			if err := l.Finish(ctx, r.ID, res); err == nil || !strings.Contains(err.Error(), "is not sha256") {
				t.Errorf("Finish(%+v) = %v, want a refusal naming the digest", res, err)
			}
		}
		if got, err := l.Get(ctx, r.ID); err != nil || got.Status != runlog.StatusRunning || len(got.Outputs) != 0 {
			t.Errorf("a refused Finish wrote: %+v, %v", got, err)
		}
	})
}

func TestConformance_Tamper(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		name := b.new(t)
		l := openLedger(t, name)
		recordN(t, l, 3)
		b.edit(t, name, "UPDATE runs SET argv = '[\"/trainer\",\"--seed\",\"99\"]' WHERE id = '"+runID(1)+"'")
		rep, err := l.VerifyChain(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if rep.Problem == nil || rep.Problem.RunID != runID(1) {
			t.Errorf("an edited run went unnoticed: %+v", rep)
		}
	})
}

// A running run put in behind repro's back has no begin link: verify
// names it, unless the ledger lists it as left running by a repro older
// than begin links.
func TestConformance_RunWithoutBeginLink(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		name := b.new(t)
		l := openLedger(t, name)
		recordN(t, l, 3)
		id := strings.Repeat("f", 32)
		b.edit(t, name, `INSERT INTO runs (id, status, context, image_digest, argv, started_at)
			SELECT '`+id+`', 'running', context, image_digest, '[]', '2026-03-01T00:30:00.000000000Z' FROM runs LIMIT 1`)
		rep, err := l.VerifyChain(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if p := rep.Problem; p == nil || p.RunID != id || p.Kind != "inserted" || !strings.Contains(p.Detail, "never chained") {
			t.Fatalf("a run without a begin link: %+v", rep.Problem)
		}
		unhex := "unhex('" + id + "')"
		if b.name == "postgres" {
			unhex = "decode('" + id + "', 'hex')"
		}
		b.edit(t, name, "INSERT INTO chain_legacy_running (run_id) VALUES ("+unhex+")")
		rep, err = l.VerifyChain(context.Background())
		if err != nil || rep.Problem != nil || rep.Records != 3 {
			t.Fatalf("a run left running before begin links: %+v, %v", rep, err)
		}
	})
}

func TestConformance_ImagesAndTags(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		l := openLedger(t, b.new(t))
		digest := fmt.Sprintf("sha256:%064x", 1)
		img := &runlog.Image{Digest: digest, Repository: "127.0.0.1:5000/trainer", Labels: map[string]string{"a": "b"}, SourceCommit: strings.Repeat("c", 40)}
		at := fixedStart
		events := []runlog.TagEvent{{Repository: img.Repository, Tag: "1.0", Digest: digest, Action: "push", At: at}}
		for range 2 {
			if err := l.RecordImage(ctx, img, events); err != nil {
				t.Fatal(err)
			}
		}
		recordN(t, l, 2)
		imgs, err := l.Images(ctx, img.Repository)
		if err != nil || len(imgs) < 1 {
			t.Fatalf("Images = %+v, %v", imgs, err)
		}
		var found bool
		for _, i := range imgs {
			if i.Digest == digest {
				found = i.Runs == 1 && strings.Join(i.Tags, ",") == "1.0"
			}
		}
		if !found {
			t.Errorf("Images = %+v", imgs)
		}
		hist, err := l.TagHistory(ctx, img.Repository, "1.0", time.Time{})
		if err != nil || len(hist) != 1 || hist[0].Seen != 2 {
			t.Errorf("TagHistory = %+v, %v", hist, err)
		}
		if hist, err := l.TagHistory(ctx, img.Repository, "", at.Add(time.Hour)); err != nil || len(hist) != 1 {
			t.Errorf("TagHistory at a moment = %+v, %v", hist, err)
		}
	})
}

func TestConformance_Lineage(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		l := openLedger(t, b.new(t))
		recordN(t, l, 1)
		r := conformRun(runID(1), 1)
		r.Data = []runlog.Dataset{{Name: "model", Path: "/runs/x", Kind: "dir", Digest: fmt.Sprintf("sha256:%064x", 700), Files: 1, Bytes: 1024}}
		if err := l.Begin(ctx, r); err != nil {
			t.Fatal(err)
		}
		n, err := l.Lineage(ctx, r.ID, 3)
		if err != nil {
			t.Fatal(err)
		}
		var upstream bool
		for _, c := range n.Children {
			for _, cc := range c.Children {
				upstream = upstream || cc.ID == runID(0)
			}
		}
		if !upstream {
			t.Errorf("lineage of %s does not find the run that produced its data", r.ID)
		}
	})
}

// Writers on many connections at once (processes on many machines) all
// land, and the chain they append to verifies.
func TestConformance_ConcurrentWriters(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		name := b.new(t)
		const writers = 20
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				l, err := runlog.Open(context.Background(), name)
				if err != nil {
					errs <- err
					return
				}
				defer l.Close()
				r := conformRun(runID(100+w), w)
				if err := l.Begin(context.Background(), r); err != nil {
					errs <- err
					return
				}
				errs <- l.Finish(context.Background(), r.ID, conformResult(w))
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
		l := openLedger(t, name)
		rep, err := l.VerifyChain(context.Background())
		if err != nil || rep.Problem != nil || rep.Records != writers {
			t.Errorf("after %d writers: %+v, %v", writers, rep, err)
		}
	})
}

// A signed head verifies with the signer's key, on every backend.
func TestConformance_SignedHead(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		pub, priv, _ := ed25519.GenerateKey(rand.Reader)
		l := openLedger(t, b.new(t), runlog.WithSigner(edSigner{priv}))
		recordN(t, l, 2)
		rep, err := l.VerifyChain(context.Background())
		if err != nil || rep.Problem != nil {
			t.Fatal(rep, err)
		}
		sig, err := l.CheckHead(context.Background(), rep.HeadSeq, rep.Head, []ed25519.PublicKey{pub})
		if err != nil || sig.State != runlog.SignedBy {
			t.Errorf("CheckHead = %+v, %v", sig, err)
		}
	})
}

type edSigner struct{ k ed25519.PrivateKey }

func (s edSigner) PublicKey() ed25519.PublicKey { return s.k.Public().(ed25519.PublicKey) }
func (s edSigner) Sign(msg []byte) []byte       { return ed25519.Sign(s.k, msg) }

// A ledger opened read-only cannot be written, whatever the backend.
func TestConformance_ReadOnly(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		name := b.new(t)
		recordN(t, openLedger(t, name), 1)
		ro := openLedger(t, name, runlog.ReadOnly())
		if runs, err := ro.List(context.Background(), runlog.Filter{}); err != nil || len(runs) != 1 {
			t.Fatalf("read-only List = %d runs, %v", len(runs), err)
		}
		if err := ro.Begin(context.Background(), conformRun(runID(9), 9)); err == nil {
			t.Error("a read-only ledger recorded a run")
		}
	})
}

// Push copies a machine's runs into a team's ledger once, however often
// it is pushed or interrupted, refusing a run edited since it was
// recorded; the team's chain verifies after each push.
func TestConformance_Push(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		srcName := filepath.Join(t.TempDir(), "laptop.db")
		src := openLedger(t, srcName)
		const n = 600 // three batches
		recordN(t, src, n)
		running := conformRun(runID(n), n)
		if err := src.Begin(ctx, running); err != nil {
			t.Fatal(err)
		}
		(backends(t)[0]).edit(t, srcName, "UPDATE runs SET argv = '[\"edited\"]' WHERE id = '"+runID(7)+"'")

		team := openLedger(t, b.new(t))
		recordN(t, team, 2) // the team has runs 0 and 1 already

		// Interrupted after its first batch: what was copied is whole.
		cctx, cancel := context.WithCancel(ctx)
		_, err := team.Push(cctx, src, runlog.PushOptions{Batch: 250, Progress: func(done, total int) {
			if done >= 250 {
				cancel()
			}
		}})
		if err == nil {
			t.Fatal("a cancelled push reported no error")
		}
		if rep, err := team.VerifyChain(ctx); err != nil || rep.Problem != nil {
			t.Fatalf("after an interrupted push: %+v, %v", rep, err)
		}

		rep, err := team.Push(ctx, src, runlog.PushOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Running != 1 || len(rep.Refused) != 1 || rep.Refused[0].RunID != runID(7) || rep.Copied+rep.Present != n-1 {
			t.Errorf("push = %+v", rep)
		}
		again, err := team.Push(ctx, src, runlog.PushOptions{})
		if err != nil || again.Copied != 0 || again.Present != n-1 {
			t.Errorf("second push = %+v, %v", again, err)
		}
		chain, err := team.VerifyChain(ctx)
		if err != nil || chain.Problem != nil || chain.Records != n-1 {
			t.Errorf("team chain after pushes: %+v, %v", chain, err)
		}
		got, err := team.Get(ctx, runID(300))
		if err != nil || got.Name != "sweep" || got.Labels["lr"] != "300" || !got.StartedAt.Equal(fixedStart.Add(300*time.Minute)) {
			t.Errorf("pushed run: %+v, %v", got, err)
		}

		// --from takes any ledger: the team's, into another of its kind
		// (its links checked hundreds of runs to a statement).
		other := openLedger(t, b.new(t))
		rep, err = other.Push(ctx, team, runlog.PushOptions{})
		if err != nil || rep.Copied != n-1 || len(rep.Refused) != 0 {
			t.Fatalf("push from the team ledger = %+v, %v", rep, err)
		}
		if chain, err := other.VerifyChain(ctx); err != nil || chain.Problem != nil || chain.Records != n-1 {
			t.Errorf("chain pushed from the team ledger: %+v, %v", chain, err)
		}
	})
}

// Push's COPY into PostgreSQL writes exactly what recording each run
// statement by statement writes: the same rows, the same chain.
func TestPush_CopyMatchesStatements(t *testing.T) {
	if pg == nil {
		t.Skip("PostgreSQL is not installed here")
	}
	ctx := context.Background()
	src := openLedger(t, filepath.Join(t.TempDir(), "laptop.db"))
	recordN(t, src, 40)
	r := conformRun(runID(40), 40)
	r.Patch, r.PatchDigest, r.Dirty = []byte("diff --git a/x b/x\n"), runlog.BlobDigest([]byte("diff --git a/x b/x\n")), true
	r.Data[0].Listing = []byte("0123  a.txt\n")
	if err := src.Begin(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := src.Finish(ctx, r.ID, conformResult(40)); err != nil {
		t.Fatal(err)
	}
	var heads, shows []string
	for _, byStatement := range []bool{false, true} {
		restore := runlog.SetPushByStatement(byStatement)
		team := openLedger(t, backends(t)[1].new(t), runlog.WithClock(func() time.Time { return fixedStart.Add(time.Hour) }))
		recordN(t, team, 1)
		if rep, err := team.Push(ctx, src, runlog.PushOptions{}); err != nil || rep.Copied != 40 {
			t.Fatalf("push (by statement: %v) = %+v, %v", byStatement, rep, err)
		}
		restore()
		chain, err := team.VerifyChain(ctx)
		if err != nil || chain.Problem != nil {
			t.Fatalf("by statement %v: %+v, %v", byStatement, chain, err)
		}
		heads = append(heads, chain.Head)
		runs, err := team.List(ctx, runlog.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(runs)
		shows = append(shows, string(b))
		if patch, err := team.Blob(ctx, r.PatchDigest); err != nil || string(patch) != string(r.Patch) {
			t.Errorf("pushed patch = %q, %v", patch, err)
		}
	}
	if heads[0] != heads[1] {
		t.Errorf("COPY and statements chain differently: %s, %s", heads[0], heads[1])
	}
	if shows[0] != shows[1] {
		t.Errorf("COPY and statements store different runs:\n%s\n%s", shows[0], shows[1])
	}
}

// Ledgers of one server migrated at once all get the cluster's roles: the
// advisory lock is per database, role creation is not.
func TestPostgres_ConcurrentMigrations(t *testing.T) {
	if pg == nil {
		t.Skip("PostgreSQL is not installed here")
	}
	dir, err := os.MkdirTemp("", "runlog-pg-fresh-") // the server's user must reach it
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	srv, err := pgtest.Start(dir) // a server of its own: no roles yet
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	var dbs []string
	for range 8 {
		db, err := srv.NewDatabase("m")
		if err != nil {
			t.Fatal(err)
		}
		dbs = append(dbs, db)
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(dbs))
	start := make(chan struct{})
	for _, db := range dbs {
		wg.Go(func() {
			<-start
			l, err := runlog.Open(context.Background(), srv.WithPassword(db), runlog.Migrate())
			if err == nil {
				l.Close()
			}
			errs <- err
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}
