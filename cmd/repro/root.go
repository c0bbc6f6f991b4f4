package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/reprohq/repro/runlog"
	"github.com/reprohq/repro/trust"
)

// version is set with -ldflags "-X main.version=...".
var version = "dev"

// Exit statuses. `repro run` passes the container's own status through.
const (
	exitOK          = 0
	exitError       = 1
	exitUsage       = 2
	exitInterrupted = 130
)

// Main runs repro with args and returns the exit status.
func Main(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	return report(err, stderr)
}

// statusError ends repro with a status and no further message (the
// container's exit status, or a failure already explained).
type statusError struct{ code int }

func (e *statusError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// usageError is a mistake in how repro was called.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usagef(format string, a ...any) error { return &usageError{fmt.Errorf(format, a...)} }

func report(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	var se *statusError
	if errors.As(err, &se) {
		return se.code
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(stderr, "repro: interrupted")
		return exitInterrupted
	}
	fmt.Fprintf(stderr, "repro: %s\n", cliError(err))
	var ue *usageError
	if errors.As(err, &ue) || strings.HasPrefix(err.Error(), "unknown command") {
		fmt.Fprintln(stderr, "Try: repro help")
		return exitUsage
	}
	return exitError
}

// globals are the flags every command shares.
type globals struct {
	ledger    string
	stderr    io.Writer
	signer    *trust.Key
	signerErr error
}

func newRootCmd() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:   "repro",
		Short: "Record where every training run came from, and run it again exactly",
		Long: `repro launches training containers by image digest and records, in a local
SQLite ledger, everything a run depended on: the image digest, the code's git
commit (and whether the tree was dirty), each dataset's content digest, the
exact command, the environment (secrets redacted), the host, the exit status
and the outputs. Months later, repro rerun turns any recorded run into a
pinned, one-command re-run script, or says exactly what changed.

The ledger is $REPRO_LEDGER, else $XDG_DATA_HOME/repro/ledger.db
(~/.local/share/repro/ledger.db); --ledger overrides both. A team shares
one ledger in PostgreSQL: --ledger postgres://USER@HOST:PORT/DB (see repro
ledger).

Exit status: 0 ok, 1 error, 2 usage, 130 interrupted; repro run exits with
the container's own status.`,
		Example: `  repro run registry.example.com/trainer:1.4.2 --data train=./data -- python train.py --lr 0.01
  repro ls
  repro rerun 4e1d2a9c0b7f -o rerun.sh`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version,
	}
	root.PersistentPreRun = func(cmd *cobra.Command, args []string) { g.stderr = cmd.ErrOrStderr() }
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		// repro run IMAGE python3 train.py --seed 3: the container's flags
		// were read as repro's.
		if cmd.Name() == "run" && strings.HasPrefix(err.Error(), "unknown") {
			return usagef("%v; the container's command and its flags go after --, as in repro run [flags] IMAGE -- python3 train.py --seed 3", err)
		}
		return &usageError{err}
	})
	root.PersistentFlags().StringVar(&g.ledger, "ledger", "", "ledger: a SQLite file, or a team's postgres://USER@HOST:PORT/DB (default $REPRO_LEDGER, else $XDG_DATA_HOME/repro/ledger.db)")
	root.AddCommand(
		newRunCmd(g),
		newAttestCmd(g),
		newAttestationsCmd(g),
		newKeepCmd(g),
		newCheckCmd(g),
		newImportCmd(g),
		newRerunCmd(g),
		newLsCmd(g),
		newShowCmd(g),
		newDigestCmd(g),
		newBuildCmd(g),
		newTagsCmd(g),
		newPromoteCmd(g),
		newReconcileCmd(g),
		newCancelCmd(g),
		newVerifyCmd(g),
		newDiffCmd(g),
		newLabelCmd(g),
		newLineageCmd(g),
		newImagesCmd(g),
		newKeyCmd(g),
		newLedgerCmd(g),
		newVersionCmd(),
	)
	return root
}

// path is the ledger's path: --ledger, else the default.
func (g *globals) path() (string, error) {
	if g.ledger != "" {
		return g.ledger, nil
	}
	return runlog.DefaultPath()
}

