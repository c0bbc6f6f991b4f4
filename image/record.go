package image

import (
	"context"

	"github.com/reprohq/repro/runlog"
)

// RecordBuild stores a built image and one push event per tag.
func RecordBuild(ctx context.Context, l *runlog.Ledger, r *Result) error {
	img := &runlog.Image{
		Digest: r.Digest, Repository: r.Repository, MediaType: r.MediaType, Labels: r.Labels,
		BaseName: r.BaseName, BaseDigest: r.BaseDigest, SourceCommit: r.SourceCommit, Created: r.Created,
	}
	events := make([]runlog.TagEvent, len(r.Tags))
	for i, t := range r.Tags {
		events[i] = runlog.TagEvent{Repository: r.Repository, Tag: t, Digest: r.Digest, Action: runlog.ActionPush}
	}
	return l.RecordImage(ctx, img, events)
}

// RecordPromotion stores one promote event per tag moved.
func RecordPromotion(ctx context.Context, l *runlog.Ledger, p *Promotion) error {
	events := make([]runlog.TagEvent, len(p.Tags))
	for i, t := range p.Tags {
		events[i] = runlog.TagEvent{Repository: p.Repository, Tag: t, Digest: p.Digest, Action: runlog.ActionPromote}
	}
	return l.RecordImage(ctx, nil, events)
}
