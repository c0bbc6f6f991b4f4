package image_test

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/reprohq/repro/image"
	"github.com/reprohq/repro/provenance"
)

func TestTagSet(t *testing.T) {
	sha := "0123456789abcdef0123456789abcdef01234567"
	tests := []struct {
		version, sha, channel string
		want                  string
		wantErr               string
	}{
		{"1.4.2", sha, "dev", "1.4.2 1.4 1 git-0123456 dev", ""},
		{"v1.4.2", "", "", "1.4.2 1.4 1", ""},
		{"0.9.0", "", "", "0.9.0 0.9 0", ""},
		{"2.0.0-rc.1", sha, "", "2.0.0-rc.1 git-0123456", ""},
		{"2.0.0-rc.1", "", "staging", "2.0.0-rc.1 staging", ""},
		{"10.20.30", "abcdef1", "", "10.20.30 10.20 10 git-abcdef1", ""},
		{"1.4", "", "", "", "not a semantic version"},
		{"01.2.3", "", "", "", "not a semantic version"},
		{"1.2.3+build.5", "", "", "", "build metadata"},
		{"latest", "", "", "", "not a semantic version"},
		{"1.2.3", "", "latest", "", "the tag latest is refused"},
		{"1.2.3", "", "LATEST", "", "the tag latest is refused"},
		{"1.2.3", "", "1.2.4", "", "looks like a version"},
		{"1.2.3", "", "-x", "", "not valid"},
		{"1.2.3", "xyz", "", "", "not a git commit"},
	}
	for _, tt := range tests {
		t.Run(tt.version+"/"+tt.channel, func(t *testing.T) {
			got, err := image.TagSet(tt.version, tt.sha, tt.channel)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("TagSet = %v, %v; want error %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || strings.Join(got, " ") != tt.want {
				t.Fatalf("TagSet = %v, %v; want %s", got, err, tt.want)
			}
		})
	}
}

// countingRegistry is go-containerregistry's in-process registry with a
// count of the requests that upload blobs.
type countingRegistry struct {
	*httptest.Server
	mu      sync.Mutex
	uploads int
}

func newRegistry(t *testing.T) *countingRegistry {
	r := &countingRegistry{}
	h := registry.New(registry.Logger(nilLogger()))
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if strings.Contains(req.URL.Path, "/blobs/uploads") {
			r.mu.Lock()
			r.uploads++
			r.mu.Unlock()
		}
		h.ServeHTTP(w, req)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *countingRegistry) host() string { return strings.TrimPrefix(r.URL, "http://") }

func (r *countingRegistry) blobUploads() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.uploads
}

func writeTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for rel, content := range files {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func buildOpts(reg *countingRegistry, ctxDir string) image.BuildOptions {
	epoch := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return image.BuildOptions{
		Context: ctxDir, Repository: reg.host() + "/ml/trainer", Version: "1.4.2", Channel: "dev",
		SHA: "0123456789abcdef0123456789abcdef01234567", Entrypoint: []string{"/app/train"}, Epoch: &epoch,
	}
}

func TestBuild_ReproducibleAndTagged(t *testing.T) {
	ctx := context.Background()
	reg := newRegistry(t)
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"train": "#!/bin/sh\n", "conf/a.yaml": "a: 1\n", "cache/big": "x", ".dockerignore": "cache\n*.log\n", "run.log": "log", ".git/config": "[remote \"origin\"]\n\turl = https://user:s3cret@example.invalid/x.git\n", "sub/.git": "gitdir: ../.git/modules/sub\n", "sub/x": "x"})
	first, err := image.Build(ctx, buildOpts(reg, dir))
	if err != nil {
		t.Fatal(err)
	}
	uploads := reg.blobUploads()
	if uploads == 0 {
		t.Fatal("the first build uploaded no blob")
	}
	// Same inputs: same digest, and nothing uploaded again.
	again, err := image.Build(ctx, buildOpts(reg, dir))
	if err != nil {
		t.Fatal(err)
	}
	if again.Digest != first.Digest {
		t.Errorf("rebuild digest %s, want %s", again.Digest, first.Digest)
	}
	if n := reg.blobUploads(); n != uploads {
		t.Errorf("the unchanged rebuild uploaded %d blobs", n-uploads)
	}
	// Every tag points at the digest.
	for _, tag := range []string{"1.4.2", "1.4", "1", "git-0123456", "dev"} {
		ref, _ := name.ParseReference(reg.host() + "/ml/trainer:" + tag)
		desc, err := remote.Head(ref)
		if err != nil || desc.Digest.String() != first.Digest {
			t.Errorf("tag %s -> %v, %v; want %s", tag, desc, err, first.Digest)
		}
	}
	// Labels, config and the layer's contents.
	ref, _ := name.ParseReference(first.Pinned())
	img, err := remote.Image(ref)
	if err != nil {
		t.Fatal(err)
	}
	cf, _ := img.ConfigFile()
	for k, v := range map[string]string{
		image.LabelRevision: "0123456789abcdef0123456789abcdef01234567", image.LabelVersion: "1.4.2",
		image.LabelCreated: "2026-01-01T00:00:00Z", image.LabelBaseName: "scratch",
	} {
		if cf.Config.Labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, cf.Config.Labels[k], v)
		}
	}
	if strings.Join(cf.Config.Entrypoint, " ") != "/app/train" || cf.Config.WorkingDir != "/app" || !cf.Created.Time.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("config: entrypoint %v workdir %q created %v", cf.Config.Entrypoint, cf.Config.WorkingDir, cf.Created)
	}
	names := layerNames(t, img)
	want := "app/ app/.dockerignore app/conf/ app/conf/a.yaml app/sub/ app/sub/x app/train"
	if strings.Join(names, " ") != want {
		t.Errorf("layer entries %v, want %s", names, want)
	}
	// A different epoch is a different image.
	o := buildOpts(reg, dir)
	later := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	o.Epoch = &later
	// The exact version 1.4.2 names the first image: not moved unforced.
	if _, err := image.Build(ctx, o); err == nil || !strings.Contains(err.Error(), "1.4.2 already points at "+first.Digest+", another image") {
		t.Fatalf("moving the exact version tag without --force: %v", err)
	}
	o.Force = true
	other, err := image.Build(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if other.Digest == first.Digest {
		t.Errorf("a build at another time has the same digest %s", other.Digest)
	}
}

