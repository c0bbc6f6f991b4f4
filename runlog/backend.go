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
	q, args = d.b.stmt(q, args)
	return d.DB.ExecContext(ctx, q, args...)
}

func (d *conn) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	q, args = d.b.stmt(q, args)
	return d.DB.QueryContext(ctx, q, args...)
}

func (d *conn) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	q, args = d.b.stmt(q, args)
	return d.DB.QueryRowContext(ctx, q, args...)
}

func (t *txn) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	q, args = t.b.stmt(q, args)
	return t.Tx.ExecContext(ctx, q, args...)
}

func (t *txn) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	q, args = t.b.stmt(q, args)
	return t.Tx.QueryContext(ctx, q, args...)
}

func (t *txn) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	q, args = t.b.stmt(q, args)
	return t.Tx.QueryRowContext(ctx, q, args...)
}

// stmt is the statement q with its args in b's dialect. On PostgreSQL,
// parameters are numbered, booleans are integers, and a list of values,
// IN (?,?,...), of one type (text, integer, bytes) is one array parameter,
// = ANY(?): one statement, planned once, whatever the list's length,
// where a thousand parameters took the server longer to plan than to
// run.
func (b backend) stmt(q string, args []any) (string, []any) {
	if b == sqliteBackend {
		return q, args
	}
	return numberParams(q, b.args(args))
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
// alone, and folds each list IN (?,?,...) of two or more values of one
// type (text, integer, bytes) into = ANY($N), its values one array among
// args. Lists are folded only where q numbers no parameter itself.
func numberParams(q string, args []any) (string, []any) {
	if !strings.Contains(q, "?") {
		return q, args
	}
	fold := !numbered(q)
	var (
		b      strings.Builder
		out    []any // args, once a list is folded
		n, arg int   // the last parameter written; the next of args
	)
	b.Grow(len(q) + 8)
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'' || c == '"':
			j := closing(q, i)
			b.WriteString(q[i:min(j+1, len(q))])
			i = j
		case c == '?':
			j := i + 1
			for j < len(q) && '0' <= q[j] && q[j] <= '9' {
				j++
			}
			if j > i+1 {
				b.WriteString("$" + q[i+1:j])
			} else {
				n++
				b.WriteString("$" + strconv.Itoa(n))
				if out != nil && arg < len(args) {
					out = append(out, args[arg])
				}
				arg++
			}
			i = j - 1
		case fold && c == 'I':
			k, ok := listAt(q, i)
			if !ok || arg+k > len(args) {
				b.WriteByte(c)
				break
			}
			list, ok := asArray(args[arg : arg+k])
			if !ok {
				b.WriteByte(c)
				break
			}
			if out == nil {
				out = append(make([]any, 0, len(args)-k+1), args[:arg]...)
			}
			out = append(out, list)
			arg += k
			n++
			b.WriteString("= ANY($" + strconv.Itoa(n) + ")")
			i = strings.IndexByte(q[i:], ')') + i
		default:
			b.WriteByte(c)
		}
	}
	if out == nil {
		return b.String(), args
	}
	return b.String(), append(out, args[min(arg, len(args)):]...)
}

// numbered reports whether q has a numbered parameter, ?N, outside quotes.
func numbered(q string) bool {
	for i := 0; i < len(q); i++ {
		switch c := q[i]; c {
		case '\'', '"':
			i = closing(q, i)
		case '?':
			if i+1 < len(q) && '0' <= q[i+1] && q[i+1] <= '9' {
				return true
			}
		}
	}
	return false
}

// closing is the index of the quote that closes the one at q[i] (len(q):
// none).
func closing(q string, i int) int {
	if j := strings.IndexByte(q[i+1:], q[i]); j >= 0 {
		return i + 1 + j
	}
	return len(q)
}

// listAt reports whether q holds, at i, a list of two or more values,
// IN (?,?,...), as inList writes it, after a space and not after NOT; k
// is how many.
func listAt(q string, i int) (k int, ok bool) {
	if i == 0 || q[i-1] != ' ' || !strings.HasPrefix(q[i:], "IN (?") ||
		i >= 4 && strings.EqualFold(q[i-4:i], "NOT ") {
		return 0, false
	}
	j := i + len("IN (")
	for {
		if j >= len(q) || q[j] != '?' {
			return 0, false
		}
		k++
		j++
		if j < len(q) && q[j] == ')' {
			break
		}
		if j >= len(q) || q[j] != ',' {
			return 0, false
		}
		j++
	}
	return k, k >= 2
}

// asArray is vals as one array parameter: all text, all integers or all
// bytes.
func asArray(vals []any) (any, bool) {
	switch vals[0].(type) {
	case []byte:
		return all[[]byte](vals)
	case string:
		return all[string](vals)
	case int64:
		return all[int64](vals)
	}
	return nil, false
}

// all is vals as a []T, if each is a T.
func all[T any](vals []any) (any, bool) {
	out := make([]T, len(vals))
	for i, v := range vals {
		t, ok := v.(T)
		if !ok {
			return nil, false
		}
		out[i] = t
	}
	return out, true
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
