package sqlstore_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/sqlstore"
)

func TestPutEntities(t *testing.T) {
	forEachClockedDB(t, func(t *testing.T, db *sqlstore.DB, now *time.Time) {
		ctx := context.Background()
		t0 := fixedNow
		mustCreateNamespace(t, db, "dev")
		mustCreateNamespace(t, db, "prod")
		mustCreateBlueprint(t, db, "dev", "service")
		mustCreateBlueprint(t, db, "dev", "team")
		mustCreateBlueprint(t, db, "prod", "service")

		fromGit := func(id, commit string, props map[string]any) *ferry.Entity {
			return &ferry.Entity{Namespace: "dev", Blueprint: "service", Identifier: id, Title: "Service " + id, Properties: props,
				Relations: map[string]json.RawMessage{"team": json.RawMessage(`"payments"`), "uses": json.RawMessage(`[ "b", "c" ]`)},
				Source: ferry.Provenance{Source: ferry.SourceGit, Binding: "infra", Repository: "https://git.example.com/infra.git",
					Path: "catalog/" + id + ".yaml", Commit: commit, At: t0.Add(-time.Hour)}}
		}
		a := fromGit("a", "c1", map[string]any{"url": "https://a.example.com", "replicas": 3, "public": true, "tags": []any{"x"}})
		b := fromGit("b", "c1", nil)
		c := apiEntity("dev", "team", "payments", map[string]any{"name": "Payments"})

		wantCode(t, db.PutEntities(ctx, []*ferry.Entity{a, apiEntity("prod", "service", "x", nil)}, false), ferry.EINVALID)
		wantCode(t, db.PutEntities(ctx, []*ferry.Entity{a, fromGit("a", "c2", nil)}, true), ferry.EINVALID)
		wantCode(t, db.PutEntities(ctx, []*ferry.Entity{a, apiEntity("dev", "nope", "x", nil)}, false), ferry.ENOTFOUND)
		wantCode(t, db.PutEntities(ctx, []*ferry.Entity{apiEntity("nope", "service", "x", nil)}, false), ferry.ENOTFOUND)
		if err := db.PutEntities(ctx, nil, false); err != nil {
			t.Fatal(err)
		}

		before := db.RowsWritten()
		mustPut(t, db, false, a, b, c)
		if n := db.RowsWritten() - before; n != 6 {
			t.Fatalf("creating 3 entities wrote %d rows, want 6 (3 entities and 3 changes)", n)
		}
		if !a.CreatedAt.Equal(t0) || !a.UpdatedAt.Equal(t0) {
			t.Fatalf("times of a: %v %v", a.CreatedAt, a.UpdatedAt)
		}
		got := mustFindEntity(t, db, "dev", "service", "a")
		want := &ferry.Entity{Namespace: "dev", Blueprint: "service", Identifier: "a", Title: "Service a",
			Properties: map[string]any{"url": "https://a.example.com", "replicas": float64(3), "public": true, "tags": []any{"x"}},
			Relations:  map[string]json.RawMessage{"team": json.RawMessage(`"payments"`), "uses": json.RawMessage(`["b","c"]`)},
			Source:     a.Source, CreatedAt: t0, UpdatedAt: t0}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("found\n%+v\nwant\n%+v", got, want)
		}
		if got := mustFindEntity(t, db, "dev", "service", "b"); got.Properties == nil || len(got.Properties) != 0 {
			t.Fatalf("b's properties = %#v, want an empty map", got.Properties)
		}

		// Without upsert an existing entity is a conflict, and nothing of the batch is written.
		*now = t0.Add(time.Minute)
		before = db.RowsWritten()
		err := db.PutEntities(ctx, []*ferry.Entity{fromGit("new", "c2", nil), fromGit("b", "c2", nil)}, false)
		wantCode(t, err, ferry.ECONFLICT)
		if msg := ferry.ErrorMessage(err); !strings.Contains(msg, `"b"`) {
			t.Fatalf("conflict message %q does not name b", msg)
		}
		_, err = db.FindEntity(ctx, "dev", "service", "new")
		wantCode(t, err, ferry.ENOTFOUND)
		if n := db.RowsWritten() - before; n != 0 {
			t.Fatalf("a refused batch wrote %d rows", n)
		}

		// The same data at a new commit is not written again.
		*now = t0.Add(2 * time.Minute)
		same := fromGit("a", "c2", map[string]any{"url": "https://a.example.com", "replicas": 3.0, "public": true, "tags": []string{"x"}})
		mustPut(t, db, true, same, fromGit("b", "c2", nil))
		if n := db.RowsWritten() - before; n != 0 {
			t.Fatalf("an unchanged upsert wrote %d rows", n)
		}
		if !same.CreatedAt.Equal(t0) || !same.UpdatedAt.Equal(t0) {
			t.Fatalf("an unchanged entity got times %v %v, want those stored", same.CreatedAt, same.UpdatedAt)
		}
		if got := mustFindEntity(t, db, "dev", "service", "a"); got.Source.Commit != "c1" || !got.UpdatedAt.Equal(t0) {
			t.Fatalf("after an unchanged upsert: %+v", got.Source)
		}
		if h := history(t, db, "dev", "service", "a", 0); actions(h) != "created" {
			t.Fatalf("history after an unchanged upsert: %q", actions(h))
		}

		// Changed data is replaced, keeping the creation time; a new entity in the same batch
		// is created.
		*now = t0.Add(3 * time.Minute)
		changed := fromGit("a", "c3", map[string]any{"url": "https://a2.example.com"})
		changed.Relations = nil
		d := fromGit("d", "c3", nil)
		mustPut(t, db, true, changed, fromGit("b", "c3", nil), d)
		if n := db.RowsWritten() - before; n != 4 {
			t.Fatalf("an upsert of 1 changed, 1 new and 1 unchanged entity wrote %d rows, want 4", n)
		}
		got = mustFindEntity(t, db, "dev", "service", "a")
		if !got.CreatedAt.Equal(t0) || !got.UpdatedAt.Equal(*now) || got.Source.Commit != "c3" || got.Relations != nil ||
			!reflect.DeepEqual(got.Properties, map[string]any{"url": "https://a2.example.com"}) {
			t.Fatalf("after a change: %+v", got)
		}
		if !changed.CreatedAt.Equal(t0) || !changed.UpdatedAt.Equal(*now) || !d.CreatedAt.Equal(*now) {
			t.Fatalf("times set: changed %v %v, new %v", changed.CreatedAt, changed.UpdatedAt, d.CreatedAt)
		}

		// A change of provenance alone is written: the file moved.
		*now = t0.Add(4 * time.Minute)
		moved := fromGit("b", "c4", nil)
		moved.Source.Path = "catalog/moved/b.yaml"
		before = db.RowsWritten()
		mustPut(t, db, true, moved)
		if n := db.RowsWritten() - before; n != 2 {
			t.Fatalf("a move wrote %d rows, want 2", n)
		}
		h := history(t, db, "dev", "service", "b", 0)
		if actions(h) != "updated created" || h[0].Source.Path != "catalog/moved/b.yaml" || h[0].Entity.Source.Commit != "c4" {
			t.Fatalf("history of b: %q, %+v", actions(h), h[0])
		}
		// Taking over an entity through the API is a change of provenance too.
		api := apiEntity("dev", "service", "b", nil)
		api.Title, api.Relations = "Service b", moved.Relations
		mustPut(t, db, true, api)
		if got := mustFindEntity(t, db, "dev", "service", "b"); got.Source.Source != "api" || got.Source.Binding != "" {
			t.Fatalf("after an API write: %+v", got.Source)
		}
	})
}

