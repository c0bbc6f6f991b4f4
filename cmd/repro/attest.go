package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/reprohq/repro/attest"
	"github.com/reprohq/repro/rerun"
	"github.com/reprohq/repro/runlog"
	"github.com/reprohq/repro/trust"
)

type attestOptions struct {
	registryFlags
	ref    string // RUN
	output string
	push   bool
}

func newAttestCmd(g *globals) *cobra.Command {
	o := &attestOptions{}
	cmd := &cobra.Command{
		Use:   "attest RUN [-o FILE] [--push]",
		Short: "Sign a run's provenance (in-toto, SLSA v1) and attach it to its image",
		Long: `Attest writes a finished run's provenance as an in-toto Statement v1 with a
SLSA provenance v1 predicate, in a DSSE envelope signed with your key (the
one that signs the ledger's chain; repro key prints it as PEM).

Subjects are the image (cosign checks that an attestation names the image it
is attached to) and the run's output files. The resolved dependencies are the image
(repository@digest), the commit (with the remote), each dataset's digest and
the uncommitted changes' digest; the external parameters the command,
environment (a secret's value is null: it was never recorded), mounts and
resources; the run details repro's version, the run ID as invocationId, the
start and finish times and how the run ended. So that repro import can
re-create it elsewhere, it also carries the run's whole record (as repro
show --json prints it: host, user and paths included; never a secret's
value) and its uncommitted changes.

--push attaches it to the image in its registry as cosign does (the tag
sha256-<hex>.att; other runs' attestations of the same image are kept) and,
where the registry answers the OCI 1.1 referrers API, also as a referrer
whose subject is the image. repro run --attest does it as each run ends.
cosign verifies it:

  cosign verify-attestation --key repro.pub --type slsaprovenance1 \
      --insecure-ignore-tlog IMAGE@DIGEST

The run's record is checked against the ledger's chain first.

Exit status: 0 ok, 1 error, 2 usage.`,
		Example: `  repro attest 4e1d -o 4e1d.intoto.json
  repro key > repro.pub && repro attest 4e1d --push
  repro attestations 127.0.0.1:5000/trainer@sha256:...`,
		Args: exactArgs(1, "one RUN (an ID or unique prefix; see repro ls)"),
		RunE: g.withLedger(true, func(ctx context.Context, l *runlog.Ledger, args []string, s streams) error {
			o.ref = args[0]
			k, err := g.key()
			if err != nil {
				return fmt.Errorf("sign the attestation: %w", err)
			}
			return runAttest(ctx, l, k, o, s)
		}),
	}
	cmd.Flags().StringVarP(&o.output, "output", "o", "", "write the signed envelope to FILE (default: stdout, unless --push)")
	cmd.Flags().BoolVar(&o.push, "push", false, "attach the attestation to the run's image in its registry")
	o.registryFlags.addFlags(cmd)
	return cmd
}

// runAttest signs a run's provenance with k: to a file, stdout, or the
// image's registry.
func runAttest(ctx context.Context, l *runlog.Ledger, k *trust.Key, o *attestOptions, s streams) error {
	r, err := getChecked(ctx, l, o.ref, false)
	if err != nil {
		return err
	}
	env, err := attestRun(ctx, s, k, l, r, o.push, o.registryFlags.options())
	if err != nil {
		return err
	}
	switch {
	case o.output != "":
		return rerun.WriteFile(o.output, append(env, '\n'))
	case !o.push:
		_, err = fmt.Fprintln(s.out, string(env))
		return err
	}
	return nil
}

// attested is one run attested for an image, as repro attestations lists it.
type attested struct {
	Run      string    `json:"run"`
	Status   string    `json:"status"`
	Started  time.Time `json:"started_at"`
	Outputs  int       `json:"outputs"`
	Signer   string    `json:"signer"` // key ID, or "unverified"
	Verified bool      `json:"verified"`
}

type attestationsOptions struct {
	registryFlags
	image string   // IMAGE@DIGEST
	keys  []string // PEM files of keys trusted besides the user's own
	json  bool
}

func newAttestationsCmd(g *globals) *cobra.Command {
	o := &attestationsOptions{}
	cmd := &cobra.Command{
		Use:   "attestations IMAGE@DIGEST [--key PEM]... [--json]",
		Short: "List the runs attested for an image, each verified",
		Long: `Attestations reads the attestations attached to an image (by repro attest
--push, in cosign's layout) and lists the runs they describe. Each is
verified: its DSSE signature against your own key and every --key PEM given
(a colleague's repro key); the signer's key ID is shown, or "unverified".
An attestation is input: an unverified one is listed, never believed.

Exit status: 0 ok, 1 error, 2 usage.`,
		Example: `  repro attestations 127.0.0.1:5000/trainer@sha256:4e1d...
  repro attestations registry.example.com/ml/trainer@sha256:... --key ada.pub --json`,
		Args: exactArgs(1, "one IMAGE@DIGEST"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.image = args[0]
			return runAttestations(cmd.Context(), o, streamsOf(cmd))
		},
	}
	cmd.Flags().StringArrayVar(&o.keys, "key", nil, "also trust this public key (PEM, as repro key prints it); repeatable")
	jsonFlag(cmd, &o.json, "a JSON array of {run, status, started_at, outputs, signer, verified}")
	o.registryFlags.addFlags(cmd)
	return cmd
}

// runAttestations lists the runs attested for an image, each verified.
func runAttestations(ctx context.Context, o *attestationsOptions, s streams) error {
	keys, err := trustedKeys(o.keys)
	if err != nil {
		return err
	}
	envs, err := attest.Fetch(ctx, o.image, o.registryFlags.options())
	if err != nil {
		return err
	}
	list := []attested{}
	for i, env := range envs {
		payload, signer, err := attest.Open(env, keys)
		if err != nil && !errors.Is(err, attest.ErrUnverified) {
			fmt.Fprintf(s.err, "repro: attestation %d of %s: %v\n", i+1, o.image, err)
			continue
		}
		st, perr := attest.ParseStatement(payload)
		if perr != nil {
			fmt.Fprintf(s.err, "repro: attestation %d of %s: %v\n", i+1, o.image, perr)
			continue
		}
		a := attested{Run: st.Predicate.RunDetails.Metadata.InvocationID, Outputs: max(0, len(st.Subject)-1), Signer: "unverified"}
		if signer != nil {
			a.Signer, a.Verified = runlog.KeyID(signer), true
		}
		a.Started, _ = time.Parse(time.RFC3339Nano, st.Predicate.RunDetails.Metadata.StartedOn)
		for _, b := range st.Predicate.RunDetails.Byproducts {
			if s, ok := b.Annotations["status"].(string); ok && b.Name == "exit" {
				a.Status = runlog.Visible(s)
			}
		}
		list = append(list, a)
	}
	w := s.out
	if o.json {
		return printJSON(w, list)
	}
	if len(list) == 0 {
		fmt.Fprintf(s.err, "repro: no run is attested for %s\n", o.image)
		return nil
	}
	tty := isTerminal(w)
	rows := make([][]string, 0, len(list))
	for _, a := range list {
		id := a.Run
		if tty {
			id = runlog.Short(id)
		}
		rows = append(rows, []string{id, orEmpty(a.Status), formatTime(a.Started, tty), fmt.Sprint(a.Outputs), a.Signer})
	}
	return printTable(w, []string{"RUN", "STATUS", "STARTED", "OUTPUTS", "SIGNED BY"}, rows)
}
