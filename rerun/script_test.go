package rerun_test

import (
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/reprohq/repro/rerun"
	"github.com/reprohq/repro/runlog"
)

const (
	digest = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	config = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
)

// fakeEngine answers pull and image inspect like docker, and for run
// prints each of its arguments in hex, one per line.
const fakeEngine = `#!/bin/sh
case "$1" in
pull) exit 0 ;;
image) echo "` + config + `" ;;
run)
	shift
	for a in "$@"; do
		printf '%s' "$a" | od -An -v -tx1 | tr -d ' \n'
		echo
	done
	;;
*) exit 99 ;;
esac
`

func finishedRun(argv []string, env []runlog.EnvVar) *runlog.Run {
	code := 0
	end := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	return &runlog.Run{
		ID: "4e1d2a9c0b7f00000000000000000000", Status: runlog.StatusSucceeded, ExitCode: &code,
		Image: "127.0.0.1:5000/t:1", ImageRepo: "127.0.0.1:5000/t", ImageDigest: digest, ImageConfigDigest: config,
		Argv: argv, Env: env, StartedAt: end.Add(-time.Minute), FinishedAt: &end,
		Engine: runlog.Engine{Name: "docker"},
	}
}

// allShells are the shells the script is tested under: every POSIX sh
// Debian packages, bash in both modes, zsh (macOS's login shell) and
// busybox's (Alpine, slim images). In CI each one must be there.
var allShells = [][]string{
	{"dash"}, {"bash"}, {"bash", "--posix"}, {"mksh"}, {"zsh"}, {"posh"}, {"yash"}, {"busybox", "sh"},
}

// shells returns the shells of want found on this machine, with their
// full paths (a test may narrow PATH); outside CI a missing one is
// skipped.
func shells(t testing.TB, want [][]string) [][]string {
	t.Helper()
	var found [][]string
	for _, sh := range want {
		p, err := exec.LookPath(sh[0])
		if err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("CI=true but the shell %s is missing", sh[0])
			}
			t.Logf("shell %s missing, not tested", sh[0])
			continue
		}
		found = append(found, append([]string{p}, sh[1:]...))
	}
	if len(found) == 0 {
		t.Skip("no shell")
	}
	return found
}

// sh and bash: the shells the fuzzer tries each input under.
var shAndBash = [][]string{{"sh"}, {"bash"}}

// scriptRun is what one run of a re-run script did.
type scriptRun struct {
	stdout, stderr string // the engine's run printed stdout
	dir            string // where the script was
	err            error
}

// runScript writes the script for r, runs it under shell with the fake
// engine and env added to this process's environment.
func runScript(t testing.TB, shell []string, r *runlog.Run, env ...string) scriptRun {
	t.Helper()
	script, err := rerun.Script(r, rerun.Options{})
	if err != nil {
		t.Fatalf("Script: %v", err)
	}
	dir := t.TempDir()
	engine := filepath.Join(dir, "engine")
	if err := os.WriteFile(engine, []byte(fakeEngine), 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "rerun.sh")
	if err := rerun.WriteFile(path, script); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(shell[0], append(shell[1:], path)...)
	cmd.Env = append(os.Environ(), "REPRO_ENGINE="+engine)
	for _, e := range r.Env {
		if e.Secret {
			cmd.Env = append(cmd.Env, e.Name+"=from-the-caller")
		}
	}
	cmd.Env = append(cmd.Env, env...)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return scriptRun{out.String(), errOut.String(), dir, err}
}

// roundTrip runs the script for r under shell and returns the arguments
// the engine's run received.
func roundTrip(t testing.TB, shell []string, r *runlog.Run, env ...string) []string {
	t.Helper()
	res := runScript(t, shell, r, env...)
	if res.err != nil {
		t.Fatalf("%s: %v\n%s", shell, res.err, res.stderr)
	}
	var args []string
	for _, line := range strings.Split(strings.TrimSuffix(res.stdout, "\n"), "\n") {
		b, err := hex.DecodeString(line)
		if err != nil {
			t.Fatalf("engine output %q: %v", line, err)
		}
		args = append(args, string(b))
	}
	return args
}

func checkArgs(t testing.TB, shell []string, r *runlog.Run, got []string) {
	t.Helper()
	image := r.ImageRepo + "@" + r.ImageDigest
	i := len(got) - len(r.Argv) - 1
	if i < 1 || got[i] != image || got[i-1] != "--" {
		t.Fatalf("%s: engine args %q do not end with -- %s and the command", shell, got, image)
	}
	for j, a := range r.Argv {
		if got[i+1+j] != a {
			t.Fatalf("%s: argument %d = %q, want %q", shell, j+1, got[i+1+j], a)
		}
	}
	for _, e := range r.Env {
		want := e.Name + "=" + e.Value
		if e.Secret {
			want = e.Name
		}
		found := false
		for k := 0; k+1 < i; k++ {
			if got[k] == "--env" && got[k+1] == want {
				found = true
			}
		}
		if !found {
			t.Fatalf("%s: --env %q not passed; args %q", shell, want, got)
		}
	}
}

