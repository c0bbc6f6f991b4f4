package provenance

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
)

// MaxMetricsFile bounds how much of a metrics.json is read.
const MaxMetricsFile = 1 << 20

// ReadMetrics reads the numbers in a trainer's metrics.json: a JSON object
// whose number values (nested objects flattened with '.', as in
// eval.accuracy) are the run's metrics. Other values are ignored.
func ReadMetrics(path string) (map[string]float64, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Size() > MaxMetricsFile {
		return nil, fmt.Errorf("%s is larger than %d bytes; metrics are a small JSON object", path, MaxMetricsFile)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var obj map[string]any
	if err := json.Unmarshal(b, &obj); err != nil {
		return nil, fmt.Errorf("%s is not a JSON object: %w", path, err)
	}
	out := map[string]float64{}
	flatten("", obj, out)
	return out, nil
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
