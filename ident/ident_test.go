package ident_test

import (
	"strings"
	"testing"

	"github.com/reprohq/repro/ident"
)

func TestParse(t *testing.T) {
	hex64 := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		what string
		in   string
		ok   bool
	}{
		{"run", strings.Repeat("0f", 16), true},
		{"run", strings.Repeat("0F", 16), false},
		{"run", strings.Repeat("0f", 15), false},
		{"run", strings.Repeat("0f", 16) + "0", false},
		{"run", strings.Repeat("g", 32), false},
		{"run", "", false},
		{"digest", "sha256:" + hex64, true},
		{"digest", "sha512:" + hex64, false},
		{"digest", hex64, false},
		{"digest", "sha256:" + hex64[:63], false},
		{"digest", "sha256:" + strings.ToUpper(hex64), false},
		{"digest", "sha256:" + hex64 + "\n", false},
		{"commit", strings.Repeat("c", 40), true},
		{"commit", hex64, true},
		{"commit", strings.Repeat("c", 41), false},
		{"commit", strings.Repeat("c", 39), false},
		{"commit", "-" + strings.Repeat("c", 39), false},
	} {
		var err error
		switch tc.what {
		case "run":
			_, err = ident.ParseRunID(tc.in)
		case "digest":
			_, err = ident.ParseDigest(tc.in)
		case "commit":
			_, err = ident.ParseCommit(tc.in)
		}
		if (err == nil) != tc.ok {
			t.Errorf("Parse %s %q: %v, want ok %v", tc.what, tc.in, err, tc.ok)
		}
	}
}

func TestShort(t *testing.T) {
	d := ident.Digest("sha256:" + strings.Repeat("ab", 32))
	if d.Short() != "sha256:abababababab" || d.Hex() != strings.Repeat("ab", 32) {
		t.Errorf("digest short %q, hex %q", d.Short(), d.Hex())
	}
	if got := ident.RunID(strings.Repeat("0f", 16)).Short(); got != "0f0f0f0f0f0f" {
		t.Errorf("run short %q", got)
	}
	if got := ident.Commit("abc").Short(); got != "abc" {
		t.Errorf("a short commit is shortened to %q", got)
	}
}

func FuzzParseDigest(f *testing.F) {
	f.Add("sha256:" + strings.Repeat("0", 64))
	f.Add("sha256:")
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ident.ParseDigest(s)
		if err != nil {
			return
		}
		if string(d) != s || len(d.Hex()) != 64 || !ident.LowerHex(d.Hex()) {
			t.Fatalf("accepted %q", s)
		}
	})
}
