//go:build unix

package fastfs

import (
	"os"

	"golang.org/x/sys/unix"
)

// MapFile maps the file at path read-only, whole; mapped is false when it
// cannot (an empty file among the reasons), and the caller reads the file
// instead. fi is the mapped file's.
func MapFile(path string) (data []byte, fi os.FileInfo, unmap func(), mapped bool) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, nil, false
	}
	defer f.Close()
	fi, err = f.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Size() <= 0 || int64(int(fi.Size())) != fi.Size() {
		return nil, nil, nil, false
	}
	data, err = unix.Mmap(int(f.Fd()), 0, int(fi.Size()), unix.PROT_READ, unix.MAP_PRIVATE)
	if err != nil {
		return nil, nil, nil, false
	}
	return data, fi, func() { unix.Munmap(data) }, true
}