var hostile = []string{
	"", " ", "'", `"`, `'\''`, "$(id)", "`id`", "${HOME}", "$HOME", "*", "?", "[a-z]*", "~", "~root",
	"a b\tc", "line1\nline2", "\r\n", `\`, `\\n`, "!", "!!", ";", "&&", "|", ">out", "<in", "#comment",
	"--rm", "-e", "--", "é", "日本語", "emoji 🚀", "\x7f", "a'b\"c$d`e\\f", "%s%n", "{a,b}",
}

// TestScript_ArgvRoundTrip: under every shell, the container receives
// exactly the recorded arguments and environment, after the script has
// checked a directory and a file dataset.
func TestScript_ArgvRoundTrip(t *testing.T) {
	env := []runlog.EnvVar{{Name: "PLAIN", Value: "it's $(id) `x` \"q\"\nnext"}, {Name: "HF_TOKEN", Secret: true}}
	r := finishedRun(hostile, env)
	r.Data = []runlog.Dataset{writeDataset(t, "train", plainNames), writeDataset(t, "labels.v2", nil)}
	for _, sh := range shells(t, allShells) {
		t.Run(strings.Join(append([]string{filepath.Base(sh[0])}, sh[1:]...), " "), func(t *testing.T) {
			checkArgs(t, sh, r, roundTrip(t, sh, r))
		})
	}
}

// FuzzScript_Argv: whatever the arguments, the container receives exactly
// them, under sh and bash.
func FuzzScript_Argv(f *testing.F) {
	for i := 0; i+1 < len(hostile); i += 2 {
		f.Add(hostile[i], hostile[i+1], "v"+hostile[i])
	}
	f.Fuzz(func(t *testing.T, a, b, v string) {
		r := finishedRun([]string{a, b}, []runlog.EnvVar{{Name: "FUZZ", Value: v}})
		for _, s := range []string{a, b, v} {
			if strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s) {
				if _, err := rerun.Script(r, rerun.Options{}); err == nil {
					t.Fatalf("a NUL or invalid UTF-8 was written into a script")
				}
				return
			}
		}
		for _, sh := range shells(t, shAndBash) {
			checkArgs(t, sh, r, roundTrip(t, sh, r))
		}
	})
}

func TestScript_Refusals(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(r *runlog.Run)
		wantErr string
	}{
		{"dirty", func(r *runlog.Run) {
			r.Commit, r.Dirty, r.ChangedFiles, r.CodeMount = strings.Repeat("a", 40), true, []string{"train.py"}, true
		}, "was recorded from a dirty work tree (1 changed files: train.py)"},
		{"running", func(r *runlog.Run) { r.Status = runlog.StatusRunning }, "still running"},
		{"nul argv", func(r *runlog.Run) { r.Argv = []string{"a\x00b"} }, `argv[0] "a\x00b"`},
		{"bad utf-8", func(r *runlog.Run) { r.Argv = []string{"\xff"} }, "argument 1 is not valid UTF-8"},
		{"bad digest", func(r *runlog.Run) { r.ImageDigest = "sha256:zz" }, `image_digest "sha256:zz"`},
		{"bad commit", func(r *runlog.Run) { r.Commit, r.CodeMount = "HEAD; rm -rf /", true }, `code_commit "HEAD; rm -rf /"`},
		{"bad data digest", func(r *runlog.Run) {
			r.Data = []runlog.Dataset{{Name: "d", Path: "/d", Kind: "dir", Digest: "$(id)"}}
		}, `datasets.digest of d "$(id)"`},
		{"dataset name with a newline", func(r *runlog.Run) {
			r.Data = []runlog.Dataset{{Name: "train\ntouch pwned\n#", Path: "/d", Kind: "dir", Digest: digest}}
		}, `datasets.name "train\ntouch pwned\n#"`},
		{"dataset name with a mount option", func(r *runlog.Run) {
			r.Data = []runlog.Dataset{{Name: "train,source=/etc", Path: "/d", Kind: "dir", Digest: digest}}
		}, `datasets.name "train,source=/etc"`},
		{"dataset path with a mount option", func(r *runlog.Run) {
			r.Data = []runlog.Dataset{{Name: "train", Path: "/d,source=/etc", Kind: "dir", Digest: digest}}
		}, `datasets.path of train "/d,source=/etc"`},
		{"secret name with a command", func(r *runlog.Run) {
			r.Env = []runlog.EnvVar{{Name: "K$(touch pwned)", Secret: true}}
		}, `env name "K$(touch pwned)"`},
		{"engine as a path", func(r *runlog.Run) { r.Engine.Name = "./evil.sh" }, `engine "./evil.sh"`},
		{"run ID with a newline", func(r *runlog.Run) { r.ID = "4e1d2a9c0b7f\nkind: Pod" }, `has id "4e1d2a9c0b7f\nkind: Pod"`},
		{"workdir not absolute", func(r *runlog.Run) { r.Workdir = "../../etc" }, `workdir "../../etc"`},
		{"memory as an option", func(r *runlog.Run) { r.Memory = "--privileged" }, `memory "--privileged"`},
		{"colliding data vars", func(r *runlog.Run) {
			r.Data = []runlog.Dataset{{Name: "a.b", Path: "/1", Kind: "dir", Digest: digest}, {Name: "a-b", Path: "/2", Kind: "dir", Digest: digest}}
		}, "share the variable REPRO_DATA_a_b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := finishedRun([]string{"x"}, nil)
			tt.edit(r)
			if _, err := rerun.Script(r, rerun.Options{}); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Script: %v, want error containing %q", err, tt.wantErr)
			}
			if _, err := rerun.K8sJob(r, rerun.K8sOptions{GitImage: "r.example/git@" + digest}); err == nil {
				t.Fatalf("K8sJob accepted what Script refused")
			}
		})
	}
	// A working directory is not a mount: a subdirectory named a,b is a
	// valid record (launch accepts it), so the script must accept it too.
	r0 := finishedRun([]string{"x"}, nil)
	r0.Workdir = "/workspace/a,b"
	if script, err := rerun.Script(r0, rerun.Options{}); err != nil || !strings.Contains(string(script), "'/workspace/a,b'") {
		t.Fatalf("Script(workdir with a comma): %v", err)
	}
	r0.Workdir = "/workspace/a\tb"
	if _, err := rerun.Script(r0, rerun.Options{}); err == nil {
		t.Fatal("Script accepted a workdir with a control character")
	}
	// --allow-dirty accepts a dirty run, and the script says so.
	r := finishedRun([]string{"x"}, nil)
	r.Commit, r.Dirty, r.CodeMount, r.CodeDir = strings.Repeat("a", 40), true, true, "/src"
	script, err := rerun.Script(r, rerun.Options{AllowDirty: true})
	if err != nil || !strings.Contains(string(script), "WARNING: the original run used uncommitted changes") {
		t.Fatalf("Script(AllowDirty): %v", err)
	}
}

