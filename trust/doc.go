// Package trust holds the one thing besides its own binary that repro
// trusts: the user's signing key, an ed25519 key kept outside any ledger
// ($XDG_CONFIG_HOME/repro/key, mode 0600, created on first use). It signs
// the head of a ledger's tamper-evident chain, so that a ledger rewritten
// end to end, every hash recomputed, is still found out.
//
// Start with LoadOrCreate; ParsePublicKey reads a colleague's public key
// (the PEM that repro key prints) to trust it too.
package trust
