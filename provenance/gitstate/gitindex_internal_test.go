package gitstate

import (
	"bytes"
	"crypto/sha1"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/reprohq/repro/internal/testfs"

	"github.com/go-git/go-git/v5/plumbing/format/index"
)

// runGit runs git in dir, for building index files.
func runGit(t testing.TB, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.invalid",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.invalid", "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

// indexFiles builds repositories whose index files cover what git writes:
// each version, extended flags, long names, conflicts, a valid and an
// invalidated cached tree. It returns each case's index file.
func indexFiles(t testing.TB) map[string][]byte {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is missing")
	}
	base := func(t testing.TB) string {
		dir := t.TempDir()
		runGit(t, dir, "init", "-q", "-b", "main")
		testfs.Write(t, dir, "train.py", "print(1)\n")
		testfs.Write(t, dir, "conf/a.yaml", "a\n")
		testfs.Write(t, dir, "conf/b/c.yaml", "c\n")
		testfs.Write(t, dir, "data sets/é.csv", "x\n")
		if err := os.Symlink("train.py", filepath.Join(dir, "link.py")); err != nil {
			t.Fatal(err)
		}
		testfs.Write(t, dir, "run.sh", "#!/bin/sh\n")
		os.Chmod(filepath.Join(dir, "run.sh"), 0o755)
		runGit(t, dir, "add", "-A")
		runGit(t, dir, "commit", "-qm", "init")
		return dir
	}
	cases := map[string]func(t testing.TB, dir string){
		"v2 after commit (valid cached tree)": func(t testing.TB, dir string) {},
		"v2, cached tree invalidated": func(t testing.TB, dir string) {
			testfs.Write(t, dir, "conf/a.yaml", "b\n")
			runGit(t, dir, "add", "conf/a.yaml")
		},
		"v3: intent to add": func(t testing.TB, dir string) {
			testfs.Write(t, dir, "new.py", "x")
			runGit(t, dir, "add", "-N", "new.py")
		},
		"v3: skip-worktree": func(t testing.TB, dir string) { runGit(t, dir, "update-index", "--skip-worktree", "train.py") },
		"v4":                func(t testing.TB, dir string) { runGit(t, dir, "update-index", "--index-version", "4") },
		"v4 with intent to add": func(t testing.TB, dir string) {
			runGit(t, dir, "update-index", "--index-version", "4")
			testfs.Write(t, dir, "conf/b/new.py", "x")
			runGit(t, dir, "add", "-N", "conf/b/new.py")
		},
		"long name": func(t testing.TB, dir string) {
			// A path longer than the 12-bit name length holds (only in
			// the index: no file system takes a path that long).
			long := strings.Repeat(strings.Repeat("d", 200)+"/", 22) + "f.txt"
			runGit(t, dir, "update-index", "--add", "--cacheinfo", "100644,e69de29bb2d1d6434b8b29ae775ad8c2e48c5391,"+long)
		},
		"conflict": func(t testing.TB, dir string) {
			runGit(t, dir, "checkout", "-q", "-b", "other")
			testfs.Write(t, dir, "train.py", "print(2)\n")
			runGit(t, dir, "commit", "-qam", "other")
			runGit(t, dir, "checkout", "-q", "main")
			testfs.Write(t, dir, "train.py", "print(3)\n")
			runGit(t, dir, "commit", "-qam", "main")
			cmd := exec.Command("git", "merge", "-q", "other")
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.invalid",
				"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.invalid", "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
			cmd.Run() // fails: the conflict is the point
		},
	}
	out := map[string][]byte{}
	for name, change := range cases {
		dir := base(t)
		change(t, dir)
		b, err := os.ReadFile(filepath.Join(dir, ".git", "index"))
		if err != nil {
			t.Fatal(err)
		}
		out[name] = b
	}
	return out
}

// goGitIndex decodes with go-git's own decoder.
func goGitIndex(data []byte) (*index.Index, error) {
	idx := &index.Index{}
	return idx, index.NewDecoder(bytes.NewReader(data)).Decode(idx)
}