func TestListEntities(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		mustCreateNamespace(t, db, "dev")
		mustCreateBlueprint(t, db, "dev", "service")
		mustCreateBlueprint(t, db, "dev", "team")
		e := func(id, title string, props map[string]any) *ferry.Entity {
			x := apiEntity("dev", "service", id, props)
			x.Title = title
			return x
		}
		mustPut(t, db, false,
			e("alpha", "Payments API", map[string]any{"tier": "gold", "replicas": 3, "public": true}),
			e("beta", "100% Done", map[string]any{"tier": "silver", "replicas": 1, "public": false}),
			e("gamma_ray", "Orders", map[string]any{"tier": "gold", "replicas": 3.5, "public": false, "label": "true"}),
			e("gammaxray", "Orders too", map[string]any{"tier": "bronze", "note": "a<b & c"}),
			e("delta", "snake", map[string]any{"tier": "3", "team": map[string]any{"name": "x"}}),
			e("Epsilon", "", nil),
			e("v10", "ten", map[string]any{"label": true}),
			apiEntity("dev", "team", "alpha-team", map[string]any{"tier": "gold"}),
		)
		list := func(f ferry.EntityFilter) string {
			t.Helper()
			f.Blueprint = "service"
			var ids []string
			for pages := 0; ; pages++ {
				items, next, err := db.ListEntities(ctx, "dev", f)
				if err != nil {
					t.Fatal(err)
				}
				for _, it := range items {
					ids = append(ids, it.Identifier)
				}
				if next == "" {
					return strings.Join(ids, " ")
				}
				if pages > 20 {
					t.Fatal("pagination does not end")
				}
				f.Page.Cursor = next
			}
		}
		for _, tc := range []struct {
			name string
			f    ferry.EntityFilter
			want string
		}{
			{"all by identifier", ferry.EntityFilter{}, "Epsilon alpha beta delta gamma_ray gammaxray v10"},
			{"pages of 2", ferry.EntityFilter{Page: ferry.Page{Limit: 2}}, "Epsilon alpha beta delta gamma_ray gammaxray v10"},
			{"pages of 1", ferry.EntityFilter{Page: ferry.Page{Limit: 1}}, "Epsilon alpha beta delta gamma_ray gammaxray v10"},
			{"search in title ignores case", ferry.EntityFilter{Search: "PAYMENTS"}, "alpha"},
			{"search in identifier ignores case", ferry.EntityFilter{Search: "epsilon"}, "Epsilon"},
			{"search substring", ferry.EntityFilter{Search: "orders"}, "gamma_ray gammaxray"},
			{"underscore is literal", ferry.EntityFilter{Search: "a_r"}, "gamma_ray"},
			{"percent is literal", ferry.EntityFilter{Search: "0%"}, "beta"},
			{"backslash is literal", ferry.EntityFilter{Search: `\`}, ""},
			{"string property", ferry.EntityFilter{Properties: map[string]string{"tier": "gold"}}, "alpha gamma_ray"},
			{"string property as JSON", ferry.EntityFilter{Properties: map[string]string{"tier": `"gold"`}}, "alpha gamma_ray"},
			{"number property", ferry.EntityFilter{Properties: map[string]string{"replicas": "3"}}, "alpha"},
			{"fractional number property", ferry.EntityFilter{Properties: map[string]string{"replicas": "3.5"}}, "gamma_ray"},
			{"bool property", ferry.EntityFilter{Properties: map[string]string{"public": "false"}}, "beta gamma_ray"},
			{"bool or string property", ferry.EntityFilter{Properties: map[string]string{"label": "true"}}, "gamma_ray v10"},
			{"string that looks like a number", ferry.EntityFilter{Properties: map[string]string{"tier": "3"}}, "delta"},
			{"string with markup", ferry.EntityFilter{Properties: map[string]string{"note": "a<b & c"}}, "gammaxray"},
			{"object property", ferry.EntityFilter{Properties: map[string]string{"team": "x"}}, ""},
			{"missing property", ferry.EntityFilter{Properties: map[string]string{"nope": "gold"}}, ""},
			{"filters combine", ferry.EntityFilter{Properties: map[string]string{"tier": "gold", "public": "false"}}, "gamma_ray"},
			{"search and filter", ferry.EntityFilter{Search: "a", Properties: map[string]string{"tier": "gold"}, Page: ferry.Page{Limit: 1}}, "alpha gamma_ray"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if got := list(tc.f); got != tc.want {
					t.Fatalf("listed %q, want %q", got, tc.want)
				}
			})
		}
		items, next, err := db.ListEntities(ctx, "dev", ferry.EntityFilter{Blueprint: "service", Page: ferry.Page{Limit: 7}})
		if err != nil || len(items) != 7 || next != "" {
			t.Fatalf("a full last page: %d items, next %q, %v", len(items), next, err)
		}
		if items[1].Properties["replicas"] != float64(3) || items[1].Source.Actor != "user:alice" {
			t.Fatalf("listed alpha = %+v", items[1])
		}
		for _, f := range []ferry.EntityFilter{
			{},
			{Blueprint: "service", Properties: map[string]string{`a"b`: "x"}},
			{Blueprint: "service", Page: ferry.Page{Cursor: "!!"}},
		} {
			_, _, err := db.ListEntities(ctx, "dev", f)
			wantCode(t, err, ferry.EINVALID)
		}
		_, _, err = db.ListEntities(ctx, "dev", ferry.EntityFilter{Blueprint: "nope"})
		wantCode(t, err, ferry.ENOTFOUND)
		_, _, err = db.ListEntities(ctx, "nope", ferry.EntityFilter{Blueprint: "service"})
		wantCode(t, err, ferry.ENOTFOUND)
	})
}

