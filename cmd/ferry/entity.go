package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/ferrygit/ferry"
	ferryhttp "github.com/ferrygit/ferry/http"
	"github.com/ferrygit/ferry/schema"
)

func init() {
	register("entity", "manage catalog entities (upsert, validate, get, list, delete, history)", func(ctx context.Context, m *Main, args []string) error {
		return runGroup(ctx, m, "entity", entityCommands, args)
	})
}

// entityCommands are the subcommands of "ferry entity".
var entityCommands = []subcommand{
	{name: "upsert", args: "NS -f FILE [-f FILE…] [--blueprint BP] [--force]",
		summary: "Create or replace the entities of JSON or YAML files (one entity or a list each), in batches of 500", run: runEntityUpsert},
	{name: "validate", args: "NS -f FILE [-f FILE…] [--blueprint BP]",
		summary: "Check entity files against their blueprints on the server without writing; exit status 1 when one is invalid", run: runEntityValidate},
	{name: "get", args: "NS BP ID [--json]", summary: "Show an entity", run: runEntityGet},
	{name: "list", args: "NS BP [--search S] [--property NAME=VALUE…] [--json]",
		summary: "List a blueprint's entities, by identifier", run: runEntityList},
	{name: "delete", args: "NS BP ID [--force]", summary: "Delete an entity; one kept in Git only with --force", run: runEntityDelete},
	{name: "history", args: "NS BP ID [--json]", summary: "List an entity's changes, newest first", run: runEntityHistory},
}

// bulkSize is how many entities the CLI sends in one bulk write.
const bulkSize = 500

// readDocuments reads the objects of a JSON or YAML file, chosen by its extension.
func readDocuments(path string) ([]map[string]any, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s does not exist", path)
	} else if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return schema.DecodeDocument(path, data)
}

// decodeStrict decodes doc into v, refusing fields v does not have.
func decodeStrict(doc map[string]any, v any) error {
	b, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), "json: "))
	}
	return nil
}

// fileEntity is one entity read from a file.
type fileEntity struct {
	where string // file and entry, for messages
	req   ferryhttp.EntityRequest
}

func (e *fileEntity) name() string { return e.req.Blueprint + "/" + e.req.Identifier }

// readEntities reads the entities of files; blueprint is the one of entities that name
// none. Every entity comes back with its blueprint set.
func readEntities(files []string, blueprint string) ([]*fileEntity, error) {
	var all []*fileEntity
	for _, path := range files {
		docs, err := readDocuments(path)
		if err != nil {
			return nil, err
		}
		for i, doc := range docs {
			e := &fileEntity{where: path}
			if len(docs) > 1 {
				e.where = fmt.Sprintf("%s, entry %d", path, i+1)
			}
			if err := decodeStrict(doc, &e.req); err != nil {
				return nil, ferry.Errorf(ferry.EINVALID, "%s is not an entity: %s.", e.where, err)
			}
			switch {
			case e.req.Blueprint == "" && blueprint == "":
				return nil, ferry.Errorf(ferry.EINVALID, "%s names no blueprint: add a \"blueprint\" field or pass --blueprint.", e.where)
			case e.req.Blueprint == "":
				e.req.Blueprint = blueprint
			case blueprint != "" && e.req.Blueprint != blueprint:
				return nil, ferry.Errorf(ferry.EINVALID, "%s names blueprint %q, but --blueprint says %q.", e.where, e.req.Blueprint, blueprint)
			}
			all = append(all, e)
		}
	}
	return all, nil
}

// entityFiles parses the flags of upsert and validate, adds their own with more, and
// reads the files.
func entityFiles(m *Main, sub subcommand, args []string, more func(*flag.FlagSet)) (string, []*fileEntity, error) {
	fs := sub.flagSet(m, "entity")
	var files stringsFlag
	fs.Var(&files, "f", "an entity `FILE`, JSON (*.json) or YAML (*.yaml, *.yml), holding one entity or a list; repeat for more")
	blueprint := fs.String("blueprint", "", "the blueprint of entities that name none")
	if more != nil {
		more(fs)
	}
	pos, err := parseArgs(fs, args, 1, 1)
	if err != nil {
		return "", nil, err
	}
	if len(files) == 0 {
		return "", nil, requireFile(m, fs)
	}
	entities, err := readEntities(files, *blueprint)
	return pos[0], entities, err
}

