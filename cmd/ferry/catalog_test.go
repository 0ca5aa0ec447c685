package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/catalog"
	"github.com/ferrygit/ferry/git/gittest"
	ferryhttp "github.com/ferrygit/ferry/http"
)

// catalogFiles writes files (name → content) into a new directory and returns a function
// that gives each one's path.
func catalogFiles(t *testing.T, files map[string]string) func(string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return func(name string) string { return filepath.Join(dir, name) }
}

// catalogFixtures are the blueprint and entity files of the catalog tests.
var catalogFixtures = map[string]string{
	"team.json": `{"identifier": "team", "title": "Team", "schema": {"type": "object", "properties": {"slack": {"type": "string"}}}}`,
	"microservice.yaml": `identifier: microservice
title: Microservice
schema:
  type: object
  required: [url]
  properties:
    url: {type: string, format: uri}
    language: {type: string}
    tier: {type: integer, minimum: 1, maximum: 3}
relations:
  owner: {target: team}
  deps: {target: microservice, many: true}
`,
	// The same with tier at most 2 and only Go, which payments (tier 3) and search (Java) break.
	"microservice-v2.yaml": `identifier: microservice
title: Microservice
schema:
  type: object
  required: [url]
  properties:
    url: {type: string, format: uri}
    language: {type: string, enum: [go]}
    tier: {type: integer, minimum: 1, maximum: 2}
relations:
  owner: {target: team}
  deps: {target: microservice, many: true}
`,
	"payments.json": `{"blueprint": "microservice", "identifier": "payments", "title": "Payments",
		"properties": {"url": "https://payments.example.com", "language": "go", "tier": 3},
		"relations": {"owner": "payments-team", "deps": ["orders"]}}`,
	"payments-team.yaml": "identifier: payments-team\ntitle: Payments team\nproperties:\n  slack: '#payments'\n",
	"services.json": `[
		{"blueprint": "microservice", "identifier": "orders", "title": "Orders", "properties": {"url": "https://orders.example.com", "language": "go", "tier": 1}},
		{"blueprint": "microservice", "identifier": "search", "title": "Search", "properties": {"url": "https://search.example.com", "language": "java", "tier": 2}},
		{"blueprint": "microservice", "identifier": "ledger", "title": "Ledger", "properties": {"url": "https://ledger.example.com", "language": "go", "tier": 1},
		 "relations": {"owner": "payments-team"}}]`,
	"invalid.yaml": `- blueprint: microservice
  identifier: broken
  properties: {url: not a url, tier: 7, language: 5}
  relations: {owner: [a, b], nope: x}
- blueprint: microservice
  identifier: fine
  properties: {url: "https://fine.example.com"}
`,
	"no-blueprint.json":  `{"identifier": "x", "properties": {}}`,
	"unknown-field.json": `{"blueprint": "microservice", "identifier": "x", "propreties": {"url": "https://x.example.com"}}`,
	"bad.json":           "{\"blueprint\": \"microservice\",\n \"identifier\": ,}",
	"bad.yaml":           "identifier: [unclosed\n",
	"entity.txt":         `{"identifier": "x"}`,
	"ghost.json":         `{"blueprint": "ghost", "identifier": "x", "properties": {}}`,
	"bad-schema.json":    `{"identifier": "bad", "schema": {"type": "nonsense"}}`,
}

// TestCatalogCLI runs blueprints and entities through the CLI against a real server, on
// SQLite and on PostgreSQL: the CI flow (validate, then upsert), reads, blueprint changes
// that existing entities break, deletes, history and permissions.
func TestCatalogCLI(t *testing.T) {
	for _, pg := range []bool{false, true} {
		t.Run(map[bool]string{false: "sqlite", true: "postgres"}[pg], func(t *testing.T) {
			testCatalogCLI(t, startAccessServer(t, pg))
		})
	}
}

