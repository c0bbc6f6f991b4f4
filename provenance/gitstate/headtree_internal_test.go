package gitstate

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/reprohq/repro/internal/testfs"

	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-billy/v5/memfs"
	"github.com/go-git/go-billy/v5/util"
	"github.com/go-git/go-git/v5/plumbing"
)

func gitStdout(t *testing.T, dir string, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git %v: %v", args, err)
	}
	return strings.TrimSpace(string(out))
}

// HEAD's tree hash is git's, whether the commit is loose, packed (read by
// the binary search and the pack scanner, not by go-git's fallback), or
// seen from a linked work tree; every object of the pack is found at the
// offset git's own index reader gives.
func TestCommitTree(t *testing.T) {
	dir := t.TempDir()
	runGit(t, dir, "init", "-q")
	for i := 0; i < 3; i++ {
		for j := 0; j < 50; j++ {
			testfs.Write(t, dir, "d"+strconv.Itoa(j%5)+"/f"+strconv.Itoa(j), strings.Repeat("line\n", i*j+1))
		}
		runGit(t, dir, "add", "-A")
		runGit(t, dir, "commit", "-qm", "commit "+strconv.Itoa(i))
	}
	head := plumbing.NewHash(gitStdout(t, dir, "", "rev-parse", "HEAD"))
	want := plumbing.NewHash(gitStdout(t, dir, "", "rev-parse", "HEAD^{tree}"))
	check := func(step, dir string) {
		t.Helper()
		var fs billy.Filesystem
		if repo, err := openRepo(dir); err == nil {
			fs = gitDirFS(repo)
		}
		if got, err := commitTree(fs, dir, head); err != nil || got != want {
			t.Errorf("%s: got %v, %v; want %v", step, got, err, want)
		}
	}
	check("loose", dir)

	runGit(t, dir, "gc", "-q")
	check("packed", dir)
	repo, err := openRepo(dir)
	if err != nil {
		t.Fatal(err)
	}
	fs := gitDirFS(repo)
	if got, ok := packedCommitTree(fs, head); !ok || got != want {
		t.Errorf("packed, read from the pack: got %v, %v; want %v", got, ok, want)
	}
	idxs, _ := filepath.Glob(filepath.Join(dir, ".git", "objects", "pack", "*.idx"))
	if len(idxs) != 1 {
		t.Fatalf("want one pack after gc, got %v", idxs)
	}
	data, err := os.ReadFile(idxs[0])
	if err != nil {
		t.Fatal(err)
	}
	name := "objects/pack/" + filepath.Base(idxs[0])
	objects := 0
	for _, line := range strings.Split(gitStdout(t, dir, string(data), "show-index"), "\n") {
		f := strings.Fields(line) // offset, hash, (crc)
		wantOff, _ := strconv.ParseInt(f[0], 10, 64)
		off, found, ok := packOffset(fs, name, plumbing.NewHash(f[1]))
		if !ok || !found || off != wantOff {
			t.Errorf("%s: got offset %d (found %v, ok %v), want %d", f[1], off, found, ok, wantOff)
		}
		objects++
		// Its neighbour, one past it, is absent (the search ends between two).
		next := plumbing.NewHash(f[1])
		next[19]++
		if _, found, ok := packOffset(fs, name, next); found || !ok {
			t.Errorf("%s: found %v, ok %v; want not found, ok", next, found, ok)
		}
	}
	if objects < 50 {
		t.Fatalf("only %d objects in the pack", objects)
	}
	if _, found, ok := packOffset(fs, name, plumbing.NewHash(strings.Repeat("ab", 20))); found || !ok {
		t.Errorf("an absent hash: found %v, ok %v; want not found, ok", found, ok)
	}
	blob := plumbing.NewHash(gitStdout(t, dir, "", "rev-parse", "HEAD:d0/f0"))
	off, _, _ := packOffset(fs, name, blob)
	if _, ok := packedTreeLine(fs, strings.TrimSuffix(name, ".idx")+".pack", off); ok {
		t.Error("a blob read as a commit")
	}

	wt := filepath.Join(t.TempDir(), "wt")
	runGit(t, dir, "worktree", "add", "-q", "--detach", wt, "HEAD")
	check("linked work tree", wt)
}

// A damaged pack index or pack is answered "cannot" (go-git then reads
// the commit and reports the damage), never with a panic or a hang.
func FuzzPackOffset(f *testing.F) {
	head := make([]byte, 8+256*4)
	copy(head, []byte{0xff, 't', 'O', 'c', 0, 0, 0, 2})
	f.Add(head, []byte("PACK"), uint8(0))
	for i := 8 + 0xab*4; i < len(head); i += 4 {
		head[i+3] = 1 // one object, in bucket 0xab
	}
	one := append(append([]byte{}, head...), make([]byte, 20+4+4)...)
	copy(one[len(head):], bytes.Repeat([]byte{0xab}, 20))
	f.Add(one, []byte("PACK\x00\x00\x00\x02\x00\x00\x00\x01\x90\x01"), uint8(0xab))
	f.Fuzz(func(t *testing.T, idx, pack []byte, first uint8) {
		fs := memfs.New()
		for name, data := range map[string][]byte{"objects/pack/pack-a.idx": idx, "objects/pack/pack-a.pack": pack} {
			if err := util.WriteFile(fs, name, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		h := plumbing.NewHash(strings.Repeat("ab", 20))
		h[0] = first
		packedCommitTree(fs, h) // returns, whatever it answers
	})
}
