package gitsync_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/catalog"
	"github.com/ferrygit/ferry/gitsync"
	"github.com/ferrygit/ferry/sqlstore"
)

// Tests of catalog entities read from Git: a real repository served over smart HTTP, the
// real database, the sync service with the real catalog as its Catalog, and River working
// the runs.

// microserviceSchema is the blueprint "microservice": a url (required, a URI) and a port.
const microserviceSchema = `{"type": "object", "properties": {"url": {"type": "string", "format": "uri"},
	"port": {"type": "integer"}}, "required": ["url"]}`

// catalogHarness is a harness whose pulls hand entity files to the real catalog, in a
// namespace with the blueprints "team" and "microservice" (url, port, relation team).
type catalogHarness struct {
	*harness
	cat *catalog.Service
}

func newCatalogHarness(t *testing.T, db *sqlstore.DB, files map[string]string) *catalogHarness {
	t.Helper()
	h := newHarness(t, db, files, gitsync.Limits{})
	cat := &catalog.Service{Store: db}
	h.svc.Catalog = cat // before any run is queued
	for _, b := range []*ferry.Blueprint{
		{Namespace: "dev", Identifier: "team"},
		{Namespace: "dev", Identifier: "microservice", Schema: json.RawMessage(microserviceSchema),
			Relations: map[string]ferry.Relation{"team": {Target: "team"}}},
	} {
		if err := cat.CreateBlueprint(context.Background(), b); err != nil {
			t.Fatal(err)
		}
	}
	return &catalogHarness{harness: h, cat: cat}
}

// bindEntities creates a binding of the whole repository into directory whose pulls read
// the entities in the files glob selects, and waits for its first pull.
func (h *catalogHarness) bindEntities(name, directory, url, glob string) *ferry.Run {
	h.t.Helper()
	b := &ferry.Binding{Namespace: "dev", Name: name, Directory: directory, URL: url, Ref: "main", Entities: &ferry.EntitySpec{Glob: glob}}
	run, err := h.svc.CreateBinding(context.Background(), b, "tester")
	if err != nil {
		h.t.Fatalf("create binding: %v", err)
	}
	return h.wait(run)
}

// entity returns entity bp/id, failing the test if it does not exist.
func (h *catalogHarness) entity(bp, id string) *ferry.Entity {
	h.t.Helper()
	e, err := h.db.FindEntity(context.Background(), "dev", bp, id)
	if err != nil {
		h.t.Fatalf("entity %s/%s: %v", bp, id, err)
	}
	return e
}

// gone fails the test unless entity bp/id does not exist.
func (h *catalogHarness) gone(bp, id string) {
	h.t.Helper()
	if e, err := h.db.FindEntity(context.Background(), "dev", bp, id); ferry.ErrorCode(err) != ferry.ENOTFOUND {
		h.t.Fatalf("entity %s/%s = %+v, %v; want it deleted", bp, id, e, err)
	}
}

// history returns the actions of entity bp/id's changes, newest first, and the changes.
func (h *catalogHarness) history(bp, id string) ([]string, []*ferry.EntityChange) {
	h.t.Helper()
	changes, _, err := h.db.EntityHistory(context.Background(), "dev", bp, id, ferry.Page{Limit: 100})
	if err != nil {
		h.t.Fatalf("history of %s/%s: %v", bp, id, err)
	}
	var actions []string
	for _, c := range changes {
		actions = append(actions, c.Action)
	}
	return actions, changes
}

// identifiers returns the identifiers of blueprint bp's entities.
func (h *catalogHarness) identifiers(bp string) []string {
	h.t.Helper()
	items, _, err := h.db.ListEntities(context.Background(), "dev", ferry.EntityFilter{Blueprint: bp, Page: ferry.Page{Limit: 1000}})
	if err != nil {
		h.t.Fatal(err)
	}
	ids := []string{}
	for _, e := range items {
		ids = append(ids, e.Identifier)
	}
	return ids
}

// catalogStep returns the message of the run's catalog step, failing unless it is ok.
func catalogStep(t *testing.T, run *ferry.Run) string {
	t.Helper()
	for _, s := range run.Steps {
		if s.Name == "catalog" {
			if s.Result != "ok" {
				t.Fatalf("run %d: catalog step %s: %q; steps %+v", run.ID, s.Result, s.Message, run.Steps)
			}
			return s.Message
		}
	}
	t.Fatalf("run %d has no catalog step: %+v", run.ID, run.Steps)
	return ""
}

