//go:build !linux

package fastfs

import (
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// HashFileSum is the sha256 of the file at path, and its size.
func HashFileSum(path string) (sum [32]byte, n int64, err error) {
	buf := bufPool.Get().(*[]byte)
	defer bufPool.Put(buf)
	f, err := os.Open(path)
	if err != nil {
		return sum, 0, err
	}
	defer f.Close()
	h := sha256.New()
	// A plain read loop: io.CopyBuffer would hand the copy to
	// (*os.File).WriteTo, which allocates a buffer of its own per file.
	for {
		m, err := f.Read(*buf)
		h.Write((*buf)[:m])
		n += int64(m)
		if err == io.EOF {
			break
		}
		if err != nil {
			return sum, 0, fmt.Errorf("read %s: %w", path, err)
		}
	}
	h.Sum(sum[:0])
	return sum, n, nil
}

// FileHasher hashes files under root one after another (see the Linux
// version, which keeps their directory open).
type FileHasher struct{ root string }

func NewFileHasher(root string) *FileHasher { return &FileHasher{root: root} }

// hash is the sha256 and size of the file rel ('/'-separated, under root).
func (h *FileHasher) Hash(rel string) ([32]byte, int64, error) {
	return HashFileSum(filepath.Join(h.root, filepath.FromSlash(rel)))
}

func (h *FileHasher) Close() {}
