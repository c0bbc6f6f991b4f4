package gitstate_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/reprohq/repro/provenance/gitstate"
)

// BenchmarkCaptureCode reads a clean repository of 20,000 tracked files in
// 200 directories, the size the code capture target is set for.
func BenchmarkCaptureCode(b *testing.B) {
	dir := b.TempDir()
	for i := 0; i < 20000; i++ {
		p := filepath.Join(dir, fmt.Sprintf("d%d", i/100), fmt.Sprintf("f%d.py", i))
		if i%100 == 0 {
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				b.Fatal(err)
			}
		}
		if err := os.WriteFile(p, []byte(fmt.Sprintf("x = %d\n", i)), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	git(b, dir, "init", "-q")
	git(b, dir, "add", "-A")
	git(b, dir, "commit", "-qm", "init")
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c, err := gitstate.CaptureCode(ctx, dir)
		if err != nil {
			b.Fatal(err)
		}
		if c.Dirty {
			b.Fatalf("a clean tree reads as dirty: %v", c.Changed)
		}
	}
}
