package runlog

import "github.com/reprohq/repro/schema"

// SetMigrations replaces the migrations Open applies, for the test's
// duration.
func SetMigrations(ms []schema.Migration) (restore func()) {
	old := migrations
	migrations = func() []schema.Migration { return ms }
	return func() { migrations = old }
}
