package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/reprohq/repro/runlog"
)

func newLedgerCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ledger",
		Short: "Set up and look after a ledger: a team's PostgreSQL ledger",
		Long: `Ledger holds the commands that look after a ledger itself rather than its
runs. A team's ledger is a PostgreSQL database: --ledger (or REPRO_LEDGER)
postgres://USER@HOST:PORT/DB?sslmode=... names it, and every command works
on it as on a SQLite file. The password comes from the URL, PGPASSWORD or
~/.pgpass, and is never stored, printed or put in a script.

Exit status: 0 ok, 1 error, 2 usage.`,
		Example: `  export REPRO_LEDGER='postgres://ml@db.example.com:5432/repro?sslmode=require'
  repro ledger migrate
  repro ledger grant alice --writer --apply`,
		Args: exactArgs(0, "a subcommand: migrate or grant"),
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newLedgerMigrateCmd(g), newLedgerGrantCmd(g))
	return cmd
}

func newLedgerMigrateCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Create a PostgreSQL ledger's schema, or bring it up to date",
		Long: `Migrate creates the schema of a new PostgreSQL ledger (an empty database),
or applies the migrations an older one lacks, each in one transaction,
under an advisory lock, so that two at once do it once. It also creates
the roles repro_writer and repro_reader (see repro ledger grant). Run it
as the database's owner, once per repro upgrade; every other command
refuses a PostgreSQL ledger whose schema is not this repro's. A SQLite
ledger upgrades itself when opened; migrate says its version.

Exit status: 0 ok, 1 error, 2 usage.`,
		Example: `  repro --ledger 'postgres://owner@db.example.com/repro?sslmode=require' ledger migrate`,
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := g.path()
			if err != nil {
				return err
			}
			l, err := runlog.Open(cmd.Context(), path, runlog.Migrate())
			if err != nil {
				return err
			}
			defer l.Close()
			return runLedgerMigrate(cmd.Context(), l, streamsOf(cmd))
		},
	}
}

// runLedgerMigrate says the version l was brought to.
func runLedgerMigrate(ctx context.Context, l *runlog.Ledger, s streams) error {
	v, err := l.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(s.out, "ledger %s: schema version %d, up to date\n", l.Path(), v)
	return nil
}

type ledgerGrantOptions struct {
	user   string
	writer bool
	reader bool
	apply  bool
}

func newLedgerGrantCmd(g *globals) *cobra.Command {
	o := &ledgerGrantOptions{}
	cmd := &cobra.Command{
		Use:   "grant USER --writer|--reader [--apply]",
		Short: "Give a database user repro's writer or reader role on a PostgreSQL ledger",
		Long: `Grant prints the GRANT that gives USER (a PostgreSQL role that can log in)
one of the roles a ledger's migrations create, or runs it with --apply (as
the ledger's owner):

  repro_writer  records and finishes runs, labels them, records images and
                tags; may update only the columns that finishing a run sets,
                appends to the tamper-evident chain and can never change or
                delete a link; no schema changes
  repro_reader  reads: ls, show, diff, lineage, images, verify

Roles belong to the whole PostgreSQL cluster; the grant is for this
ledger's tables.

Exit status: 0 ok, 1 error, 2 usage.`,
		Example: `  repro ledger grant alice --writer
  repro ledger grant ci-bot --writer --apply
  repro ledger grant dashboard --reader --apply`,
		Args: exactArgs(1, "a USER"),
		// Usage is checked before the ledger is opened.
		PreRunE: func(cmd *cobra.Command, args []string) error {
			if o.writer == o.reader {
				return usagef("grant needs one of --writer and --reader")
			}
			o.user = args[0]
			if _, err := runlog.GrantSQL(o.user, o.role()); err != nil {
				return usagef("%v", err)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if !o.apply {
				return runLedgerGrant(cmd.Context(), nil, o, streamsOf(cmd))
			}
			return g.withLedger(false, func(ctx context.Context, l *runlog.Ledger, _ []string, s streams) error {
				return runLedgerGrant(ctx, l, o, s)
			})(cmd, args)
		},
	}
	cmd.Flags().BoolVar(&o.writer, "writer", false, "the writer role: record runs, never change the chain")
	cmd.Flags().BoolVar(&o.reader, "reader", false, "the reader role: read only")
	cmd.Flags().BoolVar(&o.apply, "apply", false, "run the GRANT on the ledger instead of printing it")
	return cmd
}

func (o *ledgerGrantOptions) role() runlog.Role {
	if o.writer {
		return runlog.RoleWriter
	}
	return runlog.RoleReader
}

// runLedgerGrant prints the GRANT, or runs it on l (l nil: print only).
func runLedgerGrant(ctx context.Context, l *runlog.Ledger, o *ledgerGrantOptions, s streams) error {
	q, err := runlog.GrantSQL(o.user, o.role())
	if err != nil {
		return err
	}
	if l == nil {
		_, err := fmt.Fprintln(s.out, q)
		return err
	}
	if err := l.Grant(ctx, o.user, o.role()); err != nil {
		return err
	}
	fmt.Fprintf(s.err, "repro: %s is now %s on %s\n", o.user, o.role(), l.Path())
	return nil
}
