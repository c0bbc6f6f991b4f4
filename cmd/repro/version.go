package main

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"
)

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print repro's version",
		Long: `Version prints repro's version, the Go version it was built with, and the
platform. repro --version prints the version alone.

Exit status: 0 ok, 2 usage.`,
		Example: `  repro version`,
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVersion(streamsOf(cmd))
		},
	}
}

// runVersion prints repro's version, Go's and the platform.
func runVersion(s streams) error {
	_, err := fmt.Fprintf(s.out, "repro %s (%s, %s/%s)\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return err
}
