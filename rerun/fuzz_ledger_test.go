package rerun_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	"sigs.k8s.io/yaml"

	"github.com/reprohq/repro/rerun"
	"github.com/reprohq/repro/runlog"
)

// FuzzRerun_LedgerValues feeds arbitrary bytes into every text field of a
// run as it would be read back from an edited ledger. Either the run is
// refused, or the sh script parses (sh -n), the Kubernetes Job decodes
// strictly into batch/v1, and each value appears in the script only
// inside its own quoted literal.
func FuzzRerun_LedgerValues(f *testing.F) {
	f.Add("4e1d2a9c0b7f00000000000000000000", "train", "/data/train", "LR", "0.1", "--seed", "main", "https://example.invalid/ml.git", "/workspace", "docker", "16g", "HF_TOKEN")
	f.Add("4e1d2a9c0b7f\nkind: Pod", "train\ntouch pwned\n#", "/d", "K$(touch x)", "$(id)", "`id`", "main\n# evil", "x'; touch y; '", "/w", "./evil.sh", "--privileged", "A B")
	f.Add("4e1d2a9c0b7f00000000000000000000", "train,source=/etc", "/etc,readonly=false", "DOCKER_HOST", "unix:///tmp/s", "it's", "$HOME", "-oProxyCommand=x", "../..", "podman", "1g", "S\x00")
	f.Add("4e1d2a9c0b7f00000000000000000000", "ok", "/data/ok's dir", "X", "a\nb\x1b]0;t\a", "\xff\xfe", "b", "r", "/w d", "docker", "2g", "SECRET_NAME")
	sh, err := exec.LookPath("sh")
	if err != nil {
		f.Skip("no sh")
	}
	f.Fuzz(func(t *testing.T, id, dname, dpath, ename, evalue, arg, branch, remote, workdir, engine, memory, secret string) {
		r := finishedRun([]string{arg, "--fixed"}, []runlog.EnvVar{{Name: ename, Value: evalue}, {Name: secret, Secret: true}})
		r.ID, r.Branch, r.Remote, r.Workdir, r.Engine.Name, r.Memory = id, branch, remote, workdir, engine, memory
		r.Commit, r.CodeDir, r.CodeMount, r.OutDir = strings.Repeat("c", 40), "/src", true, "/out"
		r.Data = []runlog.Dataset{{Name: dname, Path: dpath, Kind: "dir", Digest: digest}}

		script, serr := rerun.Script(r, rerun.Options{})
		manifest, kerr := rerun.K8sJob(r, rerun.K8sOptions{GitImage: gitImage})
		if serr != nil {
			if kerr == nil {
				t.Fatalf("K8sJob accepted a run Script refused (%v)", serr)
			}
			return
		}
		path := filepath.Join(t.TempDir(), "s.sh")
		if err := os.WriteFile(path, script, 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(sh, "-n", path).CombinedOutput(); err != nil {
			t.Fatalf("sh -n: %v\n%s\n%s", err, out, script)
		}
		if kerr == nil {
			var job batchv1.Job
			if err := yaml.UnmarshalStrict(manifest, &job); err != nil {
				t.Fatalf("strict decode: %v\n%s", err, manifest)
			}
			if job.Kind != "Job" {
				t.Fatalf("kind %q", job.Kind)
			}
		}
		// Each hostile value only inside its quoted forms.
		rest := string(script)
		quoted := []string{
			rerun.Quote(arg), rerun.Quote(runlog.Visible(arg)),
			rerun.Quote(ename + "=" + evalue),
			rerun.Quote(branch), rerun.Quote(runlog.Visible(branch)),
			rerun.Quote(remote), rerun.Quote(runlog.Visible(remote)),
			rerun.Quote(dpath), rerun.Quote(runlog.Visible(dpath)),
			rerun.Quote(workdir), rerun.Quote(memory),
		}
		for _, q := range quoted {
			rest = strings.ReplaceAll(rest, q, "")
		}
		for _, v := range []string{arg, evalue, branch, remote, dpath, workdir} {
			if len(v) >= 3 && strings.ContainsAny(v, "$`;|&<>(){}\n'\"\\") && strings.Contains(rest, v) {
				t.Fatalf("value %q appears outside its quoted literal:\n%s", v, script)
			}
		}
	})
}
