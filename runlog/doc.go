// Package runlog is repro's ledger: a local SQLite file that records every
// run (before its container starts, and again when it ends), the images
// repro built or ran, and where each tag pointed over time.
//
// Start with Open, which creates or migrates the file and refuses one
// written by a newer repro; then Begin and Finish record a run, Get finds
// one by ID prefix, and List returns the newest first. Writes take an
// immediate transaction, are short, and retry when the file is busy, so
// many repro processes can share one ledger.
package runlog
