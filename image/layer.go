package image

import (
	"archive/tar"
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/pgzip"
	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"

	"github.com/reprohq/repro/provenance/dataset"
)

// LayerStats describes a context layer.
type LayerStats struct {
	Files   int64
	Bytes   int64
	Links   int64
	Ignored int64
}

// WriteContextTar writes the context directory as a tar stream under dest
// (an absolute path in the image): entries in a fixed order, every time set
// to epoch, owner 0:0, modes normalised to 0755/0644, no host names, so the
// same files give the same bytes. .dockerignore is honoured and .git is
// always left out (see walkContext). Symlinks are
// stored as links and never followed; files are opened through an os.Root,
// so nothing outside the context can be read.
func WriteContextTar(w io.Writer, contextDir, dest string, epoch time.Time) (LayerStats, error) {
	var st LayerStats
	dest = path.Clean("/" + filepath.ToSlash(dest))
	root, err := os.OpenRoot(contextDir)
	if err != nil {
		return st, fmt.Errorf("build context %s: %w", contextDir, dataset.PathCause(contextDir, err))
	}
	defer root.Close()
	pm, err := ignoreMatcher(root)
	if err != nil {
		return st, err
	}
	tw := tar.NewWriter(w)
	epoch = epoch.UTC().Truncate(time.Second)
	header := func(name string, typ byte, mode int64) *tar.Header {
		return &tar.Header{Typeflag: typ, Name: name, Mode: mode, ModTime: epoch, Format: tar.FormatPAX}
	}
	// The directories leading to dest.
	prefix := strings.TrimPrefix(dest, "/")
	if prefix != "" {
		parts := strings.Split(prefix, "/")
		for i := range parts {
			if err := tw.WriteHeader(header(strings.Join(parts[:i+1], "/")+"/", tar.TypeDir, 0o755)); err != nil {
				return st, err
			}
		}
	}
	join := func(rel string) string {
		if prefix == "" {
			return rel
		}
		return prefix + "/" + rel
	}
	st.Ignored, err = walkContext(root, pm, func(rel string, d fs.DirEntry) error {
		switch t := d.Type(); {
		case t.IsDir():
			return tw.WriteHeader(header(join(rel)+"/", tar.TypeDir, 0o755))
		case t&fs.ModeSymlink != 0:
			target, err := root.Readlink(rel)
			if err != nil {
				return err
			}
			h := header(join(rel), tar.TypeSymlink, 0o777)
			h.Linkname = target
			st.Links++
			return tw.WriteHeader(h)
		case t.IsRegular():
			f, err := root.Open(rel)
			if err != nil {
				return err
			}
			defer f.Close()
			fi, err := f.Stat()
			if err != nil {
				return err
			}
			if !fi.Mode().IsRegular() {
				return fmt.Errorf("%s changed while the context was read", rel)
			}
			mode := int64(0o644)
			if fi.Mode().Perm()&0o111 != 0 {
				mode = 0o755
			}
			h := header(join(rel), tar.TypeReg, mode)
			h.Size = fi.Size()
			if err := tw.WriteHeader(h); err != nil {
				return err
			}
			n, err := io.Copy(tw, io.LimitReader(f, fi.Size()))
			if err != nil {
				return err
			}
			if n != fi.Size() {
				return fmt.Errorf("%s shrank while the context was read", rel)
			}
			st.Files++
			st.Bytes += n
		}
		// Sockets, devices and pipes have no place in an image layer.
		return nil
	})
	if err != nil {
		return st, fmt.Errorf("build context %s: %w", contextDir, err)
	}
	return st, tw.Close()
}

// walkContext calls fn for every entry of the context that goes into an
// image, in lexical order, and returns how many it left out (see
// leftOut; pm is the context's .dockerignore, nil: none).
func walkContext(root *os.Root, pm *patternmatcher.PatternMatcher, fn func(rel string, d fs.DirEntry) error) (ignored int64, err error) {
	err = fs.WalkDir(root.FS(), ".", func(rel string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if rel == "." {
			return nil
		}
		left, err := leftOut(pm, rel)
		if err != nil {
			return err
		}
		if left {
			ignored++
			// A directory .dockerignore excludes may hold a file a !rule
			// lets back in; nothing under a .git comes back.
			if d.IsDir() && (d.Name() == ".git" || pm == nil || !pm.Exclusions()) {
				return fs.SkipDir
			}
			return nil
		}
		return fn(rel, d)
	})
	return ignored, err
}

// leftOut says whether the context entry rel (slash-separated) stays out
// of an image: a .git and everything under it (a repository's history and
// config, which can hold credentials, are never part of an image), and
// what .dockerignore (pm, nil: none) excludes.
func leftOut(pm *patternmatcher.PatternMatcher, rel string) (bool, error) {
	if rel == ".git" || strings.HasPrefix(rel, ".git/") || strings.HasSuffix(rel, "/.git") || strings.Contains(rel, "/.git/") {
		return true, nil
	}
	if pm == nil {
		return false, nil
	}
	skip, err := pm.MatchesOrParentMatches(rel)
	if err != nil {
		return false, fmt.Errorf(".dockerignore: %w", err)
	}
	return skip, nil
}

