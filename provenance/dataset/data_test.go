package dataset_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/reprohq/repro/internal/testfs"

	"github.com/reprohq/repro/provenance/dataset"
)

// coreutilsDigest runs the pipeline DESIGN.md defines a directory's
// version by.
func coreutilsDigest(t *testing.T, dir string) string {
	t.Helper()
	if _, err := exec.LookPath("sha256sum"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("sha256sum (coreutils) is missing")
		}
		t.Skip("sha256sum (coreutils) is missing")
	}
	cmd := exec.Command("sh", "-c", `find . -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 -r sha256sum -- | sha256sum`)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("coreutils pipeline: %v", err)
	}
	return "sha256:" + strings.Fields(string(out))[0]
}

func TestHashPath_MatchesCoreutils(t *testing.T) {
	tests := map[string][]string{
		"plain":         {"a.txt", "b/c.txt", "b/d/e.bin"},
		"sort order":    {"B", "a", "a.b", "a-b", "a0/b", "ab", "Z/z", "_"},
		"spaces":        {"with space.txt", "dir with space/f"},
		"leading dash":  {"-rf", "--help", "-/x"},
		"backslash":     {`back\slash`, `dir\/x`},
		"newline":       {"new\nline", "dir\nx/y"},
		"carriage":      {"car\rriage"},
		"unicode":       {"données/été.csv", "日本/データ"},
		"not utf-8":     {"bad\xff\xfename"},
		"empty file":    {"empty"},
		"quotes glob":   {`it's "q" $(id) *.txt`},
		"deep and wide": manyDirs(),
	}
	for name, files := range tests {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			for i, f := range files {
				content := strings.Repeat(f, i)
				testfs.Write(t, dir, f, content)
			}
			v, err := dataset.HashPath(context.Background(), dir)
			if err != nil {
				t.Fatal(err)
			}
			if want := coreutilsDigest(t, dir); v.Digest != want {
				listing, _ := v.Listing()
				t.Errorf("HashPath = %s, coreutils = %s\nlisting:\n%s", v.Digest, want, listing)
			}
			if v.Files != int64(len(files)) || v.Kind != "dir" {
				t.Errorf("files %d kind %s, want %d dir", v.Files, v.Kind, len(files))
			}
		})
	}
}

// manyDirs names files in a tree walked by many workers at once: 300
// sibling directories, and one chain 40 deep.
func manyDirs() []string {
	var files []string
	for i := 0; i < 300; i++ {
		files = append(files, fmt.Sprintf("wide/d%d/f", i))
	}
	deep := "deep"
	for i := 0; i < 40; i++ {
		deep += fmt.Sprintf("/%d", i)
		files = append(files, deep+".txt")
	}
	return files
}

func TestHashPath_SymlinksAndSpecials(t *testing.T) {
	dir := t.TempDir()
	testfs.Write(t, dir, "real.txt", "data")
	outside := t.TempDir()
	testfs.Write(t, outside, "secret.txt", "outside the dataset")
	if err := os.Symlink(filepath.Join(outside, "secret.txt"), filepath.Join(dir, "link-out")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "dirlink")); err != nil {
		t.Fatal(err)
	}
	v, err := dataset.HashPath(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	listing, err := v.Listing()
	if err != nil {
		t.Fatal(err)
	}
	if v.Files != 1 || bytes.Contains(listing, []byte("secret")) {
		t.Errorf("links were followed: %d files, listing:\n%s", v.Files, listing)
	}
	if want := coreutilsDigest(t, dir); v.Digest != want {
		t.Errorf("HashPath = %s, coreutils = %s", v.Digest, want)
	}
	// A dataset given through a symlink to a directory is that directory.
	link := filepath.Join(t.TempDir(), "data")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	if v2, err := dataset.HashPath(context.Background(), link); err != nil || v2.Digest != v.Digest {
		t.Errorf("through a link: %v, %v; want %s", v2, err, v.Digest)
	}
}

func TestHashPath_FileAndEmpty(t *testing.T) {
	dir := t.TempDir()
	testfs.Write(t, dir, "f", "hello\n")
	v, err := dataset.HashPath(context.Background(), filepath.Join(dir, "f"))
	if err != nil {
		t.Fatal(err)
	}
	// sha256("hello\n")
	if v.Kind != "file" || v.Digest != "sha256:5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03" || v.Bytes != 6 {
		t.Errorf("file version = %+v", v)
	}
	empty := t.TempDir()
	v, err = dataset.HashPath(context.Background(), empty)
	if err != nil {
		t.Fatal(err)
	}
	if want := coreutilsDigest(t, empty); v.Digest != want || v.Files != 0 {
		t.Errorf("empty dir = %s, coreutils %s", v.Digest, want)
	}
	if _, err := dataset.HashPath(context.Background(), filepath.Join(dir, "missing")); err == nil {
		t.Error("HashPath of a missing path succeeded")
	}
}

// FuzzHashPath_Names: any file name the filesystem accepts gives the
// digest coreutils gives.
func FuzzHashPath_Names(f *testing.F) {
	for _, s := range []string{"a", "a\nb", `\`, "-x", "é", "\xff", "a\rb", " "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\x00") || len(name) > 200 {
			return
		}
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(name), 0o644); err != nil {
			return
		}
		testfs.Write(t, dir, "zz", "other")
		v, err := dataset.HashPath(context.Background(), dir)
		if name == "-" {
			if err == nil {
				t.Fatal("a top-level file named '-' was accepted")
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if want := coreutilsDigest(t, dir); v.Digest != want {
			t.Fatalf("name %q: HashPath %s, coreutils %s", name, v.Digest, want)
		}
	})
}

func TestHashPathWith_Progress(t *testing.T) {
	dir := t.TempDir()
	for i := 0; i < 1500; i++ {
		testfs.Write(t, dir, fmt.Sprintf("d%d/f%d", i%7, i), "x")
	}
	var calls, last, total int
	var mu sync.Mutex
	v, err := dataset.HashPathWith(context.Background(), dir, dataset.HashOptions{Progress: func(done, n int) {
		mu.Lock()
		defer mu.Unlock()
		if done < last {
			t.Errorf("progress went back from %d to %d", last, done)
		}
		calls, last, total = calls+1, done, n
	}})
	if err != nil {
		t.Fatal(err)
	}
	if calls < 2 || last != 1500 || total != 1500 || v.Files != 1500 {
		t.Errorf("%d calls, last %d of %d, %d files", calls, last, total, v.Files)
	}
}
