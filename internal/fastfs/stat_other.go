//go:build !linux

package fastfs

import (
	"os"
	"path/filepath"

	"github.com/go-git/go-git/v5/plumbing/filemode"
)

// LstatAt stats name (not following a final symbolic link) in the
// directory d. Without ctime and inode, every file whose size matches
// is hashed.
func LstatAt(d Dir, name string) (FileStat, error) {
	fi, err := os.Lstat(filepath.Join(d.Path, filepath.FromSlash(name)))
	if err != nil {
		return FileStat{}, err
	}
	mode, err := filemode.NewFromOSFileMode(fi.Mode())
	if err != nil {
		mode = 0
	}
	return FileStat{Mode: mode, Size: fi.Size(), MtimeNs: fi.ModTime().UnixNano()}, nil
}
