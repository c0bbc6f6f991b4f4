package provenance

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Image is a reference resolved to the digests that pin it.
type Image struct {
	Ref          Ref
	Repository   string
	Digest       string // the platform manifest digest: what is pulled and run
	IndexDigest  string // the index digest, when the reference named a multi-platform index
	ConfigDigest string // the config digest: the engine's local image ID
	Platform     string // os/arch[/variant] of the manifest chosen
	WorkingDir   string // the image's working directory
	// BuildDirs are where repro build put contexts in the image, read
	// from its history ("repro build: context at DIR").
	BuildDirs []string
}

// BuildHistoryPrefix starts the history entry repro build writes for the
// layer that holds its context; the directory follows.
const BuildHistoryPrefix = "repro build: context at "

// Pinned is the reference the engine is given: repo@sha256:...
func (i *Image) Pinned() string { return Pinned(i.Repository, i.Digest) }

// RegistryOptions reach a registry.
type RegistryOptions struct {
	Insecure bool         // plain HTTP for a non-loopback registry
	Platform *v1.Platform // nil: linux and the host's architecture
	Keychain authn.Keychain
	// Transport, when set, carries every request (tests count them).
	Transport http.RoundTripper
}

// NameOptions are the name options that go with o.
func (o RegistryOptions) NameOptions() []name.Option {
	if o.Insecure {
		return []name.Option{name.Insecure}
	}
	return nil
}

// RemoteOptions are the remote options that go with o.
func (o RegistryOptions) RemoteOptions(ctx context.Context) []remote.Option {
	return []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(o.keychain()), remote.WithPlatform(o.platform()), remote.WithTransport(o.roundTripper())}
}

func (o RegistryOptions) keychain() authn.Keychain {
	if o.Keychain == nil {
		return authn.DefaultKeychain
	}
	return o.Keychain
}

// roundTripper carries o's requests: plain HTTP only to loopback unless
// Insecure.
func (o RegistryOptions) roundTripper() http.RoundTripper {
	var rt http.RoundTripper = remote.DefaultTransport
	if o.Transport != nil {
		rt = o.Transport
	}
	if !o.Insecure {
		rt = loopbackHTTPOnly{rt}
	}
	return rt
}

// AuthTransport is an authenticated round tripper for repo's registry, with
// pull scope, for calls go-containerregistry does not make itself.
func (o RegistryOptions) AuthTransport(ctx context.Context, repo name.Repository) (http.RoundTripper, error) {
	auth, err := o.keychain().Resolve(repo.Registry)
	if err != nil {
		return nil, err
	}
	return transport.NewWithContext(ctx, repo.Registry, auth, o.roundTripper(), []string{repo.Scope(transport.PullScope)})
}

// AttestationTag is the tag under which the attestations of the image
// with digest (sha256:...) are kept in its repository, in cosign's layout
// for registries without the OCI 1.1 referrers API: sha256-<hex>.att.
func AttestationTag(digest string) string { return strings.Replace(digest, ":", "-", 1) + ".att" }

// loopbackHTTPOnly refuses plain HTTP to any registry that is not on this
// machine. (go-containerregistry falls back to HTTP for private-range
// addresses too; credentials and images must not cross a network in clear
// text unless the user says --insecure.)
type loopbackHTTPOnly struct{ next http.RoundTripper }

func (t loopbackHTTPOnly) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == "http" && !IsLoopback(req.URL.Hostname()) {
		return nil, &PlainHTTPError{Host: req.URL.Host}
	}
	return t.next.RoundTrip(req)
}

// PlainHTTPError is a registry not on loopback reached without TLS:
// refused unless RegistryOptions.Insecure.
type PlainHTTPError struct{ Host string }

func (e *PlainHTTPError) Error() string { return e.Describe("allow it for this registry") }

// Describe says the fix that allows plain HTTP as allow.
func (e *PlainHTTPError) Describe(allow string) string {
	return fmt.Sprintf("plain HTTP to %s refused: only loopback registries are reached without TLS; %s", e.Host, allow)
}

// NamesRegistry says whether the reference s starts with a registry host
// (a first component with a dot or a port, or localhost), as docker reads
// it; otherwise it means Docker Hub.
func NamesRegistry(s string) bool {
	first, _, ok := strings.Cut(s, "/")
	return ok && (strings.ContainsAny(first, ".:") || first == "localhost")
}

