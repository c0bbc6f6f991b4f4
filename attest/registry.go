package attest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/reprohq/repro/provenance"
)

// Annotations cosign reads on an attestation layer.
const (
	annotationPredicate = "predicateType"
	annotationSignature = "dev.cosignproject.cosign/signature"
)

// maxEnvelope bounds what is read of one attestation layer.
const maxEnvelope = 4 << 20

// attachment is where the attestations of image (REPO@sha256:...) live:
// the tag provenance.AttestationTag names in its repository, as cosign
// lays them out for registries without the OCI 1.1 referrers API; and the
// image's digest.
func attachment(image string, o provenance.RegistryOptions) (name.Tag, string, error) {
	ref, err := provenance.ParseRef(image)
	if err != nil {
		return name.Tag{}, "", err
	}
	if ref.Digest == "" {
		return name.Tag{}, "", fmt.Errorf("image %q: name it by digest (REPO@sha256:...); an attestation is about one image", image)
	}
	repo, err := name.NewRepository(ref.Repository, o.NameOptions()...)
	if err != nil {
		return name.Tag{}, "", err
	}
	return repo.Tag(provenance.AttestationTag(ref.Digest)), ref.Digest, nil
}

// Push attaches the envelope env to image in its registry, in cosign's
// layout (the tag sha256-<hex>.att, which cosign reads), and, where the
// registry answers the OCI 1.1 referrers API, also as a referrer whose
// subject is the image. Attestations already there (other runs of the
// same image) are kept: env is added, once. It returns where it went.
func Push(ctx context.Context, image string, env []byte, o provenance.RegistryOptions) (string, error) {
	tag, digest, err := attachment(image, o)
	if err != nil {
		return "", err
	}
	where, err := pushAtt(ctx, tag, env, o)
	if err != nil {
		return "", err
	}
	repo := tag.Context()
	api, err := referrersAPI(ctx, repo, digest, o)
	if err != nil {
		return "", provenance.RegistryError(image, repo.RegistryStr(), err)
	}
	if !api {
		return where, nil
	}
	desc, err := remote.Head(repo.Digest(digest), o.RemoteOptions(ctx)...)
	if err != nil {
		return "", provenance.RegistryError(image, repo.RegistryStr(), err)
	}
	if err := pushReferrer(ctx, repo, *desc, env, o); err != nil {
		return "", provenance.RegistryError(image, repo.RegistryStr(), err)
	}
	return where + " and as a referrer of " + repo.Digest(digest).String(), nil
}

// pushAtt adds env to the attestations under tag (cosign's layout).
func pushAtt(ctx context.Context, tag name.Tag, env []byte, o provenance.RegistryOptions) (string, error) {
	opts := o.RemoteOptions(ctx)
	base, err := remote.Image(tag, opts...)
	switch {
	case err == nil:
	case provenance.IsNotFound(err):
		base = mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	default:
		return "", provenance.RegistryError(tag.String(), tag.RegistryStr(), err)
	}
	layer := static.NewLayer(env, types.MediaType(EnvelopeMediaType))
	digest, err := layer.Digest()
	if err != nil {
		return "", err
	}
	layers, err := base.Layers()
	if err != nil {
		return "", provenance.RegistryError(tag.String(), tag.RegistryStr(), err)
	}
	for _, l := range layers {
		if d, err := l.Digest(); err == nil && d == digest {
			return tag.String(), nil // already attached
		}
	}
	img, err := mutate.Append(base, mutate.Addendum{
		Layer:       layer,
		MediaType:   types.MediaType(EnvelopeMediaType),
		Annotations: map[string]string{annotationPredicate: PredicateType, annotationSignature: ""},
	})
	if err != nil {
		return "", err
	}
	if err := remote.Write(tag, img, opts...); err != nil {
		return "", provenance.RegistryError(tag.String(), tag.RegistryStr(), err)
	}
	return tag.String(), nil
}

// Fetch returns the DSSE envelopes attached to image, in cosign's layout
// and as OCI 1.1 referrers, each once, as stored: unverified (see Open).
// None attached is no error.
func Fetch(ctx context.Context, image string, o provenance.RegistryOptions) ([][]byte, error) {
	tag, digest, err := attachment(image, o)
	if err != nil {
		return nil, err
	}
	att, err := fetchAtt(ctx, tag, o)
	if err != nil {
		return nil, err
	}
	refs, err := fetchReferrers(ctx, tag.Context(), digest, o)
	if err != nil {
		return nil, provenance.RegistryError(image, tag.RegistryStr(), err)
	}
	seen := map[string]bool{}
	var out [][]byte
	for _, env := range append(att, refs...) {
		if !seen[string(env)] {
			seen[string(env)] = true
			out = append(out, env)
		}
	}
	return out, nil
}

