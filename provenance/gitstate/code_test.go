package gitstate_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/reprohq/repro/internal/testfs"

	"github.com/reprohq/repro/provenance/gitstate"
)

func git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	return strings.TrimSpace(gitRaw(t, dir, args...))
}

// gitRaw is git's output as it is (porcelain lines start with a space).
func gitRaw(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.invalid",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.invalid", "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// newRepo makes a repository with a few committed files and an ignore rule.
func newRepo(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is missing")
	}
	dir := t.TempDir()
	git(t, dir, "init", "-q", "-b", "main")
	testfs.Write(t, dir, "train.py", "print('hi')\n")
	testfs.Write(t, dir, "conf/params.yaml", "lr: 0.1\n")
	testfs.Write(t, dir, "run.sh", "#!/bin/sh\n")
	testfs.Write(t, dir, ".gitignore", "*.log\ncache/\n")
	git(t, dir, "add", ".")
	git(t, dir, "commit", "-qm", "init")
	return dir
}

// TestCaptureCode_AgreesWithGit checks dirty detection against the git CLI
// in every case of the work tree that matters.
func TestCaptureCode_AgreesWithGit(t *testing.T) {
	tests := []struct {
		name   string
		change func(t *testing.T, dir string)
	}{
		{"clean", func(t *testing.T, dir string) {}},
		{"modified", func(t *testing.T, dir string) { testfs.Write(t, dir, "train.py", "print('bye')\n") }},
		{"staged", func(t *testing.T, dir string) {
			testfs.Write(t, dir, "conf/params.yaml", "lr: 0.2\n")
			git(t, dir, "add", "conf/params.yaml")
		}},
		{"untracked", func(t *testing.T, dir string) { testfs.Write(t, dir, "new.py", "x") }},
		{"ignored only", func(t *testing.T, dir string) {
			testfs.Write(t, dir, "train.log", "log")
			testfs.Write(t, dir, "cache/x.bin", "bin")
		}},
		{"deleted", func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, "run.sh")) }},
		{"mode change", func(t *testing.T, dir string) { os.Chmod(filepath.Join(dir, "run.sh"), 0o755) }},
		{"touched, unchanged", func(t *testing.T, dir string) {
			future := time.Now().Add(time.Hour)
			os.Chtimes(filepath.Join(dir, "train.py"), future, future)
		}},
		{"rewritten, same bytes", func(t *testing.T, dir string) { testfs.Write(t, dir, "train.py", "print('hi')\n") }},
		{"same size and mtime, new content", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "train.py")
			fi, _ := os.Stat(p)
			testfs.Write(t, dir, "train.py", "print('HI')\n")
			os.Chtimes(p, fi.ModTime(), fi.ModTime())
		}},
		{"nested gitignore", func(t *testing.T, dir string) {
			testfs.Write(t, dir, "conf/.gitignore", "*.tmp\n")
			git(t, dir, "add", "conf/.gitignore")
			git(t, dir, "commit", "-qm", "ignore tmp")
			testfs.Write(t, dir, "conf/x.tmp", "scratch")
		}},
		{"untracked deep", func(t *testing.T, dir string) { testfs.Write(t, dir, "a/b/c/d.txt", "x") }},
		{"empty new directory", func(t *testing.T, dir string) { os.MkdirAll(filepath.Join(dir, "empty/dir"), 0o755) }},
		{"ignored directory with files", func(t *testing.T, dir string) { testfs.Write(t, dir, "cache/a/b.bin", "x") }},
		{"symlink added", func(t *testing.T, dir string) { os.Symlink("train.py", filepath.Join(dir, "link.py")) }},
		{"committed after change", func(t *testing.T, dir string) {
			testfs.Write(t, dir, "train.py", "v2")
			git(t, dir, "commit", "-qam", "v2")
		}},
		{"tracked directory deleted", func(t *testing.T, dir string) {
			commitFiles(t, dir, "lib/a.py", "lib/deep/b.py")
			os.RemoveAll(filepath.Join(dir, "lib"))
		}},
		{"tracked directory now a symlink", func(t *testing.T, dir string) {
			commitFiles(t, dir, "lib/a.py")
			os.RemoveAll(filepath.Join(dir, "lib"))
			os.Symlink("conf", filepath.Join(dir, "lib"))
		}},
		{"tracked file now a directory", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "run.sh"))
			testfs.Write(t, dir, "run.sh/inner.sh", "x")
		}},
		{"tracked files inside an ignored directory", func(t *testing.T, dir string) {
			testfs.Write(t, dir, "cache/kept.txt", "kept")
			git(t, dir, "add", "-f", "cache/kept.txt")
			git(t, dir, "commit", "-qm", "keep one")
			testfs.Write(t, dir, "cache/kept.txt", "changed")
			testfs.Write(t, dir, "cache/other.bin", "ignored")
		}},
		{"index version 4, modified", func(t *testing.T, dir string) {
			commitFiles(t, dir, "lib/a.py", "lib/ab.py", "lib/b/c.py")
			git(t, dir, "update-index", "--index-version", "4")
			testfs.Write(t, dir, "lib/ab.py", "changed")
		}},
		{"intent to add", func(t *testing.T, dir string) {
			testfs.Write(t, dir, "later.py", "x")
			git(t, dir, "add", "-N", "later.py")
		}},
		{"skip-worktree file changed", func(t *testing.T, dir string) {
			git(t, dir, "update-index", "--skip-worktree", "train.py")
			testfs.Write(t, dir, "train.py", "local only")
		}},
		{"nested repository", func(t *testing.T, dir string) {
			testfs.Write(t, dir, "vendor/x/README", "x")
			git(t, filepath.Join(dir, "vendor/x"), "init", "-q")
		}},
		{"name with spaces and unicode", func(t *testing.T, dir string) {
			commitFiles(t, dir, "data sets/é.py")
			testfs.Write(t, dir, "data sets/é.py", "changed")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := newRepo(t)
			tt.change(t, dir)
			porcelain := gitRaw(t, dir, "status", "--porcelain", "-z", "--untracked-files=all")
			code, err := gitstate.CaptureCode(context.Background(), filepath.Join(dir, "conf"))
			if err != nil {
				t.Fatal(err)
			}
			if code.Dirty != (porcelain != "") {
				t.Errorf("Dirty = %v (changed %v), git status --porcelain = %q", code.Dirty, code.Changed, porcelain)
			}
			if want := porcelainPaths(porcelain); strings.Join(code.Changed, " ") != strings.Join(want, " ") {
				t.Errorf("Changed = %v, git status --porcelain names %v", code.Changed, want)
			}
			if code.Commit != git(t, dir, "rev-parse", "HEAD") || code.Branch != "main" {
				t.Errorf("commit %s branch %q", code.Commit, code.Branch)
			}
			if resolved, _ := filepath.EvalSymlinks(dir); code.Dir != dir && code.Dir != resolved {
				t.Errorf("Dir = %s, want %s", code.Dir, dir)
			}
		})
	}
}

