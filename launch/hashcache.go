package launch

import (
	"context"
	"fmt"

	"github.com/reprohq/repro/provenance"
	"github.com/reprohq/repro/runlog"
)

// LedgerCache keeps provenance's data hash cache in the ledger, one
// record per dataset directory, and beside it the directory's tree state.
type LedgerCache struct{ L *runlog.Ledger }

// Load implements provenance.HashCache.
func (c LedgerCache) Load(ctx context.Context, root string) ([]provenance.CachedFile, error) {
	data, err := c.L.FileHashes(ctx, root)
	if err != nil || data == nil {
		return nil, err
	}
	return provenance.DecodeHashCache(data)
}

// Tree implements provenance.HashCache.
func (c LedgerCache) Tree(ctx context.Context, root string) (*provenance.TreeState, error) {
	t, err := c.L.FileHashTree(ctx, root)
	if err != nil || t == nil {
		return nil, err
	}
	var ts provenance.TreeState
	if len(t.State) != len(ts.State) {
		return nil, fmt.Errorf("tree state of %s: %d bytes, want %d", root, len(t.State), len(ts.State))
	}
	copy(ts.State[:], t.State)
	ts.Digest = t.Digest
	return &ts, nil
}

// Save implements provenance.HashCache.
func (c LedgerCache) Save(ctx context.Context, root string, all []provenance.CachedFile, tree *provenance.TreeState) error {
	var t *runlog.FileHashTree
	if tree != nil {
		t = &runlog.FileHashTree{State: tree.State[:], Digest: tree.Digest}
	}
	return c.L.PutFileHashes(ctx, root, provenance.EncodeHashCache(all), t)
}
