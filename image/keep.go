package image

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/reprohq/repro/provenance"
)

// KeepTag is the tag a kept copy of run id's image carries: a tag, so
// that a registry's garbage collection of untagged manifests spares it.
func KeepTag(runID string) string { return "keep-" + runID }

// Keep copies the image src (REPO@sha256:..., an image or a whole index)
// to the repository dst under tag, registry to registry: no engine, no
// pull; layers the target registry has in another repository are mounted,
// not uploaded. The attestations attached to each digest in cosign's
// layout (sha256-<hex>.att), given in attached, travel with the copy.
func Keep(ctx context.Context, src, dst, tag string, attached []string, o provenance.RegistryOptions) error {
	ref, err := provenance.ParseRef(src)
	if err != nil {
		return err
	}
	if ref.Digest == "" {
		return fmt.Errorf("image %q: keep copies an image by digest", src)
	}
	from, err := name.NewDigest(ref.Repository+"@"+ref.Digest, o.NameOptions()...)
	if err != nil {
		return err
	}
	to, err := repository(dst, o)
	if err != nil {
		return err
	}
	if err := ValidateTag(tag); err != nil {
		return err
	}
	opts := o.RemoteOptions(ctx)
	if err := copyRef(from, to.Tag(tag), opts); err != nil {
		return provenance.RegistryError(src, from.RegistryStr(), err)
	}
	for _, d := range attached {
		att := provenance.AttestationTag(d)
		if err := copyRef(from.Context().Tag(att), to.Tag(att), opts); err != nil && !provenance.IsNotFound(err) {
			return provenance.RegistryError(att, from.RegistryStr(), err)
		}
	}
	return nil
}

// copyRef copies what from names (an image or an index) to to.
func copyRef(from name.Reference, to name.Tag, opts []remote.Option) error {
	desc, err := remote.Get(from, opts...)
	if err != nil {
		return err
	}
	if desc.MediaType.IsIndex() {
		idx, err := desc.ImageIndex()
		if err != nil {
			return err
		}
		return remote.WriteIndex(to, idx, opts...)
	}
	img, err := desc.Image()
	if err != nil {
		return err
	}
	return remote.Write(to, img, opts...)
}
