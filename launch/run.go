package launch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/reprohq/repro/engine"
	"github.com/reprohq/repro/provenance"
	"github.com/reprohq/repro/provenance/dataset"
	"github.com/reprohq/repro/provenance/gitstate"
	"github.com/reprohq/repro/runlog"
)

// Where things appear inside the container.
const (
	CodeTarget = "/workspace"
	DataTarget = "/data"
	OutTarget  = "/out"
)

// DataArg is one --data NAME=PATH.
type DataArg struct {
	Name string
	Path string
	Want string // the digest the data must have ("" : any); a re-run sets it
}

// DataMismatch is returned when a dataset's digest is not the one asked
// for: the data changed since the run being re-run.
type DataMismatch struct {
	Name, Path, Got, Want string
}

func (e *DataMismatch) Error() string {
	return fmt.Sprintf("dataset %s at %s has digest %s, not %s", e.Name, e.Path, e.Got, e.Want)
}

// Spec is everything a recorded run needs.
type Spec struct {
	Image       string   // as given: repo:tag, repo@sha256:..., or both
	Argv        []string // the command; empty runs the image's default
	CodeDir     string   // where to look for the git repository ("" = working directory)
	NoCode      bool     // record no code (no repository)
	NoCodeMount bool     // do not mount the work tree at /workspace
	AllowDirty  bool
	// AllowSecretFiles are changed files (relative to the work tree) that
	// look like credentials and may be recorded all the same.
	AllowSecretFiles []string
	AllowLatest      bool
	Data             []DataArg
	OutDir           string
	// DefaultOutRoot, when set, gives a run without OutDir one under it
	// (DIR/<short run ID>): nothing a container writes to /out is lost.
	DefaultOutRoot string
	Env            []string // -e NAME=VALUE or -e NAME
	SecretEnv      []string
	Workdir        string            // overrides the container's working directory
	RerunOf        string            // the run this one re-runs
	Name           string            // optional run name
	Labels         map[string]string // optional labels
	Memory         string            // memory limit, as docker --memory takes it
	GPUs           string            // GPUs, as docker --gpus takes it
	// User runs the container as UID:GID, so that its outputs are the
	// invoking user's ("" : the image's own user). Dropped on a rootless
	// engine, where the container's root already is that user.
	User   string
	DryRun bool

	Registry provenance.RegistryOptions
	Engine   *engine.Engine
	// Placement, when set, runs the container elsewhere (a cluster's
	// scheduler) instead of on this machine's engine.
	Placement  Placement
	Interrupts <-chan os.Signal
	Log        io.Writer // repro's own messages; nil: silent
	// Notify, when set, tells the caller's user a Notice (OutDirChosen,
	// ImageShadowed) in the caller's own terms; nil: its String goes to Log.
	Notify   func(Notice)
	Progress io.Writer // progress of long work (a terminal); nil: none
	Trace    io.Writer // when each step ended ($REPRO_TRACE); nil: none
	Started  time.Time // when the command began, for Trace (zero: when Run is called)
	Lookup   func(string) (string, bool)
	Version  string // repro's version, recorded
	// Where a run's ID, its clock and its host's facts come from (nil: a
	// random ID, time.Now and this machine's), so that tests drive them.
	NewID func() string
	Now   func() time.Time
	Host  func(context.Context) provenance.Host
}

// Outcome is what a run came to.
type Outcome struct {
	Run      *runlog.Run
	Command  []string // the engine argv, binary first
	ExitCode int      // what repro should exit with
	Detached bool     // submitted to a scheduler and left running
}

// Placement runs a recorded run somewhere other than this machine's
// engine: through a cluster's scheduler. The run is captured and checked
// here as any other; the placement then runs it to its end.
type Placement interface {
	// Scheduler is recorded with the run ("slurm"); Args are the
	// scheduler's own arguments, recorded too.
	Scheduler() string
	Args() []string
	// Check refuses, before anything is recorded, a run the placement
	// cannot take (an --out that the nodes cannot see).
	Check(ctx context.Context, r *runlog.Run) error
	// Run runs r, recorded as running, and says how it ended and what
	// repro should exit with; a nil Result: submitted and left running
	// (its end is settled by Reconcile). Its outputs are hashed by the
	// caller.
	Run(ctx context.Context, l *runlog.Ledger, r *runlog.Run, interrupts <-chan os.Signal) (*runlog.Result, int, error)
}

