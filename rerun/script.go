package rerun

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"text/template"

	"github.com/reprohq/repro/ident"
	"github.com/reprohq/repro/provenance"
	"github.com/reprohq/repro/runlog"
)

// Options shape a re-run.
type Options struct {
	// AllowDirty re-runs a run recorded from a dirty tree at its commit,
	// without the uncommitted changes, when they were not stored.
	AllowDirty bool
	// Patch is the run's stored uncommitted changes (runlog's Blob of
	// its PatchDigest); Script carries them, Exec reads them itself.
	Patch []byte
	// Kept are the repositories holding kept copies of the run's image
	// (runlog's KeptCopies), tried after the recorded one.
	Kept []string
	// Job, when set, writes the script as the batch job of the run
	// itself (repro run --on slurm), not as a re-run of it.
	Job *Job
}

// DirtyRunError is a run recorded from a dirty work tree whose changes
// were not stored: it cannot be re-run exactly, only at its commit
// without them (Options.AllowDirty).
type DirtyRunError struct {
	Run     string
	Changed []string
	Commit  string
}

func (e *DirtyRunError) Error() string { return e.Describe("allow it") }

// Describe says the fix that re-runs it at its commit as allow.
func (e *DirtyRunError) Describe(allow string) string {
	return fmt.Sprintf("run %s was recorded from a dirty work tree (%d changed files: %s); its uncommitted changes were not stored, so it cannot be re-run exactly; %s to re-run at commit %s without them",
		e.Run, len(e.Changed), strings.Join(head(e.Changed, 5), ", "), allow, short(e.Commit))
}

// Job shapes the script of a run that a scheduler runs: the run is
// recorded as running, and the script is its launch on a node. The node
// checks out the recorded commit and re-checks every dataset's digest
// right before the container starts, as a re-run does; the container has
// the run's own name and label, the outputs go to the run's own --out,
// and a TERM (the scheduler cancelling the job) stops the container.
// Every value is the recorded one: no REPRO_* variable moves it.
type Job struct {
	// Dir is the job's directory on the shared filesystem: a refusal is
	// written to Dir/refused, for the submitting repro to record.
	Dir string
}

// RefusedFile is the file in a Job's Dir holding why the job refused to
// start the container.
const RefusedFile = "refused"

// plan is what Script and Exec both check and use.
type plan struct {
	Run      *runlog.Run
	Short    string
	Image    string // repo@sha256:...
	Engine   string
	Code     []string // where to clone from, in order
	Data     []planData
	Secrets  []string
	Plain    []runlog.EnvVar
	Recorded string
	PatchB64 string      // the uncommitted changes, base64 in lines of 76
	DirData  bool        // a dataset is a directory (the script needs dir_listing)
	Mounts   bool        // something is bind-mounted (the script needs mountable)
	NoPatch  bool        // dirty, changes not stored, re-run at the commit
	MapUser  bool        // the run ran as its invoker's UID:GID (--user): so does the re-run
	Loopback bool        // the image's registry is on this machine (plain HTTP)
	Kept     []keptImage // copies of the image (repro keep), tried in order after it
	// PullFailure is the refusal when no copy of the image can be pulled.
	PullFailure string
	Job         *Job   // the run's own batch job, not a re-run
	Prog        string // how the script names itself in messages
	Container   string // the container's name (a job's only)
}

// keptImage is a kept copy of the run's image, by its digest.
type keptImage struct {
	Ref      string // REPO@sha256:...
	Loopback bool
}

type planData struct {
	runlog.Dataset
	Var     string // REPRO_DATA_<suffix>
	Target  string
	Listing string // the file the script writes its listing to when the digest differs
}