func sameIndex(t *testing.T, name string, got, want *index.Index) {
	t.Helper()
	if got.Version != want.Version {
		t.Errorf("%s: version %d, go-git %d", name, got.Version, want.Version)
	}
	if !reflect.DeepEqual(got.Entries, want.Entries) {
		t.Errorf("%s: entries differ from go-git's:\n%v\nwant\n%v", name, got.Entries, want.Entries)
	}
	if !reflect.DeepEqual(got.Cache, want.Cache) {
		t.Errorf("%s: cached tree %+v, go-git %+v", name, got.Cache, want.Cache)
	}
}

// TestDecodeIndex_MatchesGoGit decodes index files git wrote and checks
// every field against go-git's decoder.
func TestDecodeIndex_MatchesGoGit(t *testing.T) {
	for name, data := range indexFiles(t) {
		want, err := goGitIndex(data)
		if err != nil {
			t.Fatalf("%s: go-git: %v", name, err)
		}
		got, ok := decodeIndex(data)
		if !ok {
			t.Errorf("%s: not decoded (left to go-git)", name)
			continue
		}
		sameIndex(t, name, got, want)
		if name == "conflict" && !hasStage(got) {
			t.Errorf("%s: no conflict stages decoded", name)
		}
	}
}

func hasStage(idx *index.Index) bool {
	for _, e := range idx.Entries {
		if e.Stage != 0 {
			return true
		}
	}
	return false
}

// TestDecodeIndex_LeavesToGoGit checks that what this decoder does not
// read is refused, so that go-git's decoder gives the answer.
func TestDecodeIndex_LeavesToGoGit(t *testing.T) {
	files := indexFiles(t)
	good := files["v2 after commit (valid cached tree)"]
	withSum := func(body []byte) []byte {
		sum := sha1.Sum(body)
		return append(append([]byte{}, body...), sum[:]...)
	}
	body := good[:len(good)-sha1.Size]
	tests := map[string][]byte{
		"checksum wrong":  append(append([]byte{}, body...), make([]byte, sha1.Size)...),
		"truncated":       good[:len(good)/2],
		"version 5":       withSum(append([]byte("DIRC\x00\x00\x00\x05"), body[8:]...)),
		"required ext":    withSum(append(append([]byte{}, body...), "link\x00\x00\x00\x00"...)),
		"REUC extension":  withSum(append(append([]byte{}, body...), "REUC\x00\x00\x00\x00"...)),
		"short extension": withSum(append(append([]byte{}, body...), "TRE"...)),
		"empty":           nil,
	}
	for name, data := range tests {
		if _, ok := decodeIndex(data); ok {
			t.Errorf("%s: decoded, want it left to go-git", name)
		}
	}
	// An optional extension go-git skips is skipped here too.
	data := withSum(append(append([]byte{}, body...), "UNTR\x00\x00\x00\x03abc"...))
	got, ok := decodeIndex(data)
	if !ok {
		t.Fatal("an optional extension was not skipped")
	}
	want, err := goGitIndex(data)
	if err != nil {
		t.Fatal(err)
	}
	sameIndex(t, "optional extension", got, want)
}

// FuzzDecodeIndex: whatever this decoder accepts, go-git's decoder reads
// the same way. The input is an index file's body; the fuzz target adds
// the right checksum, so that the decoders get past it.
func FuzzDecodeIndex(f *testing.F) {
	for _, data := range indexFiles(f) {
		f.Add(data[:len(data)-sha1.Size])
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		sum := sha1.Sum(body)
		data := append(append([]byte{}, body...), sum[:]...)
		got, ok := decodeIndex(data)
		if !ok {
			return
		}
		want, err := goGitIndex(data)
		if err != nil {
			t.Fatalf("decoded here, go-git refuses: %v", err)
		}
		sameIndex(t, "fuzzed", got, want)
	})
}
