package sqlstore_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/sqlstore"
)

// forEachClockedDB is forEachDB with a clock the test moves: *now is the time.
func forEachClockedDB(t *testing.T, test func(t *testing.T, db *sqlstore.DB, now *time.Time)) {
	t.Helper()
	ctx := context.Background()
	t.Run("sqlite", func(t *testing.T) {
		now := fixedNow
		db, err := sqlstore.Open(ctx, sqlstore.Config{DataDir: t.TempDir(), Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		test(t, db, &now)
	})
	t.Run("postgres", func(t *testing.T) {
		base := os.Getenv("FERRY_TEST_POSTGRES_URL")
		if base == "" {
			t.Skip("FERRY_TEST_POSTGRES_URL is not set")
		}
		now := fixedNow
		db, err := sqlstore.Open(ctx, sqlstore.Config{DatabaseURL: openPostgres(t, base).URL(), Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		test(t, db, &now)
	})
}

func mustCreateBlueprint(t *testing.T, db *sqlstore.DB, ns, id string) *ferry.Blueprint {
	t.Helper()
	b := &ferry.Blueprint{Namespace: ns, Identifier: id, Schema: json.RawMessage(`{}`)}
	if err := db.CreateBlueprint(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	return b
}

// apiEntity is an entity of ns written through the API.
func apiEntity(ns, bp, id string, props map[string]any) *ferry.Entity {
	return &ferry.Entity{Namespace: ns, Blueprint: bp, Identifier: id, Properties: props,
		Source: ferry.Provenance{Source: "api", Actor: "user:alice", At: fixedNow}}
}

func mustPut(t *testing.T, db *sqlstore.DB, upsert bool, entities ...*ferry.Entity) {
	t.Helper()
	if err := db.PutEntities(context.Background(), entities, upsert); err != nil {
		t.Fatal(err)
	}
}

func mustFindEntity(t *testing.T, db *sqlstore.DB, ns, bp, id string) *ferry.Entity {
	t.Helper()
	e, err := db.FindEntity(context.Background(), ns, bp, id)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// history returns the actions of an entity's changes, newest first, on pages of limit.
func history(t *testing.T, db *sqlstore.DB, ns, bp, id string, limit int) []*ferry.EntityChange {
	t.Helper()
	var all []*ferry.EntityChange
	page := ferry.Page{Limit: limit}
	for i := 0; ; i++ {
		items, next, err := db.EntityHistory(context.Background(), ns, bp, id, page)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, items...)
		if next == "" {
			return all
		}
		if i > 20 {
			t.Fatal("pagination does not end")
		}
		page.Cursor = next
	}
}

func actions(changes []*ferry.EntityChange) string {
	var s []string
	for _, c := range changes {
		s = append(s, c.Action)
	}
	return strings.Join(s, " ")
}

func TestBlueprints(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		b := &ferry.Blueprint{Namespace: "dev", Identifier: "service", Title: "Service",
			Schema:    json.RawMessage(`{ "type": "object" }`),
			Relations: map[string]ferry.Relation{"team": {Target: "team", Required: true}, "uses": {Target: "service", Many: true}}}
		wantCode(t, db.CreateBlueprint(ctx, b), ferry.ENOTFOUND)
		mustCreateNamespace(t, db, "dev")
		mustCreateNamespace(t, db, "empty")
		if err := db.CreateBlueprint(ctx, b); err != nil {
			t.Fatal(err)
		}
		if !b.CreatedAt.Equal(fixedNow) || !b.UpdatedAt.Equal(fixedNow) {
			t.Fatalf("created %+v", b)
		}
		wantCode(t, db.CreateBlueprint(ctx, &ferry.Blueprint{Namespace: "dev", Identifier: "service"}), ferry.ECONFLICT)
		mustCreateBlueprint(t, db, "empty", "service") // identifiers are per namespace

		got, err := db.FindBlueprint(ctx, "dev", "service")
		want := *b
		want.Schema = json.RawMessage(`{"type":"object"}`)
		if err != nil || !reflect.DeepEqual(got, &want) {
			t.Fatalf("find = %+v, %v; want %+v", got, err, &want)
		}
		_, err = db.FindBlueprint(ctx, "dev", "nope")
		wantCode(t, err, ferry.ENOTFOUND)
		_, err = db.FindBlueprint(ctx, "nope", "service")
		wantCode(t, err, ferry.ENOTFOUND)

		mustCreateBlueprint(t, db, "dev", "team")
		mustCreateBlueprint(t, db, "dev", "api")
		list, err := db.ListBlueprints(ctx, "dev")
		if err != nil || len(list) != 3 || list[0].Identifier != "api" || list[1].Identifier != "service" || list[2].Identifier != "team" {
			t.Fatalf("list = %v, %v", list, err)
		}
		if list[2].Relations != nil || string(list[2].Schema) != `{}` {
			t.Fatalf("team = %+v", list[2])
		}
		mustCreateNamespace(t, db, "bare")
		if list, err := db.ListBlueprints(ctx, "bare"); err != nil || list == nil || len(list) != 0 {
			t.Fatalf("list of a namespace without blueprints = %#v, %v", list, err)
		}
		_, err = db.ListBlueprints(ctx, "nope")
		wantCode(t, err, ferry.ENOTFOUND)

		up := &ferry.Blueprint{Namespace: "dev", Identifier: "service", Title: "Services", Schema: json.RawMessage(`{"required":["url"]}`)}
		if err := db.UpdateBlueprint(ctx, up, nil); err != nil {
			t.Fatal(err)
		}
		got, _ = db.FindBlueprint(ctx, "dev", "service")
		if got.Title != "Services" || string(got.Schema) != `{"required":["url"]}` || got.Relations != nil || !reflect.DeepEqual(got, up) {
			t.Fatalf("after update %+v, want %+v", got, up)
		}
		wantCode(t, db.UpdateBlueprint(ctx, &ferry.Blueprint{Namespace: "dev", Identifier: "nope"}, nil), ferry.ENOTFOUND)
		wantCode(t, db.UpdateBlueprint(ctx, &ferry.Blueprint{Namespace: "nope", Identifier: "service"}, nil), ferry.ENOTFOUND)
		wantCode(t, db.CreateBlueprint(ctx, &ferry.Blueprint{Namespace: "dev", Identifier: "x", Schema: json.RawMessage(`{`)}), ferry.EINVALID)

		if err := db.DeleteBlueprint(ctx, "dev", "api", false); err != nil {
			t.Fatal(err)
		}
		wantCode(t, db.DeleteBlueprint(ctx, "dev", "api", false), ferry.ENOTFOUND)
		wantCode(t, db.DeleteBlueprint(ctx, "nope", "api", true), ferry.ENOTFOUND)
		if got, _ := db.FindBlueprint(ctx, "empty", "service"); got == nil {
			t.Fatal("deleting in one namespace touched another")
		}
	})
}

func TestUpdateBlueprintMarksEntities(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		mustCreateNamespace(t, db, "dev")
		mustCreateBlueprint(t, db, "dev", "service")
		mustCreateBlueprint(t, db, "dev", "team")
		mustPut(t, db, false, apiEntity("dev", "service", "a", nil), apiEntity("dev", "service", "b", nil), apiEntity("dev", "team", "a", nil))
		invalid := func() string {
			var s []string
			for _, k := range [][2]string{{"service", "a"}, {"service", "b"}, {"team", "a"}} {
				e := mustFindEntity(t, db, "dev", k[0], k[1])
				if e.Invalid != (e.Violations != nil) {
					t.Fatalf("%s/%s: invalid %v with violations %v", k[0], k[1], e.Invalid, e.Violations)
				}
				if e.Invalid {
					s = append(s, k[0]+"/"+k[1]+":"+e.Violations[0].Message)
				}
			}
			return strings.Join(s, " ")
		}
		bp := &ferry.Blueprint{Namespace: "dev", Identifier: "service", Schema: json.RawMessage(`{"required":["url"]}`)}
		v := func(msg string) []ferry.Violation { return []ferry.Violation{{Pointer: "/properties", Message: msg}} }
		if err := db.UpdateBlueprint(ctx, bp, map[string][]ferry.Violation{"a": v("missing url"), "zzz": v("gone")}); err != nil {
			t.Fatal(err)
		}
		if got := invalid(); got != "service/a:missing url" {
			t.Fatalf("invalid after the first update: %q", got)
		}
		if err := db.UpdateBlueprint(ctx, bp, map[string][]ferry.Violation{"b": v("bad")}); err != nil {
			t.Fatal(err)
		}
		if got := invalid(); got != "service/b:bad" {
			t.Fatalf("invalid after the second update: %q", got)
		}
		// Writing the same data again, valid now, clears the mark.
		mustPut(t, db, true, apiEntity("dev", "service", "b", nil))
		if got := invalid(); got != "" {
			t.Fatalf("invalid after rewriting b: %q", got)
		}
	})
}

func TestDeleteBlueprintWithEntities(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		mustCreateNamespace(t, db, "dev")
		mustCreateBlueprint(t, db, "dev", "service")
		mustCreateBlueprint(t, db, "dev", "team")
		mustPut(t, db, false, apiEntity("dev", "service", "a", nil), apiEntity("dev", "service", "b", nil), apiEntity("dev", "team", "a", nil))
		err := db.DeleteBlueprint(ctx, "dev", "service", false)
		wantCode(t, err, ferry.ECONFLICT)
		if msg := ferry.ErrorMessage(err); !strings.Contains(msg, "has 2 entities") {
			t.Fatalf("message %q", msg)
		}
		mustFindEntity(t, db, "dev", "service", "a")

		if err := db.DeleteBlueprint(ctx, "dev", "service", true); err != nil {
			t.Fatal(err)
		}
		_, err = db.FindBlueprint(ctx, "dev", "service")
		wantCode(t, err, ferry.ENOTFOUND)
		_, err = db.FindEntity(ctx, "dev", "service", "a")
		wantCode(t, err, ferry.ENOTFOUND)
		mustFindEntity(t, db, "dev", "team", "a")
		for _, id := range []string{"a", "b"} {
			h := history(t, db, "dev", "service", id, 0)
			if actions(h) != "deleted created" || h[0].Entity != nil || h[0].Source.Source != "api" || !h[0].At.Equal(fixedNow) {
				t.Fatalf("history of %s: %q, %+v", id, actions(h), h[0])
			}
		}
		// A blueprint of the same identifier starts empty.
		mustCreateBlueprint(t, db, "dev", "service")
		if items, _, err := db.ListEntities(ctx, "dev", ferry.EntityFilter{Blueprint: "service"}); err != nil || len(items) != 0 {
			t.Fatalf("entities of the new blueprint: %v, %v", items, err)
		}
	})
}

