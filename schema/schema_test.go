package schema

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestMigrations_Embedded(t *testing.T) {
	ms := Migrations()
	for i, m := range ms {
		if m.Version != i+1 || !strings.HasSuffix(m.Name, ".sql") || strings.TrimSpace(m.SQL) == "" {
			t.Errorf("migration %d: %+v", i, m.Name)
		}
	}
	if Latest() != len(ms) {
		t.Errorf("Latest = %d, want %d", Latest(), len(ms))
	}
}

func TestLoad_Numbering(t *testing.T) {
	tests := []struct {
		name    string
		files   []string
		wantErr string
	}{
		{"ordered", []string{"0001_a.sql", "0002_b.sql"}, ""},
		{"gap", []string{"0001_a.sql", "0003_c.sql"}, "has number 3, want 2"},
		{"unnamed", []string{"0001.sql"}, "not named NNNN_name.sql"},
		{"short number", []string{"1_a.sql"}, "not named NNNN_name.sql"},
		{"none", nil, "no migrations"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for _, f := range tt.files {
				fsys[f] = &fstest.MapFile{Data: []byte("SELECT 1;")}
			}
			_, err := load(fsys, ".")
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("load: %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestPostgresMigrations(t *testing.T) {
	ms := PostgresMigrations()
	if len(ms) == 0 || ms[0].Version != 1 || PostgresLatest() != ms[len(ms)-1].Version {
		t.Fatalf("PostgreSQL migrations: %+v", ms)
	}
	if Latest() == PostgresLatest() && len(Migrations()) == len(ms) {
		t.Error("the PostgreSQL migrations are SQLite's")
	}
}
