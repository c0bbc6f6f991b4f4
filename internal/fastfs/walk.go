package fastfs

import (
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

// Subdir is a directory to visit next, and what its parent passes down.
type Subdir[T any] struct {
	Rel   string
	Carry T
}

// Dir is a directory open for a walk.
type Dir struct {
	FD   int    // -1: not open
	Path string // as opened
}

// DirEnt is one entry of a directory listing.
type DirEnt struct {
	Rel  string // its path under the walk's root, '/'-separated
	Name string // the end of rel
	Kind EntKind
}

type EntKind uint8

const (
	EntOther EntKind = iota // a device, FIFO or socket
	EntFile                 // a regular file
	EntDir
	EntLink // a symbolic link
)

// WalkDirs visits root and the directories below it that visit asks for,
// several at once. visit gets each directory's path relative to root
// ('/'-separated, "" for root itself), what its parent passed down, the
// directory (its fd is -1 when it could not be opened), its entries in no
// particular order (the slice is reused once visit returns; the strings
// are not), and the error that kept it from being opened or listed; it returns
// the subdirectories to visit. visit runs on several goroutines at once.
// Directories waiting their turn are kept in a list (deepest first), so a
// tree with a million directories costs a list of names, not a million
// goroutines.
func WalkDirs[T any](root string, top T, visit func(rel string, carry T, d Dir, ents []DirEnt, err error) []Subdir[T]) {
	var (
		mu      sync.Mutex
		more    = sync.NewCond(&mu)
		pending = []Subdir[T]{{"", top}}
		active  int // directories being visited
		wg      sync.WaitGroup
	)
	// One goroutine per core, and one more: a warm tree is all system
	// calls, which more goroutines would only contend for; the extra one
	// keeps a core busy while another waits on the disk.
	for w := runtime.GOMAXPROCS(0) + 1; w > 0; w-- {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var l lister
			mu.Lock()
			defer mu.Unlock()
			for {
				for len(pending) == 0 && active > 0 {
					more.Wait()
				}
				if len(pending) == 0 {
					return // nothing left, and nothing being visited to add more
				}
				s := pending[len(pending)-1]
				pending = pending[:len(pending)-1]
				active++
				mu.Unlock()
				d, ents, err := l.list(filepath.Join(root, filepath.FromSlash(s.Rel)), s.Rel)
				next := visit(s.Rel, s.Carry, d, ents, err)
				d.Close()
				mu.Lock()
				active--
				pending = append(pending, next...)
				more.Broadcast()
			}
		}()
	}
	wg.Wait()
}

// DirName is the directory of a '/'-separated relative path ("" for the
// top), and baseName what follows it.
func DirName(path string) string  { return path[:max(strings.LastIndexByte(path, '/'), 0)] }
func BaseName(path string) string { return path[strings.LastIndexByte(path, '/')+1:] }

// NewDirEnt is the entry named name in the directory rel, its path made
// with one allocation.
func NewDirEnt(rel string, name []byte) DirEnt {
	if rel == "" {
		n := string(name)
		return DirEnt{Rel: n, Name: n}
	}
	p := rel + "/" + string(name)
	return DirEnt{Rel: p, Name: p[len(rel)+1:]}
}
