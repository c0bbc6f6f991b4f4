package runlog_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/reprohq/repro/runlog"
)

// realisticRun is a run the size of a real one: argv, env, engine
// command, two datasets and two outputs.
func realisticRun(i int, t time.Time) *runlog.Run {
	hex := func(n int) string { return fmt.Sprintf("%064x", n) }
	r := run(runlog.NewID(), t)
	r.Image, r.ImageRepo, r.ImageTag = "registry.example.com/ml/trainer:1.4", "registry.example.com/ml/trainer", "1.4"
	r.ImageDigest, r.ImageConfigDigest = "sha256:"+hex(i%200), "sha256:"+hex(i%200+1000)
	r.Commit, r.Branch, r.Remote, r.CodeDir, r.CodeMount = fmt.Sprintf("%040x", i%5000), "main", "https://git.example.com/ml/model.git", "/home/ada/src/model", true
	r.Argv = []string{"python", "train.py", "--lr", "0.01", "--epochs", "30", "--seed", fmt.Sprint(i)}
	r.Env = []runlog.EnvVar{{Name: "WANDB_API_KEY", Secret: true}, {Name: "CUDA_VISIBLE_DEVICES", Value: "0,1"}, {Name: "MODE", Value: "full"}}
	r.Data = []runlog.Dataset{
		{Name: "train", Path: "/datasets/train", Kind: "dir", Digest: "sha256:" + hex(i%2000+5000), Files: 100000, Bytes: 2 << 30},
		{Name: "labels", Path: "/datasets/labels.csv", Kind: "file", Digest: "sha256:" + hex(i%2000+9000), Files: 1, Bytes: 1 << 20},
	}
	r.OutDir, r.Workdir = "/home/ada/runs/"+r.ID[:12], "/workspace"
	r.Host = runlog.Host{User: "ada", Hostname: "gpu-node-07", OS: "linux", Arch: "amd64", GPUs: []runlog.GPU{{Model: "NVIDIA A100-SXM4-80GB", Driver: "535.104.05"}}}
	r.Engine = runlog.Engine{Name: "docker", Version: "27.3.1", Command: strings.Fields("docker run --name repro-" + r.ID[:12] +
		" --init --sig-proxy=false --label repro.run=" + r.ID + " --mount type=bind,source=/home/ada/src/model,target=/workspace,readonly" +
		" --mount type=bind,source=/datasets/train,target=/data/train,readonly --mount type=bind,source=/datasets/labels.csv,target=/data/labels,readonly" +
		" --mount type=bind,source=" + r.OutDir + ",target=/out --workdir /workspace --env WANDB_API_KEY --env CUDA_VISIBLE_DEVICES --env MODE -- " +
		r.ImageRepo + "@" + r.ImageDigest)}
	r.Engine.Command = append(r.Engine.Command, r.Argv...)
	return r
}

// BenchmarkLedger_RecordRun: recording one finished run (Begin, then
// Finish with two outputs and metrics), each its own transaction, as
// repro run does.
func BenchmarkLedger_RecordRun(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchRecordRun(b, filepath.Join(b.TempDir(), "l.db")) })
	b.Run("postgres", func(b *testing.B) {
		if pg == nil {
			b.Skip("PostgreSQL is not installed here")
		}
		db, err := pg.NewDatabase("bench")
		if err != nil {
			b.Fatal(err)
		}
		l, err := runlog.Open(context.Background(), pg.WithPassword(db), runlog.Migrate())
		if err != nil {
			b.Fatal(err)
		}
		l.Close()
		benchRecordRun(b, pg.WithPassword(db))
	})
}

