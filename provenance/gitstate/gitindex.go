package gitstate

import (
	"bytes"
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"time"
	"unsafe"

	"github.com/reprohq/repro/internal/fastfs"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/index"
)

// readIndex reads the repository's index into go-git's types. go-git's
// own decoder reads each field of each entry through reflection and
// allocates every entry on its own: for 20,000 files, about 20 ms, more
// than the rest of the status. This one maps the file (as git does; read
// when it cannot be mapped), keeps the entries in one slice and their
// names in the file's bytes, and checks the trailing SHA-1 beside the
// decoding. Whatever it does not read exactly as go-git would (a version
// other than 2-4, an extension other than TREE or an optional one,
// anything out of place) goes to go-git's decoder, so the result is
// always go-git's. The entries' names may point into the mapping: release
// unmaps it, after which none of them may be used.
func readIndex(repo *git.Repository) (idx *index.Index, release func(), err error) {
	release = func() {}
	fs := gitDirFS(repo)
	if fs == nil {
		idx, err = repo.Storer.Index()
		return idx, release, err
	}
	data, fi, unmap, mapped := fastfs.MapFile(filepath.Join(fs.Root(), "index"))
	if !mapped {
		f, err := fs.Open("index")
		if err != nil {
			idx, err = repo.Storer.Index() // no index yet, or unreadable: go-git's answer
			return idx, release, err
		}
		defer f.Close()
		if fi, err = fs.Stat("index"); err != nil {
			idx, err = repo.Storer.Index()
			return idx, release, err
		}
		data = make([]byte, fi.Size())
		if _, err := io.ReadFull(f, data); err != nil {
			idx, err = repo.Storer.Index()
			return idx, release, err
		}
	}
	idx, required, ok := decodeIndexExt(data)
	if !ok {
		if mapped {
			unmap()
		}
		idx, err := repo.Storer.Index()
		if err != nil && required != "" {
			return nil, release, unreadableIndex(required, err)
		}
		return idx, release, err
	}
	idx.ModTime = fi.ModTime()
	if mapped {
		release = unmap
	}
	return idx, release, nil
}

const (
	indexEntryHeader = 62 // ctime, mtime, dev, ino, mode, uid, gid, size (4 bytes each), hash (20), flags (2)
	indexExtended    = 0x4000
	indexNameMask    = 0xfff
	indexSkipWT      = 0x4000 // in the extended flags
	indexIntentToAdd = 0x2000
)

// decodeIndex decodes a whole index file, or says it cannot (ok false).
func decodeIndex(data []byte) (idx *index.Index, ok bool) {
	idx, _, ok = decodeIndexExt(data)
	return idx, ok
}

