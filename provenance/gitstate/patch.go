package gitstate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Patch is the exact difference between a commit and a dirty work tree:
// tracked changes and untracked, not-ignored files, binary-safe.
type Patch struct {
	Tree  string // the git tree of the work tree as it is
	Bytes []byte // git diff --binary from HEAD to Tree; applies with git apply
}

// CapturePatch records the work tree at dir against HEAD with the git
// CLI. It writes nothing into the repository: the index and the objects it
// needs live in a temporary directory, reading the repository's objects
// through git's alternates.
func CapturePatch(ctx context.Context, dir string) (*Patch, error) {
	tmp, err := os.MkdirTemp("", "repro-patch-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	objects, err := gitOut(ctx, dir, nil, "rev-parse", "--path-format=absolute", "--git-path", "objects")
	if err != nil {
		return nil, err
	}
	env := []string{
		"GIT_INDEX_FILE=" + filepath.Join(tmp, "index"),
		"GIT_OBJECT_DIRECTORY=" + filepath.Join(tmp, "objects"),
		"GIT_ALTERNATE_OBJECT_DIRECTORIES=" + strings.TrimSpace(objects),
	}
	if err := os.MkdirAll(filepath.Join(tmp, "objects"), 0o755); err != nil {
		return nil, err
	}
	if _, err := gitOut(ctx, dir, env, "read-tree", "HEAD"); err != nil {
		return nil, err
	}
	if _, err := gitOut(ctx, dir, env, "add", "--all", "--", ":/"); err != nil {
		return nil, err
	}
	tree, err := gitOut(ctx, dir, env, "write-tree")
	if err != nil {
		return nil, err
	}
	p := &Patch{Tree: strings.TrimSpace(tree)}
	diff, err := gitOut(ctx, dir, env, "-c", "core.quotePath=false", "diff", "--binary", "--full-index", "--no-color", "--no-ext-diff", "--no-textconv", "--no-renames", "HEAD", p.Tree, "--")
	if err != nil {
		return nil, err
	}
	p.Bytes = []byte(diff)
	return p, nil
}

// ApplyPatch applies a patch recorded by CapturePatch to a fresh checkout
// at dir and checks that the result is exactly the recorded tree.
func ApplyPatch(ctx context.Context, dir string, patch []byte, tree string) error {
	if len(patch) > 0 {
		f, err := os.CreateTemp("", "repro-patch-*.diff")
		if err != nil {
			return err
		}
		defer os.Remove(f.Name())
		if _, err := f.Write(patch); err != nil {
			f.Close()
			return err
		}
		f.Close()
		if _, err := gitOut(ctx, dir, nil, "apply", "--binary", "--whitespace=nowarn", f.Name()); err != nil {
			return fmt.Errorf("apply the recorded changes: %w", err)
		}
	}
	if _, err := gitOut(ctx, dir, nil, "add", "--all", "--", ":/"); err != nil {
		return err
	}
	got, err := gitOut(ctx, dir, nil, "write-tree")
	if err != nil {
		return err
	}
	if got = strings.TrimSpace(got); got != tree {
		return fmt.Errorf("the re-created work tree is git tree %s, but the run used %s", got, tree)
	}
	return nil
}

func gitOut(ctx context.Context, dir string, env []string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return "", errors.New("git is not on PATH; it is needed to record uncommitted changes")
		}
		msg := strings.TrimSpace(stderr.String())
		if i := strings.IndexByte(msg, '\n'); i >= 0 {
			msg = msg[:i]
		}
		return "", fmt.Errorf("git %s: %s", args[0], msg)
	}
	return stdout.String(), nil
}

// Checkout clones the first of sources (URLs or paths) that has commit
// into dir and checks the commit out, fetching it by name when no branch
// reaches it.
func Checkout(ctx context.Context, sources []string, commit, dir string) error {
	var tried []string
	for _, src := range sources {
		os.RemoveAll(dir)
		if _, err := gitOut(ctx, "", nil, "clone", "--quiet", "--no-checkout", "--", src, dir); err != nil {
			tried = append(tried, src+" ("+err.Error()+")")
			continue
		}
		if _, err := gitOut(ctx, dir, nil, "cat-file", "-e", commit+"^{commit}"); err != nil {
			if _, err := gitOut(ctx, dir, nil, "fetch", "--quiet", "origin", commit); err != nil {
				tried = append(tried, src+" (no such commit)")
				continue
			}
		}
		if _, err := gitOut(ctx, dir, nil, "-c", "advice.detachedHead=false", "checkout", "--quiet", commit); err != nil {
			tried = append(tried, src+" ("+err.Error()+")")
			continue
		}
		return nil
	}
	return fmt.Errorf("commit %s is not available from %s; set REPRO_CODE to a clone that has it", commit, strings.Join(tried, ", "))
}
