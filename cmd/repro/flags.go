package main

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/reprohq/repro/launch"
	"github.com/reprohq/repro/provenance"
)

// Flags that several commands share.

// registryFlags are shared by the commands that talk to a registry.
type registryFlags struct {
	insecure bool
}

func (f *registryFlags) addFlags(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&f.insecure, "insecure", false, "allow plain HTTP to a registry that is not on loopback")
}

func (f *registryFlags) options() provenance.RegistryOptions {
	return provenance.RegistryOptions{Insecure: f.insecure}
}

// engineFlags choose and tune the container engine.
type engineFlags struct {
	runtime     string
	stopTimeout time.Duration
	asRoot      bool
}

func (f *engineFlags) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.runtime, "runtime", "docker", "container CLI: docker or podman")
	cmd.Flags().DurationVar(&f.stopTimeout, "stop-timeout", 10*time.Second, "on interrupt, how long the container gets between SIGTERM and SIGKILL")
	cmd.Flags().BoolVar(&f.asRoot, "as-root", false, "run as the image's own user even when you are not root (for images that must run as root; their outputs may then be root's)")
}

// user is the UID:GID the container runs as so that what it writes is
// the invoking user's: set for docker when repro is not run by root and
// --as-root is not given ("" : the image's own user). podman, rootless
// as a user runs it, already maps the container's root to that user.
func (f *engineFlags) user() string {
	if f.asRoot || f.runtime != "docker" || os.Getuid() == 0 {
		return ""
	}
	return fmt.Sprintf("%d:%d", os.Getuid(), os.Getgid())
}

func (f *engineFlags) validate() error {
	if f.runtime != "docker" && f.runtime != "podman" {
		return usagef("--runtime %q: choose docker or podman", f.runtime)
	}
	if f.stopTimeout < 0 {
		return usagef("--stop-timeout must not be negative")
	}
	return nil
}

func (f *engineFlags) engine(cmd *cobra.Command) *launch.Engine {
	return &launch.Engine{Bin: f.runtime, Stdout: cmd.OutOrStdout(), Stderr: cmd.ErrOrStderr(), StopTimeout: f.stopTimeout}
}
