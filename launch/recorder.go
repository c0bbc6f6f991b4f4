package launch

import (
	"context"
	"errors"
	"fmt"

	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/reprohq/repro/engine"
	"github.com/reprohq/repro/provenance"
	"github.com/reprohq/repro/provenance/dataset"
	"github.com/reprohq/repro/runlog"
)

// recording is one run on its way through Run: the spec (defaults
// filled in), the record being built, and where repro reports.
type recording struct {
	l     *runlog.Ledger
	s     Spec
	r     *runlog.Run
	eng   *engine.Engine
	local bool // the container runs on this machine's engine
	logf  func(string, ...any)
	mark  func(step string)
}

// captured is what capture found: the parts of the record that take
// time, and the engine's answers for a run here.
type captured struct {
	src       *codePart
	data      *dataPart
	img       *provenance.Image
	host      provenance.Host
	engineErr error // the engine's version or image look-up failed
	imageID   string
	present   bool
}

// Run captures provenance, records the run as running, runs the container
// by digest, hashes its outputs and records how it ended. An error means
// nothing was started (or, with a non-nil Outcome, that recording the end
// failed).
func Run(ctx context.Context, l *runlog.Ledger, s Spec) (*Outcome, error) {
	rec := newRecording(l, s)
	ref, env, err := rec.check()
	if err != nil {
		return nil, err
	}
	dataPaths, err := checkDataArgs(rec.s.Data)
	if err != nil {
		return nil, err
	}
	rec.mark("checked the arguments")
	got, err := rec.capture(ctx, ref, dataPaths)
	if err != nil {
		return nil, err
	}
	c := rec.assemble(ref, got, env)
	out := &Outcome{Run: rec.r, Command: rec.r.Engine.Command}
	switch {
	case rec.s.DryRun:
		rec.r.Status = "dry-run"
		rec.r.StartedAt = rec.s.Now().UTC()
		return out, nil
	case !rec.local:
		return runPlaced(ctx, l, rec.s, rec.r, ref, out, rec.logf)
	}
	if err := rec.pinImage(ctx, got, c.Image); err != nil {
		return nil, err
	}
	// The record comes before the container.
	if err := begin(ctx, l, rec.s, rec.r, ref); err != nil {
		return nil, err
	}
	rec.logf("run %s", rec.r.ShortID())
	rec.mark("recorded the start; starting the container")
	exit, err := rec.eng.Run(ctx, c, rec.s.Interrupts)
	rec.mark("the container ended and was removed")
	res := result(exit, err, out)
	err = finish(ctx, l, rec.r, res, out, rec.logf)
	rec.mark("recorded the end")
	return out, err
}

// notify tells the user n, through the caller's Notify or the log.
func (rec *recording) notify(n Notice) {
	if rec.s.Notify != nil {
		rec.s.Notify(n)
		return
	}
	rec.logf("%s", n)
}

// newRecording fills in s's defaults.
func newRecording(l *runlog.Ledger, s Spec) *recording {
	rec := &recording{l: l, local: s.Placement == nil, mark: tracer(s.Trace, s.Started)}
	rec.logf = func(format string, a ...any) {
		if s.Log != nil {
			fmt.Fprintf(s.Log, "repro: "+format+"\n", a...)
		}
	}
	if s.Lookup == nil {
		s.Lookup = os.LookupEnv
	}
	if s.NewID == nil {
		s.NewID = runlog.NewID
	}
	if s.Host == nil {
		s.Host = provenance.CaptureHost
	}
	rec.eng = s.Engine
	if rec.eng == nil {
		rec.eng = &engine.Engine{}
	}
	rec.s = s
	return rec
}

