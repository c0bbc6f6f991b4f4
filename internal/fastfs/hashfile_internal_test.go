package fastfs

import (
	"crypto/sha256"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reprohq/repro/internal/testfs"
)

// A hasher that keeps directories open gives each file's own digest,
// across directory changes and back, and names the whole path when a file
// or its directory went away after the walk.
func TestFileHasher(t *testing.T) {
	root := testfs.Tree(t, "top", "a/one", "a/two", "a/b/deep", "c/three", "gone/four")
	fh := NewFileHasher(root)
	defer fh.Close()
	for _, rel := range []string{"a/one", "a/two", "a/b/deep", "a/two", "top", "c/three", "a/one"} {
		sum, n, err := fh.Hash(rel)
		if err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		want := "content of " + rel
		if sum != sha256.Sum256([]byte(want)) || n != int64(len(want)) {
			t.Errorf("%s: got %x (%d bytes), want the digest of %q", rel, sum, n, want)
		}
	}
	// The file removed from the directory held open.
	if err := os.Remove(filepath.Join(root, "a", "one")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := fh.Hash("a/two"); err != nil {
		t.Fatal(err)
	}
	_, _, err := fh.Hash("a/one")
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), filepath.Join(root, "a", "one")) {
		t.Errorf("a removed file: got %v, want not-exist naming its whole path", err)
	}
	// A directory replaced by a file.
	if err := os.RemoveAll(filepath.Join(root, "gone")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "gone"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err = fh.Hash("gone/four"); err == nil || !strings.Contains(err.Error(), filepath.Join(root, "gone", "four")) {
		t.Errorf("a directory that became a file: got %v, want an error naming the whole path", err)
	}
}
