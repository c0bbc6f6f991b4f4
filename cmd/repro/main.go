// Command repro records where every training run came from and can run
// it again, exactly. See `repro help`.
package main

import "os"

func main() {
	os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr))
}
