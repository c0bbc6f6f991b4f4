package launch_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/reprohq/repro/launch"
	"github.com/reprohq/repro/provenance/dataset"
	"github.com/reprohq/repro/runlog"
)

// TestLedgerCache_RoundTrip: the ledger gives back the record and tree
// state last saved for a directory, no tree state when none was saved, and
// keeps directories apart.
func TestLedgerCache_RoundTrip(t *testing.T) {
	ctx := context.Background()
	l, err := runlog.Open(ctx, filepath.Join(t.TempDir(), "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c := launch.LedgerCache{L: l}
	all := []dataset.CachedFile{
		{Path: "a.txt", State: dataset.FileState{Size: 1, MtimeNs: 2, CtimeNs: 3, Ino: 4, Dev: 5}, Sum: [32]byte{1}, HashedAtNs: 6},
		{Path: "b/c.txt", State: dataset.FileState{Size: 7}, Sum: [32]byte{2}, HashedAtNs: 8},
	}
	tree := &dataset.TreeState{State: [32]byte{9, 9}, Digest: "sha256:0123"}

	check := func(step, root string, wantAll []dataset.CachedFile, wantTree *dataset.TreeState) {
		t.Helper()
		got, err := c.Load(ctx, root)
		if err != nil || !slices.Equal(got, wantAll) {
			t.Fatalf("%s: Load = %v, %v; want %v", step, got, err, wantAll)
		}
		tr, err := c.Tree(ctx, root)
		if err != nil || (tr == nil) != (wantTree == nil) || tr != nil && *tr != *wantTree {
			t.Fatalf("%s: Tree = %v, %v; want %v", step, tr, err, wantTree)
		}
	}
	check("nothing saved", "/data/x", nil, nil)
	if err := c.Save(ctx, "/data/x", all, tree); err != nil {
		t.Fatal(err)
	}
	check("saved with a tree state", "/data/x", all, tree)
	check("another directory", "/data/y", nil, nil)
	if err := c.Save(ctx, "/data/x", all[:1], nil); err != nil {
		t.Fatal(err)
	}
	check("saved without one", "/data/x", all[:1], nil)
}
