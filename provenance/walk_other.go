//go:build !linux

package provenance

import (
	"io/fs"
	"os"
)

func (d dir) close() {}

// lister reads directories with the os package.
type lister struct{ ents []dirEnt }

func (l *lister) list(path, rel string) (dir, []dirEnt, error) {
	f, err := os.Open(path)
	if err != nil {
		return dir{fd: -1, path: path}, nil, err
	}
	defer f.Close()
	des, err := f.ReadDir(-1)
	l.ents = l.ents[:0]
	for _, de := range des {
		e := newDirEnt(rel, []byte(de.Name()))
		switch t := de.Type(); {
		case t.IsRegular():
			e.kind = entFile
		case t.IsDir():
			e.kind = entDir
		case t&fs.ModeSymlink != 0:
			e.kind = entLink
		}
		l.ents = append(l.ents, e)
	}
	return dir{fd: 0, path: path}, l.ents, err
}
