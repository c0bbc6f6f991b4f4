package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/spf13/cobra/doc"
)

// TestDocs keeps docs/cli, the command reference, identical to what the
// commands' own help says. REPRO_UPDATE=1 (make docs) rewrites it.
func TestDocs(t *testing.T) {
	root := newRootCmd()
	root.DisableAutoGenTag = true
	tmp := t.TempDir()
	if err := doc.GenMarkdownTree(root, tmp); err != nil {
		t.Fatal(err)
	}
	want := filepath.Join("..", "..", "docs", "cli")
	if os.Getenv("REPRO_UPDATE") == "1" {
		if err := os.RemoveAll(want); err != nil {
			t.Fatal(err)
		}
		if err := os.CopyFS(want, os.DirFS(tmp)); err != nil {
			t.Fatal(err)
		}
		return
	}
	generated, _ := filepath.Glob(filepath.Join(tmp, "*.md"))
	committed, _ := filepath.Glob(filepath.Join(want, "*.md"))
	if len(generated) != len(committed) {
		t.Fatalf("docs/cli has %d pages, the commands give %d; run make docs", len(committed), len(generated))
	}
	for _, g := range generated {
		got, _ := os.ReadFile(g)
		have, err := os.ReadFile(filepath.Join(want, filepath.Base(g)))
		if err != nil || string(have) != string(got) {
			t.Errorf("docs/cli/%s is out of date; run make docs", filepath.Base(g))
		}
	}
}