// decodeIndexExt is decodeIndex that also names the required extension
// it stopped at, if that is why it could not decode the index.
func decodeIndexExt(data []byte) (idx *index.Index, required string, ok bool) {
	const trailer = sha1.Size
	if len(data) < 12+trailer || !bytes.Equal(data[:4], []byte("DIRC")) {
		return nil, "", false
	}
	body := data[:len(data)-trailer]
	// The checksum is computed beside the decoding.
	sumOK := make(chan bool, 1)
	go func() {
		sum := sha1.Sum(body)
		sumOK <- bytes.Equal(sum[:], data[len(body):])
	}()
	defer func() {
		if !<-sumOK {
			idx, required, ok = nil, "", false
		}
	}()
	version := binary.BigEndian.Uint32(body[4:])
	if version < 2 || version > 4 {
		return nil, "", false
	}
	count := int(binary.BigEndian.Uint32(body[8:]))
	if count > len(body)/indexEntryHeader { // more entries than could fit
		return nil, "", false
	}
	idx = &index.Index{Version: version}
	if count > 0 { // (go-git leaves an empty index's entries nil)
		idx.Entries = make([]*index.Entry, count)
	}
	entries := make([]index.Entry, count)
	// Names of versions 2 and 3 are sliced from the body itself, which
	// is never written to (decodeIndex's callers hand it over).
	text := ""
	if version < 4 {
		text = unsafe.String(&body[0], len(body))
	}
	pos := 12
	prev := ""
	for i := range entries {
		start := pos
		if pos+indexEntryHeader > len(body) {
			return nil, "", false
		}
		e := &entries[i]
		u := func(k int) uint32 { return binary.BigEndian.Uint32(body[pos+4*k:]) }
		if sec, nsec := u(0), u(1); sec != 0 || nsec != 0 {
			e.CreatedAt = time.Unix(int64(sec), int64(nsec))
		}
		if sec, nsec := u(2), u(3); sec != 0 || nsec != 0 {
			e.ModifiedAt = time.Unix(int64(sec), int64(nsec))
		}
		e.Dev, e.Inode, e.Mode, e.UID, e.GID, e.Size = u(4), u(5), filemode.FileMode(u(6)), u(7), u(8), u(9)
		copy(e.Hash[:], body[pos+40:pos+60])
		flags := binary.BigEndian.Uint16(body[pos+60:])
		pos += indexEntryHeader
		e.Stage = index.Stage(flags>>12) & 0x3
		if flags&indexExtended != 0 {
			if pos+2 > len(body) {
				return nil, "", false
			}
			ext := binary.BigEndian.Uint16(body[pos:])
			pos += 2
			e.IntentToAdd, e.SkipWorktree = ext&indexIntentToAdd != 0, ext&indexSkipWT != 0
		}
		if version == 4 {
			strip, n := indexVarint(body[pos:])
			if n <= 0 || strip > uint64(len(prev)) || i == 0 && strip > 0 {
				return nil, "", false
			}
			pos += n
			end := bytes.IndexByte(body[pos:], 0)
			if end < 0 {
				return nil, "", false
			}
			e.Name = prev[:len(prev)-int(strip)] + string(body[pos:pos+end])
			pos += end + 1
		} else {
			header := pos - start
			nameLen := int(flags & indexNameMask)
			consumed := nameLen
			if nameLen == indexNameMask {
				end := bytes.IndexByte(body[pos:], 0)
				if end < 0 {
					return nil, "", false
				}
				nameLen, consumed = end, end+1
			}
			if pos+nameLen > len(body) {
				return nil, "", false
			}
			e.Name = text[pos : pos+nameLen]
			// Padding to a multiple of 8 with 1 to 8 NULs, counted as go-git
			// counts it (a long name's NUL is part of it).
			pad := 8 - (header+nameLen)%8 - (consumed - nameLen)
			pos += consumed + max(pad, 0)
			if pos > len(body) {
				return nil, "", false
			}
		}
		prev = e.Name
		idx.Entries[i] = e
	}
	// Extensions, up to the trailer.
	for pos < len(body) {
		if pos+8 > len(body) {
			return nil, "", false
		}
		sig := body[pos : pos+4]
		size := int(binary.BigEndian.Uint32(body[pos+4:]))
		pos += 8
		if size > len(body)-pos {
			return nil, "", false
		}
		ext := body[pos : pos+size]
		pos += size
		switch {
		case string(sig) == "TREE" && idx.Cache == nil:
			if idx.Cache, ok = decodeCachedTree(ext); !ok {
				return nil, "", false
			}
		case string(sig) == "TREE", string(sig) == "REUC", string(sig) == "EOIE":
			return nil, "", false // decoded by go-git, not here
		case sig[0] < 'A' || sig[0] > 'Z':
			return nil, string(sig), false // required, and unknown to go-git too: its error
		}
	}
	return idx, "", true
}

// indexVarint decodes the offset varint git uses in index version 4.
func indexVarint(b []byte) (uint64, int) {
	if len(b) == 0 {
		return 0, 0
	}
	c := b[0]
	v := uint64(c & 0x7f)
	n := 1
	for c&0x80 != 0 {
		if n >= len(b) || v >= (1<<63-1-0x7f)>>7 {
			return 0, 0
		}
		c = b[n]
		n++
		v = (v+1)<<7 | uint64(c&0x7f)
	}
	return v, n
}

// decodeCachedTree decodes the TREE extension: per directory, its path,
// entry count, subtree count and (when valid) tree hash. Invalidated
// entries are dropped, as go-git drops them.
func decodeCachedTree(b []byte) (*index.Tree, bool) {
	t := &index.Tree{}
	for len(b) > 0 {
		nul := bytes.IndexByte(b, 0)
		if nul < 0 {
			return nil, false
		}
		sp := bytes.IndexByte(b[nul:], ' ')
		if sp < 0 {
			return nil, false
		}
		sp += nul
		nl := bytes.IndexByte(b[sp:], '\n')
		if nl < 0 {
			return nil, false
		}
		nl += sp
		entries, err1 := strconv.Atoi(string(b[nul+1 : sp]))
		trees, err2 := strconv.Atoi(string(b[sp+1 : nl]))
		if err1 != nil || err2 != nil {
			return nil, false
		}
		e := index.TreeEntry{Path: string(b[:nul]), Entries: entries, Trees: trees}
		b = b[nl+1:]
		if entries < 0 {
			continue
		}
		if len(b) < len(plumbing.ZeroHash) {
			return nil, false
		}
		copy(e.Hash[:], b)
		b = b[len(plumbing.ZeroHash):]
		t.Entries = append(t.Entries, e)
	}
	return t, true
}

// unreadableIndex explains an index that uses a required extension
// neither go-git nor repro reads, with the way to turn it off.
func unreadableIndex(ext string, err error) error {
	switch ext {
	case "link":
		return fmt.Errorf("its index is split (core.splitIndex), which repro cannot read: run git update-index --no-split-index there (%w)", err)
	case "sdir":
		return fmt.Errorf("its index is a sparse index, which repro cannot read: run git sparse-checkout init --no-sparse-index there (%w)", err)
	}
	return fmt.Errorf("its index uses the extension %q, which repro cannot read (%w)", ext, err)
}
