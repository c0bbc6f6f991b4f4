package trust_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"

	"github.com/reprohq/repro/trust"
)

func TestLoadOrCreate(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	path := filepath.Join(t.TempDir(), "config", "repro", "key")
	if _, err := trust.Load(path); !errors.Is(err, trust.ErrNoKey) {
		t.Fatalf("Load before creation: %v, want ErrNoKey", err)
	}
	// Many processes' first use at once agree on one key.
	keys := make([]*trust.Key, 8)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k, err := trust.LoadOrCreate(path)
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		}()
	}
	wg.Wait()
	for _, k := range keys[1:] {
		if k == nil || keys[0] == nil || !bytes.Equal(k.PublicKey(), keys[0].PublicKey()) {
			t.Fatal("concurrent first uses made different keys")
		}
	}
	for p, want := range map[string]os.FileMode{path: 0o600, filepath.Dir(path): 0o700} {
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, %v; want %v under umask 000", p, fi.Mode().Perm(), err, want)
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("left behind: %v", entries)
	}
	// The public half round-trips through the PEM colleagues pass to --key.
	pub, err := trust.ParsePublicKey(keys[0].PublicPEM())
	if err != nil || !bytes.Equal(pub, keys[0].PublicKey()) {
		t.Fatalf("ParsePublicKey(PublicPEM): %v", err)
	}
	sig := keys[0].Sign([]byte("head"))
	if !ed25519.Verify(pub, []byte("head"), sig) {
		t.Fatal("signature does not verify with the public key")
	}
	// A private key others can read is refused.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := trust.Load(path); err == nil {
		t.Fatal("a world-readable private key was accepted")
	}
	if _, err := trust.ParsePublicKey([]byte("not pem")); err == nil {
		t.Fatal("ParsePublicKey accepted garbage")
	}
}