// TestScript_Shellcheck: generated scripts, with code, data of both kinds,
// outputs, secrets and hostile values, pass shellcheck.
func TestScript_Shellcheck(t *testing.T) {
	if _, err := exec.LookPath("shellcheck"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("shellcheck is missing")
		}
		t.Skip("shellcheck is missing")
	}
	r := finishedRun(hostile, []runlog.EnvVar{{Name: "MODE", Value: "it's"}, {Name: "WANDB_API_KEY", Secret: true}})
	r.Commit, r.Branch, r.Remote, r.CodeDir, r.CodeMount = strings.Repeat("c", 40), "main# $(touch evil)", "https://example.invalid/x.git", "/src/it's here", true
	r.Workdir, r.OutDir = "/workspace/sub dir", "/out dir"
	r.Data = []runlog.Dataset{
		{Name: "train", Path: "/data/train's", Kind: "dir", Digest: digest, Files: 3, Bytes: 10},
		{Name: "labels.v2", Path: "/data/labels.csv", Kind: "file", Digest: config, Files: 1, Bytes: 4},
	}
	script, err := rerun.Script(r, rerun.Options{})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "rerun.sh")
	if err := rerun.WriteFile(path, script); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("shellcheck", "--shell=sh", path).CombinedOutput(); err != nil {
		t.Fatalf("shellcheck: %v\n%s\n%s", err, out, script)
	}
	// A branch name cannot break out of its comment.
	for _, line := range strings.Split(string(script), "\n") {
		if strings.HasPrefix(line, "# evil") {
			t.Fatalf("a recorded value started a line of the script: %q", line)
		}
	}
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rerun.sh")
	if err := rerun.WriteFile(path, []byte("#!/bin/sh\n")); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("mode %v, %v; want 0700 (a script may carry a patch and values)", fi.Mode(), err)
	}
	if err := rerun.WriteFile(dir, []byte("x")); err == nil {
		t.Error("writing over a directory succeeded")
	}
	if err := rerun.WriteFile(filepath.Join(dir, "missing", "x.sh"), []byte("x")); err == nil {
		t.Error("writing into a missing directory succeeded")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("left behind: %v", entries)
	}
}

func TestQuote(t *testing.T) {
	tests := map[string]string{"": "''", "a": "'a'", "it's": `'it'\''s'`, "$(id)": "'$(id)'", "''": `''\'''\'''`}
	for in, want := range tests {
		if got := rerun.Quote(in); got != want {
			t.Errorf("Quote(%q) = %s, want %s", in, got, want)
		}
	}
	if got := rerun.EnvSuffix("train.v2-x"); got != "train_v2_x" {
		t.Errorf("EnvSuffix = %q", got)
	}
}
