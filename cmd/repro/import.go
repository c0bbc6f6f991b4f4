package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/reprohq/repro/attest"
	"github.com/reprohq/repro/runlog"
)

func newImportCmd(g *globals) *cobra.Command {
	var (
		only          string
		keyFiles      []string
		allowUnsigned bool
		reg           registryFlags
	)
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
			keys, err := trustedKeys(keyFiles)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			envs, err := attest.Fetch(ctx, args[0], reg.options())
			if err != nil {
				return err
			}
			l, err := g.open(ctx, false)
			if err != nil {
				return err
			}
			defer l.Close()
			imported, refused := 0, 0
			for i, env := range envs {
				payload, signer, err := attest.Open(env, keys)
				unsigned := errors.Is(err, attest.ErrUnverified)
				if err != nil && !unsigned {
					fmt.Fprintf(cmd.ErrOrStderr(), "repro: attestation %d of %s: %v\n", i+1, args[0], err)
					refused++
					continue
				}
				st, err := attest.ParseStatement(payload)
				if err != nil {
					fmt.Fprintf(cmd.ErrOrStderr(), "repro: attestation %d of %s: %v\n", i+1, args[0], err)
					refused++
					continue
				}
				id := st.Predicate.RunDetails.Metadata.InvocationID
				if !strings.HasPrefix(id, only) {
					continue
				}
				if unsigned && !allowUnsigned {
					fmt.Fprintf(cmd.ErrOrStderr(), "repro: run %s: its attestation is not signed by a trusted key; pass --key with its signer's public key, or --allow-unsigned\n", runlog.Short(id))
					refused++
					continue
				}
				r, patch, err := attest.RunFrom(st)
				if err != nil {
					fmt.Fprintf(cmd.ErrOrStderr(), "repro: run %s: %v\n", runlog.Short(id), err)
					refused++
					continue
				}
				who := "unsigned"
				if signer != nil {
					who = runlog.KeyID(signer)
				}
				fresh, err := l.Import(ctx, r, patch, who, args[0])
				if err != nil {
					return fmt.Errorf("import run %s: %w", r.ShortID(), err)
				}
				if fresh {
					imported++
					fmt.Fprintf(cmd.ErrOrStderr(), "repro: imported run %s (signed by %s)\n", r.ShortID(), who)
				} else {
					fmt.Fprintf(cmd.ErrOrStderr(), "repro: run %s is already in the ledger\n", r.ShortID())
				}
			}
			if imported == 0 && refused == 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "repro: no run to import from %s\n", args[0])
			}
			if refused > 0 {
				return &statusError{exitError}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&only, "run", "", "import only this run (an ID or prefix)")
	cmd.Flags().StringArrayVar(&keyFiles, "key", nil, "also trust this public key (PEM, as repro key prints it); repeatable")
	cmd.Flags().BoolVar(&allowUnsigned, "allow-unsigned", false, "import runs whose attestation verifies with no trusted key, marked unsigned")
	reg.addFlags(cmd)
	return cmd
}
