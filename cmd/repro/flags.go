package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/reprohq/repro/engine"
	"github.com/reprohq/repro/image"
	"github.com/reprohq/repro/launch"
	"github.com/reprohq/repro/provenance"
	"github.com/reprohq/repro/rerun"
	"github.com/reprohq/repro/runlog"
	"github.com/reprohq/repro/slurm"
)

// Flags that several commands share.

// jsonFlag is --json, on every command that lists or reports: "print
// what" as JSON instead of a table or text, for scripts.
func jsonFlag(cmd *cobra.Command, p *bool, what string) {
	cmd.Flags().BoolVar(p, "json", false, "print "+what)
}

// registryFlags are shared by the commands that talk to a registry.
type registryFlags struct {
	insecure bool
}

func (f *registryFlags) addFlags(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&f.insecure, "insecure", false, "allow plain HTTP to a registry that is not on loopback")
}

func (f *registryFlags) options() provenance.RegistryOptions {
	return provenance.RegistryOptions{Insecure: f.insecure}
}

// engineFlags choose and tune the container engine.
type engineFlags struct {
	runtime     string
	stopTimeout time.Duration
	asRoot      bool
}

func (f *engineFlags) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.runtime, "runtime", "docker", "container CLI: docker or podman")
	cmd.Flags().DurationVar(&f.stopTimeout, "stop-timeout", 10*time.Second, "on interrupt, how long the container gets between SIGTERM and SIGKILL")
	cmd.Flags().BoolVar(&f.asRoot, "as-root", false, "run as the image's own user even when you are not root (for images that must run as root; their outputs may then be root's)")
}

// user is the UID:GID the container runs as so that what it writes is
// the invoking user's: set for docker when repro is not run by root and
// --as-root is not given ("" : the image's own user). podman, rootless
// as a user runs it, already maps the container's root to that user.
func (f *engineFlags) user() string {
	if f.asRoot || f.runtime != "docker" || os.Getuid() == 0 {
		return ""
	}
	return fmt.Sprintf("%d:%d", os.Getuid(), os.Getgid())
}

func (f *engineFlags) validate() error {
	if f.runtime != "docker" && f.runtime != "podman" {
		return usagef("--runtime %q: choose docker or podman", f.runtime)
	}
	if f.stopTimeout < 0 {
		return usagef("--stop-timeout must not be negative")
	}
	return nil
}

func (f *engineFlags) engine(s streams) *engine.Engine {
	return &engine.Engine{Bin: f.runtime, Stdout: s.out, Stderr: s.err, StopTimeout: f.stopTimeout}
}

// placeFlags send a run to a cluster's scheduler instead of this
// machine's engine.
type placeFlags struct {
	on        string
	slurmArgs []string
	detach    bool
}

func (f *placeFlags) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.on, "on", "", "where the container runs: slurm submits it as a batch job (default: this machine's engine)")
	cmd.Flags().StringArrayVar(&f.slurmArgs, "slurm-arg", nil, "with --on slurm: an sbatch option, as in --slurm-arg=--partition=gpu; repeatable")
	cmd.Flags().BoolVar(&f.detach, "detach", false, "with --on slurm: return once the job is submitted, printing the run ID and the job ID")
}

func (f *placeFlags) validate() error {
	switch {
	case f.on != "" && f.on != runlog.SchedulerSlurm:
		return usagef("--on %q: the one scheduler is slurm", f.on)
	case f.on == "" && (len(f.slurmArgs) > 0 || f.detach):
		return usagef("--slurm-arg and --detach go with --on slurm")
	}
	if err := slurm.CheckArgs(f.slurmArgs); err != nil {
		return usagef("%v", flagError(err))
	}
	return nil
}

// placement is where the run goes (nil: this machine's engine).
func (f *placeFlags) placement(s streams) (launch.Placement, error) {
	if f.on == "" {
		return nil, nil
	}
	p, err := slurmPlacement(s)
	if err != nil {
		return nil, err
	}
	p.SbatchArgs, p.Detach = f.slurmArgs, f.detach
	return p, nil
}

// slurmPlacement is Slurm with its jobs under repro's data directory,
// its output and messages on s.
func slurmPlacement(s streams) (*slurm.Placement, error) {
	p, err := slurmJobs()
	if err != nil {
		return nil, err
	}
	p.Stdout, p.Stderr, p.Log = s.out, s.err, s.err
	return p, nil
}

// slurmJobs is Slurm with its jobs under repro's data directory, silent.
func slurmJobs() (*slurm.Placement, error) {
	base, err := runlog.DataDir()
	if err != nil {
		return nil, err
	}
	return &slurm.Placement{JobsDir: filepath.Join(base, "jobs")}, nil
}

// parseDataArg parses --data NAME=PATH.
func parseDataArg(s string) (launch.DataArg, error) {
	n, p, ok := strings.Cut(s, "=")
	if !ok || p == "" {
		return launch.DataArg{}, fmt.Errorf("--data %q: write NAME=PATH, as in --data train=./data/train", s)
	}
	if !runlog.ValidDatasetName(n) {
		return launch.DataArg{}, fmt.Errorf("--data %q: the name %q may have %s", s, n, runlog.DatasetNameRule)
	}
	return launch.DataArg{Name: n, Path: p}, nil
}