func testCatalogCLI(t *testing.T, admin cliEnv) {
	f := catalogFiles(t, catalogFixtures)
	run := func(args ...string) string { t.Helper(); return mustRunCLI(t, admin, "", args...) }

	t.Run("blueprints", func(t *testing.T) {
		if out := run("blueprint", "create", "dev", "-f", f("team.json")); out != "Created blueprint dev/team.\n" {
			t.Errorf("create printed %q", out)
		}
		run("blueprint", "create", "dev", "-f", f("microservice.yaml"))
		out := run("blueprint", "list", "dev")
		if row := lineOf(out, "microservice "); !strings.Contains(row, "Microservice") || !strings.Contains(row, "deps→microservice[], owner→team") {
			t.Errorf("blueprint list:\n%s", out)
		}
		if !strings.HasPrefix(out, "IDENTIFIER") || lineOf(out, "team ") == "" {
			t.Errorf("blueprint list:\n%s", out)
		}
		out = run("blueprint", "get", "dev", "microservice")
		wantFields(t, out, "Blueprint", "dev/microservice", "Title", "Microservice", "Relations", "deps→microservice[], owner→team")
		if !strings.Contains(out, `"format": "uri"`) {
			t.Errorf("blueprint get lacks the schema:\n%s", out)
		}
		var b ferry.Blueprint
		if err := json.Unmarshal([]byte(run("blueprint", "get", "dev", "microservice", "--json")), &b); err != nil || b.Relations["deps"] != (ferry.Relation{Target: "microservice", Many: true}) {
			t.Errorf("blueprint get --json: %v %+v", err, b)
		}
		if out := run("blueprint", "list", "qa"); strings.Count(out, "\n") != 1 {
			t.Errorf("blueprints of an empty namespace:\n%s", out)
		}
		wantFailure(t, runCLI(t, admin, "", "blueprint", "create", "dev", "-f", f("team.json")), ferry.ECONFLICT, "exists already")
		wantFailure(t, runCLI(t, admin, "", "blueprint", "create", "dev", "-f", f("bad-schema.json")), ferry.EINVALID, "schema")
		wantFailure(t, runCLI(t, admin, "", "blueprint", "get", "dev", "nope"), ferry.ENOTFOUND)
	})

	t.Run("validate", func(t *testing.T) {
		out := run("entity", "validate", "dev", "-f", f("payments.json"), "-f", f("services.json"))
		if !strings.Contains(out, "valid:   microservice/payments\n") || !strings.HasSuffix(out, "Valid: 4 entities.\n") {
			t.Errorf("validate of valid files:\n%s", out)
		}
		r := runCLI(t, admin, "", "entity", "validate", "dev", "-f", f("invalid.yaml"))
		if r.err != errCheckFailed {
			t.Fatalf("validate of an invalid file: err %v\n%s", r.err, r.stdout)
		}
		for _, want := range []string{
			"invalid: microservice/broken (" + f("invalid.yaml") + ", entry 1)",
			"  /properties/url: ", "  /properties/tier: ", "  /properties/language: ",
			"  /relations/owner: must be one entity identifier", `  /relations/nope: blueprint "microservice" has no relation "nope"`,
			"valid:   microservice/fine", "Invalid: 1 of 2 entities.",
		} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("validate output lacks %q:\n%s", want, r.stdout)
			}
		}
		// Nothing was written.
		wantFailure(t, runCLI(t, admin, "", "entity", "get", "dev", "microservice", "fine"), ferry.ENOTFOUND)
		// What validate finds is what the server refuses.
		r = runCLI(t, admin, "", "entity", "upsert", "dev", "-f", f("invalid.yaml"))
		wantFailure(t, r, ferry.EINVALID, "not valid")
		for _, want := range []string{"Violations:", "microservice/broken /properties/url: ", "microservice/broken /properties/tier: ",
			"microservice/broken /relations/owner: ", "microservice/broken /relations/nope: "} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("upsert stderr lacks %q:\n%s", want, r.stderr)
			}
		}
	})

	t.Run("upsert", func(t *testing.T) {
		out := run("entity", "upsert", "dev", "-f", f("payments.json"))
		if !strings.HasPrefix(out, "Wrote microservice/payments.\n") || !strings.Contains(out, "do not exist yet: ") ||
			!strings.Contains(out, "owner:payments-team") || !strings.Contains(out, "deps:orders") {
			t.Errorf("upsert of one entity printed:\n%s", out)
		}
		if out := run("entity", "upsert", "dev", "-f", f("payments-team.yaml"), "--blueprint", "team"); out != "Wrote team/payments-team.\n" {
			t.Errorf("upsert from YAML printed %q", out)
		}
		if out := run("entity", "upsert", "dev", "-f", f("services.json")); out != "Wrote 3 entities of blueprint microservice: orders, search, ledger.\n" {
			t.Errorf("upsert of a list printed %q", out)
		}
		var e ferry.Entity
		if err := json.Unmarshal([]byte(run("entity", "get", "dev", "microservice", "payments", "--json")), &e); err != nil {
			t.Fatal(err)
		}
		if e.Title != "Payments" || e.Properties["tier"] != 3.0 || len(e.Dangling) != 0 || e.Source.Source != ferry.SourceAPI || e.Source.Actor != "admin" {
			t.Errorf("payments after its owner and deps were written: %+v", e)
		}

		// Upserting again replaces: the title changes, and so does the history.
		changed := catalogFiles(t, map[string]string{"p.json": strings.Replace(catalogFixtures["payments.json"], `"Payments"`, `"Payments v2"`, 1)})
		run("entity", "upsert", "dev", "-f", changed("p.json"))
		out = run("entity", "get", "dev", "microservice", "payments")
		wantFields(t, out, "Entity", "dev/microservice/payments", "Title", "Payments v2", "Source", "api admin")
		for _, want := range []string{`"url": "https://payments.example.com"`, `"owner": "payments-team"`, "Properties:", "Relations:"} {
			if !strings.Contains(out, want) {
				t.Errorf("entity get lacks %q:\n%s", want, out)
			}
		}
		// Without the server's upsert, writing an entity that exists is a conflict; the CLI
		// always upserts, so the client shows it.
		c := ferryhttp.NewClient(admin["FERRY_URL"], admin["FERRY_TOKEN"])
		_, err := c.PutEntity(context.Background(), "dev", "microservice", ferryhttp.EntityRequest{Identifier: "orders", Properties: map[string]any{"url": "https://x.example.com"}}, false, false)
		if ferry.ErrorCode(err) != ferry.ECONFLICT || !strings.Contains(ferry.ErrorMessage(err), "exists already") {
			t.Errorf("create of an existing entity: %v", err)
		}

		// The client's patch merges; its errors carry every violation.
		title := "Search v2"
		e2, err := c.PatchEntity(context.Background(), "dev", "microservice", "search", catalog.EntityPatch{Title: &title,
			Properties: map[string]any{"tier": nil, "language": "kotlin"}, Relations: map[string]json.RawMessage{"owner": json.RawMessage(`"payments-team"`)}}, false)
		if err != nil || e2.Title != title || e2.Properties["language"] != "kotlin" || e2.Properties["url"] != "https://search.example.com" ||
			e2.Properties["tier"] != nil || string(e2.Relations["owner"]) != `"payments-team"` {
			t.Errorf("patch: %v %+v", err, e2)
		}
		_, err = c.PatchEntity(context.Background(), "dev", "microservice", "search", catalog.EntityPatch{Properties: map[string]any{"url": nil, "tier": "high"}}, false)
		var ee *ferry.EntityError
		if !errors.As(err, &ee) || ferry.ErrorCode(err) != ferry.EINVALID || len(ee.Violations) != 2 ||
			ee.Violations[0] != (ferry.Violation{Entity: "microservice/search", Pointer: "/properties", Message: "missing property 'url'"}) ||
			ee.Violations[1].Pointer != "/properties/tier" {
			t.Errorf("invalid patch: %#v", err)
		}
		// Put it back as the other tests expect it.
		title = "Search"
		if _, err := c.PatchEntity(context.Background(), "dev", "microservice", "search", catalog.EntityPatch{Title: &title,
			Properties: map[string]any{"tier": 2, "language": "java"}, Relations: map[string]json.RawMessage{"owner": json.RawMessage("null")}}, false); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("batches", func(t *testing.T) {
		run("blueprint", "create", "dev", "-f", catalogFiles(t, map[string]string{"h.json": `{"identifier": "host"}`})("h.json"))
		hosts := make([]map[string]any, 1234)
		for i := range hosts {
			hosts[i] = map[string]any{"identifier": fmt.Sprintf("h%04d", i), "properties": map[string]any{"rack": i % 7}}
		}
		b, _ := json.Marshal(hosts)
		out := run("entity", "upsert", "dev", "--blueprint", "host", "-f", catalogFiles(t, map[string]string{"hosts.json": string(b)})("hosts.json"))
		want := []string{
			"Wrote 500 entities of blueprint host: h0000, h0001, h0002, h0003, h0004, h0005, h0006, h0007, h0008, h0009, and 490 more.",
			"Wrote 500 entities of blueprint host: h0500, h0501, h0502, h0503, h0504, h0505, h0506, h0507, h0508, h0509, and 490 more.",
			"Wrote 234 entities of blueprint host: h1000, h1001, h1002, h1003, h1004, h1005, h1006, h1007, h1008, h1009, and 224 more.",
		}
		if got := strings.Split(strings.TrimSpace(out), "\n"); !slices.Equal(got, want) {
			t.Errorf("upsert of 1234 entities printed:\n%s", out)
		}
		var all []*ferry.Entity
		if err := json.Unmarshal([]byte(run("entity", "list", "dev", "host", "--json")), &all); err != nil || len(all) != 1234 {
			t.Fatalf("entity list of 1234 entities (two pages): %d, %v", len(all), err)
		}
		var rack3 []*ferry.Entity
		if err := json.Unmarshal([]byte(run("entity", "list", "dev", "host", "--property", "rack=3", "--json")), &rack3); err != nil || len(rack3) != 176 {
			t.Errorf("hosts in rack 3: %d, %v", len(rack3), err)
		}
		wantFailure(t, runCLI(t, admin, "", "blueprint", "delete", "dev", "host"), ferry.ECONFLICT, "1234 entities")
		if out := run("blueprint", "delete", "dev", "host", "--cascade"); out != "Deleted blueprint dev/host and its entities.\n" {
			t.Errorf("delete --cascade printed %q", out)
		}
		wantFailure(t, runCLI(t, admin, "", "entity", "list", "dev", "host"), ferry.ENOTFOUND)
	})

	t.Run("list", func(t *testing.T) {
		out := run("entity", "list", "dev", "microservice")
		if ids := column(out, 0); !slices.Equal(ids, []string{"IDENTIFIER", "ledger", "orders", "payments", "search"}) {
			t.Errorf("entity list:\n%s", out)
		}
		row := lineOf(out, "payments ")
		for _, want := range []string{"Payments v2", "api admin", time.Now().UTC().Format("2006-01-02T")} {
			if !strings.Contains(row, want) {
				t.Errorf("row lacks %q: %q", want, row)
			}
		}
		for _, tc := range []struct {
			args []string
			want []string
		}{
			{[]string{"--search", "PAY"}, []string{"payments"}},
			{[]string{"--search", "V2"}, []string{"payments"}}, // in the title
			{[]string{"--search", "r"}, []string{"ledger", "orders", "search"}},
			{[]string{"--property", "language=go"}, []string{"ledger", "orders", "payments"}},
			{[]string{"--property", "language=go", "--property", "tier=1"}, []string{"ledger", "orders"}},
			{[]string{"--property", "language=go", "--search", "ord"}, []string{"orders"}},
			{[]string{"--property", "language=rust"}, nil},
		} {
			t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
				out := run(append([]string{"entity", "list", "dev", "microservice"}, tc.args...)...)
				if got := column(out, 0)[1:]; !slices.Equal(got, tc.want) {
					t.Errorf("got %v, want %v:\n%s", got, tc.want, out)
				}
			})
		}
		if r := runCLI(t, admin, "", "entity", "list", "dev", "microservice", "--property", "no-equals"); r.err != errUsage || !strings.Contains(r.stderr, `"no-equals" is not NAME=VALUE`) {
			t.Errorf("--property without '=': %v\n%s", r.err, r.stderr)
		}
		wantFailure(t, runCLI(t, admin, "", "entity", "list", "dev", "microservice", "--property", "bad name=1"), ferry.EINVALID, "Property name")
	})

	t.Run("blueprint update", func(t *testing.T) {
		r := runCLI(t, admin, "", "blueprint", "update", "dev", "-f", f("microservice-v2.yaml"))
		wantFailure(t, r, ferry.ECONFLICT, "2 entities", "payments", "search")
		for _, want := range []string{"microservice/payments /properties/tier: ", "microservice/search /properties/language: "} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("update stderr lacks %q:\n%s", want, r.stderr)
			}
		}
		if b := run("blueprint", "get", "dev", "microservice"); strings.Contains(b, `"maximum": 2`) {
			t.Errorf("a refused update changed the blueprint:\n%s", b)
		}
		out := run("blueprint", "update", "dev", "-f", f("microservice-v2.yaml"), "--force")
		if !strings.HasPrefix(out, "Updated blueprint dev/microservice.\n") {
			t.Errorf("update --force printed %q", out)
		}
		out = run("entity", "list", "dev", "microservice")
		if ids := column(out, 0); !slices.Equal(ids, []string{"IDENTIFIER", "ledger", "orders", "payments", "search"}) ||
			!strings.Contains(lineOf(out, "payments "), "(invalid)") || strings.Contains(lineOf(out, "orders "), "(invalid)") {
			t.Errorf("entity list after update --force:\n%s", out)
		}
		out = run("entity", "get", "dev", "microservice", "payments")
		if !strings.Contains(out, "Invalid:") || !regexp.MustCompile(`(?m)^\s+/properties/tier: `).MatchString(out) {
			t.Errorf("an entity marked invalid:\n%s", out)
		}
		// Fixing the schema back makes them valid again.
		run("blueprint", "update", "dev", "-f", f("microservice.yaml"))
		if out := run("entity", "list", "dev", "microservice"); strings.Contains(out, "(invalid)") {
			t.Errorf("entities still invalid after the schema came back:\n%s", out)
		}
	})

	t.Run("delete and history", func(t *testing.T) {
		if out := run("entity", "delete", "dev", "microservice", "search"); out != "Deleted entity dev/microservice/search.\n" {
			t.Errorf("delete printed %q", out)
		}
		wantFailure(t, runCLI(t, admin, "", "entity", "get", "dev", "microservice", "search"), ferry.ENOTFOUND)
		wantFailure(t, runCLI(t, admin, "", "entity", "delete", "dev", "microservice", "search"), ferry.ENOTFOUND)

		// Created, patched twice by the upsert test, deleted.
		out := run("entity", "history", "dev", "microservice", "search")
		if got := column(out, 1); !slices.Equal(got, []string{"ACTION", "deleted", "updated", "updated", "created"}) || !strings.Contains(out, "api admin") {
			t.Errorf("history of a deleted entity:\n%s", out)
		}
		var changes []*ferry.EntityChange
		if err := json.Unmarshal([]byte(run("entity", "history", "dev", "microservice", "payments", "--json")), &changes); err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, c := range changes {
			actions = append(actions, c.Action)
		}
		// Created, then replaced by an upsert with a new title.
		if len(actions) < 2 || actions[len(actions)-1] != "created" || actions[0] != "updated" {
			t.Errorf("history of payments: %v", actions)
		}
	})

	t.Run("read-only token", func(t *testing.T) {
		secret, _ := createToken(t, admin, "--description", "catalog reader", "--lifetime", "P1D", "--permission", "catalog:read", "--namespace", "dev")
		reader := cliEnv{"FERRY_URL": admin["FERRY_URL"], "FERRY_TOKEN": secret}
		if out := mustRunCLI(t, reader, "", "entity", "list", "dev", "microservice"); lineOf(out, "payments ") == "" {
			t.Errorf("reader's list:\n%s", out)
		}
		mustRunCLI(t, reader, "", "entity", "get", "dev", "microservice", "payments")
		mustRunCLI(t, reader, "", "blueprint", "list", "dev")
		// A CI job that only validates needs nothing more.
		mustRunCLI(t, reader, "", "entity", "validate", "dev", "-f", f("payments.json"))
		wantFailure(t, runCLI(t, reader, "", "entity", "upsert", "dev", "-f", f("payments.json")), ferry.EFORBIDDEN, "catalog:write")
		wantFailure(t, runCLI(t, reader, "", "entity", "delete", "dev", "microservice", "payments"), ferry.EFORBIDDEN, "catalog:write")
		wantFailure(t, runCLI(t, reader, "", "blueprint", "update", "dev", "-f", f("microservice.yaml")), ferry.EFORBIDDEN, "catalog:write")
		wantFailure(t, runCLI(t, reader, "", "blueprint", "list", "qa"), ferry.ENOTFOUND)
	})

	t.Run("kept in git", func(t *testing.T) {
		testEntitiesInGit(t, admin)
	})
}

