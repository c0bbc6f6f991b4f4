// Package launch ties a recorded run together: capture provenance, record
// the run before the container starts, run it (on this machine's engine,
// package engine, or through a Placement such as a Slurm cluster), hash
// its outputs, record how it ended; and Reconcile, which settles runs
// whose repro is gone.
package launch