// warnings returns the messages of the run's warning steps.
func warnings(run *ferry.Run) []string {
	var out []string
	for _, s := range run.Steps {
		if s.Name == "warning" {
			out = append(out, s.Message)
		}
	}
	return out
}

// wantWarnings checks that the run's warnings are exactly one per pattern, in any order,
// each matching its regular expression.
func wantWarnings(t *testing.T, run *ferry.Run, patterns ...string) {
	t.Helper()
	got := warnings(run)
	if len(got) != len(patterns) {
		t.Fatalf("run %d: warnings %q, want %d matching %q", run.ID, got, len(patterns), patterns)
	}
	left := slices.Clone(got)
	for _, p := range patterns {
		re := regexp.MustCompile(p)
		i := slices.IndexFunc(left, re.MatchString)
		if i < 0 {
			t.Fatalf("run %d: no warning matches %q: %q", run.ID, p, got)
		}
		left = slices.Delete(left, i, i+1)
	}
}

// service is the JSON of a microservice entity owned by team core.
func service(id, url string, port int) string {
	return fmt.Sprintf(`{"blueprint": "microservice", "identifier": %q, "title": "The %s service",
  "properties": {"url": %q, "port": %d}, "relations": {"team": "core"}}`, id, id, url, port)
}

// props returns an entity's url and port as the catalog stores them.
func props(url string, port int) map[string]any {
	return map[string]any{"url": url, "port": float64(port)}
}

