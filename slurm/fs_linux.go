package slurm

import (
	"errors"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// shared refuses a path on a filesystem that only this machine sees
// (tmpfs, ramfs): a node could not read or write it. The path may not
// exist yet, so the nearest existing parent is checked.
func shared(path string) error {
	var st unix.Statfs_t
	for unix.Statfs(path, &st) != nil {
		parent := filepath.Dir(path)
		if parent == path {
			return nil
		}
		path = parent
	}
	switch uint32(st.Type) {
	case unix.TMPFS_MAGIC, unix.RAMFS_MAGIC:
		return errors.New("is on a tmpfs, in this machine's memory, which no node of the cluster sees")
	}
	return nil
}
