// Package runlog is repro's ledger: a SQLite file (one person's) or a
// PostgreSQL database (a team's) that records every run (before its
// container starts, and again when it ends), the images repro built or
// ran, and where each tag pointed over time.
//
// Start with Open, which creates or migrates a SQLite file and refuses one
// written by a newer repro (a PostgreSQL ledger is migrated only when
// asked, with Migrate); then Begin and Finish record a run, Get finds one
// by ID prefix, and List returns the newest first. Writes take one
// writer's lock (SQLite's immediate transaction, PostgreSQL's advisory
// lock), are short, and retry when another writer holds it, so many
// repro processes, on many machines for PostgreSQL, share one ledger. The
// SQL is SQLite's; backend.go translates it for PostgreSQL. Push copies
// one ledger's runs into another.
package runlog
