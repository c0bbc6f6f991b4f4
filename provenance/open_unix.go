//go:build unix

package provenance

import (
	"errors"
	"syscall"
)

// openNoFollow opens without following a final symlink and without
// blocking on a FIFO.
const openNoFollow = syscall.O_NOFOLLOW | syscall.O_NONBLOCK

// isSymlinkRefusal says whether err is O_NOFOLLOW's refusal of a symlink.
func isSymlinkRefusal(err error) bool { return errors.Is(err, syscall.ELOOP) }
