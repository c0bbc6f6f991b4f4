package dataset

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reprohq/repro/internal/testfs"
)

// memCache is a HashCache in memory that remembers what each Save put.
type memCache struct {
	m       map[string]CachedFile
	lastPut map[string]CachedFile
	gone    []string
	tree    *TreeState
	loads   int // records read
}

func (c *memCache) Load(_ context.Context, _ string) ([]CachedFile, error) {
	c.loads++
	var out []CachedFile
	for _, v := range c.m {
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b CachedFile) int { return strings.Compare(a.Path, b.Path) })
	return out, nil
}

func (c *memCache) Tree(context.Context, string) (*TreeState, error) {
	if c.tree == nil {
		return nil, nil
	}
	t := *c.tree
	return &t, nil
}

func (c *memCache) Save(_ context.Context, _ string, all []CachedFile, tree *TreeState) error {
	c.tree = nil
	if tree != nil {
		t := *tree
		c.tree = &t
	}
	// What changed since the last save: read again, or forgotten.
	c.lastPut, c.gone = map[string]CachedFile{}, nil
	saved := map[string]bool{}
	for i, v := range all {
		if i > 0 && all[i-1].Path >= v.Path {
			return fmt.Errorf("saved out of path order: %q then %q", all[i-1].Path, v.Path)
		}
		saved[v.Path] = true
		if old, ok := c.m[v.Path]; !ok || old != v {
			c.lastPut[v.Path] = v
		}
	}
	for k := range c.m {
		if !saved[k] {
			c.gone = append(c.gone, k)
		}
	}
	// Through the codec, as the ledger stores it.
	decoded, err := DecodeHashCache(EncodeHashCache(all))
	if err != nil {
		return err
	}
	c.m = map[string]CachedFile{}
	for _, v := range decoded {
		c.m[v.Path] = v
	}
	return nil
}

