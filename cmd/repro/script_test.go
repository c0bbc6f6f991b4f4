package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"repro": func() { os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs testdata/script/*.txtar against the real Docker Engine,
// the CNCF distribution registry started here on 127.0.0.1, real git and
// real SQLite. Outside CI, scripts that need Docker or the registry skip
// when those are missing; in CI (CI=true) that is a failure.
func TestScripts(t *testing.T) {
	inCI := os.Getenv("CI") == "true"
	dockerOK := exec.Command("docker", "info").Run() == nil
	if !dockerOK && inCI {
		t.Fatal("CI=true but the Docker Engine is not usable (docker info failed)")
	}
	registry, registryData, err := startRegistry(t)
	if err != nil {
		if inCI {
			t.Fatalf("CI=true but the registry could not start: %v", err)
		}
		t.Logf("no registry, scripts that need one skip: %v", err)
	}
	if _, err := exec.LookPath("cosign"); err != nil && inCI {
		t.Fatal("CI=true but cosign is not on PATH (make interop installs it)")
	}
	podmanOK := exec.Command("podman", "info").Run() == nil
	if !podmanOK && inCI {
		t.Fatal("CI=true but podman is not usable (podman info failed)")
	}
	slurmConf, err := startSlurm(t)
	if err != nil {
		if inCI {
			t.Fatalf("CI=true but the Slurm cluster could not start: %v", err)
		}
		t.Logf("no Slurm cluster, scripts that need one skip: %v", err)
	}
	pg, err := startPostgres(t)
	if err != nil {
		if inCI {
			t.Fatalf("CI=true but PostgreSQL could not start: %v", err)
		}
		t.Logf("no PostgreSQL, scripts that need it skip: %v", err)
	}
	trainerCtx := buildTrainer(t)
	if dockerOK && registry != "" {
		removeTestImages(t, registry)
	}

	params := testscript.Params{
		Dir:                 filepath.Join("..", "..", "testdata", "script"),
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		UpdateScripts:       os.Getenv("REPRO_UPDATE") == "1",
		Setup: func(env *testscript.Env) error {
			home := filepath.Join(env.WorkDir, "home")
			if err := os.MkdirAll(home, 0o755); err != nil {
				return err
			}
			env.Setenv("HOME", home)
			env.Setenv("XDG_DATA_HOME", filepath.Join(home, ".local", "share"))
			env.Setenv("DOCKER_CONFIG", filepath.Join(home, ".docker"))
			env.Setenv("REPRO_LEDGER", filepath.Join(env.WorkDir, "ledger.db"))
			env.Setenv("REGISTRY", registry)
			env.Setenv("REGISTRY_DATA", registryData) // its storage, for scripts that lose an image
			env.Setenv("TRAINER_CTX", trainerCtx)
			if slurmConf != "" {
				env.Setenv("SLURM_CONF", slurmConf)
			}
			fixture, err := filepath.Abs(filepath.Join("..", "..", "testdata", "ledger", "v1.sql"))
			if err != nil {
				return err
			}
			env.Setenv("LEDGER_FIXTURE", fixture) // a ledger schema 1 wrote: 12 runs, 11 chained
			env.Setenv("GIT_AUTHOR_NAME", "Ada")
			env.Setenv("GIT_AUTHOR_EMAIL", "ada@example.invalid")
			env.Setenv("GIT_COMMITTER_NAME", "Ada")
			env.Setenv("GIT_COMMITTER_EMAIL", "ada@example.invalid")
			env.Setenv("GIT_CONFIG_NOSYSTEM", "1")
			env.Setenv("CI", "")
			return nil
		},
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "docker":
				return dockerOK && registry != "", nil
			case "registry":
				return registry != "", nil
			case "mount":
				return canMount(), nil
			case "root":
				return os.Getuid() == 0, nil
			case "podman":
				return podmanOK, nil
			case "slurm":
				return slurmConf != "", nil
			case "postgres":
				return pg != nil, nil
			case "cosign":
				_, err := exec.LookPath("cosign")
				return err == nil, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"setenv-stdout":  cmdSetenvStdout,
			"wait-container": cmdWaitContainer,
			"tmpfs":          cmdTmpfs,
			"json-field":     cmdJSONField,
			"unix-listen":    cmdUnixListen,
			"user-dir":       cmdUserDir,
			"free-port":      cmdFreePort,
			"as-user":        cmdAsUser,
			"pg-ledger":      cmdPgLedger(pg),
			"fill-ledger":    cmdFillLedger,
			"wait-runs":      cmdWaitRuns(pg),
			"ledger-sql":     cmdLedgerSQL,
			"ledger-dump":    cmdLedgerDump,
		},
	}
	testscript.Run(t, params)
	if pg != nil {
		// The same scripts, on a team's ledger: each gets a PostgreSQL
		// database of its own for REPRO_LEDGER, migrated, and they push to
		// a registry of their own (they run beside their SQLite twins,
		// which push the same repositories and tags).
		pgRegistry, pgRegistryData, err := startRegistry(t)
		if err != nil {
			t.Fatalf("a second registry: %v", err)
		}
		if dockerOK {
			removeTestImages(t, pgRegistry)
		}
		t.Run("postgres", func(t *testing.T) { testscript.Run(t, onPostgres(params, pg, pgRegistry, pgRegistryData)) })
	}
}

// The user the as-user scripts run as: no account, just IDs, in the
// docker socket's group as a user of a docker host would be.
const testUID, testGID = 4242, 4242

// user-dir VAR: make a directory testUID owns, that it can reach (the
// script's own work directory is root's alone), and set VAR to it.
func cmdUserDir(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: user-dir VAR")
	}
	dir, err := os.MkdirTemp("", "repro-user-")
	ts.Check(err)
	ts.Defer(func() { os.RemoveAll(dir) })
	ts.Check(os.Chmod(dir, 0o755))
	ts.Check(os.Chown(dir, testUID, testGID))
	ts.Setenv(args[0], dir)
}

// reproForUser is a copy of this test binary that testUID can run (the
// build directory is root's alone); named repro, it runs repro.
var reproForUser = sync.OnceValues(func() (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "repro-bin-")
	if err != nil {
		return "", err
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return "", err
	}
	b, err := os.ReadFile(self)
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "repro")
	return bin, os.WriteFile(bin, b, 0o755)
})

// as-user PROG [ARG...]: run PROG (repro, or one on PATH) as testUID, in
// the docker socket's group, in the script's current directory, with the
// script's PATH, HOME, ledger, data, docker and git settings.
func cmdAsUser(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 1 {
		ts.Fatalf("usage: as-user PROG [ARG...]")
	}
	prog := args[0]
	if prog == "repro" {
		bin, err := reproForUser()
		ts.Check(err)
		prog = bin
	}
	var sock syscall.Stat_t
	ts.Check(syscall.Stat("/var/run/docker.sock", &sock))
	cmd := exec.Command(prog, args[1:]...)
	cmd.Dir = ts.MkAbs(".")
	for _, k := range []string{"PATH", "HOME", "REPRO_LEDGER", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "DOCKER_CONFIG",
		"GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "GIT_CONFIG_NOSYSTEM"} {
		if v := ts.Getenv(k); v != "" {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: testUID, Gid: testGID, Groups: []uint32{sock.Gid}}}
	cmd.Stdout, cmd.Stderr = ts.Stdout(), ts.Stderr()
	err := cmd.Run()
	switch {
	case err == nil && neg:
		ts.Fatalf("as-user %s: unexpected success", args[0])
	case err != nil && !neg:
		ts.Fatalf("as-user %s: %v", args[0], err)
	}
}

// setenv-stdout VAR [N]: set VAR to the Nth word (default 1) of the last
// command's first line of stdout.
func cmdSetenvStdout(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: setenv-stdout VAR [N]")
	}
	n := 1
	if len(args) == 2 {
		var err error
		if n, err = strconv.Atoi(args[1]); err != nil || n < 1 {
			ts.Fatalf("setenv-stdout: bad word number %q", args[1])
		}
	}
	line, _, _ := strings.Cut(ts.ReadFile("stdout"), "\n")
	words := strings.Fields(line)
	if len(words) < n {
		ts.Fatalf("setenv-stdout: stdout's first line %q has no word %d", line, n)
	}
	ts.Setenv(args[0], words[n-1])
}

// wait-container IMAGE: wait until a repro container of IMAGE is running.
// (Scripts run in parallel; each uses its own image.)
func cmdWaitContainer(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: wait-container IMAGE")
	}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		out, _ := exec.Command("docker", "ps", "-q", "--filter", "label=repro.run", "--filter", "ancestor="+args[0]).Output()
		if len(strings.TrimSpace(string(out))) > 0 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	ts.Fatalf("no repro container started within 60s")
}

// json-field PATH REGEXP: the value at PATH (dot-separated keys and array
// indexes, as in children.2.name) of the last command's stdout, parsed as
// JSON, must match REGEXP (strings as they are, other values as JSON).
func cmdJSONField(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: json-field PATH REGEXP")
	}
	var v any
	if err := json.Unmarshal([]byte(ts.ReadFile("stdout")), &v); err != nil {
		ts.Fatalf("stdout is not JSON: %v", err)
	}
	missing := func(why string) {
		if !neg {
			ts.Fatalf("json-field %s: %s", args[0], why)
		}
	}
	for _, key := range strings.Split(args[0], ".") {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[key]; !ok {
				missing(fmt.Sprintf("no key %q", key))
				return
			}
		case []any:
			i, err := strconv.Atoi(key)
			if err != nil || i < 0 || i >= len(x) {
				missing(fmt.Sprintf("no element %q", key))
				return
			}
			v = x[i]
		default:
			missing(fmt.Sprintf("%q is not inside an object or array", key))
			return
		}
	}
	s, ok := v.(string)
	if !ok {
		b, _ := json.Marshal(v)
		s = string(b)
	}
	matched := regexp.MustCompile(args[1]).MatchString(s)
	if matched == neg {
		ts.Fatalf("json-field %s = %q; want match for %q: %v", args[0], s, args[1], !neg)
	}
}

// free-port VAR: set VAR to a TCP port on 127.0.0.1 that nothing listens
// on, for a server the script starts itself.
func cmdFreePort(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: free-port VAR")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	ts.Setenv(args[0], strconv.Itoa(l.Addr().(*net.TCPAddr).Port))
	ts.Check(l.Close())
}

// unix-listen SOCKET: listen on a unix socket for the rest of the script,
// as a fake engine would; whatever connects is written to SOCKET.log (the
// first 4 KB of what it sent), so a script can check that nothing did.
func cmdUnixListen(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: unix-listen SOCKET")
	}
	path := ts.MkAbs(args[0])
	l, err := net.Listen("unix", path)
	if err != nil {
		ts.Fatalf("listen on %s: %v", path, err)
	}
	ts.Defer(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.SetReadDeadline(time.Now().Add(2 * time.Second))
			buf := make([]byte, 4096)
			n, _ := c.Read(buf)
			c.Close()
			f, err := os.OpenFile(path+".log", os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
			if err == nil {
				fmt.Fprintf(f, "connection: %q\n", buf[:n])
				f.Close()
			}
		}
	}()
}

// tmpfs DIR SIZE [ro]: mount a tmpfs of SIZE on DIR for the rest of the
// script; "tmpfs DIR remount-ro" makes a mounted one read-only.
func cmdTmpfs(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: tmpfs DIR SIZE | tmpfs DIR remount-ro")
	}
	dir := ts.MkAbs(args[0])
	if args[1] == "remount-ro" {
		if out, err := exec.Command("mount", "-o", "remount,ro", dir).CombinedOutput(); err != nil {
			ts.Fatalf("remount %s read-only: %v\n%s", dir, err, out)
		}
		return
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+args[1], "tmpfs", dir).CombinedOutput(); err != nil {
		ts.Fatalf("mount a tmpfs on %s: %v\n%s", dir, err, out)
	}
	ts.Defer(func() { exec.Command("umount", "-l", dir).Run() })
}

// canMount says whether this process may mount filesystems (root with
// the capability, as on the project's machines).
func canMount() bool {
	if os.Geteuid() != 0 {
		return false
	}
	dir, err := os.MkdirTemp("", "repro-mount-probe-")
	if err != nil {
		return false
	}
	defer os.Remove(dir)
	if exec.Command("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", dir).Run() != nil {
		return false
	}
	exec.Command("umount", dir).Run()
	return true
}

// startRegistry starts the CNCF distribution registry (Debian's
// docker-registry) on a free 127.0.0.1 port for the whole test run, and
// returns its address and its storage directory.
func startRegistry(t *testing.T) (string, string, error) {
	bin, err := exec.LookPath("docker-registry")
	if err != nil {
		return "", "", fmt.Errorf("docker-registry not on PATH (apt-get install docker-registry)")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", "", err
	}
	addr := l.Addr().String()
	l.Close()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	cfg := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: %s
`, data, addr)), 0o644); err != nil {
		return "", "", err
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "serve", cfg)
	logf, err := os.Create(filepath.Join(dir, "log"))
	if err != nil {
		cancel()
		return "", "", err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		cancel()
		return "", "", err
	}
	t.Cleanup(func() {
		cancel()
		cmd.Wait()
		logf.Close()
	})
	for i := 0; i < 100; i++ {
		resp, err := http.Get("http://" + addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			return addr, data, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "log"))
	return "", "", fmt.Errorf("registry on %s did not answer: %s", addr, firstLines(string(b), 5))
}

// buildTrainer builds testdata/trainer as a static binary into a fresh
// build context directory.
func buildTrainer(t *testing.T) string {
	dir := filepath.Join(t.TempDir(), "trainer-context")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s", "-o", filepath.Join(dir, "trainer"), "./testdata/trainer")
	cmd.Dir = filepath.Join("..", "..")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the trainer: %v\n%s", err, out)
	}
	// Builds are reproducible, so without this the images of one test run
	// would be byte for byte those of the last, still in the engine: a
	// script that deletes an image from its registry would find the engine
	// serving it anyway.
	nonce := fmt.Sprintf("test run %d.%d\n", time.Now().UnixNano(), os.Getpid())
	if err := os.WriteFile(filepath.Join(dir, "test-run"), []byte(nonce), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// removeTestImages removes from the engine the images pulled from the
// test registry, when the tests are done.
func removeTestImages(t *testing.T, registry string) {
	t.Cleanup(func() {
		for _, engine := range []string{"docker", "podman"} {
			out, err := exec.Command(engine, "image", "ls", "-q", "--filter", "reference="+registry+"/*/*").Output()
			if err != nil {
				continue
			}
			if ids := strings.Fields(string(out)); len(ids) > 0 {
				exec.Command(engine, append([]string{"image", "rm", "-f"}, ids...)...).Run()
			}
		}
	})
}

func firstLines(s string, n int) string {
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() && len(lines) < n {
		lines = append(lines, sc.Text())
	}
	return strings.Join(lines, "\n")
}
