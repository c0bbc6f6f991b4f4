package image

import (
	"fmt"
	"strings"
)

// Option is a build, tag or promote option, by what it means; a command
// names it by its own flag.
type Option string

// The options an OptionError names.
const (
	OptDest     Option = "destination"
	OptEnv      Option = "environment variable"
	OptRepo     Option = "repository"
	OptPlatform Option = "platform"
	OptBase     Option = "base image"
	OptSHA      Option = "commit"
	OptChannel  Option = "channel"
	OptTags     Option = "tag"
)

// OptionError is an option value refused: which option, the value as
// given ("" : none), and why.
type OptionError struct {
	Option Option
	Value  string
	Err    error
}

func (e *OptionError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("%s: %v", e.Option, e.Err)
	}
	return fmt.Sprintf("%s %q: %v", e.Option, e.Value, e.Err)
}

func (e *OptionError) Unwrap() error { return e.Err }

// DirtyContextError is a build context whose image-bound files are not
// its commit's: the image would be tagged git-<commit> but not hold it.
// Building it dirty (BuildOptions.AllowDirty) tags it DirtyTag instead.
type DirtyContextError struct {
	Context  string
	Changed  []string // the files that differ, relative to the context
	Commit   string
	DirtyTag string
}

func (e *DirtyContextError) Error() string { return e.Describe("build it dirty") }

// Describe is the message with how to build it dirty said as dirty is
// (a command names its flag).
func (e *DirtyContextError) Describe(dirty string) string {
	return fmt.Sprintf("build context %s has uncommitted changes (%d files: %s); an image tagged git-%s must hold that commit: commit them (files git ignores count too: leave them out with .dockerignore), or %s (tagged %s and labelled %s=true)",
		e.Context, len(e.Changed), strings.Join(firstN(e.Changed, 5), ", "), shortSHA(e.Commit), dirty, e.DirtyTag, LabelDirty)
}

// TagTakenError is an exact version tag that already names another
// image: a version names one image, unless the tag is moved on purpose
// (BuildOptions.Force).
type TagTakenError struct {
	Tag, Digest string
}

func (e *TagTakenError) Error() string {
	return e.Describe("give a new version", "move the tag on purpose")
}

// Describe is the message with its two fixes said as bump and move are.
func (e *TagTakenError) Describe(bump, move string) string {
	return fmt.Sprintf("%s already points at %s, another image; an exact version names one image: %s, or %s", e.Tag, e.Digest, bump, move)
}

func shortSHA(c string) string { return c[:min(7, len(c))] }
