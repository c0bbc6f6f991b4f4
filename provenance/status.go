package provenance

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-billy/v5/osfs"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/gitignore"
	"github.com/go-git/go-git/v5/plumbing/format/index"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// changedFiles lists the paths where the work tree at root differs from
// HEAD, the way git status decides it: the index against HEAD (through the
// index's cached tree when it is valid), then each index entry against the
// file's stat data, hashing a file only when its stat data differ from
// what the index recorded (or when it was written too close to the index
// to tell); then the untracked files that no ignore rule covers.
func changedFiles(repo *git.Repository, root string, head *object.Commit) ([]string, error) {
	idx, err := repo.Storer.Index()
	if err != nil {
		return nil, err
	}
	changed := map[string]bool{}
	tree, err := head.Tree()
	if err != nil {
		return nil, err
	}
	if !cachedTreeMatches(idx, tree.Hash) {
		if err := stagedChanges(idx, tree, changed); err != nil {
			return nil, err
		}
	}
	tracked := make(map[string]bool, len(idx.Entries))
	for _, e := range idx.Entries {
		tracked[e.Name] = true
	}
	// The untracked walk and the stat checks of tracked files are
	// independent: run them side by side, the stat checks on every core.
	walked := map[string]bool{}
	walkDone := make(chan error, 1)
	go func() { walkDone <- untracked(root, tracked, walked) }()

	workers := runtime.GOMAXPROCS(0)
	modified := make([][]string, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < len(idx.Entries); i += workers {
				e := idx.Entries[i]
				switch {
				case e.Stage != 0: // a conflict (go-git's index.Merged is 1, not the 0 a merged entry has)
					modified[w] = append(modified[w], e.Name)
				case e.Mode == filemode.Submodule || e.SkipWorktree:
				case !unchanged(root, e, idx.ModTime):
					modified[w] = append(modified[w], e.Name)
				}
			}
		}(w)
	}
	wg.Wait()
	if err := <-walkDone; err != nil {
		return nil, err
	}
	for _, m := range modified {
		for _, p := range m {
			changed[p] = true
		}
	}
	for p := range walked {
		changed[p] = true
	}
	out := make([]string, 0, len(changed))
	for p := range changed {
		out = append(out, p)
	}
	sort.Strings(out)
	return out, nil
}

// cachedTreeMatches says whether the index's cached tree (git keeps it
// after a commit) says the index is exactly HEAD's tree.
func cachedTreeMatches(idx *index.Index, head plumbing.Hash) bool {
	if idx.Cache == nil || len(idx.Cache.Entries) == 0 {
		return false
	}
	root := idx.Cache.Entries[0]
	return root.Path == "" && root.Entries >= 0 && root.Entries == len(idx.Entries) && root.Hash == head
}

// stagedChanges compares the index with HEAD's tree entry by entry.
func stagedChanges(idx *index.Index, tree *object.Tree, changed map[string]bool) error {
	inIndex := make(map[string]*index.Entry, len(idx.Entries))
	for _, e := range idx.Entries {
		inIndex[e.Name] = e
	}
	seen := map[string]bool{}
	err := tree.Files().ForEach(func(f *object.File) error {
		seen[f.Name] = true
		e, ok := inIndex[f.Name]
		if !ok || e.Hash != f.Hash || e.Mode != f.Mode {
			changed[f.Name] = true
		}
		return nil
	})
	if err != nil {
		return err
	}
	for name, e := range inIndex {
		if !seen[name] && e.Mode != filemode.Submodule {
			changed[name] = true
		}
	}
	return nil
}

