package provenance

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"sort"
	"strings"
)

// hashCacheVersion starts every encoded cache record.
const hashCacheVersion = 1

// EncodeHashCache writes cache entries compactly: per file, its path,
// state and hash time as varints, and the 32 digest bytes, in path order.
func EncodeHashCache(entries map[string]CachedDigest) []byte {
	names := make([]string, 0, len(entries))
	for k := range entries {
		names = append(names, k)
	}
	sort.Strings(names)
	buf := make([]byte, 0, len(entries)*96+8)
	buf = binary.AppendUvarint(buf, hashCacheVersion)
	buf = binary.AppendUvarint(buf, uint64(len(names)))
	for _, n := range names {
		e := entries[n]
		sum, err := hex.DecodeString(strings.TrimPrefix(e.Digest, "sha256:"))
		if err != nil || len(sum) != 32 {
			continue
		}
		buf = binary.AppendUvarint(buf, uint64(len(n)))
		buf = append(buf, n...)
		for _, v := range []int64{e.State.Size, e.State.MtimeNs, e.State.CtimeNs, int64(e.State.Ino), int64(e.State.Dev), e.HashedAtNs} {
			buf = binary.AppendVarint(buf, v)
		}
		buf = append(buf, sum...)
	}
	return buf
}

var errCacheRecord = errors.New("damaged hash cache record")

// DecodeHashCache reads what EncodeHashCache wrote.
func DecodeHashCache(b []byte) (map[string]CachedDigest, error) {
	v, n := binary.Uvarint(b)
	if n <= 0 || v != hashCacheVersion {
		return nil, errCacheRecord
	}
	b = b[n:]
	count, n := binary.Uvarint(b)
	if n <= 0 || count > uint64(len(b)) {
		return nil, errCacheRecord
	}
	b = b[n:]
	out := make(map[string]CachedDigest, count)
	for i := uint64(0); i < count; i++ {
		l, n := binary.Uvarint(b)
		if n <= 0 || l > uint64(len(b)-n) {
			return nil, errCacheRecord
		}
		name := string(b[n : n+int(l)])
		b = b[n+int(l):]
		var vals [6]int64
		for j := range vals {
			x, n := binary.Varint(b)
			if n <= 0 {
				return nil, errCacheRecord
			}
			vals[j], b = x, b[n:]
		}
		if len(b) < 32 {
			return nil, errCacheRecord
		}
		out[name] = CachedDigest{
			State:  FileState{Size: vals[0], MtimeNs: vals[1], CtimeNs: vals[2], Ino: uint64(vals[3]), Dev: uint64(vals[4])},
			Digest: "sha256:" + hex.EncodeToString(b[:32]), HashedAtNs: vals[5],
		}
		b = b[32:]
	}
	return out, nil
}
