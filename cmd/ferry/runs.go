package main

import (
	"context"
	"fmt"
	"strconv"
	"text/tabwriter"

	"github.com/ferrygit/ferry"
)

func init() {
	register("runs", "show the runs of a binding (NS/BINDING [ID])", func(ctx context.Context, m *Main, args []string) error {
		return runTop(ctx, m, runsCommand, args)
	})
}

// runsCommand describes "ferry runs".
var runsCommand = subcommand{name: "runs", args: "NS/BINDING [ID] [--limit N] [--json]",
	summary: "List a binding's runs, newest first, or show run ID with its steps", run: runRuns}

func runRuns(ctx context.Context, m *Main, sub subcommand, args []string) error {
	fs := sub.topFlagSet(m)
	limit := fs.Int("limit", 20, fmt.Sprintf("list at most `N` runs (1 to %d)", ferry.MaxPageLimit))
	asJSON := fs.Bool("json", false, "print the runs as JSON")
	pos, err := parseArgs(fs, args, 1, 2)
	if err != nil {
		return err
	}
	if *limit < 1 || *limit > ferry.MaxPageLimit {
		fmt.Fprintf(m.Stderr, "%s: --limit must be from 1 to %d\n", fs.Name(), ferry.MaxPageLimit)
		return errUsage
	}
	ns, name, err := splitBinding(pos[0])
	if err != nil {
		return err
	}
	var id int64
	if len(pos) == 2 {
		if id, err = strconv.ParseInt(pos[1], 10, 64); err != nil || id < 1 {
			return fmt.Errorf("run ID %q is not a whole number from 1 up", pos[1])
		}
	}
	c, err := m.apiClient()
	if err != nil {
		return err
	}
	if id > 0 {
		run, err := c.FindRun(ctx, ns, name, id)
		if err != nil {
			return err
		}
		if *asJSON {
			return printJSON(m.Stdout, run)
		}
		printRun(m.Stdout, run, true)
		return nil
	}
	runs, _, err := c.ListRuns(ctx, ns, name, ferry.Page{Limit: *limit})
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(m.Stdout, runs)
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTRIGGER\tSTARTED\tDURATION\tRESULT\tCOMMITS\tCOUNTS")
	for _, r := range runs {
		result := r.Result
		if r.State != ferry.RunDone {
			result = r.State
		}
		commits := "-"
		if r.CommitBefore != "" || r.CommitAfter != "" {
			commits = orNone(short(r.CommitBefore)) + "→" + orNone(short(r.CommitAfter))
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t+%d ~%d -%d\n", r.ID, r.Trigger, when(r.StartedAt), duration(r), result, commits, r.Added, r.Modified, r.Deleted)
	}
	return tw.Flush()
}