func TestDeleteNamespaceRemovesCatalog(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		mustCreateNamespace(t, db, "dev")
		mustCreateBlueprint(t, db, "dev", "service")
		mustPut(t, db, false, apiEntity("dev", "service", "a", nil))
		if err := db.DeleteEntities(ctx, "dev", []ferry.EntityKey{key("service", "a")}, ferry.Provenance{Source: "api"}); err != nil {
			t.Fatal(err)
		}
		mustPut(t, db, false, apiEntity("dev", "service", "a", nil), apiEntity("dev", "service", "b", nil))
		if err := db.DeleteNamespace(ctx, "dev"); err != nil {
			t.Fatal(err)
		}
		if db.URL() != "" {
			// On PostgreSQL a new namespace gets a new ID, so look at the tables themselves.
			raw, err := sql.Open("pgx", db.URL())
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			for _, table := range []string{"blueprints", "entities", "entity_changes"} {
				var n int
				if err := raw.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil || n != 0 {
					t.Fatalf("%s holds %d rows after the namespace was deleted (%v)", table, n, err)
				}
			}
		}
		mustCreateNamespace(t, db, "dev")
		if list, err := db.ListBlueprints(ctx, "dev"); err != nil || len(list) != 0 {
			t.Fatalf("blueprints after re-creating the namespace: %v, %v", list, err)
		}
		mustCreateBlueprint(t, db, "dev", "service")
		_, err := db.FindEntity(ctx, "dev", "service", "a")
		wantCode(t, err, ferry.ENOTFOUND)
		_, _, err = db.EntityHistory(ctx, "dev", "service", "a", ferry.Page{})
		wantCode(t, err, ferry.ENOTFOUND)
	})
}