// showViolations prints the violations err lists, one a line, to m.Stderr, and returns err.
func (m *Main) showViolations(err error) error {
	var ee *ferry.EntityError
	if errors.As(err, &ee) {
		fmt.Fprintln(m.Stderr, "Violations:")
		for _, v := range ee.Violations {
			where := v.Pointer
			if v.Entity != "" {
				where = v.Entity + " " + v.Pointer
			}
			fmt.Fprintf(m.Stderr, "  %s: %s\n", where, v.Message)
		}
	}
	return err
}

func runEntityUpsert(ctx context.Context, m *Main, sub subcommand, args []string) error {
	var force bool
	ns, entities, err := entityFiles(m, sub, args, func(fs *flag.FlagSet) {
		fs.BoolVar(&force, "force", false, "overwrite entities kept in Git (the next pull puts Git's version back)")
	})
	if err != nil {
		return err
	}
	c, err := m.apiClient()
	if err != nil {
		return err
	}
	if len(entities) == 1 {
		e, err := c.PutEntity(ctx, ns, entities[0].req.Blueprint, entities[0].req, true, force)
		if err != nil {
			return m.showViolations(err)
		}
		fmt.Fprintf(m.Stdout, "Wrote %s/%s.\n", e.Blueprint, e.Identifier)
		if len(e.Dangling) > 0 {
			fmt.Fprintf(m.Stdout, "Its relations name entities that do not exist yet: %s.\n", strings.Join(e.Dangling, ", "))
		}
		return nil
	}
	written := 0
	for _, group := range byBlueprint(entities) {
		bp := group[0].Blueprint
		for batch := range slices.Chunk(group, bulkSize) {
			n, err := c.BulkEntities(ctx, ns, bp, batch, true, force)
			if err != nil {
				if written > 0 {
					fmt.Fprintf(m.Stderr, "Wrote %d of the %d entities before this error.\n", written, len(entities))
				}
				return m.showViolations(err)
			}
			written += n
			fmt.Fprintf(m.Stdout, "Wrote %d entit%s of blueprint %s: %s.\n", n, entityPlural(n), bp, strings.Join(identifiers(batch, 10), ", "))
		}
	}
	return nil
}

func entityPlural(n int) string {
	if n == 1 {
		return "y"
	}
	return "ies"
}

// byBlueprint groups entities by blueprint, in the order the blueprints first appear.
func byBlueprint(entities []*fileEntity) [][]ferryhttp.EntityRequest {
	index := map[string]int{}
	var groups [][]ferryhttp.EntityRequest
	for _, e := range entities {
		i, ok := index[e.req.Blueprint]
		if !ok {
			i = len(groups)
			index[e.req.Blueprint] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], e.req)
	}
	return groups
}

// identifiers lists the identifiers of entities, the first n and how many more.
func identifiers(entities []ferryhttp.EntityRequest, n int) []string {
	ids := make([]string, 0, n+1)
	for _, e := range entities[:min(n, len(entities))] {
		ids = append(ids, e.Identifier)
	}
	if len(entities) > n {
		ids = append(ids, fmt.Sprintf("and %d more", len(entities)-n))
	}
	return ids
}

