package image

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/klauspost/compress/gzip"
)

// BenchmarkLayerCompression compares the layer compressor (pgzip, blocks
// on every core) with single-stream gzip at the same level, on 64 MiB
// that is half random (weights, already-compressed files) and half text.
func BenchmarkLayerCompression(b *testing.B) {
	data := make([]byte, 64<<20)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < len(data)/2; i += 8 {
		v := rng.Uint64()
		for k := 0; k < 8; k++ {
			data[i+k] = byte(v >> (8 * k))
		}
	}
	var text bytes.Buffer
	for i := 0; text.Len() < len(data)/2; i++ {
		fmt.Fprintf(&text, "def layer_%d(x):\n    return x * %d + bias[%d]\n", i, i%97, i%13)
	}
	copy(data[len(data)/2:], text.Bytes())
	for _, c := range []struct {
		name string
		new  func(io.Writer) (io.WriteCloser, error)
	}{
		{"gzip-1", func(w io.Writer) (io.WriteCloser, error) { return gzip.NewWriterLevel(w, gzip.BestSpeed) }},
		{"pgzip-1", newLayerWriter},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for i := 0; i < b.N; i++ {
				w, err := c.new(io.Discard)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := w.Write(data); err != nil {
					b.Fatal(err)
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
