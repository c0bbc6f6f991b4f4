//go:build !unix

package provenance

const openNoFollow = 0

func isSymlinkRefusal(error) bool { return false }
