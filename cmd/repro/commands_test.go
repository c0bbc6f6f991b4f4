package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reprohq/repro/launch"
	"github.com/reprohq/repro/provenance/dataset"
	"github.com/reprohq/repro/runlog"
	"github.com/reprohq/repro/trust"
)

// Unit tests of each command's runX: options in, what it prints and the
// status it ends with out, against a real SQLite ledger in a temporary
// directory (and, for the registry commands, go-containerregistry's
// in-process registry; see registry_commands_test.go).

// testStreams are a command's stdout and stderr, kept.
type testStreams struct{ out, err bytes.Buffer }

func (b *testStreams) streams() streams { return streams{out: &b.out, err: &b.err} }

// testEnv isolates repro's files: the key, data directory and default
// ledger live under a temporary directory.
func testEnv(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("REPRO_KEY", filepath.Join(dir, "key"))
	t.Setenv("XDG_DATA_HOME", filepath.Join(dir, "data"))
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
	t.Setenv("REPRO_LEDGER", "")
	t.Setenv("REPRO_KEEP_TO", "")
	return dir
}

// testKey is the user's key for this test, created.
func testKey(t *testing.T) *trust.Key {
	t.Helper()
	path, err := trust.DefaultPath()
	if err != nil {
		t.Fatal(err)
	}
	k, err := trust.LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// testLedger is a new ledger whose chain head is signed with the test key.
func testLedger(t *testing.T) *runlog.Ledger {
	t.Helper()
	testEnv(t)
	l, err := runlog.Open(context.Background(), filepath.Join(t.TempDir(), "ledger.db"), runlog.WithSigner(testKey(t)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// recordRun records a finished run (succeeded unless edit says otherwise)
// whose one output, model.bin, is in its out directory.
func recordRun(t *testing.T, l *runlog.Ledger, edit func(r *runlog.Run, res *runlog.Result)) *runlog.Run {
	t.Helper()
	ctx := context.Background()
	id := runlog.NewID()
	out := filepath.Join(t.TempDir(), "out")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	model := []byte("weights of " + id)
	if err := os.WriteFile(filepath.Join(out, "model.bin"), model, 0o644); err != nil {
		t.Fatal(err)
	}
	v, err := dataset.HashPathWith(ctx, out, dataset.HashOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(model)
	digest := "sha256:" + strings.Repeat("ab", 32)
	argv := []string{"/trainer", "--seed", "7"}
	cmd := append([]string{"docker", "run", "--name", "repro-" + runlog.Short(id), "--label", "repro.run=" + id,
		"--mount", "type=bind,source=" + out + ",target=/out", "--", "127.0.0.1:5000/trainer@" + digest}, argv...)
	host, _ := os.Hostname()
	r := &runlog.Run{
		ID: id, Image: "127.0.0.1:5000/trainer:1.0", ImageRepo: "127.0.0.1:5000/trainer", ImageTag: "1.0", ImageDigest: digest,
		Argv: argv, OutDir: out, Env: []runlog.EnvVar{{Name: "SEED", Value: "7"}, {Name: "WANDB_API_KEY", Secret: true}},
		Host:      runlog.Host{User: "ada", Hostname: host, OS: "linux", Arch: "amd64"},
		Engine:    runlog.Engine{Name: "docker", Version: "28.2.2", Command: cmd},
		StartedAt: time.Now().UTC().Add(-90 * time.Second), ReproVersion: "test",
	}
	code := 0
	res := runlog.Result{Status: runlog.StatusSucceeded, ExitCode: &code, OutputsDigest: v.Digest,
		Outputs: []runlog.Output{{Path: "model.bin", Digest: "sha256:" + hex.EncodeToString(sum[:]), Bytes: int64(len(model))}},
		Metrics: map[string]float64{"accuracy": 0.875}}
	if edit != nil {
		edit(r, &res)
	}
	if err := l.Begin(ctx, r); err != nil {
		t.Fatalf("Begin: %v", err)
	}
	if res.Status != runlog.StatusRunning {
		if err := l.Finish(ctx, r.ID, res); err != nil {
			t.Fatalf("Finish: %v", err)
		}
	}
	got, err := l.Get(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// exitStatus is the status report gives err.
func exitStatus(err error) int { return report(err, &bytes.Buffer{}) }

func TestRunShow(t *testing.T) {
	l := testLedger(t)
	r := recordRun(t, l, nil)
	ctx := context.Background()

	var b testStreams
	if err := runShow(ctx, l, &showOptions{ref: r.ID[:8]}, b.streams()); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"id:", r.ID, "succeeded", "127.0.0.1:5000/trainer@" + r.ImageDigest, "/trainer --seed 7",
		"WANDB_API_KEY (secret, not recorded)", "metric accuracy:", "0.875", "model.bin"} {
		if !strings.Contains(b.out.String(), want) {
			t.Errorf("show lacks %q:\n%s", want, b.out.String())
		}
	}

	b = testStreams{}
	if err := runShow(ctx, l, &showOptions{ref: r.ID, json: true}, b.streams()); err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(b.out.Bytes(), &v); err != nil || v["id"] != r.ID || v["status"] != "succeeded" {
		t.Errorf("show --json = %v (%v):\n%s", v, err, b.out.String())
	}

	if err := runShow(ctx, l, &showOptions{ref: "ffffffff"}, b.streams()); err == nil || exitStatus(err) != exitError {
		t.Errorf("show of no such run: %v", err)
	}
}

func TestRunLs(t *testing.T) {
	l := testLedger(t)
	ctx := context.Background()
	ok := recordRun(t, l, nil)
	failed := recordRun(t, l, func(r *runlog.Run, res *runlog.Result) {
		code := 3
		r.Name = "sweep"
		res.Status, res.ExitCode = runlog.StatusFailed, &code
	})

	// Not a terminal: tab-separated, whole IDs, the duration in seconds
	// (never the finished time).
	var b testStreams
	if err := runLs(ctx, l, &lsOptions{columns: "id,status,exit,duration", sort: "started"}, b.streams()); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.out.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], failed.ID+"\tfailed\t3\t") || !strings.HasPrefix(lines[1], ok.ID+"\tsucceeded\t0\t") {
		t.Fatalf("ls =\n%s", b.out.String())
	}
	if d := strings.Split(lines[0], "\t")[3]; strings.Contains(d, ":") || strings.Contains(d, "T") {
		t.Errorf("duration column = %q, want seconds", d)
	}

	b = testStreams{}
	if err := runLs(ctx, l, &lsOptions{status: "failed", json: true, columns: defaultColumns, sort: "started"}, b.streams()); err != nil {
		t.Fatal(err)
	}
	var runs []map[string]any
	if err := json.Unmarshal(b.out.Bytes(), &runs); err != nil || len(runs) != 1 || runs[0]["id"] != failed.ID || runs[0]["name"] != "sweep" {
		t.Errorf("ls --status failed --json = %v (%v)", runs, err)
	}

	for _, o := range []lsOptions{{status: "done"}, {limit: -1}, {commit: "xyz"}, {columns: "nope"}} {
		if o.columns == "" {
			o.columns = defaultColumns
		}
		o.sort = "started"
		if err := runLs(ctx, l, &o, b.streams()); exitStatus(err) != exitUsage {
			t.Errorf("ls %+v: %v, want a usage error", o, err)
		}
	}
}

func TestRunLabel(t *testing.T) {
	l := testLedger(t)
	ctx := context.Background()
	r := recordRun(t, l, nil)
	var b testStreams
	if err := runLabel(ctx, l, &labelOptions{ref: r.ID, set: map[string]string{"best": "true", "sweep": "lr"}}, b.streams()); err != nil {
		t.Fatal(err)
	}
	if err := runLabel(ctx, l, &labelOptions{ref: r.ID, remove: []string{"sweep"}}, b.streams()); err != nil {
		t.Fatal(err)
	}
	got, _ := l.Get(ctx, r.ID)
	if len(got.Labels) != 1 || got.Labels["best"] != "true" {
		t.Errorf("labels = %v", got.Labels)
	}
	if !strings.Contains(b.err.String(), "labels: best=true\n") {
		t.Errorf("stderr = %q", b.err.String())
	}
}

func TestRunDiff(t *testing.T) {
	l := testLedger(t)
	ctx := context.Background()
	a := recordRun(t, l, nil)
	c := recordRun(t, l, func(r *runlog.Run, res *runlog.Result) {
		r.Argv = []string{"/trainer", "--seed", "8"}
		res.Metrics = map[string]float64{"accuracy": 0.9}
	})
	var b testStreams
	err := runDiff(ctx, l, &diffOptions{a: a.ID, b: c.ID}, b.streams())
	if exitStatus(err) != exitDiffers {
		t.Fatalf("diff of different runs: %v, want status 3", err)
	}
	for _, want := range []string{"argv", "'--seed' '8'", "metric accuracy", "0.9", "output model.bin"} {
		if !strings.Contains(b.out.String(), want) {
			t.Errorf("diff lacks %q:\n%s", want, b.out.String())
		}
	}
	b = testStreams{}
	if err := runDiff(ctx, l, &diffOptions{a: a.ID, b: a.ID}, b.streams()); err != nil || !strings.Contains(b.out.String(), "the same in every recorded respect") {
		t.Errorf("diff of a run with itself: %v, %q", err, b.out.String())
	}
}

func TestRunLineage(t *testing.T) {
	l := testLedger(t)
	ctx := context.Background()
	r := recordRun(t, l, nil)
	for _, format := range []string{"table", "json", "dot"} {
		var b testStreams
		if err := runLineage(ctx, l, &lineageOptions{ref: r.ID, depth: 3, format: format}, b.streams()); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		out := b.out.String()
		switch format {
		case "json":
			var n runlog.Node
			if err := json.Unmarshal(b.out.Bytes(), &n); err != nil || n.Kind != "run" || n.ID != r.ID {
				t.Errorf("lineage --json = %+v (%v)", n, err)
			}
		case "dot":
			if !strings.HasPrefix(out, "digraph") || !strings.Contains(out, r.ImageDigest) {
				t.Errorf("lineage --format dot =\n%s", out)
			}
		default:
			if !strings.Contains(out, "run "+r.ID) || !strings.Contains(out, "image") {
				t.Errorf("lineage =\n%s", out)
			}
		}
	}
}

func TestRunVerify(t *testing.T) {
	l := testLedger(t)
	ctx := context.Background()
	r := recordRun(t, l, nil)

	var b testStreams
	if err := runVerify(ctx, l, &verifyOptions{}, b.streams()); err != nil {
		t.Fatalf("verify: %v (%s)", err, b.err.String())
	}
	if want := "1 finished runs, chain intact, signed by " + runlog.KeyID(testKey(t).PublicKey()); !strings.Contains(b.out.String(), want) {
		t.Errorf("verify = %q, want %q", b.out.String(), want)
	}

	b = testStreams{}
	if err := runVerify(ctx, l, &verifyOptions{runs: []string{r.ID}}, b.streams()); err != nil || !strings.Contains(b.out.String(), "1 outputs in "+r.OutDir+" as recorded") {
		t.Errorf("verify RUN: %v, %q", err, b.out.String())
	}
	if err := os.WriteFile(filepath.Join(r.OutDir, "model.bin"), []byte("changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	b = testStreams{}
	err := runVerify(ctx, l, &verifyOptions{runs: []string{r.ID}, json: true}, b.streams())
	if exitStatus(err) != exitDiffers || !strings.Contains(b.out.String(), `"path": "model.bin"`) {
		t.Errorf("verify RUN after a change: %v\n%s", err, b.out.String())
	}

	if err := runVerify(ctx, l, &verifyOptions{keys: []string{filepath.Join(t.TempDir(), "none.pub")}}, b.streams()); exitStatus(err) != exitUsage {
		t.Errorf("verify --key of a missing file: %v, want a usage error", err)
	}
}

func TestRunCancel_NotOnAScheduler(t *testing.T) {
	l := testLedger(t)
	r := recordRun(t, l, nil)
	var b testStreams
	err := runCancel(context.Background(), l, &cancelOptions{ref: r.ID, wait: time.Second}, b.streams())
	if err == nil || !strings.Contains(err.Error(), "was not submitted to a scheduler") {
		t.Errorf("cancel of a local run: %v", err)
	}
}

func TestRunReconcile_NothingLeft(t *testing.T) {
	l := testLedger(t)
	recordRun(t, l, nil)
	var b testStreams
	if err := runReconcile(context.Background(), l, nil, &reconcileOptions{json: true}, b.streams()); err != nil || strings.TrimSpace(b.out.String()) != "[]" {
		t.Errorf("reconcile --json: %v, %q", err, b.out.String())
	}
	b = testStreams{}
	if err := runReconcile(context.Background(), l, nil, &reconcileOptions{}, b.streams()); err != nil || !strings.Contains(b.err.String(), "no run of this host is left running") {
		t.Errorf("reconcile: %v, %q", err, b.err.String())
	}
}

func TestRunDigest(t *testing.T) {
	testEnv(t)
	dir := t.TempDir()
	for name, body := range map[string]string{"a.csv": "1,2\n", "sub/b.csv": "3,4\n"} {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	var b testStreams
	if err := runDigest(ctx, nil, &digestOptions{paths: []string{dir}, list: true}, b.streams()); err != nil {
		t.Fatal(err)
	}
	sum := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
	listing := sum("1,2\n") + "  a.csv\n" + sum("3,4\n") + "  sub/b.csv\n"
	if b.out.String() != listing {
		t.Errorf("digest --list =\n%q\nwant\n%q", b.out.String(), listing)
	}
	b = testStreams{}
	if err := runDigest(ctx, nil, &digestOptions{paths: []string{dir}}, b.streams()); err != nil || b.out.String() != "sha256:"+sum(listing)+"  "+dir+"\n" {
		t.Errorf("digest = %q, %v", b.out.String(), err)
	}
	if err := runDigest(ctx, nil, &digestOptions{paths: []string{filepath.Join(dir, "none")}}, b.streams()); err == nil {
		t.Error("digest of a missing path succeeded")
	}
}

func TestRunRerun_Script(t *testing.T) {
	l := testLedger(t)
	r := recordRun(t, l, func(r *runlog.Run, res *runlog.Result) { r.CodeMount = false })
	var b testStreams
	if err := runRerun(context.Background(), l, &rerunOptions{ref: r.ID, format: "sh"}, b.streams()); err != nil {
		t.Fatal(err)
	}
	script := b.out.String()
	for _, want := range []string{"#!/bin/sh", r.ImageDigest, "'--seed' '7'"} {
		if !strings.Contains(script, want) {
			t.Errorf("script lacks %q", want)
		}
	}
	out := filepath.Join(t.TempDir(), "rerun.sh")
	b = testStreams{}
	if err := runRerun(context.Background(), l, &rerunOptions{ref: r.ID, format: "sh", output: out}, b.streams()); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(out); err != nil || string(got) != script || !strings.Contains(b.err.String(), "run it with: sh "+out) {
		t.Errorf("rerun -o: %v, %q", err, b.err.String())
	}
}

func TestRunRerun_Validate(t *testing.T) {
	for _, tc := range []struct {
		o    rerunOptions
		want string
	}{
		{rerunOptions{exec: true, output: "x.sh", format: "sh"}, "choose one"},
		{rerunOptions{out: "o", format: "sh"}, "--out goes with --exec"},
		{rerunOptions{format: "yaml"}, `--format "yaml"`},
		{rerunOptions{verify: true, format: "sh"}, "--verify goes with --exec"},
		{rerunOptions{exec: true, format: "k8s"}, "--format k8s writes a Job manifest"},
	} {
		tc.o.engineFlags.runtime = "docker"
		err := tc.o.validate()
		if exitStatus(err) != exitUsage || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want a usage error with %q", tc.o, err, tc.want)
		}
	}
}

func TestRunRun_RefusesBeforeAnythingRuns(t *testing.T) {
	l := testLedger(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		o    runOptions
		want string
	}{
		{"latest", runOptions{image: "127.0.0.1:1/trainer", argv: []string{"/trainer"}, noCode: true}, "latest"},
		{"bad data", runOptions{image: "127.0.0.1:1/trainer:1.0", noCode: true, data: []string{"nodata"}}, "NAME=PATH"},
		{"bad label", runOptions{image: "127.0.0.1:1/trainer:1.0", noCode: true, labels: []string{"=x"}}, "--label"},
		{"missing data", runOptions{image: "127.0.0.1:1/trainer:1.0", noCode: true, data: []string{"train=/nonexistent/train"}}, "--data train"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.o.engineFlags.runtime = "docker"
			var b testStreams
			err := runRun(ctx, l, &tc.o, b.streams())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("run: %v, want an error naming %q", err, tc.want)
			}
			if runs, _ := l.List(ctx, runlog.Filter{}); len(runs) != 0 {
				t.Errorf("a refused run was recorded: %d runs", len(runs))
			}
		})
	}
	o := runOptions{}
	if err := o.bind([]string{"img", "python"}, 2); exitStatus(err) != exitUsage {
		t.Errorf("bind with the command before --: %v", err)
	}
	if err := (&runOptions{engineFlags: engineFlags{runtime: "docker"}, noCode: true, allowDirty: true}).bind([]string{"img"}, -1); exitStatus(err) != exitUsage {
		t.Errorf("--no-code with --allow-dirty: %v", err)
	}
}

func TestRunTags(t *testing.T) {
	var b testStreams
	sha := "0123456789abcdef0123456789abcdef01234567"
	if err := runTags(context.Background(), &tagsOptions{version: "v1.4.2", sha: sha, channel: "dev"}, b.streams()); err != nil {
		t.Fatal(err)
	}
	if got := strings.Fields(b.out.String()); strings.Join(got, " ") != "1.4.2 1.4 1 git-0123456 dev" {
		t.Errorf("tags = %v", got)
	}
	if err := runTags(context.Background(), &tagsOptions{}, b.streams()); exitStatus(err) != exitUsage {
		t.Errorf("tags without --version: %v", err)
	}
}

func TestRunKeyAndVersion(t *testing.T) {
	testEnv(t)
	k := testKey(t)
	var b testStreams
	if err := runKey(k, &keyOptions{}, b.streams()); err != nil {
		t.Fatal(err)
	}
	pub, err := trust.ParsePublicKey(b.out.Bytes())
	if err != nil || !pub.Equal(k.PublicKey()) {
		t.Errorf("key PEM does not parse back: %v", err)
	}
	b = testStreams{}
	if err := runKey(k, &keyOptions{id: true}, b.streams()); err != nil || strings.TrimSpace(b.out.String()) != runlog.KeyID(k.PublicKey()) {
		t.Errorf("key --id = %q, %v", b.out.String(), err)
	}
	b = testStreams{}
	if err := runVersion(b.streams()); err != nil || !strings.HasPrefix(b.out.String(), "repro "+version+" (go") {
		t.Errorf("version = %q, %v", b.out.String(), err)
	}
}

func TestRunImages_None(t *testing.T) {
	l := testLedger(t)
	var b testStreams
	if err := runImages(context.Background(), l, &imagesOptions{repo: "127.0.0.1:5000/none"}, b.streams()); err != nil || !strings.Contains(b.err.String(), "no images recorded") {
		t.Errorf("images: %v, %q", err, b.err.String())
	}
}

// A status error is the exit status alone; any other error is explained.
func TestReport(t *testing.T) {
	var b bytes.Buffer
	for _, tc := range []struct {
		err  error
		want int
	}{
		{nil, exitOK},
		{&statusError{3}, 3},
		{usagef("bad"), exitUsage},
		{errors.New("boom"), exitError},
		{context.Canceled, exitInterrupted},
	} {
		if got := report(tc.err, &b); got != tc.want {
			t.Errorf("report(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

// What launch notices is told in repro run's flags.
func TestNotify(t *testing.T) {
	for _, tc := range []struct {
		n    launch.Notice
		want string
	}{
		{launch.OutDirChosen{Dir: "/o/4e1d"}, "repro: no --out given: outputs go to /o/4e1d\n"},
		{launch.ImageShadowed{Image: "r/x:1", Dir: "/workspace/app"}, "repro: warning: image r/x:1 keeps files at /workspace/app, where the work tree is mounted: the container sees your work tree there, not the image's files; rebuild with repro build --dest /app, or pass --no-code-mount to run the image's copy\n"},
	} {
		var b bytes.Buffer
		notify(&b, tc.n)
		if b.String() != tc.want {
			t.Errorf("notify(%T) = %q, want %q", tc.n, b.String(), tc.want)
		}
	}
}

func TestRunLedgerCommands(t *testing.T) {
	l := testLedger(t)
	ctx := context.Background()
	var b testStreams
	if err := runLedgerMigrate(ctx, l, b.streams()); err != nil || !strings.Contains(b.out.String(), "schema version 10, up to date") {
		t.Errorf("ledger migrate: %v, %q", err, b.out.String())
	}
	b = testStreams{}
	if err := runLedgerGrant(ctx, nil, &ledgerGrantOptions{user: `al"ice`, reader: true}, b.streams()); err != nil || b.out.String() != "GRANT repro_reader TO \"al\"\"ice\";\n" {
		t.Errorf("ledger grant: %v, %q", err, b.out.String())
	}
	if err := runLedgerGrant(ctx, l, &ledgerGrantOptions{user: "alice", writer: true, apply: true}, b.streams()); err == nil {
		t.Error("a grant was applied to a SQLite ledger")
	}

	recordRun(t, l, nil)
	recordRun(t, l, nil)
	team, err := runlog.Open(ctx, filepath.Join(t.TempDir(), "team.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer team.Close()
	for _, want := range []string{"pushed 2 runs to ", "pushed 0 runs to "} {
		b = testStreams{}
		if err := runLedgerPush(ctx, l, team, &ledgerPushOptions{}, b.streams()); err != nil || !strings.HasPrefix(b.out.String(), want) {
			t.Errorf("ledger push: %v, %q, want %q", err, b.out.String(), want)
		}
	}
	b = testStreams{}
	if err := runLedgerPush(ctx, l, team, &ledgerPushOptions{json: true}, b.streams()); err != nil || !strings.Contains(b.out.String(), `"present": 2`) {
		t.Errorf("ledger push --json: %v, %q", err, b.out.String())
	}
}
