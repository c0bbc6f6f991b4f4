package dataset

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/reprohq/repro/internal/fastfs"
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
	List   []FileDigest // every file, in C byte order (for a directory); see Load

	listing []byte
	load    func() error // fills List and listing in, when set
}

// Load fills in List, when the version was answered from a hash cache's
// tree state without it.
func (v *Version) Load() error {
	if v.load == nil {
		return nil
	}
	if err := v.load(); err != nil {
		return err
	}
	v.load = nil
	return nil
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
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	root, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, err
	}
	// What the cache knows is read while the directory is walked: the
	// tree's state, and the per-file record when there is no tree state
	// (with one, the walk tells whether the record is needed at all).
	var (
		tree    *TreeState
		known   []CachedFile
		loadErr error
	)
	loaded := make(chan struct{})
	if cache != nil {
		go func() {
			defer close(loaded)
			tree, _ = cache.Tree(ctx, root) // unreadable: the record decides
			if tree == nil {
				known, loadErr = cache.Load(ctx, root)
			}
		}()
	} else {
		close(loaded)
	}
	t, err := listTree(ctx, root, cache != nil)
	<-loaded
	if err != nil {
		return nil, err
	}
	if tree != nil && tree.State == t.state {
		return cachedVersion(ctx, cache, root, t, *tree), nil
	}
	if tree != nil {
		known, loadErr = cache.Load(ctx, root)
	}
	files, states := t.flatten()
	if loadErr != nil {
		known = nil // a record that cannot be read is replaced by a new one
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
	v := &Version{Kind: "dir", Files: int64(len(files)), List: files}
	v.setListing()
	if cache != nil {
		saveCache(ctx, cache, root, known, kept, fresh, len(files), tree, TreeState{State: t.state, Digest: v.Digest})
	}
	return v, nil
}

// setListing fills in a directory version's size, listing and digest from
// its list of files.
func (v *Version) setListing() {
	var listing bytes.Buffer
	listing.Grow(len(v.List) * 100)
	v.Bytes = 0
	for _, f := range v.List {
		v.Bytes += f.Size
		writeSumLine(&listing, f)
	}
	sum := sha256.Sum256(listing.Bytes())
	v.Digest = "sha256:" + hex.EncodeToString(sum[:])
	v.listing = listing.Bytes()
}

// saveCache remembers every present file of a directory just hashed: the
// known entries still trusted (kept) and the files just read (fresh), and,
// when that is every file and each is trusted, the tree's state (now). It
// writes only when that differs from what the cache held (tree).
func saveCache(ctx context.Context, cache HashCache, root string, known []CachedFile, kept []int32, fresh []CachedFile, files int, tree *TreeState, now TreeState) {
	all := make([]CachedFile, 0, len(kept)+len(fresh))
	for _, k := range kept {
		all = append(all, known[k])
	}
	all = append(all, fresh...)
	slices.SortFunc(all, func(a, b CachedFile) int { return strings.Compare(a.Path, b.Path) })
	whole := &now
	if len(all) != files {
		whole = nil // a file changed while it was read: not remembered
	}
	for i := 0; whole != nil && i < len(all); i++ {
		if !all[i].trusted(all[i].State) {
			whole = nil // racy: not yet trusted as a whole
		}
	}
	changed := len(fresh) > 0 || len(kept) != len(known)
	if changed || (whole == nil) != (tree == nil) || (whole != nil && *whole != *tree) {
		_ = cache.Save(ctx, root, all, whole) // a cache that cannot be written costs time, not truth
	}
}

// cachedVersion is the version of a directory whose files all have the
// stat data of tree: its digest, counted from the walk; its file list is
// read from the cache's record only when asked for.
func cachedVersion(ctx context.Context, cache HashCache, root string, t *fileTree, tree TreeState) *Version {
	v := &Version{Kind: "dir", Digest: tree.Digest, Files: t.files, Bytes: t.bytes}
	v.load = func() error {
		known, err := cache.Load(ctx, root)
		files, states := t.flatten()
		same := err == nil && len(known) == len(files)
		for i := 0; same && i < len(files); i++ {
			same = known[i].Path == files[i].Path && known[i].State == states[i]
		}
		if same {
			for i := range files {
				files[i].Digest, files[i].Size = sumDigest(known[i].Sum), states[i].Size
			}
			whole := &Version{Kind: "dir", List: files}
			whole.setListing()
			if whole.Digest == v.Digest {
				v.List, v.listing = whole.List, whole.listing
				return nil
			}
		}
		// The record does not back the tree state up (damaged, or written
		// since): read every file again, and replace the record.
		again, err := HashPathWith(ctx, root, HashOptions{Cache: rewrite{cache}})
		if err != nil {
			return err
		}
		if again.Digest != v.Digest {
			return fmt.Errorf("%s changed while it was being recorded (%s, now %s); run again", root, v.Digest, again.Digest)
		}
		v.List, v.listing = again.List, again.listing
		return nil
	}
	return v
}

// rewrite is a HashCache that knows nothing yet: every file is read, and
// what was read replaces the cache's record.
type rewrite struct{ HashCache }

