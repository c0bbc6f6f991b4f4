package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/reprohq/repro/launch"
	"github.com/reprohq/repro/provenance/dataset"
)

type digestOptions struct {
	paths []string // PATH...
	list  bool     // a directory's listing, not its digest
	json  bool
}

func newDigestCmd(g *globals) *cobra.Command {
	o := &digestOptions{}
	cmd := &cobra.Command{
		Use:   "digest PATH...",
		Short: "Print the content version of a dataset directory or file",
		Long: `Digest prints the version repro records for a dataset, without running
anything. A file's version is the sha256 of its bytes. A directory's is the
sha256 of the listing that GNU coreutils prints inside it for

  find . -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 -r sha256sum --

so anyone can recompute it with coreutils alone. Symlinks and special files
are not part of the version. --list prints that listing itself.

When a ledger exists, files whose size, mtime, ctime and inode are what
they were when last hashed (and had been still for two seconds then) are
not read again; any change to a file changes its ctime.

Exit status: 0 ok, 1 error, 2 usage.`,
		Example: `  repro digest ./data/train
  repro digest --list ./data/train | diff - <(cd ./data/train && find . -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 -r sha256sum --)`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("digest needs at least one PATH")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.paths = args
			// The ledger's hash cache, when there is a ledger: unchanged
			// files are not read again.
			var cache dataset.HashCache
			if l := g.openIfExists(cmd.Context(), false); l != nil {
				defer l.Close()
				cache = launch.LedgerCache{L: l}
			}
			return runDigest(cmd.Context(), cache, o, streamsOf(cmd))
		},
	}
	cmd.Flags().BoolVar(&o.list, "list", false, "print a directory's sha256sum listing instead of its digest")
	jsonFlag(cmd, &o.json, "a JSON array of {path, kind, digest, files, bytes}")
	return cmd
}

// runDigest prints the version of each path (cache, when not nil, spares
// reading unchanged files).
func runDigest(ctx context.Context, cache dataset.HashCache, o *digestOptions, s streams) error {
	type entry struct {
		Path   string `json:"path"`
		Kind   string `json:"kind"`
		Digest string `json:"digest"`
		Files  int64  `json:"files"`
		Bytes  int64  `json:"bytes"`
	}
	var entries []entry
	w := s.out
	for _, p := range o.paths {
		var progress io.Writer
		if isTerminal(s.err) {
			progress = s.err
		}
		v, err := dataset.HashPathWith(ctx, p, dataset.HashOptions{Cache: cache, Progress: launch.ProgressLine(progress, "hashing "+p)})
		if err != nil {
			return fmt.Errorf("digest %s: %w", p, dataset.PathCause(p, err))
		}
		switch {
		case o.json:
			entries = append(entries, entry{p, v.Kind, v.Digest, v.Files, v.Bytes})
		case o.list && v.Kind == "dir":
			listing, err := v.Listing()
			if err != nil {
				return fmt.Errorf("digest %s: %w", p, err)
			}
			if _, err := w.Write(listing); err != nil {
				return err
			}
		default:
			fmt.Fprintf(w, "%s  %s\n", v.Digest, p)
		}
	}
	if o.json {
		return printJSON(w, entries)
	}
	return nil
}