// TestPullCatalog follows a binding's entities through imports, changes, deletions and
// arrays of entities.
func TestPullCatalog(t *testing.T) {
	eachDB(t, func(t *testing.T, newDB func() *sqlstore.DB) {
		// Files there before the binding: JSON files, a YAML one, a file of two entities, and
		// files the glob does not select.
		h := newCatalogHarness(t, newDB(), map[string]string{
			"services/payments.entity.json": service("payments", "https://pay.example.com", 8080),
			"services/orders.entity.json":   service("orders", "https://orders.example.com", 8081),
			"services/users.entity.json":    service("users", "https://users.example.com", 8082),
			"services/search.entity.json": "[" + service("search", "https://search.example.com", 9200) + ",\n" +
				service("indexer", "https://indexer.example.com", 9300) + "]\n",
			"teams/core.entity.yaml": "blueprint: team\nidentifier: core\ntitle: Core platform\nproperties:\n  slack: '#core'\n",
			"services/README.md":     "not an entity\n",
			"services/orders.json":   `{"blueprint": "microservice", "identifier": "not-selected", "properties": {"url": "https://x.example.com"}}`,
		})
		// The remote URL carries a user name, which may be a token: provenance must not show it.
		url := strings.Replace(h.url, "http://", "http://s3cret-token@", 1)
		first := h.bindEntities("svc", "/catalog", url, "**/*.entity.*")
		wantResult(t, first, ferry.ResultApplied)
		if got, want := catalogStep(t, first), "5 entity files: 6 entities read, 0 deleted, 0 failed"; got != want {
			t.Fatalf("first pull: catalog step %q, want %q", got, want)
		}
		wantWarnings(t, first)
		c1 := h.repo.Head()
		redacted := strings.Replace(h.url, "http://", "http://***@", 1)
		for _, tc := range []struct{ bp, id, path string }{
			{"microservice", "payments", "catalog/services/payments.entity.json"},
			{"microservice", "orders", "catalog/services/orders.entity.json"},
			{"microservice", "users", "catalog/services/users.entity.json"},
			{"microservice", "search", "catalog/services/search.entity.json"},
			{"microservice", "indexer", "catalog/services/search.entity.json"},
			{"team", "core", "catalog/teams/core.entity.yaml"},
		} {
			e := h.entity(tc.bp, tc.id)
			want := ferry.Provenance{Source: ferry.SourceGit, Binding: "svc", Repository: redacted, Path: tc.path, Commit: c1, At: e.Source.At}
			if e.Source != want || e.Source.At.IsZero() {
				t.Errorf("%s/%s provenance = %+v, want %+v", tc.bp, tc.id, e.Source, want)
			}
			if strings.Contains(e.Source.Repository, "s3cret") {
				t.Errorf("%s/%s provenance shows the URL's user name: %q", tc.bp, tc.id, e.Source.Repository)
			}
			if actions, _ := h.history(tc.bp, tc.id); !reflect.DeepEqual(actions, []string{"created"}) {
				t.Errorf("%s/%s history = %v", tc.bp, tc.id, actions)
			}
		}
		pay := h.entity("microservice", "payments")
		if pay.Title != "The payments service" || !reflect.DeepEqual(pay.Properties, props("https://pay.example.com", 8080)) ||
			string(pay.Relations["team"]) != `"core"` || len(pay.Dangling) != 0 {
			t.Fatalf("payments = %+v", pay)
		}
		if core := h.entity("team", "core"); core.Title != "Core platform" || core.Properties["slack"] != "#core" {
			t.Fatalf("the YAML entity = %+v", core)
		}
		if got := h.identifiers("microservice"); !reflect.DeepEqual(got, []string{"indexer", "orders", "payments", "search", "users"}) {
			t.Fatalf("microservices = %v (a file the glob does not select was read?)", got)
		}

		// Nothing moved: the catalog is not touched.
		noop := h.pull("svc", false)
		wantResult(t, noop, ferry.ResultUpToDate)
		if step(noop, "catalog") != "skipped" {
			t.Fatalf("a no-op pull ran the catalog step: %+v", noop.Steps)
		}

		// One added, one changed, one removed; a change outside the glob is not read.
		c2 := h.repo.Commit("add, change, remove", map[string]string{
			"services/billing.entity.json": service("billing", "https://billing.example.com", 8090),
			"services/orders.entity.json":  service("orders", "https://orders.example.com", 9081),
			"services/README.md":           "still not an entity\n",
		}, "services/users.entity.json")
		second := h.pull("svc", false)
		wantResult(t, second, ferry.ResultApplied)
		if got, want := catalogStep(t, second), "2 entity files: 2 entities read, 1 deleted, 0 failed"; got != want {
			t.Fatalf("second pull: catalog step %q, want %q", got, want)
		}
		wantWarnings(t, second)
		billing := h.entity("microservice", "billing")
		if billing.Source.Commit != c2 || billing.Source.Path != "catalog/services/billing.entity.json" || !reflect.DeepEqual(billing.Properties, props("https://billing.example.com", 8090)) {
			t.Fatalf("added entity = %+v", billing)
		}
		orders := h.entity("microservice", "orders")
		if orders.Source.Commit != c2 || !reflect.DeepEqual(orders.Properties, props("https://orders.example.com", 9081)) {
			t.Fatalf("changed entity = %+v", orders)
		}
		actions, changes := h.history("microservice", "orders")
		if !reflect.DeepEqual(actions, []string{"updated", "created"}) || changes[0].Source.Commit != c2 || changes[1].Source.Commit != c1 ||
			changes[0].Entity == nil || changes[0].Entity.Properties["port"] != float64(9081) || changes[1].Entity.Properties["port"] != float64(8081) {
			t.Fatalf("history of the changed entity = %v %+v", actions, changes)
		}
		h.gone("microservice", "users")
		actions, changes = h.history("microservice", "users")
		if !reflect.DeepEqual(actions, []string{"deleted", "created"}) || changes[0].Source.Source != ferry.SourceGit ||
			changes[0].Source.Binding != "svc" || changes[0].Source.Commit != c2 || changes[0].Entity != nil {
			t.Fatalf("history of the removed entity = %v %+v", actions, changes[0])
		}
		// Only the changed files were read: the others keep the commit they came from.
		if p := h.entity("microservice", "payments"); p.Source.Commit != c1 {
			t.Fatalf("an unchanged file's entity was rewritten: %+v", p.Source)
		}

		// A file of two entities loses one: that one goes, the other is not rewritten.
		c3 := h.repo.Commit("drop the indexer", map[string]string{
			"services/search.entity.json": "[" + service("search", "https://search.example.com", 9200) + "]\n",
		})
		third := h.pull("svc", false)
		wantResult(t, third, ferry.ResultApplied)
		if got, want := catalogStep(t, third), "1 entity file: 1 entity read, 1 deleted, 0 failed"; got != want {
			t.Fatalf("third pull: catalog step %q, want %q", got, want)
		}
		h.gone("microservice", "indexer")
		if actions, changes := h.history("microservice", "indexer"); !reflect.DeepEqual(actions, []string{"deleted", "created"}) || changes[0].Source.Commit != c3 {
			t.Fatalf("history of the entity removed from its file = %v", actions)
		}
		if actions, _ := h.history("microservice", "search"); !reflect.DeepEqual(actions, []string{"created"}) {
			t.Fatalf("history of the entity left in the file = %v", actions)
		}
		// An entity moves from one file to another in one commit, leaving an empty list: it is
		// updated, not deleted.
		h.repo.Commit("move search", map[string]string{
			"services/search.entity.json":  "[]\n",
			"services/search2.entity.json": service("search", "https://search.example.com", 9200),
		})
		fourth := h.pull("svc", false)
		wantResult(t, fourth, ferry.ResultApplied)
		wantWarnings(t, fourth)
		if s := h.entity("microservice", "search"); s.Source.Path != "catalog/services/search2.entity.json" {
			t.Fatalf("the moved entity = %+v", s.Source)
		}
		if actions, _ := h.history("microservice", "search"); !reflect.DeepEqual(actions, []string{"updated", "created"}) {
			t.Fatalf("history of the moved entity = %v", actions)
		}

		// A forced pull reads every file again and writes nothing that has not changed.
		before := h.db.RowsWritten()
		forced := h.pull("svc", true)
		wantResult(t, forced, ferry.ResultUpToDate)
		if got, want := catalogStep(t, forced), "6 entity files: 5 entities read, 0 deleted, 0 failed"; got != want {
			t.Fatalf("forced pull: catalog step %q, want %q", got, want)
		}
		if actions, _ := h.history("microservice", "payments"); !reflect.DeepEqual(actions, []string{"created"}) {
			t.Fatalf("a forced pull rewrote an unchanged entity: %v", actions)
		}
		if rows := h.db.RowsWritten() - before; rows > 20 {
			t.Fatalf("a forced pull that changed nothing wrote %d rows", rows)
		}
		if got := h.identifiers("team"); !reflect.DeepEqual(got, []string{"core"}) {
			t.Fatalf("teams = %v", got)
		}
	})
}

