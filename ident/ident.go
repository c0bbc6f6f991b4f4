// Package ident is the one place where repro's identifiers are checked
// and shortened: run IDs, content digests and git commits. Each is a
// string type with Parse (the only way a value from outside becomes
// one), String and Short, the form shown to people.
package ident

import (
	"fmt"
	"strings"
)

// ShortLen is how many hex digits a short form keeps.
const ShortLen = 12

// LowerHex says whether s is lower-case hex digits (and not empty).
func LowerHex(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// short keeps the first ShortLen characters of s.
func short(s string) string {
	if len(s) > ShortLen {
		return s[:ShortLen]
	}
	return s
}

// clip bounds a value quoted in an error.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// RunID is a run's ID: 32 lower-case hex digits.
type RunID string

// RunIDLen is the length of a run ID.
const RunIDLen = 32

// ParseRunID accepts a whole run ID.
func ParseRunID(s string) (RunID, error) {
	if len(s) != RunIDLen || !LowerHex(s) {
		return "", fmt.Errorf("run ID %q is not 32 lowercase hex digits", clip(s))
	}
	return RunID(s), nil
}

// ValidRunID says whether s is a whole run ID.
func ValidRunID(s string) bool { _, err := ParseRunID(s); return err == nil }

func (id RunID) String() string { return string(id) }

// Short is the run ID as shown to people: its first 12 digits.
func (id RunID) Short() string { return short(string(id)) }

// Digest is a content digest: "sha256:" and 64 lower-case hex digits.
type Digest string

// DigestPrefix is the algorithm part of every digest repro writes.
const DigestPrefix = "sha256:"

// ParseDigest accepts exactly "sha256:" and 64 lower-case hex digits.
func ParseDigest(s string) (Digest, error) {
	h, ok := strings.CutPrefix(s, DigestPrefix)
	if !ok || len(h) != 64 || !LowerHex(h) {
		return "", fmt.Errorf("digest %q is not sha256: followed by 64 lowercase hex digits", clip(s))
	}
	return Digest(s), nil
}

// ValidDigest says whether s is a digest.
func ValidDigest(s string) bool { _, err := ParseDigest(s); return err == nil }

func (d Digest) String() string { return string(d) }

// Hex is the digest without its algorithm.
func (d Digest) Hex() string { return strings.TrimPrefix(string(d), DigestPrefix) }

// Short is sha256: and the first 12 hex digits.
func (d Digest) Short() string { return DigestPrefix + short(d.Hex()) }

// Commit is a git object name: 40 (SHA-1) or 64 (SHA-256) lower-case
// hex digits.
type Commit string

// ParseCommit accepts a whole git object name.
func ParseCommit(s string) (Commit, error) {
	if len(s) != 40 && len(s) != 64 || !LowerHex(s) {
		return "", fmt.Errorf("commit %q is not 40 or 64 lowercase hex digits", clip(s))
	}
	return Commit(s), nil
}

// ValidCommit says whether s is a whole git object name.
func ValidCommit(s string) bool { _, err := ParseCommit(s); return err == nil }

func (c Commit) String() string { return string(c) }

// Short is the commit's first 12 digits, as git shows it abbreviated.
func (c Commit) Short() string { return short(string(c)) }
