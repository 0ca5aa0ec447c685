package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/ferrygit/ferry"
)

func init() {
	register("sync", "pull every binding at or under a directory, as CI does (NS[/DIR] [--force] [--wait])", func(ctx context.Context, m *Main, args []string) error {
		return runTop(ctx, m, syncCommand, args)
	})
}

// syncCommand describes "ferry sync".
var syncCommand = subcommand{name: "sync", args: "NS[/DIR] [--force] [--wait [--timeout D]] [--json]",
	summary: "Queue a pull of every pulling binding of NS at or under DIR and print the runs; with --wait, wait for them and exit non-zero if one failed", run: runSync}

func runSync(ctx context.Context, m *Main, sub subcommand, args []string) error {
	fs := sub.topFlagSet(m)
	f := newWaitFlags(fs)
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	ns, dir, _ := strings.Cut(pos[0], "/")
	ctx, cancel, err := f.context(ctx, m, fs)
	if err != nil {
		return err
	}
	defer cancel()
	c, err := m.apiClient()
	if err != nil {
		return err
	}
	runs, err := c.Sync(ctx, ns, dir, *f.force, *f.wait)
	if err != nil {
		return err
	}
	switch {
	case *f.json:
		if runs == nil {
			runs = []*ferry.Run{}
		}
		if err := printJSON(m.Stdout, runs); err != nil {
			return err
		}
	case len(runs) == 0:
		fmt.Fprintf(m.Stdout, "No binding of %s pulls into /%s.\n", ns, ferry.CleanDir(dir))
	default:
		for _, r := range runs {
			printRun(m.Stdout, r, false)
		}
	}
	return runOutcome(runs, *f.wait)
}
