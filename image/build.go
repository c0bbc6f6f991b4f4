package image

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/reprohq/repro/provenance"
	"github.com/reprohq/repro/provenance/dataset"
	"github.com/reprohq/repro/provenance/gitstate"
)

// OCI annotation keys set as labels on every image repro builds.
const (
	LabelRevision   = "org.opencontainers.image.revision"
	LabelSource     = "org.opencontainers.image.source"
	LabelVersion    = "org.opencontainers.image.version"
	LabelCreated    = "org.opencontainers.image.created"
	LabelBaseName   = "org.opencontainers.image.base.name"
	LabelBaseDigest = "org.opencontainers.image.base.digest"
	// LabelDirty marks an image built, with AllowDirty, from a work tree
	// whose context had uncommitted changes: its revision is not its
	// content.
	LabelDirty = "repro.dirty"
)

// DefaultDest is where the context lands in the image: not /workspace,
// where repro run mounts the work tree and would hide it.
const DefaultDest = "/app"

// Scratch is the base name for an image with no base.
const Scratch = "scratch"

// BuildOptions describe one build.
type BuildOptions struct {
	Context    string   // directory that becomes the layer
	Repository string   // REGISTRY/NAME, no tag
	Version    string   // semantic version
	SHA        string   // commit for the git- tag and revision label ("" : the context's HEAD)
	Channel    string   // optional extra tag
	Base       string   // "scratch" or a reference
	Entrypoint []string // nil: the base's
	Cmd        []string // nil: the base's
	Env        []string // KEY=VALUE, added to the base's
	Workdir    string   // "" : Dest
	Dest       string   // where the context lands; "" : DefaultDest
	AllowDirty bool     // build a context with uncommitted changes, tagged git-<sha>-dirty
	Force      bool     // move the exact version tag when it points at another image
	Platforms  []string // os/arch[/variant]; empty: the base's, or the host's for scratch
	Epoch      *time.Time
	Registry   provenance.RegistryOptions
	Progress   io.Writer // push progress; nil: silent
	Now        func() time.Time
}

// Result is what a build pushed.
type Result struct {
	Repository   string            `json:"repository"`
	Digest       string            `json:"digest"`
	MediaType    string            `json:"media_type"`
	Tags         []string          `json:"tags"`
	Labels       map[string]string `json:"labels"`
	BaseName     string            `json:"base_name"`
	BaseDigest   string            `json:"base_digest,omitempty"`
	SourceCommit string            `json:"source_commit,omitempty"`
	Dirty        bool              `json:"dirty,omitempty"` // built from uncommitted changes
	Created      string            `json:"created"`
	CreatedFrom  string            `json:"created_from"`        // where Created came from, in words
	Platforms    map[string]string `json:"platforms,omitempty"` // platform -> manifest digest, for an index
	Files        int64             `json:"files"`
	Bytes        int64             `json:"bytes"`
}

// Pinned is REGISTRY/NAME@sha256:...
func (r *Result) Pinned() string { return provenance.Pinned(r.Repository, r.Digest) }

