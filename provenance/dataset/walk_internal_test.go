package dataset

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// FuzzFileBeforeDir: a file sorts before a sibling directory's paths
// exactly when it sorts before the directory's name and a slash.
func FuzzFileBeforeDir(f *testing.F) {
	for _, c := range [][2]string{{"a", "a0"}, {"a.txt", "a"}, {"a0", "a"}, {"ab", "a"}, {"a", "ab"}, {"a-b", "a"}, {"", "x"}} {
		f.Add(c[0], c[1])
	}
	f.Fuzz(func(t *testing.T, file, dir string) {
		if strings.Contains(file, "/") || strings.Contains(dir, "/") || file == dir {
			return // names have no slash, and siblings differ
		}
		if got, want := fileBeforeDir(file, dir), file < dir+"/"; got != want {
			t.Fatalf("fileBeforeDir(%q, %q) = %v, want %v", file, dir, got, want)
		}
	})
}

// TestListTree_PathOrder: random trees whose names differ in the bytes
// around '/' list in plain byte order of their paths, whatever order the
// walk met them in.
func TestListTree_PathOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "b", ".", "-", "0", "A", "_", "ab", "a.", "a-", "a0", "\xff"}
	for round := range 20 {
		root := t.TempDir()
		var want []string
		for range 60 {
			depth := 1 + rng.IntN(3)
			parts := make([]string, depth)
			for i := range parts {
				parts[i] = alphabet[rng.IntN(len(alphabet))] + alphabet[rng.IntN(len(alphabet))]
			}
			if slices.Contains(parts, "..") {
				continue // not a name: the parent directory
			}
			rel := strings.Join(parts, "/")
			p := filepath.Join(root, rel)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				continue // a file is in the way: skip this one
			}
			if err := os.WriteFile(p, []byte(rel), 0o644); err != nil {
				continue // a directory is in the way
			}
			want = append(want, rel)
		}
		slices.Sort(want)
		want = slices.Compact(want)
		for _, withState := range []bool{false, true} {
			tr, err := listTree(context.Background(), root, withState)
			if err != nil {
				t.Fatal(err)
			}
			files, states := tr.flatten()
			var got []string
			for _, f := range files {
				got = append(got, f.Path)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("round %d: listed\n%q\nwant\n%q", round, got, want)
			}
			if withState && (len(states) != len(files) || tr.files != int64(len(files))) {
				t.Fatalf("round %d: %d states, %d counted, %d files", round, len(states), tr.files, len(files))
			}
			for i, st := range states {
				fi, _ := os.Lstat(filepath.Join(root, files[i].Path))
				if st.Size != fi.Size() || st.MtimeNs != fi.ModTime().UnixNano() {
					t.Fatalf("%s: state %+v, file size %d mtime %v", files[i].Path, st, fi.Size(), fi.ModTime())
				}
			}
		}
	}
}

// FuzzCompareDirs: sibling directories compare as their names and a slash.
func FuzzCompareDirs(f *testing.F) {
	for _, c := range [][2]string{{"a-a", "a-a-"}, {"a", "a0"}, {"a", "a."}, {"ab", "a"}, {"x", "x"}} {
		f.Add(c[0], c[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if strings.Contains(a, "/") || strings.Contains(b, "/") {
			return
		}
		if got, want := compareDirs(a, b), strings.Compare(a+"/", b+"/"); got != want {
			t.Fatalf("compareDirs(%q, %q) = %d, want %d", a, b, got, want)
		}
	})
}
