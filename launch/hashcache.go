package launch

import (
	"context"
	"fmt"

	"github.com/reprohq/repro/provenance/dataset"
	"github.com/reprohq/repro/runlog"
)

// LedgerCache keeps provenance's data hash cache in the ledger, one
// record per dataset directory, and beside it the directory's tree state.
type LedgerCache struct{ L *runlog.Ledger }

// Load implements dataset.HashCache.
func (c LedgerCache) Load(ctx context.Context, root string) ([]dataset.CachedFile, error) {
	data, err := c.L.FileHashes(ctx, root)
	if err != nil || data == nil {
		return nil, err
	}
	return dataset.DecodeHashCache(data)
}

// Tree implements dataset.HashCache.
func (c LedgerCache) Tree(ctx context.Context, root string) (*dataset.TreeState, error) {
	t, err := c.L.FileHashTree(ctx, root)
	if err != nil || t == nil {
		return nil, err
	}
	var ts dataset.TreeState
	if len(t.State) != len(ts.State) {
		return nil, fmt.Errorf("tree state of %s: %d bytes, want %d", root, len(t.State), len(ts.State))
	}
	copy(ts.State[:], t.State)
	ts.Digest = t.Digest
	return &ts, nil
}

// Save implements dataset.HashCache.
func (c LedgerCache) Save(ctx context.Context, root string, all []dataset.CachedFile, tree *dataset.TreeState) error {
	var t *runlog.FileHashTree
	if tree != nil {
		t = &runlog.FileHashTree{State: tree.State[:], Digest: tree.Digest}
	}
	return c.L.PutFileHashes(ctx, root, dataset.EncodeHashCache(all), t)
}