func (rewrite) Load(context.Context, string) ([]CachedFile, error) { return nil, nil }
func (rewrite) Tree(context.Context, string) (*TreeState, error)   { return nil, nil }

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
func (v *Version) Listing() ([]byte, error) {
	if err := v.Load(); err != nil {
		return nil, err
	}
	if v.listing != nil {
		return v.listing, nil
	}
	var b bytes.Buffer
	for _, f := range v.List {
		writeSumLine(&b, f)
	}
	return b.Bytes(), nil
}

// fileTree is the regular files under a directory, as listed: counted,
// their stat data summed up, and flattened into path order on demand.
type fileTree struct {
	top          *treeNode
	files, bytes int64
	state        [32]byte // see treeNode.sum; zero without stat data
	withState    bool
}

// listTree lists the regular files under root (symbolic links and other
// special files are skipped, and not followed), with their stat data when
// withState is set.
func listTree(ctx context.Context, root string, withState bool) (*fileTree, error) {
	var (
		mu           sync.Mutex
		firstErr     error
		files, bytes atomic.Int64
	)
	t := &fileTree{top: &treeNode{}, withState: withState}
	fastfs.WalkDirs(root, t.top, func(rel string, n *treeNode, d fastfs.Dir, ents []fastfs.DirEnt, err error) []fastfs.Subdir[*treeNode] {
		if err == nil {
			err = ctx.Err()
		}
		mu.Lock()
		failed := firstErr != nil
		mu.Unlock()
		if failed {
			return nil // the walk has failed already: go no further
		}
		var next []fastfs.Subdir[*treeNode]
		nfiles, ndirs := 0, 0
		var size int64 // the directory's bytes, added to the total once: a shared counter per file made the cores contend
		for _, e := range ents {
			switch e.Kind {
			case fastfs.EntFile:
				nfiles++
			case fastfs.EntDir:
				ndirs++
			}
		}
		// Sized once: for 100,000 files, growing these made as much
		// garbage as they hold, and fresh memory costs page faults.
		n.files = make([]treeFile, 0, nfiles)
		if ndirs > 0 {
			n.subs = make([]*treeNode, 0, ndirs)
			next = make([]fastfs.Subdir[*treeNode], 0, ndirs)
		}
		for _, e := range ents {
			if err != nil {
				break
			}
			switch e.Kind {
			case fastfs.EntDir:
				sub := &treeNode{name: e.Name}
				n.subs = append(n.subs, sub)
				next = append(next, fastfs.Subdir[*treeNode]{Rel: e.Rel, Carry: sub})
			case fastfs.EntFile:
				if rel == "" && e.Name == "-" {
					// sha256sum reads a file named "-" as its standard input,
					// so no one could recheck this version with coreutils.
					err = fmt.Errorf("%s: a file named '-' at the top of a dataset cannot be checked with sha256sum (it reads '-' as stdin); rename it", filepath.Join(d.Path, e.Name))
					break
				}
				f := treeFile{path: e.Rel}
				if withState {
					st, serr := fastfs.LstatAt(d, e.Name)
					if serr != nil {
						err = serr
						break
					}
					f.state = st.State()
					size += f.state.Size
				}
				n.files = append(n.files, f)
			}
		}
		if err != nil {
			mu.Lock()
			if firstErr == nil {
				firstErr = err
			}
			mu.Unlock()
			return nil
		}
		// Sorted and summed here, on the walk's goroutines, a directory
		// at a time. With stat data, the files are summed in the order
		// the directory listed them, and sorted only if the listing is
		// needed (see fileTree.flatten): a warm walk that finds the
		// state it left needs no order, and sorting was a fifth of its
		// CPU. A directory listing the same files in another order (it
		// does not, unless changed) would only cost a slower check.
		slices.SortFunc(n.subs, func(a, b *treeNode) int { return compareDirs(a.name, b.name) })
		if withState {
			n.sum = stateSum(len(n.files), func(i int) (string, *FileState) { return n.files[i].path, &n.files[i].state })
		} else {
			n.sortFiles()
		}
		files.Add(int64(len(n.files)))
		bytes.Add(size)
		return next
	})
	if firstErr != nil {
		return nil, firstErr
	}
	t.files, t.bytes = files.Load(), bytes.Load()
	if withState {
		h := sha256.New()
		t.top.sumTree(h)
		h.Sum(t.state[:0])
	}
	return t, nil
}

// flatten returns the files in path order, with their stat data (nil
// without).
func (t *fileTree) flatten() ([]FileDigest, []FileState) {
	files := make([]FileDigest, 0, t.files)
	var states []FileState
	if t.withState {
		states = make([]FileState, 0, t.files)
		t.top.sortAll()
	}
	t.top.flatten(&files, &states, t.withState)
	return files, states
}

// treeNode is one directory of a tree being listed: its regular files and
// subdirectories, each in the order of their paths (the files once sorted).
type treeNode struct {
	name  string
	files []treeFile
	subs  []*treeNode
	sum   [32]byte // stateSum of files
}

type treeFile struct {
	path  string
	state FileState
}

