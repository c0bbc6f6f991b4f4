package runlog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/reprohq/repro/schema"
)

// A team's ledger lives in PostgreSQL: --ledger postgres://USER@HOST/DB.
// The password comes from the URL, PGPASSWORD or ~/.pgpass (pgx reads
// them as libpq does) and is never stored, printed or put in an error.

// IsPostgres says whether a ledger name is a PostgreSQL URL.
func IsPostgres(name string) bool {
	return strings.HasPrefix(name, "postgres://") || strings.HasPrefix(name, "postgresql://")
}

// MaskPassword is the ledger URL dsn with any password in it replaced by
// xxxxx, fit to be shown.
func MaskPassword(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		// Not a URL pgx could read either; show none of it past the scheme.
		scheme, _, _ := strings.Cut(dsn, "://")
		return scheme + "://(unreadable URL)"
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// ledgerLockKey names repro's advisory locks: every write transaction
// takes the transaction-scoped one, so writers on every machine append to
// the chain one at a time, and migrations take the session-scoped one.
const ledgerLockKey = 0x7265_7072_6f00 // "repro"

// MigrateError is an out-of-date (or not yet created) PostgreSQL ledger,
// which only repro ledger migrate changes.
type MigrateError struct {
	Ledger  string // the URL, password masked
	Found   int    // 0: no repro schema at all
	Current int
}

func (e *MigrateError) Error() string {
	if e.Found == 0 {
		return fmt.Sprintf("ledger %s holds no repro schema yet; create it with repro ledger migrate", e.Ledger)
	}
	return fmt.Sprintf("ledger %s has schema version %d, older than this repro's %d; upgrade it with repro ledger migrate (once, by its owner)", e.Ledger, e.Found, e.Current)
}

// Migrate, for a PostgreSQL ledger, creates its schema or brings it up to
// date (SQLite ledgers always are, on opening).
func Migrate() Option { return func(o *options) { o.migrate = true } }

func openPostgres(ctx context.Context, dsn string, o options) (*Ledger, error) {
	shown := MaskPassword(dsn)
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("ledger %s: %s", shown, scrub(err, dsn))
	}
	if o.readOnly {
		// The server refuses any write in a read-only session.
		cfg.RuntimeParams["default_transaction_read_only"] = "on"
	}
	cfg.RuntimeParams["application_name"] = "repro"
	sqlDB := stdlib.OpenDB(*cfg)
	sqlDB.SetMaxOpenConns(8)
	l := &Ledger{db: &conn{DB: sqlDB, b: postgresBackend}, path: shown, name: dsn, readOnly: o.readOnly, now: o.now, signer: o.signer}
	fail := func(err error) (*Ledger, error) {
		sqlDB.Close()
		return nil, err
	}
	if o.migrate {
		if o.readOnly {
			return fail(errors.New("a ledger opened read-only cannot be migrated"))
		}
		if err := l.migratePostgres(ctx); err != nil {
			return fail(fmt.Errorf("ledger %s: %s", shown, scrub(err, dsn)))
		}
	}
	v, err := postgresVersion(ctx, l.db)
	if err != nil {
		return fail(fmt.Errorf("ledger %s: %s", shown, scrub(err, dsn)))
	}
	switch latest := schema.PostgresLatest(); {
	case v > latest && o.readOnly:
		l.newer = v
	case v > latest:
		return fail(&SchemaError{Path: shown, Found: v, Supported: latest})
	case v < latest:
		return fail(&MigrateError{Ledger: shown, Found: v, Current: latest})
	}
	return l, nil
}

// postgresVersion is the ledger's schema version; 0 when it has none.
func postgresVersion(ctx context.Context, q querier) (int, error) {
	var exists bool
	if err := q.QueryRowContext(ctx, "SELECT to_regclass('schema_migrations') IS NOT NULL").Scan(&exists); err != nil || !exists {
		return 0, err
	}
	var v sql.NullInt64
	err := q.QueryRowContext(ctx, "SELECT max(version) FROM schema_migrations").Scan(&v)
	return int(v.Int64), err
}

// migratePostgres applies the migrations the ledger lacks, each in one
// transaction, holding the session's advisory lock so that two repros
// migrating at once do it once.
func (l *Ledger) migratePostgres(ctx context.Context) error {
	c, err := l.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.ExecContext(ctx, "SELECT pg_advisory_lock($1)", ledgerLockKey); err != nil {
		return err
	}
	defer c.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", ledgerLockKey)
	for _, m := range schema.PostgresMigrations() {
		err := func() error {
			t, err := c.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			defer t.Rollback()
			v, err := postgresVersion(ctx, t)
			if err != nil {
				return err
			}
			if v > schema.PostgresLatest() {
				return &SchemaError{Path: l.path, Found: v, Supported: schema.PostgresLatest()}
			}
			if v >= m.Version {
				return nil
			}
			if _, err := t.ExecContext(ctx, m.SQL); err != nil {
				return fmt.Errorf("migration %s: %w", m.Name, err)
			}
			if _, err := t.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)", m.Version, m.Name, l.stamp()); err != nil {
				return fmt.Errorf("migration %s: %w", m.Name, err)
			}
			return t.Commit()
		}()
		if err != nil {
			return err
		}
	}
	return nil
}

// isRetryable says whether a PostgreSQL transaction failed only because
// another one ran at the same time: it is tried again.
func isRetryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// scrub is err's text without the password in dsn, wherever a driver put it.
func scrub(err error, dsn string) string {
	msg := err.Error()
	if cfg, perr := pgx.ParseConfig(dsn); perr == nil && cfg.Password != "" {
		msg = strings.ReplaceAll(msg, cfg.Password, "xxxxx")
	}
	if u, perr := url.Parse(dsn); perr == nil {
		if p, ok := u.User.Password(); ok && p != "" {
			msg = strings.ReplaceAll(msg, p, "xxxxx")
		}
	}
	return msg
}

// SchemaVersion is the ledger's schema version.
func (l *Ledger) SchemaVersion(ctx context.Context) (int, error) {
	if l.db == nil {
		return 0, nil
	}
	if l.db.b == postgresBackend {
		return postgresVersion(ctx, l.db)
	}
	var v int
	err := l.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
	return v, err
}

// Role is one of the roles a PostgreSQL ledger's migrations create.
type Role string

const (
	RoleWriter Role = "repro_writer" // records and finishes runs; never changes the chain
	RoleReader Role = "repro_reader" // reads
)

// GrantSQL is the statement that gives user role on a PostgreSQL ledger.
func GrantSQL(user string, role Role) (string, error) {
	if user == "" || strings.ContainsRune(user, 0) || len(user) > 63 {
		return "", fmt.Errorf("user %q: a PostgreSQL role name has 1 to 63 bytes and no NUL", user)
	}
	if role != RoleWriter && role != RoleReader {
		return "", fmt.Errorf("role %q: repro's roles are %s and %s", role, RoleWriter, RoleReader)
	}
	return "GRANT " + string(role) + " TO " + pgx.Identifier{user}.Sanitize() + ";", nil
}

// Grant gives user role on the ledger (its owner's right).
func (l *Ledger) Grant(ctx context.Context, user string, role Role) error {
	if l.db == nil || l.db.b != postgresBackend {
		return errors.New("roles are PostgreSQL's; a SQLite ledger's readers and writers are the file's")
	}
	q, err := GrantSQL(user, role)
	if err != nil {
		return err
	}
	_, err = l.db.DB.ExecContext(ctx, q)
	return err
}
