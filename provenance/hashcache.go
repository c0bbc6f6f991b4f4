package provenance

import (
	"context"
	"os"
	"time"
)

// FileState is what says a file is unchanged since it was hashed: the
// stat data git also trusts.
type FileState struct {
	Size, MtimeNs, CtimeNs int64
	Ino, Dev               uint64
}

// CachedDigest is a file's digest with the state it had when hashed.
type CachedDigest struct {
	State      FileState
	Digest     string // sha256:...
	HashedAtNs int64
}

// HashCache remembers file digests per dataset directory.
type HashCache interface {
	// Load returns what is remembered for the files under root.
	Load(ctx context.Context, root string) (map[string]CachedDigest, error)
	// Save replaces what is remembered for root with all.
	Save(ctx context.Context, root string, all map[string]CachedDigest) error
}

// quiet is how long a file must have been unchanged when it was hashed for
// its cached digest to be trusted: within that window, a later write in
// the same timestamp tick could leave its stat data unchanged (git calls
// such entries racy).
var quiet = 2 * time.Second

// trusted says whether a cached digest still holds for a file in state st.
func (c CachedDigest) trusted(st FileState) bool {
	if c.State != st || st.CtimeNs == 0 {
		return false
	}
	last := max(st.MtimeNs, st.CtimeNs)
	return c.HashedAtNs-last >= int64(quiet)
}

func fileState(fi os.FileInfo) FileState {
	st := FileState{Size: fi.Size(), MtimeNs: fi.ModTime().UnixNano()}
	statExtra(fi, &st)
	return st
}
