package runlog

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"testing"
)

// canonicalOracle is the definition of the canonical encoding.
func canonicalOracle(t testing.TB, c *canonicalV1) []byte {
	t.Helper()
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sampleCanonical(s string, f float64) canonicalV1 {
	code := 137
	return canonicalV1{V: 1, ID: s, Name: s, Status: "failed", ExitCode: &code, Signal: s, OOMKilled: true, Error: s,
		Image: s, ImageRepo: s, ImageTag: s, ImageDigest: s, ImageIndexDigest: s, ImageConfigDigest: s, ImagePlatform: s,
		CodeDir: s, Commit: s, Branch: s, Remote: s, Dirty: true, ChangedFiles: []string{s, ""}, CodeMount: true, CodeTree: s,
		PatchDigest: s, Argv: []string{s, "--lr", "0.1"}, Workdir: s, Memory: s, GPUs: s,
		Env:    []EnvVar{{Name: s, Value: s}, {Name: "K", Secret: true}, {Name: "E"}},
		Data:   []Dataset{{Name: s, Path: s, Kind: "dir", Digest: s, Files: -3, Bytes: 1 << 40}},
		OutDir: s, OutputsDigest: s,
		Outputs:      []Output{{Path: s, Digest: s, Bytes: 7}, {}},
		Metrics:      map[string]float64{s: f, "b": -f, "a": 0, "z": 1e21, "y": 1e-7, "x": 123456789.125},
		Host:         Host{User: s, Hostname: s, OS: s, Arch: s, GPUs: []GPU{{Model: s, Driver: s}}},
		Engine:       Engine{Name: s, Version: s, Command: []string{"docker", s}},
		ReproVersion: s, StartedAt: s, FinishedAt: s, RerunOf: s}
}

func TestAppendCanonical_MatchesMarshal(t *testing.T) {
	strs := []string{"", "plain", `q"uote\back`, "<a>&b", "tab\tnl\nnul\x00", "é ünïcode", "\xff\xfe bad", "\u2028\u2029", "\x7f del"}
	floats := []float64{0, 1, -1, 0.1, 1e-6, 9.99e-7, 1e20, 1e21, 5e-324, math.MaxFloat64, -2.5e-10, 3.14159}
	for _, s := range strs {
		for _, f := range floats {
			c := sampleCanonical(s, f)
			got, ok := appendCanonical(nil, &c)
			if want := canonicalOracle(t, &c); !ok || !bytes.Equal(got, want) {
				t.Fatalf("appendCanonical(%q, %v) =\n%s\nwant\n%s", s, f, got, want)
			}
		}
	}
	// Empty and nil slices and maps encode differently, as Marshal does.
	var empty canonicalV1
	got, _ := appendCanonical(nil, &empty)
	if want := canonicalOracle(t, &empty); !bytes.Equal(got, want) {
		t.Fatalf("zero value:\n%s\nwant\n%s", got, want)
	}
	empty.ChangedFiles, empty.Argv, empty.Env, empty.Data, empty.Outputs, empty.Metrics = []string{}, []string{}, []EnvVar{}, []Dataset{}, []Output{}, map[string]float64{}
	empty.Host.GPUs, empty.Engine.Command = []GPU{}, []string{}
	got, _ = appendCanonical(nil, &empty)
	if want := canonicalOracle(t, &empty); !bytes.Equal(got, want) {
		t.Fatalf("empty values:\n%s\nwant\n%s", got, want)
	}
	// A non-finite metric is left to Marshal.
	c := sampleCanonical("x", math.NaN())
	if _, ok := appendCanonical(nil, &c); ok {
		t.Fatal("appendCanonical wrote a NaN")
	}
}

// FuzzAppendCanonical: for any strings and numbers, the hand-written
// encoder writes exactly what encoding/json writes, so a chain link
// computed by either is the same.
func FuzzAppendCanonical(f *testing.F) {
	f.Add("plain", "<&>", 0.5, int64(3), 2)
	f.Add("\xff", "\u2028", 1e-7, int64(-1), -9)
	f.Fuzz(func(t *testing.T, s1, s2 string, m float64, n int64, code int) {
		if math.IsNaN(m) || math.IsInf(m, 0) {
			return
		}
		c := sampleCanonical(s1, m)
		c.Argv = append(c.Argv, s2)
		c.Metrics[s2] = m / 3
		c.Data[0].Bytes, c.ExitCode = n, &code
		c.Env = append(c.Env, EnvVar{Name: s2, Value: s1})
		got, ok := appendCanonical(nil, &c)
		if want := canonicalOracle(t, &c); !ok || !bytes.Equal(got, want) {
			t.Fatalf("appendCanonical =\n%s\nwant\n%s", got, want)
		}
	})
}

// The fast readers of argv, changed files and metrics agree with
// json.Unmarshal on every text they take, and refuse only by handing the
// text to Unmarshal.
func TestDecodeFields_MatchUnmarshal(t *testing.T) {
	for _, s := range []string{
		`[]`, `null`, `["python","train.py","--lr","0.01"]`, `[""]`, `["a",""]`, `["<&>"]`,
		`["a\"b"]`, `["é"]`, `[ "a" ]`, `["a",]`, `[,"a"]`, `["a""b"]`, `["a"`, `[1]`, `{}`, `"a"`, ``, `[`,
	} {
		checkStrings(t, s)
	}
	for _, s := range []string{
		`{}`, `null`, `{"accuracy":0.93,"loss":0.2}`, `{"a":-0}`, `{"a":1e21,"b":1E-7,"c":-12.5e+3}`,
		`{"a":1,"a":2}`, `{"a":01}`, `{"a":1.}`, `{"a":.5}`, `{"a":+1}`, `{"a":1e}`, `{"a":1e400}`,
		`{"a":NaN}`, `{"a":"1"}`, `{"a" :1}`, `{"a":1,}`, `{,"a":1}`, `{"a":1 }`, `{"\u0061":1}`, `[]`, `{`,
		`{"a":-}`, `{"a":1x}`,
	} {
		checkMetrics(t, s)
	}
}

func checkStrings(t *testing.T, s string) {
	t.Helper()
	var want []string
	wantErr := json.Unmarshal([]byte(s), &want)
	fast, ok := plainStrings(s)
	if ok && (wantErr != nil || !reflect.DeepEqual(fast, want)) {
		t.Fatalf("plainStrings(%q) = %#v; Unmarshal: %#v, %v", s, fast, want, wantErr)
	}
	var got []string
	err := decodeStrings(s, &got)
	if (err != nil) != (wantErr != nil) || !reflect.DeepEqual(got, want) {
		t.Fatalf("decodeStrings(%q) = %#v, %v; Unmarshal: %#v, %v", s, got, err, want, wantErr)
	}
}

func checkMetrics(t *testing.T, s string) {
	t.Helper()
	var want map[string]float64
	wantErr := json.Unmarshal([]byte(s), &want)
	fast, ok := plainMetrics(s)
	if ok && (wantErr != nil || !reflect.DeepEqual(fast, want)) {
		t.Fatalf("plainMetrics(%q) = %#v; Unmarshal: %#v, %v", s, fast, want, wantErr)
	}
	var got map[string]float64
	err := decodeMetrics(s, &got)
	if (err != nil) != (wantErr != nil) || (wantErr == nil && !reflect.DeepEqual(got, want)) {
		t.Fatalf("decodeMetrics(%q) = %#v, %v; Unmarshal: %#v, %v", s, got, err, want, wantErr)
	}
}

// FuzzDecodeFields: the same, on any text (a ledger's columns are input).
func FuzzDecodeFields(f *testing.F) {
	for _, s := range []string{`["python","train.py"]`, `{"accuracy":0.93,"loss":-1e-7}`, `[]`, `{}`, `null`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkStrings(t, s)
		checkMetrics(t, s)
	})
}
