package runlog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"

	"github.com/reprohq/repro/schema"
)

// TimeFormat is how the ledger stores times: UTC, fixed width, so text
// order is time order.
const TimeFormat = "2006-01-02T15:04:05.000000000Z"

// Ledger is an open ledger: a SQLite file, or a PostgreSQL database.
type Ledger struct {
	db       *conn
	path     string // as shown: a PostgreSQL URL's password masked
	name     string // as given to Open
	readOnly bool
	newer    int // the schema version of a newer ledger opened read-only
	now      func() time.Time
	signer   Signer // signs the chain's head as links are appended; nil: none
}

type options struct {
	readOnly bool
	migrate  bool
	now      func() time.Time
	signer   Signer
}

// Option configures Open.
type Option func(*options)

// ReadOnly opens the ledger for queries only: nothing is created or
// migrated, and a ledger that does not exist yet reads as empty.
func ReadOnly() Option { return func(o *options) { o.readOnly = true } }

// WithClock sets the clock used for recorded times (tests).
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// SchemaError is returned for a ledger written by a newer repro.
type SchemaError struct {
	Path      string
	Found     int
	Supported int
}

func (e *SchemaError) Error() string {
	return fmt.Sprintf("ledger %q has schema version %d, newer than this repro understands (%d); upgrade repro, or use another ledger", e.Path, e.Found, e.Supported)
}

// DataDir is repro's own data directory: $XDG_DATA_HOME/repro, else
// ~/.local/share/repro.
func DataDir() (string, error) {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "repro"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find repro's data directory: %w; set XDG_DATA_HOME", err)
	}
	return filepath.Join(home, ".local", "share", "repro"), nil
}

// DefaultPath is $REPRO_LEDGER, else $XDG_DATA_HOME/repro/ledger.db, else
// ~/.local/share/repro/ledger.db.
func DefaultPath() (string, error) {
	if p := os.Getenv("REPRO_LEDGER"); p != "" {
		return p, nil
	}
	d, err := DataDir()
	if err != nil {
		return "", fmt.Errorf("find the default ledger: %w; set REPRO_LEDGER to a file", err)
	}
	return filepath.Join(d, "ledger.db"), nil
}

// Open opens the ledger at path, creating it and its directory and
// applying migrations unless ReadOnly is given. A ledger from a newer
// schema is refused before anything is written to it.
func Open(ctx context.Context, path string, opts ...Option) (*Ledger, error) {
	o := options{now: time.Now}
	for _, f := range opts {
		f(&o)
	}
	if path == "" {
		return nil, errors.New("ledger path is empty; name a file")
	}
	if IsPostgres(path) {
		return openPostgres(ctx, path, o)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("ledger %q: %w", path, err)
	}
	l := &Ledger{path: path, name: path, readOnly: o.readOnly, now: o.now, signer: o.signer}

	fi, err := os.Stat(abs)
	switch {
	case err == nil && fi.IsDir():
		return nil, fmt.Errorf("ledger %q is a directory; name a file in it, such as %s", path, filepath.Join(path, "ledger.db"))
	case err == nil && !fi.Mode().IsRegular():
		return nil, fmt.Errorf("ledger %q is not a regular file", path)
	case err != nil && !errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("ledger %q: %w", path, err)
	}
	exists := err == nil && fi.Size() > 0

	if err := refuseNetworkFS(filepath.Dir(abs)); err != nil {
		return nil, fmt.Errorf("ledger %q: %w", path, err)
	}

	if exists {
		// Look before writing: a newer or corrupt ledger must stay untouched.
		v, err := peekVersion(ctx, abs)
		if err != nil {
			return nil, fmt.Errorf("ledger %q: %w", path, err)
		}
		if v > schema.Latest() {
			if !o.readOnly {
				return nil, &SchemaError{Path: path, Found: v, Supported: schema.Latest()}
			}
			// Reading is safe: nothing is written, and a query that meets
			// a shape it does not know fails with a clear error.
			l.newer = v
		}
		if v < schema.Latest() && o.readOnly {
			// This repro's queries know only the latest shape: a ledger
			// written by an older repro is upgraded before it is read.
			w, err := Open(ctx, path, WithClock(o.now))
			if err != nil {
				return nil, fmt.Errorf("%w (it has schema %d, older than this repro's %d, and must be upgraded before it can be read)", err, v, schema.Latest())
			}
			w.Close()
		}
	}

	if o.readOnly {
		if !exists {
			l.db = nil // an absent ledger reads as empty
			return l, nil
		}
		db, err := openReadOnly(ctx, abs)
		if err != nil {
			return nil, fmt.Errorf("ledger %q: %w", path, explain(err))
		}
		l.db = &conn{DB: db}
		return l, nil
	}

	// The ledger holds argv, environment values and patches: a new one
	// (and a directory made for it) is the user's alone, whatever the
	// umask. SQLite gives the WAL and shared-memory files the ledger's
	// own mode.
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fmt.Errorf("create ledger directory for %q: %w", path, err)
	}
	if !exists {
		f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		switch {
		case err == nil:
			f.Close()
		case !errors.Is(err, os.ErrExist):
			return nil, fmt.Errorf("create ledger %q: %w", path, err)
		}
	}
	db, err := sql.Open("sqlite3", dsn(abs, "_journal_mode=WAL&_foreign_keys=1&_busy_timeout=10000&_txlock=immediate&_synchronous=NORMAL&_stmt_cache_size=32"))
	if err != nil {
		return nil, fmt.Errorf("ledger %q: %w", path, err)
	}
	l.db = &conn{DB: db}
	if err := l.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("ledger %q: %w", path, explain(err))
	}
	return l, nil
}