func TestCaptureCode_RemoteAndErrors(t *testing.T) {
	dir := newRepo(t)
	git(t, dir, "remote", "add", "origin", "https://bob:ghp_secret@github.com/ml/trainer.git")
	code, err := gitstate.CaptureCode(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if code.Remote != "https://github.com/ml/trainer.git" {
		t.Errorf("Remote = %q, want credentials stripped", code.Remote)
	}
	if _, err := gitstate.CaptureCode(context.Background(), t.TempDir()); !errors.Is(err, gitstate.ErrNoRepo) {
		t.Errorf("outside a repository: %v, want ErrNoRepo", err)
	}
	empty := t.TempDir()
	git(t, empty, "init", "-q")
	if _, err := gitstate.CaptureCode(context.Background(), empty); err == nil || !strings.Contains(err.Error(), "no commit yet") {
		t.Errorf("repository without commits: %v", err)
	}
}

// TestCapturePatch_RoundTrip: the patch of a dirty tree (modified,
// untracked, deleted, binary, mode change) applied to a fresh clone at the
// commit gives exactly the recorded tree, and the repository is untouched.
func TestCapturePatch_RoundTrip(t *testing.T) {
	dir := newRepo(t)
	testfs.Write(t, dir, "train.py", "print('changed')\n")
	testfs.Write(t, dir, "new/untracked.txt", "new file\n")
	testfs.Write(t, dir, "ignored.log", "not part of it")
	os.Remove(filepath.Join(dir, "conf/params.yaml"))
	os.WriteFile(filepath.Join(dir, "weights.bin"), []byte{0, 1, 2, 255, 254, 0, 10, 13}, 0o644)
	os.Chmod(filepath.Join(dir, "run.sh"), 0o755)
	before := git(t, dir, "count-objects")
	indexBefore, _ := os.ReadFile(filepath.Join(dir, ".git", "index"))

	p, err := gitstate.CapturePatch(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Bytes) == 0 || len(p.Tree) != 40 {
		t.Fatalf("patch %d bytes, tree %q", len(p.Bytes), p.Tree)
	}
	if strings.Contains(string(p.Bytes), "not part of it") {
		t.Error("an ignored file is in the patch")
	}
	if git(t, dir, "count-objects") != before {
		t.Error("CapturePatch wrote objects into the repository")
	}
	if indexAfter, _ := os.ReadFile(filepath.Join(dir, ".git", "index")); string(indexAfter) != string(indexBefore) {
		t.Error("CapturePatch changed the repository's index")
	}

	clone := filepath.Join(t.TempDir(), "clone")
	git(t, t.TempDir(), "clone", "-q", dir, clone)
	if err := gitstate.ApplyPatch(context.Background(), clone, p.Bytes, p.Tree); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"train.py", "new/untracked.txt", "weights.bin"} {
		a, _ := os.ReadFile(filepath.Join(dir, f))
		b, _ := os.ReadFile(filepath.Join(clone, f))
		if string(a) != string(b) {
			t.Errorf("%s differs after the patch", f)
		}
	}
	if _, err := os.Stat(filepath.Join(clone, "conf/params.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Error("a deleted file came back")
	}
	// A wrong tree is refused.
	clone2 := filepath.Join(t.TempDir(), "clone2")
	git(t, t.TempDir(), "clone", "-q", dir, clone2)
	if err := gitstate.ApplyPatch(context.Background(), clone2, p.Bytes, strings.Repeat("0", 40)); err == nil || !strings.Contains(err.Error(), "but the run used") {
		t.Errorf("a mismatching tree: %v", err)
	}
}

// commitFiles adds and commits files (each holding its own name).
func commitFiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, n := range names {
		testfs.Write(t, dir, n, n)
	}
	git(t, dir, append([]string{"add", "--"}, names...)...)
	git(t, dir, "commit", "-qm", "add "+strings.Join(names, " "))
}