// TestPullCatalogInvalidFiles: an entity file that breaks its schema or does not parse
// leaves its entities as they were and is named in a warning, while the pull applies and the
// valid files of the same commit reach the catalog.
func TestPullCatalogInvalidFiles(t *testing.T) {
	eachDB(t, func(t *testing.T, newDB func() *sqlstore.DB) {
		h := newCatalogHarness(t, newDB(), map[string]string{
			"payments.entity.json": service("payments", "https://pay.example.com", 8080),
			"orders.entity.json":   service("orders", "https://orders.example.com", 8081),
			"users.entity.json":    service("users", "https://users.example.com", 8082),
			"core.entity.json":     `{"blueprint": "team", "identifier": "core"}`,
		})
		first := h.bindEntities("svc", "cat", h.url, "*.entity.json")
		wantResult(t, first, ferry.ResultApplied)
		c1 := h.repo.Head()

		// One file breaks the schema, one is not JSON, one is valid, one is added valid, and a
		// new one names a blueprint that does not exist.
		c2 := h.repo.Commit("mixed", map[string]string{
			"payments.entity.json": `{"blueprint": "microservice", "identifier": "payments", "properties": {"url": "not a uri", "port": 8080}}`,
			"orders.entity.json":   `{"blueprint": "microservice", "identifier": "orders", "properties": {"url": `,
			"users.entity.json":    service("users", "https://users.example.com", 9082),
			"billing.entity.json":  service("billing", "https://billing.example.com", 8090),
			"ghost.entity.json":    `{"blueprint": "nope", "identifier": "ghost"}`,
		})
		run := h.pull("svc", false)
		wantResult(t, run, ferry.ResultApplied)
		if run.Modified != 3 || run.Added != 2 {
			t.Fatalf("the files were not all applied: %+v", run)
		}
		if got, want := catalogStep(t, run), "5 entity files: 2 entities read, 0 deleted, 3 failed"; got != want {
			t.Fatalf("catalog step %q, want %q", got, want)
		}
		wantWarnings(t, run,
			`^entity cat/payments\.entity\.json \(microservice/payments\) not applied: /properties/url: .*uri`,
			`^entity cat/orders\.entity\.json not applied: .*cat/orders\.entity\.json`,
			`^entity cat/ghost\.entity\.json \(nope/ghost\) not applied: /blueprint: .*"nope"`,
		)
		// The broken ones keep their previous, valid data and provenance.
		for _, tc := range []struct {
			id   string
			port int
		}{{"payments", 8080}, {"orders", 8081}} {
			e := h.entity("microservice", tc.id)
			if e.Source.Commit != c1 || e.Properties["port"] != float64(tc.port) || e.Properties["url"] == "not a uri" {
				t.Errorf("%s was changed by an invalid file: %+v", tc.id, e)
			}
			if actions, _ := h.history("microservice", tc.id); !reflect.DeepEqual(actions, []string{"created"}) {
				t.Errorf("%s history = %v", tc.id, actions)
			}
		}
		if e := h.entity("microservice", "users"); e.Source.Commit != c2 || e.Properties["port"] != float64(9082) {
			t.Fatalf("the valid file of the same commit did not apply: %+v", e)
		}
		h.entity("microservice", "billing")
		if _, err := h.db.FindEntity(context.Background(), "dev", "nope", "ghost"); err == nil {
			t.Fatal("an entity of an unknown blueprint was stored")
		}
		// The namespace holds the files as Git has them, broken or not.
		f, err := h.db.ReadFile(context.Background(), "dev", "cat/orders.entity.json", 0)
		if err != nil || !strings.HasSuffix(string(f.Content), `"url": `) {
			t.Fatalf("the broken file in the namespace = %q, %v", f.Content, err)
		}

		// A wrong type is named with its pointer too; fixing the others applies them.
		c3 := h.repo.Commit("fix two, break one", map[string]string{
			"payments.entity.json": service("payments", "https://pay.example.com", 7080),
			"orders.entity.json":   service("orders", "https://orders.example.com", 7081),
			"users.entity.json":    `{"blueprint": "microservice", "identifier": "users", "properties": {"url": "https://users.example.com", "port": "eighty"}}`,
		})
		run = h.pull("svc", false)
		wantResult(t, run, ferry.ResultApplied)
		wantWarnings(t, run, `^entity cat/users\.entity\.json \(microservice/users\) not applied: /properties/port: `)
		for _, id := range []string{"payments", "orders"} {
			if e := h.entity("microservice", id); e.Source.Commit != c3 {
				t.Errorf("%s was not applied once fixed: %+v", id, e.Source)
			}
			if actions, _ := h.history("microservice", id); !reflect.DeepEqual(actions, []string{"updated", "created"}) {
				t.Errorf("%s history = %v", id, actions)
			}
		}
		if e := h.entity("microservice", "users"); e.Properties["port"] != float64(9082) {
			t.Fatalf("users was changed by an invalid file: %+v", e)
		}
		// Deleting an invalid file deletes the entity it held before.
		h.repo.Commit("remove users", nil, "users.entity.json")
		run = h.pull("svc", false)
		wantResult(t, run, ferry.ResultApplied)
		h.gone("microservice", "users")
	})
}

