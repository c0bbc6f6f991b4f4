package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/reprohq/repro/runlog"
)

func newKeyCmd(g *globals) *cobra.Command {
	var idOnly bool
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
			if idOnly {
				_, err = fmt.Fprintln(cmd.OutOrStdout(), runlog.KeyID(k.PublicKey()))
				return err
			}
			_, err = cmd.OutOrStdout().Write(k.PublicPEM())
			return err
		},
	}
	cmd.Flags().BoolVar(&idOnly, "id", false, "print the key's ID only")
	return cmd
}