// streams are where a command writes: out for what it prints (what a
// script reads), err for what it tells the person running it. Every runX
// takes them, so a test gives it buffers.
type streams struct{ out, err io.Writer }

func streamsOf(cmd *cobra.Command) streams {
	return streams{out: cmd.OutOrStdout(), err: cmd.ErrOrStderr()}
}

// ledgerFunc is a command's work once the ledger is open: its positional
// arguments and streams come with it.
type ledgerFunc func(ctx context.Context, l *runlog.Ledger, args []string, s streams) error

// withLedger is a command's RunE that opens the ledger (read-only or
// not, leftovers settled) for fn and closes it afterwards: the preamble
// of every command that reads or writes runs, written once.
func (g *globals) withLedger(readOnly bool, fn ledgerFunc) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		l, err := g.open(cmd.Context(), readOnly)
		if err != nil {
			return err
		}
		defer l.Close()
		return fn(cmd.Context(), l, args, streamsOf(cmd))
	}
}

// open opens the ledger; stderr gets a warning when a ledger written by a
// newer repro is opened read-only.
func (g *globals) open(ctx context.Context, readOnly bool) (*runlog.Ledger, error) {
	return g.openLedger(ctx, readOnly, true)
}

// openLedger opens the ledger once. With settle, runs of this host left
// running by a repro that was killed are settled first (see
// settleLeftovers), so that the command sees how they ended.
func (g *globals) openLedger(ctx context.Context, readOnly, settle bool) (*runlog.Ledger, error) {
	path, err := g.path()
	if err != nil {
		return nil, err
	}
	l, err := runlog.Open(ctx, path, g.options(readOnly)...)
	if err != nil {
		// Another ledger is always a way out: say how to choose one.
		return nil, fmt.Errorf("%w (--ledger FILE or postgres://..., or REPRO_LEDGER)", err)
	}
	if l.NewerSchema() > 0 {
		if g.stderr != nil {
			fmt.Fprintf(g.stderr, "repro: warning: ledger %s was written by a newer repro (schema %d); reading it without changing it\n", l.Path(), l.NewerSchema())
		}
		return l, nil
	}
	if settle && g.stderr != nil {
		g.settleLeftovers(ctx, l, readOnly, g.stderr)
	}
	return l, nil
}

// openIfExists opens the ledger (for writing unless readOnly) only if its
// file exists; nil otherwise (or when it cannot be opened: callers then do
// without it).
func (g *globals) openIfExists(ctx context.Context, readOnly bool) *runlog.Ledger {
	path, err := g.path()
	if err != nil {
		return nil
	}
	if _, err := os.Stat(path); err != nil && !runlog.IsPostgres(path) {
		return nil
	}
	l, err := runlog.Open(ctx, path, g.options(readOnly)...)
	if err != nil {
		return nil
	}
	return l
}

// options are how a command opens the ledger: read-only, or signing the
// chain's head with the user's key (created on first use). A key that
// cannot be had is reported once; the ledger is then written unsigned,
// which repro verify reports.
func (g *globals) options(readOnly bool) []runlog.Option {
	if readOnly {
		return []runlog.Option{runlog.ReadOnly()}
	}
	k, err := g.key()
	if err != nil {
		if g.stderr != nil {
			fmt.Fprintf(g.stderr, "repro: warning: the ledger's chain will not be signed: %v\n", err)
		}
		return nil
	}
	return []runlog.Option{runlog.WithSigner(k)}
}

// key is the user's signing key, created on first use.
func (g *globals) key() (*trust.Key, error) {
	if g.signer == nil && g.signerErr == nil {
		path, err := trust.DefaultPath()
		if err == nil {
			g.signer, err = trust.LoadOrCreate(path)
		}
		g.signerErr = err
	}
	return g.signer, g.signerErr
}

// exactArgs is cobra.ExactArgs with a usage error that names what is missing.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usagef("%s needs %s (got %d arguments); see %s --help", strings.TrimPrefix(cmd.CommandPath(), "repro "), what, len(args), cmd.CommandPath())
		}
		return nil
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	return isTerminalFd(f.Fd())
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }
