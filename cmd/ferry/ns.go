package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"
)

func init() {
	register("ns", "manage namespaces (create, list, get, delete)", func(ctx context.Context, m *Main, args []string) error {
		return runGroup(ctx, m, "ns", nsCommands, args)
	})
}

// nsCommands are the subcommands of "ferry ns".
var nsCommands = []subcommand{
	{name: "create", args: "NAME [--json]", summary: "Create a namespace", run: runNSCreate},
	{name: "list", args: "[--json]", summary: "List namespaces", run: runNSList},
	{name: "get", args: "NAME [--json]", summary: "Show a namespace", run: runNSGet},
	{name: "delete", args: "NAME", summary: "Delete a namespace with all its files and revisions", run: runNSDelete},
}

func runNSCreate(ctx context.Context, m *Main, sub subcommand, args []string) error {
	fs := sub.flagSet(m, "ns")
	asJSON := fs.Bool("json", false, "print the namespace as JSON")
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	c, err := m.apiClient()
	if err != nil {
		return err
	}
	ns, err := c.CreateNamespace(ctx, pos[0])
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(m.Stdout, ns)
	}
	fmt.Fprintf(m.Stdout, "Created namespace %s.\n", ns.Name)
	return nil
}

func runNSList(ctx context.Context, m *Main, sub subcommand, args []string) error {
	fs := sub.flagSet(m, "ns")
	asJSON := fs.Bool("json", false, "print the namespaces as a JSON list")
	if _, err := parseArgs(fs, args, 0, 0); err != nil {
		return err
	}
	c, err := m.apiClient()
	if err != nil {
		return err
	}
	all, err := listAll(ctx, c.ListNamespaces)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(m.Stdout, all)
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tHEAD\tCREATED")
	for _, ns := range all {
		fmt.Fprintf(tw, "%s\t%d\t%s\n", ns.Name, ns.Head, ns.CreatedAt.UTC().Format(time.RFC3339))
	}
	return tw.Flush()
}

func runNSGet(ctx context.Context, m *Main, sub subcommand, args []string) error {
	fs := sub.flagSet(m, "ns")
	asJSON := fs.Bool("json", false, "print the namespace as JSON")
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	c, err := m.apiClient()
	if err != nil {
		return err
	}
	ns, err := c.FindNamespace(ctx, pos[0])
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(m.Stdout, ns)
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "Name:\t%s\nHead revision:\t%d\nCreated:\t%s\n", ns.Name, ns.Head, ns.CreatedAt.UTC().Format(time.RFC3339))
	return tw.Flush()
}

func runNSDelete(ctx context.Context, m *Main, sub subcommand, args []string) error {
	fs := sub.flagSet(m, "ns")
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	c, err := m.apiClient()
	if err != nil {
		return err
	}
	if err := c.DeleteNamespace(ctx, pos[0]); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Deleted namespace %s.\n", pos[0])
	return nil
}