func dsn(abs, params string) string {
	r := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")
	return "file:" + r.Replace(abs) + "?" + params
}

// readOnlyParams open a ledger for reading. A WAL ledger needs its -shm
// file even to be read; where that cannot be created (a full or read-only
// filesystem) the file is read as immutable instead: nobody can be writing
// to it then either. (An immutable read does not see a -wal file left by a
// crash; repro's writers checkpoint it away when they close.)
var readOnlyParams = []string{"mode=ro&_busy_timeout=10000", "mode=ro&immutable=1"}

// openReadOnly opens abs for reading with the first of readOnlyParams that
// can read its schema.
func openReadOnly(ctx context.Context, abs string) (*sql.DB, error) {
	var firstErr error
	for _, params := range readOnlyParams {
		db, err := sql.Open("sqlite3", dsn(abs, params))
		if err == nil {
			var v int
			if err = db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err == nil {
				return db, nil
			}
			db.Close()
		}
		if firstErr == nil {
			firstErr = err
		}
		var se sqlite3.Error
		if !errors.As(err, &se) || (se.Code != sqlite3.ErrIoErr && se.Code != sqlite3.ErrCantOpen && se.Code != sqlite3.ErrReadonly) {
			break
		}
	}
	return nil, firstErr
}

func peekVersion(ctx context.Context, abs string) (int, error) {
	db, err := openReadOnly(ctx, abs)
	if err != nil {
		return 0, explain(err)
	}
	defer db.Close()
	// user_version alone does not prove this is a ledger: reading the
	// schema catches files that are not SQLite at all. Both in one
	// statement, so from one snapshot: read one after the other, a ledger
	// that another process was creating could show its tables and not yet
	// their version, and read as somebody else's SQLite file.
	var v, n int
	if err := db.QueryRowContext(ctx, "SELECT (SELECT user_version FROM pragma_user_version), (SELECT count(*) FROM sqlite_master)").Scan(&v, &n); err != nil {
		return 0, explain(err)
	}
	if v == 0 && n > 0 {
		return 0, errors.New("is an SQLite file but not a repro ledger; use another path")
	}
	return v, nil
}

// explain turns SQLite's terse errors about damaged or foreign files into
// messages that say what to do.
func explain(err error) error {
	var se sqlite3.Error
	if errors.As(err, &se) {
		switch se.Code {
		case sqlite3.ErrNotADB, sqlite3.ErrCorrupt:
			return fmt.Errorf("is not a readable SQLite ledger (%v); it was left untouched: restore it from a backup or use another path", err)
		case sqlite3.ErrReadonly, sqlite3.ErrCantOpen, sqlite3.ErrPerm:
			return fmt.Errorf("cannot be written (%v); check the file and its directory are writable, or use another path", err)
		case sqlite3.ErrFull:
			return fmt.Errorf("the disk is full (%v); free space, or keep the ledger elsewhere", err)
		case sqlite3.ErrIoErr:
			return fmt.Errorf("the disk could not be written (%v); check free space and the filesystem, or keep the ledger elsewhere", err)
		}
	}
	return err
}

// migrations is the list Open applies (tests replace it to inject a
// failure).
var migrations = schema.Migrations

// explainWrite explains a failed write the way explain does, and leaves
// other errors alone.
func explainWrite(err error) error {
	if err == nil {
		return nil
	}
	return explain(err)
}

