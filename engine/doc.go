// Package engine drives a docker-compatible container engine: docker
// (through its API socket where the CLI would use it, else the CLI) or
// podman (its CLI). It pulls and looks up images by digest, runs a
// container in the foreground with signals handled, and inspects and
// removes containers. It knows nothing of the ledger: launch records what
// it runs.
package engine
