package image

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/reprohq/repro/provenance"
)

var (
	semverRe = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?$`)
	})
	shaRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9a-f]{7,64}$`) })
)

// Version is a parsed semantic version.
type Version struct {
	Major, Minor, Patch string
	Pre                 string // "" for a release
}

func (v Version) String() string {
	s := v.Major + "." + v.Minor + "." + v.Patch
	if v.Pre != "" {
		s += "-" + v.Pre
	}
	return s
}

// ParseVersion accepts MAJOR.MINOR.PATCH[-PRERELEASE], with an optional
// leading v. Build metadata (+...) cannot be part of an image tag.
func ParseVersion(s string) (Version, error) {
	t := strings.TrimPrefix(s, "v")
	if strings.Contains(t, "+") {
		return Version{}, fmt.Errorf("version %q has build metadata (+...), which an image tag cannot carry; drop it", s)
	}
	m := semverRe().FindStringSubmatch(t)
	if m == nil {
		return Version{}, fmt.Errorf("version %q is not a semantic version; write MAJOR.MINOR.PATCH, as in 1.4.2 or 2.0.0-rc.1", s)
	}
	return Version{Major: m[1], Minor: m[2], Patch: m[3], Pre: m[4]}, nil
}

// ValidateTag refuses tags that are not valid, and latest: a moving tag
// has no place in a record meant to be re-run.
func ValidateTag(t string) error {
	if strings.EqualFold(t, "latest") {
		return errors.New("the tag latest is refused: it moves, so it cannot say what ran; use a version or a channel such as stable")
	}
	if !provenance.ValidTag(t) {
		return fmt.Errorf("tag %q is not valid: letters, digits, '_', '.', '-', at most 128, not starting with '.' or '-'", t)
	}
	return nil
}

// TagSet is the tags a build of version gets: 1.4.2, 1.4, 1 for a release
// (only 2.0.0-rc.1 for a pre-release), git-<7 hex> when sha is given, and
// the channel when given.
func TagSet(version, sha, channel string) ([]string, error) {
	v, err := ParseVersion(version)
	if err != nil {
		return nil, err
	}
	tags := []string{v.String()}
	if v.Pre == "" {
		tags = append(tags, v.Major+"."+v.Minor, v.Major)
	}
	if sha != "" {
		if !shaRe().MatchString(sha) {
			return nil, &OptionError{Option: OptSHA, Value: sha, Err: errors.New("not a git commit (7 to 64 lowercase hex digits)")}
		}
		tags = append(tags, "git-"+sha[:7])
	}
	if channel != "" {
		if err := ValidateTag(channel); err != nil {
			return nil, &OptionError{Option: OptChannel, Err: err}
		}
		if _, err := ParseVersion(channel); err == nil {
			return nil, &OptionError{Option: OptChannel, Value: channel, Err: errors.New("looks like a version; a channel is a name such as dev, staging or stable")}
		}
		tags = append(tags, channel)
	}
	for _, t := range tags {
		if err := ValidateTag(t); err != nil {
			return nil, err
		}
	}
	return tags, nil
}
