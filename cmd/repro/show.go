package main

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/reprohq/repro/runlog"
	"github.com/reprohq/repro/slurm"
)

type showOptions struct {
	ref  string // RUN
	json bool
}

func newShowCmd(g *globals) *cobra.Command {
	o := &showOptions{}
	cmd := &cobra.Command{
		Use:   "show RUN",
		Short: "Show every recorded fact about a run",
		Long: `Show prints everything recorded about a run: image and its digests, code
commit and changes, datasets with their digests, command, environment (secret
values were never recorded), host, engine command, status, outputs and the
metrics the run wrote to /out/metrics.json.

RUN is a run ID or any unique prefix of one.

Exit status: 0 ok, 1 error (no such run, ambiguous prefix), 2 usage.`,
		Example: `  repro show 4e1d2a9c0b7f
  repro show 4e1d --json | jq .datasets`,
		Args: exactArgs(1, "one RUN (an ID or unique prefix; see repro ls)"),
		RunE: g.withLedger(true, func(ctx context.Context, l *runlog.Ledger, args []string, s streams) error {
			o.ref = args[0]
			return runShow(ctx, l, o, s)
		}),
	}
	jsonFlag(cmd, &o.json, "the run as a JSON object")
	return cmd
}

// runShow prints every recorded fact about one run.
func runShow(ctx context.Context, l *runlog.Ledger, o *showOptions, s streams) error {
	r, err := l.Get(ctx, o.ref)
	if err != nil {
		return err
	}
	job, err := l.JobOf(ctx, r.ID)
	if err != nil {
		return err
	}
	if job != nil && job.ID != "" && r.Status == runlog.StatusRunning {
		// Where the job is now, as Slurm says (nothing, when it
		// cannot be asked from here).
		if st, err := (&slurm.Client{}).Query(ctx, job.ID); err == nil {
			*job = slurm.Observed(*job, st)
		}
	}
	if o.json {
		// The run, and the scheduler's side when it ran on one.
		return printJSON(s.out, viewRun(r, job))
	}
	fields := showFields(r)
	if job != nil {
		fields = append(fields, [2]string{"job", jobSummary(job)})
	}
	im, err := l.ImportedFrom(ctx, r.ID)
	if err != nil {
		return err
	}
	if im != nil {
		fields = append(fields, [2]string{"imported", fmt.Sprintf("from %s, signed by %s, at %s", im.Source, im.Signer, im.ImportedAt)})
	}
	return printFields(s.out, fields)
}

// jobSummary is one line on a run's job: "slurm 12 on node1, TIMEOUT".
func jobSummary(j *runlog.Job) string {
	s := j.Scheduler
	if j.ID != "" {
		s += " " + j.ID
	} else {
		s += " (not submitted)"
	}
	if j.Node != "" {
		s += " on " + j.Node
	}
	if j.State != "" {
		s += ", " + j.State
	}
	if j.Reason != "" {
		s += " (" + j.Reason + ")"
	}
	if len(j.Args) > 0 {
		s += "; sbatch " + shellJoin(j.Args)
	}
	return s
}

func showFields(r *runlog.Run) [][2]string {
	f := [][2]string{{"id", r.ID}, {"status", r.Status}}
	add := func(k, v string) {
		if v != "" {
			f = append(f, [2]string{k, v})
		}
	}
	if r.ExitCode != nil {
		add("exit code", fmt.Sprint(*r.ExitCode))
	}
	add("signal", r.Signal)
	if r.OOMKilled {
		add("oom killed", "yes")
	}
	add("error", oneLine(r.Error))
	add("image", r.Image)
	add("image digest", r.ImageRepo+"@"+r.ImageDigest)
	add("index digest", r.ImageIndexDigest)
	add("config digest", r.ImageConfigDigest)
	add("platform", r.ImagePlatform)
	if r.Commit != "" {
		c := r.Commit
		if r.Dirty {
			c += " (dirty)"
		}
		add("commit", c)
		add("branch", r.Branch)
		add("remote", r.Remote)
		add("code", r.CodeDir)
		for _, p := range r.ChangedFiles {
			add("changed", p)
		}
	} else {
		add("commit", "(no code recorded)")
	}
	add("command", shellJoin(r.Argv))
	add("workdir", r.Workdir)
	add("memory", r.Memory)
	add("gpus", r.GPUs)
	for _, e := range r.Env {
		if e.Secret {
			add("env", e.Name+" (secret, not recorded)")
		} else {
			add("env", e.Name+"="+e.Value)
		}
	}
	for _, d := range r.Data {
		add("data "+d.Name, fmt.Sprintf("%s  %s (%s, %d files, %d bytes)", d.Digest, d.Path, d.Kind, d.Files, d.Bytes))
	}
	add("out", r.OutDir)
	add("outputs digest", r.OutputsDigest)
	for _, o := range r.Outputs {
		add("output", fmt.Sprintf("%s  %s (%d bytes)", o.Digest, o.Path, o.Bytes))
	}
	names := make([]string, 0, len(r.Metrics))
	for k := range r.Metrics {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		v := r.Metrics[k]
		add("metric "+k, formatMetric(&v))
	}
	add("host", fmt.Sprintf("%s@%s %s/%s", r.Host.User, r.Host.Hostname, r.Host.OS, r.Host.Arch))
	for _, g := range r.Host.GPUs {
		add("gpu", g.Model+" (driver "+g.Driver+")")
	}
	add("engine", strings.TrimSpace(r.Engine.Name+" "+r.Engine.Version))
	add("engine command", shellJoin(r.Engine.Command))
	add("started", formatTime(r.StartedAt, false))
	if r.FinishedAt != nil {
		add("finished", formatTime(*r.FinishedAt, false))
		add("duration", formatDuration(r.FinishedAt.Sub(r.StartedAt)))
	}
	add("rerun of", r.RerunOf)
	add("repro", r.ReproVersion)
	keys := make([]string, 0, len(r.Labels))
	for k := range r.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		add("label", k+"="+r.Labels[k])
	}
	return f
}