// begin makes the run's --out and records it as running.
func begin(ctx context.Context, l *runlog.Ledger, s Spec, r *runlog.Run, ref provenance.Ref) error {
	if r.OutDir != "" {
		if err := os.MkdirAll(r.OutDir, 0o755); err != nil {
			return &InputError{Input: InputOut, Value: s.OutDir, Err: dataset.PathCause(s.OutDir, err)}
		}
	}
	if err := l.Begin(ctx, r); err != nil {
		return fmt.Errorf("cannot record the run in %s (%w); nothing was started", l.Path(), err)
	}
	if ref.Tag != "" {
		_ = l.RecordImage(ctx, nil, []runlog.TagEvent{{Repository: r.ImageRepo, Tag: ref.Tag, Digest: r.ImageDigest, Action: runlog.ActionResolve}})
	}
	return nil
}

// finish hashes the outputs of a run whose container ran, records how
// it ended, and puts the record as stored into out.
func finish(ctx context.Context, l *runlog.Ledger, r *runlog.Run, res runlog.Result, out *Outcome, logf func(string, ...any)) error {
	ctx = context.WithoutCancel(ctx)
	ranOutputs(ctx, r, &res, logf)
	if err := l.Finish(ctx, r.ID, res); err != nil {
		return fmt.Errorf("record the end of run %s: %w", r.ShortID(), err)
	}
	if final, err := l.Get(ctx, r.ID); err == nil {
		out.Run = final
	}
	return nil
}

// runPlaced records r and hands it to s.Placement; the node pulls and
// checks the image itself.
func runPlaced(ctx context.Context, l *runlog.Ledger, s Spec, r *runlog.Run, ref provenance.Ref, out *Outcome, logf func(string, ...any)) (*Outcome, error) {
	pl := s.Placement
	if err := pl.Check(ctx, r); err != nil {
		return nil, err
	}
	if err := begin(ctx, l, s, r, ref); err != nil {
		return nil, err
	}
	fail := func(err error) (*Outcome, error) {
		res := runlog.Result{Status: runlog.StatusFailed, Error: err.Error()}
		_ = l.Finish(context.WithoutCancel(ctx), r.ID, res)
		return nil, err
	}
	if err := l.RecordJob(ctx, r.ID, runlog.Job{Scheduler: pl.Scheduler(), Args: pl.Args()}); err != nil {
		return fail(fmt.Errorf("record the job of run %s: %w", r.ShortID(), err))
	}
	res, code, err := pl.Run(ctx, l, r, s.Interrupts)
	if err != nil {
		return fail(err)
	}
	if res == nil {
		out.Detached = true
		return out, nil
	}
	out.ExitCode = code
	return out, finish(ctx, l, r, *res, out, logf)
}

// validUser says whether u is UID:GID in digits.
func validUser(u string) bool {
	uid, gid, ok := strings.Cut(u, ":")
	digits := func(s string) bool {
		return s != "" && len(s) <= 10 && strings.Trim(s, "0123456789") == ""
	}
	return ok && digits(uid) && digits(gid)
}

// resolveHint adds the next step to a failed resolve of image: an image
// only in the local engine, or one that names no registry, is explained.
func resolveHint(ctx context.Context, eng *engine.Engine, image string, err error) error {
	if errors.Is(err, context.Canceled) {
		return err
	}
	how := fmt.Sprintf("repro runs only what a registry holds, by digest: push it to one (docker tag %s 127.0.0.1:5000/NAME:TAG && docker push 127.0.0.1:5000/NAME:TAG), or build it with repro build --repo REGISTRY/NAME, and run that reference", image)
	if _, local, ierr := eng.ImageID(ctx, image); ierr == nil && local {
		return fmt.Errorf("%w; %s is in the local engine only: %s", err, image, how)
	}
	if !provenance.NamesRegistry(image) {
		return fmt.Errorf("%w; %s names no registry, so Docker Hub was asked: %s", err, image, how)
	}
	return err
}

// hiddenByCodeMount is where img keeps files that the work tree, mounted
// at CodeTarget, would hide: a repro build context at or under it, or a
// working directory there ("" : none).
func hiddenByCodeMount(img *provenance.Image) string {
	under := func(d string) bool {
		d = filepath.Clean(d)
		return d == CodeTarget || strings.HasPrefix(d, CodeTarget+"/")
	}
	for _, d := range img.BuildDirs {
		if under(d) {
			return d
		}
	}
	if img.WorkingDir != "" && under(img.WorkingDir) {
		return img.WorkingDir
	}
	return ""
}

// tracer returns a function that writes to w how long after start each
// step it is told of ended; nil w: a function that does nothing.
func tracer(w io.Writer, start time.Time) func(step string) {
	if w == nil {
		return func(string) {}
	}
	if start.IsZero() {
		start = time.Now()
	}
	var mu sync.Mutex
	return func(step string) {
		ms := float64(time.Since(start).Microseconds()) / 1000
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(w, "repro: trace: %8.1f ms  %s\n", ms, step)
	}
}

