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
// the directory open (nil if it could not be opened), its entries in no
// particular order, and the error that kept it from being opened or
// listed; it returns the subdirectories to visit. visit runs on many
// goroutines at once.
func walkDirs[T any](root string, top T, visit func(rel string, carry T, d *os.File, ents []os.DirEntry, err error) []subdir[T]) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2*runtime.GOMAXPROCS(0)+2)
	var run func(rel string, carry T)
	run = func(rel string, carry T) {
		defer wg.Done()
		sem <- struct{}{}
		d, err := os.Open(filepath.Join(root, filepath.FromSlash(rel)))
		var ents []os.DirEntry
		if err == nil {
			ents, err = d.ReadDir(-1)
		} else {
			d = nil
		}
		next := visit(rel, carry, d, ents, err)
		if d != nil {
			d.Close()
		}
		<-sem
		for _, s := range next {
			wg.Add(1)
			go run(s.rel, s.carry)
		}
	}
	wg.Add(1)
	go run("", top)
	wg.Wait()
}

// joinRel joins a '/'-separated relative directory and a name.
func joinRel(rel, name string) string {
	if rel == "" {
		return name
	}
	return rel + "/" + name
}
