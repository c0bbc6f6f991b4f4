// Package attest turns a recorded run into provenance that travels with
// its image: an in-toto Statement v1 with a SLSA provenance v1 predicate,
// in a DSSE envelope signed with the user's ed25519 key, attached to the
// image in its registry the way cosign attaches attestations (the tag
// sha256-<hex>.att), so that supply-chain tools verify it.
//
// Attestations read back from a registry are input: an envelope is only
// believed once its signature verifies with a key the caller trusts.
package attest