// testEntitiesInGit: entities a binding reads from Git show their file and commit as
// their source, and the API overwrites or deletes them only with --force.
func testEntitiesInGit(t *testing.T, admin cliEnv) {
	repo := gittest.NewRepo(t, map[string]string{"services/git.yaml": `
- {blueprint: microservice, identifier: from-git, title: From Git, properties: {url: "https://git.example.com"}}
- {blueprint: microservice, identifier: also-git, properties: {url: "https://also.example.com"}}
`})
	web := gittest.NewHTTPServer(t, repo.Root, gittest.HTTPOptions{})
	c := ferryhttp.NewClient(admin["FERRY_URL"], admin["FERRY_TOKEN"])
	b, err := c.CreateBinding(context.Background(), "dev", ferryhttp.BindingRequest{Name: "catalog", Directory: "/catalog", URL: web.RepoURL(repo.Name),
		Ref: "main", Path: "/services", Entities: &ferry.EntitySpec{Glob: "*.yaml"}})
	if err != nil {
		t.Fatal(err)
	}
	if run := waitRun(t, c, "dev", "catalog", b.FirstRun.ID); run.Result == ferry.ResultFailed {
		t.Fatalf("pull: %+v", run)
	}
	out := mustRunCLI(t, admin, "", "entity", "list", "dev", "microservice", "--search", "git")
	if row := lineOf(out, "from-git "); !strings.Contains(row, "catalog/git.yaml@"+repo.Head()[:12]) {
		t.Fatalf("an entity from Git:\n%s", out)
	}
	f := catalogFiles(t, map[string]string{"e.json": `{"identifier": "from-git", "properties": {"url": "https://api.example.com"}}`})
	wantFailure(t, runCLI(t, admin, "", "entity", "upsert", "dev", "--blueprint", "microservice", "-f", f("e.json")), ferry.ECONFLICT, "kept in Git", "catalog/git.yaml")
	mustRunCLI(t, admin, "", "entity", "upsert", "dev", "--blueprint", "microservice", "-f", f("e.json"), "--force")
	wantFields(t, mustRunCLI(t, admin, "", "entity", "get", "dev", "microservice", "from-git"), "Source", "api admin")
	wantFailure(t, runCLI(t, admin, "", "entity", "delete", "dev", "microservice", "also-git"), ferry.ECONFLICT, "kept in Git")
	mustRunCLI(t, admin, "", "entity", "delete", "dev", "microservice", "also-git", "--force")
}