func runEntityValidate(ctx context.Context, m *Main, sub subcommand, args []string) error {
	ns, entities, err := entityFiles(m, sub, args, nil)
	if err != nil {
		return err
	}
	c, err := m.apiClient()
	if err != nil {
		return err
	}
	type compiled struct {
		b *ferry.Blueprint
		s *schema.Schema
	}
	blueprints := map[string]compiled{}
	seen := map[string]bool{}
	invalid := 0
	for _, e := range entities {
		bp, ok := blueprints[e.req.Blueprint]
		if !ok {
			b, err := c.GetBlueprint(ctx, ns, e.req.Blueprint)
			if err != nil {
				return fmt.Errorf("%s: %w", e.where, err)
			}
			s, err := schema.Compile(b.Schema)
			if err != nil {
				return fmt.Errorf("the schema of blueprint %s: %w", b.Identifier, err)
			}
			bp = compiled{b, s}
			blueprints[b.Identifier] = bp
		}
		v := entityViolations(bp.b, bp.s, &e.req)
		if seen[e.name()] {
			v = append(v, ferry.Violation{Pointer: "/identifier", Message: "an entity with this identifier came before"})
		}
		seen[e.name()] = true
		if len(v) == 0 {
			fmt.Fprintf(m.Stdout, "valid:   %s\n", e.name())
			continue
		}
		invalid++
		fmt.Fprintf(m.Stdout, "invalid: %s (%s)\n", e.name(), e.where)
		for _, x := range v {
			fmt.Fprintf(m.Stdout, "  %s: %s\n", x.Pointer, x.Message)
		}
	}
	if invalid > 0 {
		fmt.Fprintf(m.Stdout, "Invalid: %d of %d entit%s.\n", invalid, len(entities), entityPlural(len(entities)))
		return errCheckFailed
	}
	fmt.Fprintf(m.Stdout, "Valid: %d entit%s.\n", len(entities), entityPlural(len(entities)))
	return nil
}