// fetchAtt reads the envelopes under tag (cosign's layout).
func fetchAtt(ctx context.Context, tag name.Tag, o provenance.RegistryOptions) ([][]byte, error) {
	img, err := remote.Image(tag, o.RemoteOptions(ctx)...)
	if err != nil {
		if provenance.IsNotFound(err) {
			return nil, nil
		}
		return nil, provenance.RegistryError(tag.String(), tag.RegistryStr(), err)
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, provenance.RegistryError(tag.String(), tag.RegistryStr(), err)
	}
	var out [][]byte
	for _, d := range m.Layers {
		if d.MediaType != types.MediaType(EnvelopeMediaType) {
			continue
		}
		if d.Size > maxEnvelope {
			return nil, fmt.Errorf("%s: an attestation layer of %d bytes; at most %d are read", tag, d.Size, maxEnvelope)
		}
		b, err := readLayer(img, d.Digest)
		if err != nil {
			return nil, provenance.RegistryError(tag.String(), tag.RegistryStr(), err)
		}
		out = append(out, b)
	}
	return out, nil
}

func readLayer(img v1.Image, digest v1.Hash) ([]byte, error) {
	l, err := img.LayerByDigest(digest)
	if err != nil {
		return nil, err
	}
	rc, err := l.Compressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var b bytes.Buffer
	if _, err := io.Copy(&b, io.LimitReader(rc, maxEnvelope+1)); err != nil {
		return nil, err
	}
	if b.Len() > maxEnvelope {
		return nil, fmt.Errorf("an attestation layer larger than %d bytes", maxEnvelope)
	}
	return b.Bytes(), nil
}

// referrersAPI says whether repo's registry answers the OCI 1.1 referrers
// API (GET /v2/NAME/referrers/DIGEST with an index).
func referrersAPI(ctx context.Context, repo name.Repository, digest string, o provenance.RegistryOptions) (bool, error) {
	rt, err := o.AuthTransport(ctx, repo)
	if err != nil {
		return false, err
	}
	u := fmt.Sprintf("%s://%s/v2/%s/referrers/%s", repo.Registry.Scheme(), repo.RegistryStr(), repo.RepositoryStr(), digest)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return false, err
	}
	resp, err := (&http.Client{Transport: rt}).Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode == http.StatusOK && strings.HasPrefix(resp.Header.Get("Content-Type"), string(types.OCIImageIndex)), nil
}

// emptyConfig is the OCI empty descriptor's content, an artifact's config.
var emptyConfig = []byte("{}")

// emptyConfigType is the media type of the OCI empty descriptor.
const emptyConfigType = "application/vnd.oci.empty.v1+json"

// pushReferrer pushes env as an OCI 1.1 artifact whose subject is the
// image: found through the referrers API.
func pushReferrer(ctx context.Context, repo name.Repository, image v1.Descriptor, env []byte, o provenance.RegistryOptions) error {
	opts := o.RemoteOptions(ctx)
	cfg := static.NewLayer(emptyConfig, emptyConfigType)
	layer := static.NewLayer(env, types.MediaType(EnvelopeMediaType))
	for _, l := range []v1.Layer{cfg, layer} {
		if err := remote.WriteLayer(repo, l, opts...); err != nil {
			return err
		}
	}
	ld, err := layer.Digest()
	if err != nil {
		return err
	}
	cd, err := cfg.Digest()
	if err != nil {
		return err
	}
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		ArtifactType:  EnvelopeMediaType,
		Config:        v1.Descriptor{MediaType: emptyConfigType, Digest: cd, Size: int64(len(emptyConfig)), Data: emptyConfig},
		Layers: []v1.Descriptor{{MediaType: types.MediaType(EnvelopeMediaType), Digest: ld, Size: int64(len(env)),
			Annotations: map[string]string{annotationPredicate: PredicateType}}},
		Subject: &v1.Descriptor{MediaType: image.MediaType, Digest: image.Digest, Size: image.Size},
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return err
	}
	md, _, err := v1.SHA256(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	return remote.Put(repo.Digest(md.String()), rawManifest{raw: raw, mt: types.OCIManifestSchema1}, opts...)
}

// rawManifest is a manifest pushed as written.
type rawManifest struct {
	raw []byte
	mt  types.MediaType
}

func (r rawManifest) RawManifest() ([]byte, error)        { return r.raw, nil }
func (r rawManifest) MediaType() (types.MediaType, error) { return r.mt, nil }

// fetchReferrers returns the envelopes of the image's referrers whose
// artifact type is a DSSE envelope (remote.Referrers falls back to the
// referrers tag schema where the API is missing).
func fetchReferrers(ctx context.Context, repo name.Repository, digest string, o provenance.RegistryOptions) ([][]byte, error) {
	opts := o.RemoteOptions(ctx)
	idx, err := remote.Referrers(repo.Digest(digest), opts...)
	if err != nil {
		return nil, err
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for _, d := range im.Manifests {
		// The artifact type is the manifest's, or where a registry
		// derives it from the config, the empty config's; the layers
		// say what it holds.
		if d.ArtifactType != EnvelopeMediaType && d.ArtifactType != emptyConfigType {
			continue
		}
		img, err := remote.Image(repo.Digest(d.Digest.String()), opts...)
		if err != nil {
			return nil, err
		}
		m, err := img.Manifest()
		if err != nil {
			return nil, err
		}
		for _, l := range m.Layers {
			if l.MediaType != types.MediaType(EnvelopeMediaType) {
				continue
			}
			if l.Size > maxEnvelope {
				return nil, fmt.Errorf("a referrer's layer of %d bytes; at most %d are read", l.Size, maxEnvelope)
			}
			b, err := readLayer(img, l.Digest)
			if err != nil {
				return nil, err
			}
			out = append(out, b)
		}
	}
	return out, nil
}
