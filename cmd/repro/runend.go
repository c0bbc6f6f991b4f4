package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/reprohq/repro/attest"
	"github.com/reprohq/repro/image"
	"github.com/reprohq/repro/provenance"
	"github.com/reprohq/repro/runlog"
	"github.com/reprohq/repro/trust"
)

// What repro run and rerun do when a run has been recorded: attest it,
// keep its image, or say where a detached run went.

// attestRun signs run r's attestation with the user's key and, with push,
// attaches it to the run's image; it returns the envelope.
func attestRun(ctx context.Context, s streams, k *trust.Key, l *runlog.Ledger, r *runlog.Run, push bool, o provenance.RegistryOptions) ([]byte, error) {
	var patch []byte
	if r.PatchDigest != "" {
		var err error
		if patch, err = l.Blob(ctx, r.PatchDigest); err != nil {
			return nil, fmt.Errorf("run %s: its uncommitted changes: %w", r.ShortID(), err)
		}
	}
	st, err := attest.StatementFor(r, patch)
	if err != nil {
		return nil, err
	}
	payload, err := st.Marshal()
	if err != nil {
		return nil, err
	}
	keyID := runlog.KeyID(k.PublicKey())
	env, err := json.Marshal(attest.Seal(payload, k, keyID))
	if err != nil {
		return nil, err
	}
	if push {
		tag, err := attest.Push(ctx, provenance.Pinned(r.ImageRepo, r.ImageDigest), env, o)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(s.err, "repro: attested run %s on %s (signed by %s)\n", r.ShortID(), tag, keyID)
	}
	return env, nil
}

// keepRun copies run r's image to the repository to and records it.
func keepRun(ctx context.Context, s streams, l *runlog.Ledger, r *runlog.Run, to string, o provenance.RegistryOptions) error {
	src := provenance.Pinned(r.ImageRepo, r.ImageDigest)
	if r.ImageIndexDigest != "" {
		src = provenance.Pinned(r.ImageRepo, r.ImageIndexDigest) // every platform
	}
	tag := image.KeepTag(r.ID)
	attached := []string{r.ImageDigest}
	if r.ImageIndexDigest != "" {
		attached = append(attached, r.ImageIndexDigest)
	}
	if err := image.Keep(ctx, src, to, tag, attached, o); err != nil {
		return fmt.Errorf("keep run %s's image: %w", r.ShortID(), err)
	}
	ref, err := provenance.ParseRef(to)
	if err != nil {
		return err
	}
	if err := l.RecordKept(ctx, r.ID, ref.Repository, tag); err != nil {
		return fmt.Errorf("kept run %s's image as %s:%s but could not record it: %w", r.ShortID(), ref.Repository, tag, err)
	}
	fmt.Fprintf(s.err, "repro: kept run %s's image as %s:%s\n", r.ShortID(), ref.Repository, tag)
	return nil
}

// keepTo is where run --keep-to keeps images: the flag, else REPRO_KEEP_TO.
func keepTo(flag string) string {
	if flag != "" {
		return flag
	}
	return os.Getenv("REPRO_KEEP_TO")
}

// printDetached prints the run ID and its job ID for a run left running
// on a scheduler: RUN JOB on stdout, for scripts.
func printDetached(ctx context.Context, s streams, l *runlog.Ledger, r *runlog.Run) error {
	job, err := l.JobOf(ctx, r.ID)
	if err != nil || job == nil {
		return fmt.Errorf("run %s: its job was not recorded: %v", r.ShortID(), err)
	}
	fmt.Fprintf(s.out, "%s %s\n", r.ID, job.ID)
	fmt.Fprintf(s.err, "repro: run %s is slurm job %s; repro show %s follows it, repro cancel %s cancels it\n", r.ShortID(), job.ID, r.ShortID(), r.ShortID())
	return nil
}
