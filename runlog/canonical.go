package runlog

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
)

// appendCanonical appends the JSON encoding of c, byte for byte what
// encoding/json's Marshal gives for a canonicalV1 (the definition; the
// tests compare the two on arbitrary runs), written field by field: the
// chain hashes every run twice, and reflection was most of verify's time.
// ok is false when c holds a value this encoder does not write (a
// non-finite metric), for the caller to fall back to Marshal.
func appendCanonical(b []byte, c *canonicalV1) (_ []byte, ok bool) {
	for _, v := range c.Metrics {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return b, false
		}
	}
	b = append(b, `{"v":`...)
	b = strconv.AppendInt(b, int64(c.V), 10)
	b = appendKeyString(b, "id", c.ID)
	b = appendKeyString(b, "name", c.Name)
	b = appendKeyString(b, "status", c.Status)
	b = append(b, `,"exit_code":`...)
	if c.ExitCode == nil {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendInt(b, int64(*c.ExitCode), 10)
	}
	b = appendKeyString(b, "signal", c.Signal)
	b = appendKeyBool(b, "oom_killed", c.OOMKilled)
	b = appendKeyString(b, "error", c.Error)
	b = appendKeyString(b, "image", c.Image)
	b = appendKeyString(b, "image_repo", c.ImageRepo)
	b = appendKeyString(b, "image_tag", c.ImageTag)
	b = appendKeyString(b, "image_digest", c.ImageDigest)
	b = appendKeyString(b, "image_index_digest", c.ImageIndexDigest)
	b = appendKeyString(b, "image_config_digest", c.ImageConfigDigest)
	b = appendKeyString(b, "image_platform", c.ImagePlatform)
	b = appendKeyString(b, "code_dir", c.CodeDir)
	b = appendKeyString(b, "commit", c.Commit)
	b = appendKeyString(b, "branch", c.Branch)
	b = appendKeyString(b, "remote", c.Remote)
	b = appendKeyBool(b, "dirty", c.Dirty)
	b = append(b, `,"changed_files":`...)
	b = appendStrings(b, c.ChangedFiles)
	b = appendKeyBool(b, "code_mount", c.CodeMount)
	b = appendKeyString(b, "code_tree", c.CodeTree)
	b = appendKeyString(b, "code_patch", c.PatchDigest)
	b = append(b, `,"argv":`...)
	b = appendStrings(b, c.Argv)
	b = appendKeyString(b, "workdir", c.Workdir)
	b = appendKeyString(b, "memory", c.Memory)
	b = appendKeyString(b, "gpu_request", c.GPUs)
	b = append(b, `,"env":`...)
	if c.Env == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, e := range c.Env {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"name":`...)
			b = appendString(b, e.Name)
			if e.Value != "" {
				b = appendKeyString(b, "value", e.Value)
			}
			if e.Secret {
				b = append(b, `,"secret":true`...)
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"datasets":`...)
	if c.Data == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, d := range c.Data {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"name":`...)
			b = appendString(b, d.Name)
			b = appendKeyString(b, "path", d.Path)
			b = appendKeyString(b, "kind", d.Kind)
			b = appendKeyString(b, "digest", d.Digest)
			b = appendKeyInt(b, "files", d.Files)
			b = appendKeyInt(b, "bytes", d.Bytes)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = appendKeyString(b, "out_dir", c.OutDir)
	b = appendKeyString(b, "outputs_digest", c.OutputsDigest)
	b = append(b, `,"outputs":`...)
	if c.Outputs == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, o := range c.Outputs {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"path":`...)
			b = appendString(b, o.Path)
			b = appendKeyString(b, "digest", o.Digest)
			b = appendKeyInt(b, "bytes", o.Bytes)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"metrics":`...)
	b = appendMetrics(b, c.Metrics)
	b = append(b, `,"host":{"user":`...)
	b = appendString(b, c.Host.User)
	b = appendKeyString(b, "hostname", c.Host.Hostname)
	b = appendKeyString(b, "os", c.Host.OS)
	b = appendKeyString(b, "arch", c.Host.Arch)
	b = append(b, `,"gpus":`...)
	if c.Host.GPUs == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, g := range c.Host.GPUs {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"model":`...)
			b = appendString(b, g.Model)
			b = appendKeyString(b, "driver", g.Driver)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `},"engine":{"name":`...)
	b = appendString(b, c.Engine.Name)
	b = appendKeyString(b, "version", c.Engine.Version)
	b = append(b, `,"command":`...)
	b = appendStrings(b, c.Engine.Command)
	b = append(b, '}')
	b = appendKeyString(b, "repro_version", c.ReproVersion)
	b = appendKeyString(b, "started_at", c.StartedAt)
	b = appendKeyString(b, "finished_at", c.FinishedAt)
	b = appendKeyString(b, "rerun_of", c.RerunOf)
	return append(b, '}'), true
}

