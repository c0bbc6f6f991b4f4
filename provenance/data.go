package provenance

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// FileDigest is one regular file of a tree.
type FileDigest struct {
	Path   string // relative, '/'-separated
	Digest string // sha256:...
	Size   int64
}

// Version is the content version of a dataset or output directory.
type Version struct {
	Kind   string // "dir" or "file"
	Digest string // sha256:...
	Files  int64
	Bytes  int64
	List   []FileDigest // every file, in C byte order (for a directory)

	listing []byte
}

// HashPath returns the content version of a file or directory.
//
// A file's version is the sha256 of its bytes. A directory's is the sha256
// of the listing that GNU coreutils prints for
//
//	find . -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 -r sha256sum --
//
// run inside it: one line per regular file, symlinks and other special
// files skipped. Names with a backslash, newline or carriage return are
// escaped as sha256sum escapes them.
func HashPath(ctx context.Context, path string) (*Version, error) {
	return HashPathWith(ctx, path, HashOptions{})
}

// HashOptions tune HashPathWith.
type HashOptions struct {
	// Cache, when set, spares reading the files of a directory whose stat
	// data did not change since the cache last saw them.
	Cache HashCache
	// Progress, when set, is called now and then from the hashing
	// goroutines with the files done so far and the total.
	Progress func(done, total int)
}

// HashPathWith is HashPath with a cache and a progress report.
func HashPathWith(ctx context.Context, path string, o HashOptions) (*Version, error) {
	cache := o.Cache
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Mode().IsRegular() {
		d, n, err := hashFile(path)
		if err != nil {
			return nil, err
		}
		return &Version{Kind: "file", Digest: d, Files: 1, Bytes: n, List: []FileDigest{{Path: filepath.Base(path), Digest: d, Size: n}}}, nil
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s is neither a regular file nor a directory", path)
	}
	root, err := filepath.EvalSymlinks(path)
	if err != nil {
		return nil, err
	}
	// The cache is read while the directory is walked.
	var known []CachedFile
	loaded := make(chan error, 1)
	if cache != nil {
		go func() {
			var err error
			known, err = cache.Load(ctx, root)
			loaded <- err
		}()
	} else {
		loaded <- nil
	}
	files, states, err := listTree(ctx, root, cache != nil)
	if lerr := <-loaded; lerr != nil {
		known = nil // a record that cannot be read is replaced by a new one
	}
	if err != nil {
		return nil, err
	}
	// Both in path order: take each trusted digest, hash the rest.
	todo := make([]int, 0, len(files))
	var kept []int32 // the known entries still trusted
	j := 0
	for i := range files {
		if cache == nil {
			todo = append(todo, i)
			continue
		}
		for j < len(known) && known[j].Path < files[i].Path {
			j++
		}
		if j < len(known) && known[j].Path == files[i].Path && known[j].trusted(states[i]) {
			files[i].Digest, files[i].Size = sumDigest(known[j].Sum), states[i].Size
			kept = append(kept, int32(j))
			continue
		}
		todo = append(todo, i)
	}
	fresh, err := hashAll(ctx, root, files, states, todo, cache != nil, o.Progress)
	if err != nil {
		return nil, err
	}
	if cache != nil && (len(fresh) > 0 || len(kept) != len(known)) {
		// Remember every present file: the ones still trusted, and the
		// ones just read.
		all := make([]CachedFile, 0, len(kept)+len(fresh))
		for _, k := range kept {
			all = append(all, known[k])
		}
		all = append(all, fresh...)
		slices.SortFunc(all, func(a, b CachedFile) int { return strings.Compare(a.Path, b.Path) })
		_ = cache.Save(ctx, root, all) // a cache that cannot be written costs time, not truth
	}
	v := &Version{Kind: "dir", Files: int64(len(files)), List: files}
	var listing bytes.Buffer
	listing.Grow(len(files) * 100)
	for _, f := range files {
		v.Bytes += f.Size
		writeSumLine(&listing, f)
	}
	sum := sha256.Sum256(listing.Bytes())
	v.Digest = "sha256:" + hex.EncodeToString(sum[:])
	v.listing = listing.Bytes()
	return v, nil
}

// writeSumLine writes one line as sha256sum prints it.
func writeSumLine(w *bytes.Buffer, f FileDigest) {
	name := f.Path
	if strings.ContainsAny(name, "\\\n\r") {
		w.WriteByte('\\')
		name = strings.NewReplacer("\\", "\\\\", "\n", "\\n", "\r", "\\r").Replace(name)
	}
	w.WriteString(strings.TrimPrefix(f.Digest, "sha256:"))
	w.WriteString("  ")
	w.WriteString(name)
	w.WriteByte('\n')
}

// Listing is the sha256sum listing whose hash is a directory's version.
func (v *Version) Listing() []byte {
	if v.listing != nil {
		return v.listing
	}
	var b bytes.Buffer
	for _, f := range v.List {
		writeSumLine(&b, f)
	}
	return b.Bytes()
}

