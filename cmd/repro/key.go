package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/reprohq/repro/runlog"
	"github.com/reprohq/repro/trust"
)

type keyOptions struct {
	id bool // the key's ID, not its PEM
}

func newKeyCmd(g *globals) *cobra.Command {
	o := &keyOptions{}
	cmd := &cobra.Command{
		Use:   "key",
		Short: "Print your signing key's public half (created on first use)",
		Long: `repro signs the head of the ledger's tamper-evident chain with your own
ed25519 key, kept outside any ledger: $REPRO_KEY, else
$XDG_CONFIG_HOME/repro/key (~/.config/repro/key), mode 0600, created the
first time repro needs it. A ledger rewritten end to end, every hash
recomputed, no longer carries your signature, and repro verify says so.

key prints the public key as a PKIX PEM block: give it to colleagues, who
pass it to repro verify --key to trust ledgers you wrote. --id prints the
key's ID, as repro verify names signers.

Exit status: 0 ok, 1 error, 2 usage.`,
		Example: `  repro key > repro.pub
  repro key --id
  repro verify --key alice.pub`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := g.key()
			if err != nil {
				return err
			}
			return runKey(k, o, streamsOf(cmd))
		},
	}
	cmd.Flags().BoolVar(&o.id, "id", false, "print the key's ID only")
	return cmd
}

// runKey prints k's public half as PEM, or its ID.
func runKey(k *trust.Key, o *keyOptions, s streams) error {
	if o.id {
		_, err := fmt.Fprintln(s.out, runlog.KeyID(k.PublicKey()))
		return err
	}
	_, err := s.out.Write(k.PublicPEM())
	return err
}
