package fastfs

import (
	"sync"

	"github.com/go-git/go-git/v5/plumbing/filemode"
)

// FileStat is what git compares of a file: its mode as git records it (0
// for a kind git does not track), size, times, inode and device. identity
// says whether the ctime, inode and device are known (they are not on
// every system).
type FileStat struct {
	Mode             filemode.FileMode
	Size             int64
	MtimeNs, CtimeNs int64
	Ino, Dev         uint64
	Identity         bool
}

// State is the part of st the data hash cache keys on; without identity,
// its ctime is 0, so that no cached digest is trusted.
func (st FileStat) State() FileState {
	if !st.Identity {
		return FileState{Size: st.Size, MtimeNs: st.MtimeNs}
	}
	return FileState{Size: st.Size, MtimeNs: st.MtimeNs, CtimeNs: st.CtimeNs, Ino: st.Ino, Dev: st.Dev}
}

// FileState is what says a file is unchanged since it was hashed: the
// stat data git also trusts.
type FileState struct {
	Size, MtimeNs, CtimeNs int64
	Ino, Dev               uint64
}

// bufPool holds read buffers: a dataset of many small files would
// otherwise allocate one per file.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}
