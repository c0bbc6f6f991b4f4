package provenance

import (
	"os"

	"github.com/go-git/go-git/v5/plumbing/filemode"
	"golang.org/x/sys/unix"
)

// lstatAt stats name (not following a final symbolic link) relative to
// the open directory d.
func lstatAt(d dir, name string) (fileStat, error) {
	var st unix.Stat_t
	if err := fstatat(d.fd, name, &st); err != nil {
		return fileStat{}, &os.PathError{Op: "lstat", Path: d.path + "/" + name, Err: err}
	}
	fs := fileStat{size: st.Size, mtimeNs: st.Mtim.Nano(), ctimeNs: st.Ctim.Nano(), ino: st.Ino, dev: uint64(st.Dev), identity: true}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		fs.mode = filemode.Regular
		if st.Mode&0o100 != 0 {
			fs.mode = filemode.Executable
		}
	case unix.S_IFLNK:
		fs.mode = filemode.Symlink
	case unix.S_IFDIR:
		fs.mode = filemode.Dir
	}
	return fs, nil
}