// NewestModTime is the newest modification time of the regular files the
// context puts into an image (zero: it has none).
func NewestModTime(contextDir string) (time.Time, error) {
	root, err := os.OpenRoot(contextDir)
	if err != nil {
		return time.Time{}, fmt.Errorf("build context %s: %w", contextDir, dataset.PathCause(contextDir, err))
	}
	defer root.Close()
	pm, err := ignoreMatcher(root)
	if err != nil {
		return time.Time{}, err
	}
	var newest time.Time
	_, err = walkContext(root, pm, func(rel string, d fs.DirEntry) error {
		if !d.Type().IsRegular() {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if fi.ModTime().After(newest) {
			newest = fi.ModTime()
		}
		return nil
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("build context %s: %w", contextDir, err)
	}
	return newest, nil
}

func ignoreMatcher(root *os.Root) (*patternmatcher.PatternMatcher, error) {
	f, err := root.Open(".dockerignore")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf(".dockerignore: %w", err)
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf(".dockerignore: %w", err)
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return nil, fmt.Errorf(".dockerignore: %w", err)
	}
	return pm, nil
}

// fileLayer is a gzip-compressed layer in a temporary file whose digests
// were computed while it was written: the context is read, archived,
// hashed and compressed in one pass, and never again.
type fileLayer struct {
	path      string
	digest    v1.Hash // of the compressed bytes
	diffID    v1.Hash // of the tar
	size      int64
	mediaType types.MediaType
}

func (l *fileLayer) Digest() (v1.Hash, error)            { return l.digest, nil }
func (l *fileLayer) DiffID() (v1.Hash, error)            { return l.diffID, nil }
func (l *fileLayer) Size() (int64, error)                { return l.size, nil }
func (l *fileLayer) MediaType() (types.MediaType, error) { return l.mediaType, nil }
func (l *fileLayer) Compressed() (io.ReadCloser, error)  { return os.Open(l.path) }

func (l *fileLayer) Uncompressed() (io.ReadCloser, error) {
	f, err := os.Open(l.path)
	if err != nil {
		return nil, err
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return readCloser{zr, func() error { zr.Close(); return f.Close() }}, nil
}

type readCloser struct {
	io.Reader
	close func() error
}

func (r readCloser) Close() error { return r.close() }

// writeLayer archives the context (one goroutine) while compressing it
// (another), so both cores work; gzip level 1 from klauspost/compress,
// which is several times faster than the standard library's and gives the
// same bytes for the same input every time.
func writeLayer(contextDir, dest string, epoch time.Time, mt types.MediaType) (*fileLayer, LayerStats, error) {
	f, err := os.CreateTemp("", "repro-layer-*.tar.gz")
	if err != nil {
		return nil, LayerStats{}, err
	}
	l := &fileLayer{path: f.Name(), mediaType: mt}
	fail := func(err error) (*fileLayer, LayerStats, error) {
		f.Close()
		os.Remove(l.path)
		return nil, LayerStats{}, err
	}
	pr, pw := io.Pipe()
	tarHash := sha256.New()
	var stats LayerStats
	done := make(chan error, 1)
	go func() {
		bw := bufio.NewWriterSize(io.MultiWriter(pw, tarHash), 1<<20)
		st, err := WriteContextTar(bw, contextDir, dest, epoch)
		if err == nil {
			err = bw.Flush()
		}
		stats = st
		pw.CloseWithError(err)
		done <- err
	}()
	gzHash := sha256.New()
	counter := &countWriter{w: io.MultiWriter(f, gzHash)}
	zw, err := newLayerWriter(counter)
	if err != nil {
		pr.CloseWithError(err)
		<-done
		return fail(err)
	}
	if _, err := io.Copy(zw, pr); err != nil {
		pr.CloseWithError(err)
		<-done
		return fail(err)
	}
	if err := <-done; err != nil {
		return fail(err)
	}
	if err := zw.Close(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		return fail(err)
	}
	l.size = counter.n
	l.digest = v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(gzHash.Sum(nil))}
	l.diffID = v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(tarHash.Sum(nil))}
	return l, stats, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// newLayerWriter compresses a layer: gzip level 1, in blocks of 1 MiB
// compressed on every core (pgzip), which gives the same bytes for the
// same input every time.
func newLayerWriter(w io.Writer) (io.WriteCloser, error) {
	zw, err := pgzip.NewWriterLevel(w, pgzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	if err := zw.SetConcurrency(1<<20, 2*runtime.GOMAXPROCS(0)); err != nil {
		return nil, err
	}
	return zw, nil
}