// TestBuild_Provenance: a dirty context is refused, or built marked dirty;
// outside git the image is dated by its newest file, never 1970.
func TestBuild_Provenance(t *testing.T) {
	ctx := context.Background()
	reg := newRegistry(t)
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"train": "#!/bin/sh\n", ".dockerignore": "cache\n", "cache/x": "x"})
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=A", "-c", "user.email=a@example.invalid"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	// Outside git: dated by the newest file.
	newest := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	if err := os.Chtimes(filepath.Join(dir, "train"), newest, newest); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{".dockerignore", "cache/x"} {
		old := newest.Add(-time.Hour)
		if f == "cache/x" {
			old = newest.Add(time.Hour) // ignored: does not date the image
		}
		if err := os.Chtimes(filepath.Join(dir, f), old, old); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("SOURCE_DATE_EPOCH", "")
	o := image.BuildOptions{Context: dir, Repository: reg.host() + "/ml/p", Version: "0.1.0"}
	res, err := image.Build(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != "2026-03-04T05:06:07Z" || !strings.Contains(res.CreatedFrom, "newest file") {
		t.Errorf("outside git: created %s from %q", res.Created, res.CreatedFrom)
	}
	// In git, with a change to a file the image holds: refused.
	git("init", "-q")
	git("add", "train", ".dockerignore")
	git("commit", "-qm", "c")
	if err := os.WriteFile(filepath.Join(dir, "cache", "y"), []byte("y"), 0o644); err != nil {
		t.Fatal(err)
	}
	o.Version = "0.2.0"
	clean, err := image.Build(ctx, o) // an untracked file that .dockerignore excludes is not a change
	if err != nil {
		t.Fatalf("a change only to an ignored file: %v", err)
	}
	if clean.Dirty || !strings.HasPrefix(clean.CreatedFrom, "the time of commit") {
		t.Errorf("clean build: dirty %v, created from %q", clean.Dirty, clean.CreatedFrom)
	}
	if err := os.WriteFile(filepath.Join(dir, "train"), []byte("#!/bin/sh\necho changed\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	o.Version = "0.3.0"
	if _, err := image.Build(ctx, o); err == nil || !strings.Contains(err.Error(), "has uncommitted changes (1 files: train)") {
		t.Fatalf("a dirty context: %v", err)
	}
	// A file git ignores goes into the image but is not in the commit:
	// the same refusal, unless .dockerignore leaves it out. A deleted
	// file is missing from the image.
	if err := os.WriteFile(filepath.Join(dir, ".gitignore"), []byte("secret.env\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git("add", ".gitignore")
	git("commit", "-qm", "ignore")
	git("checkout", "-q", "--", "train")
	if err := os.WriteFile(filepath.Join(dir, "secret.env"), []byte("TOKEN=x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	o.Version = "0.3.1"
	if _, err := image.Build(ctx, o); err == nil || !strings.Contains(err.Error(), "(1 files: secret.env)") || !strings.Contains(err.Error(), "files git ignores count too") {
		t.Fatalf("a git-ignored file in the context: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".dockerignore"), []byte("cache\nsecret.env\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git("commit", "-qam", "dockerignore")
	if _, err := image.Build(ctx, o); err != nil {
		t.Fatalf("a git-ignored file that .dockerignore leaves out: %v", err)
	}
	if err := os.Remove(filepath.Join(dir, "train")); err != nil {
		t.Fatal(err)
	}
	o.Version = "0.3.2"
	if _, err := image.Build(ctx, o); err == nil || !strings.Contains(err.Error(), "(1 files: train)") {
		t.Fatalf("a deleted file: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "train"), []byte("#!/bin/sh\necho changed\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	o.AllowDirty = true
	dirty, err := image.Build(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	sha := dirty.SourceCommit[:7]
	if !dirty.Dirty || dirty.Labels[image.LabelDirty] != "true" || !slices.Contains(dirty.Tags, "git-"+sha+"-dirty") || slices.Contains(dirty.Tags, "git-"+sha) {
		t.Errorf("dirty build: dirty %v, labels %v, tags %v", dirty.Dirty, dirty.Labels, dirty.Tags)
	}
}

func layerNames(t *testing.T, img v1.Image) []string {
	t.Helper()
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("layers: %d, %v", len(layers), err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var names []string
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return names
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Uid != 0 || h.Gid != 0 || h.Uname != "" || !h.ModTime.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("entry %s: uid %d gid %d uname %q mtime %v", h.Name, h.Uid, h.Gid, h.Uname, h.ModTime)
		}
		names = append(names, h.Name)
	}
}

func TestWriteContextTar_Symlinks(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	writeTree(t, outside, map[string]string{"secret": "do not ship"})
	writeTree(t, dir, map[string]string{"a": "a"})
	if err := os.Symlink(filepath.Join(outside, "secret"), filepath.Join(dir, "escape")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../..", filepath.Join(dir, "up")); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	st, err := image.WriteContextTar(&buf, dir, "/app", time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(buf.Bytes(), []byte("do not ship")) {
		t.Fatal("a symlink out of the context was followed")
	}
	if st.Files != 1 || st.Links != 2 {
		t.Errorf("stats %+v, want 1 file and 2 links", st)
	}
	first := append([]byte(nil), buf.Bytes()...)
	tr := tar.NewReader(&buf)
	links := map[string]string{}
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		if h.Typeflag == tar.TypeSymlink {
			links[h.Name] = h.Linkname
		}
	}
	if links["app/escape"] != filepath.Join(outside, "secret") || links["app/up"] != "../.." {
		t.Errorf("links recorded as %v", links)
	}
	// Same tree, same bytes.
	var again bytes.Buffer
	if _, err := image.WriteContextTar(&again, dir, "/app", time.Unix(0, 0)); err != nil || !bytes.Equal(again.Bytes(), first) {
		t.Error("the same context gave different tar bytes")
	}
}

func TestPromote_UploadsNoBlob(t *testing.T) {
	ctx := context.Background()
	reg := newRegistry(t)
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"train": "x"})
	res, err := image.Build(ctx, buildOpts(reg, dir))
	if err != nil {
		t.Fatal(err)
	}
	before := reg.blobUploads()
	p, err := image.Promote(ctx, res.Pinned(), []string{"staging", "prod"}, provenance.RegistryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n := reg.blobUploads() - before; n != 0 {
		t.Errorf("promote made %d blob upload requests, want 0", n)
	}
	if p.Digest != res.Digest || strings.Join(p.Tags, ",") != "staging,prod" {
		t.Errorf("promotion %+v", p)
	}
	ref, _ := name.ParseReference(reg.host() + "/ml/trainer:prod")
	if desc, err := remote.Head(ref); err != nil || desc.Digest.String() != res.Digest {
		t.Errorf("prod -> %v, %v", desc, err)
	}
	// By tag: resolved to the same digest.
	if p, err := image.Promote(ctx, reg.host()+"/ml/trainer:1.4.2", []string{"stable"}, provenance.RegistryOptions{}); err != nil || p.Digest != res.Digest {
		t.Errorf("promote by tag: %+v, %v", p, err)
	}
	for _, tt := range []struct{ src, to, wantErr string }{
		{res.Pinned(), "latest", "the tag latest is refused"},
		{reg.host() + "/ml/trainer@sha256:" + strings.Repeat("0", 64), "staging", "not found in the registry"},
		{reg.host() + "/ml/trainer", "staging", "name the image by digest"},
	} {
		if _, err := image.Promote(ctx, tt.src, []string{tt.to}, provenance.RegistryOptions{}); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("Promote(%s, %s) = %v, want %q", tt.src, tt.to, err, tt.wantErr)
		}
	}
}

func TestBuild_MultiPlatformScratch(t *testing.T) {
	reg := newRegistry(t)
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"train": "x"})
	o := buildOpts(reg, dir)
	o.Platforms = []string{"linux/amd64,linux/arm64"}
	res, err := image.Build(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Platforms) != 2 || res.MediaType != "application/vnd.oci.image.index.v1+json" {
		t.Fatalf("result %+v", res)
	}
	// repro run's resolution picks the host platform's manifest.
	ref, _ := provenance.ParseRef(reg.host() + "/ml/trainer:1.4.2")
	arm := v1.Platform{OS: "linux", Architecture: "arm64"}
	got, err := provenance.Resolve(context.Background(), ref, provenance.RegistryOptions{Platform: &arm})
	if err != nil {
		t.Fatal(err)
	}
	if got.IndexDigest != res.Digest || got.Digest != res.Platforms["linux/arm64"] || got.Platform != "linux/arm64" {
		t.Errorf("resolved %+v, want index %s and arm64 manifest %s", got, res.Digest, res.Platforms["linux/arm64"])
	}
}

func TestBuild_BadInputPushesNothing(t *testing.T) {
	reg := newRegistry(t)
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"train": "x"})
	tests := []struct {
		name    string
		edit    func(*image.BuildOptions)
		wantErr string
	}{
		{"bad version", func(o *image.BuildOptions) { o.Version = "1.4" }, "not a semantic version"},
		{"latest channel", func(o *image.BuildOptions) { o.Channel = "latest" }, "latest is refused"},
		{"missing context", func(o *image.BuildOptions) { o.Context = filepath.Join(dir, "nope") }, "no such file or directory"},
		{"unknown base", func(o *image.BuildOptions) { o.Base = reg.host() + "/base:1.0" }, "not found in the registry"},
		{"latest base", func(o *image.BuildOptions) { o.Base = reg.host() + "/base" }, "moving tag latest"},
		{"tagged repo", func(o *image.BuildOptions) { o.Repository += ":1" }, "names a tag or digest"},
		{"relative dest", func(o *image.BuildOptions) { o.Dest = "app" }, "not an absolute path"},
		{"bad platform", func(o *image.BuildOptions) { o.Platforms = []string{"amd64"} }, "write os/arch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := buildOpts(reg, dir)
			tt.edit(&o)
			if _, err := image.Build(context.Background(), o); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Build: %v, want error %q", err, tt.wantErr)
			}
			if n := reg.blobUploads(); n != 0 {
				t.Fatalf("%d blob uploads after a refused build", n)
			}
		})
	}
}

// FuzzWriteContextTar_Dockerignore: whatever the .dockerignore says, the
// archive is written or refused without a panic, holds only entries under
// dest, and never the file outside the context a symlink points at.
func FuzzWriteContextTar_Dockerignore(f *testing.F) {
	for _, s := range []string{"*", "!keep", "**/*.log", "../*", "/abs", "[", "\\", "dir/\n!dir/keep", "#c\n*.bin", "link"} {
		f.Add(s)
	}
	outside := f.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("outside-the-context"), 0o644); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, patterns string) {
		dir := t.TempDir()
		writeTree(t, dir, map[string]string{"keep": "k", "a.log": "l", "dir/keep": "d", "dir/x.bin": "b", ".dockerignore": patterns})
		if err := os.Symlink(filepath.Join(outside, "secret"), filepath.Join(dir, "link")); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if _, err := image.WriteContextTar(&buf, dir, "/app", time.Unix(0, 0)); err != nil {
			return
		}
		if bytes.Contains(buf.Bytes(), []byte("outside-the-context")) {
			t.Fatal("a file outside the context was archived")
		}
		tr := tar.NewReader(&buf)
		for {
			h, err := tr.Next()
			if err != nil {
				break
			}
			if !strings.HasPrefix(h.Name, "app/") && h.Name != "app/" {
				t.Fatalf("entry %q is outside dest", h.Name)
			}
		}
	})
}

