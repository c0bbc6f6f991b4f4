package provenance

import (
	"os"
	"syscall"
	"time"

	"github.com/go-git/go-git/v5/plumbing/format/index"
)

// sameInodeAndCtime compares what git also keeps of a file's identity: a
// file replaced or rewritten with a forged mtime still has a new ctime
// (and often a new inode).
func sameInodeAndCtime(fi os.FileInfo, e *index.Entry) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return false
	}
	ctime := time.Unix(st.Ctim.Sec, st.Ctim.Nsec)
	return (e.CreatedAt.IsZero() || ctime.Equal(e.CreatedAt)) && (e.Inode == 0 || uint32(st.Ino) == e.Inode)
}
