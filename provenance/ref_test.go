package provenance_test

import (
	"strings"
	"testing"

	"github.com/reprohq/repro/provenance"
)

func TestParseRef(t *testing.T) {
	d := "sha256:" + strings.Repeat("ab", 32)
	tests := []struct {
		in      string
		want    provenance.Ref
		wantErr string
	}{
		{in: "127.0.0.1:5000/trainer:1.0", want: provenance.Ref{Repository: "127.0.0.1:5000/trainer", Tag: "1.0"}},
		{in: "127.0.0.1:5000/ml/trainer@" + d, want: provenance.Ref{Repository: "127.0.0.1:5000/ml/trainer", Digest: d}},
		{in: "localhost:5000/t:1@" + d, want: provenance.Ref{Repository: "localhost:5000/t", Tag: "1", Digest: d}},
		{in: "registry.example.com/a/b", want: provenance.Ref{Repository: "registry.example.com/a/b"}},
		{in: "", wantErr: "is empty"},
		{in: "--privileged", wantErr: "starts with '-'"},
		{in: "-v/:/host", wantErr: "starts with '-'"},
		{in: "r.example.com/a/../../x:1", wantErr: "'..' path segment"},
		{in: "r.example.com/./x:1", wantErr: "'.' or '..' path segment"},
		{in: "r.example.com//x:1", wantErr: "empty"},
		{in: "r.example.com/x/-y:1", wantErr: "segment starting with '-'"},
		{in: "rеgistry.example.com/x:1", wantErr: "non-ASCII"}, // Cyrillic е
		{in: "r.example.com/x:1 ", wantErr: "space"},
		{in: "r.example.com/x:1\n", wantErr: "control"},
		{in: "r.example.com/x@sha256:" + strings.Repeat("AB", 32), wantErr: "64 lowercase hex"},
		{in: "r.example.com/x@sha256:abc", wantErr: "64 lowercase hex"},
		{in: "r.example.com/x@sha512:" + strings.Repeat("a", 128), wantErr: "64 lowercase hex"},
		{in: "r.example.com/x@" + d + "@" + d, wantErr: "64 lowercase hex"},
		{in: "r.example.com/x:", wantErr: "invalid tag"},
		{in: "r.example.com/x:.bad", wantErr: "invalid tag"},
		{in: "r.example.com/X:1", wantErr: "not a valid repository name"},
		{in: strings.Repeat("a", 2000), wantErr: "longer than"},
		{in: strings.Repeat("a", 250), wantErr: "repository path of 258 characters"}, // library/ added
		{in: "r.example.com/" + strings.Repeat("a", 255), want: provenance.Ref{Repository: "r.example.com/" + strings.Repeat("a", 255)}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := provenance.ParseRef(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseRef(%q) = %+v, %v; want error containing %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseRef(%q): %v", tt.in, err)
			}
			tt.want.Given = tt.in
			if got != tt.want {
				t.Errorf("ParseRef(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

// FuzzParseRef: hostile references never panic, and whatever is accepted
// is safe to put before a command (no leading '-') and reparses to itself.
func FuzzParseRef(f *testing.F) {
	for _, s := range []string{"127.0.0.1:5000/t:1", "--privileged", "a/../../x", "r/x@sha256:" + strings.Repeat("0", 64), "r/x:1@sha256:" + strings.Repeat("f", 64), "localhost/a:b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := provenance.ParseRef(s)
		if err != nil {
			return
		}
		if strings.HasPrefix(r.Repository, "-") || strings.ContainsAny(r.String(), " \t\n\x00") {
			t.Fatalf("ParseRef(%q) accepted unsafe %q", s, r.String())
		}
		for _, seg := range strings.Split(r.Repository, "/") {
			if seg == "." || seg == ".." || seg == "" {
				t.Fatalf("ParseRef(%q) accepted segment %q", s, seg)
			}
		}
		if r.Digest != "" {
			if err := provenance.ValidateDigest(r.Digest); err != nil {
				t.Fatalf("ParseRef(%q) accepted digest %q", s, r.Digest)
			}
		}
		again, err := provenance.ParseRef(r.String())
		if err != nil {
			t.Fatalf("ParseRef(%q) = %q, which does not reparse: %v", s, r.String(), err)
		}
		if again.Repository != r.Repository || again.Tag != r.Tag || again.Digest != r.Digest {
			t.Fatalf("reparse of %q = %+v, want %+v", r.String(), again, r)
		}
	})
}

func TestIsLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"127.0.0.1": true, "127.1.2.3": true, "::1": true, "localhost": true, "reg.localhost": true,
		"10.0.0.5": false, "192.168.1.2": false, "registry.example.com": false, "localhost.example.com": false,
	} {
		if got := provenance.IsLoopback(host); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", host, got, want)
		}
	}
}
