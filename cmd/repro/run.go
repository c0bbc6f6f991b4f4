package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/reprohq/repro/launch"
	"github.com/reprohq/repro/runlog"
	"github.com/reprohq/repro/trust"
)

type runOptions struct {
	image string     // IMAGE
	argv  []string   // the command after --
	key   *trust.Key // signs the attestation, with --attest
	registryFlags
	engineFlags
	placeFlags
	code        string
	noCode      bool
	noCodeMount bool
	allowDirty  bool
	secretFiles []string
	allowLatest bool
	data        []string
	out         string
	env         []string
	secretEnv   []string
	workdir     string
	memory      string
	gpus        string
	name        string
	labels      []string
	dryRun      bool
	attest      bool
	keepTo      string
}

func newRunCmd(g *globals) *cobra.Command {
	o := &runOptions{}
	cmd := &cobra.Command{
		Use:   "run [flags] IMAGE [-- COMMAND [ARG...]]",
		Short: "Run a training container by digest and record where it came from",
		Long: `Run launches IMAGE by digest and records the run in the ledger.

A tag is resolved to its digest through the registry first (stderr says
"resolved X -> digest"), and the digest is what runs. latest, written or
implied, is refused unless --allow-latest. The code's git commit is recorded
and the work tree is mounted read-only at /workspace, the container's working
directory; a dirty tree is refused unless --allow-dirty. Each --data NAME=PATH
is hashed before the run and mounted read-only at /data/NAME; --out DIR is
mounted at /out and every file in it is hashed afterwards. Without --out, the
run gets $XDG_DATA_HOME/repro/outputs/<run>, printed, so nothing the
container writes to /out is lost. When you are not root, docker runs the
container as your UID:GID (--user), so its outputs are yours; --as-root
keeps the image's own user for images that must run as root. Variables given
with -e are passed to the container; values of secret-looking names (KEY,
TOKEN, SECRET, PASSWORD, ...) and of --secret-env names are never recorded.

The run is recorded as running before its container starts and finished
afterwards: succeeded, failed or interrupted. A first SIGINT or SIGTERM stops
the container (SIGTERM, then SIGKILL after --stop-timeout); a second kills it.

With --on slurm, the run goes to a Slurm cluster as a batch job (sbatch, with
each --slurm-arg): it is captured and recorded here as any run, and the job is
its pinned script, so the node checks out the recorded commit and re-checks
every dataset's digest right before the container starts, refusing data that
changed since. repro waits as srun does, streaming the job's output, and exits
with the container's status; Ctrl-C cancels the job (repro cancel does too).
--detach returns once the job is queued, printing RUN_ID JOB_ID; repro
reconcile (or the next repro command on this machine) records how it ended.
The code (or its remote), the data, --out and repro's data directory
($XDG_DATA_HOME/repro, which holds the job's script and output) must be on a
filesystem the nodes share; a tmpfs is refused.

With REPRO_TRACE set, stderr also gets when each step ended (code captured,
data hashed, image resolved, container started and ended), in ms since repro
started: where the time before the container went.

Exit status: the container's own; 130 (SIGINT) or 143 (SIGTERM) when
interrupted; 1 when repro refused or failed before starting anything (nothing
is recorded then); 2 for a usage error.`,
		Example: `  # run a version tag; repro resolves it and runs the digest
  repro run 127.0.0.1:5000/trainer:1.0 --data train=./data --out ./out -- /trainer --seed 7

  # pass a secret: the container gets the value, the ledger only the name
  repro run 127.0.0.1:5000/trainer@sha256:4e1d... -e WANDB_API_KEY -- /trainer

  # see what would run, and record nothing
  repro run --dry-run 127.0.0.1:5000/trainer:1.0 -- /trainer

  # on the cluster: one GPU on the gpu partition, then leave it queued
  repro run --on slurm --slurm-arg=--partition=gpu --slurm-arg=--gres=gpu:1 \
      --data train=/shared/data --out /shared/out/7 127.0.0.1:5000/trainer:1.0 -- /trainer
  repro run --on slurm --detach --slurm-arg=--time=4:00:00 127.0.0.1:5000/trainer:1.0 -- /trainer`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 || cmd.ArgsLenAtDash() == 0 {
				return usagef("run needs an IMAGE, as in repro run REGISTRY/NAME:TAG -- COMMAND")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.bind(args, cmd.ArgsLenAtDash()); err != nil {
				return err
			}
			ctx, s := cmd.Context(), streamsOf(cmd)
			if o.dryRun {
				// The ledger, if there is one, is read for the hash cache (so
				// a dry run reads only the data files that changed), and
				// opened read-only: a dry run writes nothing.
				l := g.openIfExists(ctx, true)
				if l != nil {
					defer l.Close()
				}
				return runRun(ctx, l, o, s)
			}
			if o.attest {
				// The key signs the attestation when the run ends: a key
				// that cannot be had is refused before anything runs.
				var err error
				if o.key, err = g.key(); err != nil {
					return fmt.Errorf("--attest: sign the attestation: %w; nothing was started", err)
				}
			}
			l, err := g.open(ctx, false)
			if err != nil {
				return fmt.Errorf("%w; nothing was started", err)
			}
			defer l.Close()
			return runRun(ctx, l, o, s)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.code, "code", "", "the code's git work tree (default: the one holding the working directory)")
	f.BoolVar(&o.noCode, "no-code", false, "record no code: the run does not come from a git repository")
	f.BoolVar(&o.noCodeMount, "no-code-mount", false, "do not mount the work tree at /workspace (the image carries the code)")
	f.BoolVar(&o.allowDirty, "allow-dirty", false, "run from a work tree with uncommitted changes, recorded as dirty")
	f.StringArrayVar(&o.secretFiles, "allow-secret-file", nil, "with --allow-dirty: record this changed file (relative to the work tree) although it looks like a credential; repeatable")
	f.BoolVar(&o.allowLatest, "allow-latest", false, "allow the moving tag latest (the digest it resolves to is still what runs)")
	f.StringArrayVar(&o.data, "data", nil, "dataset NAME=PATH (file or directory), hashed and mounted read-only at /data/NAME; repeatable")
	f.StringVar(&o.out, "out", "", "empty directory mounted at /out; its files are hashed and recorded as outputs (default: a new one under $XDG_DATA_HOME/repro/outputs)")
	f.StringArrayVarP(&o.env, "env", "e", nil, "NAME=VALUE, or NAME to pass your value; repeatable")
	f.StringArrayVar(&o.secretEnv, "secret-env", nil, "NAME of a variable passed from your environment and never recorded; repeatable")
	f.StringVar(&o.workdir, "workdir", "", "the container's working directory (default /workspace when the code is mounted)")
	f.StringVar(&o.memory, "memory", "", "memory limit for the container, as in 16g (recorded in the engine command)")
	f.StringVar(&o.gpus, "gpus", "", "GPUs for the container, as in all or device=0,1 (docker --gpus)")
	f.StringVar(&o.name, "name", "", "a name for the run, usable wherever a run ID is (the newest run of that name)")
	f.StringArrayVar(&o.labels, "label", nil, "label key=value for the run; repeatable (repro label changes them later)")
	f.BoolVar(&o.dryRun, "dry-run", false, "capture and print everything, record and start nothing")
	f.StringVar(&o.keepTo, "keep-to", "", "when the run ends, keep a copy of its image in this REGISTRY/REPO (see repro keep; default $REPRO_KEEP_TO)")
	f.BoolVar(&o.attest, "attest", false, "when the run ends, sign its provenance and attach it to the image (see repro attest)")
	o.registryFlags.addFlags(cmd)
	o.engineFlags.addFlags(cmd)
	o.placeFlags.addFlags(cmd)
	return cmd
}

// bind checks the flags against each other and takes IMAGE and the
// command from args (dash: where -- was, as cobra counts it).
func (o *runOptions) bind(args []string, dash int) error {
	if err := o.engineFlags.validate(); err != nil {
		return err
	}
	if err := o.placeFlags.validate(); err != nil {
		return err
	}
	if o.noCode && (o.code != "" || o.allowDirty) {
		return usagef("--no-code cannot be combined with --code or --allow-dirty")
	}
	if dash > 1 {
		return usagef("put the command after --: repro run [flags] IMAGE -- COMMAND [ARG...] (got %q before --)", args[1])
	} else if dash == 0 {
		return usagef("the IMAGE goes before --: repro run [flags] IMAGE -- COMMAND [ARG...]")
	}
	o.image, o.argv = args[0], args[1:]
	return nil
}

// spec is what launch runs: the flags, parsed, with s for the engine's
// streams and repro's messages.
func (o *runOptions) spec(s streams) (launch.Spec, error) {
	spec := launch.Spec{
		Image: o.image, Argv: o.argv, CodeDir: o.code, NoCode: o.noCode, NoCodeMount: o.noCodeMount,
		AllowDirty: o.allowDirty, AllowSecretFiles: o.secretFiles, AllowLatest: o.allowLatest, OutDir: o.out, Env: o.env,
		SecretEnv: o.secretEnv, Workdir: o.workdir, DryRun: o.dryRun, Memory: o.memory, GPUs: o.gpus,
		Registry: o.registryFlags.options(), Engine: o.engineFlags.engine(s),
		Log: s.err, Version: version, Name: o.name, User: o.engineFlags.user(),
	}
	if isTerminal(s.err) {
		spec.Progress = s.err
	}
	spec.Notify = func(n launch.Notice) { notify(s.err, n) }
	var err error
	if spec.Placement, err = o.placeFlags.placement(s); err != nil {
		return spec, err
	}
	spec.Trace, spec.Started = traceTo(s.err)
	for _, lbl := range o.labels {
		k, v, err := runlog.ParseLabel(lbl)
		if err != nil {
			return spec, usagef("--label: %v", err)
		}
		if spec.Labels == nil {
			spec.Labels = map[string]string{}
		}
		spec.Labels[k] = v
	}
	for _, d := range o.data {
		da, err := parseDataArg(d)
		if err != nil {
			return spec, usagef("%v", err)
		}
		spec.Data = append(spec.Data, da)
	}
	if o.out == "" {
		base, err := runlog.DataDir()
		if err != nil {
			return spec, err
		}
		spec.DefaultOutRoot = filepath.Join(base, "outputs")
	}
	return spec, nil
}

// runRun launches the run, records it in l and says how it ended; its
// exit status is the container's. l is nil for a dry run without a ledger.
func runRun(ctx context.Context, l *runlog.Ledger, o *runOptions, s streams) error {
	spec, err := o.spec(s)
	if err != nil {
		return err
	}
	if o.dryRun {
		out, err := launch.Run(ctx, l, spec)
		if err != nil {
			return flagError(err)
		}
		return printDryRun(s, out)
	}
	interrupts := make(chan os.Signal, 2)
	signal.Notify(interrupts, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(interrupts)
	spec.Interrupts = interrupts
	out, err := launch.Run(ctx, l, spec)
	if err != nil {
		if out != nil {
			fmt.Fprintf(s.err, "repro: %v\n", err)
			return &statusError{exitError}
		}
		return flagError(err)
	}
	r := out.Run
	if out.Detached {
		return printDetached(ctx, s, l, r)
	}
	reportEnd(s.err, r, out.ExitCode)
	if r.Status != runlog.StatusRunning {
		if err := afterRun(ctx, l, r, out.ExitCode, o, s); err != nil {
			return err
		}
	}
	if out.ExitCode != 0 {
		return &statusError{out.ExitCode}
	}
	return nil
}

// afterRun attests the run and keeps its image, as --attest and --keep-to
// ask. A run that succeeded but could not be attested or kept exits 1.
func afterRun(ctx context.Context, l *runlog.Ledger, r *runlog.Run, exitCode int, o *runOptions, s streams) error {
	failed := func(what string, err error) error {
		fmt.Fprintf(s.err, "repro: run %s was recorded, but %s: %v\n", r.ShortID(), what, err)
		if exitCode == 0 {
			return &statusError{exitError}
		}
		return nil
	}
	if o.attest {
		if _, err := attestRun(ctx, s, o.key, l, r, true, o.registryFlags.options()); err != nil {
			if err := failed("not attested", err); err != nil {
				return err
			}
		}
	}
	if to := keepTo(o.keepTo); to != "" {
		if err := keepRun(ctx, s, l, r, to, o.registryFlags.options()); err != nil {
			if err := failed("its image not kept", err); err != nil {
				return err
			}
		}
	}
	return nil
}

// notify tells what launch noticed, in repro run's flags.
func notify(w io.Writer, n launch.Notice) {
	switch n := n.(type) {
	case launch.OutDirChosen:
		fmt.Fprintf(w, "repro: no --out given: outputs go to %s\n", n.Dir)
	case launch.ImageShadowed:
		fmt.Fprintf(w, "repro: %s; rebuild with repro build --dest /app, or pass --no-code-mount to run the image's copy\n", n)
	default:
		fmt.Fprintf(w, "repro: %s\n", n)
	}
}

// reportEnd says on w how run r ended.
func reportEnd(w io.Writer, r *runlog.Run, exitCode int) {
	switch {
	case r.Signal != "":
		fmt.Fprintf(w, "repro: run %s interrupted (%s)\n", r.ShortID(), r.Signal)
	case exitCode != 0:
		msg := fmt.Sprintf("repro: run %s failed with exit status %d", r.ShortID(), exitCode)
		if r.OOMKilled {
			msg += " (killed for running out of memory; raise --memory)"
		} else if r.Error != "" {
			msg += ": " + oneLine(r.Error)
		}
		fmt.Fprintln(w, msg)
	default:
		fmt.Fprintf(w, "repro: run %s succeeded\n", r.ShortID())
	}
}

func printDryRun(s streams, out *launch.Outcome) error {
	b, err := json.MarshalIndent(viewRun(out.Run, nil), "", "  ")
	if err != nil {
		return err
	}
	w := s.out
	fmt.Fprintf(w, "%s\n", b)
	fmt.Fprintf(w, "engine command:\n  %s\n", shellJoin(out.Command))
	fmt.Fprintln(s.err, "repro: dry run: nothing was recorded or started")
	return nil
}