// check refuses what can be refused without the registry or the engine
// and starts the record: the image reference, the environment, the
// command, the options and the output directory.
func (rec *recording) check() (provenance.Ref, []provenance.EnvVar, error) {
	s := &rec.s
	ref, err := provenance.ParseRef(s.Image)
	if err != nil {
		return ref, nil, err
	}
	if (ref.Tag == "latest" || ref.Tag == "" && ref.Digest == "") && !s.AllowLatest {
		return ref, nil, &LatestError{Image: s.Image}
	}
	env, err := provenance.ParseEnv(s.Env, s.SecretEnv, s.Lookup)
	if err != nil {
		return ref, nil, err
	}
	for _, v := range env {
		if _, err := engine.EnvLine(v.Name, v.Value, os.Getenv); err != nil {
			return ref, nil, err
		}
	}
	if err := checkArgv(s.Argv); err != nil {
		return ref, nil, err
	}
	if err := checkOptions(*s); err != nil {
		return ref, nil, err
	}
	r := &runlog.Run{
		ID: s.NewID(), Image: s.Image, Argv: append([]string{}, s.Argv...), CodeMount: !s.NoCode && !s.NoCodeMount,
		RerunOf: s.RerunOf, ReproVersion: s.Version, Memory: s.Memory, GPUs: s.GPUs, Name: s.Name, Labels: s.Labels,
		Engine: runlog.Engine{Name: rec.eng.Name()}, ChangedFiles: []string{}, Env: []runlog.EnvVar{},
	}
	if r.Labels == nil {
		r.Labels = map[string]string{}
	}
	if s.Now != nil {
		r.StartedAt = s.Now().UTC()
	} else {
		s.Now = time.Now // the ledger's clock dates the run
	}
	rec.r = r
	// Outputs go to an empty directory, so that what is there afterwards
	// is what the run wrote.
	if s.OutDir == "" && s.DefaultOutRoot != "" {
		s.OutDir = filepath.Join(s.DefaultOutRoot, r.ShortID())
		rec.notify(OutDirChosen{Dir: s.OutDir})
	}
	if r.OutDir, err = checkOutDir(s.OutDir); err != nil {
		return ref, nil, err
	}
	return ref, env, nil
}

// checkOptions checks the run's name and the options the engine takes.
func checkOptions(s Spec) error {
	if s.Name != "" {
		if err := runlog.ValidateName(s.Name); err != nil {
			return err
		}
	}
	if s.Workdir != "" && !runlog.ValidWorkdir(s.Workdir) {
		return &InputError{Input: InputWorkdir, Value: s.Workdir, Err: errors.New("give an absolute path inside the container, without control characters")}
	}
	if s.User != "" && !validUser(s.User) {
		return fmt.Errorf("user %q: write UID:GID, as in 1000:1000", s.User)
	}
	for _, in := range []struct {
		input Input
		v     string
	}{{InputMemory, s.Memory}, {InputGPUs, s.GPUs}} {
		if strings.HasPrefix(in.v, "-") || strings.ContainsAny(in.v, " \t\n") {
			return &InputError{Input: in.input, Value: in.v, Err: errors.New("not a value the engine takes")}
		}
	}
	return nil
}

