package main

import (
	"context"
	"fmt"
	"path/filepath"

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
  repro ledger grant alice --writer --apply
  repro ledger push --to "$REPRO_LEDGER"`,
		Args: exactArgs(0, "a subcommand: migrate or grant"),
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newLedgerMigrateCmd(g), newLedgerGrantCmd(g), newLedgerPushCmd(g))
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

type ledgerPushOptions struct {
	from, to string
	batch    int
	json     bool
}

func newLedgerPushCmd(g *globals) *cobra.Command {
	o := &ledgerPushOptions{}
	cmd := &cobra.Command{
		Use:   "push [--from LEDGER] --to postgres://...",
		Short: "Copy the runs a team's ledger does not have yet into it",
		Long: `Push copies the finished runs of --from (default: this machine's own ledger,
$XDG_DATA_HOME/repro/ledger.db) that --to (default: --ledger or
REPRO_LEDGER, when that is a team's PostgreSQL ledger) does not have yet,
oldest first, as they were recorded: IDs, names, labels, times, datasets,
outputs, metrics and uncommitted changes, each appended to the team's
chain. A machine that was offline records locally and pushes later.

A run is known by its ID: pushing again copies nothing twice, and a push
that was interrupted is finished by pushing again (runs are copied in
batches, each whole or not at all). A run still running is left for the
next push; a run whose record no longer matches its own chain links (it
was edited after it was recorded) is refused and named, and push exits 1.

Exit status: 0 ok, 1 error or a run refused, 2 usage.`,
		Example: `  repro ledger push --to 'postgres://alice@db.example.com/repro?sslmode=require'
  REPRO_LEDGER=postgres://alice@db.example.com/repro repro ledger push
  repro ledger push --from ./old-laptop.db --to "$TEAM_LEDGER" --json`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.batch < 1 {
				return usagef("--batch must be at least 1")
			}
			ctx := cmd.Context()
			from, to, err := o.ledgers(g)
			if err != nil {
				return err
			}
			src, err := runlog.Open(ctx, from, runlog.ReadOnly())
			if err != nil {
				return fmt.Errorf("--from: %w", err)
			}
			defer src.Close()
			dst, err := runlog.Open(ctx, to, g.options(false)...)
			if err != nil {
				return fmt.Errorf("--to: %w", err)
			}
			defer dst.Close()
			return runLedgerPush(ctx, src, dst, o, streamsOf(cmd))
		},
	}
	cmd.Flags().StringVar(&o.from, "from", "", "the ledger to copy from: a file or URL (default: this machine's own ledger)")
	cmd.Flags().IntVar(&o.batch, "batch", 1000, "runs copied in one transaction: a push that is stopped loses at most one batch, which the next push copies")
	cmd.Flags().StringVar(&o.to, "to", "", "the team's ledger to copy into (default: --ledger or REPRO_LEDGER when it is a postgres:// URL)")
	jsonFlag(cmd, &o.json, "what was copied as JSON: {copied, present, running, refused}")
	return cmd
}

// ledgers are push's source and target, defaults applied.
func (o *ledgerPushOptions) ledgers(g *globals) (from, to string, err error) {
	from, to = o.from, o.to
	if to == "" {
		if p, _ := g.path(); runlog.IsPostgres(p) {
			to = p
		} else {
			return "", "", usagef("push needs --to, the team's ledger (postgres://USER@HOST/DB)")
		}
	}
	if from == "" {
		base, err := runlog.DataDir()
		if err != nil {
			return "", "", err
		}
		from = filepath.Join(base, "ledger.db")
	}
	if from == to {
		return "", "", usagef("--from and --to are the same ledger")
	}
	return from, to, nil
}

// runLedgerPush copies src's runs into dst and says what it did.
func runLedgerPush(ctx context.Context, src, dst *runlog.Ledger, o *ledgerPushOptions, s streams) error {
	var progress func(done, total int)
	if isTerminal(s.err) {
		progress = func(done, total int) { fmt.Fprintf(s.err, "\rrepro: pushed %d of %d runs", done, total) }
	}
	rep, err := dst.Push(ctx, src, runlog.PushOptions{Batch: o.batch, Progress: progress})
	if progress != nil {
		fmt.Fprintln(s.err)
	}
	if err != nil {
		if rep != nil && rep.Copied > 0 {
			return fmt.Errorf("%w (%d runs were copied; push again to copy the rest)", err, rep.Copied)
		}
		return err
	}
	for _, p := range rep.Refused {
		fmt.Fprintf(s.err, "repro: refused: %v\n", p)
	}
	if o.json {
		if err := printJSON(s.out, rep); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(s.out, "pushed %d runs to %s (%d there already, %d still running, %d refused)\n",
			rep.Copied, dst.Path(), rep.Present, rep.Running, len(rep.Refused))
	}
	if len(rep.Refused) > 0 {
		return &statusError{exitError}
	}
	return nil
}
