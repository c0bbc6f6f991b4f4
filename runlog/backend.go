package runlog

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
)

// The ledger's SQL is written once, in SQLite's dialect: '?' parameters,
// integers for booleans. On PostgreSQL, conn and txn translate each statement
// as it is run (numbered '$n' parameters, booleans as integers, as the
// schema keeps them) and the few expressions the two spell differently
// come from the backend (see its methods). SQLite's statements pass through
// untouched.

// backend is the database a ledger lives in.
type backend int

const (
	sqliteBackend backend = iota
	postgresBackend
)

// conn is the ledger's connection pool.
type conn struct {
	*sql.DB
	b backend
}

// txn is a transaction on the ledger.
type txn struct {
	*sql.Tx
	b backend
}

// querier is a conn or a txn.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (d *conn) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return d.DB.ExecContext(ctx, d.b.sql(q), d.b.args(args)...)
}

func (d *conn) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return d.DB.QueryContext(ctx, d.b.sql(q), d.b.args(args)...)
}

func (d *conn) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return d.DB.QueryRowContext(ctx, d.b.sql(q), d.b.args(args)...)
}

func (t *txn) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return t.Tx.ExecContext(ctx, t.b.sql(q), t.b.args(args)...)
}

func (t *txn) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return t.Tx.QueryContext(ctx, t.b.sql(q), t.b.args(args)...)
}

func (t *txn) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return t.Tx.QueryRowContext(ctx, t.b.sql(q), t.b.args(args)...)
}

// sql is q in b's dialect.
func (b backend) sql(q string) string {
	if b == sqliteBackend {
		return q
	}
	return numberParams(q)
}

// args are args as b takes them: PostgreSQL's integer columns take no
// Go bool.
func (b backend) args(args []any) []any {
	if b == sqliteBackend {
		return args
	}
	var out []any
	for i, a := range args {
		if v, ok := a.(bool); ok {
			if out == nil {
				out = append([]any(nil), args...)
			}
			out[i] = int64(0)
			if v {
				out[i] = int64(1)
			}
		}
	}
	if out == nil {
		return args
	}
	return out
}

// numberParams turns SQLite's parameters, '?' (the next one) and '?N' (the
// Nth), into PostgreSQL's '$N', leaving quoted strings and identifiers
// alone.
func numberParams(q string) string {
	if !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 8)
	n := 0
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch c {
		case '\'', '"':
			j := i + 1
			for j < len(q) && q[j] != c {
				j++
			}
			b.WriteString(q[i:min(j+1, len(q))])
			i = j
		case '?':
			j := i + 1
			for j < len(q) && '0' <= q[j] && q[j] <= '9' {
				j++
			}
			if j > i+1 {
				b.WriteString("$" + q[i+1:j])
			} else {
				n++
				b.WriteString("$" + strconv.Itoa(n))
			}
			i = j - 1
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// unhex is the bytes whose hex is the text expr.
func (b backend) unhex(expr string) string {
	if b == postgresBackend {
		return "decode(" + expr + ", 'hex')"
	}
	return "unhex(" + expr + ")"
}

// greatest is the larger of two values.
func (b backend) greatest(x, y string) string {
	if b == postgresBackend {
		return "greatest(" + x + ", " + y + ")"
	}
	return "max(" + x + ", " + y + ")"
}

// seconds is the length in seconds between two times stored as text.
func (b backend) seconds(from, to string) string {
	if b == postgresBackend {
		return "extract(epoch FROM (" + to + ")::timestamptz - (" + from + ")::timestamptz)"
	}
	return "(julianday(" + to + ") - julianday(" + from + "))"
}

// metric is the number named by the JSON path parameter (see jsonPath)
// in the JSON object text col.
func (b backend) metric(col string) string {
	if b == postgresBackend {
		return "(" + col + "::jsonb #>> ?::text[])::float8"
	}
	return "json_extract(" + col + ", ?)"
}
