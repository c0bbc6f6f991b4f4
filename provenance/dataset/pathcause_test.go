package dataset_test

import (
	"errors"
	"io/fs"
	"strings"
	"syscall"
	"testing"

	"github.com/reprohq/repro/provenance/dataset"
)

func TestPathCause(t *testing.T) {
	deep := "/data/" + strings.Repeat("d/", 2100) + "f"
	tests := []struct {
		name, root string
		err        error
		want       string
	}{
		{"the root itself", "/data", &fs.PathError{Op: "open", Path: "/data", Err: syscall.ENOENT}, "no such file or directory"},
		{"below the root", "/data", &fs.PathError{Op: "open", Path: "/data/a/b.bin", Err: syscall.EACCES}, "open a/b.bin: permission denied"},
		{"deeper than PATH_MAX", "/data", &fs.PathError{Op: "open", Path: deep, Err: syscall.ENAMETOOLONG}, "open d/d/d/"},
		{"not a path error", "/data", errors.New("other"), "other"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := dataset.PathCause(tt.root, tt.err).Error()
			if !strings.Contains(got, tt.want) {
				t.Fatalf("PathCause = %q, want it to contain %q", got, tt.want)
			}
			if len(got) > 300 {
				t.Fatalf("PathCause = %d bytes; a long path is shortened", len(got))
			}
		})
	}
	got := dataset.PathCause("/data", &fs.PathError{Op: "open", Path: deep, Err: syscall.ENAMETOOLONG}).Error()
	if !strings.Contains(got, "a path of 4201 bytes") || !strings.HasSuffix(got, "file name too long") {
		t.Fatalf("deep path: %q", got)
	}
}