// TestHashPathWith_Cache: unchanged files are not read again, and every kind
// of change is noticed, forged mtimes included; the cached answer equals
// the uncached one every time.
func TestHashPathWith_Cache(t *testing.T) {
	ctx := context.Background()
	dir := testfs.Tree(t, "a.txt", "b.txt", "sub/c.txt", "sub/d.txt")
	cache := &memCache{m: map[string]CachedFile{}}
	check := func(step string, wantRead int) {
		t.Helper()
		cache.lastPut = nil
		got, err := HashPathWith(ctx, dir, HashOptions{Cache: cache})
		if err != nil {
			t.Fatal(err)
		}
		plain, err := HashPath(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		if got.Digest != plain.Digest || got.Bytes != plain.Bytes || got.Files != plain.Files {
			t.Fatalf("%s: cached %s (%d files, %d bytes), uncached %s (%d files, %d bytes)", step, got.Digest, got.Files, got.Bytes, plain.Digest, plain.Files, plain.Bytes)
		}
		sameListing(t, step, got, plain)
		if len(cache.lastPut) != wantRead {
			t.Errorf("%s: read %d files, want %d", step, len(cache.lastPut), wantRead)
		}
	}

	// Freshly written files are racy: read again until they have been
	// still for the quiet period.
	check("first", 4)
	check("racy", 4)

	old := quiet
	quiet = 0 // every file below counts as still since it was hashed
	defer func() { quiet = old }()
	check("settled", 0)
	check("unchanged", 0)

	// Same size, content changed, mtime forged back: ctime gives it away.
	p := filepath.Join(dir, "a.txt")
	fi, _ := os.Stat(p)
	time.Sleep(10 * time.Millisecond)
	os.WriteFile(p, []byte("CONTENT OF a.txt"), 0o644)
	os.Chtimes(p, fi.ModTime(), fi.ModTime())
	check("forged mtime", 1)

	// Replaced by an identical copy (a new inode): read again, same digest.
	q := filepath.Join(dir, "sub/c.txt")
	b, _ := os.ReadFile(q)
	fi, _ = os.Stat(q)
	os.WriteFile(q+".new", b, 0o644)
	os.Chtimes(q+".new", fi.ModTime(), fi.ModTime())
	os.Rename(q+".new", q)
	check("replaced", 1)

	// Added and removed files.
	os.WriteFile(filepath.Join(dir, "e.txt"), []byte("new"), 0o644)
	os.Remove(filepath.Join(dir, "b.txt"))
	check("added and removed", 1)
	if len(cache.gone) != 1 || cache.gone[0] != "b.txt" {
		t.Errorf("forgot %v, want [b.txt]", cache.gone)
	}
	check("settled again", 0)
}

// FuzzDecodeHashCache: a damaged cache record is refused, never a panic,
// and what decodes round-trips through the encoder unchanged.
func FuzzDecodeHashCache(f *testing.F) {
	f.Add(EncodeHashCache([]CachedFile{
		{Path: "a/b.txt", State: FileState{Size: 3, MtimeNs: 1, CtimeNs: 2, Ino: 3, Dev: 4}, Sum: [32]byte{0xab, 0xcd}, HashedAtNs: 5},
		{Path: "a/c.txt", State: FileState{Size: -1, MtimeNs: -1 << 62}, HashedAtNs: 1 << 62},
	}))
	f.Add([]byte{1, 200, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		entries, err := DecodeHashCache(b)
		if err != nil {
			return
		}
		back, err := DecodeHashCache(EncodeHashCache(entries))
		if err != nil || !slices.Equal(back, entries) {
			t.Fatalf("round trip: %v, %d entries, want %d", err, len(back), len(entries))
		}
	})
}

// TestDecodeHashCache_Refuses: records out of path order, with a count
// past what they hold, or cut short are damaged.
func TestDecodeHashCache_Refuses(t *testing.T) {
	a := CachedFile{Path: "a"}
	b := CachedFile{Path: "b"}
	good := EncodeHashCache([]CachedFile{a, b})
	if got, err := DecodeHashCache(good); err != nil || len(got) != 2 {
		t.Fatalf("a good record: %v, %v", got, err)
	}
	for name, rec := range map[string][]byte{
		"out of order":  EncodeHashCache([]CachedFile{b, a}),
		"repeated":      EncodeHashCache([]CachedFile{a, a}),
		"cut short":     good[:len(good)-1],
		"huge count":    {1, 0xff, 0xff, 0xff, 0xff, 0x0f},
		"other version": append([]byte{2}, good[1:]...),
	} {
		if _, err := DecodeHashCache(rec); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
}

// damagedCache cannot load its record, as when the record is damaged.
type damagedCache struct{ memCache }

func (c *damagedCache) Load(context.Context, string) ([]CachedFile, error) {
	return nil, errCacheRecord
}

// TestHashPathWith_DamagedCache: a record that cannot be read costs a full
// read, and is replaced by a good one.
func TestHashPathWith_DamagedCache(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"a.txt", "sub/b.txt"} {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(f)), 0o755)
		os.WriteFile(filepath.Join(dir, f), []byte("content of "+f), 0o644)
	}
	cache := &damagedCache{memCache{m: map[string]CachedFile{}}}
	got, err := HashPathWith(context.Background(), dir, HashOptions{Cache: cache})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := HashPath(context.Background(), dir)
	if err != nil || got.Digest != plain.Digest {
		t.Fatalf("with a damaged cache %s, without %s (%v)", got.Digest, plain.Digest, err)
	}
	if len(cache.m) != 2 {
		t.Errorf("the damaged record was replaced by %d entries, want 2", len(cache.m))
	}
}

// sameListing fails unless got and want list the same files.
func sameListing(t *testing.T, step string, got, want *Version) {
	t.Helper()
	a, err := got.Listing()
	if err != nil {
		t.Fatalf("%s: listing: %v", step, err)
	}
	b, _ := want.Listing()
	if string(a) != string(b) || len(got.List) != len(want.List) {
		t.Fatalf("%s: listing (%d files)\n%s\nwant (%d files)\n%s", step, len(got.List), a, len(want.List), b)
	}
}