// porcelainPaths reads the paths out of git status --porcelain -z (with
// untracked files listed one by one; the tests make no renames).
func porcelainPaths(out string) []string {
	var paths []string
	for _, entry := range strings.Split(out, "\x00") {
		if len(entry) > 3 {
			paths = append(paths, entry[3:])
		}
	}
	sort.Strings(paths)
	return paths
}

// TestCaptureCode_LinkedWorktree: a work tree made by git worktree add has
// its own index (under the main repository's .git/worktrees); its state is
// read from there.
func TestCaptureCode_LinkedWorktree(t *testing.T) {
	dir := newRepo(t)
	wt := filepath.Join(t.TempDir(), "wt")
	git(t, dir, "worktree", "add", "-q", "-b", "side", wt)
	testfs.Write(t, wt, "train.py", "print('side')\n")
	git(t, wt, "add", "train.py")
	testfs.Write(t, wt, "notes.txt", "x")
	code, err := gitstate.CaptureCode(context.Background(), wt)
	if err != nil {
		t.Fatal(err)
	}
	want := porcelainPaths(gitRaw(t, wt, "status", "--porcelain", "-z", "--untracked-files=all"))
	if strings.Join(code.Changed, " ") != strings.Join(want, " ") || code.Branch != "side" {
		t.Errorf("Changed = %v on %q, git status names %v on side", code.Changed, code.Branch, want)
	}
	// The main work tree is untouched, and reads clean.
	if main, err := gitstate.CaptureCode(context.Background(), dir); err != nil || main.Dirty {
		t.Errorf("main work tree: %+v, %v", main, err)
	}
}

// TestCaptureCode_SplitIndex: an index neither go-git nor repro reads is
// refused with the command that turns it back into one they do.
func TestCaptureCode_SplitIndex(t *testing.T) {
	dir := newRepo(t)
	git(t, dir, "update-index", "--split-index")
	_, err := gitstate.CaptureCode(context.Background(), dir)
	if err == nil || !strings.Contains(err.Error(), "run git update-index --no-split-index there") || !strings.Contains(err.Error(), dir) {
		t.Fatalf("a split index: %v", err)
	}
	git(t, dir, "update-index", "--no-split-index")
	if code, err := gitstate.CaptureCode(context.Background(), dir); err != nil || code.Dirty {
		t.Fatalf("after --no-split-index: %+v, %v", code, err)
	}
}