func appendKeyString(b []byte, key, s string) []byte {
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return appendString(b, s)
}

func appendKeyBool(b []byte, key string, v bool) []byte {
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return strconv.AppendBool(b, v)
}

func appendKeyInt(b []byte, key string, v int64) []byte {
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return strconv.AppendInt(b, v, 10)
}

func appendStrings(b []byte, ss []string) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

// appendString writes s as encoding/json does: printable ASCII other than
// the characters it escapes is copied; anything else (control characters,
// HTML's <>&, non-ASCII, invalid UTF-8) goes through Marshal itself.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if !copied[s[i]] {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// copied is the bytes appendString copies as they are (a table: half the
// time of comparing each byte with the seven cases; verify encodes every
// run twice).
var copied = func() (t [256]bool) {
	for c := 0x20; c <= 0x7e; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendMetrics writes the metrics map as encoding/json does: keys in
// order, numbers in its float format.
func appendMetrics(b []byte, m map[string]float64) []byte {
	if m == nil {
		return append(b, "null"...)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		b = appendFloat(b, m[k])
	}
	return append(b, '}')
}

// appendFloat is encoding/json's float64 format: the shortest decimal,
// in exponent form below 1e-6 and from 1e21, with a one-digit negative
// exponent written without its leading zero.
func appendFloat(b []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// decodeStrings sets *v to the JSON array of strings s, as json.Unmarshal
// does. The arrays repro writes (argv, changed files) are read without
// reflection; any other text (escapes, spaces, non-ASCII) goes through
// Unmarshal itself.
func decodeStrings(s string, v *[]string) error {
	if out, ok := plainStrings(s); ok {
		*v = out
		return nil
	}
	return json.Unmarshal([]byte(s), v)
}

// plainStrings reads s, an array of strings of printable ASCII without
// quotes or backslashes and no space between tokens; ok is false for
// anything else.
func plainStrings(s string) (out []string, ok bool) {
	if s == "null" {
		return nil, true
	}
	if len(s) < 2 || s[0] != '[' || s[len(s)-1] != ']' {
		return nil, false
	}
	out = []string{}
	for i := 1; i < len(s)-1; {
		if len(out) > 0 {
			if s[i] != ',' {
				return nil, false
			}
			i++
		}
		str, n, ok := plainString(s[i : len(s)-1])
		if !ok {
			return nil, false
		}
		out = append(out, str)
		i += n
	}
	return out, true
}

// plainString reads a quoted string of printable ASCII without quotes or
// backslashes at the start of s, and how many bytes it took.
func plainString(s string) (_ string, n int, ok bool) {
	if len(s) < 2 || s[0] != '"' {
		return "", 0, false
	}
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			return s[1:i], i + 1, true
		case c < 0x20 || c > 0x7e || c == '\\':
			return "", 0, false
		}
	}
	return "", 0, false
}

// decodeMetrics sets *v to the JSON object s of numbers, as json.Unmarshal
// does; like decodeStrings, what repro writes is read without reflection.
func decodeMetrics(s string, v *map[string]float64) error {
	if out, ok := plainMetrics(s); ok {
		*v = out
		return nil
	}
	return json.Unmarshal([]byte(s), v)
}

// plainMetrics reads s, an object of plain strings (see plainString) to
// JSON numbers, with no space between tokens; ok is false for anything
// else, a number out of float64's range among it.
func plainMetrics(s string) (out map[string]float64, ok bool) {
	if s == "null" {
		return nil, true
	}
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return nil, false
	}
	out = map[string]float64{}
	body := s[1 : len(s)-1]
	for i := 0; i < len(body); {
		if len(out) > 0 {
			if body[i] != ',' {
				return nil, false
			}
			i++
		}
		key, n, ok := plainString(body[i:])
		if !ok {
			return nil, false
		}
		i += n
		if i >= len(body) || body[i] != ':' {
			return nil, false
		}
		i++
		n = numberLen(body[i:])
		if n == 0 {
			return nil, false
		}
		f, err := strconv.ParseFloat(body[i:i+n], 64)
		if err != nil {
			return nil, false
		}
		out[key] = f
		i += n
	}
	return out, true
}

// numberLen is the length of the JSON number at the start of s (0: none):
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func numberLen(s string) int {
	i := 0
	digits := func() int {
		j := i
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
		return i - j
	}
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && '1' <= s[i] && s[i] <= '9':
		digits()
	default:
		return 0
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return 0
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return 0
		}
	}
	return i
}