// TestHashPathWith_TreeState: once every file is trusted, an unchanged
// directory is answered from its tree state without reading the per-file
// record; any change to the files, and a record that does not back the
// state up, go the long way, with the same answers as no cache at all.
func TestHashPathWith_TreeState(t *testing.T) {
	ctx := context.Background()
	dir := testfs.Tree(t, "a.txt", "b.txt", "sub/c.txt", "sub/d/e.txt")
	cache := &memCache{m: map[string]CachedFile{}}
	hash := func(step string, wantLoads int, wantTree bool) *Version {
		t.Helper()
		cache.loads = 0
		got, err := HashPathWith(ctx, dir, HashOptions{Cache: cache})
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if cache.loads != wantLoads {
			t.Errorf("%s: read the record %d times, want %d", step, cache.loads, wantLoads)
		}
		if (cache.tree != nil) != wantTree {
			t.Errorf("%s: tree state saved %v, want %v", step, cache.tree != nil, wantTree)
		}
		plain, err := HashPath(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		if got.Digest != plain.Digest || got.Bytes != plain.Bytes || got.Files != plain.Files || got.Kind != plain.Kind {
			t.Fatalf("%s: cached %+v, uncached %+v", step, got, plain)
		}
		if cache.tree != nil && cache.tree.Digest != plain.Digest {
			t.Fatalf("%s: tree state says %s, the files %s", step, cache.tree.Digest, plain.Digest)
		}
		return got
	}

	hash("racy files: no tree state", 1, false)
	old := quiet
	quiet = 0
	defer func() { quiet = old }()
	hash("settled: the tree state is saved", 1, true)
	v := hash("unchanged: from the tree state", 0, true)
	if v.List != nil {
		t.Errorf("unchanged: listed %d files before asked", len(v.List))
	}
	plain, _ := HashPath(ctx, dir)
	sameListing(t, "listing on demand", v, plain)
	if cache.loads != 1 {
		t.Errorf("listing on demand read the record %d times, want 1", cache.loads)
	}

	// Same size, content changed, mtime forged back.
	p := filepath.Join(dir, "sub/c.txt")
	fi, _ := os.Stat(p)
	time.Sleep(10 * time.Millisecond)
	os.WriteFile(p, []byte("CONTENT OF sub/c.txt"), 0o644)
	os.Chtimes(p, fi.ModTime(), fi.ModTime())
	hash("forged mtime", 1, true)
	hash("unchanged again", 0, true)

	// Removed, added, renamed: each changes the tree.
	os.Remove(filepath.Join(dir, "b.txt"))
	hash("removed", 1, true)
	os.WriteFile(filepath.Join(dir, "f.txt"), []byte("new"), 0o644)
	hash("added", 1, true)
	os.Rename(filepath.Join(dir, "f.txt"), filepath.Join(dir, "g.txt"))
	hash("renamed", 1, true)
	hash("unchanged at last", 0, true)

	// A record that does not back the tree state up (one digest damaged):
	// the digest comes from the tree state, which the files still match;
	// the listing is read again from the files, and the cache repaired.
	e := cache.m["a.txt"]
	e.Sum[0] ^= 0xff
	cache.m["a.txt"] = e
	v = hash("damaged record", 0, true)
	plain, _ = HashPath(ctx, dir)
	sameListing(t, "damaged record, listing", v, plain)
	if cache.m["a.txt"].Sum == e.Sum {
		t.Errorf("the damaged record was not repaired")
	}

	// Racy files again: the tree state is dropped until they settle.
	quiet = time.Hour
	os.WriteFile(filepath.Join(dir, "h.txt"), []byte("fresh"), 0o644)
	hash("racy again", 1, false)
}
