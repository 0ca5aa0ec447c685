package catalog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/catalog"
	"github.com/ferrygit/ferry/secretbox"
	"github.com/ferrygit/ferry/sqlstore"
)

// newCatalog returns a catalog over a fresh SQLite database with namespace dev and the
// blueprints team and service (a required relation owner → team, a list relation
// depends → service).
func newCatalog(t *testing.T) (*catalog.Service, *sqlstore.DB) {
	t.Helper()
	ctx := context.Background()
	box, err := secretbox.New(bytes.Repeat([]byte{3}, secretbox.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlstore.Open(ctx, sqlstore.Config{DataDir: t.TempDir(), Sealer: box})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.CreateNamespace(ctx, &ferry.Namespace{Name: "dev"}); err != nil {
		t.Fatal(err)
	}
	c := &catalog.Service{Store: db}
	for _, b := range []*ferry.Blueprint{
		{Namespace: "dev", Identifier: "team"},
		{Namespace: "dev", Identifier: "service", Schema: json.RawMessage(`{"type":"object","properties":{"port":{"type":"integer"}}}`),
			Relations: map[string]ferry.Relation{"owner": {Target: "team", Required: true}, "depends": {Target: "service", Many: true}}},
	} {
		if err := c.CreateBlueprint(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	return c, db
}

func wantCode(t *testing.T, err error, code string, fragments ...string) {
	t.Helper()
	if ferry.ErrorCode(err) != code {
		t.Fatalf("err = %v, want code %s", err, code)
	}
	for _, f := range fragments {
		if !strings.Contains(ferry.ErrorMessage(err), f) {
			t.Errorf("message %q does not contain %q", ferry.ErrorMessage(err), f)
		}
	}
}

func entity(bp, id, props, rels string) *ferry.Entity {
	e := &ferry.Entity{Blueprint: bp, Identifier: id}
	json.Unmarshal([]byte(props), &e.Properties)
	json.Unmarshal([]byte(rels), &e.Relations)
	return e
}

// Relations: a required one must be set, a list one must be a list of identifiers, an
// unknown one is refused; targets may be missing (dangling) or in the same batch, and a
// cycle is fine.
func TestRelations(t *testing.T) {
	c, _ := newCatalog(t)
	ctx := context.Background()
	api := catalog.PutOptions{Source: ferry.Provenance{Source: ferry.SourceAPI, Actor: "admin"}}
	for _, tc := range []struct {
		rels, pointer string
	}{
		{`{}`, "/relations/owner"},
		{`{"owner":["a"]}`, "/relations/owner"},
		{`{"owner":"a","depends":"b"}`, "/relations/depends"},
		{`{"owner":"a","depends":["not valid"]}`, "/relations/depends"},
		{`{"owner":"a","squad":"b"}`, "/relations/squad"},
	} {
		err := c.PutEntities(ctx, "dev", []*ferry.Entity{entity("service", "s", `{}`, tc.rels)}, api)
		wantCode(t, err, ferry.EINVALID, tc.pointer)
	}
	// A cycle within one batch, a target that is missing: written, the missing one dangling.
	a := entity("service", "a", `{"port":1}`, `{"owner":"payments","depends":["b"]}`)
	b := entity("service", "b", `{}`, `{"owner":"payments","depends":["a","ghost"]}`)
	if err := c.PutEntities(ctx, "dev", []*ferry.Entity{a, b}, api); err != nil {
		t.Fatal(err)
	}
	if strings.Join(a.Dangling, ",") != "owner:payments" || strings.Join(b.Dangling, ",") != "depends:ghost,owner:payments" && strings.Join(b.Dangling, ",") != "owner:payments,depends:ghost" {
		t.Fatalf("dangling: a %v, b %v", a.Dangling, b.Dangling)
	}
	// Twice in one batch: refused, nothing written.
	err := c.PutEntities(ctx, "dev", []*ferry.Entity{entity("team", "x", `{}`, `{}`), entity("team", "x", `{}`, `{}`)}, api)
	wantCode(t, err, ferry.EINVALID, "twice")
	var ee *ferry.EntityError
	if !asEntityError(err, &ee) || len(ee.Violations) != 1 || ee.Violations[0].Entity != "team/x" {
		t.Fatalf("violations = %+v", ee)
	}
	// Deleting a target leaves the relation dangling, not broken.
	if err := c.PutEntities(ctx, "dev", []*ferry.Entity{entity("team", "payments", `{}`, `{}`)}, api); err != nil {
		t.Fatal(err)
	}
	if got, err := c.GetEntity(ctx, "dev", "service", "a"); err != nil || len(got.Dangling) != 0 {
		t.Fatalf("a with its owner = %+v, %v", got, err)
	}
	if err := c.DeleteEntity(ctx, "dev", "team", "payments", false, ferry.Provenance{Source: ferry.SourceAPI, Actor: "admin"}); err != nil {
		t.Fatal(err)
	}
	if got, err := c.GetEntity(ctx, "dev", "service", "a"); err != nil || strings.Join(got.Dangling, ",") != "owner:payments" {
		t.Fatalf("a after its owner went = %+v, %v", got, err)
	}
}

func asEntityError(err error, target **ferry.EntityError) bool {
	e, ok := err.(*ferry.EntityError)
	*target = e
	return ok
}

// SyncEntities: valid entities apply, an invalid or malformed file fails alone and keeps
// what it held before, an entity defined twice counts once, and a full import deletes what
// the binding's files no longer hold.
func TestSyncEntities(t *testing.T) {
	c, db := newCatalog(t)
	ctx := context.Background()
	sync := func(full bool, deleted []string, files ...ferry.EntityFile) *ferry.EntitySyncReport {
		t.Helper()
		rep, err := c.SyncEntities(ctx, &ferry.EntitySync{Namespace: "dev", Binding: "svc", Repository: "https://git.example.com/r.git",
			Commit: strings.Repeat("c", 40), Files: files, Deleted: deleted, Full: full})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	file := func(path, body string) ferry.EntityFile { return ferry.EntityFile{Path: path, Content: []byte(body)} }
	rep := sync(true, nil,
		file("a.entity.json", `[{"blueprint":"team","identifier":"t1"},{"blueprint":"team","identifier":"t2"}]`),
		file("b.entity.yaml", "blueprint: service\nidentifier: s1\nproperties:\n  port: 80\nrelations:\n  owner: t1\n"),
		file("c.entity.json", `{"blueprint":"team","identifier":"t1"}`),
		file("d.entity.json", `{"blueprint":"service","identifier":"s2","properties":{"port":"eighty"},"relations":{"owner":"t1"}}`),
		file("e.entity.json", `{not json`),
		file("f.entity.json", `{"identifier":"no-blueprint"}`),
		file("g.entity.json", `{"blueprint":"nope","identifier":"x"}`),
		file("h.entity.json", `{"blueprint":"team","identifier":"t3","propreties":{}}`))
	if rep.Read != 3 || len(rep.Failures) != 6 {
		t.Fatalf("report = %+v", rep)
	}
	for _, want := range []string{"c.entity.json: also defined in a.entity.json", "d.entity.json: /properties/port", "e.entity.json: ", "f.entity.json: entry 1: the blueprint field", `g.entity.json: /blueprint: Blueprint "nope"`, `h.entity.json: entry 1: not an entity: unknown field "propreties"`} {
		found := false
		for _, f := range rep.Failures {
			found = found || strings.HasPrefix(f.Path+": "+f.Message, want)
		}
		if !found {
			t.Errorf("no failure %q in %+v", want, rep.Failures)
		}
	}
	s1, err := db.FindEntity(ctx, "dev", "service", "s1")
	if err != nil || s1.Source.Source != ferry.SourceGit || s1.Source.Path != "b.entity.yaml" || s1.Properties["port"] != float64(80) {
		t.Fatalf("s1 = %+v, %v", s1, err)
	}

	// b's file turns invalid: s1 keeps its data. a's file drops t2: t2 goes.
	rep = sync(false, nil,
		file("b.entity.yaml", "blueprint: service\nidentifier: s1\nproperties:\n  port: [80]\nrelations:\n  owner: t1\n"),
		file("a.entity.json", `[{"blueprint":"team","identifier":"t1"}]`))
	if rep.Deleted != 1 || len(rep.Failures) != 1 {
		t.Fatalf("report = %+v", rep)
	}
	if s1, err := db.FindEntity(ctx, "dev", "service", "s1"); err != nil || s1.Properties["port"] != float64(80) {
		t.Fatalf("s1 after an invalid change = %+v, %v", s1, err)
	}
	_, err = db.FindEntity(ctx, "dev", "team", "t2")
	wantCode(t, err, ferry.ENOTFOUND)

	// A deleted file takes its entities; a full import takes those of files that are gone.
	rep = sync(false, []string{"a.entity.json"})
	if rep.Deleted != 1 {
		t.Fatalf("report = %+v", rep)
	}
	rep = sync(true, nil)
	if rep.Deleted != 1 {
		t.Fatalf("full import of nothing = %+v", rep)
	}
	items, _, err := db.ListEntities(ctx, "dev", ferry.EntityFilter{Blueprint: "service"})
	if err != nil || len(items) != 0 {
		t.Fatalf("left = %+v, %v", items, err)
	}
}