// TestPullCatalogAPIWrites: an entity kept in Git is written through the API only with
// force, and the next pull that touches its file puts Git's version back.
func TestPullCatalogAPIWrites(t *testing.T) {
	eachDB(t, func(t *testing.T, newDB func() *sqlstore.DB) {
		ctx := context.Background()
		h := newCatalogHarness(t, newDB(), map[string]string{
			"payments.entity.json": service("payments", "https://pay.example.com", 8080),
			"orders.entity.json":   service("orders", "https://orders.example.com", 8081),
			"core.entity.json":     `{"blueprint": "team", "identifier": "core"}`,
		})
		wantResult(t, h.bindEntities("svc", "cat", h.url, "*.entity.json"), ferry.ResultApplied)

		api := catalog.PutOptions{Upsert: true, Source: ferry.Provenance{Source: ferry.SourceAPI, Actor: "user:alice"}}
		write := func(port int, opts catalog.PutOptions) error {
			return h.cat.PutEntities(ctx, "dev", []*ferry.Entity{{Blueprint: "microservice", Identifier: "payments",
				Properties: map[string]any{"url": "https://pay.example.com", "port": port}}}, opts)
		}
		err := write(1111, api)
		if ferry.ErrorCode(err) != ferry.ECONFLICT || !strings.Contains(ferry.ErrorMessage(err), "kept in Git") ||
			!strings.Contains(ferry.ErrorMessage(err), "cat/payments.entity.json") {
			t.Fatalf("an API write over a Git entity without force = %v", err)
		}
		if e := h.entity("microservice", "payments"); e.Source.Source != ferry.SourceGit || e.Properties["port"] != float64(8080) {
			t.Fatalf("a refused API write changed the entity: %+v", e)
		}
		api.Force = true
		if err := write(9999, api); err != nil {
			t.Fatalf("an API write with force: %v", err)
		}
		if e := h.entity("microservice", "payments"); e.Source.Source != ferry.SourceAPI || e.Source.Actor != "user:alice" || e.Properties["port"] != float64(9999) {
			t.Fatalf("after the forced API write: %+v", e)
		}

		// A pull that does not touch its file leaves the API's version.
		h.repo.Commit("orders only", map[string]string{"orders.entity.json": service("orders", "https://orders.example.com", 9081)})
		run := h.pull("svc", false)
		wantResult(t, run, ferry.ResultApplied)
		wantWarnings(t, run)
		if e := h.entity("microservice", "payments"); e.Source.Source != ferry.SourceAPI || e.Properties["port"] != float64(9999) {
			t.Fatalf("a pull that did not touch the file changed the entity: %+v", e)
		}

		// One that touches it puts Git's version back, and says so.
		c3 := h.repo.Commit("payments", map[string]string{"payments.entity.json": service("payments", "https://pay.example.com", 8443)})
		run = h.pull("svc", false)
		wantResult(t, run, ferry.ResultApplied)
		wantWarnings(t, run, `^entity microservice/payments was written through the API; Git's version is back$`)
		e := h.entity("microservice", "payments")
		if e.Source.Source != ferry.SourceGit || e.Source.Binding != "svc" || e.Source.Commit != c3 || e.Source.Actor != "" ||
			!reflect.DeepEqual(e.Properties, props("https://pay.example.com", 8443)) {
			t.Fatalf("after the pull: %+v", e)
		}
		actions, changes := h.history("microservice", "payments")
		if !reflect.DeepEqual(actions, []string{"updated", "updated", "created"}) || changes[0].Source.Source != ferry.SourceGit ||
			changes[1].Source.Source != ferry.SourceAPI || changes[1].Source.Actor != "user:alice" {
			t.Fatalf("history = %v %+v", actions, changes)
		}
		// Git owns it again: an API write without force is refused again.
		if err := write(1, catalog.PutOptions{Upsert: true, Source: api.Source}); ferry.ErrorCode(err) != ferry.ECONFLICT {
			t.Fatalf("an API write after Git took the entity back = %v", err)
		}
		// Deleting through the API needs force too.
		if err := h.cat.DeleteEntity(ctx, "dev", "microservice", "orders", false, api.Source); ferry.ErrorCode(err) != ferry.ECONFLICT {
			t.Fatalf("an API delete of a Git entity without force = %v", err)
		}
	})
}

