// Package testfs writes the file trees tests hash, walk and commit.
package testfs

import (
	"os"
	"path/filepath"
	"testing"
)

// Write writes content to rel ('/'-separated) under root, making its
// directories.
func Write(t testing.TB, root, rel, content string) {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Tree is a new directory holding files (paths '/'-separated), each
// holding "content of " and its path.
func Tree(t testing.TB, files ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range files {
		Write(t, dir, f, "content of "+f)
	}
	return dir
}
