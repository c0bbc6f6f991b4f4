package provenance

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// memCache is a HashCache in memory that remembers what each Update put.
type memCache struct {
	m       map[string]CachedDigest
	lastPut map[string]CachedDigest
	gone    []string
}

func (c *memCache) Load(_ context.Context, _ string) (map[string]CachedDigest, error) {
	out := map[string]CachedDigest{}
	for k, v := range c.m {
		out[k] = v
	}
	return out, nil
}

func (c *memCache) Save(_ context.Context, _ string, all map[string]CachedDigest) error {
	// What changed since the last save: read again, or forgotten.
	c.lastPut, c.gone = map[string]CachedDigest{}, nil
	for k, v := range all {
		if old, ok := c.m[k]; !ok || old != v {
			c.lastPut[k] = v
		}
	}
	for k := range c.m {
		if _, ok := all[k]; !ok {
			c.gone = append(c.gone, k)
		}
	}
	// Through the codec, as the ledger stores it.
	decoded, err := DecodeHashCache(EncodeHashCache(all))
	if err != nil {
		return err
	}
	c.m = decoded
	return nil
}

// TestHashPathWith_Cache: unchanged files are not read again, and every kind
// of change is noticed, forged mtimes included; the cached answer equals
// the uncached one every time.
func TestHashPathWith_Cache(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, f := range []string{"a.txt", "b.txt", "sub/c.txt", "sub/d.txt"} {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(f)), 0o755)
		os.WriteFile(filepath.Join(dir, f), []byte("content of "+f), 0o644)
	}
	cache := &memCache{m: map[string]CachedDigest{}}
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
		if got.Digest != plain.Digest || got.Bytes != plain.Bytes {
			t.Fatalf("%s: cached %s (%d bytes), uncached %s (%d bytes)", step, got.Digest, got.Bytes, plain.Digest, plain.Bytes)
		}
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
// and what decodes re-encodes to the same bytes.
func FuzzDecodeHashCache(f *testing.F) {
	f.Add(EncodeHashCache(map[string]CachedDigest{
		"a/b.txt": {State: FileState{Size: 3, MtimeNs: 1, CtimeNs: 2, Ino: 3, Dev: 4}, Digest: "sha256:" + strings.Repeat("ab", 32), HashedAtNs: 5},
	}))
	f.Add([]byte{1, 200, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeHashCache(b)
		if err != nil {
			return
		}
		again, err := DecodeHashCache(EncodeHashCache(m))
		if err != nil || len(again) != len(m) {
			t.Fatalf("round trip: %v, %d entries, want %d", err, len(again), len(m))
		}
		for k, v := range m {
			if again[k] != v {
				t.Fatalf("round trip changed %q", k)
			}
		}
	})
}