// Build builds the image, pushes every tag of its tag set to one digest
// and returns what it pushed. Layers the registry already has are not
// uploaded again. Nothing is pushed unless every input checks out.
func Build(ctx context.Context, o BuildOptions) (*Result, error) {
	if o.Dest == "" {
		o.Dest = DefaultDest
	}
	if !strings.HasPrefix(o.Dest, "/") {
		return nil, &OptionError{Option: OptDest, Value: o.Dest, Err: errors.New("not an absolute path in the image")}
	}
	if o.Workdir == "" {
		o.Workdir = path.Clean(o.Dest)
	}
	if o.Base == "" {
		o.Base = Scratch
	}
	repo, err := repository(o.Repository, o.Registry)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(o.Context)
	if err != nil {
		return nil, fmt.Errorf("build context %q: %w", o.Context, dataset.PathCause(o.Context, err))
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("build context %q is not a directory", o.Context)
	}
	for _, e := range o.Env {
		if k, _, ok := strings.Cut(e, "="); !ok || k == "" {
			return nil, &OptionError{Option: OptEnv, Value: e, Err: errors.New("write KEY=VALUE")}
		}
	}

	res := &Result{Repository: repo.Name(), BaseName: o.Base, Labels: map[string]string{}}
	// The code: its commit names the image and fixes its timestamps. A
	// context with uncommitted changes is not that commit: refused, as
	// repro run refuses a dirty tree, unless allowed and marked.
	var commitTime time.Time
	if code, err := gitstate.CaptureCode(ctx, o.Context); err == nil {
		res.SourceCommit = code.Commit
		if code.Remote != "" {
			res.Labels[LabelSource] = code.Remote
		}
		commitTime, _ = gitstate.CommitTime(o.Context, code.Commit)
		changed, err := notCommitted(code, o.Context)
		if err != nil {
			return nil, err
		}
		if len(changed) > 0 {
			if !o.AllowDirty {
				return nil, &DirtyContextError{Context: o.Context, Changed: changed, Commit: code.Commit, DirtyTag: "git-" + shortSHA(code.Commit) + "-dirty"}
			}
			res.Dirty = true
			res.Labels[LabelDirty] = "true"
		}
	} else if !errors.Is(err, gitstate.ErrNoRepo) {
		return nil, err
	}
	if o.SHA != "" {
		res.SourceCommit = o.SHA
	}
	if res.Tags, err = TagSet(o.Version, res.SourceCommit, o.Channel); err != nil {
		return nil, err
	}
	if res.Dirty {
		for i, t := range res.Tags {
			if strings.HasPrefix(t, "git-") {
				res.Tags[i] = t + "-dirty"
			}
		}
	}
	epoch, from, err := buildEpoch(o.Epoch, commitTime, res.SourceCommit, o.Context)
	if err != nil {
		return nil, err
	}
	res.CreatedFrom = from
	res.Created = epoch.Format(time.RFC3339)
	v, _ := ParseVersion(o.Version)
	res.Labels[LabelVersion] = v.String()
	res.Labels[LabelCreated] = res.Created
	res.Labels[LabelBaseName] = o.Base
	if res.SourceCommit != "" {
		res.Labels[LabelRevision] = res.SourceCommit
	}

	platforms, err := parsePlatforms(o.Platforms)
	if err != nil {
		return nil, err
	}
	bases, baseDigest, baseIsIndex, err := resolveBase(ctx, o.Base, platforms, o.Registry)
	if err != nil {
		return nil, err
	}
	if baseDigest != "" {
		res.BaseDigest = baseDigest
		res.Labels[LabelBaseDigest] = baseDigest
	}

	// The context layer, written once to a temporary file.
	layer, stats, cleanup, err := contextLayer(o.Context, o.Dest, epoch, bases[0].mediaType)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	res.Files, res.Bytes = stats.Files, stats.Bytes

	var images []platformImage
	for _, b := range bases {
		img, err := assemble(b, layer, o, res.Labels, epoch)
		if err != nil {
			return nil, err
		}
		images = append(images, platformImage{platform: b.platform, img: img})
	}

	// What is pushed, and its digest, known before anything is sent.
	var (
		pushed remote.Taggable
		img    v1.Image
		idx    v1.ImageIndex
		digest v1.Hash
	)
	if len(images) == 1 && !baseIsIndex {
		img = images[0].img
		pushed = img
		if digest, err = img.Digest(); err != nil {
			return nil, err
		}
		mt, _ := img.MediaType()
		res.MediaType = string(mt)
	} else {
		idx = mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
		res.Platforms = map[string]string{}
		for _, pi := range images {
			d, derr := pi.img.Digest()
			if derr != nil {
				return nil, derr
			}
			mt, _ := pi.img.MediaType()
			p := pi.platform
			idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: pi.img, Descriptor: v1.Descriptor{MediaType: mt, Platform: &p}})
			res.Platforms[platformString(p)] = d.String()
		}
		pushed = idx
		if digest, err = idx.Digest(); err != nil {
			return nil, err
		}
		res.MediaType = string(types.OCIImageIndex)
	}
	res.Digest = digest.String()

	// An exact version names one image: it is not moved to another one
	// unless forced (the floating tags and the channel move by design).
	first := repo.Tag(res.Tags[0])
	if !o.Force {
		desc, err := remote.Head(first, o.Registry.RemoteOptions(ctx)...)
		switch {
		case err != nil && !provenance.IsNotFound(err):
			return nil, provenance.RegistryError(first.String(), repo.RegistryStr(), err)
		case err == nil && desc.Digest != digest:
			return nil, &TagTakenError{Tag: first.String(), Digest: desc.Digest.String()}
		}
	}

	ropts := o.Registry.RemoteOptions(ctx)
	var progressDone chan struct{}
	if o.Progress != nil {
		updates := make(chan v1.Update, 64)
		progressDone = make(chan struct{})
		go showProgress(o.Progress, updates, progressDone)
		ropts = append(ropts, remote.WithProgress(updates))
	}
	if img != nil {
		err = remote.Write(first, img, ropts...)
	} else {
		err = remote.WriteIndex(first, idx, ropts...)
	}
	if progressDone != nil {
		<-progressDone
	}
	if err != nil {
		return nil, provenance.RegistryError(first.String(), repo.RegistryStr(), err)
	}
	// The other tags point at the same manifest: no blob moves.
	tagOpts := o.Registry.RemoteOptions(ctx)
	for _, t := range res.Tags[1:] {
		if err := remote.Tag(repo.Tag(t), pushed, tagOpts...); err != nil {
			return nil, provenance.RegistryError(repo.Tag(t).String(), repo.RegistryStr(), err)
		}
	}
	return res, nil
}

