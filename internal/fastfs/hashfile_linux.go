package fastfs

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Files are read with the system calls directly: an *os.File costs six
// more per file (it tries to register the file with the network poller,
// and sets and clears non-blocking mode), which for 100,000 small files
// is most of the time. O_NONBLOCK keeps a file swapped for a FIFO since
// the walk from hanging the open, and O_NOFOLLOW one swapped for a symlink
// (to a host file, or /dev/zero) from being read; on a regular file
// neither changes anything.
const hashOpenFlags = unix.O_RDONLY | unix.O_CLOEXEC | unix.O_NOCTTY | unix.O_NONBLOCK | unix.O_NOFOLLOW

// openat is unix.Openat (tests stand in for the kernel's refusals).
var openat = unix.Openat

// openForHash opens name (relative to dirfd; a whole path with
// unix.AT_FDCWD) to be read and hashed. Where the kernel allows it (the
// file's owner, or CAP_FOWNER) the read does not update the file's access
// time, as backup tools read: otherwise the first hash of a new dataset
// rewrites every file's inode, a third of its time for 100,000 small files,
// and even a later one pays the check. Once refused (EPERM), *plain is set
// and later opens ask no more.
func openForHash(dirfd int, name string, plain *bool) (int, error) {
	flags := hashOpenFlags
	if !*plain {
		flags |= unix.O_NOATIME
	}
	for {
		fd, err := openat(dirfd, name, flags, 0)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EPERM && flags&unix.O_NOATIME != 0:
			*plain = true
			flags &^= unix.O_NOATIME
			continue
		}
		return fd, err
	}
}

// HashFileSum is the sha256 of the file at path, and its size.
func HashFileSum(path string) ([32]byte, int64, error) {
	var plain bool
	return hashAt(unix.AT_FDCWD, path, &plain, func() string { return path })
}

// hashAt is the sha256 and size of the file name, opened relative to
// dirfd (a whole path with unix.AT_FDCWD) by openForHash; path gives the
// name errors carry, built only for one.
func hashAt(dirfd int, name string, plain *bool, path func() string) (sum [32]byte, n int64, err error) {
	fd, err := openForHash(dirfd, name, plain)
	if err != nil {
		return sum, 0, &os.PathError{Op: "open", Path: path(), Err: err}
	}
	defer unix.Close(fd)
	if sum, n, err = sumFD(fd); err != nil {
		return sum, 0, fmt.Errorf("read %s: %w", path(), err)
	}
	return sum, n, nil
}

// sumFD reads the open file fd to its end.
func sumFD(fd int) (sum [32]byte, n int64, err error) {
	buf := bufPool.Get().(*[]byte)
	defer bufPool.Put(buf)
	h := sha256.New()
	for {
		m, err := unix.Read(fd, *buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return sum, 0, err
		}
		if m == 0 {
			break
		}
		h.Write((*buf)[:m])
		n += int64(m)
	}
	h.Sum(sum[:0])
	return sum, n, nil
}

// FileHasher hashes files under root one after another, holding the
// directory of the last one open: the next file in the same directory is
// opened relative to it, one path component for the kernel to resolve
// instead of the whole path (for 100,000 small files, a third of the
// system time). It is not safe for concurrent use.
type FileHasher struct {
	root  string
	dir   string // the directory held open, relative to root
	dirfd int    // -1: none
	plain bool   // O_NOATIME was refused: read as any reader does
}

func NewFileHasher(root string) *FileHasher { return &FileHasher{root: root, dirfd: -1} }

// Hash is the sha256 and size of the file rel ('/'-separated, under root).
func (h *FileHasher) Hash(rel string) ([32]byte, int64, error) {
	dir, base := DirName(rel), BaseName(rel)
	if h.dirfd < 0 || dir != h.dir {
		h.Close()
		fd, err := open(filepath.Join(h.root, filepath.FromSlash(dir)), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC)
		if err != nil {
			// Gone, or no longer a directory: the whole path's error.
			return HashFileSum(filepath.Join(h.root, filepath.FromSlash(rel)))
		}
		h.dir, h.dirfd = dir, fd
	}
	return hashAt(h.dirfd, base, &h.plain, func() string { return filepath.Join(h.root, filepath.FromSlash(rel)) })
}

// Close lets go of the directory held open.
func (h *FileHasher) Close() {
	if h.dirfd >= 0 {
		unix.Close(h.dirfd)
		h.dirfd = -1
	}
}