// TestCatalogCLIBadInput covers files that are missing, malformed or name no blueprint, and
// entities the server refuses.
func TestCatalogCLIBadInput(t *testing.T) {
	admin := startAccessServer(t, false)
	f := catalogFiles(t, catalogFixtures)
	mustRunCLI(t, admin, "", "blueprint", "create", "dev", "-f", f("microservice.yaml"))
	for _, cmd := range []string{"upsert", "validate"} {
		for _, tc := range []struct {
			name      string
			args      []string
			code      string
			fragments []string
		}{
			{"missing file", []string{"-f", f("nope.json")}, "", []string{"nope.json does not exist"}},
			{"bad JSON", []string{"-f", f("bad.json")}, ferry.EINVALID, []string{"bad.json: line 2"}},
			{"bad YAML", []string{"-f", f("bad.yaml")}, ferry.EINVALID, []string{"bad.yaml"}},
			{"not JSON or YAML", []string{"-f", f("entity.txt")}, ferry.EINVALID, []string{"neither JSON nor YAML"}},
			{"unknown field", []string{"-f", f("unknown-field.json")}, ferry.EINVALID, []string{"not an entity", "propreties"}},
			{"no blueprint", []string{"-f", f("no-blueprint.json")}, ferry.EINVALID, []string{"names no blueprint", "--blueprint"}},
			{"other blueprint", []string{"-f", f("payments.json"), "--blueprint", "team"}, ferry.EINVALID, []string{`names blueprint "microservice", but --blueprint says "team"`}},
			{"unknown blueprint", []string{"-f", f("ghost.json")}, ferry.ENOTFOUND, []string{"ghost"}},
			{"unknown namespace", []string{"-f", f("payments.json")}, ferry.ENOTFOUND, nil},
		} {
			t.Run(cmd+" "+tc.name, func(t *testing.T) {
				ns := "dev"
				if tc.name == "unknown namespace" {
					ns = "nowhere"
				}
				wantFailure(t, runCLI(t, admin, "", append([]string{"entity", cmd, ns}, tc.args...)...), tc.code, tc.fragments...)
			})
		}
	}

	// One schema-invalid entity: 400 with every violation printed.
	bad := catalogFiles(t, map[string]string{"bad.json": `{"blueprint": "microservice", "identifier": "bad", "properties": {"tier": 0}}`})
	r := runCLI(t, admin, "", "entity", "upsert", "dev", "-f", bad("bad.json"))
	wantFailure(t, r, ferry.EINVALID, "not valid", "/properties")
	if !strings.Contains(r.stderr, "Violations:\n  microservice/bad /properties: missing property 'url'\n") ||
		!strings.Contains(r.stderr, "  microservice/bad /properties/tier: ") {
		t.Errorf("violations on stderr:\n%s", r.stderr)
	}
	r = runCLI(t, admin, "", "entity", "validate", "dev", "-f", bad("bad.json"))
	if r.err != errCheckFailed || !strings.Contains(r.stdout, "  /properties: ") || !strings.Contains(r.stdout, "  /properties/tier: ") {
		t.Errorf("validate: %v\n%s", r.err, r.stdout)
	}
	// A list that holds one entity twice.
	twice := catalogFiles(t, map[string]string{"twice.yaml": "- {identifier: a, properties: {url: 'https://a.example.com'}}\n- {identifier: a, properties: {url: 'https://a.example.com'}}\n"})
	r = runCLI(t, admin, "", "entity", "validate", "dev", "--blueprint", "microservice", "-f", twice("twice.yaml"))
	if r.err != errCheckFailed || !strings.Contains(r.stdout, "invalid: microservice/a ("+twice("twice.yaml")+", entry 2)\n  /identifier: ") {
		t.Errorf("validate of a duplicate: %v\n%s", r.err, r.stdout)
	}
	wantFailure(t, runCLI(t, admin, "", "entity", "upsert", "dev", "--blueprint", "microservice", "-f", twice("twice.yaml")), ferry.EINVALID, "twice")

	for _, args := range [][]string{
		{"entity", "upsert", "dev"},
		{"entity", "validate", "dev"},
		{"blueprint", "create", "dev"},
		{"blueprint", "update", "dev"},
	} {
		if r := runCLI(t, admin, "", args...); r.err != errUsage || !strings.Contains(r.stderr, "-f FILE is required") {
			t.Errorf("%v: %v\n%s", args, r.err, r.stderr)
		}
	}
	if r := runCLI(t, admin, "", "entity", "get", "dev", "microservice"); r.err != errUsage {
		t.Errorf("entity get with two arguments: %v", r.err)
	}
	wantFailure(t, runCLI(t, admin, "", "blueprint", "create", "dev", "-f", f("nope.yaml")), "", "does not exist")
	wantFailure(t, runCLI(t, admin, "", "blueprint", "create", "dev", "-f", f("services.json")), ferry.EINVALID, "holds 3 documents")
	wantFailure(t, runCLI(t, admin, "", "blueprint", "create", "dev", "-f", f("payments.json")), ferry.EINVALID, "not a blueprint", "blueprint")
	wantFailure(t, runCLI(t, admin, "", "blueprint", "update", "dev", "-f", f("team.json")), ferry.ENOTFOUND)
}

// column returns the field at index i of each line of a table.
func column(table string, i int) []string {
	var col []string
	for _, line := range strings.Split(strings.TrimSpace(table), "\n") {
		if fields := strings.Fields(line); i < len(fields) {
			col = append(col, fields[i])
		}
	}
	return col
}