func repository(s string, o provenance.RegistryOptions) (name.Repository, error) {
	ref, err := provenance.ParseRef(s)
	if err != nil {
		return name.Repository{}, &OptionError{Option: OptRepo, Err: err}
	}
	if ref.Tag != "" || ref.Digest != "" {
		return name.Repository{}, &OptionError{Option: OptRepo, Value: s, Err: errors.New("names a tag or digest; give REGISTRY/NAME: the version chooses the tags")}
	}
	return name.NewRepository(ref.Repository, o.NameOptions()...)
}

// buildEpoch is the image's created time and every timestamp in its
// layer, and where it came from: the time given, SOURCE_DATE_EPOCH, the
// commit's time, or, outside git, the newest file of the context; never
// 1970 by default.
func buildEpoch(fixed *time.Time, commit time.Time, sha, contextDir string) (time.Time, string, error) {
	if fixed != nil {
		return fixed.UTC(), "given", nil
	}
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return time.Time{}, "", fmt.Errorf("SOURCE_DATE_EPOCH=%q is not a number of seconds since 1970", s)
		}
		return time.Unix(n, 0).UTC(), "SOURCE_DATE_EPOCH", nil
	}
	if !commit.IsZero() {
		return commit.UTC(), "the time of commit " + sha[:min(len(sha), 12)], nil
	}
	newest, err := NewestModTime(contextDir)
	if err != nil {
		return time.Time{}, "", err
	}
	if newest.IsZero() {
		return time.Time{}, "", fmt.Errorf("build context %s is not in git and has no files to date the image by; set SOURCE_DATE_EPOCH to the time the image should carry", contextDir)
	}
	return newest.UTC().Truncate(time.Second), "the newest file in the context (not in git; set SOURCE_DATE_EPOCH to choose)", nil
}

