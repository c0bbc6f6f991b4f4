package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startSlurm starts a one-node Slurm cluster on this machine for the
// whole test run: its own munged (own key and socket), slurmctld and
// slurmd on free 127.0.0.1 ports, all under a fresh directory, with
// proctrack/linuxproc and task/none (no cgroups here) and the job
// completion log in a file, so that sacct -c answers without slurmdbd.
// It returns the slurm.conf to point SLURM_CONF at; the daemons are
// stopped by PID when the tests end.
func startSlurm(t *testing.T) (string, error) {
	for _, c := range []string{"munged", "slurmctld", "slurmd", "sbatch", "scontrol", "sacct", "scancel", "sinfo"} {
		if _, err := exec.LookPath(c); err != nil {
			return "", fmt.Errorf("%s not on PATH (apt-get install slurm-wlm munge)", c)
		}
	}
	// munged wants every directory on its socket's path searchable by
	// all, which a test's temporary directory is not.
	dir, err := os.MkdirTemp("", "repro-slurm-")
	if err != nil {
		return "", err
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		return "", err
	}
	for _, d := range []string{"munge", "state", "spool"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			return "", err
		}
	}
	key := make([]byte, 1024)
	if _, err := rand.Read(key); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "munge", "munge.key"), key, 0o400); err != nil {
		return "", err
	}
	socket := filepath.Join(dir, "munge", "munge.socket")
	start := func(name string, args ...string) error {
		logf, err := os.Create(filepath.Join(dir, name+".out"))
		if err != nil {
			return err
		}
		cmd := exec.Command(name, args...)
		cmd.Stdout, cmd.Stderr = logf, logf
		cmd.Env = append(os.Environ(), "SLURM_CONF="+filepath.Join(dir, "slurm.conf"))
		if err := cmd.Start(); err != nil {
			logf.Close()
			return fmt.Errorf("start %s: %w", name, err)
		}
		t.Cleanup(func() {
			cmd.Process.Signal(syscall.SIGTERM)
			done := make(chan struct{})
			go func() { cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				<-done
			}
			logf.Close()
		})
		return nil
	}
	if err := start("munged", "--foreground", "--force", "--socket="+socket,
		"--key-file="+filepath.Join(dir, "munge", "munge.key"), "--pid-file="+filepath.Join(dir, "munge", "munged.pid"),
		"--log-file="+filepath.Join(dir, "munge", "munged.log"), "--seed-file="+filepath.Join(dir, "munge", "munged.seed")); err != nil {
		return "", err
	}
	node, err := exec.Command("slurmd", "-C").Output()
	if err != nil {
		return "", fmt.Errorf("slurmd -C: %w", err)
	}
	nodeLine, _, _ := strings.Cut(string(node), "\n")
	host, err := os.Hostname()
	if err != nil {
		return "", err
	}
	ports, err := freePorts(2)
	if err != nil {
		return "", err
	}
	conf := fmt.Sprintf(`ClusterName=repro-test
SlurmctldHost=%[1]s(127.0.0.1)
SlurmctldPort=%[2]d
SlurmdPort=%[3]d
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=%[4]s
StateSaveLocation=%[5]s/state
SlurmdSpoolDir=%[5]s/spool
SlurmctldPidFile=%[5]s/slurmctld.pid
SlurmdPidFile=%[5]s/slurmd.pid
SlurmctldLogFile=%[5]s/slurmctld.log
SlurmdLogFile=%[5]s/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobCompType=jobcomp/filetxt
JobCompLoc=%[5]s/jobcomp.txt
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
MinJobAge=5
%[6]s NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
`, host, ports[0], ports[1], socket, dir, nodeLine)
	confPath := filepath.Join(dir, "slurm.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		return "", err
	}
	for i := 0; ; i++ {
		if _, err := os.Stat(socket); err == nil {
			break
		}
		if i == 100 {
			return "", fmt.Errorf("munged did not start: %s", readTail(filepath.Join(dir, "munge", "munged.log")))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := start("slurmctld", "-D", "-i", "-f", confPath); err != nil {
		return "", err
	}
	if err := start("slurmd", "-D", "-f", confPath); err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		cmd := exec.CommandContext(ctx, "sinfo", "--noheader", "--format=%T")
		cmd.Env = append(os.Environ(), "SLURM_CONF="+confPath)
		out, _ := cmd.Output()
		if strings.TrimSpace(string(out)) == "idle" {
			return confPath, nil
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("the Slurm node did not become idle (sinfo: %q): %s %s", strings.TrimSpace(string(out)),
				readTail(filepath.Join(dir, "slurmctld.log")), readTail(filepath.Join(dir, "slurmd.log")))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// freePorts returns n distinct free TCP ports on 127.0.0.1.
func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func readTail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}
