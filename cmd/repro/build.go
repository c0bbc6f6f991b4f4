package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/reprohq/repro/image"
	"github.com/reprohq/repro/rerun"
	"github.com/reprohq/repro/runlog"
)

type buildOptions struct {
	registryFlags
	repo         string
	version      string
	sha          string
	channel      string
	base         string
	entrypoint   string
	cmdline      string
	env          []string
	workdir      string
	dest         string
	allowDirty   bool
	force        bool
	platforms    []string
	metadataFile string
	build        image.BuildOptions // the flags above, checked, and CONTEXT
}

func newBuildCmd(g *globals) *cobra.Command {
	o := &buildOptions{}
	cmd := &cobra.Command{
		Use:   "build [CONTEXT] --repo REGISTRY/NAME --version V",
		Short: "Build a trainer image once, tag it many ways, push it, record its digest",
		Long: `Build turns CONTEXT (default .) into one image layer under --dest (default
/app: not /workspace, where repro run mounts your work tree) on top of --base,
and pushes it with every tag of its tag set (see repro tags) pointing at one
digest. No container daemon is involved.

The build is reproducible: entries in a fixed order, every timestamp set to
SOURCE_DATE_EPOCH, else the commit time of the context's HEAD, else (outside
git) the newest file's time, owner 0:0, no host metadata; building the same
commit twice gives the same digest. .dockerignore is honoured, and .git is
never part of an image; symlinks are stored as links, never followed.

Like repro run, build refuses a context with uncommitted changes: the
git-<sha> tag must name that commit's content. --allow-dirty builds it
anyway, tagged git-<sha>-dirty and labelled repro.dirty=true. An exact
version tag (1.4.2) that already points at another image is never moved
without --force; the floating tags (1.4, 1) and the channel move by design.
The image carries the OCI labels org.opencontainers.image.revision, .source,
.version, .created, .base.name and .base.digest. A multi-platform base gives
one image per platform, pushed as an index.

Layers the registry already has are not uploaded again. stdout prints
REGISTRY/NAME@sha256:...; the image and one tag event per tag are recorded in
the ledger.

--entrypoint and --cmd take one word (/trainer) or a JSON array
('["/trainer", "--seed", "7"]').

Exit status: 0 ok, 1 error (nothing is recorded), 2 usage.`,
		Example: `  repro build ./trainer --repo 127.0.0.1:5000/trainer --version 1.4.2 --entrypoint /trainer
  repro build . --repo registry.example.com/ml/trainer --version 2.0.0-rc.1 --channel dev \
      --base registry.example.com/python:3.12-slim --cmd '["python", "train.py"]'`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usagef("build takes at most one CONTEXT directory")
			}
			return nil
		},
		// Usage is checked before the ledger is opened.
		PreRunE: func(cmd *cobra.Command, args []string) error {
			if o.repo == "" || o.version == "" {
				return usagef("build needs --repo REGISTRY/NAME and --version V")
			}
			bo := &o.build
			*bo = image.BuildOptions{
				Context: ".", Repository: o.repo, Version: o.version, SHA: o.sha, Channel: o.channel,
				Base: o.base, Env: o.env, Workdir: o.workdir, Dest: o.dest, Platforms: o.platforms,
				AllowDirty: o.allowDirty, Force: o.force,
				Registry: o.registryFlags.options(),
			}
			if len(args) == 1 {
				bo.Context = args[0]
			}
			var err error
			if bo.Entrypoint, err = wordsFlag("--entrypoint", o.entrypoint); err != nil {
				return err
			}
			if bo.Cmd, err = wordsFlag("--cmd", o.cmdline); err != nil {
				return err
			}
			if isTerminal(cmd.ErrOrStderr()) {
				bo.Progress = cmd.ErrOrStderr()
			}
			return nil
		},
		RunE: g.withLedger(false, func(ctx context.Context, l *runlog.Ledger, args []string, s streams) error {
			return runBuild(ctx, l, o, s)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&o.repo, "repo", "", "REGISTRY/NAME to push to (required)")
	f.StringVar(&o.version, "version", "", "semantic version, as in 1.4.2 (required)")
	f.StringVar(&o.sha, "sha", "", "commit for the git- tag and revision label (default: the context's HEAD)")
	f.StringVar(&o.channel, "channel", "", "also tag this channel, as in dev or staging")
	f.StringVar(&o.base, "base", "scratch", "base image: scratch, or a reference (resolved to its digest)")
	f.StringVar(&o.entrypoint, "entrypoint", "", "entrypoint: one word, or a JSON array")
	f.StringVar(&o.cmdline, "cmd", "", "default command: one word, or a JSON array")
	f.StringArrayVar(&o.env, "env", nil, "KEY=VALUE set in the image; repeatable")
	f.StringVar(&o.workdir, "workdir", "", "working directory in the image (default: --dest)")
	f.StringVar(&o.dest, "dest", image.DefaultDest, "where the context lands in the image (not under /workspace, where repro run mounts the work tree)")
	f.BoolVar(&o.allowDirty, "allow-dirty", false, "build a context with uncommitted changes, tagged git-<sha>-dirty and labelled repro.dirty=true")
	f.BoolVar(&o.force, "force", false, "move the exact version tag when it already points at another image")
	f.StringSliceVar(&o.platforms, "platform", nil, "platforms to build, as in linux/amd64,linux/arm64 (default: the base's)")
	f.StringVar(&o.metadataFile, "metadata-file", "", "write the build's digest, tags, labels and base as JSON to FILE")
	o.registryFlags.addFlags(cmd)
	return cmd
}

// runBuild builds, pushes and records an image.
func runBuild(ctx context.Context, l *runlog.Ledger, o *buildOptions, s streams) error {

	res, err := image.Build(ctx, o.build)
	if err != nil {
		return imageError(err)
	}
	if err := image.RecordBuild(ctx, l, res); err != nil {
		return fmt.Errorf("pushed %s but could not record it: %w", res.Pinned(), err)
	}
	if o.metadataFile != "" {
		b, err := res.MarshalMetadata()
		if err != nil {
			return err
		}
		if err := rerun.WriteFile(o.metadataFile, append(b, '\n')); err != nil {
			return err
		}
		_ = os.Chmod(o.metadataFile, 0o644)
	}
	fmt.Fprintf(s.err, "repro: created %s, from %s\n", res.Created, res.CreatedFrom)
	if res.Dirty {
		fmt.Fprintf(s.err, "repro: warning: built from uncommitted changes; tagged and labelled dirty\n")
	}
	fmt.Fprintf(s.err, "repro: pushed %s (%d files, %d bytes) as %s\n", res.Repository, res.Files, res.Bytes, strings.Join(res.Tags, ", "))
	fmt.Fprintln(s.out, res.Pinned())
	return nil
}

// wordsFlag reads one word or a JSON array of strings.
func wordsFlag(flag, s string) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	if strings.HasPrefix(strings.TrimSpace(s), "[") {
		var words []string
		if err := json.Unmarshal([]byte(s), &words); err != nil {
			return nil, usagef("%s %q: not a JSON array of strings: %v", flag, s, err)
		}
		return words, nil
	}
	return []string{s}, nil
}
