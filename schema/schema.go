package schema

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

//go:embed *.sql postgres/*.sql
var files embed.FS

// Migration is one numbered step of the ledger's schema.
type Migration struct {
	Version int    // 1, 2, ...: SQLite's PRAGMA user_version, PostgreSQL's max(schema_migrations.version), once applied
	Name    string // file name, for messages
	SQL     string
}

// Migrations returns every embedded migration of a SQLite ledger in
// order. It panics if the embedded files are misnumbered, which is a build
// defect, not a user error.
func Migrations() []Migration { return must(load(files, ".")) }

// Latest is the schema version this binary writes to SQLite.
func Latest() int {
	ms := Migrations()
	return ms[len(ms)-1].Version
}

// PostgresMigrations are a PostgreSQL ledger's migrations, numbered on
// their own (postgres/NNNN_name.sql).
func PostgresMigrations() []Migration { return must(load(files, "postgres")) }

// PostgresLatest is the schema version this binary writes to PostgreSQL.
func PostgresLatest() int {
	ms := PostgresMigrations()
	return ms[len(ms)-1].Version
}

func must(ms []Migration, err error) []Migration {
	if err != nil {
		panic(err)
	}
	return ms
}

func load(fsys fs.FS, dir string) ([]Migration, error) {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		return nil, err
	}
	fsys = sub
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var ms []Migration
	for i, n := range names {
		num, _, ok := strings.Cut(n, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || len(num) != 4 {
			return nil, fmt.Errorf("schema: migration %q is not named NNNN_name.sql", n)
		}
		if v != i+1 {
			return nil, fmt.Errorf("schema: migration %q has number %d, want %d", n, v, i+1)
		}
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: n, SQL: string(b)})
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("schema: no migrations embedded")
	}
	return ms, nil
}