// LoopbackRegistry says whether the registry of reference ref (or of a
// repository) is on this machine.
func LoopbackRegistry(ref string) bool {
	host, _, ok := strings.Cut(ref, "/")
	if !ok {
		return false
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return IsLoopback(strings.Trim(host, "[]"))
}

// IsLoopback says whether host names this machine.
func IsLoopback(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (o RegistryOptions) platform() v1.Platform {
	if o.Platform != nil {
		return *o.Platform
	}
	return HostPlatform()
}

// HostPlatform is the platform containers run as here: linux on the host's
// architecture.
func HostPlatform() v1.Platform {
	p := v1.Platform{OS: "linux", Architecture: runtime.GOARCH}
	if runtime.GOARCH == "arm64" {
		p.Variant = "v8"
	}
	return p
}

// Resolve asks the registry what ref points at. A tag is resolved to its
// digest; a digest is checked to exist; a tag written with a digest must
// point at that digest. A multi-platform index resolves to the manifest
// for the platform, and both digests are kept.
func Resolve(ctx context.Context, ref Ref, o RegistryOptions) (*Image, error) {
	repo, err := name.NewRepository(ref.Repository, o.NameOptions()...)
	if err != nil {
		return nil, fmt.Errorf("image %q: %w", ref.Given, err)
	}
	var nref name.Reference
	if ref.Tag != "" {
		nref = repo.Tag(ref.Tag)
	} else if ref.Digest != "" {
		nref = repo.Digest(ref.Digest)
	} else {
		nref = repo.Tag("latest")
	}
	desc, err := remote.Get(nref, o.RemoteOptions(ctx)...)
	if err != nil {
		return nil, RegistryError(ref.Given, repo.RegistryStr(), err)
	}
	if ref.Tag != "" && ref.Digest != "" && desc.Digest.String() != ref.Digest {
		return nil, fmt.Errorf("image %q: tag %s points at %s, not at the digest given; drop the tag or the digest", ref.Given, ref.Tag, desc.Digest)
	}
	img := &Image{Ref: ref, Repository: repo.Name(), Digest: desc.Digest.String()}
	var v1img v1.Image
	if desc.MediaType.IsIndex() {
		img.IndexDigest = desc.Digest.String()
		idx, err := desc.ImageIndex()
		if err != nil {
			return nil, RegistryError(ref.Given, repo.RegistryStr(), err)
		}
		im, err := idx.IndexManifest()
		if err != nil {
			return nil, RegistryError(ref.Given, repo.RegistryStr(), err)
		}
		want := o.platform()
		var chosen *v1.Descriptor
		for i, m := range im.Manifests {
			if m.Platform != nil && m.Platform.Satisfies(want) {
				chosen = &im.Manifests[i]
				break
			}
		}
		if chosen == nil {
			return nil, fmt.Errorf("image %q is a multi-platform index with no %s image", ref.Given, platformString(want))
		}
		img.Digest = chosen.Digest.String()
		img.Platform = platformString(*chosen.Platform)
		if v1img, err = idx.Image(chosen.Digest); err != nil {
			return nil, RegistryError(ref.Given, repo.RegistryStr(), err)
		}
	} else {
		if v1img, err = desc.Image(); err != nil {
			return nil, RegistryError(ref.Given, repo.RegistryStr(), err)
		}
	}
	cfg, err := v1img.ConfigName()
	if err != nil {
		return nil, RegistryError(ref.Given, repo.RegistryStr(), err)
	}
	img.ConfigDigest = cfg.String()
	if cf, err := v1img.ConfigFile(); err == nil {
		if img.Platform == "" && cf.Platform() != nil {
			img.Platform = platformString(*cf.Platform())
		}
		img.WorkingDir = cf.Config.WorkingDir
		for _, h := range cf.History {
			if d, ok := strings.CutPrefix(h.CreatedBy, BuildHistoryPrefix); ok {
				img.BuildDirs = append(img.BuildDirs, d)
			}
		}
	}
	return img, nil
}

func platformString(p v1.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// ErrImageNotFound wraps errors for a tag or digest the registry does not have.
var ErrImageNotFound = errors.New("not found in the registry")

// IsNotFound says whether a registry call failed because the registry
// does not have the manifest or repository asked for (an absent tag, a
// deleted digest), as opposed to refusing or not answering.
func IsNotFound(err error) bool {
	kind, _ := classify(err)
	return kind == missing
}

// What a failed registry call came to, by the registry's own answer.
const (
	unexplained = iota
	missing     // the manifest or repository is not there
	refused     // access was refused
)

// classify reads a registry's answer: its first diagnostic that says
// missing or refused, else a bare 404; with the registry's message.
func classify(err error) (kind int, message string) {
	var te *transport.Error
	if !errors.As(err, &te) {
		return unexplained, ""
	}
	for _, d := range te.Errors {
		switch d.Code {
		case transport.ManifestUnknownErrorCode, transport.NameUnknownErrorCode:
			return missing, d.Message
		case transport.UnauthorizedErrorCode, transport.DeniedErrorCode:
			return refused, d.Message
		}
	}
	if te.StatusCode == http.StatusNotFound {
		return missing, ""
	}
	return unexplained, ""
}

// RegistryError explains a failed registry call: what is missing, or that
// the registry could not be reached, and what to do.
func RegistryError(given, registry string, err error) error {
	switch kind, msg := classify(err); {
	case kind == missing && msg != "":
		return fmt.Errorf("image %q: %w (%s); check the name, tag or digest, or push the image first", given, ErrImageNotFound, msg)
	case kind == missing:
		return fmt.Errorf("image %q: %w; check the name, tag or digest, or push the image first", given, ErrImageNotFound)
	case kind == refused:
		return fmt.Errorf("image %q: registry %s refused access (%s); log in with docker login %s", given, registry, msg, registry)
	}
	var ne net.Error
	var oe *net.OpError
	if errors.As(err, &oe) || errors.As(err, &ne) || strings.Contains(err.Error(), "connection refused") {
		return fmt.Errorf("registry %s is unreachable: %v; check the address and that the registry is running", registry, err)
	}
	return fmt.Errorf("image %q: %w", given, err)
}

// ImageExists asks the registry, with one HEAD request, whether it still
// has image (REPO@sha256:...). Not found is (false, nil); an unreachable
// registry is an error.
func ImageExists(ctx context.Context, image string, o RegistryOptions) (bool, error) {
	ref, err := ParseRef(image)
	if err != nil {
		return false, err
	}
	d, err := name.NewDigest(ref.Repository+"@"+ref.Digest, o.NameOptions()...)
	if err != nil {
		return false, err
	}
	if _, err := remote.Head(d, o.RemoteOptions(ctx)...); err != nil {
		if IsNotFound(err) {
			return false, nil
		}
		return false, RegistryError(image, d.RegistryStr(), err)
	}
	return true, nil
}
