package runlog

import (
	"reflect"
	"testing"
)

func TestNumberParams(t *testing.T) {
	for _, c := range []struct {
		name     string
		q        string
		args     []any
		want     string
		wantArgs []any
	}{
		{"plain", "SELECT a FROM t WHERE x = ? AND y = ?", []any{"a", int64(1)},
			"SELECT a FROM t WHERE x = $1 AND y = $2", []any{"a", int64(1)}},
		{"text list", "SELECT a FROM t WHERE id IN (?,?,?)", []any{"a", "b", "c"},
			"SELECT a FROM t WHERE id = ANY($1)", []any{[]string{"a", "b", "c"}}},
		{"list between", "WHERE x = ? AND id IN (?,?) AND y = ?", []any{int64(7), int64(1), int64(2), true},
			"WHERE x = $1 AND id = ANY($2) AND y = $3", []any{int64(7), []int64{1, 2}, int64(1)}},
		{"bytes list", "WHERE run_id IN (?,?) ORDER BY seq", []any{[]byte{1}, []byte{2}},
			"WHERE run_id = ANY($1) ORDER BY seq", []any{[][]byte{{1}, {2}}}},
		{"two lists", "WHERE a IN (?,?) OR b IN (?,?,?)", []any{"x", "y", int64(1), int64(2), int64(3)},
			"WHERE a = ANY($1) OR b = ANY($2)", []any{[]string{"x", "y"}, []int64{1, 2, 3}}},
		{"one value is no list", "WHERE id IN (?)", []any{"a"},
			"WHERE id IN ($1)", []any{"a"}},
		{"mixed types stay", "WHERE id IN (?,?)", []any{"a", int64(1)},
			"WHERE id IN ($1,$2)", []any{"a", int64(1)}},
		{"NOT IN stays", "WHERE id NOT IN (?,?)", []any{"a", "b"},
			"WHERE id NOT IN ($1,$2)", []any{"a", "b"}},
		{"VALUES stay", "INSERT INTO t (a, b) VALUES (?,?),(?,?)", []any{"a", "b", "c", "d"},
			"INSERT INTO t (a, b) VALUES ($1,$2),($3,$4)", []any{"a", "b", "c", "d"}},
		{"numbered parameters: nothing folded", "WHERE a = ?1 AND id IN (?,?)", []any{"a", "b"},
			"WHERE a = $1 AND id IN ($1,$2)", []any{"a", "b"}},
		{"quoted text untouched", "WHERE s = 'IN (?,?)' AND id IN (?,?)", []any{"a", "b"},
			"WHERE s = 'IN (?,?)' AND id = ANY($1)", []any{[]string{"a", "b"}}},
		{"not a list", "WHERE id IN (?, ?)", []any{"a", "b"},
			"WHERE id IN ($1, $2)", []any{"a", "b"}},
		{"more marks than args", "WHERE id IN (?,?,?)", []any{"a", "b"},
			"WHERE id IN ($1,$2,$3)", []any{"a", "b"}},
		{"unterminated quote", "WHERE s = 'IN (?,?)", []any{},
			"WHERE s = 'IN (?,?)", []any{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, gotArgs := postgresBackend.stmt(c.q, c.args)
			if got != c.want {
				t.Errorf("statement:\n got %s\nwant %s", got, c.want)
			}
			if !reflect.DeepEqual(gotArgs, c.wantArgs) {
				t.Errorf("args:\n got %#v\nwant %#v", gotArgs, c.wantArgs)
			}
			if q, args := sqliteBackend.stmt(c.q, c.args); q != c.q || !reflect.DeepEqual(args, c.args) {
				t.Errorf("SQLite's statement changed: %s %#v", q, args)
			}
		})
	}
}

// FuzzNumberParams: whatever the statement, every argument is passed on,
// in order (a folded list as one array), and no mark is left.
func FuzzNumberParams(f *testing.F) {
	f.Add("SELECT a FROM t WHERE id IN (?,?,?) AND b = ?", 3)
	f.Add("WHERE s = 'x?' AND id IN (?,?)", 2)
	f.Add("WHERE a = ?1 OR id IN (?,?)", 2)
	f.Fuzz(func(t *testing.T, q string, n int) {
		if n < 0 || n > 50 {
			return
		}
		args := make([]any, n)
		for i := range args {
			args[i] = "v"
		}
		_, out := numberParams(q, args)
		total := 0
		for _, a := range out {
			switch v := a.(type) {
			case []string:
				if len(v) < 2 {
					t.Fatalf("a list of %d folded", len(v))
				}
				total += len(v)
			case string:
				total++
			default:
				t.Fatalf("argument %#v", a)
			}
		}
		if total != n {
			t.Fatalf("%d arguments in, %d out: %q", n, total, q)
		}
	})
}