func TestDeleteEntitiesAndHistory(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		mustCreateNamespace(t, db, "dev")
		mustCreateBlueprint(t, db, "dev", "service")
		mustPut(t, db, false, apiEntity("dev", "service", "a", map[string]any{"v": 1}), apiEntity("dev", "service", "b", nil))
		mustPut(t, db, true, apiEntity("dev", "service", "a", map[string]any{"v": 2}))

		src := ferry.Provenance{Source: "api", Actor: "token:7"}
		before := db.RowsWritten()
		if err := db.DeleteEntities(ctx, "dev", []ferry.EntityKey{key("service", "a"), key("service", "nope"), key("nope", "a"), key("service", "a")}, src); err != nil {
			t.Fatal(err)
		}
		if n := db.RowsWritten() - before; n != 2 {
			t.Fatalf("deleting one entity wrote %d rows, want 2", n)
		}
		_, err := db.FindEntity(ctx, "dev", "service", "a")
		wantCode(t, err, ferry.ENOTFOUND)
		mustFindEntity(t, db, "dev", "service", "b")

		h := history(t, db, "dev", "service", "a", 1)
		if actions(h) != "deleted updated created" {
			t.Fatalf("history %q", actions(h))
		}
		if h[0].Entity != nil || h[0].Source.Actor != "token:7" || !h[0].Source.At.Equal(fixedNow) || !(h[0].ID > h[1].ID && h[1].ID > h[2].ID) {
			t.Fatalf("deletion %+v", h[0])
		}
		if e := h[1].Entity; e == nil || e.Properties["v"] != float64(2) || e.Namespace != "dev" || e.Identifier != "a" || e.Source.Actor != "user:alice" ||
			!e.CreatedAt.Equal(fixedNow) {
			t.Fatalf("update snapshot %+v", h[1].Entity)
		}
		if e := h[2].Entity; e == nil || e.Properties["v"] != float64(1) {
			t.Fatalf("creation snapshot %+v", h[2].Entity)
		}

		// A new entity of the same identifier continues the history.
		mustPut(t, db, false, apiEntity("dev", "service", "a", nil))
		if got := actions(history(t, db, "dev", "service", "a", 2)); got != "created deleted updated created" {
			t.Fatalf("history after re-creating: %q", got)
		}
		_, _, err = db.EntityHistory(ctx, "dev", "service", "never", ferry.Page{})
		wantCode(t, err, ferry.ENOTFOUND)
		_, _, err = db.EntityHistory(ctx, "nope", "service", "a", ferry.Page{})
		wantCode(t, err, ferry.ENOTFOUND)
		_, _, err = db.EntityHistory(ctx, "dev", "service", "a", ferry.Page{Cursor: "!!"})
		wantCode(t, err, ferry.EINVALID)
		wantCode(t, db.DeleteEntities(ctx, "nope", []ferry.EntityKey{key("service", "a")}, src), ferry.ENOTFOUND)
	})
}

