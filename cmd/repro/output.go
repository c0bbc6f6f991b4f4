package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/reprohq/repro/ident"
	"github.com/reprohq/repro/rerun"
	"github.com/reprohq/repro/runlog"
)

// printJSON writes v as indented JSON.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printTable writes rows as a table on a terminal, and as tab-separated
// lines without a header otherwise, so that cut and awk work.
//
// Every cell is a value from the ledger: control characters are shown
// escaped, so that none can move the cursor, retitle the terminal or add a
// column.
func printTable(w io.Writer, header []string, rows [][]string) error {
	for _, r := range rows {
		for i := range r {
			r[i] = runlog.Visible(r[i])
		}
	}
	if !isTerminal(w) {
		for _, r := range rows {
			if _, err := fmt.Fprintln(w, strings.Join(r, "\t")); err != nil {
				return err
			}
		}
		return nil
	}
	return renderTable(w, header, rows)
}

// renderTable draws rows under header for a terminal, the header as
// written (tablewriter would upper-case it and split it at digits and
// dashes: RE-RUN became "RE - RUN", a run ID "4964 EF 244 F 2 C").
func renderTable(w io.Writer, header []string, rows [][]string) error {
	t := tablewriter.NewTable(w, tablewriter.WithHeaderAutoFormat(tw.Off))
	t.Header(header)
	for _, r := range rows {
		if err := t.Append(r); err != nil {
			return err
		}
	}
	return t.Render()
}

// printFields writes key/value pairs aligned.
func printFields(w io.Writer, fields [][2]string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, f := range fields {
		fmt.Fprintf(tw, "%s:\t%s\n", runlog.Visible(f[0]), runlog.Visible(f[1]))
	}
	return tw.Flush()
}

// shortDigest is sha256: and the first 12 hex digits, for people.
func shortDigest(d string, terminal bool) string {
	if !terminal {
		return d
	}
	if ident.ValidDigest(d) {
		return ident.Digest(d).Short() + "…"
	}
	return d
}

func formatTime(t time.Time, terminal bool) string {
	if terminal {
		return t.Local().Format("2006-01-02 15:04:05")
	}
	return t.UTC().Format(time.RFC3339)
}

func formatDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Hour:
		return d.Round(time.Second).String()
	}
	return d.Round(time.Minute).String()
}

func shellJoin(argv []string) string {
	parts := make([]string, len(argv))
	for i, a := range argv {
		if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@,+") == "" {
			parts[i] = a
		} else {
			parts[i] = rerun.Quote(a)
		}
	}
	return strings.Join(parts, " ")
}

// formatMetric prints a metric as its shortest exact form ("-": none).
func formatMetric(v *float64) string {
	if v == nil {
		return "-"
	}
	return strconv.FormatFloat(*v, 'g', -1, 64)
}

func orEmpty(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// traceTo is where repro run and rerun --exec write how long each step
// took, and from when: stderr when $REPRO_TRACE is set, else nowhere.
func traceTo(stderr io.Writer) (io.Writer, time.Time) {
	if os.Getenv("REPRO_TRACE") == "" {
		return nil, time.Time{}
	}
	return stderr, started
}