// TestPullCatalogOneOfMany: a pull that changes one entity file of 2,000 writes as many rows
// as one that changes one of 10.
func TestPullCatalogOneOfMany(t *testing.T) {
	const many = 2000
	eachDB(t, func(t *testing.T, newDB func() *sqlstore.DB) {
		files := map[string]string{}
		for i := 0; i < 10; i++ {
			id := fmt.Sprintf("few-%04d", i)
			files[fmt.Sprintf("few/%s.entity.json", id)] = service(id, "https://"+id+".example.com", 1000+i)
		}
		for i := 0; i < many; i++ {
			id := fmt.Sprintf("many-%04d", i)
			files[fmt.Sprintf("many/s%02d/%s.entity.json", i%20, id)] = service(id, "https://"+id+".example.com", 1000+i)
		}
		files["core.entity.json"] = `{"blueprint": "team", "identifier": "core"}`
		h := newCatalogHarness(t, newDB(), files) // one commit, written with one git fast-import
		for name, want := range map[string]string{"few": "10 entity files", "many": fmt.Sprintf("%d entity files", many)} {
			b := &ferry.Binding{Namespace: "dev", Name: name, Directory: name, URL: h.url, Ref: "main", Path: name, Entities: &ferry.EntitySpec{Glob: "**/*.entity.json"}}
			run, err := h.svc.CreateBinding(context.Background(), b, "tester")
			if err != nil {
				t.Fatal(err)
			}
			run = h.wait(run)
			wantResult(t, run, ferry.ResultApplied)
			if got := catalogStep(t, run); !strings.HasPrefix(got, want+":") {
				t.Fatalf("first pull of %s: catalog step %q", name, got)
			}
		}
		if got := len(h.identifiers("microservice")); got != 1000 { // one page
			t.Fatalf("%d entities listed, want a full page of 1,000", got)
		}
		rows := map[string]int64{}
		for _, tc := range []struct{ name, path, id string }{
			{"few", "few/few-0003.entity.json", "few-0003"},
			{"many", "many/s03/many-0003.entity.json", "many-0003"},
		} {
			commit := h.repo.Commit("one file", map[string]string{tc.path: service(tc.id, "https://changed.example.com", 1)})
			before := h.db.RowsWritten()
			run := h.pull(tc.name, false)
			rows[tc.name] = h.db.RowsWritten() - before
			wantResult(t, run, ferry.ResultApplied)
			if got, want := catalogStep(t, run), "1 entity file: 1 entity read, 0 deleted, 0 failed"; got != want {
				t.Fatalf("%s: catalog step %q, want %q", tc.name, got, want)
			}
			if e := h.entity("microservice", tc.id); e.Source.Commit != commit || e.Properties["port"] != float64(1) {
				t.Fatalf("%s: the changed entity = %+v", tc.name, e)
			}
		}
		if rows["many"] != rows["few"] || rows["many"] >= 50 {
			t.Fatalf("a one-file pull wrote %d rows among %d entity files and %d among 10: want the same, under 50",
				rows["many"], many, rows["few"])
		}
		t.Logf("a one-file pull wrote %d rows (10 or %d entity files)", rows["many"], many)
	})
}