// notCommitted lists the files that go into the image (inside contextDir,
// neither excluded by its .dockerignore nor under a .git) and are not as
// code's commit holds them: changed, untracked, or ignored by git. Paths
// are relative to the work tree's root.
func notCommitted(code *gitstate.Code, contextDir string) ([]string, error) {
	abs, err := filepath.Abs(contextDir)
	if err != nil {
		return nil, err
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	top := code.Dir
	if real, err := filepath.EvalSymlinks(top); err == nil {
		top = real
	}
	rel, err := filepath.Rel(top, abs)
	if err != nil {
		return nil, err
	}
	rel = filepath.ToSlash(rel)
	inRepo := func(p string) string {
		if rel == "." {
			return p
		}
		return rel + "/" + p
	}
	committed, err := gitstate.CommittedFiles(code.Dir, code.Commit)
	if err != nil {
		return nil, fmt.Errorf("build context %s: the files of commit %s: %w", contextDir, code.Commit, err)
	}
	changed := map[string]bool{}
	for _, c := range code.Changed {
		changed[c] = true
	}
	root, err := os.OpenRoot(contextDir)
	if err != nil {
		return nil, fmt.Errorf("build context %s: %w", contextDir, dataset.PathCause(contextDir, err))
	}
	defer root.Close()
	pm, err := ignoreMatcher(root)
	if err != nil {
		return nil, err
	}
	listed := map[string]bool{}
	_, err = walkContext(root, pm, func(p string, d fs.DirEntry) error {
		if t := d.Type(); !t.IsRegular() && t&fs.ModeSymlink == 0 {
			return nil
		}
		if p := inRepo(p); changed[p] || !committed[p] {
			listed[p] = true
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("build context %s: %w", contextDir, err)
	}
	// Files the commit has and the work tree lost, by the same rule.
	for _, c := range code.Changed {
		in, ok := strings.CutPrefix(c, rel+"/")
		if rel == "." {
			in, ok = c, true
		}
		if !ok || listed[c] {
			continue
		}
		if _, err := root.Lstat(in); !errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if left, err := leftOut(pm, in); err != nil || left {
			continue
		}
		listed[c] = true
	}
	out := make([]string, 0, len(listed))
	for p := range listed {
		out = append(out, p)
	}
	sort.Strings(out)
	return out, nil
}

func firstN(s []string, n int) []string {
	if len(s) > n {
		return append(append([]string{}, s[:n]...), "...")
	}
	return s
}

type baseImage struct {
	platform  v1.Platform
	img       v1.Image
	mediaType types.MediaType // of the layer to add
}

type platformImage struct {
	platform v1.Platform
	img      v1.Image
}

func parsePlatforms(ss []string) ([]v1.Platform, error) {
	var ps []v1.Platform
	for _, s := range ss {
		for _, part := range strings.Split(s, ",") {
			p, err := v1.ParsePlatform(strings.TrimSpace(part))
			if err != nil || p.OS == "" || p.Architecture == "" {
				return nil, &OptionError{Option: OptPlatform, Value: part, Err: errors.New("write os/arch[/variant], as in linux/amd64")}
			}
			ps = append(ps, *p)
		}
	}
	return ps, nil
}

func resolveBase(ctx context.Context, base string, platforms []v1.Platform, o provenance.RegistryOptions) ([]baseImage, string, bool, error) {
	if base == Scratch {
		if len(platforms) == 0 {
			platforms = []v1.Platform{provenance.HostPlatform()}
		}
		var out []baseImage
		for _, p := range platforms {
			img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
			img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
			cf, err := img.ConfigFile()
			if err != nil {
				return nil, "", false, err
			}
			cf = cf.DeepCopy()
			cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
			if img, err = mutate.ConfigFile(img, cf); err != nil {
				return nil, "", false, err
			}
			out = append(out, baseImage{platform: p, img: img, mediaType: types.OCILayer})
		}
		return out, "", len(platforms) > 1, nil
	}
	ref, err := provenance.ParseRef(base)
	if err != nil {
		return nil, "", false, &OptionError{Option: OptBase, Err: err}
	}
	if ref.Tag == "latest" || ref.Tag == "" && ref.Digest == "" {
		return nil, "", false, &OptionError{Option: OptBase, Value: base, Err: errors.New("uses the moving tag latest; name a version tag or a digest")}
	}
	repo, err := name.NewRepository(ref.Repository, o.NameOptions()...)
	if err != nil {
		return nil, "", false, &OptionError{Option: OptBase, Value: base, Err: err}
	}
	var nref name.Reference = repo.Tag(ref.Tag)
	if ref.Digest != "" {
		nref = repo.Digest(ref.Digest)
	}
	desc, err := remote.Get(nref, o.RemoteOptions(ctx)...)
	if err != nil {
		return nil, "", false, &OptionError{Option: OptBase, Err: provenance.RegistryError(base, repo.RegistryStr(), err)}
	}
	digest := desc.Digest.String()
	if ref.Tag != "" && ref.Digest != "" && digest != ref.Digest {
		return nil, "", false, &OptionError{Option: OptBase, Value: base, Err: fmt.Errorf("tag %s points at %s, not at the digest given", ref.Tag, digest)}
	}
	if !desc.MediaType.IsIndex() {
		img, err := desc.Image()
		if err != nil {
			return nil, "", false, err
		}
		cf, err := img.ConfigFile()
		if err != nil {
			return nil, "", false, err
		}
		p := v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant}
		if len(platforms) > 0 && !matchesAny(p, platforms) {
			return nil, "", false, &OptionError{Option: OptBase, Value: base, Err: fmt.Errorf("is a single %s image; it cannot give the platform %s", platformString(p), platformString(platforms[0]))}
		}
		return []baseImage{{platform: p, img: img, mediaType: layerTypeFor(desc.MediaType)}}, digest, false, nil
	}
	idx, err := desc.ImageIndex()
	if err != nil {
		return nil, "", false, err
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, "", false, err
	}
	var out []baseImage
	for _, m := range im.Manifests {
		if m.Platform == nil || m.Platform.OS == "unknown" || !m.MediaType.IsImage() {
			continue // attestations and the like
		}
		if len(platforms) > 0 && !matchesAny(*m.Platform, platforms) {
			continue
		}
		img, err := idx.Image(m.Digest)
		if err != nil {
			return nil, "", false, err
		}
		out = append(out, baseImage{platform: *m.Platform, img: img, mediaType: layerTypeFor(m.MediaType)})
	}
	if len(out) == 0 {
		return nil, "", false, &OptionError{Option: OptBase, Value: base, Err: errors.New("has no image for the platforms asked for")}
	}
	sort.Slice(out, func(i, j int) bool { return platformString(out[i].platform) < platformString(out[j].platform) })
	return out, digest, true, nil
}

func matchesAny(p v1.Platform, want []v1.Platform) bool {
	for _, w := range want {
		if p.Satisfies(w) {
			return true
		}
	}
	return false
}

func layerTypeFor(manifest types.MediaType) types.MediaType {
	if manifest == types.DockerManifestSchema2 {
		return types.DockerLayer
	}
	return types.OCILayer
}

func platformString(p v1.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

func contextLayer(dir, dest string, epoch time.Time, mt types.MediaType) (v1.Layer, LayerStats, func(), error) {
	l, stats, err := writeLayer(dir, dest, epoch, mt)
	if err != nil {
		return nil, stats, nil, err
	}
	return l, stats, func() { os.Remove(l.path) }, nil
}

func assemble(b baseImage, layer v1.Layer, o BuildOptions, labels map[string]string, epoch time.Time) (v1.Image, error) {
	img, err := mutate.Append(b.img, mutate.Addendum{
		Layer:     layer,
		MediaType: b.mediaType,
		History:   v1.History{Created: v1.Time{Time: epoch}, CreatedBy: provenance.BuildHistoryPrefix + path.Clean(o.Dest)},
	})
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.Created = v1.Time{Time: epoch}
	if o.Entrypoint != nil {
		cf.Config.Entrypoint = o.Entrypoint
		if o.Cmd == nil {
			cf.Config.Cmd = nil // as docker does: a new entrypoint drops the base's cmd
		}
	}
	if o.Cmd != nil {
		cf.Config.Cmd = o.Cmd
	}
	cf.Config.Env = append(cf.Config.Env, o.Env...)
	cf.Config.WorkingDir = o.Workdir
	if cf.Config.Labels == nil {
		cf.Config.Labels = map[string]string{}
	}
	for k, v := range labels {
		cf.Config.Labels[k] = v
	}
	return mutate.ConfigFile(img, cf)
}

func showProgress(w io.Writer, updates <-chan v1.Update, done chan<- struct{}) {
	defer close(done)
	last := time.Time{}
	for u := range updates {
		if u.Error != nil {
			continue
		}
		if time.Since(last) < 200*time.Millisecond && u.Complete != u.Total {
			continue
		}
		last = time.Now()
		fmt.Fprintf(w, "\rrepro: pushing %.1f / %.1f MiB", float64(u.Complete)/(1<<20), float64(u.Total)/(1<<20))
	}
	fmt.Fprintln(w)
}

// MarshalMetadata is the --metadata-file JSON: repro's fields plus the
// keys buildx writes, so tools that read buildx metadata read this too.
func (r *Result) MarshalMetadata() ([]byte, error) {
	names := make([]string, len(r.Tags))
	for i, t := range r.Tags {
		names[i] = r.Repository + ":" + t
	}
	m := map[string]any{
		"containerimage.digest": r.Digest,
		"image.name":            strings.Join(names, ","),
		"repository":            r.Repository,
		"digest":                r.Digest,
		"media_type":            r.MediaType,
		"tags":                  r.Tags,
		"labels":                r.Labels,
		"base":                  map[string]string{"name": r.BaseName, "digest": r.BaseDigest},
		"source_commit":         r.SourceCommit,
		"created":               r.Created,
	}
	if len(r.Platforms) > 0 {
		m["platforms"] = r.Platforms
	}
	return json.MarshalIndent(m, "", "  ")
}