// flagError names a value launch refused by the flag it came from.
func flagError(err error) error {
	var (
		ie      *launch.InputError
		latest  *launch.LatestError
		noCode  *launch.NoCodeError
		dirty   *launch.DirtyTreeError
		secret  *launch.SecretFileError
		arg     *slurm.ArgError
		test    *slurm.TestError
		env     *provenance.EnvError
		missing *engine.MissingError
	)
	switch {
	case errors.As(err, &missing):
		return fmt.Errorf("%s not found on PATH; install it or choose another with --runtime", missing.Bin)
	case errors.As(err, &env):
		return envFlagError(env)
	case errors.As(err, &arg):
		return fmt.Errorf("--slurm-arg %q %s", arg.Arg, arg.Why)
	case errors.As(err, &test):
		return &describedError{fmt.Sprintf("Slurm would not take the job (%v); check the --slurm-arg options", test.Err), test.Err}
	case errors.As(err, &latest):
		return errors.New(latest.Describe("pass --allow-latest"))
	case errors.As(err, &noCode):
		return &describedError{noCode.Describe("point --code at it", "pass --no-code"), noCode.Err}
	case errors.As(err, &dirty):
		return errors.New(dirty.Describe("pass --allow-dirty"))
	case errors.As(err, &secret):
		return errors.New(secret.Describe("pass --allow-secret-file " + secret.Path))
	case !errors.As(err, &ie):
		return err
	}
	switch ie.Input {
	case launch.InputData:
		return fmt.Errorf("--data %s=%s: %w", ie.Name, ie.Value, ie.Err)
	case launch.InputOut:
		return fmt.Errorf("--out %s: %w", ie.Value, ie.Err)
	}
	return fmt.Errorf("--%s %q: %w", ie.Input, ie.Value, ie.Err)
}

// envFlagError says what is wrong with a variable given with -e or
// --secret-env, in those flags' terms.
func envFlagError(e *provenance.EnvError) error {
	flag := "-e " + e.Name
	if e.Secret {
		flag = "--secret-env " + e.Name
	}
	switch e.Problem {
	case provenance.EnvBadName:
		return fmt.Errorf("%s: %s", strings.Replace(flag, e.Name, strconv.Quote(e.Name), 1), e.Detail)
	case provenance.EnvSecretValue:
		return fmt.Errorf("-e %s=...: a secret's value does not go on the command line, where shell history and the process list keep it: export %s and pass -e %s (its value is never recorded)", e.Name, e.Name, e.Name)
	case provenance.EnvNotSet:
		if e.Secret {
			return fmt.Errorf("%s: %s is not set in your environment", flag, e.Name)
		}
		return fmt.Errorf("%s: %s is not set in your environment; set it or write -e %s=VALUE", flag, e.Name, e.Name)
	case provenance.EnvNULValue:
		return fmt.Errorf("%s: the value contains a NUL byte", flag)
	case provenance.EnvExportOnly:
		return fmt.Errorf("%s: its value has a line break, invalid UTF-8 or over 60 KB, which the engine takes only from the environment: export %s and pass -e %s", flag, e.Name, e.Name)
	}
	return fmt.Errorf("%s: %v", flag, e)
}

// imageFlags are the flags of image's options.
var imageFlags = map[image.Option]string{
	image.OptDest: "--dest", image.OptEnv: "--env", image.OptRepo: "--repo", image.OptPlatform: "--platform",
	image.OptBase: "--base", image.OptSHA: "--sha", image.OptChannel: "--channel", image.OptTags: "--to",
}

// imageError names a refused build, tag or promote option by its flag,
// and says a refusal's fix as the flag that makes it.
func imageError(err error) error {
	var (
		oe    *image.OptionError
		dirty *image.DirtyContextError
		taken *image.TagTakenError
	)
	switch {
	case errors.As(err, &oe):
		flag, ok := imageFlags[oe.Option]
		switch {
		case !ok:
			return err
		case oe.Value == "":
			return fmt.Errorf("%s: %w", flag, oe.Err)
		}
		return fmt.Errorf("%s %q: %w", flag, oe.Value, oe.Err)
	case errors.As(err, &dirty):
		return errors.New(dirty.Describe("build with --allow-dirty"))
	case errors.As(err, &taken):
		return errors.New(taken.Describe("bump --version", "pass --force to move the tag"))
	}
	return err
}

// describedError is a message said anew for the CLI, its cause kept.
type describedError struct {
	msg   string
	cause error
}

func (e *describedError) Error() string { return e.msg }
func (e *describedError) Unwrap() error { return e.cause }

// cliError says, with the flag that fixes it, a refusal any command may
// meet, wherever it sits in the error: a registry reached over plain
// HTTP, a re-run refused for its dirty record, a Job without a git image.
func cliError(err error) error {
	var (
		plain *provenance.PlainHTTPError
		dirty *rerun.DirtyRunError
		git   *rerun.GitImageError
	)
	said := func(inner error, fix string) error {
		return &describedError{strings.Replace(err.Error(), inner.Error(), fix, 1), err}
	}
	switch {
	case errors.As(err, &plain):
		return said(plain, plain.Describe("pass --insecure to allow it"))
	case errors.As(err, &dirty):
		return said(dirty, dirty.Describe("pass --allow-dirty"))
	case errors.As(err, &git):
		return said(git, git.Describe("pass --git-image REGISTRY/NAME@sha256:..."))
	}
	return err
}
