package runlog_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reprohq/repro/runlog"
)

type testKey struct{ priv ed25519.PrivateKey }

func (k testKey) PublicKey() ed25519.PublicKey { return k.priv.Public().(ed25519.PublicKey) }
func (k testKey) Sign(m []byte) []byte         { return ed25519.Sign(k.priv, m) }

func newKey(t *testing.T) testKey {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return testKey{priv}
}

func head(t *testing.T, path string, trusted ...ed25519.PublicKey) (*runlog.ChainReport, *runlog.HeadSignature) {
	t.Helper()
	ctx := context.Background()
	l := mustOpen(t, path, runlog.ReadOnly())
	rep, err := l.VerifyChain(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := l.CheckHead(ctx, rep.HeadSeq, rep.Head, trusted)
	if err != nil {
		t.Fatal(err)
	}
	return rep, sig
}

func TestLedger_CheckHead(t *testing.T) {
	mine, theirs := newKey(t), newKey(t)
	tests := []struct {
		name      string
		change    func(t *testing.T, path string, ids []string)
		trusted   []ed25519.PublicKey
		wantState string
	}{
		{"signed by my key", func(*testing.T, string, []string) {}, []ed25519.PublicKey{mine.PublicKey()}, runlog.SignedBy},
		{"signed by a key not given", func(*testing.T, string, []string) {}, nil, runlog.SignedByUntrusted},
		{"rows edited and the whole chain recomputed", func(t *testing.T, path string, ids []string) {
			tamper(t, path, "UPDATE runs SET exit_code = 0 WHERE id = ?", ids[2])
			if err := mustOpen(t, path).Rechain(context.Background()); err != nil {
				t.Fatal(err)
			}
		}, []ed25519.PublicKey{mine.PublicKey()}, runlog.SignatureMismatch},
		{"recomputed and the signatures removed", func(t *testing.T, path string, ids []string) {
			tamper(t, path, "UPDATE runs SET exit_code = 0 WHERE id = ?", ids[2])
			if err := mustOpen(t, path).Rechain(context.Background()); err != nil {
				t.Fatal(err)
			}
			tamper(t, path, "DELETE FROM chain_signatures")
		}, []ed25519.PublicKey{mine.PublicKey()}, runlog.Unsigned},
		{"recomputed and signed with another key", func(t *testing.T, path string, ids []string) {
			tamper(t, path, "UPDATE runs SET exit_code = 0 WHERE id = ?", ids[2])
			l := mustOpen(t, path)
			if err := l.Rechain(context.Background()); err != nil {
				t.Fatal(err)
			}
			tamper(t, path, "DELETE FROM chain_signatures")
			if err := l.SignHead(context.Background(), theirs); err != nil {
				t.Fatal(err)
			}
		}, []ed25519.PublicKey{mine.PublicKey()}, runlog.SignedByUntrusted},
		{"my signature's bytes edited", func(t *testing.T, path string, ids []string) {
			tamper(t, path, "UPDATE chain_signatures SET signature = zeroblob(64)")
		}, []ed25519.PublicKey{mine.PublicKey()}, runlog.SignatureMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, ids := ledgerWithRuns(t, 4, runlog.WithSigner(mine))
			tt.change(t, path, ids)
			rep, sig := head(t, path, tt.trusted...)
			if rep.Problem != nil {
				t.Fatalf("chain problem %v; the recomputed chain should hold together", rep.Problem)
			}
			if sig.State != tt.wantState {
				t.Fatalf("signature %+v, want %s", sig, tt.wantState)
			}
		})
	}
}

func TestLedger_BeginLinks(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "l.db")
	l := mustOpen(t, path)
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	done, running := run(runlog.NewID(), t0), run(runlog.NewID(), t0.Add(time.Hour))
	if err := l.Begin(ctx, done); err != nil {
		t.Fatal(err)
	}
	if err := l.Finish(ctx, done.ID, runlog.Result{Status: runlog.StatusSucceeded}); err != nil {
		t.Fatal(err)
	}
	if err := l.Begin(ctx, running); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{done.ID, running.ID} {
		r, err := l.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if err := l.CheckRun(ctx, r); err != nil {
			t.Fatalf("CheckRun(%s) of an untouched run: %v", runlog.Short(id), err)
		}
	}
	rep, err := l.VerifyChain(ctx)
	if err != nil || rep.Problem != nil || rep.Records != 1 || rep.Running != 1 || rep.Links != 3 {
		t.Fatalf("VerifyChain: %+v, %v; want 1 finished, 1 running, 3 links", rep, err)
	}

	// The running row is edited: verify names it, CheckRun refuses it,
	// and finishing it refuses to chain it.
	tamper(t, path, `UPDATE runs SET argv = '["--evil"]' WHERE id = ?`, running.ID)
	rep, err = l.VerifyChain(ctx)
	if err != nil || rep.Problem == nil || rep.Problem.RunID != running.ID || rep.Problem.Kind != "edited" {
		t.Fatalf("VerifyChain after editing a running row: %+v, %v", rep, err)
	}
	r, _ := l.Get(ctx, running.ID)
	var p *runlog.ChainProblem
	if err := l.CheckRun(ctx, r); !errors.As(err, &p) {
		t.Fatalf("CheckRun of an edited running run: %v", err)
	}
	err = l.Finish(ctx, running.ID, runlog.Result{Status: runlog.StatusSucceeded})
	if !errors.As(err, &p) || !strings.Contains(err.Error(), "when it started") {
		t.Fatalf("Finish of an edited running run: %v", err)
	}

	// A run inserted by hand as running is not settled as if recorded.
	tamper(t, path, `INSERT INTO runs (id, status, context, image_digest, argv, started_at) SELECT 'ffff0000000000000000000000000000', 'running', context, image_digest, '[]', '2026-03-02T00:00:00.000000000Z' FROM runs LIMIT 1`)
	err = l.Finish(ctx, "ffff0000000000000000000000000000", runlog.Result{Status: runlog.StatusLost})
	if !errors.As(err, &p) || p.Kind != "inserted" {
		t.Fatalf("Finish of a run never chained: %v", err)
	}
}
