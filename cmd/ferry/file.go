package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/ferrygit/ferry"
	ferryhttp "github.com/ferrygit/ferry/http"
)

func init() {
	register("file", "read and write files (put, get, ls, rm)", func(ctx context.Context, m *Main, args []string) error {
		return runGroup(ctx, m, "file", fileCommands, args)
	})
}

// fileCommands are the subcommands of "ferry file".
var fileCommands = []subcommand{
	{name: "put", args: "NS PATH [FILE|-] [--message M] [--mode MODE] [--base N] [--json]", summary: "Write a file from FILE, or from standard input when FILE is - or missing", run: runFilePut},
	{name: "get", args: "NS PATH [--revision N]", summary: "Write a file's content to standard output", run: runFileGet},
	{name: "ls", args: "NS [DIR] [-r] [--revision N] [--json]", summary: "List a directory", run: runFileLs},
	{name: "rm", args: "NS PATH [--message M] [--json]", summary: "Delete a file", run: runFileRm},
}

func runFilePut(ctx context.Context, m *Main, sub subcommand, args []string) error {
	fs := sub.flagSet(m, "file")
	message := fs.String("message", "", "the revision's message")
	mode := fs.String("mode", "", "the file's mode: file, executable or symlink (default: keep the current mode; file for a new one)")
	base := fs.Int64("base", 0, "fail unless the namespace is still at revision `N`")
	asJSON := fs.Bool("json", false, "print the revision as JSON")
	pos, err := parseArgs(fs, args, 2, 3)
	if err != nil {
		return err
	}
	src := "-"
	if len(pos) == 3 {
		src = pos[2]
	}
	content, err := m.readInput(src)
	if err != nil {
		return err
	}
	c, err := m.apiClient()
	if err != nil {
		return err
	}
	opts := ferryhttp.PutFileOptions{Message: *message, Mode: ferry.Mode(*mode), Base: *base}
	rev, created, err := c.PutFile(ctx, pos[0], pos[1], content, opts)
	if err != nil {
		return err
	}
	switch {
	case *asJSON:
		return printJSON(m.Stdout, rev)
	case created:
		fmt.Fprintf(m.Stdout, "Wrote %s in %s: revision %d.\n", pos[1], pos[0], rev.Number)
	default:
		fmt.Fprintf(m.Stdout, "%s is unchanged; %s stays at revision %d.\n", pos[1], pos[0], rev.Number)
	}
	return nil
}

// readInput reads the file named src, or standard input when src is "-".
func (m *Main) readInput(src string) ([]byte, error) {
	if src != "-" {
		return os.ReadFile(src)
	}
	if m.Stdin == nil {
		return nil, errors.New("no standard input to read the content from; name a FILE")
	}
	return io.ReadAll(m.Stdin)
}

func runFileGet(ctx context.Context, m *Main, sub subcommand, args []string) error {
	fs := sub.flagSet(m, "file")
	rev := fs.Int64("revision", 0, "read the file as it was at revision `N` (default: the newest)")
	pos, err := parseArgs(fs, args, 2, 2)
	if err != nil {
		return err
	}
	c, err := m.apiClient()
	if err != nil {
		return err
	}
	f, err := c.GetFile(ctx, pos[0], pos[1], *rev)
	if err != nil {
		return err
	}
	_, err = m.Stdout.Write(f.Content)
	return err
}

func runFileLs(ctx context.Context, m *Main, sub subcommand, args []string) error {
	fs := sub.flagSet(m, "file")
	var q ferry.TreeQuery
	fs.BoolVar(&q.Recursive, "r", false, "list every file below DIR")
	fs.BoolVar(&q.Recursive, "recursive", false, "the same as -r")
	fs.Int64Var(&q.Revision, "revision", 0, "list the directory as it was at revision `N` (default: the newest)")
	asJSON := fs.Bool("json", false, "print the entries as a JSON list")
	pos, err := parseArgs(fs, args, 1, 2)
	if err != nil {
		return err
	}
	if len(pos) == 2 {
		q.Dir = pos[1]
	}
	c, err := m.apiClient()
	if err != nil {
		return err
	}
	entries, err := listTree(ctx, c, pos[0], q)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(m.Stdout, entries)
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MODE\tSIZE\tPATH")
	for _, e := range entries {
		if e.Type == ferry.EntryDir {
			fmt.Fprintf(tw, "dir\t-\t%s/\n", e.Path)
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\n", e.Mode, e.Size, e.Path)
	}
	return tw.Flush()
}

// listTree returns every entry a tree query selects, following the pages.
func listTree(ctx context.Context, c *ferryhttp.Client, ns string, q ferry.TreeQuery) ([]*ferry.TreeEntry, error) {
	all := []*ferry.TreeEntry{}
	q.Page = ferry.Page{Limit: ferry.MaxPageLimit}
	for {
		items, next, err := c.ListTree(ctx, ns, q)
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
		if next == "" {
			return all, nil
		}
		q.Page.Cursor = next
	}
}

func runFileRm(ctx context.Context, m *Main, sub subcommand, args []string) error {
	fs := sub.flagSet(m, "file")
	message := fs.String("message", "", "the revision's message")
	asJSON := fs.Bool("json", false, "print the revision as JSON")
	pos, err := parseArgs(fs, args, 2, 2)
	if err != nil {
		return err
	}
	c, err := m.apiClient()
	if err != nil {
		return err
	}
	rev, err := c.DeleteFile(ctx, pos[0], pos[1], *message)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(m.Stdout, rev)
	}
	fmt.Fprintf(m.Stdout, "Deleted %s from %s: revision %d.\n", pos[1], pos[0], rev.Number)
	return nil
}
