package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/reprohq/repro/image"
	"github.com/reprohq/repro/provenance"
	"github.com/reprohq/repro/provenance/gitstate"
	"github.com/reprohq/repro/runlog"
)

type tagsOptions struct {
	version, sha, channel string
	code                  string // the repository whose HEAD is the git- tag, when sha is ""
}

func newTagsCmd(g *globals) *cobra.Command {
	o := &tagsOptions{}
	cmd := &cobra.Command{
		Use:   "tags --version V [--sha SHA] [--channel C]",
		Short: "Print the tag set a build of a version gets",
		Long: `Tags prints, one per line, the tags repro build pushes for a version:
1.4.2, 1.4 and 1 for a release (a pre-release such as 2.0.0-rc.1 gets only its
own tag), git-<7 hex> from --sha or the HEAD of the code repository, and the
channel when given. A leading v is accepted. latest is never in the set.

Exit status: 0 ok, 1 error, 2 usage.`,
		Example: `  repro tags --version 1.4.2 --channel dev
  repro tags history 127.0.0.1:5000/trainer:prod --at 2026-11-17T12:00:00Z`,
		Args: exactArgs(0, "no arguments (did you mean repro tags history?)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTags(cmd.Context(), o, streamsOf(cmd))
		},
	}
	cmd.Flags().StringVar(&o.version, "version", "", "semantic version, as in 1.4.2")
	cmd.Flags().StringVar(&o.sha, "sha", "", "git commit for the git- tag (default: HEAD of the code repository)")
	cmd.Flags().StringVar(&o.channel, "channel", "", "channel tag, as in dev or staging")
	cmd.Flags().StringVar(&o.code, "code", "", "the code repository (default: the working directory's)")
	cmd.AddCommand(newTagsHistoryCmd(g))
	return cmd
}

// runTags prints the tag set of a version.
func runTags(ctx context.Context, o *tagsOptions, s streams) error {
	if o.version == "" {
		return usagef("tags needs --version, as in --version 1.4.2")
	}
	sha := o.sha
	if sha == "" {
		dir := o.code
		if dir == "" {
			dir = "."
		}
		if c, err := gitstate.CaptureCode(ctx, dir); err == nil {
			sha = c.Commit
		} else if o.code != "" {
			return err
		}
	}
	tags, err := image.TagSet(o.version, sha, o.channel)
	if err != nil {
		return imageError(err)
	}
	fmt.Fprintln(s.out, strings.Join(tags, "\n"))
	return nil
}

type tagsHistoryOptions struct {
	ref  provenance.Ref // REGISTRY/NAME[:TAG]
	at   time.Time      // zero: every event
	json bool
}

func newTagsHistoryCmd(g *globals) *cobra.Command {
	o := &tagsHistoryOptions{}
	var at string
	cmd := &cobra.Command{
		Use:   "history REGISTRY/NAME[:TAG]",
		Short: "Show where each tag pointed over time",
		Long: `History shows, from the ledger's tag events (repro build pushes, repro promote
moves, and tags repro run resolved), which digest each tag of a repository
pointed at and since when: one row each time a tag moved, with when it was
last seen there and how often (a resolve or push to the same digest is not a
move). With --at, only what each tag pointed at that moment: "what exactly
was prod last Tuesday".

Exit status: 0 ok, 1 error, 2 usage.`,
		Example: `  repro tags history 127.0.0.1:5000/trainer
  repro tags history 127.0.0.1:5000/trainer:prod --at 2026-11-17
  repro tags history 127.0.0.1:5000/trainer --json`,
		Args: exactArgs(1, "one REGISTRY/NAME[:TAG]"),
		// Usage is checked before the ledger is opened.
		PreRunE: func(cmd *cobra.Command, args []string) error {
			var err error
			o.ref, err = provenance.ParseRef(args[0])
			if err != nil {
				return err
			}
			if o.ref.Digest != "" {
				return usagef("history takes REGISTRY/NAME[:TAG], not a digest")
			}
			if at != "" {
				if o.at, err = parseWhen(at, time.Now(), endOfDay); err != nil {
					return usagef("--at %q: %v", at, err)
				}
			}
			return nil
		},
		RunE: g.withLedger(true, func(ctx context.Context, l *runlog.Ledger, args []string, s streams) error {
			return runTagsHistory(ctx, l, o, s)
		}),
	}
	cmd.Flags().StringVar(&at, "at", "", "only what each tag pointed at this moment: RFC 3339, a date (its end, UTC), or a duration back from now (7d)")
	jsonFlag(cmd, &o.json, "a JSON array of tag events")
	return cmd
}

// runTagsHistory prints where the tags of a repository pointed, and since when.
func runTagsHistory(ctx context.Context, l *runlog.Ledger, o *tagsHistoryOptions, s streams) error {
	events, err := l.TagHistory(ctx, o.ref.Repository, o.ref.Tag, o.at)
	if err != nil {
		return err
	}
	w := s.out
	if o.json {
		return printJSON(w, events)
	}
	tty := isTerminal(w)
	rows := make([][]string, 0, len(events))
	for _, e := range events {
		rows = append(rows, []string{e.Tag, shortDigest(e.Digest, tty), e.Action, formatTime(e.At, tty), formatTime(e.LastSeen, tty), fmt.Sprint(e.Seen)})
	}
	if len(rows) == 0 {
		fmt.Fprintf(s.err, "repro: no tag events recorded for %s\n", o.ref)
		return nil
	}
	return printTable(w, []string{"TAG", "DIGEST", "ACTION", "SINCE", "LAST SEEN", "SEEN"}, rows)
}
