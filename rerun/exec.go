package rerun

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/reprohq/repro/launch"
	"github.com/reprohq/repro/provenance"
	"github.com/reprohq/repro/provenance/dataset"
	"github.com/reprohq/repro/provenance/gitstate"
	"github.com/reprohq/repro/runlog"
)

// ExecOptions shape a re-run executed by repro.
type ExecOptions struct {
	Options
	OutDir string // "" : $REPRO_OUT, else a new directory under repro's data directory
	// Launch carries the engine, registry options, interrupts and log for
	// the new run; its image, command, code, data and env are set from the
	// recorded run.
	Launch launch.Spec
	Lookup func(string) (string, bool)
	// Config, when not nil, is filled with the ConfigFile of the commit
	// checked out (the zero Config when the run recorded no code).
	Config *Config
}

// Exec re-runs r through repro: the recorded image digest, commit, data
// (verified), command and environment, recorded as a new run linked to r.
// Anything gone or changed is refused before a container starts.
func Exec(ctx context.Context, l *runlog.Ledger, r *runlog.Run, o ExecOptions) (*launch.Outcome, error) {
	if r.PatchDigest != "" && o.Patch == nil {
		patch, err := l.Blob(ctx, r.PatchDigest)
		if err != nil {
			return nil, fmt.Errorf("run %s: its uncommitted changes: %w", r.ShortID(), err)
		}
		o.Patch = patch
	}
	p, err := newPlan(r, o.Options)
	if err != nil {
		return nil, err
	}
	lookup := o.Lookup
	if lookup == nil {
		lookup = os.LookupEnv
	}
	s := o.Launch
	s.Image, s.Argv, s.RerunOf, s.Workdir = p.Image, r.Argv, r.ID, r.Workdir
	s.Memory, s.GPUs = r.Memory, r.GPUs
	s.Env, s.SecretEnv = nil, nil

	// Data: a missing copy is refused here; a changed one by launch.Run,
	// which hashes the data anyway (hashing it here too would read it
	// twice on every re-run).
	for _, d := range p.Data {
		path := d.Path
		if v, ok := lookup(d.Var); ok && v != "" {
			path = v
		}
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("dataset %s: %s: %w; point %s at a copy of it", d.Name, path, dataset.PathCause(path, err), d.Var)
		}
		s.Data = append(s.Data, launch.DataArg{Name: d.Name, Path: path, Want: d.Digest})
	}
	for _, e := range p.Plain {
		s.Env = append(s.Env, e.Name+"="+e.Value)
	}
	for _, n := range p.Secrets {
		if _, ok := lookup(n); !ok {
			return nil, fmt.Errorf("%s is not set; run %s used it and its value was not recorded: export it and run again", n, p.Short)
		}
		s.SecretEnv = append(s.SecretEnv, n)
	}
	if r.OutDir != "" {
		out := o.OutDir
		if out == "" {
			if v, ok := lookup("REPRO_OUT"); ok && v != "" {
				out = v
			} else {
				// Never the working directory: people stand in their
				// repository, and a new directory there makes the next
				// run dirty.
				base, err := runlog.DataDir()
				if err != nil {
					return nil, err
				}
				out = filepath.Join(base, "reruns", fmt.Sprintf("%s-%s", p.Short, time.Now().UTC().Format("20060102T150405Z")))
			}
			if s.Log != nil {
				fmt.Fprintf(s.Log, "repro: the re-run's outputs go to %s\n", out)
			}
		}
		s.OutDir = out
	}

	if len(p.Code) > 0 {
		sources := p.Code
		if v, ok := lookup("REPRO_CODE"); ok && v != "" {
			sources = []string{v}
		}
		dir, err := os.MkdirTemp("", "repro-rerun-code-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		code := filepath.Join(dir, "code")
		if err := gitstate.Checkout(ctx, sources, r.Commit, code); err != nil {
			return nil, err
		}
		if r.PatchDigest != "" && !p.NoPatch {
			if err := gitstate.ApplyPatch(ctx, code, o.Patch, r.CodeTree); err != nil {
				return nil, fmt.Errorf("run %s: %w", p.Short, err)
			}
			s.AllowDirty = true
		}
		if o.Config != nil {
			c, err := LoadConfig(code)
			if err != nil {
				return nil, fmt.Errorf("run %s, commit %s: %w", p.Short, short(r.Commit), err)
			}
			*o.Config = *c
		}
		s.CodeDir = code
	} else {
		s.NoCode = true
	}
	out, err := launch.Run(ctx, l, s)
	// The recorded image is gone from its registry: each kept copy, by
	// the same digest, before anything was recorded or started.
	for _, k := range p.Kept {
		if !errors.Is(err, provenance.ErrImageNotFound) {
			break
		}
		if s.Log != nil {
			fmt.Fprintf(s.Log, "repro: %s is gone from its registry; trying its kept copy %s\n", p.Image, k.Ref)
		}
		s.Image = k.Ref
		out, err = launch.Run(ctx, l, s)
	}
	var changed *launch.DataMismatch
	if errors.As(err, &changed) {
		v := "REPRO_DATA_" + EnvSuffix(changed.Name)
		return nil, fmt.Errorf("dataset %s at %s has digest %s, but run %s used %s; point %s at an unchanged copy", changed.Name, changed.Path, changed.Got, p.Short, changed.Want, v)
	}
	if errors.Is(err, provenance.ErrImageNotFound) {
		if len(p.Kept) > 0 {
			return nil, fmt.Errorf("the image run %s used, %s, is no longer in its registry, nor are its kept copies (%v); push it back (crane or skopeo copy from a backup) to re-run exactly", p.Short, p.Image, err)
		}
		return nil, fmt.Errorf("the image run %s used, %s, is no longer in its registry (%v); push it back (crane or skopeo copy from a backup) to re-run exactly", p.Short, p.Image, err)
	}
	return out, err
}
