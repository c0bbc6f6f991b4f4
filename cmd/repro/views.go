package main

import (
	"time"

	"github.com/reprohq/repro/runlog"
)

// The JSON that ls --json, show --json and run --dry-run print: the CLI's
// contract, written out here field by field, so that a change to how the
// ledger stores a run never changes it unnoticed (golden tests hold it).

type runView struct {
	ID        string            `json:"id"`
	Name      string            `json:"name,omitempty"`
	Labels    map[string]string `json:"labels"`
	Status    string            `json:"status"`
	ExitCode  *int              `json:"exit_code"`
	Signal    string            `json:"signal,omitempty"`
	OOMKilled bool              `json:"oom_killed,omitempty"`
	Error     string            `json:"error,omitempty"`

	Image             string `json:"image"`
	ImageRepo         string `json:"image_repo"`
	ImageTag          string `json:"image_tag,omitempty"`
	ImageDigest       string `json:"image_digest"`
	ImageIndexDigest  string `json:"image_index_digest,omitempty"`
	ImageConfigDigest string `json:"image_config_digest,omitempty"`
	ImagePlatform     string `json:"image_platform,omitempty"`

	CodeDir      string   `json:"code_dir,omitempty"`
	Commit       string   `json:"commit"`
	Branch       string   `json:"branch,omitempty"`
	Remote       string   `json:"remote,omitempty"`
	Dirty        bool     `json:"dirty"`
	ChangedFiles []string `json:"changed_files"`
	CodeMount    bool     `json:"code_mount"`
	CodeTree     string   `json:"code_tree,omitempty"`
	PatchDigest  string   `json:"code_patch,omitempty"`

	Argv    []string      `json:"argv"`
	Workdir string        `json:"workdir,omitempty"`
	Memory  string        `json:"memory,omitempty"`
	GPUs    string        `json:"gpu_request,omitempty"`
	Env     []envView     `json:"env"`
	Data    []datasetView `json:"datasets"`

	OutDir        string             `json:"out_dir,omitempty"`
	OutputsDigest string             `json:"outputs_digest,omitempty"`
	Outputs       []outputView       `json:"outputs"`
	Metrics       map[string]float64 `json:"metrics"`

	Host   hostView   `json:"host"`
	Engine engineView `json:"engine"`

	ReproVersion string     `json:"repro_version,omitempty"`
	StartedAt    time.Time  `json:"started_at"`
	FinishedAt   *time.Time `json:"finished_at"`
	RerunOf      string     `json:"rerun_of"`

	Job *jobView `json:"job,omitempty"` // show only: the scheduler's side
}

type envView struct {
	Name   string `json:"name"`
	Value  string `json:"value,omitempty"`
	Secret bool   `json:"secret,omitempty"`
}

type datasetView struct {
	Name   string `json:"name"`
	Path   string `json:"path"`
	Kind   string `json:"kind"`
	Digest string `json:"digest"`
	Files  int64  `json:"files"`
	Bytes  int64  `json:"bytes"`
}

type outputView struct {
	Path   string `json:"path"`
	Digest string `json:"digest"`
	Bytes  int64  `json:"bytes"`
}

type hostView struct {
	User     string    `json:"user"`
	Hostname string    `json:"hostname"`
	OS       string    `json:"os"`
	Arch     string    `json:"arch"`
	GPUs     []gpuView `json:"gpus"`
}

type gpuView struct {
	Model  string `json:"model"`
	Driver string `json:"driver"`
}

type engineView struct {
	Name    string   `json:"name"`
	Version string   `json:"version"`
	Command []string `json:"command"`
}

type jobView struct {
	Scheduler string   `json:"scheduler"`
	ID        string   `json:"id,omitempty"`
	Args      []string `json:"args"`
	Node      string   `json:"node,omitempty"`
	State     string   `json:"state,omitempty"`
	Reason    string   `json:"reason,omitempty"`
}

// viewRun is r as the CLI prints it, with its job when j is not nil.
func viewRun(r *runlog.Run, j *runlog.Job) runView {
	v := runView{
		ID: r.ID, Name: r.Name, Labels: r.Labels, Status: r.Status, ExitCode: r.ExitCode, Signal: r.Signal,
		OOMKilled: r.OOMKilled, Error: r.Error,
		Image: r.Image, ImageRepo: r.ImageRepo, ImageTag: r.ImageTag, ImageDigest: r.ImageDigest,
		ImageIndexDigest: r.ImageIndexDigest, ImageConfigDigest: r.ImageConfigDigest, ImagePlatform: r.ImagePlatform,
		CodeDir: r.CodeDir, Commit: r.Commit, Branch: r.Branch, Remote: r.Remote, Dirty: r.Dirty,
		ChangedFiles: r.ChangedFiles, CodeMount: r.CodeMount, CodeTree: r.CodeTree, PatchDigest: r.PatchDigest,
		Argv: r.Argv, Workdir: r.Workdir, Memory: r.Memory, GPUs: r.GPUs,
		OutDir: r.OutDir, OutputsDigest: r.OutputsDigest, Metrics: r.Metrics,
		Host:         hostView{User: r.Host.User, Hostname: r.Host.Hostname, OS: r.Host.OS, Arch: r.Host.Arch},
		Engine:       engineView{Name: r.Engine.Name, Version: r.Engine.Version, Command: r.Engine.Command},
		ReproVersion: r.ReproVersion, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt, RerunOf: r.RerunOf,
	}
	if r.Env != nil {
		v.Env = make([]envView, 0, len(r.Env))
	}
	for _, e := range r.Env {
		v.Env = append(v.Env, envView{Name: e.Name, Value: e.Value, Secret: e.Secret})
	}
	if r.Data != nil {
		v.Data = make([]datasetView, 0, len(r.Data))
	}
	for _, d := range r.Data {
		v.Data = append(v.Data, datasetView{Name: d.Name, Path: d.Path, Kind: d.Kind, Digest: d.Digest, Files: d.Files, Bytes: d.Bytes})
	}
	if r.Outputs != nil {
		v.Outputs = make([]outputView, 0, len(r.Outputs))
	}
	for _, o := range r.Outputs {
		v.Outputs = append(v.Outputs, outputView{Path: o.Path, Digest: o.Digest, Bytes: o.Bytes})
	}
	if r.Host.GPUs != nil {
		v.Host.GPUs = make([]gpuView, 0, len(r.Host.GPUs))
	}
	for _, g := range r.Host.GPUs {
		v.Host.GPUs = append(v.Host.GPUs, gpuView{Model: g.Model, Driver: g.Driver})
	}
	if j != nil {
		v.Job = &jobView{Scheduler: j.Scheduler, ID: j.ID, Args: j.Args, Node: j.Node, State: j.State, Reason: j.Reason}
	}
	return v
}

// viewRuns is runs as ls --json prints them.
func viewRuns(runs []runlog.Run) []runView {
	out := make([]runView, 0, len(runs))
	for i := range runs {
		out = append(out, viewRun(&runs[i], nil))
	}
	return out
}
