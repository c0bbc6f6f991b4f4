// Package pgtest gives tests a throwaway PostgreSQL server
// (scripts/pg-cluster.sh) and a fresh database in it per test.
package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
)

// Server is a running PostgreSQL server of the tests' own.
type Server struct {
	Dir      string // its data, socket and password
	URL      string // the superuser's URL, without the password
	Password string // the superuser's password
	n        atomic.Int64
}

// script is scripts/pg-cluster.sh, found from this file's place in the
// module.
func script() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "scripts", "pg-cluster.sh")
}

// ErrMissing is returned when PostgreSQL is not installed.
var ErrMissing = errors.New("PostgreSQL is not installed (apt-get install postgresql)")

// Available says whether a server can be started here.
func Available() bool {
	if _, err := exec.LookPath("pg_config"); err == nil {
		return true
	}
	m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	return len(m) > 0
}

// Start starts a server with its files under dir (which it creates).
func Start(dir string) (*Server, error) {
	if !Available() {
		return nil, ErrMissing
	}
	out, err := exec.Command("bash", script(), "start", dir).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return nil, fmt.Errorf("start PostgreSQL: %v: %s", err, ee.Stderr)
		}
		return nil, fmt.Errorf("start PostgreSQL: %v", err)
	}
	pw, err := os.ReadFile(filepath.Join(dir, "password"))
	if err != nil {
		return nil, err
	}
	return &Server{Dir: dir, URL: strings.TrimSpace(string(out)), Password: strings.TrimSpace(string(pw))}, nil
}

// Stop stops the server.
func (s *Server) Stop() error {
	return exec.Command("bash", script(), "stop", s.Dir).Run()
}

// WithPassword is the superuser's URL to database db, the password in it.
func (s *Server) WithPassword(db string) string {
	u, _ := url.Parse(s.URL)
	u.User = url.UserPassword("postgres", s.Password)
	u.Path = "/" + db
	return u.String()
}

// Database is the superuser's URL to db, without the password.
func (s *Server) Database(db string) string {
	u, _ := url.Parse(s.URL)
	u.Path = "/" + db
	return u.String()
}

// Exec runs statements as the superuser in database db.
func (s *Server) Exec(db string, statements ...string) error {
	conn, err := sql.Open("pgx", s.WithPassword(db))
	if err != nil {
		return err
	}
	defer conn.Close()
	for _, st := range statements {
		if _, err := conn.ExecContext(context.Background(), st); err != nil {
			return fmt.Errorf("%s: %w", st, err)
		}
	}
	return nil
}

// NewDatabase creates an empty database named after prefix and returns
// its name.
func (s *Server) NewDatabase(prefix string) (string, error) {
	name := fmt.Sprintf("%s_%d_%d", strings.ToLower(prefix), os.Getpid(), s.n.Add(1))
	return name, s.Exec("postgres", "CREATE DATABASE "+name)
}
