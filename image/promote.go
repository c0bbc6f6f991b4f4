package image

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/reprohq/repro/provenance"
)

// Promotion is a digest re-tagged.
type Promotion struct {
	Repository string   `json:"repository"`
	Source     string   `json:"source"` // as given
	Digest     string   `json:"digest"`
	Tags       []string `json:"tags"`
}

// Promote points each tag in to at the digest src names, in src's
// repository. It reads the manifest and writes it under the new tags: no
// layer is pulled or uploaded, and nothing is rebuilt. A src given by tag
// is resolved first; a digest the repository does not hold is refused.
func Promote(ctx context.Context, src string, to []string, o provenance.RegistryOptions) (*Promotion, error) {
	if len(to) == 0 {
		return nil, &OptionError{Option: OptTags, Err: errors.New("promote needs at least one tag")}
	}
	for _, t := range to {
		if err := ValidateTag(t); err != nil {
			return nil, &OptionError{Option: OptTags, Err: err}
		}
	}
	ref, err := provenance.ParseRef(src)
	if err != nil {
		return nil, err
	}
	repo, err := name.NewRepository(ref.Repository, o.NameOptions()...)
	if err != nil {
		return nil, err
	}
	var nref name.Reference
	switch {
	case ref.Digest != "":
		nref = repo.Digest(ref.Digest)
	case ref.Tag != "":
		nref = repo.Tag(ref.Tag)
	default:
		return nil, fmt.Errorf("promote %q: name the image by digest (REGISTRY/NAME@sha256:...) or by a version tag", src)
	}
	desc, err := remote.Get(nref, o.RemoteOptions(ctx)...)
	if err != nil {
		return nil, provenance.RegistryError(src, repo.RegistryStr(), err)
	}
	if ref.Tag != "" && ref.Digest != "" && desc.Digest.String() != ref.Digest {
		return nil, fmt.Errorf("promote %q: tag %s points at %s, not at the digest given", src, ref.Tag, desc.Digest)
	}
	p := &Promotion{Repository: repo.Name(), Source: src, Digest: desc.Digest.String()}
	for _, t := range to {
		if err := remote.Tag(repo.Tag(t), desc, o.RemoteOptions(ctx)...); err != nil {
			return p, provenance.RegistryError(repo.Tag(t).String(), repo.RegistryStr(), err)
		}
		p.Tags = append(p.Tags, t)
	}
	return p, nil
}
