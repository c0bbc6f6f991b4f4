package fastfs

import (
	"os"

	"github.com/go-git/go-git/v5/plumbing/filemode"
	"golang.org/x/sys/unix"
)

// LstatAt stats name (not following a final symbolic link) relative to
// the open directory d.
func LstatAt(d Dir, name string) (FileStat, error) {
	var st unix.Stat_t
	if err := fstatat(d.FD, name, &st); err != nil {
		return FileStat{}, &os.PathError{Op: "lstat", Path: d.Path + "/" + name, Err: err}
	}
	fs := FileStat{Size: st.Size, MtimeNs: st.Mtim.Nano(), CtimeNs: st.Ctim.Nano(), Ino: st.Ino, Dev: uint64(st.Dev), Identity: true}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		fs.Mode = filemode.Regular
		if st.Mode&0o100 != 0 {
			fs.Mode = filemode.Executable
		}
	case unix.S_IFLNK:
		fs.Mode = filemode.Symlink
	case unix.S_IFDIR:
		fs.Mode = filemode.Dir
	}
	return fs, nil
}
