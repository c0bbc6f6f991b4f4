//go:build !unix

package fastfs

import "os"

// MapFile does not map files here: the caller reads them.
func MapFile(string) ([]byte, os.FileInfo, func(), bool) { return nil, nil, nil, false }