// benchRecordRun records b.N runs, begun and finished, in the ledger name.
func benchRecordRun(b *testing.B, name string) {
	ctx := context.Background()
	l, err := runlog.Open(ctx, name)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	code := 0
	t0 := time.Now()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := realisticRun(i, t0.Add(time.Duration(i)*time.Second))
		if err := l.Begin(ctx, r); err != nil {
			b.Fatal(err)
		}
		if err := l.Finish(ctx, r.ID, runlog.Result{Status: runlog.StatusSucceeded, ExitCode: &code, OutputsDigest: "sha256:" + fmt.Sprintf("%064x", i),
			Outputs: []runlog.Output{{Path: "model.bin", Digest: "sha256:" + fmt.Sprintf("%064x", i+1), Bytes: 1 << 28}, {Path: "metrics.json", Digest: "sha256:" + fmt.Sprintf("%064x", i+2), Bytes: 200}},
			Metrics: map[string]float64{"accuracy": 0.91, "loss": 0.2}}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestFillLedger writes REPRO_FILL_RUNS realistic finished runs into the
// ledger at REPRO_FILL_LEDGER, for timing whole commands against a big
// ledger (make bench). It does nothing unless both are set. The first
// seedRuns go through the ledger's own code (RecordBatch: Begin and Finish
// in batches); the rest are copies of them made by SQL, row for row what
// the ledger would have stored for realisticRun(i) (fresh IDs, the seed
// run's context, digests, commit, argv, datasets and outputs of run i),
// and then chained by the ledger's code, so repro verify holds.
func TestFillLedger(t *testing.T) {
	path, n := os.Getenv("REPRO_FILL_LEDGER"), os.Getenv("REPRO_FILL_RUNS")
	if path == "" || n == "" {
		t.Skip("set REPRO_FILL_LEDGER and REPRO_FILL_RUNS to fill a ledger")
	}
	count, err := strconv.Atoi(n)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	l, err := runlog.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.SetMaxConns(1)
	if err := l.Exec("PRAGMA cache_size = -262144"); err != nil { // 256 MiB: the random digest indexes
		t.Fatal(err)
	}
	if runs, err := l.List(ctx, runlog.Filter{Limit: 1}); err != nil || len(runs) > 0 {
		t.Fatalf("fill a new ledger, not %s (%v)", path, err)
	}
	t0 := time.Now().Add(-time.Duration(count) * time.Minute).UTC().Truncate(time.Second)
	const seedRuns = 2000
	seed := min(count, seedRuns)
	const batch = 1000
	for start := 0; start < seed; start += batch {
		var runs []*runlog.Run
		var results []runlog.Result
		for i := start; i < min(start+batch, seed); i++ {
			r, res := fillRun(i, t0)
			runs, results = append(runs, r), append(results, res)
		}
		if err := l.RecordBatch(ctx, runs, results); err != nil {
			t.Fatal(err)
		}
	}
	const chunk = 100000
	for start := seed; start < count; start += chunk {
		end := min(start+chunk, count)
		for _, q := range fillSQL {
			if err := l.Exec(fmt.Sprintf(q, start, end, t0.Unix())); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	}
	if err := l.ChainAll(ctx); err != nil {
		t.Fatal(err)
	}
}

// fillRun is run i of the filled ledger and how it ended.
func fillRun(i int, t0 time.Time) (*runlog.Run, runlog.Result) {
	code := 0
	r := realisticRun(i, t0.Add(time.Duration(i)*time.Minute))
	if i > 0 && i%10 == 0 {
		// Every tenth run trains on an earlier run's outputs.
		r.Data[0].Digest = "sha256:" + fmt.Sprintf("%064x", 1<<40+i-5)
	}
	return r, runlog.Result{Status: runlog.StatusSucceeded, ExitCode: &code, OutputsDigest: "sha256:" + fmt.Sprintf("%064x", 1<<40+i),
		Outputs: []runlog.Output{{Path: "model.bin", Digest: "sha256:" + fmt.Sprintf("%064x", 1<<41+i), Bytes: 1 << 28}, {Path: "metrics.json", Digest: "sha256:" + fmt.Sprintf("%064x", 1<<42+i), Bytes: 200}},
		Metrics: map[string]float64{"accuracy": float64(i%1000) / 1000, "loss": 0.2}}
}

// fillSQL copies seed runs into runs start..end-1 (the %[1]d, %[2]d; %[3]d is
// the first run's start, Unix seconds), as fillRun(i) would be stored.
var fillSQL = []string{
	`WITH RECURSIVE n(i) AS (SELECT %[1]d UNION ALL SELECT i + 1 FROM n WHERE i + 1 < %[2]d)
	INSERT INTO runs (id, status, exit_code, context, image_digest, code_commit, code_changed, argv, outputs_digest, metrics, started_at, finished_at)
	SELECT lower(hex(randomblob(16))), 'succeeded', 0, (SELECT context FROM runs WHERE seq = 1 + i %% 200),
		unhex(printf('%%064x', i %% 200)), unhex(printf('%%040x', i %% 5000)), '[]',
		json_array('python', 'train.py', '--lr', '0.01', '--epochs', '30', '--seed', CAST(i AS TEXT)),
		unhex(printf('%%064x', (1 << 40) + i)), json_object('accuracy', (i %% 1000) / 1000.0, 'loss', 0.2),
		strftime('%%Y-%%m-%%dT%%H:%%M:%%S.000000000Z', %[3]d + 60 * i, 'unixepoch'),
		strftime('%%Y-%%m-%%dT%%H:%%M:%%S.000000000Z', %[3]d + 60 * i + 30 + i %% 600, 'unixepoch')
	FROM n`,
	`INSERT INTO datasets (run, name, path, kind, digest, files, bytes)
	SELECT seq, 'train', '/datasets/train', 'dir', unhex(printf('%%064x', iif((seq - 1) %% 10 = 0, (1 << 40) + seq - 1 - 5, (seq - 1) %% 2000 + 5000))), 100000, 2 << 30
	FROM runs WHERE seq > %[1]d AND seq <= %[2]d`,
	`INSERT INTO datasets (run, name, path, kind, digest, files, bytes)
	SELECT seq, 'labels', '/datasets/labels.csv', 'file', unhex(printf('%%064x', (seq - 1) %% 2000 + 9000)), 1, 1 << 20
	FROM runs WHERE seq > %[1]d AND seq <= %[2]d`,
	`INSERT INTO outputs (run, path, digest, bytes)
	SELECT seq, 'model.bin', unhex(printf('%%064x', (1 << 41) + seq - 1)), 1 << 28 FROM runs WHERE seq > %[1]d AND seq <= %[2]d`,
	`INSERT INTO outputs (run, path, digest, bytes)
	SELECT seq, 'metrics.json', unhex(printf('%%064x', (1 << 42) + seq - 1)), 200 FROM runs WHERE seq > %[1]d AND seq <= %[2]d`,
}

// checkSpec is what TestFillCheckLedger makes runs of: real images,
// commits of a real repository and real datasets, made by make bench.
type checkSpec struct {
	Images   []string `json:"images"` // REPO@sha256:...
	CodeDir  string   `json:"code_dir"`
	Remote   string   `json:"remote"`
	Commits  []string `json:"commits"`
	Datasets []struct {
		Path   string `json:"path"`
		Digest string `json:"digest"`
	} `json:"datasets"`
}

// TestFillCheckLedger writes REPRO_FILL_RUNS finished runs into the ledger
// at REPRO_FILL_LEDGER, run i using image i, commit i and dataset i of the
// spec at REPRO_FILL_CHECK (modulo their counts), for timing repro check
// --all (make bench). It does nothing unless all three are set.
func TestFillCheckLedger(t *testing.T) {
	path, n, specPath := os.Getenv("REPRO_FILL_LEDGER"), os.Getenv("REPRO_FILL_RUNS"), os.Getenv("REPRO_FILL_CHECK")
	if path == "" || n == "" || specPath == "" {
		t.Skip("set REPRO_FILL_LEDGER, REPRO_FILL_RUNS and REPRO_FILL_CHECK")
	}
	count, err := strconv.Atoi(n)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(specPath)
	if err != nil {
		t.Fatal(err)
	}
	var spec checkSpec
	if err := json.Unmarshal(b, &spec); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	l, err := runlog.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	t0 := time.Now().Add(-time.Duration(count) * time.Minute).UTC().Truncate(time.Second)
	var runs []*runlog.Run
	var results []runlog.Result
	for i := range count {
		code := 0
		repo, digest, _ := strings.Cut(spec.Images[i%len(spec.Images)], "@")
		d := spec.Datasets[i%len(spec.Datasets)]
		r := &runlog.Run{ID: runlog.NewID(), Image: repo + "@" + digest, ImageRepo: repo, ImageDigest: digest,
			CodeDir: spec.CodeDir, Remote: spec.Remote, Commit: spec.Commits[i%len(spec.Commits)], CodeMount: true,
			Argv: []string{"--seed", strconv.Itoa(i)}, Env: []runlog.EnvVar{}, ChangedFiles: []string{}, Labels: map[string]string{},
			Data:      []runlog.Dataset{{Name: "train", Path: d.Path, Kind: "dir", Digest: d.Digest, Files: 1, Bytes: 1}},
			StartedAt: t0.Add(time.Duration(i) * time.Minute), Engine: runlog.Engine{Name: "docker"}}
		runs = append(runs, r)
		results = append(results, runlog.Result{Status: runlog.StatusSucceeded, ExitCode: &code,
			Outputs: []runlog.Output{{Path: "model.bin", Digest: "sha256:" + fmt.Sprintf("%064x", i+1), Bytes: 4}}})
	}
	if err := l.RecordBatch(ctx, runs, results); err != nil {
		t.Fatal(err)
	}
}
