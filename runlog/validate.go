package runlog

import (
	"fmt"
	"path"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/reprohq/repro/ident"
)

// InvalidRunError is a run read back from a ledger with a field that no
// repro would have written: the ledger was edited, or is damaged. The run
// is refused, never repaired.
type InvalidRunError struct {
	RunID string // as stored, escaped when shown
	Field string // the ledger's name for it, e.g. "datasets.name"
	Value string // as stored, escaped when shown
	Rule  string // what a valid value looks like
}

func (e *InvalidRunError) Error() string {
	return fmt.Sprintf("run %s in the ledger has %s %s, which no repro writes (%s): the ledger was edited or is damaged; refusing to use it",
		Visible(Short(e.RunID)), e.Field, strconv.Quote(clipValue(e.Value)), e.Rule)
}

func clipValue(s string) string {
	if len(s) > 120 {
		return s[:120] + "..."
	}
	return s
}

// Visible renders s for a terminal or a tab-separated line: control
// characters (ESC, TAB, newlines, DEL, C1) and invalid UTF-8 are written
// as Go escapes, so that no value from a ledger can move the cursor, set
// a terminal's title or add a column.
func Visible(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	q := strconv.Quote(s)
	q = q[1 : len(q)-1]
	return strings.ReplaceAll(q, `\"`, `"`)
}

// DatasetNameRule is what a dataset's name may be: it becomes a path
// (/data/NAME), part of a mount option and of a variable name.
const DatasetNameRule = "letters, digits, '_', '.', '-' (not first), at most 100"