// listTree lists the regular files under root (symbolic links and other
// special files are skipped, and not followed), in path order, with their
// stat data when withState is set.
func listTree(ctx context.Context, root string, withState bool) ([]FileDigest, []FileState, error) {
	type found struct {
		files  []FileDigest
		states []FileState
	}
	var (
		mu       sync.Mutex
		parts    []found
		firstErr error
	)
	walkDirs(root, struct{}{}, func(rel string, _ struct{}, d *os.File, ents []os.DirEntry, err error) []subdir[struct{}] {
		if err == nil {
			err = ctx.Err()
		}
		mu.Lock()
		failed := firstErr != nil
		mu.Unlock()
		if failed {
			return nil // the walk has failed already: go no further
		}
		var f found
		var next []subdir[struct{}]
		dir := ""
		if d != nil {
			dir = d.Name()
		}
		for _, de := range ents {
			if err != nil {
				break
			}
			name := de.Name()
			switch {
			case de.IsDir():
				next = append(next, subdir[struct{}]{joinRel(rel, name), struct{}{}})
			case de.Type().IsRegular():
				if rel == "" && name == "-" {
					// sha256sum reads a file named "-" as its standard input,
					// so no one could recheck this version with coreutils.
					err = fmt.Errorf("%s: a file named '-' at the top of a dataset cannot be checked with sha256sum (it reads '-' as stdin); rename it", filepath.Join(dir, name))
					break
				}
				if withState {
					st, serr := lstatAt(d, dir, name)
					if serr != nil {
						err = serr
						break
					}
					f.states = append(f.states, st.state())
				}
				f.files = append(f.files, FileDigest{Path: joinRel(rel, name)})
			}
		}
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			return nil
		}
		parts = append(parts, f)
		return next
	})
	if firstErr != nil {
		return nil, nil, firstErr
	}
	n := 0
	for _, p := range parts {
		n += len(p.files)
	}
	order := make([]int32, 0, n)
	files := make([]FileDigest, 0, n)
	states := make([]FileState, 0, n)
	for _, p := range parts {
		files = append(files, p.files...)
		states = append(states, p.states...)
	}
	for i := range files {
		order = append(order, int32(i))
	}
	slices.SortFunc(order, func(a, b int32) int { return strings.Compare(files[a].Path, files[b].Path) })
	sorted := make([]FileDigest, n)
	var sortedStates []FileState
	if withState {
		sortedStates = make([]FileState, n)
	}
	for i, k := range order {
		sorted[i] = files[k]
		if withState {
			sortedStates[i] = states[k]
		}
	}
	return sorted, sortedStates, nil
}

// sumDigest is a sha256 sum as a digest string.
func sumDigest(sum [32]byte) string {
	var b [len(sha256Prefix) + 64]byte
	copy(b[:], sha256Prefix)
	hex.Encode(b[len(sha256Prefix):], sum[:])
	return string(b[:])
}

const sha256Prefix = "sha256:"

// hashAll reads and hashes files[i] for each i in todo, on every core,
// filling in their digests and sizes. With remember set, it returns the
// cache entries of the files it read: their state as listed (states[i])
// when they still had that size once read.
func hashAll(ctx context.Context, root string, files []FileDigest, states []FileState, todo []int, remember bool, progress func(done, total int)) ([]CachedFile, error) {
	var done atomic.Int64
	done.Store(int64(len(files) - len(todo)))
	report := func() {
		if n := done.Add(1); progress != nil && (n%512 == 0 || int(n) == len(files)) {
			progress(int(n), len(files))
		}
	}
	if len(todo) == 0 && progress != nil {
		progress(len(files), len(files))
	}
	workers := min(runtime.GOMAXPROCS(0), max(len(todo), 1))
	var next atomic.Int64
	errs := make([]error, workers)
	fresh := make([][]CachedFile, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for {
				k := int(next.Add(1)) - 1
				if k >= len(todo) || errs[w] != nil {
					return
				}
				if err := ctx.Err(); err != nil {
					errs[w] = err
					return
				}
				f := &files[todo[k]]
				hashedAt := time.Now().UnixNano()
				sum, n, err := hashFileSum(filepath.Join(root, filepath.FromSlash(f.Path)))
				if err != nil {
					errs[w] = err
					return
				}
				f.Digest, f.Size = sumDigest(sum), n
				if remember && n == states[todo[k]].Size {
					fresh[w] = append(fresh[w], CachedFile{Path: f.Path, State: states[todo[k]], Sum: sum, HashedAtNs: hashedAt})
				}
				report()
			}
		}(w)
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var all []CachedFile
	for _, m := range fresh {
		all = append(all, m...)
	}
	return all, nil
}

func hashFile(path string) (string, int64, error) {
	sum, n, err := hashFileSum(path)
	if err != nil {
		return "", 0, err
	}
	return sumDigest(sum), n, nil
}

// bufPool holds read buffers: a dataset of many small files would
// otherwise allocate one per file.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

// PathCause drops the operation and path from an *os.PathError, for
// messages that already name the path ("--data x=p: no such file or
// directory"); other errors are returned as they are.
func PathCause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
