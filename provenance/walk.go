package provenance

import (
	"os"
	"path/filepath"
	"runtime"
	"sync"
)

// subdir is a directory to visit next, and what its parent passes down.
type subdir[T any] struct {
	rel   string
	carry T
}

// walkDirs visits root and the directories below it that visit asks for,
// several at once: a few more than there are cores, as the work is mostly
// waiting on the kernel. visit gets each directory's path relative to
// root ('/'-separated, "" for root itself), what its parent passed down,
// the directory open (nil if it could not be opened; its Name is the
// directory's path under root), its entries in no
// particular order, and the error that kept it from being opened or
// listed; it returns the subdirectories to visit. visit runs on many
// goroutines at once. Directories waiting their turn are kept in a list
// (deepest first), so a tree with a million directories costs a list of
// names, not a million goroutines.
func walkDirs[T any](root string, top T, visit func(rel string, carry T, d *os.File, ents []os.DirEntry, err error) []subdir[T]) {
	var (
		mu      sync.Mutex
		more    = sync.NewCond(&mu)
		pending = []subdir[T]{{"", top}}
		active  int // directories being visited
		wg      sync.WaitGroup
	)
	one := func(s subdir[T]) []subdir[T] {
		d, err := os.Open(filepath.Join(root, filepath.FromSlash(s.rel)))
		if err != nil {
			return visit(s.rel, s.carry, nil, nil, err)
		}
		defer d.Close()
		ents, err := d.ReadDir(-1)
		return visit(s.rel, s.carry, d, ents, err)
	}
	for w := 2*runtime.GOMAXPROCS(0) + 2; w > 0; w-- {
		wg.Add(1)
		go func() {
			defer wg.Done()
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
				next := one(s)
				mu.Lock()
				active--
				pending = append(pending, next...)
				more.Broadcast()
			}
		}()
	}
	wg.Wait()
}

// joinRel joins a '/'-separated relative directory and a name.
func joinRel(rel, name string) string {
	if rel == "" {
		return name
	}
	return rel + "/" + name
}
