package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/reprohq/repro/internal/pgtest"
	"github.com/reprohq/repro/runlog"
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

// ledger-sql SQL... | ledger-sql -f FILE: edit the ledger REPRO_LEDGER
// names behind repro's back, with the database's own shell (sqlite3 for a
// file, psql for a PostgreSQL URL, its password in PGPASSWORD): each SQL
// argument is one statement, written so that both dialects take it.
func cmdLedgerSQL(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 || args[0] == "-f" && len(args) != 2 {
		ts.Fatalf("usage: ledger-sql SQL... | ledger-sql -f FILE")
	}
	ledger := ts.Getenv("REPRO_LEDGER")
	if args[0] == "-f" {
		if runlog.IsPostgres(ledger) {
			ts.Check(ts.Exec("psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", ledger, "-f", ts.MkAbs(args[1])))
		} else {
			ts.Check(ts.Exec("sqlite3", "-bail", ledger, ".read "+ts.MkAbs(args[1])))
		}
		return
	}
	for _, q := range args {
		if runlog.IsPostgres(ledger) {
			ts.Check(ts.Exec("psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", ledger, "-c", q))
		} else {
			ts.Check(ts.Exec("sqlite3", "-bail", ledger, q))
		}
	}
}

// ledger-dump: every row of the ledger REPRO_LEDGER names, as SQL text on
// stdout (sqlite3's .dump, pg_dump), for scripts that search it.
func cmdLedgerDump(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: ledger-dump")
	}
	if ledger := ts.Getenv("REPRO_LEDGER"); runlog.IsPostgres(ledger) {
		ts.Check(ts.Exec("pg_dump", "--no-owner", "-d", ledger))
	} else {
		ts.Check(ts.Exec("sqlite3", ledger, ".dump"))
	}
}

// fill-ledger FILE N: a SQLite ledger with N finished runs (a machine's
// own ledger, to push).
func cmdFillLedger(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: fill-ledger FILE N")
	}
	n, err := strconv.Atoi(args[1])
	ts.Check(err)
	ctx := context.Background()
	l, err := runlog.Open(ctx, ts.MkAbs(args[0]))
	ts.Check(err)
	defer l.Close()
	start := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	for i := range n {
		id := runlog.NewID()
		digest := fmt.Sprintf("sha256:%064x", i%7+1)
		r := &runlog.Run{
			ID: id, Name: fmt.Sprintf("laptop-%d", i), Labels: map[string]string{"from": "laptop"},
			Image: "127.0.0.1:5000/trainer:1.0", ImageRepo: "127.0.0.1:5000/trainer", ImageTag: "1.0", ImageDigest: digest,
			Argv: []string{"/trainer", "--seed", strconv.Itoa(i)}, OutDir: "/runs/" + runlog.Short(id),
			Host:      runlog.Host{User: "ada", Hostname: "laptop", OS: "linux", Arch: "amd64"},
			Engine:    runlog.Engine{Name: "docker", Version: "28.2.2", Command: []string{"docker", "run", "--", "127.0.0.1:5000/trainer@" + digest, "/trainer", "--seed", strconv.Itoa(i)}},
			StartedAt: start.Add(time.Duration(i) * time.Second),
		}
		ts.Check(l.Begin(ctx, r))
		code := 0
		ts.Check(l.Finish(ctx, id, runlog.Result{Status: runlog.StatusSucceeded, ExitCode: &code, Metrics: map[string]float64{"i": float64(i)}}))
	}
}

// onPostgresScripts are the end-to-end scripts that run again with a
// PostgreSQL ledger: all but those about SQLite's own file (ledger_disk,
// local_commands, run_refusals, run_untrusted_inputs, run_user: its disk,
// fixtures, schema version and permissions) and those whose ledger use
// another script here already covers (attest_registry, build_provenance,
// keep_gc, slurm_timeout). Their edits go through ledger-sql (psql here).
var onPostgresScripts = []string{
	"build_promote", "check_inputs", "diff_runs", "keep_registry", "ledger_hostile", "lineage_pipeline",
	"podman_engine", "rerun_dirty", "rerun_gone", "rerun_months_later", "rerun_verify", "run_concurrent",
	"run_crash", "run_hostile_outputs", "run_options", "run_record", "run_signal", "secrets", "slurm_run",
	"verify_ledger",
}

// onPostgres is params for onPostgresScripts, each with REPRO_LEDGER a new
// migrated database on pg (the password in PGPASSWORD), and registry as
// their registry.
func onPostgres(params testscript.Params, pg *pgtest.Server, registry, registryData string) testscript.Params {
	for _, name := range onPostgresScripts {
		params.Files = append(params.Files, filepath.Join(params.Dir, name+".txtar"))
	}
	params.Dir = ""
	setup := params.Setup
	params.Setup = func(env *testscript.Env) error {
		if err := setup(env); err != nil {
			return err
		}
		db, err := pg.NewDatabase("e2e")
		if err != nil {
			return err
		}
		l, err := runlog.Open(context.Background(), pg.WithPassword(db), runlog.Migrate())
		if err != nil {
			return err
		}
		l.Close()
		env.Setenv("REPRO_LEDGER", pg.Database(db))
		env.Setenv("PGPASSWORD", pg.Password)
		env.Setenv("REGISTRY", registry)
		env.Setenv("REGISTRY_DATA", registryData)
		return nil
	}
	return params
}

// wait-runs N: wait (up to a minute) until the ledger PGDATABASE names
// holds at least N runs: a background push is then part way.
func cmdWaitRuns(pg *pgtest.Server) func(ts *testscript.TestScript, neg bool, args []string) {
	return func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 1 {
			ts.Fatalf("usage: wait-runs N")
		}
		n, err := strconv.Atoi(args[0])
		ts.Check(err)
		db, err := sql.Open("pgx", pg.WithPassword(ts.Getenv("PGDATABASE")))
		ts.Check(err)
		defer db.Close()
		for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			var have int
			if err := db.QueryRow("SELECT count(*) FROM runs").Scan(&have); err == nil && have >= n {
				return
			}
		}
		ts.Fatalf("the ledger did not reach %d runs within a minute", n)
	}
}