// sortFiles puts n's files in path order.
func (n *treeNode) sortFiles() {
	slices.SortFunc(n.files, func(a, b treeFile) int { return strings.Compare(a.path, b.path) })
}

// sortAll sorts the files of n and of every directory below it, on
// every core.
func (n *treeNode) sortAll() {
	var nodes []*treeNode
	var collect func(*treeNode)
	collect = func(n *treeNode) {
		nodes = append(nodes, n)
		for _, s := range n.subs {
			collect(s)
		}
	}
	collect(n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < len(nodes); i = int(next.Add(1)) - 1 {
				nodes[i].sortFiles()
			}
		})
	}
	wg.Wait()
}

// sumTree writes each directory's name and sum to h, parents before their
// subdirectories, these in name order: with the sums, a digest of every
// file's path and stat data.
func (n *treeNode) sumTree(h hash.Hash) {
	var b [binary.MaxVarintLen64]byte
	h.Write(binary.AppendUvarint(b[:0], uint64(len(n.name))))
	h.Write([]byte(n.name))
	h.Write(n.sum[:])
	h.Write(binary.AppendUvarint(b[:0], uint64(len(n.subs))))
	for _, s := range n.subs {
		s.sumTree(h)
	}
}

// flatten appends the files under n in path order: a directory's files
// and subdirectories merged, a subdirectory sorting as its name and a
// slash would ("a.txt" < "a/..." < "a0"), which is where its files' paths
// sort.
func (n *treeNode) flatten(files *[]FileDigest, states *[]FileState, withState bool) {
	i, j := 0, 0
	for i < len(n.files) || j < len(n.subs) {
		if j == len(n.subs) || i < len(n.files) && fileBeforeDir(fastfs.BaseName(n.files[i].path), n.subs[j].name) {
			*files = append(*files, FileDigest{Path: n.files[i].path})
			if withState {
				*states = append(*states, n.files[i].state)
			}
			i++
			continue
		}
		n.subs[j].flatten(files, states, withState)
		j++
	}
}

// fileBeforeDir says whether a file named file sorts before the paths in a
// sibling directory named dir, that is, before dir + "/".
func fileBeforeDir(file, dir string) bool {
	n := min(len(file), len(dir))
	if c := strings.Compare(file[:n], dir[:n]); c != 0 {
		return c < 0
	}
	if len(file) <= len(dir) {
		return true // a prefix of dir, so of dir + "/"
	}
	return file[len(dir)] < '/'
}

// compareDirs compares sibling directories as their paths compare, by
// name and a slash: "a-" < "a/" although "a" < "a-".
func compareDirs(a, b string) int {
	n := min(len(a), len(b))
	if c := strings.Compare(a[:n], b[:n]); c != 0 || len(a) == len(b) {
		return c
	}
	if len(a) < len(b) {
		return cmp.Compare('/', b[n])
	}
	return cmp.Compare(a[n], '/')
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
	// Each worker takes a run of files at a time: neighbours in path
	// order share a directory, which the worker's hasher keeps open.
	const run = 8
	var next atomic.Int64
	errs := make([]error, workers)
	fresh := make([][]CachedFile, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			fh := fastfs.NewFileHasher(root)
			defer fh.Close()
			for {
				start := int(next.Add(run)) - run
				if start >= len(todo) {
					return
				}
				if err := ctx.Err(); err != nil {
					errs[w] = err
					return
				}
				for _, i := range todo[start:min(start+run, len(todo))] {
					f := &files[i]
					var hashedAt int64
					if remember {
						hashedAt = time.Now().UnixNano()
					}
					sum, n, err := fh.Hash(f.Path)
					if err != nil {
						errs[w] = err
						return
					}
					f.Digest, f.Size = sumDigest(sum), n
					if remember && n == states[i].Size {
						fresh[w] = append(fresh[w], CachedFile{Path: f.Path, State: states[i], Sum: sum, HashedAtNs: hashedAt})
					}
					report()
				}
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
	sum, n, err := fastfs.HashFileSum(path)
	if err != nil {
		return "", 0, err
	}
	return sumDigest(sum), n, nil
}

// PathCause is err without the path it names when that path is root
// itself, which the caller's message already names: "--data x=./d: no
// such file or directory". An error about a file below root keeps that
// file's path, relative to root and shortened in the middle when it is
// very long (a tree deeper than PATH_MAX), so that it can be found.
func PathCause(root string, err error) error {
	var pe *fs.PathError
	if !errors.As(err, &pe) {
		return err
	}
	abs, aerr := filepath.Abs(root)
	p := filepath.Clean(pe.Path)
	if p == filepath.Clean(root) || aerr == nil && p == abs {
		return pe.Err
	}
	if aerr == nil {
		if rel, rerr := filepath.Rel(abs, p); rerr == nil && !strings.HasPrefix(rel, "..") {
			p = rel
		}
	}
	if len(p) > 200 {
		p = fmt.Sprintf("%s...%s (a path of %d bytes)", p[:80], p[len(p)-80:], len(p))
	}
	return fmt.Errorf("%s %s: %w", pe.Op, p, pe.Err)
}
