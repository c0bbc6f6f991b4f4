package dataset

import (
	"encoding/binary"
	"errors"
)

// hashCacheVersion starts every encoded cache record.
const hashCacheVersion = 1

// EncodeHashCache writes cache entries compactly: per file, its path,
// state and hash time as varints, and the 32 digest bytes. The entries
// must be in path order, as HashCache gives and takes them.
func EncodeHashCache(entries []CachedFile) []byte {
	buf := make([]byte, 0, len(entries)*96+8)
	buf = binary.AppendUvarint(buf, hashCacheVersion)
	buf = binary.AppendUvarint(buf, uint64(len(entries)))
	for i := range entries {
		e := &entries[i]
		buf = binary.AppendUvarint(buf, uint64(len(e.Path)))
		buf = append(buf, e.Path...)
		for _, v := range [...]int64{e.State.Size, e.State.MtimeNs, e.State.CtimeNs, int64(e.State.Ino), int64(e.State.Dev), e.HashedAtNs} {
			buf = binary.AppendVarint(buf, v)
		}
		buf = append(buf, e.Sum[:]...)
	}
	return buf
}

var errCacheRecord = errors.New("damaged hash cache record")

// DecodeHashCache reads what EncodeHashCache wrote. Paths are sliced from
// one copy of the record; entries out of path order are a damaged record.
func DecodeHashCache(b []byte) ([]CachedFile, error) {
	text := string(b)
	v, n := binary.Uvarint(b)
	if n <= 0 || v != hashCacheVersion {
		return nil, errCacheRecord
	}
	pos := n
	count, n := binary.Uvarint(b[pos:])
	const minEntry = 1 + 6 + 32 // an empty path, six one-byte varints, the digest
	if n <= 0 || count > uint64(len(b)/minEntry) {
		return nil, errCacheRecord
	}
	pos += n
	out := make([]CachedFile, count)
	for i := range out {
		l, n := binary.Uvarint(b[pos:])
		if n <= 0 || l > uint64(len(b)-pos-n) {
			return nil, errCacheRecord
		}
		pos += n
		e := &out[i]
		e.Path = text[pos : pos+int(l)]
		pos += int(l)
		if i > 0 && e.Path <= out[i-1].Path {
			return nil, errCacheRecord
		}
		var vals [6]int64
		for j := range vals {
			x, n := binary.Varint(b[pos:])
			if n <= 0 {
				return nil, errCacheRecord
			}
			vals[j] = x
			pos += n
		}
		if len(b)-pos < 32 {
			return nil, errCacheRecord
		}
		e.State = FileState{Size: vals[0], MtimeNs: vals[1], CtimeNs: vals[2], Ino: uint64(vals[3]), Dev: uint64(vals[4])}
		e.HashedAtNs = vals[5]
		copy(e.Sum[:], b[pos:])
		pos += 32
	}
	return out, nil
}
