package attest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
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
// the tag sha256-<hex>.att of its repository, as cosign lays them out for
// registries without the OCI 1.1 referrers API.
func attachment(image string, o provenance.RegistryOptions) (name.Tag, error) {
	ref, err := provenance.ParseRef(image)
	if err != nil {
		return name.Tag{}, err
	}
	if ref.Digest == "" {
		return name.Tag{}, fmt.Errorf("image %q: name it by digest (REPO@sha256:...); an attestation is about one image", image)
	}
	repo, err := name.NewRepository(ref.Repository, o.NameOptions()...)
	if err != nil {
		return name.Tag{}, err
	}
	return repo.Tag(strings.Replace(ref.Digest, ":", "-", 1) + ".att"), nil
}

// Push attaches the envelope env to image in its registry. Attestations
// already there (other runs of the same image) are kept: env is added,
// once. It returns the tag that holds them.
func Push(ctx context.Context, image string, env []byte, o provenance.RegistryOptions) (string, error) {
	tag, err := attachment(image, o)
	if err != nil {
		return "", err
	}
	opts := o.RemoteOptions(ctx)
	base, err := remote.Image(tag, opts...)
	switch {
	case err == nil:
	case errors.Is(provenance.RegistryError(tag.String(), tag.RegistryStr(), err), provenance.ErrImageNotFound):
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

// Fetch returns the DSSE envelopes attached to image, as stored: unread,
// unverified (see Open). None attached is no error.
func Fetch(ctx context.Context, image string, o provenance.RegistryOptions) ([][]byte, error) {
	tag, err := attachment(image, o)
	if err != nil {
		return nil, err
	}
	img, err := remote.Image(tag, o.RemoteOptions(ctx)...)
	if err != nil {
		if err := provenance.RegistryError(tag.String(), tag.RegistryStr(), err); errors.Is(err, provenance.ErrImageNotFound) {
			return nil, nil
		} else {
			return nil, err
		}
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