func newPlan(r *runlog.Run, o Options) (*plan, error) {
	// The boundary: nothing below trusts a recorded value that a repro
	// would not have written.
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if r.Status == runlog.StatusRunning && o.Job == nil {
		return nil, fmt.Errorf("run %s is still running (or was lost); re-run a finished run", r.ShortID())
	}
	ref, err := provenance.ParseRef(provenance.Pinned(r.ImageRepo, r.ImageDigest))
	if err != nil {
		return nil, fmt.Errorf("run %s: recorded image: %w", r.ShortID(), err)
	}
	p := &plan{Run: r, Short: r.ShortID(), Image: ref.String(), Engine: r.Engine.Name, Recorded: r.StartedAt.UTC().Format("2006-01-02T15:04:05Z"), Prog: "repro-rerun"}
	if o.Job != nil {
		if err := CheckScriptable(fmt.Sprintf("run %s: the job directory", r.ShortID()), o.Job.Dir); err != nil {
			return nil, err
		}
		if !filepath.IsAbs(o.Job.Dir) || runlog.Visible(o.Job.Dir) != o.Job.Dir {
			return nil, fmt.Errorf("run %s: the job directory %s is not an absolute path without control characters", r.ShortID(), runlog.Visible(o.Job.Dir))
		}
		p.Job, p.Prog, p.Container = o.Job, "repro-job", "repro-"+r.ShortID()
	}
	p.Loopback = provenance.LoopbackRegistry(ref.Repository)
	names := []string{p.Image}
	for _, k := range o.Kept {
		kr, err := provenance.ParseRef(provenance.Pinned(k, r.ImageDigest))
		if err != nil || kr.Tag != "" {
			return nil, fmt.Errorf("run %s: kept copy %q of its image is not a repository: %v", r.ShortID(), k, err)
		}
		if err := CheckScriptable(fmt.Sprintf("run %s: kept copy", r.ShortID()), kr.String()); err != nil {
			return nil, err
		}
		p.Kept = append(p.Kept, keptImage{Ref: kr.String(), Loopback: provenance.LoopbackRegistry(kr.Repository)})
		names = append(names, kr.String())
	}
	p.PullFailure = fmt.Sprintf("cannot pull %s (the engine's message is above): it may have been deleted from its registry, or the registry is unreachable", p.Image)
	if len(names) > 1 {
		p.PullFailure = fmt.Sprintf("cannot pull %s nor any kept copy (%s; the engine's messages are above): they may have been deleted from their registries, or the registries are unreachable", p.Image, strings.Join(names[1:], ", "))
	}
	if p.Engine == "" {
		p.Engine = "docker"
	}
	switch {
	case r.Dirty && r.PatchDigest != "" && r.CodeMount:
		if o.Patch == nil {
			return nil, fmt.Errorf("run %s: its uncommitted changes (%s) were not given to the re-run", r.ShortID(), r.PatchDigest)
		}
		if runlog.BlobDigest(o.Patch) != r.PatchDigest {
			return nil, fmt.Errorf("run %s: the stored uncommitted changes do not match their recorded digest %s; the ledger is damaged", r.ShortID(), r.PatchDigest)
		}
		p.PatchB64 = wrap(base64.StdEncoding.EncodeToString(o.Patch), 76)
	case r.Dirty && o.AllowDirty:
		p.NoPatch = true
	case r.Dirty && r.CodeMount:
		return nil, &DirtyRunError{Run: r.ShortID(), Changed: r.ChangedFiles, Commit: r.Commit}
	}
	if p.PatchB64 != "" && r.CodeTree == "" {
		return nil, fmt.Errorf("run %s: recorded uncommitted changes without the git tree they make", r.ShortID())
	}
	if r.Commit != "" && r.CodeMount {
		order := []string{r.Remote, r.CodeDir}
		if o.Job != nil {
			// The run's own work tree, on the shared filesystem, holds
			// the commit even when it was never pushed.
			order = []string{r.CodeDir, r.Remote}
		}
		for _, c := range order {
			if c != "" {
				p.Code = append(p.Code, c)
			}
		}
	}
	vars := map[string]string{}
	for _, d := range r.Data {
		v := "REPRO_DATA_" + EnvSuffix(d.Name)
		if other, ok := vars[v]; ok {
			return nil, fmt.Errorf("run %s: datasets %q and %q share the variable %s; rename one", r.ShortID(), other, d.Name, v)
		}
		vars[v] = d.Name
		p.Data = append(p.Data, planData{Dataset: d, Var: v, Target: "/data/" + d.Name, Listing: "repro-rerun-" + p.Short + "-" + v + ".sha256"})
		p.DirData = p.DirData || d.Kind == "dir"
	}
	p.Mounts = len(p.Code) > 0 || len(p.Data) > 0 || r.OutDir != ""
	if i := slices.Index(r.Engine.Command, "--"); i > 0 {
		p.MapUser = slices.Contains(r.Engine.Command[:i], "--user")
	}
	for _, e := range r.Env {
		if e.Secret {
			p.Secrets = append(p.Secrets, e.Name)
		} else {
			p.Plain = append(p.Plain, e)
		}
	}
	checks := map[string]string{"the image": p.Image, "the workdir": r.Workdir, "the memory limit": r.Memory, "the GPUs": r.GPUs, "the code path": r.CodeDir, "the remote URL": r.Remote}
	for i, a := range r.Argv {
		checks[fmt.Sprintf("argument %d", i+1)] = a
	}
	for _, e := range r.Env {
		checks["variable "+e.Name] = e.Name + "=" + e.Value
	}
	for _, d := range r.Data {
		checks["dataset "+d.Name] = d.Path
	}
	for what, s := range checks {
		if err := CheckScriptable(fmt.Sprintf("run %s: %s", r.ShortID(), what), s); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// Script returns the POSIX sh re-run script for r.
func Script(r *runlog.Run, o Options) ([]byte, error) {
	p, err := newPlan(r, o)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := scriptTemplate().Execute(&b, p); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// WriteFile writes a script atomically with mode 0700 (it may carry the
// run's uncommitted changes and environment values): a reader sees the
// old file or the whole new one, never a part.
func WriteFile(path string, script []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(script); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(0o700); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("write %s: is a directory; give a file name with -o", path)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func short(commit string) string { return ident.Commit(commit).Short() }

func head(s []string, n int) []string {
	if len(s) > n {
		return append(append([]string{}, s[:n]...), "...")
	}
	return s
}

func wrap(s string, n int) string {
	var b strings.Builder
	for len(s) > n {
		b.WriteString(s[:n])
		b.WriteByte('\n')
		s = s[n:]
	}
	b.WriteString(s)
	return b.String()
}

// comment renders a value for a comment line: control characters made
// visible (no newline can end the comment), then quoted like every other
// value in a script.
func comment(s string) string { return Quote(runlog.Visible(s)) }

// scriptTemplate is parsed when first used, not when every command starts.
var scriptTemplate = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("rerun").Funcs(template.FuncMap{
		"q": Quote,
		"c": comment,
	}).Parse(scriptText))
})

const scriptText = `#!/bin/sh
# Recorded values are single-quoted literals on purpose: nothing in them
# expands (SC2016), and '\'' is how a quote is written inside them (SC1003).
# shellcheck disable=SC1003,SC2016
{{- if .Job}}
# The batch job of repro run {{c .Run.ID}}, recorded {{c .Recorded}}.
# It checks out the recorded commit, re-checks every dataset's digest and
# runs the container by digest, named {{c .Container}}; a TERM (the job
# cancelled) stops the container. Every value is the recorded one.
{{- else}}
# Re-run of repro run {{c .Run.ID}}, recorded {{c .Recorded}}.
# Needs only git, the usual POSIX tools (GNU, busybox or BSD/macOS) and the
# container CLI; repro is not needed. Runs under any POSIX sh, and zsh.
{{- end}}
#
#   image   {{c .Image}}
{{- if .Code}}
#   commit  {{c .Run.Commit}}{{if .Run.Branch}} (branch {{c .Run.Branch}}){{end}}
{{- end}}
{{- range .Data}}
#   data    {{c .Name}} {{c .Digest}}
{{- end}}
{{- if not .Job}}
#
# Environment:
#   REPRO_ENGINE   the container CLI (default: {{c .Engine}})
{{- if .Code}}
#   REPRO_CODE     a clone of the code that has the commit (default: the recorded remote, then the recorded path)
{{- end}}
{{- range .Data}}
#   {{.Var}}   where dataset {{c .Name}} is now (default: {{c .Path}})
{{- end}}
{{- if .Run.OutDir}}
#   REPRO_OUT      an empty directory for the outputs (default: a new directory beside this script)
{{- end}}
{{- range .Secrets}}
#   {{c .}}   secret, not recorded: must be set
{{- end}}
{{- end}}
{{- if .NoPatch}}
#
# WARNING: the original run used uncommitted changes that were not recorded;
# this re-run uses commit {{c .Run.Commit}} without them.
{{- end}}

# zsh (macOS's login shell) runs this as the POSIX sh it is written for.
[ -z "${ZSH_VERSION:-}" ] || emulate sh
set -eu
{{if .Job}}
here={{q .Job.Dir}}

# A refusal is also written where the submitting repro reads it.
die() {
	printf 'repro-job: %s\n' "$*" >&2
	printf '%s\n' "$*" >"$here/refused" 2>/dev/null || :
	exit 1
}

engine={{q .Engine}}
{{- else}}
die() {
	printf 'repro-rerun: %s\n' "$*" >&2
	exit 1
}

engine=${REPRO_ENGINE:-{{q .Engine}}}
{{- end}}
image={{q .Image}}
config_digest={{q .Run.ImageConfigDigest}}

for tool in mktemp cut{{if .Code}} git{{end}}{{if .MapUser}} id{{end}}{{if .Data}} tr{{end}}{{if .DirData}} find sort xargs sed wc touch cp grep{{end}}; do
	command -v "$tool" >/dev/null 2>&1 || die "$tool is needed and is not on PATH"
done
{{- if .Job}}
command -v "$engine" >/dev/null 2>&1 || die "container CLI $engine is not on PATH on $(hostname 2>/dev/null || echo this node)"
{{- else}}
command -v "$engine" >/dev/null 2>&1 || die "container CLI $engine is not on PATH; set REPRO_ENGINE"

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
{{- end}}
work=$(mktemp -d "${TMPDIR:-/tmp}/repro-rerun.XXXXXX")
trap 'rm -rf -- "$work"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
{{- if .Data}}

# sha256 of stdin with what this machine has: sha256sum (GNU coreutils,
# busybox), shasum (macOS) or openssl, the first that hashes the empty
# input right.
sha256_of() {
	case $hasher in
	sha256sum) sha256sum ;;
	shasum) shasum -a 256 ;;
	openssl) openssl dgst -sha256 -r ;;
	esac
}
empty_sha256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
hasher=
for h in sha256sum shasum openssl; do
	command -v "$h" >/dev/null 2>&1 || continue
	hasher=$h
	[ "$(sha256_of </dev/null 2>/dev/null | cut -d ' ' -f 1)" = "$empty_sha256" ] && break
	hasher=
done
[ -n "$hasher" ] || die "no working sha256 tool on PATH: install GNU coreutils (sha256sum), or have shasum or openssl"

# file_sha256 FILE WHAT: sets sum to the sha256 (hex) of FILE.
file_sha256() {
	sha256_of <"$1" >"$work/sum" || die "$2: $hasher failed reading $1"
	sum=$(cut -d ' ' -f 1 <"$work/sum")
	case $sum in
	*[!0-9a-f]* | '') die "$2: $hasher printed no sha256 for $1" ;;
	esac
	[ "${#sum}" -eq 64 ] || die "$2: $hasher printed no sha256 for $1"
}
{{- end}}
{{- if .DirData}}

# The version of a directory: the sha256 of the listing GNU sha256sum
# prints for its files, sorted by their paths relative to it in byte order
# (what repro digest --list prints). It is computed with GNU, busybox or
# BSD tools alike, one checked step at a time: a tool that fails stops the
# script with its own message, never with the digest of a partial listing.
find "$work" -prune -print0 >/dev/null 2>&1 || die "find cannot list files with -print0 (it failed on an empty directory); install GNU findutils, or use busybox's or BSD's find"
sort_z=
[ "$(printf 'b\000a\000' | LC_ALL=C sort -z 2>/dev/null | tr '\000' ' ')" = 'a b ' ] && sort_z=1

# hash_files: the sha256 lines of the files named, NUL-separated, on stdin.
hash_files() {
	case $hasher in
	sha256sum) xargs -0 sha256sum ;;
	shasum) xargs -0 shasum -a 256 ;;
	openssl) xargs -0 openssl dgst -sha256 -r ;;
	esac
}

# listing_of SUMS: the lines of SUMS (hash_files of ./-prefixed names) as
# GNU sha256sum prints them for names without the ./ prefix.
listing_of() {
	LC_ALL=C sed -n 's|^\(\\\{0,1\}[0-9a-f]\{64\}\) [ *]\./|\1  |p' "$1"
}

# Does the sha256 tool escape names as GNU sha256sum does? A backslash
# and a line feed (escapes), and a carriage return (escapes_cr: newer
# coreutils), each tried on an empty file.
probe_escape() { # NAME ESCAPED: is NAME listed as ESCAPED?
	rm -rf -- "$work/probe" && mkdir -- "$work/probe" && : >"$work/probe/$1" &&
		(cd -- "$work/probe" && printf './%s\000' "$1" | hash_files) >"$work/probe.sums" 2>/dev/null &&
		listing_of "$work/probe.sums" >"$work/probe.listing" &&
		[ "$(cat -- "$work/probe.listing")" = "\\$empty_sha256  $2" ]
}
escapes=
escapes_cr=
probe_escape 'a\b' 'a\\b' && probe_escape "$(printf 'c\nd')" 'c\nd' && escapes=1
probe_escape "$(printf 'e\rf')" 'e\rf' && escapes_cr=1

# count_bytes SET FILE: how many bytes of FILE are in the tr set SET.
count_bytes() {
	tr -cd "$1" <"$2" >"$work/count" || die "tr failed reading $2"
	n=$(wc -c <"$work/count")
	echo "${n##* }"
}

# odd_name CHAR WHAT DIR OK WHY: refuses a file name under DIR holding
# CHAR (a grep pattern) unless OK.
odd_name() {
	[ -z "$4" ] || return 0
	odd=$(tr '\000' '\n' <"$work/files" | LC_ALL=C grep -m 1 -e "$1" || true)
	[ -z "$odd" ] || die "$2: $odd under $3 has $5, which $hasher here does not list as GNU sha256sum does; install GNU coreutils to check this dataset"
}

# dir_listing DIR WHAT: writes DIR's listing to $work/listing.
dir_listing() {
	(cd -- "$1" && find . -type f -print0) >"$work/files" || die "$2: find failed listing the files under $1 (its message is above)"
	if [ -z "$escapes" ] || [ -z "$escapes_cr" ] || [ -z "$sort_z" ]; then
		tr -cd '\\\n\r' <"$work/files" >"$work/odd" || die "tr failed reading the file names"
		if [ -s "$work/odd" ]; then
			odd_name '\\' "$2" "$1" "$escapes" "a backslash in its name"
			odd_name "$(printf '\r')" "$2" "$1" "$escapes_cr" "a carriage return in its name"
			if [ -z "$escapes" ] || [ -z "$sort_z" ]; then
				[ "$(count_bytes '\n' "$work/files")" = 0 ] ||
					die "$2: a file under $1 has a line break in its name, which $hasher and sort here cannot list as GNU coreutils does; install GNU coreutils to check this dataset"
			fi
		fi
	fi
	if [ -n "$sort_z" ]; then
		LC_ALL=C sort -z <"$work/files" >"$work/sorted" || die "$2: sort -z failed sorting the file names of $1"
	else
		if ! { tr '\000' '\n' <"$work/files" >"$work/names" &&
			LC_ALL=C sort <"$work/names" >"$work/names.sorted" &&
			tr '\n' '\000' <"$work/names.sorted" >"$work/sorted"; }; then
			die "$2: sorting the file names of $1 failed"
		fi
	fi
	if [ -s "$work/sorted" ]; then
		(cd -- "$1" && hash_files) <"$work/sorted" >"$work/sums" || die "$2: $hasher failed hashing the files under $1 (its message is above)"
	else
		: >"$work/sums"
	fi
	listing_of "$work/sums" >"$work/listing" || die "$2: sed failed reading the sha256 lines"
	files=$(count_bytes '\000' "$work/sorted")
	lines=$(count_bytes '\n' "$work/listing")
	[ "$files" = "$lines" ] || die "$2: $hasher printed $lines sha256 lines this script can read for the $files files under $1; the data is not compared on a partial listing"
}
{{- end}}
{{- if .Mounts}}

mountable() {
	case $2 in
	*,* | *'"'*) die "$1 path $2 contains a comma or quote, which the container engine cannot mount" ;;
	esac
}
{{- end}}
{{- if .Code}}

# Code.
commit={{q .Run.Commit}}
if [ -n "${REPRO_CODE:-}" ]{{if .Job}} && false{{end}}; then
	set -- "$REPRO_CODE"
else
	set --{{range .Code}} {{q .}}{{end}}
fi
found=
for src in "$@"; do
	rm -rf -- "$work/code"
	git clone --quiet --no-checkout -- "$src" "$work/code" 2>/dev/null || continue
	if ! git -C "$work/code" cat-file -e "$commit^{commit}" 2>/dev/null; then
		git -C "$work/code" fetch --quiet origin "$commit" 2>/dev/null || continue
	fi
	git -C "$work/code" -c advice.detachedHead=false checkout --quiet "$commit" 2>/dev/null || continue
	found=$src
	break
done
[ -n "$found" ] || die "commit $commit is in none of: $*; set REPRO_CODE to a clone that has it"
printf '{{.Prog}}: code %s at %s\n' "$found" "$commit" >&2
{{- if .PatchB64}}

# The original run's uncommitted changes, applied and checked: the work
# tree must become the recorded git tree.
want_tree={{q .Run.CodeTree}}
base64 -d >"$work/changes.patch" <<'REPRO_PATCH' || die "cannot decode the recorded changes"
{{.PatchB64}}
REPRO_PATCH
git -C "$work/code" apply --binary --whitespace=nowarn "$work/changes.patch" || die "the recorded uncommitted changes do not apply to $commit"
git -C "$work/code" add --all -- ':/'
tree=$(git -C "$work/code" write-tree)
[ "$tree" = "$want_tree" ] || die "the re-created work tree is git tree $tree, but the run used $want_tree"
{{- end}}
mountable code "$work"
{{- end}}
{{- range $i, $d := .Data}}

# Data: {{c .Name}}, {{c .Kind}}, {{.Files}} files, {{.Bytes}} bytes.
name_{{$i}}={{q .Name}}
want_{{$i}}={{q .Digest}}
{{- if $.Job}}
data_{{$i}}={{q .Path}}
{{- else}}
data_{{$i}}=${ {{- .Var}}:-{{q .Path}}}
{{- end}}
[ -e "$data_{{$i}}" ] || die "dataset $name_{{$i}}: $data_{{$i}} does not exist; point {{.Var}} at a copy of it"
{{- if eq .Kind "dir"}}
[ -d "$data_{{$i}}" ] || die "dataset $name_{{$i}}: $data_{{$i}} is not a directory"
dir_listing "$data_{{$i}}" "dataset $name_{{$i}}"
file_sha256 "$work/listing" "dataset $name_{{$i}}"
got=sha256:$sum
if [ "$got" != "$want_{{$i}}" ]; then
	listing="$here/"{{q .Listing}}
	cp -- "$work/listing" "$listing" 2>/dev/null || listing="(not written: $here is not writable)"
{{- if $.Job}}
	die "dataset $name_{{$i}} at $data_{{$i}} has digest $got, but the run recorded $want_{{$i}}: it changed between the submission and the job's start. To see which files differ, compare this listing, $listing, with repro digest --list of the data"
{{- else}}
	die "dataset $name_{{$i}} at $data_{{$i}} has digest $got, but the run used $want_{{$i}}; point {{.Var}} at an unchanged copy. To see which files differ, compare this side's listing, $listing, with repro digest --list of the data the run used"
{{- end}}
fi
{{- else}}
[ -f "$data_{{$i}}" ] || die "dataset $name_{{$i}}: $data_{{$i}} is not a file"
file_sha256 "$data_{{$i}}" "dataset $name_{{$i}}"
got=sha256:$sum
{{- if $.Job}}
[ "$got" = "$want_{{$i}}" ] || die "dataset $name_{{$i}} at $data_{{$i}} has digest $got, but the run recorded $want_{{$i}}: it changed between the submission and the job's start"
{{- else}}
[ "$got" = "$want_{{$i}}" ] || die "dataset $name_{{$i}} at $data_{{$i}} has digest $got, but the run used $want_{{$i}}; point {{.Var}} at an unchanged copy"
{{- end}}
{{- end}}
mountable "dataset $name_{{$i}}" "$data_{{$i}}"
{{- end}}
{{- range .Secrets}}
[ -n "${ {{- .}}+set}" ] || die {{q (printf "%s is not set; its value was not recorded: export it and run again" .)}}
{{- end}}
{{- if .Run.OutDir}}

# Outputs.
{{- if .Job}}
out={{q .Run.OutDir}}
{{- else}}
out=${REPRO_OUT:-"$here/"{{q (printf "repro-rerun-%s-" .Short)}}"$(date -u +%Y%m%dT%H%M%SZ)"}
{{- end}}
mkdir -p -- "$out"
[ -z "$(ls -A -- "$out")" ] || die "REPRO_OUT $out is not empty; give an empty directory"
out=$(cd -- "$out" && pwd)
mountable outputs "$out"
{{- end}}

# Image, by digest only{{if .Kept}}: the recorded one, then each kept copy{{end}}.
# try_pull IMAGE LOOPBACK: pull IMAGE and make it the image. A registry on
# this machine is reached over plain HTTP: docker allows that for loopback
# by itself, podman has to be told.
try_pull() {
	pull_flag=
	if [ "$2" = 1 ]; then
		case ${engine##*/} in podman) pull_flag=--tls-verify=false ;; esac
	fi
	"$engine" pull --quiet ${pull_flag:+"$pull_flag"} "$1" >/dev/null || return 1
	image=$1
}
try_pull "$image" {{if .Loopback}}1{{else}}0{{end}}
{{- range .Kept}} ||
	try_pull {{q .Ref}} {{if .Loopback}}1{{else}}0{{end}}
{{- end}} ||
	die {{q .PullFailure}}
{{- if .Kept}}
[ "$image" = {{q .Image}} ] || printf '{{.Prog}}: the recorded image is gone; using its kept copy %s\n' "$image" >&2
{{- end}}
id=$("$engine" image inspect --format '{{"{{"}}.Id{{"}}"}}' "$image")
case $id in sha256:*) ;; *) id=sha256:$id ;; esac
if [ -n "$config_digest" ] && [ "$id" != "$config_digest" ]; then
	die "local image $image has ID $id, recorded $config_digest"
fi

set --{{range .Run.Argv}} {{q .}}{{end}}
rc=0
{{- if .Job}}
name={{q .Container}}
# Cancelling the job signals this script: the container is stopped by
# its name (killing the engine's client alone would leave it running).
stopping=
child=
# shellcheck disable=SC2317 # called by the trap
stop_container() {
	stopping=1
	[ -n "$child" ] || return 0
	printf 'repro-job: stopping container %s\n' "$name" >&2
	"$engine" stop --time 10 "$name" >/dev/null 2>&1 || "$engine" kill "$name" >/dev/null 2>&1 || :
}
trap stop_container TERM INT HUP
[ -z "$stopping" ] || exit 143
"$engine" run --rm --init --name "$name" --label {{q (printf "repro.run=%s" .Run.ID)}} \
{{- if .Run.RerunOf}}
	--label {{q (printf "repro.rerun-of=%s" .Run.RerunOf)}} \
{{- end}}
{{- else}}
"$engine" run --rm --init --label {{q (printf "repro.rerun-of=%s" .Run.ID)}} \
{{- end}}
{{- if .Code}}
	--mount "type=bind,source=$work/code,target=/workspace,readonly" \
{{- end}}
{{- range $i, $d := .Data}}
	--mount "type=bind,source=$data_{{$i}},target="{{q .Target}}",readonly" \
{{- end}}
{{- if .Run.OutDir}}
	--mount "type=bind,source=$out,target=/out" \
{{- end}}
{{- if .Run.Workdir}}
	--workdir {{q .Run.Workdir}} \
{{- end}}
{{- if .Run.Memory}}
	--memory {{q .Run.Memory}} \
{{- end}}
{{- if .Run.GPUs}}
	--gpus {{q .Run.GPUs}} \
{{- end}}
{{- if .MapUser}}
	--user "$(id -u):$(id -g)" \
{{- end}}
{{- range .Plain}}
	--env {{q (printf "%s=%s" .Name .Value)}} \
{{- end}}
{{- range .Secrets}}
	--env {{q .}} \
{{- end}}
{{- if .Job}}
	-- "$image" "$@" &
child=$!
# A TERM while the engine's client was being started.
[ -z "$stopping" ] || stop_container
# wait returns early when a trapped signal arrives: wait again until
# the engine's client has ended.
while :; do
	rc=0
	wait "$child" || rc=$?
	kill -0 "$child" 2>/dev/null || break
done
[ -z "$stopping" ] || "$engine" rm --force "$name" >/dev/null 2>&1 || :
{{- else}}
	-- "$image" "$@" || rc=$?
{{- end}}
{{- if .Run.OutDir}}
printf '{{.Prog}}: outputs in %s (exit status %s)\n' "$out" "$rc" >&2
{{- end}}
exit "$rc"
`
