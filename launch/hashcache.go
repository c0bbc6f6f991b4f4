package launch

import (
	"context"

	"github.com/reprohq/repro/provenance"
	"github.com/reprohq/repro/runlog"
)

// LedgerCache keeps provenance's data hash cache in the ledger, one
// record per dataset directory.
type LedgerCache struct{ L *runlog.Ledger }

// Load implements provenance.HashCache.
func (c LedgerCache) Load(ctx context.Context, root string) ([]provenance.CachedFile, error) {
	data, err := c.L.FileHashes(ctx, root)
	if err != nil || data == nil {
		return nil, err
	}
	return provenance.DecodeHashCache(data)
}

// Save implements provenance.HashCache.
func (c LedgerCache) Save(ctx context.Context, root string, all []provenance.CachedFile) error {
	return c.L.PutFileHashes(ctx, root, provenance.EncodeHashCache(all))
}
