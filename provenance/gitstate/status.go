package gitstate

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/gitignore"
	"github.com/go-git/go-git/v5/plumbing/format/index"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// changedFiles lists the paths where the work tree at root differs from
// HEAD (whose tree's hash comes on headTree), the way git status decides
// it: each index entry against the file's stat data, hashing a file only
// when its stat data differ from what the index recorded (or when it was
// written too close to the index to tell), and the untracked files that
// no ignore rule covers; then the index against HEAD (through the index's
// cached tree when it is valid, reading HEAD's tree only when it is not).
func changedFiles(repo *git.Repository, root string, headTree <-chan hashOrErr) ([]string, error) {
	idx, release, err := readIndex(repo)
	if err != nil {
		return nil, err
	}
	defer release()
	changed := map[string]bool{}
	for _, p := range scanWorktree(root, idx) {
		changed[p] = true
	}
	head := <-headTree
	if head.err != nil {
		return nil, head.err
	}
	if !cachedTreeMatches(idx, head.hash) {
		tree, err := repo.TreeObject(head.hash)
		if err != nil {
			return nil, fmt.Errorf("read HEAD's tree: %w", err)
		}
		if err := stagedChanges(idx, tree, changed); err != nil {
			return nil, err
		}
	}
	// Copied: a name may point into the index file's mapping.
	out := make([]string, 0, len(changed))
	for p := range changed {
		out = append(out, strings.Clone(p))
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

// blobHash is the git blob hash of the file at path, of size bytes.
func blobHash(path string, size int64, mode filemode.FileMode) (plumbing.Hash, error) {
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
	h := plumbing.NewHasher(plumbing.BlobObject, size)
	if _, err := io.Copy(h, bufio.NewReaderSize(f, 64<<10)); err != nil {
		return plumbing.ZeroHash, err
	}
	return h.Sum(), nil
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
