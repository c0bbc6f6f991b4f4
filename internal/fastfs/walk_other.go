//go:build !linux

package fastfs

import (
	"io/fs"
	"os"
)

func (d Dir) Close() {}

// lister reads directories with the os package.
type lister struct{ ents []DirEnt }

func (l *lister) list(path, rel string) (Dir, []DirEnt, error) {
	f, err := os.Open(path)
	if err != nil {
		return Dir{FD: -1, Path: path}, nil, err
	}
	defer f.Close()
	des, err := f.ReadDir(-1)
	l.ents = l.ents[:0]
	for _, de := range des {
		e := NewDirEnt(rel, []byte(de.Name()))
		switch t := de.Type(); {
		case t.IsRegular():
			e.Kind = EntFile
		case t.IsDir():
			e.Kind = EntDir
		case t&fs.ModeSymlink != 0:
			e.Kind = EntLink
		}
		l.ents = append(l.ents, e)
	}
	return Dir{FD: 0, Path: path}, l.ents, err
}
