package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/reprohq/repro/attest"
	"github.com/reprohq/repro/runlog"
)

type importOptions struct {
	registryFlags
	image         string   // IMAGE@DIGEST
	only          string   // a run ID prefix
	keys          []string // PEM files of keys trusted besides the user's own
	allowUnsigned bool
	envelopes     [][]byte // the image's attestations, as fetched
}

func newImportCmd(g *globals) *cobra.Command {
	o := &importOptions{}
	cmd := &cobra.Command{
		Use:   "import IMAGE@DIGEST [--run ID] [--key PEM]... [--allow-unsigned]",
		Short: "Add the runs attested for an image to this ledger, verified",
		Long: `Import reads the attestations attached to an image (repro attest --push) and
adds the runs they carry to this ledger, so that repro rerun, ls, show,
diff and lineage work on a machine that never had the original ledger. Each
attestation must verify with your own key or a --key PEM given (a
colleague's repro key); an unverified one is refused unless
--allow-unsigned, and its run is then marked unsigned. Imported runs are
chained in this ledger as recorded, and marked imported with the signer's
key ID (repro show says so). A run already in the ledger is left alone.

Exit status: 0 ok, 1 error (an attestation refused), 2 usage.`,
		Example: `  repro import registry.example.com/ml/trainer@sha256:4e1d... --key ada.pub
  repro import registry.example.com/ml/trainer@sha256:4e1d... --run 8c1f0a3b2d4e --key ada.pub`,
		Args: exactArgs(1, "one IMAGE@DIGEST"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.image = args[0]
			// The registry is read before the ledger is opened: nothing
			// is written when it cannot be.
			var err error
			if o.envelopes, err = attest.Fetch(cmd.Context(), o.image, o.registryFlags.options()); err != nil {
				return err
			}
			return g.withLedger(false, func(ctx context.Context, l *runlog.Ledger, _ []string, s streams) error {
				return runImport(ctx, l, o, s)
			})(cmd, args)
		},
	}
	cmd.Flags().StringVar(&o.only, "run", "", "import only this run (an ID or prefix)")
	cmd.Flags().StringArrayVar(&o.keys, "key", nil, "also trust this public key (PEM, as repro key prints it); repeatable")
	cmd.Flags().BoolVar(&o.allowUnsigned, "allow-unsigned", false, "import runs whose attestation verifies with no trusted key, marked unsigned")
	o.registryFlags.addFlags(cmd)
	return cmd
}

// runImport adds the runs of o.envelopes to l, each verified; exit
// status 1 when one was refused.
func runImport(ctx context.Context, l *runlog.Ledger, o *importOptions, s streams) error {
	keys, err := trustedKeys(o.keys)
	if err != nil {
		return err
	}
	imported, refused := 0, 0
	for i, env := range o.envelopes {
		payload, signer, err := attest.Open(env, keys)
		unsigned := errors.Is(err, attest.ErrUnverified)
		if err != nil && !unsigned {
			fmt.Fprintf(s.err, "repro: attestation %d of %s: %v\n", i+1, o.image, err)
			refused++
			continue
		}
		st, err := attest.ParseStatement(payload)
		if err != nil {
			fmt.Fprintf(s.err, "repro: attestation %d of %s: %v\n", i+1, o.image, err)
			refused++
			continue
		}
		id := st.Predicate.RunDetails.Metadata.InvocationID
		if !strings.HasPrefix(id, o.only) {
			continue
		}
		if unsigned && !o.allowUnsigned {
			fmt.Fprintf(s.err, "repro: run %s: its attestation is not signed by a trusted key; pass --key with its signer's public key, or --allow-unsigned\n", runlog.Short(id))
			refused++
			continue
		}
		r, patch, err := attest.RunFrom(st)
		if err != nil {
			fmt.Fprintf(s.err, "repro: run %s: %v\n", runlog.Short(id), err)
			refused++
			continue
		}
		who := "unsigned"
		if signer != nil {
			who = runlog.KeyID(signer)
		}
		fresh, err := l.Import(ctx, r, patch, who, o.image)
		if err != nil {
			return fmt.Errorf("import run %s: %w", r.ShortID(), err)
		}
		if fresh {
			imported++
			fmt.Fprintf(s.err, "repro: imported run %s (signed by %s)\n", r.ShortID(), who)
		} else {
			fmt.Fprintf(s.err, "repro: run %s is already in the ledger\n", r.ShortID())
		}
	}
	if imported == 0 && refused == 0 {
		fmt.Fprintf(s.err, "repro: no run to import from %s\n", o.image)
	}
	if refused > 0 {
		return &statusError{exitError}
	}
	return nil
}