// TestPullCatalogFullImport: a first pull that finds the files in the namespace already, and
// a forced pull after the glob changed, hand the catalog every entity file of the binding;
// entities of files the glob no longer selects go.
func TestPullCatalogFullImport(t *testing.T) {
	eachDB(t, func(t *testing.T, newDB func() *sqlstore.DB) {
		ctx := context.Background()
		files := map[string]string{
			"a.entity.json":    service("a", "https://a.example.com", 1),
			"b.entity.json":    service("b", "https://b.example.com", 2),
			"core.entity.json": `{"blueprint": "team", "identifier": "core"}`,
		}
		h := newCatalogHarness(t, newDB(), files)
		cs := &ferry.ChangeSet{Namespace: "dev", Actor: "t"}
		for path, content := range files {
			cs.Changes = append(cs.Changes, ferry.FileChange{Path: "cat/" + path, Content: []byte(content)})
		}
		if _, _, err := h.db.ApplyChanges(ctx, cs); err != nil {
			t.Fatal(err)
		}
		first := h.bindEntities("svc", "cat", h.url, "*.entity.json")
		wantResult(t, first, ferry.ResultUpToDate) // the directory holds the commit's files already
		if got, want := catalogStep(t, first), "3 entity files: 3 entities read, 0 deleted, 0 failed"; got != want {
			t.Fatalf("first pull: catalog step %q, want %q", got, want)
		}
		for _, k := range []ferry.EntityKey{{Blueprint: "microservice", Identifier: "a"}, {Blueprint: "microservice", Identifier: "b"}, {Blueprint: "team", Identifier: "core"}} {
			if e := h.entity(k.Blueprint, k.Identifier); e.Source.Commit != h.repo.Head() {
				t.Errorf("%v provenance = %+v", k, e.Source)
			}
		}

		// The glob narrows: the next pull, without news from Git, reads the files again and
		// drops b; a forced one after it reads them and changes nothing.
		if _, err := h.svc.UpdateBinding(ctx, "dev", "svc", ferry.BindingUpdate{Entities: &ferry.EntitySpec{Glob: "[ac]*.entity.json"}}); err != nil {
			t.Fatal(err)
		}
		next := h.pull("svc", false)
		wantResult(t, next, ferry.ResultUpToDate)
		if got, want := catalogStep(t, next), "2 entity files: 2 entities read, 1 deleted, 0 failed"; got != want {
			t.Fatalf("pull after the glob changed: catalog step %q, want %q", got, want)
		}
		h.gone("microservice", "b")
		forced := h.pull("svc", true)
		wantResult(t, forced, ferry.ResultUpToDate)
		if got, want := catalogStep(t, forced), "2 entity files: 2 entities read, 0 deleted, 0 failed"; got != want {
			t.Fatalf("forced pull: catalog step %q, want %q", got, want)
		}

		// Without a glob, pulls leave the catalog alone.
		if _, err := h.svc.UpdateBinding(ctx, "dev", "svc", ferry.BindingUpdate{Entities: &ferry.EntitySpec{}}); err != nil {
			t.Fatal(err)
		}
		h.repo.Commit("change a", map[string]string{"a.entity.json": service("a", "https://a.example.com", 9)})
		run := h.pull("svc", false)
		wantResult(t, run, ferry.ResultApplied)
		if got := catalogStep(t, run); got != "no entity glob" {
			t.Fatalf("catalog step without a glob: %q", got)
		}
		if e := h.entity("microservice", "a"); e.Properties["port"] != float64(1) {
			t.Fatalf("a pull without a glob changed an entity: %+v", e)
		}
	})
}