// checkOutDir returns the absolute --out, refusing one that cannot be
// mounted or is not empty ("" : none).
func checkOutDir(dir string) (string, error) {
	if dir == "" {
		return "", nil
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if err := checkMountPath(abs); err != nil {
		return "", &InputError{Input: InputOut, Value: dir, Err: err}
	}
	if entries, err := os.ReadDir(abs); err == nil && len(entries) > 0 {
		return "", &InputError{Input: InputOut, Value: dir, Err: errors.New("not empty; give a new or empty directory so that its contents are this run's outputs")}
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", &InputError{Input: InputOut, Value: dir, Err: dataset.PathCause(dir, err)}
	}
	return abs, nil
}

// capture reads the code, hashes the data, resolves the image (asking
// the engine about it) and reads the host, side by side. The code is
// cheap and always read to the end; a failure of any part stops the data
// hash and the image look-up (a dirty tree stops the hashing of a big
// dataset), which then report nothing. Failures are reported in the
// order code, data, image: a dirty tree is named before anything else,
// whatever finished first.
func (rec *recording) capture(ctx context.Context, ref provenance.Ref, dataPaths []string) (*captured, error) {
	got := &captured{}
	var errs [3]error // code, data, image
	slow, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	side := func(slot int, pctx context.Context, f func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := f(pctx)
			if err != nil && pctx.Err() != nil {
				err = pctx.Err() // stopped because another part failed
			}
			if err != nil {
				errs[slot] = err
				stop()
			}
		}()
	}
	side(0, ctx, func(ctx context.Context) (err error) {
		defer rec.mark("captured the code")
		got.src, err = captureCodePart(ctx, rec.s)
		return err
	})
	side(1, slow, func(ctx context.Context) (err error) {
		defer rec.mark("hashed the data")
		got.data, err = hashDataPart(ctx, rec.s, dataPaths, rec.l)
		return err
	})
	side(2, slow, func(ctx context.Context) error {
		defer rec.mark("asked the engine")
		return rec.resolve(ctx, ref, got)
	})
	wg.Add(1)
	go func() { defer wg.Done(); got.host = rec.s.Host(slow) }()
	wg.Wait()
	for _, err := range errs {
		if err != nil && (!errors.Is(err, context.Canceled) || ctx.Err() != nil) {
			return nil, err
		}
	}
	return got, nil
}

// resolve asks the registry for the image and, for a run here, the
// engine for its version and its copy of the image, all at once: an
// image given by digest is looked up while the registry answers (each
// CLI call costs tens of ms). A run placed elsewhere does not ask this
// machine's engine; a dry run does not need the image's answers.
func (rec *recording) resolve(ctx context.Context, ref provenance.Ref, got *captured) error {
	s, eng := &rec.s, rec.eng
	var version string
	asked := make(chan error, 1)
	go func() {
		var err error
		if rec.local {
			version, err = eng.Version(ctx)
		}
		asked <- err
	}()
	type lookup struct {
		ref, id string
		present bool
		err     error
	}
	var early chan lookup
	if ref.Digest != "" && rec.local && !s.DryRun {
		early = make(chan lookup, 1)
		go func() {
			l := lookup{ref: provenance.Pinned(ref.Repository, ref.Digest)}
			l.id, l.present, l.err = eng.ImageID(ctx, l.ref)
			early <- l
		}()
	}
	img, err := provenance.Resolve(ctx, ref, s.Registry)
	if err != nil {
		return resolveHint(ctx, eng, s.Image, err)
	}
	got.img = img
	rec.mark("resolved the image")
	rec.r.Engine.Version, got.engineErr = version, <-asked
	if got.engineErr != nil || s.DryRun || !rec.local {
		return nil
	}
	answered := false
	if early != nil {
		l := <-early
		if answered = l.ref == img.Pinned(); answered {
			got.imageID, got.present, got.engineErr = l.id, l.present, l.err
		}
	}
	if !answered {
		got.imageID, got.present, got.engineErr = eng.ImageID(ctx, img.Pinned())
	}
	if got.engineErr == nil && s.User != "" {
		var rootless bool
		if rootless, got.engineErr = eng.Rootless(ctx); rootless {
			s.User = ""
		}
	}
	return nil
}