// TestBuild_OnABase: a base given by tag is resolved to its digest and
// recorded in the labels; its layers come first; a base that is an index
// gives an index with one image per platform.
func TestBuild_OnABase(t *testing.T) {
	ctx := context.Background()
	reg := newRegistry(t)
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"train": "x"})
	base := buildOpts(reg, dir)
	base.Repository = reg.host() + "/base/python"
	base.Platforms = []string{"linux/amd64,linux/arm64"}
	baseRes, err := image.Build(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	o := buildOpts(reg, dir)
	o.Base = reg.host() + "/base/python:1.4.2"
	res, err := image.Build(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if res.BaseDigest != baseRes.Digest || res.Labels[image.LabelBaseDigest] != baseRes.Digest || res.Labels[image.LabelBaseName] != o.Base {
		t.Errorf("base digest %s, labels %v; want %s", res.BaseDigest, res.Labels, baseRes.Digest)
	}
	if len(res.Platforms) != 2 {
		t.Fatalf("platforms %v, want amd64 and arm64", res.Platforms)
	}
	ref, _ := name.ParseReference(reg.host() + "/ml/trainer@" + res.Platforms["linux/arm64"])
	img, err := remote.Image(ref)
	if err != nil {
		t.Fatal(err)
	}
	layers, _ := img.Layers()
	cf, _ := img.ConfigFile()
	if len(layers) != 2 || cf.Architecture != "arm64" {
		t.Errorf("%d layers, architecture %s; want the base's layer and ours, arm64", len(layers), cf.Architecture)
	}
	// Only one of the platforms, by asking (another image: a new version).
	o.Platforms, o.Version = []string{"linux/amd64"}, "1.4.3"
	one, err := image.Build(ctx, o)
	if err != nil || len(one.Platforms) != 1 {
		t.Errorf("one platform of an index base: %v, %v", one, err)
	}
}
