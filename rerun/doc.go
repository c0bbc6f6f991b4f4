// Package rerun turns a recorded run into a pinned, one-command re-run:
// Script writes a POSIX sh script that needs only git, coreutils and the
// container CLI; Exec performs the same re-run through repro and records
// it as a new run linked to the old one. With a Job, Script writes the
// batch job of a run a scheduler runs (repro run --on slurm).
//
// Both refuse, before anything starts, when what the run depended on is
// gone or changed, and say which.
package rerun
