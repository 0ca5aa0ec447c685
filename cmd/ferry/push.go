package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ferrygit/ferry"
)

func init() {
	register("push", "push a binding's directory to Git as a commit, optionally tagged (NS/BINDING [--tag T] [--dry-run])", func(ctx context.Context, m *Main, args []string) error {
		return runTop(ctx, m, pushCommand, args)
	})
}

// pushCommand describes "ferry push".
var pushCommand = subcommand{name: "push",
	args:    "NS/BINDING [--message M] [--tag T [--tag-message M]] [--revision N] [--dry-run] [--force] [--wait [--timeout D]] [--json]",
	summary: "Queue a push of a binding's directory to its branch and print its run, or with --dry-run print what it would change; exit non-zero if the push failed or would conflict",
	run:     runPush}

func runPush(ctx context.Context, m *Main, sub subcommand, args []string) error {
	fs := sub.topFlagSet(m)
	f := waitFlags{
		force:   fs.Bool("force", false, "push even over changes made on the branch under the binding's path since the last sync"),
		wait:    fs.Bool("wait", false, "wait until the push ends, and exit non-zero if it failed"),
		timeout: fs.Duration("timeout", 2*time.Minute, "with --wait, how long to wait (at most 15m)"),
		json:    fs.Bool("json", false, "print the run, or the plan, as JSON"),
	}
	message := fs.String("message", "", "the commit message (default: one naming the revision)")
	tag := fs.String("tag", "", "create an annotated tag of this `name` on the pushed commit")
	tagMessage := fs.String("tag-message", "", "the tag's message (needs --tag)")
	revision := fs.Int64("revision", 0, "push the namespace's revision `N` (default: the newest)")
	dryRun := fs.Bool("dry-run", false, "only print what the push would change on the branch")
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if *tagMessage != "" && !flagGiven(fs, "tag") {
		fmt.Fprintf(m.Stderr, "%s: --tag-message needs --tag\n", fs.Name())
		return errUsage
	}
	ns, name, err := splitBinding(pos[0])
	if err != nil {
		return err
	}
	req := ferry.PushRequest{Message: *message, Force: *f.force, Revision: *revision}
	if flagGiven(fs, "tag") { // an empty --tag "" reaches the server, which says why it is bad
		req.Tag = &ferry.TagSpec{Name: *tag, Message: *tagMessage}
	}
	c, err := m.apiClient()
	if err != nil {
		return err
	}
	if *dryRun {
		plan, err := c.PlanPush(ctx, ns, name, req)
		if err != nil {
			return err
		}
		return showPlan(m.Stdout, ns, name, plan, *f.json, *f.force)
	}
	ctx, cancel, err := f.context(ctx, m, fs)
	if err != nil {
		return err
	}
	defer cancel()
	run, err := c.Push(ctx, ns, name, req, *f.wait)
	if err != nil {
		return err
	}
	if *f.json {
		if err := printJSON(m.Stdout, run); err != nil {
			return err
		}
	} else {
		if run.Tag == "" && req.Tag != nil {
			run.Tag = req.Tag.Name // the tag asked for, should the server not echo it
		}
		printRun(m.Stdout, run, *f.wait)
	}
	return runOutcome([]*ferry.Run{run}, *f.wait)
}

// flagGiven reports whether flag name was set on the command line.
func flagGiven(fs *flag.FlagSet, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}

// showPlan prints a dry run's plan, as JSON when asJSON is set, and returns an error when
// the push or pull would conflict.
func showPlan(w io.Writer, ns, name string, plan *ferry.SyncPlan, asJSON, forced bool) error {
	if asJSON {
		if plan.Changes == nil {
			plan.Changes = []ferry.PlanChange{}
		}
		if err := printJSON(w, plan); err != nil {
			return err
		}
	} else {
		printPlan(w, ns, name, plan)
	}
	return planOutcome(plan, forced)
}

// printPlan shows what a push or pull would do: the commits it compares, each path it would
// change ("+ path (size)", "~ path", "- path"), the totals, and any conflict.
func printPlan(w io.Writer, ns, name string, p *ferry.SyncPlan) {
	side := "the branch"
	if p.Kind == ferry.RunPull {
		side = "the namespace"
	}
	fmt.Fprintf(w, "Dry run of a %s of %s/%s: nothing was changed.\n", orDash(p.Kind), ns, name)
	tw := tabwriter.NewWriter(w, 0, 4, 1, ' ', 0)
	fmt.Fprintf(tw, "  branch:\t%s\n", orDash(p.Ref))
	remote := p.RemoteCommit
	if remote == "" {
		remote = "none (the branch does not exist yet)"
	}
	fmt.Fprintf(tw, "  remote commit:\t%s\n", remote)
	fmt.Fprintf(tw, "  synced commit:\t%s\n", orNone(p.SyncedCommit))
	if p.Revision > 0 {
		fmt.Fprintf(tw, "  revision:\t%d\n", p.Revision)
	}
	if p.Message != "" {
		fmt.Fprintf(tw, "  message:\t%s\n", p.Message)
	}
	tw.Flush()
	if len(p.Changes) > 0 {
		fmt.Fprintf(w, "  changes to %s:\n", side)
	}
	for _, c := range p.Changes {
		switch c.Action {
		case ferry.ActionAdded:
			fmt.Fprintf(w, "    + %s (%s)\n", c.Path, ferry.HumanBytes(c.Size))
		case ferry.ActionModified:
			fmt.Fprintf(w, "    ~ %s\n", c.Path)
		case ferry.ActionDeleted:
			fmt.Fprintf(w, "    - %s\n", c.Path)
		default:
			fmt.Fprintf(w, "    ? %s (%s)\n", c.Path, c.Action)
		}
	}
	fmt.Fprintf(w, "  %d added, %d modified, %d deleted", p.Added, p.Modified, p.Deleted)
	if p.UpToDate {
		fmt.Fprintf(w, ": up to date, %s would not change", side)
	}
	fmt.Fprintln(w)
	if p.Conflict {
		if len(p.ConflictPaths) > 0 {
			fmt.Fprintf(w, "conflict: these paths changed on both sides: %s\n", strings.Join(p.ConflictPaths, ", "))
		} else {
			fmt.Fprintln(w, "conflict: both sides changed since the last sync")
		}
	}
}

// planOutcome returns an error when a plan would conflict.
func planOutcome(p *ferry.SyncPlan, forced bool) error {
	if !p.Conflict {
		return nil
	}
	msg := fmt.Sprintf("the %s would conflict: both sides changed since the last sync", orDash(p.Kind))
	if n := len(p.ConflictPaths); n > 0 {
		msg = fmt.Sprintf("the %s would conflict: %d path%s changed on both sides since the last sync", orDash(p.Kind), n, plural(n))
	}
	if !forced {
		msg += "; --force overrides"
	}
	return errors.New(msg)
}
