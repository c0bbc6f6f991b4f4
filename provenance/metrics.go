package provenance

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
)

// MaxMetricsFile bounds how much of a metrics.json is read.
const MaxMetricsFile = 1 << 20

// ReadMetrics reads the numbers in a trainer's metrics.json: a JSON object
// whose number values (nested objects flattened with '.', as in
// eval.accuracy) are the run's metrics. Other values are ignored.
//
// The file is input written by a container: it is opened without
// following a symlink and without blocking on a FIFO, must be a regular
// file, and at most MaxMetricsFile bytes of it are read.
func ReadMetrics(path string) (map[string]float64, error) {
	f, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxMetricsFile+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(b) > MaxMetricsFile {
		return nil, fmt.Errorf("%s is larger than %d bytes; metrics are a small JSON object", path, MaxMetricsFile)
	}
	var obj map[string]any
	if err := json.Unmarshal(b, &obj); err != nil {
		return nil, fmt.Errorf("%s is not a JSON object: %w", path, err)
	}
	out := map[string]float64{}
	flatten("", obj, out)
	return out, nil
}

// openRegular opens path for reading only if it is a regular file, not
// a symlink (to anything), FIFO, socket or device.
func openRegular(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|openNoFollow, 0)
	if err != nil {
		if isSymlinkRefusal(err) {
			return nil, fmt.Errorf("%s is a symbolic link; repro reads only regular files a container wrote", path)
		}
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s is a %s, not a regular file; repro reads only regular files a container wrote", path, fileKind(fi.Mode()))
	}
	return f, nil
}

func fileKind(m os.FileMode) string {
	switch {
	case m&os.ModeNamedPipe != 0:
		return "FIFO"
	case m&os.ModeSocket != 0:
		return "socket"
	case m&os.ModeDevice != 0:
		return "device"
	case m.IsDir():
		return "directory"
	}
	return "special file"
}

func flatten(prefix string, obj map[string]any, out map[string]float64) {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch v := obj[k].(type) {
		case float64:
			out[prefix+k] = v
		case map[string]any:
			flatten(prefix+k+".", v, out)
		}
	}
}