// flakySyncer fails the catalog step of the first pull after it is armed, then hands
// every pull to the real catalog.
type flakySyncer struct {
	cat   *catalog.Service
	armed chan struct{} // receives once per failure to make
}

func (f *flakySyncer) SyncEntities(ctx context.Context, s *ferry.EntitySync) (*ferry.EntitySyncReport, error) {
	select {
	case <-f.armed:
		return nil, errors.New("the database went away")
	default:
		return f.cat.SyncEntities(ctx, s)
	}
}

// TestPullCatalogRetry: when the catalog step of a pull fails after its files were applied,
// the retry still brings the changed entities to the catalog.
func TestPullCatalogRetry(t *testing.T) {
	h := newHarness(t, openDB(t, sqlstore.Config{DataDir: t.TempDir()}), map[string]string{
		"payments.entity.json": service("payments", "https://pay.example.com", 8080),
	}, gitsync.Limits{})
	cat := &catalog.Service{Store: h.db}
	flaky := &flakySyncer{cat: cat, armed: make(chan struct{}, 1)}
	h.svc.Catalog = flaky
	ctx := context.Background()
	for _, b := range []*ferry.Blueprint{{Namespace: "dev", Identifier: "team"}, {Namespace: "dev", Identifier: "microservice",
		Schema: json.RawMessage(microserviceSchema), Relations: map[string]ferry.Relation{"team": {Target: "team"}}}} {
		if err := cat.CreateBlueprint(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	ch := &catalogHarness{harness: h, cat: cat}
	wantResult(t, ch.bindEntities("svc", "cat", h.url, "*.entity.json"), ferry.ResultApplied)

	commit := h.repo.Commit("change", map[string]string{"payments.entity.json": service("payments", "https://pay.example.com", 9090)})
	flaky.armed <- struct{}{}
	run := h.pull("svc", false)
	wantResult(t, run, ferry.ResultFailed)
	// The queue retries the run after its backoff.
	deadline := time.Now().Add(30 * time.Second)
	for run.State != ferry.RunDone && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		var err error
		if run, err = h.db.FindRunByID(ctx, run.ID); err != nil {
			t.Fatal(err)
		}
	}
	if run.State != ferry.RunDone || run.Result == ferry.ResultFailed {
		t.Fatalf("the retry did not end: %+v", run)
	}
	if e := ch.entity("microservice", "payments"); e.Source.Commit != commit || e.Properties["port"] != float64(9090) {
		t.Fatalf("after the retry (%s, steps %+v) the entity is %+v: the change never reached the catalog", run.Result, run.Steps, e)
	}
}