// unchanged compares one index entry with the file, as git does: stat
// data first, content only when they differ or the entry is racy.
func unchanged(root string, e *index.Entry, indexTime time.Time) bool {
	path := filepath.Join(root, filepath.FromSlash(e.Name))
	fi, err := os.Lstat(path)
	if err != nil {
		return false // deleted, or unreadable: changed
	}
	mode, err := filemode.NewFromOSFileMode(fi.Mode())
	if err != nil {
		return false
	}
	if mode == filemode.Deprecated {
		mode = filemode.Regular
	}
	if mode != e.Mode || uint32(fi.Size()) != e.Size {
		return false
	}
	statSame := fi.ModTime().Equal(e.ModifiedAt) && sameInodeAndCtime(fi, e)
	// Racy: written in the same instant the index was, so equal stat data
	// do not prove equal content.
	racy := fi.ModTime().UnixNano() >= indexTime.UnixNano()
	if statSame && !racy {
		return true
	}
	h, err := blobHash(path, fi, mode)
	return err == nil && h == e.Hash
}

func blobHash(path string, fi os.FileInfo, mode filemode.FileMode) (plumbing.Hash, error) {
	if mode == filemode.Symlink {
		target, err := os.Readlink(path)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		return plumbing.ComputeHash(plumbing.BlobObject, []byte(target)), nil
	}
	f, err := os.Open(path)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	defer f.Close()
	h := plumbing.NewHasher(plumbing.BlobObject, fi.Size())
	if _, err := io.Copy(h, bufio.NewReaderSize(f, 64<<10)); err != nil {
		return plumbing.ZeroHash, err
	}
	return h.Sum(), nil
}

// untracked walks the work tree for files the index does not know and no
// ignore rule (.gitignore files, .git/info/exclude, the global excludes)
// covers. Ignored directories are not entered.
func untracked(root string, tracked, changed map[string]bool) error {
	fs := osfs.New(root)
	var base []gitignore.Pattern
	if ps, err := gitignore.LoadSystemPatterns(fs); err == nil {
		base = append(base, ps...)
	}
	if ps, err := gitignore.LoadGlobalPatterns(fs); err == nil {
		base = append(base, ps...)
	}
	base = append(base, readIgnore(filepath.Join(root, ".git", "info", "exclude"), nil)...)
	// Directories that hold tracked files are walked even when ignored,
	// as git does for tracked content.
	trackedDirs := map[string]bool{}
	for p := range tracked {
		for d := filepath.Dir(filepath.FromSlash(p)); d != "." && !trackedDirs[d]; d = filepath.Dir(d) {
			trackedDirs[d] = true
		}
	}
	var walk func(rel string, parts []string, patterns []gitignore.Pattern) error
	walk = func(rel string, parts []string, patterns []gitignore.Pattern) error {
		dir := filepath.Join(root, rel)
		patterns = append(patterns[:len(patterns):len(patterns)], readIgnore(filepath.Join(dir, ".gitignore"), parts)...)
		m := gitignore.NewMatcher(patterns)
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil
		}
		for _, de := range entries {
			name := de.Name()
			if rel == "" && name == ".git" {
				continue
			}
			childRel := filepath.Join(rel, name)
			childParts := append(parts[:len(parts):len(parts)], name)
			if de.IsDir() {
				if _, err := os.Stat(filepath.Join(dir, name, ".git")); err == nil && !trackedDirs[childRel] {
					// A nested repository: git shows it as one untracked path.
					if !m.Match(childParts, true) && !tracked[filepath.ToSlash(childRel)] {
						changed[filepath.ToSlash(childRel)+"/"] = true
					}
					continue
				}
				if m.Match(childParts, true) && !trackedDirs[childRel] {
					continue
				}
				if err := walk(childRel, childParts, patterns); err != nil {
					return err
				}
				continue
			}
			slash := filepath.ToSlash(childRel)
			if !tracked[slash] && !m.Match(childParts, false) {
				changed[slash] = true
			}
		}
		return nil
	}
	return walk("", nil, base)
}

func readIgnore(path string, domain []string) []gitignore.Pattern {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var ps []gitignore.Pattern
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || len(strings.TrimSpace(line)) == 0 {
			continue
		}
		ps = append(ps, gitignore.ParsePattern(line, domain))
	}
	return ps
}
