package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/reprohq/repro/ident"
	"github.com/reprohq/repro/provenance"
	"github.com/reprohq/repro/runlog"
)

type imagesOptions struct {
	repo string // REPOSITORY, or "" for all
	json bool
}

func newImagesCmd(g *globals) *cobra.Command {
	o := &imagesOptions{}
	cmd := &cobra.Command{
		Use:   "images [REPOSITORY]",
		Short: "List images built or run, with their tags now and before",
		Long: `Images lists the images repro built or ran (in one repository, or all): each
digest with the tags that point at it now and those that pointed at it and
moved on (from the ledger's tag events), the commit it was built from, and
how many runs used it.

Exit status: 0 ok, 1 error, 2 usage.`,
		Example: `  repro images
  repro images 127.0.0.1:5000/trainer --json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usagef("images takes at most one REPOSITORY")
			}
			return nil
		},
		// Usage is checked before the ledger is opened.
		PreRunE: func(cmd *cobra.Command, args []string) error {
			o.repo = ""
			if len(args) == 1 {
				ref, err := provenance.ParseRef(args[0])
				if err != nil {
					return usagef("%v", err)
				}
				if ref.Tag != "" || ref.Digest != "" {
					return usagef("images takes a REPOSITORY, without a tag or digest")
				}
				o.repo = ref.Repository
			}
			return nil
		},
		RunE: g.withLedger(true, func(ctx context.Context, l *runlog.Ledger, args []string, s streams) error {
			return runImages(ctx, l, o, s)
		}),
	}
	jsonFlag(cmd, &o.json, "a JSON array of images")
	return cmd
}

// runImages lists the images built or run.
func runImages(ctx context.Context, l *runlog.Ledger, o *imagesOptions, s streams) error {
	imgs, err := l.Images(ctx, o.repo)
	if err != nil {
		return err
	}
	w := s.out
	if o.json {
		return printJSON(w, imgs)
	}
	tty := isTerminal(w)
	rows := make([][]string, 0, len(imgs))
	for _, i := range imgs {
		commit := i.SourceCommit
		if tty {
			commit = ident.Commit(commit).Short()
		}
		last := "-"
		if i.LastRun != nil {
			last = formatTime(*i.LastRun, tty)
		}
		rows = append(rows, []string{i.Repository, shortDigest(i.Digest, tty), orEmpty(strings.Join(i.Tags, ",")),
			orEmpty(strings.Join(i.PastTags, ",")), orEmpty(commit), fmt.Sprint(i.Runs), last})
	}
	if len(rows) == 0 {
		fmt.Fprintln(s.err, "repro: no images recorded")
		return nil
	}
	return printTable(w, []string{"REPOSITORY", "DIGEST", "TAGS", "PAST TAGS", "COMMIT", "RUNS", "LAST RUN"}, rows)
}
