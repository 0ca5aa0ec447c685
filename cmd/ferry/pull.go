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
	register("pull", "pull a binding from Git now (NS/BINDING [--force] [--wait] [--dry-run])", func(ctx context.Context, m *Main, args []string) error {
		return runTop(ctx, m, pullCommand, args)
	})
}

// pullCommand describes "ferry pull".
var pullCommand = subcommand{name: "pull", args: "NS/BINDING [--force] [--wait [--timeout D]] [--dry-run] [--json]",
	summary: "Queue a pull of a binding and print its run; with --wait, wait for it to end and exit non-zero if it failed; with --dry-run, print what it would change and exit non-zero if it would conflict", run: runPull}

// runTop runs a command that has no group, such as "ferry pull", as runGroup runs a
// group's subcommand.
func runTop(ctx context.Context, m *Main, cmd subcommand, args []string) error {
	err := cmd.run(ctx, m, cmd, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return cliError(err)
}

// topFlagSet returns the flag set of a command that has no group.
func (sub subcommand) topFlagSet(m *Main) *flag.FlagSet {
	fs := flag.NewFlagSet("ferry "+sub.name, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(m.Stderr, "Usage: ferry %s %s\n\n%s.\n", sub.name, sub.args, sub.summary)
		if hasFlags(fs) {
			fmt.Fprintln(m.Stderr, "\nFlags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

// waitFlags are the flags of a command that may wait for its runs.
type waitFlags struct {
	force, wait, json *bool
	timeout           *time.Duration
}

func newWaitFlags(fs *flag.FlagSet) waitFlags {
	return waitFlags{
		force:   fs.Bool("force", false, "apply the remote's commit even if it is the one applied already"),
		wait:    fs.Bool("wait", false, "wait until the runs end, and exit non-zero if one failed"),
		timeout: fs.Duration("timeout", 2*time.Minute, "with --wait, how long to wait (at most 15m)"),
		json:    fs.Bool("json", false, "print the runs as JSON"),
	}
}

// context returns the context a command that may wait runs in: with --wait, bounded by
// --timeout plus a margin, for the server to answer when its wait of --timeout ends.
func (f waitFlags) context(ctx context.Context, m *Main, fs *flag.FlagSet) (context.Context, context.CancelFunc, error) {
	if !*f.wait {
		return ctx, func() {}, nil
	}
	if *f.timeout < time.Second || *f.timeout > 15*time.Minute {
		fmt.Fprintf(m.Stderr, "%s: --timeout must be from 1s to 15m\n", fs.Name())
		return nil, nil, errUsage
	}
	ctx, cancel := context.WithTimeout(ctx, *f.timeout+2*time.Second)
	return ctx, cancel, nil
}

func runPull(ctx context.Context, m *Main, sub subcommand, args []string) error {
	fs := sub.topFlagSet(m)
	f := newWaitFlags(fs)
	dryRun := fs.Bool("dry-run", false, "only print what the pull would change in the namespace")
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	ns, name, err := splitBinding(pos[0])
	if err != nil {
		return err
	}
	if *dryRun {
		c, err := m.apiClient()
		if err != nil {
			return err
		}
		plan, err := c.PlanPull(ctx, ns, name, *f.force)
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
	c, err := m.apiClient()
	if err != nil {
		return err
	}
	run, err := c.Pull(ctx, ns, name, *f.force, *f.wait)
	if err != nil {
		return err
	}
	if *f.json {
		err = printJSON(m.Stdout, run)
	} else {
		printRun(m.Stdout, run, *f.wait)
	}
	if err != nil {
		return err
	}
	return runOutcome([]*ferry.Run{run}, *f.wait)
}

// runOutcome returns an error if a run ended other than applied or up to date (failed,
// stalled, refused as a conflict), or, when the command waited, is not done yet.
func runOutcome(runs []*ferry.Run, waited bool) error {
	var bad []string
	for _, r := range runs {
		switch {
		case r.State == ferry.RunDone && r.Result != ferry.ResultApplied && r.Result != ferry.ResultUpToDate:
			msg := fmt.Sprintf("run %d of %s/%s %s", r.ID, r.Namespace, r.Binding, r.Result)
			if r.Error != nil && r.Error.Reason != "" {
				msg += " (" + r.Error.Reason + ")"
			}
			bad = append(bad, msg)
		case waited && r.State != ferry.RunDone:
			bad = append(bad, fmt.Sprintf("run %d of %s/%s is still %s; follow it with 'ferry runs %s/%s %d'", r.ID, r.Namespace, r.Binding, r.State, r.Namespace, r.Binding, r.ID))
		}
	}
	if len(bad) > 0 {
		return errors.New(strings.Join(bad, "; "))
	}
	return nil
}

// printRun shows a run: what it is, how it ended and what it changed, and with steps its
// log.
func printRun(w io.Writer, r *ferry.Run, steps bool) {
	status := r.State
	if r.State == ferry.RunDone {
		status = r.Result
	}
	by := r.Trigger
	if r.Actor != "" {
		by += " by " + r.Actor
	}
	if r.Force {
		by += ", forced"
	}
	fmt.Fprintf(w, "Run %d of %s/%s: %s (%s)\n", r.ID, r.Namespace, r.Binding, status, by)
	tw := tabwriter.NewWriter(w, 0, 4, 1, ' ', 0)
	if r.StartedAt != nil {
		fmt.Fprintf(tw, "  started:\t%s, took %s (attempt %d)\n", when(r.StartedAt), duration(r), r.Attempt)
	}
	succeeded := r.State == ferry.RunDone && (r.Result == ferry.ResultApplied || r.Result == ferry.ResultUpToDate)
	if succeeded || r.CommitBefore != "" || r.CommitAfter != "" {
		fmt.Fprintf(tw, "  commit:\t%s → %s\n", orNone(r.CommitBefore), orNone(r.CommitAfter))
	}
	if succeeded {
		fmt.Fprintf(tw, "  files:\t%d added, %d modified, %d deleted", r.Added, r.Modified, r.Deleted)
		if r.Revision > 0 {
			fmt.Fprintf(tw, " (revision %d)", r.Revision)
		}
		fmt.Fprintln(tw)
	}
	if r.Tag != "" {
		fmt.Fprintf(tw, "  tag:\t%s\n", r.Tag)
	}
	if e := r.Error; e != nil {
		fmt.Fprintf(tw, "  error:\t%s: %s\n", e.Reason, e.Message)
	}
	if len(r.ConflictPaths) > 0 {
		fmt.Fprintf(tw, "  conflict:\tthese paths changed on both sides: %s\n", strings.Join(r.ConflictPaths, ", "))
	}
	tw.Flush()
	if steps && len(r.Steps) > 0 {
		fmt.Fprintln(w, "  steps:")
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, s := range r.Steps {
			fmt.Fprintf(tw, "    %s\t%s\t%s\t%s\n", s.Name, s.Result, time.Duration(s.DurationMS)*time.Millisecond, s.Message)
		}
		tw.Flush()
	}
}

// duration shows how long a run took.
func duration(r *ferry.Run) string {
	if r.FinishedAt == nil {
		return "-"
	}
	return (time.Duration(r.DurationMS) * time.Millisecond).String()
}

// short abbreviates a commit hash.
func short(commit string) string {
	if len(commit) > 12 {
		return commit[:12]
	}
	return commit
}
