package dataset

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"sync"
	"time"

	"github.com/reprohq/repro/internal/fastfs"
)

// FileState is what says a file is unchanged since it was hashed.
type FileState = fastfs.FileState

// CachedFile is a file's digest with the state it had when hashed.
type CachedFile struct {
	Path       string // relative to the dataset directory, '/'-separated
	State      FileState
	Sum        [32]byte // sha256 of the contents
	HashedAtNs int64
}

// TreeState is a dataset directory as a whole, saved beside its files'
// digests when every one of them was trusted: a digest of every file's
// path and stat data, in path order, and the directory's version then.
// A directory whose files all still have that stat data still has that
// version, which a walk can tell without reading the per-file record.
type TreeState struct {
	State  [32]byte
	Digest string // sha256:...
}

// HashCache remembers file digests per dataset directory.
type HashCache interface {
	// Load returns what is remembered for the files under root, in path
	// order (byte order, as the files of a Version are).
	Load(ctx context.Context, root string) ([]CachedFile, error)
	// Tree returns the TreeState saved with root's files (nil when none).
	Tree(ctx context.Context, root string) (*TreeState, error)
	// Save replaces what is remembered for root with all, in path order,
	// and its TreeState with tree (nil: none).
	Save(ctx context.Context, root string, all []CachedFile, tree *TreeState) error
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

// sumBufs holds stateSum's buffers: one per directory would be, for a
// tree of many directories, megabytes of fresh memory.
var sumBufs = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

// stateSum digests n files' paths and stat data, in the order given:
// what a TreeState's State holds.
func stateSum(n int, file func(i int) (string, *FileState)) [32]byte {
	h := sha256.New()
	bp := sumBufs.Get().(*[]byte)
	defer sumBufs.Put(bp)
	buf := (*bp)[:0]
	for i := range n {
		path, st := file(i)
		buf = binary.AppendUvarint(buf, uint64(len(path)))
		buf = append(buf, path...)
		for _, v := range [...]uint64{uint64(st.Size), uint64(st.MtimeNs), uint64(st.CtimeNs), st.Ino, st.Dev} {
			buf = binary.LittleEndian.AppendUint64(buf, v)
		}
		if len(buf) > cap(buf)-512 {
			h.Write(buf)
			buf = buf[:0]
		}
	}
	h.Write(buf)
	var sum [32]byte
	h.Sum(sum[:0])
	return sum
}
