package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/ferrygit/ferry"
	ferryhttp "github.com/ferrygit/ferry/http"
)

func init() {
	register("blueprint", "manage catalog blueprints (create, list, get, update, delete)", func(ctx context.Context, m *Main, args []string) error {
		return runGroup(ctx, m, "blueprint", blueprintCommands, args)
	})
}

// blueprintCommands are the subcommands of "ferry blueprint".
var blueprintCommands = []subcommand{
	{name: "create", args: "NS -f FILE [--json]",
		summary: "Create a blueprint from a JSON or YAML file holding its identifier, title, schema and relations", run: runBlueprintCreate},
	{name: "list", args: "NS [--json]", summary: "List the blueprints of a namespace", run: runBlueprintList},
	{name: "get", args: "NS ID [--json]", summary: "Show a blueprint with its schema and relations", run: runBlueprintGet},
	{name: "update", args: "NS -f FILE [--force] [--json]",
		summary: "Replace a blueprint's title, schema and relations; refused while entities would break it, unless --force marks them invalid", run: runBlueprintUpdate},
	{name: "delete", args: "NS ID [--cascade]", summary: "Delete a blueprint; --cascade deletes its entities too", run: runBlueprintDelete},
}

// readBlueprint reads a blueprint request from a JSON or YAML file.
func readBlueprint(path string) (ferryhttp.BlueprintRequest, error) {
	var req ferryhttp.BlueprintRequest
	docs, err := readDocuments(path)
	if err != nil {
		return req, err
	}
	if len(docs) != 1 {
		return req, ferry.Errorf(ferry.EINVALID, "%s holds %d documents: write one blueprint object.", path, len(docs))
	}
	if err := decodeStrict(docs[0], &req); err != nil {
		return req, ferry.Errorf(ferry.EINVALID, "%s is not a blueprint: %s.", path, err)
	}
	return req, nil
}

// requireFile prints that -f is missing and the usage of fs, and returns errUsage.
func requireFile(m *Main, fs *flag.FlagSet) error {
	fmt.Fprintf(m.Stderr, "%s: -f FILE is required\n", fs.Name())
	fs.Usage()
	return errUsage
}

// blueprintWrite parses the flags of create and update and reads the file.
func blueprintWrite(m *Main, sub subcommand, args []string, force *bool) (ns string, req ferryhttp.BlueprintRequest, asJSON bool, err error) {
	fs := sub.flagSet(m, "blueprint")
	file := fs.String("f", "", "the blueprint `FILE`, JSON (*.json) or YAML (*.yaml, *.yml) (required)")
	j := fs.Bool("json", false, "print the blueprint as JSON")
	if force != nil {
		fs.BoolVar(force, "force", false, "change it even if entities break it: they are marked invalid")
	}
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return "", req, false, err
	}
	if *file == "" {
		return "", req, false, requireFile(m, fs)
	}
	req, err = readBlueprint(*file)
	return pos[0], req, *j, err
}

func runBlueprintCreate(ctx context.Context, m *Main, sub subcommand, args []string) error {
	ns, req, asJSON, err := blueprintWrite(m, sub, args, nil)
	if err != nil {
		return err
	}
	c, err := m.apiClient()
	if err != nil {
		return err
	}
	b, err := c.CreateBlueprint(ctx, ns, req)
	if err != nil {
		return err
	}
	if asJSON {
		return printJSON(m.Stdout, b)
	}
	fmt.Fprintf(m.Stdout, "Created blueprint %s/%s.\n", b.Namespace, b.Identifier)
	return nil
}

