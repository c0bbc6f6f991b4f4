package gitstate

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-billy/v5"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"github.com/go-git/go-git/v5/storage/memory"

	"github.com/reprohq/repro/ident"
	"github.com/reprohq/repro/provenance"
)

// Code is the state of the code a run used.
type Code struct {
	Dir     string   // the work tree's root
	Commit  string   // 40 hex digits
	Branch  string   // "" on a detached HEAD
	Remote  string   // origin's URL (or the first remote's), credentials stripped
	Dirty   bool     // tracked changes or untracked, not-ignored files
	Changed []string // paths that differ from HEAD, sorted
}

// ErrNoRepo is returned when dir is not inside a git work tree.
var ErrNoRepo = errors.New("not inside a git repository")

// CaptureCode reads the git repository that contains dir.
func CaptureCode(ctx context.Context, dir string) (*Code, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	repo, err := openRepo(abs)
	if errors.Is(err, git.ErrRepositoryNotExists) {
		return nil, fmt.Errorf("%s: %w", dir, ErrNoRepo)
	}
	if err != nil {
		return nil, fmt.Errorf("open git repository at %s: %w", dir, err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		return nil, fmt.Errorf("git repository at %s has no work tree: %w", dir, err)
	}
	c := &Code{Dir: wt.Filesystem.Root()}
	head, err := repo.Head()
	if err != nil {
		return nil, fmt.Errorf("git repository %s has no commit yet; commit your code first", c.Dir)
	}
	c.Commit = head.Hash().String()
	if head.Name().IsBranch() {
		c.Branch = head.Name().Short()
	}
	if remotes, err := repo.Remotes(); err == nil && len(remotes) > 0 {
		pick := remotes[0]
		for _, r := range remotes {
			if r.Config().Name == "origin" {
				pick = r
			}
		}
		if urls := pick.Config().URLs; len(urls) > 0 {
			c.Remote = provenance.StripCredentials(urls[0])
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// HEAD's tree hash is read beside the index and the work tree.
	headTree := make(chan hashOrErr, 1)
	go func() {
		h, err := commitTree(gitDirFS(repo), abs, head.Hash())
		if err != nil {
			err = fmt.Errorf("read HEAD: %w", err)
		}
		headTree <- hashOrErr{h, err}
	}()
	if c.Changed, err = changedFiles(repo, c.Dir, headTree); err != nil {
		return nil, fmt.Errorf("git status of %s: %w", c.Dir, err)
	}
	c.Dirty = len(c.Changed) > 0
	return c, nil
}

// openRepo opens the git repository holding dir, a linked work tree's
// included.
func openRepo(dir string) (*git.Repository, error) {
	return git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{DetectDotGit: true, EnableDotGitCommonDir: true})
}

// gitDirFS is the file system of repo's git directory; nil when repo is
// not stored in one.
func gitDirFS(repo *git.Repository) billy.Filesystem {
	if st, ok := repo.Storer.(*filesystem.Storage); ok {
		return st.Filesystem()
	}
	return nil
}

type hashOrErr struct {
	hash plumbing.Hash
	err  error
}

// CommitTime is the committer time of commit in the repository holding dir.
func CommitTime(dir, commit string) (time.Time, error) {
	repo, err := openRepo(dir)
	if err != nil {
		return time.Time{}, err
	}
	c, err := repo.CommitObject(plumbing.NewHash(commit))
	if err != nil {
		return time.Time{}, err
	}
	return c.Committer.When, nil
}

// CommittedFiles is the set of paths (slash-separated, relative to the
// work tree's root) that commit holds, in the repository holding dir.
func CommittedFiles(dir, commit string) (map[string]bool, error) {
	repo, err := openRepo(dir)
	if err != nil {
		return nil, err
	}
	c, err := repo.CommitObject(plumbing.NewHash(commit))
	if err != nil {
		return nil, err
	}
	tree, err := c.Tree()
	if err != nil {
		return nil, err
	}
	files := map[string]bool{}
	err = tree.Files().ForEach(func(f *object.File) error {
		files[f.Name] = true
		return nil
	})
	return files, err
}

// FileChange is one file that differs between two commits, as git diff
// --stat counts it.
type FileChange struct {
	Path    string `json:"path"`
	Added   int    `json:"added"`   // lines
	Deleted int    `json:"deleted"` // lines
}

// CommitDiff lists the files that differ between commits from and to, in
// the first of repos (directories inside git work trees) that has both.
// It reads the repository in-process: nothing in it is run. found is
// false when none has both commits.
func CommitDiff(repos []string, from, to string) (changes []FileChange, found bool, err error) {
	for _, dir := range repos {
		if dir == "" {
			continue
		}
		repo, err := openRepo(dir)
		if err != nil {
			continue
		}
		a, errA := repo.CommitObject(plumbing.NewHash(from))
		b, errB := repo.CommitObject(plumbing.NewHash(to))
		if errA != nil || errB != nil {
			continue
		}
		patch, err := a.Patch(b)
		if err != nil {
			return nil, true, fmt.Errorf("diff %s..%s in %s: %w", from[:min(12, len(from))], to[:min(12, len(to))], dir, err)
		}
		changes = []FileChange{}
		for _, s := range patch.Stats() {
			changes = append(changes, FileChange{Path: s.Name, Added: s.Addition, Deleted: s.Deletion})
		}
		sort.Slice(changes, func(i, j int) bool { return changes[i].Path < changes[j].Path })
		return changes, true, nil
	}
	return nil, false, nil
}

// CommitSource says where commit can be had for a re-run: "remote" when
// a ref of remoteURL points at it or, as the repository holding dir
// knows the history, at a descendant of it; "local" when only that
// repository has it. Both are read in-process (the remote is listed, as
// git ls-remote does; nothing is cloned or run). An error says why
// neither has it.
func CommitSource(ctx context.Context, dir, remoteURL, commit string) (string, error) {
	var repo *git.Repository
	var local *object.Commit
	if dir != "" {
		if r, err := openRepo(dir); err == nil {
			repo = r
			local, _ = r.CommitObject(plumbing.NewHash(commit))
		}
	}
	var remoteErr error
	if strings.HasPrefix(remoteURL, "-") {
		return "", fmt.Errorf("commit %s: the recorded remote %q is not a URL", ident.Commit(commit).Short(), remoteURL)
	}
	if remoteURL != "" {
		rem := git.NewRemote(memory.NewStorage(), &config.RemoteConfig{Name: "origin", URLs: []string{remoteURL}})
		refs, err := rem.ListContext(ctx, &git.ListOptions{})
		remoteErr = err
		for _, ref := range refs {
			if ref.Hash().String() == commit {
				return "remote", nil
			}
			if local == nil || repo == nil {
				continue
			}
			if tip, err := repo.CommitObject(ref.Hash()); err == nil {
				if ok, err := local.IsAncestor(tip); err == nil && ok {
					return "remote", nil
				}
			}
		}
	}
	switch {
	case local != nil:
		return "local", nil
	case remoteURL != "" && remoteErr != nil:
		return "", fmt.Errorf("commit %s: remote %s cannot be listed (%v), and no local repository has it", ident.Commit(commit).Short(), remoteURL, remoteErr)
	case remoteURL != "":
		return "", fmt.Errorf("commit %s is on no branch or tag of %s (force-pushed away?), and no local repository has it", ident.Commit(commit).Short(), remoteURL)
	}
	return "", fmt.Errorf("commit %s: no remote was recorded, and %s does not have it", ident.Commit(commit).Short(), dir)
}