// EntitySources returns the provenance of the entities that exist, and nothing for others.
func TestEntitySources(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		mustCreateNamespace(t, db, "dev")
		if err := db.CreateBlueprint(ctx, &ferry.Blueprint{Namespace: "dev", Identifier: "team", Schema: json.RawMessage(`{}`)}); err != nil {
			t.Fatal(err)
		}
		git := ferry.Provenance{Source: ferry.SourceGit, Binding: "b", Repository: "https://h/r.git", Path: "t/a.json", Commit: "c0ffee", At: fixedNow}
		api := ferry.Provenance{Source: ferry.SourceAPI, Actor: "token:3", At: fixedNow}
		err := db.PutEntities(ctx, []*ferry.Entity{
			{Namespace: "dev", Blueprint: "team", Identifier: "a", Properties: map[string]any{}, Source: git},
			{Namespace: "dev", Blueprint: "team", Identifier: "b", Properties: map[string]any{}, Source: api},
		}, false)
		if err != nil {
			t.Fatal(err)
		}
		got, err := db.EntitySources(ctx, "dev", []ferry.EntityKey{{Blueprint: "team", Identifier: "a"}, {Blueprint: "team", Identifier: "b"},
			{Blueprint: "team", Identifier: "c"}, {Blueprint: "nope", Identifier: "a"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[ferry.EntityKey{Blueprint: "team", Identifier: "a"}] != git || got[ferry.EntityKey{Blueprint: "team", Identifier: "b"}] != api {
			t.Fatalf("sources = %+v", got)
		}
		_, err = db.EntitySources(ctx, "nope", nil)
		wantCode(t, err, ferry.ENOTFOUND)
	})
}

// EntitiesAtPaths returns a binding's git entities read from the given paths only.
func TestEntitiesAtPaths(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		mustCreateNamespace(t, db, "dev")
		if err := db.CreateBlueprint(ctx, &ferry.Blueprint{Namespace: "dev", Identifier: "team", Schema: json.RawMessage(`{}`)}); err != nil {
			t.Fatal(err)
		}
		src := func(binding, path string) ferry.Provenance {
			return ferry.Provenance{Source: ferry.SourceGit, Binding: binding, Path: path, Commit: "c", At: fixedNow}
		}
		var es []*ferry.Entity
		for i, s := range []ferry.Provenance{src("b", "x.json"), src("b", "x.json"), src("b", "y.json"), src("other", "x.json"), {Source: ferry.SourceAPI, Actor: "admin", At: fixedNow}} {
			es = append(es, &ferry.Entity{Namespace: "dev", Blueprint: "team", Identifier: fmt.Sprintf("e%d", i), Properties: map[string]any{}, Source: s})
		}
		if err := db.PutEntities(ctx, es, false); err != nil {
			t.Fatal(err)
		}
		got, err := db.EntitiesAtPaths(ctx, "dev", "b", []string{"x.json", "z.json"})
		if err != nil {
			t.Fatal(err)
		}
		want := map[ferry.EntityKey]string{{Blueprint: "team", Identifier: "e0"}: "x.json", {Blueprint: "team", Identifier: "e1"}: "x.json"}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("at paths = %v, want %v", got, want)
		}
	})
}