func (l *Ledger) migrate(ctx context.Context) error {
	// The first statement opens the first connection, which turns a new
	// ledger to WAL mode: that takes the file's exclusive lock, and of
	// several processes creating the same ledger at once (a sweep's runs
	// on a new machine), SQLite reports all but one busy without waiting.
	var start int
	if err := retryBusy(ctx, func() error { return l.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&start) }); err != nil {
		return err
	}
	for _, m := range migrations() {
		err := l.write(ctx, func(tx *txn) error {
			var v int
			if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
				return err
			}
			if v > schema.Latest() {
				return &SchemaError{Path: l.path, Found: v, Supported: schema.Latest()}
			}
			if v >= m.Version {
				return nil
			}
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return fmt.Errorf("migration %s: %w", m.Name, err)
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, ?, ?)", m.Version, m.Name, l.stamp()); err != nil {
				return fmt.Errorf("migration %s: %w", m.Name, err)
			}
			_, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.Version))
			return err
		})
		if err != nil {
			return err
		}
	}
	if start == 1 {
		// 0002 copied every table of a ledger that had runs; the old
		// pages are free but still in the file (100,000 runs: 420 MB,
		// 153 MB once given back). Best effort: VACUUM needs room for a
		// copy, and a ledger that keeps its free pages fills them first.
		_, _ = l.db.ExecContext(ctx, "VACUUM")
	}
	return nil
}

// NewerSchema reports the schema version of a ledger written by a newer
// repro that was opened read-only (0 otherwise).
func (l *Ledger) NewerSchema() int { return l.newer }

// Path is the ledger's path as given to Open, fit to be shown: a
// PostgreSQL URL's password is masked.
func (l *Ledger) Path() string { return l.path }

// Reopen opens the same ledger again, with opts.
func (l *Ledger) Reopen(ctx context.Context, opts ...Option) (*Ledger, error) {
	return Open(ctx, l.name, opts...)
}

// Close closes the ledger. A writable ledger first lets SQLite refresh
// the statistics its query planner uses (PRAGMA optimize, with the rows
// it may read per index bounded so that it stays cheap, and
// only where they are stale), so that filtered lists stay fast as the
// ledger grows.
func (l *Ledger) Close() error {
	if l.db == nil {
		return nil
	}
	if !l.readOnly && l.db.b == sqliteBackend {
		_, _ = l.db.Exec("PRAGMA analysis_limit = 1000; PRAGMA optimize")
	}
	return l.db.Close()
}

func (l *Ledger) stamp() string { return l.now().UTC().Format(TimeFormat) }

// write runs fn in an immediate transaction, retrying with jitter while
// another process holds the write lock beyond the busy timeout.
func (l *Ledger) write(ctx context.Context, fn func(*txn) error) error {
	if l.readOnly {
		return errors.New("ledger was opened read-only")
	}
	return retryBusy(ctx, func() error { return l.tryWrite(ctx, fn) })
}

// retryBusy calls f again, after a pause with jitter, while it fails with
// SQLite's busy error: another connection held the lock beyond the busy
// timeout, or in a way SQLite does not wait for at all (where waiting
// could deadlock, it reports busy at once).
func retryBusy(ctx context.Context, f func() error) error {
	const tries = 8
	for attempt := 0; ; attempt++ {
		err := f()
		if !isBusy(err) {
			return err
		}
		if attempt == tries-1 {
			return fmt.Errorf("ledger is busy: %w", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(busyPause(attempt)):
		}
	}
}

// busyPause is how long retryBusy waits after its attempt'th try: 20-100
// ms, doubling up to 16 times that (tests shorten it).
var busyPause = func(attempt int) time.Duration {
	return time.Duration(20+rand.IntN(80)) * time.Millisecond << min(attempt, 4)
}

func (l *Ledger) tryWrite(ctx context.Context, fn func(*txn) error) error {
	t, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	tx := &txn{Tx: t, b: l.db.b}
	if l.db.b == postgresBackend {
		// One writer at a time, whichever machine it runs on, as SQLite's
		// immediate transactions have it: the chain never forks, and no
		// two writers insert the same context. Held until commit.
		if _, err := t.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", ledgerLockKey); err != nil {
			t.Rollback()
			return err
		}
	}
	if err := fn(tx); err != nil {
		t.Rollback()
		return err
	}
	return t.Commit()
}

// isBusy says whether err is another writer's doing: SQLite's busy or
// locked, PostgreSQL's serialization failure or deadlock.
func isBusy(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && (se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked) || isRetryable(err)
}

// inList is the SQL list of n placeholders, (?,?,...), for an IN clause.
func inList(n int) string {
	return "(" + strings.TrimSuffix(strings.Repeat("?,", n), ",") + ")"
}