func TestEntitiesFromBindingAndExist(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		mustCreateNamespace(t, db, "dev")
		mustCreateNamespace(t, db, "prod")
		mustCreateBlueprint(t, db, "dev", "service")
		mustCreateBlueprint(t, db, "dev", "team")
		mustCreateBlueprint(t, db, "prod", "service")
		git := func(ns, bp, id, binding string) *ferry.Entity {
			return &ferry.Entity{Namespace: ns, Blueprint: bp, Identifier: id,
				Source: ferry.Provenance{Source: ferry.SourceGit, Binding: binding, Path: bp + "/" + id + ".yaml", Commit: "c1"}}
		}
		var many []*ferry.Entity
		for i := 0; i < 1200; i++ {
			many = append(many, git("dev", "service", fmt.Sprintf("s%04d", i), "infra"))
		}
		mustPut(t, db, false, append(many, git("dev", "team", "payments", "infra"), git("dev", "team", "orders", "other"),
			apiEntity("dev", "team", "api", nil))...)
		mustPut(t, db, false, git("prod", "service", "s0001", "infra"))

		got, err := db.EntitiesFromBinding(ctx, "dev", "infra")
		if err != nil || len(got) != 1201 || got[key("team", "payments")] != "team/payments.yaml" ||
			got[key("service", "s1199")] != "service/s1199.yaml" {
			t.Fatalf("from binding: %d entities, %v", len(got), err)
		}
		if got, err := db.EntitiesFromBinding(ctx, "dev", "nope"); err != nil || len(got) != 0 {
			t.Fatalf("from an unknown binding: %v, %v", got, err)
		}
		_, err = db.EntitiesFromBinding(ctx, "nope", "infra")
		wantCode(t, err, ferry.ENOTFOUND)

		keys := []ferry.EntityKey{key("team", "api"), key("team", "nope"), key("nope", "api"), key("service", "api")}
		for i := 0; i < 1300; i += 2 {
			keys = append(keys, key("service", fmt.Sprintf("s%04d", i)))
		}
		exist, err := db.EntitiesExist(ctx, "dev", keys)
		if err != nil || len(exist) != 601 || !exist[key("team", "api")] || !exist[key("service", "s1198")] ||
			exist[key("service", "s1200")] {
			t.Fatalf("exist: %d, %v", len(exist), err)
		}
		_, err = db.EntitiesExist(ctx, "nope", keys)
		wantCode(t, err, ferry.ENOTFOUND)

		if err := db.DeleteEntities(ctx, "dev", keysOf(many[:700]), ferry.Provenance{Source: ferry.SourceGit, Binding: "infra"}); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.EntitiesFromBinding(ctx, "dev", "infra"); len(got) != 501 {
			t.Fatalf("after deleting 700: %d from the binding", len(got))
		}
	})
}

func key(bp, id string) ferry.EntityKey { return ferry.EntityKey{Blueprint: bp, Identifier: id} }

func keysOf(entities []*ferry.Entity) []ferry.EntityKey {
	var keys []ferry.EntityKey
	for _, e := range entities {
		keys = append(keys, ferry.EntityKey{Blueprint: e.Blueprint, Identifier: e.Identifier})
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].Identifier < keys[j].Identifier })
	return keys
}
