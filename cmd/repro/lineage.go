package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/reprohq/repro/ident"
	"github.com/reprohq/repro/runlog"
)

type lineageOptions struct {
	ref    string // RUN
	depth  int
	format string // table, json or dot
	json   bool   // the same as --format json
}

func newLineageCmd(g *globals) *cobra.Command {
	o := &lineageOptions{}
	cmd := &cobra.Command{
		Use:   "lineage RUN",
		Short: "Show where a run came from and what came of it",
		Long: `Lineage shows a run's upstream and downstream as a tree: the image (and, for
images repro built, the commit and base it was built from), the code commit,
each dataset and the earlier run whose outputs had exactly that digest (the
run that produced it), then the run's re-runs and the later runs that
consumed its outputs as their data, --depth runs deep in each direction.

Links come from content digests, so nobody declares them. --json (or
--format json) prints the tree as nested objects; --format dot prints a Graphviz graph
(repro lineage RUN --format dot | dot -Tsvg > lineage.svg).

RUN is a run ID, a unique prefix of one, or a run name.

Exit status: 0 ok, 1 error, 2 usage.`,
		Example: `  repro lineage 4e1d
  repro lineage evaluate --depth 2
  repro lineage 4e1d --format dot | dot -Tpng > lineage.png`,
		Args: exactArgs(1, "one RUN"),
		// Usage is checked before the ledger is opened.
		PreRunE: func(cmd *cobra.Command, args []string) error {
			if o.depth < 1 {
				return usagef("--depth must be at least 1")
			}
			if o.format != "table" && o.format != "json" && o.format != "dot" {
				return usagef("--format %q: choose table, json or dot", o.format)
			}
			if o.json {
				if cmd.Flags().Changed("format") && o.format != "json" {
					return usagef("--json and --format %s: choose one", o.format)
				}
				o.format = "json" // --json, as every command that lists has it
			}
			return nil
		},
		RunE: g.withLedger(true, func(ctx context.Context, l *runlog.Ledger, args []string, s streams) error {
			o.ref = args[0]
			return runLineage(ctx, l, o, s)
		}),
	}
	cmd.Flags().IntVar(&o.depth, "depth", 10, "how many runs deep to follow upstream and downstream")
	cmd.Flags().StringVar(&o.format, "format", "table", "table, json or dot (Graphviz)")
	jsonFlag(cmd, &o.json, "the tree as JSON (the same as --format json)")
	return cmd
}

// runLineage prints a run's lineage as a tree, JSON or a Graphviz graph.
func runLineage(ctx context.Context, l *runlog.Ledger, o *lineageOptions, s streams) error {
	root, err := l.Lineage(ctx, o.ref, o.depth)
	if err != nil {
		return err
	}
	w := s.out
	switch o.format {
	case "json":
		return printJSON(w, root)
	case "dot":
		return printDot(w, root)
	}
	tty := isTerminal(w)
	var rows [][]string
	var walk func(n *runlog.Node, prefix, branch string)
	walk = func(n *runlog.Node, prefix, branch string) {
		what := n.ID
		if n.Kind == "run" {
			what = "run " + nodeID(n.ID, tty)
			if n.Name != "" {
				what += " (" + n.Name + ")"
			}
		} else if tty {
			what = shortRef(n.ID)
		}
		detail := n.Detail
		if n.Seen {
			detail += " (shown above)"
		}
		rows = append(rows, []string{prefix + branch + n.Relation, what, strings.TrimSpace(detail)})
		next := prefix
		switch branch {
		case "├─ ":
			next += "│  "
		case "└─ ":
			next += "   "
		}
		for i, c := range n.Children {
			b := "├─ "
			if i == len(n.Children)-1 {
				b = "└─ "
			}
			walk(c, next, b)
		}
	}
	walk(root, "", "")
	return printTable(w, []string{"RELATION", "WHAT", "DETAIL"}, rows)
}

func nodeID(id string, tty bool) string {
	if tty {
		return runlog.Short(id)
	}
	return id
}

// shortRef shortens the digests inside a reference for people.
func shortRef(s string) string {
	if i := strings.Index(s, "sha256:"); i >= 0 && len(s) >= i+7+64 {
		return s[:i] + shortDigest(s[i:i+7+64], true) + s[i+7+64:]
	}
	if ident.ValidCommit(s) {
		return ident.Commit(s).Short()
	}
	return s
}

// printDot writes the lineage as a Graphviz digraph, edges in the
// direction data flows.
func printDot(w io.Writer, root *runlog.Node) error {
	var b strings.Builder
	b.WriteString("digraph lineage {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n")
	declared := map[string]bool{}
	declare := func(n *runlog.Node) string {
		key := n.Kind + ":" + n.ID
		if !declared[key] {
			declared[key] = true
			label := n.Kind + "\\n" + shortRef(n.ID)
			if n.Name != "" {
				label += "\\n" + n.Name
			}
			shape := "box"
			switch n.Kind {
			case "dataset":
				shape = "cylinder"
			case "image":
				shape = "component"
			case "commit":
				shape = "note"
			}
			fmt.Fprintf(&b, "  %s [label=%s, shape=%s];\n", dotQuote(key), dotQuote(label), shape)
		}
		return key
	}
	var walk func(parent, n *runlog.Node)
	walk = func(parent, n *runlog.Node) {
		key := declare(n)
		if parent != nil {
			pkey := parent.Kind + ":" + parent.ID
			from, to := key, pkey // upstream: the child flows into its parent
			if n.Relation == "re-run" || n.Relation == "consumed by" {
				from, to = pkey, key
			}
			fmt.Fprintf(&b, "  %s -> %s [label=%s];\n", dotQuote(from), dotQuote(to), dotQuote(n.Relation))
		}
		for _, c := range n.Children {
			walk(n, c)
		}
	}
	walk(nil, root)
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// dotQuote quotes s as a DOT string: backslash-escapes only for quotes
// (the \n in labels is DOT's own line break).
func dotQuote(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
}