// assemble puts what was captured into the record and returns the
// container that runs it, its engine command recorded.
func (rec *recording) assemble(ref provenance.Ref, got *captured, env []provenance.EnvVar) engine.Container {
	r, s, img := rec.r, rec.s, got.img
	mounts := []engine.Mount{}
	if src := got.src; src != nil {
		r.CodeDir, r.Commit, r.Branch, r.Remote, r.Dirty = src.Dir, src.Commit, src.Branch, src.Remote, src.Dirty
		r.ChangedFiles, r.CodeTree, r.Patch, r.PatchDigest, r.Workdir = src.Changed, src.tree, src.patch, src.patchDigest, src.workdir
		mounts = append(mounts, src.mounts...)
	}
	if r.ChangedFiles == nil {
		r.ChangedFiles = []string{}
	}
	if s.Workdir != "" {
		r.Workdir = s.Workdir
	}
	r.Data = got.data.sets
	mounts = append(mounts, got.data.mounts...)
	if r.OutDir != "" {
		mounts = append(mounts, engine.Mount{Source: r.OutDir, Target: OutTarget})
	}
	// Environment: secrets keep their names only.
	values := map[string]string{}
	var envNames []string
	for _, v := range env {
		values[v.Name] = v.Value
		envNames = append(envNames, v.Name)
		e := runlog.EnvVar{Name: v.Name, Secret: v.Secret}
		if !v.Secret {
			e.Value = v.Value
		}
		r.Env = append(r.Env, e)
	}
	// The image, as the registry resolved it.
	if ref.Tag != "" {
		rec.logf("resolved %s -> %s", ref.String(), provenance.Pinned(img.Repository, img.Digest))
	}
	if d := hiddenByCodeMount(img); d != "" && r.CodeMount {
		rec.notify(ImageShadowed{Image: s.Image, Dir: d})
	}
	r.ImageRepo, r.ImageTag, r.ImageDigest = img.Repository, ref.Tag, img.Digest
	r.ImageIndexDigest, r.ImageConfigDigest, r.ImagePlatform = img.IndexDigest, img.ConfigDigest, img.Platform
	r.Host = runlog.Host{User: got.host.User, Hostname: got.host.Hostname, OS: got.host.OS, Arch: got.host.Arch, GPUs: []runlog.GPU{}}
	for _, g := range got.host.GPUs {
		r.Host.GPUs = append(r.Host.GPUs, runlog.GPU{Model: g.Model, Driver: g.Driver})
	}
	c := engine.Container{
		Name: "repro-" + r.ShortID(), Labels: map[string]string{"repro.run": r.ID}, Image: img.Pinned(),
		Argv: s.Argv, Workdir: r.Workdir, Mounts: mounts, Env: envNames, Values: values,
		Memory: s.Memory, GPUs: s.GPUs, User: s.User,
	}
	if s.RerunOf != "" {
		c.Labels["repro.rerun-of"] = s.RerunOf
	}
	r.Engine.Command = append([]string{rec.eng.Name()}, rec.eng.RunArgs(c)...)
	return c
}

// pinImage makes sure the engine holds exactly the recorded image:
// pulled by digest when missing, its ID the registry's config digest.
func (rec *recording) pinImage(ctx context.Context, got *captured, image string) error {
	if got.engineErr != nil {
		return got.engineErr
	}
	id := got.imageID
	if !got.present {
		if err := rec.eng.Pull(ctx, image); err != nil {
			return err
		}
		var err error
		if id, _, err = rec.eng.ImageID(ctx, image); err != nil {
			return err
		}
	}
	if want := got.img.ConfigDigest; want != "" && id != want {
		return fmt.Errorf("the engine's image %s has ID %s, but the registry's config digest is %s; remove the local image (%s image rm %s) and retry", image, id, want, rec.eng.Name(), image)
	}
	return nil
}

// result is how a container's end is recorded, and what repro exits
// with (set in out).
func result(exit engine.Exit, err error, out *Outcome) runlog.Result {
	res := runlog.Result{Status: runlog.StatusSucceeded}
	if err != nil {
		res.Status, res.Error = runlog.StatusFailed, err.Error()
		exit.Code = 125
	}
	code := exit.Code
	res.ExitCode = &code
	res.Signal, res.OOMKilled = exit.Signal, exit.OOMKilled
	if res.Error == "" {
		res.Error = exit.Err
	}
	switch {
	case exit.Signal != "":
		res.Status = runlog.StatusInterrupted
		out.ExitCode = 130
		if exit.Signal == "SIGTERM" {
			out.ExitCode = 143
		}
	case exit.Code != 0:
		res.Status = runlog.StatusFailed
		out.ExitCode = exit.Code
		if exit.OOMKilled {
			res.Error = "the container ran out of memory (OOM-killed)"
		}
	}
	return res
}
