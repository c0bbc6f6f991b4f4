// Package launch starts training containers by digest and supervises them,
// and ties a run together: capture provenance, record the run before the
// container starts, run it, hash its outputs, record how it ended.
//
// Engine drives a docker-compatible CLI (docker or podman). Run is the
// whole recorded run that `repro run` and `repro rerun --exec` perform.
package launch
