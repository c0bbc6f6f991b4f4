// Package compare says what differs between recorded runs, and between a
// run's record and what is on disk now: Runs (repro diff: provenance, the
// files that differ between two commits, dataset files, outputs,
// metrics), Verify (repro rerun --verify: a re-run's outputs and metrics
// against the original's, with ignored metrics) and VerifyOutputs (repro
// verify RUN: the outputs on disk against their recorded digests).
package compare
