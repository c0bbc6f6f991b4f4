package runlog

import (
	"errors"
	"path/filepath"

	"golang.org/x/sys/unix"
)

const (
	cifsMagic = 0xFF534D42
	smb2Magic = 0xFE534D42
)

// refuseNetworkFS refuses a ledger directory on NFS or SMB: SQLite's
// locking is not reliable there and a shared ledger would corrupt. The
// directory may not exist yet, so the nearest existing parent is checked.
func refuseNetworkFS(dir string) error {
	var st unix.Statfs_t
	for unix.Statfs(dir, &st) != nil {
		parent := filepath.Dir(dir)
		if parent == dir {
			return nil
		}
		dir = parent
	}
	switch uint32(st.Type) {
	case unix.NFS_SUPER_MAGIC, unix.SMB_SUPER_MAGIC, cifsMagic, smb2Magic:
		return errors.New("is on a network filesystem, where SQLite locking is unsafe; keep the ledger on a local disk")
	}
	return nil
}
