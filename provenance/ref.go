package provenance

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/reprohq/repro/ident"
)

// Ref is an image reference after repro's own checks.
type Ref struct {
	Given      string // as the user wrote it
	Repository string // registry/path, e.g. 127.0.0.1:5000/trainer
	Tag        string // "" when none was written
	Digest     string // "" when none was written
}

// String is the reference in canonical form: repo:tag, repo@digest, or
// repo:tag@digest.
func (r Ref) String() string {
	s := r.Repository
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + r.Digest
	}
	return s
}

// Pinned is repo@digest, the only form repro launches.
func Pinned(repository, digest string) string { return repository + "@" + digest }

// maxRefLen bounds what is parsed at all; real references are far shorter.
const maxRefLen = 1024

// ParseRef parses an image reference more strictly than the registry
// libraries do: no leading '-', no '.' or '..' path segments, ASCII only,
// a digest of exactly sha256 and 64 lowercase hex digits. A tag written
// beside a digest is kept, so that both can be checked.
func ParseRef(s string) (Ref, error) {
	bad := func(why string) (Ref, error) {
		return Ref{}, fmt.Errorf("image reference %q %s", clip(s), why)
	}
	switch {
	case s == "":
		return Ref{}, errors.New("image reference is empty; give REGISTRY/NAME:TAG or REGISTRY/NAME@sha256:...")
	case len(s) > maxRefLen:
		return bad(fmt.Sprintf("is longer than %d characters", maxRefLen))
	case strings.HasPrefix(s, "-"):
		return bad("starts with '-'; put repro's options before the image and the command after --")
	}
	for _, c := range s {
		if c > 0x7e || c <= 0x20 {
			return bad("contains a space, control or non-ASCII character")
		}
	}
	r := Ref{Given: s}
	namePart := s
	if i := strings.IndexByte(s, '@'); i >= 0 {
		namePart, r.Digest = s[:i], s[i+1:]
		if err := ValidateDigest(r.Digest); err != nil {
			return bad(err.Error())
		}
	}
	// A tag is what follows the last ':' after the last '/'.
	repo := namePart
	if i := strings.LastIndexByte(namePart, ':'); i > strings.LastIndexByte(namePart, '/') {
		repo, r.Tag = namePart[:i], namePart[i+1:]
		if !ValidTag(r.Tag) {
			return bad(fmt.Sprintf("has an invalid tag %q (letters, digits, '_', '.', '-'; at most 128)", r.Tag))
		}
	}
	for i, seg := range strings.Split(repo, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return bad("has an empty, '.' or '..' path segment")
		}
		if i > 0 && strings.HasPrefix(seg, "-") {
			return bad("has a path segment starting with '-'")
		}
	}
	parsed, err := name.NewRepository(repo)
	if err != nil {
		return bad("is not a valid repository name (lowercase letters, digits, '_', '.', '-', '/')")
	}
	// A one-part Docker Hub name gains "library/", which can take it past
	// the 255 characters a repository path may have.
	if path := parsed.RepositoryStr(); len(path) > 255 {
		return bad(fmt.Sprintf("names a repository path of %d characters (%s...); at most 255", len(path), path[:20]))
	}
	r.Repository = parsed.Name()
	return r, nil
}

var tagRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`) })

// ValidTag says whether t is a valid tag: letters, digits, '_', '.', '-',
// at most 128, not starting with '.' or '-'.
func ValidTag(t string) bool { return tagRe().MatchString(t) }

// ValidateDigest accepts exactly "sha256:" and 64 lowercase hex digits.
func ValidateDigest(d string) error {
	if !ident.ValidDigest(d) {
		return fmt.Errorf("has digest %q; a digest is sha256: followed by 64 lowercase hex digits", clip(d))
	}
	return nil
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
