package fastfs

import (
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reprohq/repro/internal/testfs"

	"golang.org/x/sys/unix"
)

// Hashing leaves the files' access times alone where the kernel allows
// (a control file read the ordinary way shows that this file system would
// have updated them).
func TestFileHasher_KeepsAccessTime(t *testing.T) {
	root := testfs.Tree(t, "d/hashed", "d/control")
	old := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	now := time.Now()
	for _, f := range []string{"hashed", "control"} {
		if err := os.Chtimes(filepath.Join(root, "d", f), old, now); err != nil {
			t.Fatal(err)
		}
	}
	atime := func(f string) time.Time {
		var st unix.Stat_t
		if err := unix.Stat(filepath.Join(root, "d", f), &st); err != nil {
			t.Fatal(err)
		}
		return time.Unix(st.Atim.Unix())
	}
	if _, err := os.ReadFile(filepath.Join(root, "d", "control")); err != nil {
		t.Fatal(err)
	}
	if atime("control").Equal(old) {
		t.Skip("this file system does not update access times on read (noatime)")
	}
	fh := NewFileHasher(root)
	defer fh.Close()
	if _, _, err := fh.Hash("d/hashed"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := HashFileSum(filepath.Join(root, "d", "hashed")); err != nil {
		t.Fatal(err)
	}
	if got := atime("hashed"); !got.Equal(old) {
		t.Errorf("access time after hashing: %v, want it left at %v", got, old)
	}
}

// Where O_NOATIME is refused (not the file's owner), files are read the
// ordinary way, and the refusal is not asked for again.
func TestFileHasher_NoAtimeRefused(t *testing.T) {
	root := testfs.Tree(t, "a/one", "a/two")
	calls := 0
	openat = func(dirfd int, path string, flags int, mode uint32) (int, error) {
		calls++
		if flags&unix.O_NOATIME != 0 {
			return -1, unix.EPERM
		}
		return unix.Openat(dirfd, path, flags, mode)
	}
	t.Cleanup(func() { openat = unix.Openat })
	fh := NewFileHasher(root)
	defer fh.Close()
	for i, rel := range []string{"a/one", "a/two"} {
		sum, _, err := fh.Hash(rel)
		if err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		if sum != sha256.Sum256([]byte("content of "+rel)) {
			t.Errorf("%s: wrong digest", rel)
		}
		if want := []int{2, 3}[i]; calls != want {
			t.Errorf("after %s: %d opens, want %d (the refusal asked once)", rel, calls, want)
		}
	}
	// A refusal that is not about O_NOATIME stays an error.
	openat = func(int, string, int, uint32) (int, error) { return -1, unix.EPERM }
	if _, _, err := HashFileSum(filepath.Join(root, "a", "one")); !errors.Is(err, unix.EPERM) || !strings.Contains(err.Error(), filepath.Join(root, "a", "one")) {
		t.Errorf("got %v, want EPERM naming the file", err)
	}
}