func runBlueprintUpdate(ctx context.Context, m *Main, sub subcommand, args []string) error {
	var force bool
	ns, req, asJSON, err := blueprintWrite(m, sub, args, &force)
	if err != nil {
		return err
	}
	c, err := m.apiClient()
	if err != nil {
		return err
	}
	b, err := c.UpdateBlueprint(ctx, ns, req, force)
	if err != nil {
		return m.showViolations(err)
	}
	if asJSON {
		return printJSON(m.Stdout, b)
	}
	fmt.Fprintf(m.Stdout, "Updated blueprint %s/%s.\n", b.Namespace, b.Identifier)
	if force {
		fmt.Fprintf(m.Stdout, "Entities that break it are marked invalid: 'ferry entity get %s %s ID' shows why.\n", b.Namespace, b.Identifier)
	}
	return nil
}

func runBlueprintList(ctx context.Context, m *Main, sub subcommand, args []string) error {
	fs := sub.flagSet(m, "blueprint")
	asJSON := fs.Bool("json", false, "print the blueprints as a JSON list")
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return err
	}
	c, err := m.apiClient()
	if err != nil {
		return err
	}
	all, err := c.ListBlueprints(ctx, pos[0])
	if err != nil {
		return err
	}
	if *asJSON {
		if all == nil {
			all = []*ferry.Blueprint{}
		}
		return printJSON(m.Stdout, all)
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "IDENTIFIER\tTITLE\tRELATIONS\tUPDATED")
	for _, b := range all {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", b.Identifier, b.Title, orDash(relationList(b.Relations)), formatTime(b.UpdatedAt))
	}
	return tw.Flush()
}

// relationList renders relations as "name→target, …" by name; "[]" marks many and "!" required.
func relationList(rels map[string]ferry.Relation) string {
	names := make([]string, 0, len(rels))
	for name := range rels {
		names = append(names, name)
	}
	slices.Sort(names)
	for i, name := range names {
		r := rels[name]
		names[i] = name + "→" + r.Target
		if r.Many {
			names[i] += "[]"
		}
		if r.Required {
			names[i] += "!"
		}
	}
	return strings.Join(names, ", ")
}

func runBlueprintGet(ctx context.Context, m *Main, sub subcommand, args []string) error {
	fs := sub.flagSet(m, "blueprint")
	asJSON := fs.Bool("json", false, "print the blueprint as JSON")
	pos, err := parseArgs(fs, args, 2, 2)
	if err != nil {
		return err
	}
	c, err := m.apiClient()
	if err != nil {
		return err
	}
	b, err := c.GetBlueprint(ctx, pos[0], pos[1])
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(m.Stdout, b)
	}
	return printBlueprint(m.Stdout, b)
}

// printBlueprint shows a blueprint: its fields, then its schema as indented JSON.
func printBlueprint(w io.Writer, b *ferry.Blueprint) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "Blueprint:\t%s/%s\nTitle:\t%s\nRelations:\t%s\nCreated:\t%s\nUpdated:\t%s\n",
		b.Namespace, b.Identifier, orDash(b.Title), orDash(relationList(b.Relations)), formatTime(b.CreatedAt), formatTime(b.UpdatedAt))
	if err := tw.Flush(); err != nil {
		return err
	}
	return printIndented(w, "Schema", b.Schema)
}

// printIndented writes "label:" and then v as JSON indented by two spaces.
func printIndented(w io.Writer, label string, v any) error {
	out, err := json.MarshalIndent(v, "  ", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s:\n  %s\n", label, out)
	return err
}

func runBlueprintDelete(ctx context.Context, m *Main, sub subcommand, args []string) error {
	fs := sub.flagSet(m, "blueprint")
	cascade := fs.Bool("cascade", false, "delete the blueprint's entities too")
	pos, err := parseArgs(fs, args, 2, 2)
	if err != nil {
		return err
	}
	c, err := m.apiClient()
	if err != nil {
		return err
	}
	if err := c.DeleteBlueprint(ctx, pos[0], pos[1], *cascade); err != nil {
		return err
	}
	what := ""
	if *cascade {
		what = " and its entities"
	}
	fmt.Fprintf(m.Stdout, "Deleted blueprint %s/%s%s.\n", pos[0], pos[1], what)
	return nil
}
