package gitstate

import (
	"path/filepath"
	"sort"
	"sync"

	"github.com/reprohq/repro/internal/fastfs"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/gitignore"
	"github.com/go-git/go-git/v5/plumbing/format/index"
)

// scanWorktree returns the index entries whose files differ from what the
// index recorded, and the untracked files no ignore rule covers, in one
// walk of the work tree: each directory is opened once, listed once, and
// its tracked files are stat'ed relative to it (one path component for the
// kernel to resolve, not the whole path), directories side by side.
// Ignored directories are not entered unless they hold tracked files.
func scanWorktree(root string, idx *index.Index) []string {
	s := &scan{
		root:      root,
		indexTime: idx.ModTime.UnixNano(),
		dirs:      map[string][]*index.Entry{},
		visited:   map[string]bool{},
	}
	// The index is in path order, so a directory's files mostly come in
	// one run: one map update per run, not per file.
	for start := 0; start < len(idx.Entries); {
		dir := fastfs.DirName(idx.Entries[start].Name)
		end := start + 1
		for end < len(idx.Entries) && fastfs.DirName(idx.Entries[end].Name) == dir {
			end++
		}
		run := idx.Entries[start:end:end] // appending to it copies
		start = end
		list, seen := s.dirs[dir]
		if seen {
			run = append(list, run...)
		}
		s.dirs[dir] = run
		// Every directory above one with tracked files is walked too.
		for !seen && dir != "" {
			dir = fastfs.DirName(dir)
			if _, seen = s.dirs[dir]; !seen {
				s.dirs[dir] = nil
			}
		}
	}
	s.dirs[""] = s.dirs[""] // the top is always walked
	fs := osfs.New(root)
	var base []gitignore.Pattern
	if ps, err := gitignore.LoadSystemPatterns(fs); err == nil {
		base = append(base, ps...)
	}
	if ps, err := gitignore.LoadGlobalPatterns(fs); err == nil {
		base = append(base, ps...)
	}
	base = append(base, readIgnore(filepath.Join(root, ".git", "info", "exclude"), nil)...)
	fastfs.WalkDirs(root, ignoreScope{patterns: base}, s.dir)
	// Tracked files in directories the walk did not reach (deleted, or
	// now a file or a symbolic link) are gone, as git reports them.
	for dir, list := range s.dirs {
		if !s.visited[dir] {
			for _, e := range list {
				if e.Mode != filemode.Submodule && !e.SkipWorktree {
					s.found = append(s.found, e.Name)
				}
			}
		}
	}
	return s.found
}

type scan struct {
	root      string
	indexTime int64
	dirs      map[string][]*index.Entry // tracked entries by directory ("" is the top), read-only during the walk

	mu      sync.Mutex
	visited map[string]bool
	found   []string
}

// ignoreScope is what a directory inherits from above: its path
// components and the ignore patterns in force.
type ignoreScope struct {
	parts    []string
	patterns []gitignore.Pattern
}

// dir scans one directory (see walkDirs) and returns its subdirectories to
// scan: those that are not ignored, or that hold tracked files.
func (s *scan) dir(rel string, scope ignoreScope, d fastfs.Dir, ents []fastfs.DirEnt, err error) []fastfs.Subdir[ignoreScope] {
	if d.FD < 0 {
		return nil // not visited: its tracked files are gone
	}
	// (Open but not listed: its tracked files are still checked.)
	full := d.Path
	tracked := s.dirs[rel]
	parts, patterns := scope.parts, scope.patterns
	for _, de := range ents {
		if de.Name == ".gitignore" {
			patterns = append(patterns[:len(patterns):len(patterns)], readIgnore(filepath.Join(full, ".gitignore"), parts)...)
			break
		}
	}
	var found []string
	for _, e := range tracked {
		switch {
		case e.Stage != 0: // a conflict (go-git's index.Merged is 1, not the 0 a merged entry has)
			found = append(found, e.Name)
		case e.Mode == filemode.Submodule || e.SkipWorktree:
		case !s.unchanged(d, e):
			found = append(found, e.Name)
		}
	}
	m := gitignore.NewMatcher(patterns)
	var next []fastfs.Subdir[ignoreScope]
	for _, de := range ents {
		name, isDir := de.Name, de.Kind == fastfs.EntDir
		if rel == "" && name == ".git" {
			continue
		}
		if !isDir && hasEntry(tracked, len(rel), name) {
			continue // tracked, and checked above
		}
		childRel := de.Rel
		childParts := append(parts[:len(parts):len(parts)], name)
		if isDir {
			if _, holdsTracked := s.dirs[childRel]; !holdsTracked {
				if _, err := fastfs.LstatAt(d, name+"/.git"); err == nil {
					// A nested repository: git shows it as one untracked path.
					if !m.Match(childParts, true) && !hasEntry(tracked, len(rel), name) {
						found = append(found, childRel+"/")
					}
					continue
				}
				if m.Match(childParts, true) {
					continue
				}
			}
			next = append(next, fastfs.Subdir[ignoreScope]{Rel: childRel, Carry: ignoreScope{childParts, patterns}})
			continue
		}
		if !m.Match(childParts, false) {
			found = append(found, childRel)
		}
	}
	s.mu.Lock()
	s.visited[rel] = true
	s.found = append(s.found, found...)
	s.mu.Unlock()
	return next
}

// hasEntry says whether the index entries of a directory (all named
// DIR/..., in index order, so by base name) include DIR/name, where
// dirLen is the length of DIR ("" for the top: no slash either).
func hasEntry(entries []*index.Entry, dirLen int, name string) bool {
	skip := dirLen
	if dirLen > 0 {
		skip++ // the slash
	}
	i := sort.Search(len(entries), func(i int) bool { return entries[i].Name[skip:] >= name })
	return i < len(entries) && entries[i].Name[skip:] == name
}

// unchanged compares one index entry with its file in the directory d, as
// git does: stat data first, content only when they differ or the entry
// is racy.
func (s *scan) unchanged(d fastfs.Dir, e *index.Entry) bool {
	base := fastfs.BaseName(e.Name)
	st, err := fastfs.LstatAt(d, base)
	if err != nil || st.Mode == 0 {
		return false // deleted, unreadable, or nothing git tracks: changed
	}
	if st.Mode != e.Mode || uint32(st.Size) != e.Size {
		return false
	}
	statSame := st.Identity && st.MtimeNs == e.ModifiedAt.UnixNano() &&
		(e.CreatedAt.IsZero() || st.CtimeNs == e.CreatedAt.UnixNano()) &&
		(e.Inode == 0 || uint32(st.Ino) == e.Inode)
	// Racy: written in the same instant the index was, so equal stat data
	// do not prove equal content.
	racy := st.MtimeNs >= s.indexTime
	if statSame && !racy {
		return true
	}
	h, err := blobHash(filepath.Join(d.Path, base), st.Size, st.Mode)
	return err == nil && h == e.Hash
}
