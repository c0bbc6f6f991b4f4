package main

import (
	"net/url"
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/reprohq/repro/internal/pgtest"
)

// startPostgres starts a PostgreSQL server for the whole test run
// (scripts/pg-cluster.sh, as make bench and make demo-team use it),
// stopped by PID when the tests end.
func startPostgres(t *testing.T) (*pgtest.Server, error) {
	if !pgtest.Available() {
		return nil, pgtest.ErrMissing
	}
	dir, err := os.MkdirTemp("", "repro-pg-")
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	s, err := pgtest.Start(dir)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Logf("stop PostgreSQL: %v", err)
		}
	})
	return s, nil
}

// pg-ledger VAR: a new, empty PostgreSQL database for the script: VAR is
// its URL for the superuser, without the password, which is in
// PGPASSWORD (PGPASSWORD_VALUE too, for scripts that check it leaks
// nowhere); PGDATABASE names it for psql.
func cmdPgLedger(pg *pgtest.Server) func(ts *testscript.TestScript, neg bool, args []string) {
	return func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 1 {
			ts.Fatalf("usage: pg-ledger VAR")
		}
		if pg == nil {
			ts.Fatalf("no PostgreSQL server (guard the script with [postgres])")
		}
		db, err := pg.NewDatabase("script")
		ts.Check(err)
		u, err := url.Parse(pg.Database(db))
		ts.Check(err)
		ts.Setenv(args[0], u.String())
		ts.Setenv("PGPASSWORD", pg.Password)
		ts.Setenv("PGPASSWORD_VALUE", pg.Password)
		ts.Setenv("PGHOST", u.Hostname())
		ts.Setenv("PGPORT", u.Port())
		ts.Setenv("PGUSER", "postgres")
		ts.Setenv("PGDATABASE", db)
	}
}
