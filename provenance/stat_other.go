//go:build !linux

package provenance

import (
	"os"
	"path/filepath"

	"github.com/go-git/go-git/v5/plumbing/filemode"
)

// lstatAt stats name (not following a final symbolic link) in the
// directory d. Without ctime and inode, every file whose size matches
// is hashed.
func lstatAt(d dir, name string) (fileStat, error) {
	fi, err := os.Lstat(filepath.Join(d.path, filepath.FromSlash(name)))
	if err != nil {
		return fileStat{}, err
	}
	mode, err := filemode.NewFromOSFileMode(fi.Mode())
	if err != nil {
		mode = 0
	}
	return fileStat{mode: mode, size: fi.Size(), mtimeNs: fi.ModTime().UnixNano()}, nil
}
