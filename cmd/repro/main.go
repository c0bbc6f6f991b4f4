// Command repro records where every training run came from and can run
// it again, exactly. See `repro help`.
package main

import (
	"os"
	"runtime/debug"
	"time"
)

// started is when the process began (near enough: package variables are
// set before main runs), the zero of $REPRO_TRACE's timings.
var started = time.Now()

func main() {
	// repro's heaps are small and short-lived (the index of a repository,
	// the file list of a dataset), so collecting at 4x the live heap
	// instead of 2x trades a few MB for fewer collections while the user
	// waits. GOGC, when set, still decides.
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(400)
	}
	os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr))
}
