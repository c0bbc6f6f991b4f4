package provenance

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
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
	var files []FileDigest
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			if rel == "-" {
				// sha256sum reads a file named "-" as its standard input,
				// so no one could recheck this version with coreutils.
				return fmt.Errorf("%s: a file named '-' at the top of a dataset cannot be checked with sha256sum (it reads '-' as stdin); rename it", p)
			}
			files = append(files, FileDigest{Path: filepath.ToSlash(rel)})
		}
		return ctx.Err()
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	var known map[string]CachedDigest
	if cache != nil {
		if known, err = cache.Load(ctx, root); err != nil {
			known, cache = nil, nil // a cache that cannot be read is no cache
		}
	}
	fresh, err := hashAll(ctx, root, files, known, o.Progress)
	if err != nil {
		return nil, err
	}
	if cache != nil {
		// Remember every present file: the ones just read, and the ones
		// whose remembered digest still held.
		all := make(map[string]CachedDigest, len(files))
		for _, f := range files {
			if c, ok := fresh[f.Path]; ok {
				all[f.Path] = c
			} else if c, ok := known[f.Path]; ok {
				all[f.Path] = c
			}
		}
		if len(fresh) > 0 || len(all) != len(known) {
			_ = cache.Save(ctx, root, all) // a cache that cannot be written costs time, not truth
		}
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

// hashAll fills in each file's digest and size, on every core. A file
// whose stat data match a trusted cached entry is not read. It returns the
// entries to remember: every file it read.
func hashAll(ctx context.Context, root string, files []FileDigest, known map[string]CachedDigest, progress func(done, total int)) (map[string]CachedDigest, error) {
	var done atomic.Int64
	report := func() {
		if n := done.Add(1); progress != nil && (n%512 == 0 || int(n) == len(files)) {
			progress(int(n), len(files))
		}
	}
	workers := min(runtime.GOMAXPROCS(0), max(len(files), 1))
	next := make(chan int)
	errs := make([]error, workers)
	fresh := make([]map[string]CachedDigest, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		fresh[w] = map[string]CachedDigest{}
		go func(w int) {
			defer wg.Done()
			for i := range next {
				if errs[w] == nil {
					errs[w] = hashOne(root, &files[i], known, fresh[w])
				}
				report()
			}
		}(w)
	}
	var err error
feed:
	for i := range files {
		select {
		case next <- i:
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := errors.Join(append(errs, err)...); err != nil {
		return nil, err
	}
	all := map[string]CachedDigest{}
	for _, m := range fresh {
		for k, v := range m {
			all[k] = v
		}
	}
	return all, nil
}

// hashOne fills in one file's digest and size, from the cache when its
// entry is trusted, and remembers a file it read in fresh.
func hashOne(root string, f *FileDigest, known, fresh map[string]CachedDigest) error {
	full := filepath.Join(root, filepath.FromSlash(f.Path))
	var st FileState
	if known != nil {
		fi, err := os.Lstat(full)
		if err != nil {
			return err
		}
		st = fileState(fi)
		if c, ok := known[f.Path]; ok && c.trusted(st) {
			f.Digest, f.Size = c.Digest, st.Size
			return nil
		}
	}
	hashedAt := time.Now().UnixNano()
	d, n, err := hashFile(full)
	if err != nil {
		return err
	}
	f.Digest, f.Size = d, n
	if known != nil && n == st.Size {
		fresh[f.Path] = CachedDigest{State: st, Digest: d, HashedAtNs: hashedAt}
	}
	return nil
}

func hashFile(path string) (string, int64, error) {
	buf := bufPool.Get().(*[]byte)
	defer bufPool.Put(buf)
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	// A plain read loop: io.CopyBuffer would hand the copy to
	// (*os.File).WriteTo, which allocates a buffer of its own per file.
	var n int64
	for {
		m, err := f.Read(*buf)
		h.Write((*buf)[:m])
		n += int64(m)
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", 0, fmt.Errorf("read %s: %w", path, err)
		}
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), n, nil
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