// ValidDatasetName says whether n follows DatasetNameRule.
func ValidDatasetName(n string) bool {
	if n == "" || len(n) > 100 || n[0] == '.' || n[0] == '-' {
		return false
	}
	for i := 0; i < len(n); i++ {
		if c := n[i]; !(c == '_' || c == '.' || c == '-' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// ValidEnvName says whether n is a POSIX variable name.
func ValidEnvName(n string) bool {
	if n == "" || len(n) > 255 || '0' <= n[0] && n[0] <= '9' {
		return false
	}
	for i := 0; i < len(n); i++ {
		if c := n[i]; !(c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// Engines are the container CLIs a run may name. A recorded engine is a
// name, looked up on PATH like the user's own --runtime, never a path.
var Engines = []string{"docker", "podman"}

// ValidEngine says whether n is one of Engines.
func ValidEngine(n string) bool {
	for _, e := range Engines {
		if n == e {
			return true
		}
	}
	return false
}

// ValidID says whether s is a whole run ID: 32 lowercase hex digits.
func ValidID(s string) bool { return ident.ValidRunID(s) }

// ValidDigest says whether s is sha256: and 64 lowercase hex digits.
func ValidDigest(s string) bool { return ident.ValidDigest(s) }

// ValidObjectID says whether s is a git object name (SHA-1 or SHA-256).
func ValidObjectID(s string) bool { return ident.ValidCommit(s) }

// MountablePath says whether p can be a bind mount's source or target:
// absolute, clean, with nothing the engines' --mount syntax reads as
// another option (',') or quoting ('"'), and no control characters.
func MountablePath(p string) bool {
	if !strings.HasPrefix(p, "/") || path.Clean(p) != p {
		return false
	}
	return !strings.ContainsAny(p, ",\"") && plainText(p)
}

// ValidWorkdir says whether p can be a container's working directory as
// recorded: absolute, without control characters. It is not a mount, so
// ',' and '"' are fine (a subdirectory of the code named a,b).
func ValidWorkdir(p string) bool { return strings.HasPrefix(p, "/") && plainText(p) }

// plainText says whether s is valid UTF-8 without control characters.
func plainText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// engineValue says whether s can be an engine option's value (--memory,
// --gpus): not an option itself, one word, printable.
func engineValue(s string) bool {
	return !strings.HasPrefix(s, "-") && !strings.ContainsAny(s, " ") && plainText(s)
}

var validStatus = map[string]bool{StatusRunning: true, StatusSucceeded: true, StatusFailed: true, StatusInterrupted: true, StatusLost: true}

// Validate checks every field of a run read back from a ledger that a
// script, a manifest, a mount or an engine command may use. It is the
// boundary: a run that passes may be re-run, reconciled and compared; one
// that fails is refused with an *InvalidRunError naming the field.
func (r *Run) Validate() error {
	bad := func(field, value, rule string) error {
		return &InvalidRunError{RunID: r.ID, Field: field, Value: value, Rule: rule}
	}
	const (
		digestRule = "sha256: and 64 lowercase hex digits"
		objectRule = "40 or 64 lowercase hex digits"
		pathRule   = "an absolute, clean path without ',', '\"' or control characters"
		textRule   = "UTF-8 text without control characters"
	)
	if !ValidID(r.ID) {
		return bad("id", r.ID, "32 lowercase hex digits")
	}
	if r.RerunOf != "" && !ValidID(r.RerunOf) {
		return bad("rerun_of", r.RerunOf, "32 lowercase hex digits")
	}
	if r.Name != "" && !nameRe().MatchString(r.Name) {
		return bad("name", r.Name, "letters, digits, '.', '_', '-'")
	}
	if !validStatus[r.Status] {
		return bad("status", r.Status, "running, succeeded, failed, interrupted or lost")
	}
	// Label values are annotations, shown escaped and never used by a
	// re-run; their keys are names.
	for k := range r.Labels {
		if !labelKeyRe().MatchString(k) {
			return bad("label key", k, "letters, digits, '.', '_', '/', '-'")
		}
	}
	if !plainText(r.Image) {
		return bad("image", r.Image, textRule)
	}
	if r.ImageRepo == "" || strings.HasPrefix(r.ImageRepo, "-") || strings.ContainsAny(r.ImageRepo, " @") || !plainText(r.ImageRepo) {
		return bad("image_repo", r.ImageRepo, "a repository name")
	}
	if r.ImageTag != "" && (strings.HasPrefix(r.ImageTag, "-") || strings.ContainsAny(r.ImageTag, " @:/") || !plainText(r.ImageTag)) {
		return bad("image_tag", r.ImageTag, "a tag")
	}
	if !ValidDigest(r.ImageDigest) {
		return bad("image_digest", r.ImageDigest, digestRule)
	}
	for _, d := range []struct{ field, v string }{{"image_index_digest", r.ImageIndexDigest}, {"image_config_digest", r.ImageConfigDigest}, {"code_patch", r.PatchDigest}, {"outputs_digest", r.OutputsDigest}} {
		if d.v != "" && !ValidDigest(d.v) {
			return bad(d.field, d.v, digestRule)
		}
	}
	if r.ImagePlatform != "" && !engineValue(r.ImagePlatform) {
		return bad("image_platform", r.ImagePlatform, "os/arch")
	}
	if r.Commit != "" && !ValidObjectID(r.Commit) {
		return bad("code_commit", r.Commit, objectRule)
	}
	if r.CodeTree != "" && !ValidObjectID(r.CodeTree) {
		return bad("code_tree", r.CodeTree, objectRule)
	}
	// The code directory is mounted only with code_mount; otherwise it is
	// a path the script names in a comment and may clone from.
	if r.CodeDir != "" && (r.CodeMount && !MountablePath(r.CodeDir) || !ValidWorkdir(r.CodeDir)) {
		return bad("code_dir", r.CodeDir, pathRule)
	}
	if !plainText(r.Branch) {
		return bad("code_branch", r.Branch, textRule)
	}
	if !plainText(r.Remote) || strings.HasPrefix(r.Remote, "-") {
		return bad("code_remote", r.Remote, textRule+", not starting with '-'")
	}
	for i, a := range r.Argv {
		if strings.IndexByte(a, 0) >= 0 {
			return bad(fmt.Sprintf("argv[%d]", i), a, "no NUL byte")
		}
	}
	if r.Workdir != "" && !ValidWorkdir(r.Workdir) {
		return bad("workdir", r.Workdir, "an absolute path without control characters")
	}
	if r.Memory != "" && !engineValue(r.Memory) {
		return bad("memory", r.Memory, "a size such as 16g")
	}
	if r.GPUs != "" && !engineValue(r.GPUs) {
		return bad("gpu_request", r.GPUs, "a GPU request such as all or device=0,1")
	}
	for _, e := range r.Env {
		if !ValidEnvName(e.Name) {
			return bad("env name", e.Name, "a POSIX variable name: letters, digits, '_', not starting with a digit")
		}
		if e.Secret && e.Value != "" {
			return bad("env "+e.Name, "(a value)", "a secret has no recorded value")
		}
		if strings.IndexByte(e.Value, 0) >= 0 {
			return bad("env "+e.Name, e.Value, "no NUL byte")
		}
	}
	seen := map[string]bool{}
	for _, d := range r.Data {
		if !ValidDatasetName(d.Name) {
			return bad("datasets.name", d.Name, DatasetNameRule)
		}
		if seen[d.Name] {
			return bad("datasets.name", d.Name, "each name once")
		}
		seen[d.Name] = true
		if !MountablePath(d.Path) {
			return bad("datasets.path of "+d.Name, d.Path, pathRule)
		}
		if d.Kind != "dir" && d.Kind != "file" {
			return bad("datasets.kind of "+d.Name, d.Kind, "dir or file")
		}
		if !ValidDigest(d.Digest) {
			return bad("datasets.digest of "+d.Name, d.Digest, digestRule)
		}
	}
	if r.OutDir != "" && !MountablePath(r.OutDir) {
		return bad("out_dir", r.OutDir, pathRule)
	}
	for _, o := range r.Outputs {
		if o.Path == "" || strings.HasPrefix(o.Path, "/") || path.Clean(o.Path) != o.Path || o.Path == ".." || strings.HasPrefix(o.Path, "../") || !utf8.ValidString(o.Path) {
			return bad("outputs.path", o.Path, "a clean path inside the output directory")
		}
		if !ValidDigest(o.Digest) {
			return bad("outputs.digest of "+o.Path, o.Digest, digestRule)
		}
	}
	if r.Engine.Name != "" && !ValidEngine(r.Engine.Name) { // "": recorded before engines were named, docker
		return bad("engine", r.Engine.Name, "docker or podman")
	}
	return nil
}
