package provenance

import (
	"context"
	"time"
)

// FileState is what says a file is unchanged since it was hashed: the
// stat data git also trusts.
type FileState struct {
	Size, MtimeNs, CtimeNs int64
	Ino, Dev               uint64
}

// CachedFile is a file's digest with the state it had when hashed.
type CachedFile struct {
	Path       string // relative to the dataset directory, '/'-separated
	State      FileState
	Sum        [32]byte // sha256 of the contents
	HashedAtNs int64
}

// HashCache remembers file digests per dataset directory.
type HashCache interface {
	// Load returns what is remembered for the files under root, in path
	// order (byte order, as the files of a Version are).
	Load(ctx context.Context, root string) ([]CachedFile, error)
	// Save replaces what is remembered for root with all, in path order.
	Save(ctx context.Context, root string, all []CachedFile) error
}

// quiet is how long a file must have been unchanged when it was hashed for
// its cached digest to be trusted: within that window, a later write in
// the same timestamp tick could leave its stat data unchanged (git calls
// such entries racy).
var quiet = 2 * time.Second

// trusted says whether a cached digest still holds for a file in state st.
func (c *CachedFile) trusted(st FileState) bool {
	if c.State != st || st.CtimeNs == 0 {
		return false
	}
	last := max(st.MtimeNs, st.CtimeNs)
	return c.HashedAtNs-last >= int64(quiet)
}