// checkArgv refuses what cannot be passed faithfully to a container.
func checkArgv(argv []string) error {
	for i, a := range argv {
		if strings.ContainsRune(a, 0) {
			return fmt.Errorf("argument %d of the command contains a NUL byte, which no process can receive", i+1)
		}
		if provenance.SecretArg(a) {
			// The value is not repeated: it goes nowhere, this error included.
			return fmt.Errorf("argument %d of the command looks like a credential given inline, which the ledger and every re-run script would keep: pass it through the environment instead (export NAME; repro run -e NAME ...; its value is never recorded)", i+1)
		}
	}
	return nil
}

// checkMountPath refuses paths the engine's --mount syntax cannot carry,
// by the rule a recorded run is checked against when it is read back, so
// that what is recorded can be re-run.
func checkMountPath(p string) error {
	if !runlog.MountablePath(p) {
		return fmt.Errorf("path %q contains a comma, quote, newline or other control character, which the container engine cannot mount; rename it or link it from a plain path", p)
	}
	return nil
}

func listFiles(files []string, max int) string {
	var b strings.Builder
	for i, f := range files {
		if i == max {
			fmt.Fprintf(&b, "  ... and %d more\n", len(files)-max)
			break
		}
		fmt.Fprintf(&b, "  %s\n", f)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// MetricsFile is the file under --out whose numbers are recorded as the
// run's metrics.
const MetricsFile = "metrics.json"

// HashOutputs hashes every file under a run's --out directory.
func HashOutputs(ctx context.Context, dir string) (digest string, outputs []runlog.Output, err error) {
	v, err := dataset.HashPath(ctx, dir)
	if err != nil {
		return "", nil, err
	}
	for _, f := range v.List {
		outputs = append(outputs, runlog.Output{Path: f.Path, Digest: f.Digest, Bytes: f.Size})
	}
	return v.Digest, outputs, nil
}

// ranOutputs records r's outputs and metrics into res when its container
// ran (an exit code) and it has an --out: a run refused or lost before
// its container started wrote none.
func ranOutputs(ctx context.Context, r *runlog.Run, res *runlog.Result, logf func(string, ...any)) {
	if r.OutDir != "" && res.ExitCode != nil {
		recordOutputs(ctx, r.OutDir, res, logf)
	}
}

// recordOutputs puts a finished run's outputs and metrics into res.
func recordOutputs(ctx context.Context, dir string, res *runlog.Result, logf func(string, ...any)) {
	digest, outputs, err := HashOutputs(ctx, dir)
	if err != nil {
		logf("hash outputs in %s: %v", dir, err)
	} else {
		res.OutputsDigest, res.Outputs = digest, outputs
	}
	m, err := provenance.ReadMetrics(filepath.Join(dir, MetricsFile))
	switch {
	case err == nil:
		res.Metrics = m
	case !errors.Is(err, os.ErrNotExist):
		logf("metrics not recorded: %v", err)
	}
}

// ProgressLine returns a progress callback that redraws one line on w
// (a terminal) and ends it when the work is done; nil when w is nil.
func ProgressLine(w io.Writer, what string) func(done, total int) {
	if w == nil {
		return nil
	}
	var mu sync.Mutex
	last := time.Time{}
	return func(done, total int) {
		mu.Lock()
		defer mu.Unlock()
		if done < total && time.Since(last) < 100*time.Millisecond {
			return
		}
		last = time.Now()
		fmt.Fprintf(w, "\rrepro: %s: %d / %d files", what, done, total)
		if done == total {
			fmt.Fprintln(w)
		}
	}
}

// codePart is the code a run uses, as captured.
type codePart struct {
	*gitstate.Code
	tree, patchDigest string
	patch             []byte
	workdir           string         // where the command starts ("" : the image's choice)
	mounts            []engine.Mount // the work tree, unless not mounted
}

// captureCodePart reads the git repository the run's code is in (nil
// with --no-code), refusing a dirty tree unless allowed.
func captureCodePart(ctx context.Context, s Spec) (*codePart, error) {
	if s.NoCode {
		return nil, nil
	}
	dir := s.CodeDir
	if dir == "" {
		var err error
		if dir, err = os.Getwd(); err != nil {
			return nil, err
		}
	}
	code, err := gitstate.CaptureCode(ctx, dir)
	if errors.Is(err, gitstate.ErrNoRepo) {
		return nil, &NoCodeError{Err: err}
	}
	if err != nil {
		return nil, err
	}
	if code.Dirty && !s.AllowDirty {
		return nil, &DirtyTreeError{Dir: code.Dir, Changed: code.Changed}
	}
	if code.Dirty {
		// The uncommitted changes go into the ledger and every re-run
		// script: never a credential.
		allowed := map[string]bool{}
		for _, p := range s.AllowSecretFiles {
			allowed[filepath.ToSlash(filepath.Clean(p))] = true
		}
		for _, f := range code.Changed {
			if allowed[f] {
				continue
			}
			if why := provenance.SecretFile(code.Dir, f); why != "" {
				return nil, &SecretFileError{Path: f, Why: why}
			}
		}
	}
	c := &codePart{Code: code}
	if code.Dirty {
		// The exact uncommitted state, so that a re-run can rebuild it.
		p, err := gitstate.CapturePatch(ctx, code.Dir)
		if err != nil {
			return nil, fmt.Errorf("record the uncommitted changes of %s: %w", code.Dir, err)
		}
		c.tree, c.patch, c.patchDigest = p.Tree, p.Bytes, runlog.BlobDigest(p.Bytes)
	}
	if !s.NoCodeMount {
		if err := checkMountPath(code.Dir); err != nil {
			return nil, fmt.Errorf("code %w", err)
		}
		c.mounts = append(c.mounts, engine.Mount{Source: code.Dir, Target: CodeTarget, ReadOnly: true})
		c.workdir = CodeTarget
		if cwd, err := os.Getwd(); err == nil && s.CodeDir == "" {
			if rel, err := filepath.Rel(code.Dir, cwd); err == nil && rel != "." && !strings.HasPrefix(rel, "..") {
				c.workdir = CodeTarget + "/" + filepath.ToSlash(rel)
			}
		}
	}
	return c, nil
}

// dataPart is the datasets a run reads, as hashed.
type dataPart struct {
	sets   []runlog.Dataset
	mounts []engine.Mount
}

// checkDataArgs checks each --data without reading it: distinct names,
// a path that exists and can be mounted. It returns the absolute paths.
func checkDataArgs(data []DataArg) ([]string, error) {
	names := map[string]bool{}
	var paths []string
	for _, d := range data {
		if names[d.Name] {
			return nil, &InputError{Input: InputData, Name: d.Name, Value: d.Path, Err: errors.New("a second dataset of that name; give each a distinct name")}
		}
		names[d.Name] = true
		abs, err := filepath.Abs(d.Path)
		if err != nil {
			return nil, err
		}
		if _, err := os.Stat(abs); err != nil {
			return nil, &InputError{Input: InputData, Name: d.Name, Value: d.Path, Err: dataset.PathCause(d.Path, err)}
		}
		if err := checkMountPath(abs); err != nil {
			return nil, &InputError{Input: InputData, Name: d.Name, Value: d.Path, Err: err}
		}
		paths = append(paths, abs)
	}
	return paths, nil
}

// hashDataPart hashes each --data (at paths, from checkDataArgs), before
// the run so that the command cannot race the hash, and checks it against
// the digest asked for.
func hashDataPart(ctx context.Context, s Spec, paths []string, l *runlog.Ledger) (*dataPart, error) {
	p := &dataPart{sets: []runlog.Dataset{}}
	for i, d := range s.Data {
		abs := paths[i]
		var cache dataset.HashCache
		if l != nil {
			cache = LedgerCache{l}
		}
		v, err := dataset.HashPathWith(ctx, abs, dataset.HashOptions{Cache: cache, Progress: ProgressLine(s.Progress, "hashing dataset "+d.Name)})
		if err != nil {
			return nil, &InputError{Input: InputData, Name: d.Name, Value: d.Path, Err: err}
		}
		if d.Want != "" && v.Digest != d.Want {
			return nil, &DataMismatch{Name: d.Name, Path: d.Path, Got: v.Digest, Want: d.Want}
		}
		ds := runlog.Dataset{Name: d.Name, Path: abs, Kind: v.Kind, Digest: v.Digest, Files: v.Files, Bytes: v.Bytes}
		if v.Kind == "dir" {
			// The listing is stored once per version: read it from the
			// cache only for a version the ledger does not hold yet.
			held := false
			if l != nil {
				held, _ = l.HasBlob(ctx, v.Digest) // unknown: store it
			}
			if !held {
				var err error
				if ds.Listing, err = v.Listing(); err != nil {
					return nil, &InputError{Input: InputData, Name: d.Name, Value: d.Path, Err: err}
				}
			}
		}
		p.sets = append(p.sets, ds)
		p.mounts = append(p.mounts, engine.Mount{Source: abs, Target: DataTarget + "/" + d.Name, ReadOnly: true})
	}
	return p, nil
}