// entityViolations returns how e breaks blueprint b, whose schema is s: the checks the
// server makes before it writes an entity, except whether its relations' targets exist.
func entityViolations(b *ferry.Blueprint, s *schema.Schema, e *ferryhttp.EntityRequest) []ferry.Violation {
	if err := ferry.ValidateIdentifier("Identifier", e.Identifier); err != nil {
		return []ferry.Violation{{Pointer: "/identifier", Message: ferry.ErrorMessage(err)}}
	}
	var v []ferry.Violation
	if len(e.Title) > 255 {
		v = append(v, ferry.Violation{Pointer: "/title", Message: "longer than 255 bytes"})
	}
	v = append(v, s.Validate(e.Properties)...)
	names := make([]string, 0, len(b.Relations)+len(e.Relations))
	for name := range b.Relations {
		names = append(names, name)
	}
	for name := range e.Relations {
		if _, ok := b.Relations[name]; !ok {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		r, known := b.Relations[name]
		raw, set := e.Relations[name]
		set = set && string(raw) != "null"
		var msg string
		switch {
		case !known:
			msg = fmt.Sprintf("blueprint %q has no relation %q", b.Identifier, name)
		case !set && r.Required:
			msg = fmt.Sprintf("relation %q to %s is required", name, r.Target)
		case set && r.Many && json.Unmarshal(raw, new([]string)) != nil:
			msg = "must be a list of entity identifiers"
		case set && !r.Many && json.Unmarshal(raw, new(string)) != nil:
			msg = "must be one entity identifier (a string)"
		default:
			continue
		}
		v = append(v, ferry.Violation{Pointer: "/relations/" + name, Message: msg})
	}
	return v
}

func runEntityGet(ctx context.Context, m *Main, sub subcommand, args []string) error {
	fs := sub.flagSet(m, "entity")
	asJSON := fs.Bool("json", false, "print the entity as JSON")
	pos, err := parseArgs(fs, args, 3, 3)
	if err != nil {
		return err
	}
	c, err := m.apiClient()
	if err != nil {
		return err
	}
	e, err := c.GetEntity(ctx, pos[0], pos[1], pos[2])
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(m.Stdout, e)
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "Entity:\t%s/%s/%s\nTitle:\t%s\nSource:\t%s\nCreated:\t%s\nUpdated:\t%s\n",
		e.Namespace, e.Blueprint, e.Identifier, orDash(e.Title), sourceText(e.Source), formatTime(e.CreatedAt), formatTime(e.UpdatedAt))
	if len(e.Dangling) > 0 {
		fmt.Fprintf(tw, "Dangling:\t%s\n", strings.Join(e.Dangling, ", "))
	}
	if e.Invalid {
		fmt.Fprintln(tw, "Invalid:\tthe blueprint changed and this entity breaks it")
		for _, v := range e.Violations {
			fmt.Fprintf(tw, "\t%s: %s\n", v.Pointer, v.Message)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if err := printIndented(m.Stdout, "Properties", e.Properties); err != nil {
		return err
	}
	if len(e.Relations) > 0 {
		return printIndented(m.Stdout, "Relations", e.Relations)
	}
	return nil
}

// sourceText says where an entity's data came from: "PATH@COMMIT" for Git, "api ACTOR"
// for the API.
func sourceText(p ferry.Provenance) string {
	if p.Source == ferry.SourceGit {
		return p.Path + "@" + p.Commit[:min(12, len(p.Commit))]
	}
	return strings.TrimSpace(p.Source + " " + p.Actor)
}

// propertyFlag collects NAME=VALUE pairs from repeated flags.
type propertyFlag map[string]string

func (p propertyFlag) String() string { return "" }

func (p propertyFlag) Set(v string) error {
	name, value, ok := strings.Cut(v, "=")
	if !ok || name == "" {
		return fmt.Errorf("%q is not NAME=VALUE", v)
	}
	p[name] = value
	return nil
}

// stringsFlag collects the values of a repeated flag.
type stringsFlag []string

func (s *stringsFlag) String() string { return strings.Join(*s, ",") }

func (s *stringsFlag) Set(v string) error {
	*s = append(*s, v)
	return nil
}

func runEntityList(ctx context.Context, m *Main, sub subcommand, args []string) error {
	fs := sub.flagSet(m, "entity")
	search := fs.String("search", "", "only entities whose identifier or title contains `TEXT`, in any case")
	props := propertyFlag{}
	fs.Var(props, "property", "only entities whose property `NAME=VALUE` (its JSON text, or a string's value); repeat for more")
	asJSON := fs.Bool("json", false, "print the entities as a JSON list")
	pos, err := parseArgs(fs, args, 2, 2)
	if err != nil {
		return err
	}
	c, err := m.apiClient()
	if err != nil {
		return err
	}
	all, err := listAll(ctx, func(ctx context.Context, page ferry.Page) ([]*ferry.Entity, string, error) {
		return c.ListEntities(ctx, pos[0], pos[1], *search, props, page)
	})
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(m.Stdout, all)
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "IDENTIFIER\tTITLE\tSOURCE\tUPDATED")
	for _, e := range all {
		id := e.Identifier
		if e.Invalid {
			id += " (invalid)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", id, orDash(e.Title), sourceText(e.Source), formatTime(e.UpdatedAt))
	}
	return tw.Flush()
}

func runEntityDelete(ctx context.Context, m *Main, sub subcommand, args []string) error {
	fs := sub.flagSet(m, "entity")
	force := fs.Bool("force", false, "delete it even if it is kept in Git (the next pull of its file brings it back)")
	pos, err := parseArgs(fs, args, 3, 3)
	if err != nil {
		return err
	}
	c, err := m.apiClient()
	if err != nil {
		return err
	}
	if err := c.DeleteEntity(ctx, pos[0], pos[1], pos[2], *force); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Deleted entity %s/%s/%s.\n", pos[0], pos[1], pos[2])
	return nil
}

func runEntityHistory(ctx context.Context, m *Main, sub subcommand, args []string) error {
	fs := sub.flagSet(m, "entity")
	asJSON := fs.Bool("json", false, "print the changes as a JSON list")
	pos, err := parseArgs(fs, args, 3, 3)
	if err != nil {
		return err
	}
	c, err := m.apiClient()
	if err != nil {
		return err
	}
	all, err := listAll(ctx, func(ctx context.Context, page ferry.Page) ([]*ferry.EntityChange, string, error) {
		return c.EntityHistory(ctx, pos[0], pos[1], pos[2], page)
	})
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(m.Stdout, all)
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tACTION\tSOURCE\tAT")
	for _, ch := range all {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", ch.ID, ch.Action, sourceText(ch.Source), formatTime(ch.At))
	}
	return tw.Flush()
}
