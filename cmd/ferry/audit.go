package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/ferrygit/ferry"
)

func init() {
	register("audit", "read the audit log of changes ([--actor A] [--action A] [--namespace NS] [--since T] [--until T])", func(ctx context.Context, m *Main, args []string) error {
		return runTop(ctx, m, auditCommand, args)
	})
}

// auditCommand describes "ferry audit".
var auditCommand = subcommand{name: "audit", args: "[--actor token:12|user:alice|admin] [--action 'POST /api/v1/…'] [--namespace NS] [--since T] [--until T] [--limit N] [--json]",
	summary: "List audit log entries, newest first: who changed what, when, from where and with what result", run: runAudit}

func runAudit(ctx context.Context, m *Main, sub subcommand, args []string) error {
	fs := sub.topFlagSet(m)
	var f ferry.AuditFilter
	fs.StringVar(&f.Actor, "actor", "", "only entries by `ACTOR`: token:12, user:alice or admin")
	fs.StringVar(&f.Action, "action", "", "only entries of route `ACTION`, such as 'POST /api/v1/namespaces/{ns}/sync'")
	fs.StringVar(&f.Namespace, "namespace", "", "only entries in namespace `NS`")
	since := fs.String("since", "", "only entries at or after `T`: an RFC 3339 time, or a duration such as 24h meaning that long ago")
	until := fs.String("until", "", "only entries before `T`, given as for --since")
	limit := fs.Int("limit", 100, "show at most `N` entries")
	asJSON := fs.Bool("json", false, "print the entries as a JSON list")
	if _, err := parseArgs(fs, args, 0, 0); err != nil {
		return err
	}
	if *limit < 1 {
		fmt.Fprintf(m.Stderr, "%s: --limit must be at least 1\n", fs.Name())
		return errUsage
	}
	now := time.Now()
	var err error
	if f.Since, err = parseWhen("since", *since, now); err != nil {
		return err
	}
	if f.Until, err = parseWhen("until", *until, now); err != nil {
		return err
	}
	c, err := m.apiClient()
	if err != nil {
		return err
	}
	entries := []*ferry.AuditEntry{}
	more := false
	for {
		f.Page.Limit = min(*limit-len(entries), ferry.MaxPageLimit)
		items, next, err := c.ListAudit(ctx, f)
		if err != nil {
			return err
		}
		entries = append(entries, items...)
		if next == "" {
			break
		}
		if len(entries) >= *limit {
			more = true
			break
		}
		f.Page.Cursor = next
	}
	if *asJSON {
		err = printJSON(m.Stdout, entries)
	} else {
		err = printAudit(m.Stdout, entries)
	}
	if err == nil && more {
		fmt.Fprintf(m.Stderr, "Showing the newest %d entries; there are more (raise --limit, or narrow with --since and --until).\n", len(entries))
	}
	return err
}

// printAudit prints audit entries as a table.
func printAudit(w io.Writer, entries []*ferry.AuditEntry) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tACTOR\tACTION\tTARGET\tSTATUS\tRESULT\tADDRESS")
	for _, e := range entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", formatTime(e.Time), e.Actor, e.Action, e.Target, e.Status, e.Result, e.RemoteAddr)
	}
	return tw.Flush()
}

// parseWhen reads the time flag name: an RFC 3339 time, or a duration before now.
func parseWhen(name, v string, now time.Time) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(v); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("--%s %q is neither an RFC 3339 time such as 2026-11-22T09:00:00Z nor a duration such as 24h or 90m", name, v)
}
