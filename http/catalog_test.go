package http_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/ferrygit/ferry"
	fhttp "github.com/ferrygit/ferry/http"
)

const microservice = `{"identifier":"microservice","title":"Microservice",
 "schema":{"type":"object","required":["url"],"properties":{
   "url":{"type":"string","format":"uri"},
   "port":{"type":"integer","minimum":1,"maximum":65535},
   "tier":{"enum":["gold","silver"]},
   "owner":{"type":"object","properties":{"email":{"type":"string","format":"email"}}},
   "tags":{"type":"array","items":{"type":"string"},"uniqueItems":true}}},
 "relations":{"team":{"target":"team","required":false}}}`

// catalogServer returns a server with namespace dev holding blueprints team and microservice.
func catalogServer(t *testing.T) *testServer {
	t.Helper()
	ts := newTestServer(t)
	if _, err := ts.Client.CreateNamespace(context.Background(), "dev"); err != nil {
		t.Fatal(err)
	}
	for _, bp := range []string{`{"identifier":"team","title":"Team"}`, microservice} {
		if resp := ts.raw(t, "POST", "/api/v1/namespaces/dev/blueprints", []byte(bp)); resp.Status != 201 {
			t.Fatalf("create blueprint = %d %s", resp.Status, resp.Body)
		}
	}
	return ts
}

type errorWithViolations struct {
	Error struct {
		Code       string
		Message    string
		Violations []ferry.Violation
	}
}

// TestCatalogEntities: create, upsert and conflict; every schema violation listed with its
// JSON pointer and nothing stored; merge patch; relations that dangle or are unknown;
// search, property filters and paging; history with provenance; delete.
func TestCatalogEntities(t *testing.T) {
	ts := catalogServer(t)
	const base = "/api/v1/namespaces/dev/blueprints/microservice/entities"
	put := func(query, body string) response { return ts.raw(t, "POST", base+query, []byte(body)) }

	good := `{"identifier":"notification-microservice","title":"Notification Service","properties":{"url":"https://notify.example.com","port":8080},"relations":{"team":"payments"}}`
	resp := put("", good)
	if resp.Status != 200 {
		t.Fatalf("create = %d %s", resp.Status, resp.Body)
	}
	var e ferry.Entity
	decode(t, resp, &e)
	if e.Source.Source != ferry.SourceAPI || e.Source.Actor != "admin" || e.Namespace != "dev" || len(e.Dangling) != 1 || e.Dangling[0] != "team:payments" {
		t.Fatalf("created = %s", resp.Body)
	}
	wantError(t, put("", good), 409, ferry.ECONFLICT, "notification-microservice")
	if resp := put("?upsert=true", strings.Replace(good, "8080", "9090", 1)); resp.Status != 200 {
		t.Fatalf("upsert = %d %s", resp.Status, resp.Body)
	}

	// Three mistakes: three violations, each with its pointer; nothing is stored.
	bad := `{"identifier":"bad-one","properties":{"url":"not a uri","port":"80","owner":{"email":"nobody"},"tags":["a","a"]},"relations":{"squad":"x"}}`
	resp = put("", bad)
	wantError(t, resp, 400, ferry.EINVALID, "/properties/url")
	var ev errorWithViolations
	decode(t, resp, &ev)
	pointers := map[string]bool{}
	for _, v := range ev.Error.Violations {
		pointers[v.Pointer] = true
		if v.Message == "" {
			t.Errorf("violation without a message: %+v", v)
		}
	}
	for _, p := range []string{"/properties/url", "/properties/port", "/properties/owner/email", "/properties/tags", "/relations/squad"} {
		if !pointers[p] {
			t.Errorf("no violation at %s in %+v", p, ev.Error.Violations)
		}
	}
	wantError(t, ts.raw(t, "GET", base+"/bad-one", nil), 404, ferry.ENOTFOUND)
	wantError(t, put("", `{"identifier":"x","properties":{}}`), 400, ferry.EINVALID, "/properties")
	wantError(t, put("", `{"identifier":"has space","properties":{"url":"https://x"}}`), 400, ferry.EINVALID, "Identifier")
	wantError(t, put("", `{"identifier":"..","properties":{"url":"https://x"}}`), 400, ferry.EINVALID, "Identifier")
	wantError(t, put("", `{"identifier":"`+strings.Repeat("a", 256)+`","properties":{"url":"https://x"}}`), 400, ferry.EINVALID, "Identifier")
	wantError(t, put("", `{"blueprint":"team","identifier":"x","properties":{}}`), 400, ferry.EINVALID, "blueprint")
	wantError(t, ts.raw(t, "POST", "/api/v1/namespaces/dev/blueprints/nope/entities", []byte(`{"identifier":"x","properties":{}}`)), 404, ferry.ENOTFOUND, `"nope"`)

	// The target appears: no longer dangling.
	if resp := ts.raw(t, "POST", "/api/v1/namespaces/dev/blueprints/team/entities", []byte(`{"identifier":"payments","title":"Payments team","properties":{}}`)); resp.Status != 200 {
		t.Fatalf("team = %d %s", resp.Status, resp.Body)
	}
	e = ferry.Entity{}
	decode(t, ts.raw(t, "GET", base+"/notification-microservice", nil), &e)
	if len(e.Dangling) != 0 || e.Properties["port"] != float64(9090) {
		t.Fatalf("after the upsert = %+v", e)
	}

	// Patch merges properties: null removes one, others stay.
	resp = ts.raw(t, "PATCH", base+"/notification-microservice", []byte(`{"properties":{"port":null,"tier":"gold"}}`))
	if resp.Status != 200 {
		t.Fatalf("patch = %d %s", resp.Status, resp.Body)
	}
	e = ferry.Entity{}
	decode(t, resp, &e)
	if _, has := e.Properties["port"]; has || e.Properties["tier"] != "gold" || e.Properties["url"] != "https://notify.example.com" {
		t.Fatalf("patched = %+v", e.Properties)
	}
	wantError(t, ts.raw(t, "PATCH", base+"/notification-microservice", []byte(`{"properties":{"tier":"bronze"}}`)), 400, ferry.EINVALID, "/properties/tier")

	// A bulk write is all or nothing.
	var bulk []string
	for i := range 25 {
		bulk = append(bulk, fmt.Sprintf(`{"identifier":"svc-%02d","title":"Service %02d","properties":{"url":"https://svc%d.example.com","tier":"%s"}}`, i, i, i, []string{"gold", "silver"}[i%2]))
	}
	broken := append([]string{}, bulk...)
	broken[7] = `{"identifier":"svc-07","properties":{"url":7}}`
	wantError(t, ts.raw(t, "POST", base+"/bulk?upsert=true", []byte(`{"entities":[`+strings.Join(broken, ",")+`]}`)), 400, ferry.EINVALID, "svc-07")
	var list struct {
		Items []ferry.Entity
		Next  string
	}
	decode(t, ts.raw(t, "GET", base+"?search=svc", nil), &list)
	if len(list.Items) != 0 {
		t.Fatalf("a refused bulk wrote %d entities", len(list.Items))
	}
	if resp := ts.raw(t, "POST", base+"/bulk?upsert=true", []byte(`{"entities":[`+strings.Join(bulk, ",")+`]}`)); resp.Status != 200 || !strings.Contains(string(resp.Body), `"written":25`) {
		t.Fatalf("bulk = %d %s", resp.Status, resp.Body)
	}

	// Search (identifier or title, any case), property filters, paging.
	decode(t, ts.raw(t, "GET", base+"?search=SERVICE+1&limit=100", nil), &list)
	if len(list.Items) != 10 { // Service 10–19
		t.Fatalf("search = %d items", len(list.Items))
	}
	decode(t, ts.raw(t, "GET", base+"?property.tier=gold&limit=100", nil), &list)
	if len(list.Items) != 14 { // 13 of svc-00..24 and notification-microservice
		t.Fatalf("tier=gold: %d items", len(list.Items))
	}
	seen := 0
	for cursor := ""; ; {
		list.Items, list.Next = nil, ""
		decode(t, ts.raw(t, "GET", base+"?limit=10&cursor="+cursor, nil), &list)
		seen += len(list.Items)
		if list.Next == "" {
			break
		}
		cursor = list.Next
	}
	if seen != 26 {
		t.Fatalf("paged through %d entities, want 26", seen)
	}
	wantError(t, ts.raw(t, "GET", base+"?property.bad%20name=x", nil), 400, ferry.EINVALID, "Property name")

	// History: created, updated, updated (patch), newest first, with who did it.
	var hist struct{ Items []ferry.EntityChange }
	decode(t, ts.raw(t, "GET", base+"/notification-microservice/history", nil), &hist)
	if len(hist.Items) != 3 || hist.Items[2].Action != "created" || hist.Items[0].Action != "updated" || hist.Items[0].Source.Actor != "admin" {
		t.Fatalf("history = %+v", hist.Items)
	}
	if resp := ts.raw(t, "DELETE", base+"/notification-microservice", nil); resp.Status != 204 {
		t.Fatalf("delete = %d %s", resp.Status, resp.Body)
	}
	decode(t, ts.raw(t, "GET", base+"/notification-microservice/history", nil), &hist)
	if len(hist.Items) != 4 || hist.Items[0].Action != "deleted" {
		t.Fatalf("history after delete = %+v", hist.Items)
	}
	wantError(t, ts.raw(t, "DELETE", base+"/notification-microservice", nil), 404, ferry.ENOTFOUND)
}

// TestCatalogBlueprints: a bad schema is refused; a change that existing entities violate is
// refused naming them, or with force marks them invalid; a blueprint with entities is deleted
// only with cascade.
func TestCatalogBlueprints(t *testing.T) {
	ts := catalogServer(t)
	const bps = "/api/v1/namespaces/dev/blueprints"
	wantError(t, ts.raw(t, "POST", bps, []byte(`{"identifier":"x","schema":{"type":"strnig"}}`)), 400, ferry.EINVALID)
	wantError(t, ts.raw(t, "POST", bps, []byte(`{"identifier":"x","schema":{"$ref":"https://example.com/s.json"}}`)), 400, ferry.EINVALID)
	wantError(t, ts.raw(t, "POST", bps, []byte(`{"identifier":"x","schema":"nope"}`)), 400, ferry.EINVALID)
	wantError(t, ts.raw(t, "POST", bps, []byte(`{"identifier":"bad id"}`)), 400, ferry.EINVALID, "Blueprint identifier")
	wantError(t, ts.raw(t, "POST", bps, []byte(`{"identifier":"x","schema":{"type":"string"}}`)), 400, ferry.EINVALID, `type must be "object"`)
	wantError(t, ts.raw(t, "POST", bps, []byte(microservice)), 409, ferry.ECONFLICT)
	wantError(t, ts.raw(t, "POST", "/api/v1/namespaces/nope/blueprints", []byte(`{"identifier":"x"}`)), 404, ferry.ENOTFOUND)

	for i, url := range []string{"https://a.example.com", "https://b.example.com"} {
		body := fmt.Sprintf(`{"identifier":"svc-%d","properties":{"url":%q,"port":%d}}`, i, url, 80+i)
		if resp := ts.raw(t, "POST", bps+"/microservice/entities", []byte(body)); resp.Status != 200 {
			t.Fatalf("entity = %d %s", resp.Status, resp.Body)
		}
	}
	stricter := strings.Replace(microservice, `"required":["url"]`, `"required":["url","tier"]`, 1)
	resp := ts.raw(t, "PUT", bps+"/microservice", []byte(stricter))
	wantError(t, resp, 409, ferry.ECONFLICT, "svc-0", "svc-1", "force=true")
	var ev errorWithViolations
	decode(t, resp, &ev)
	if len(ev.Error.Violations) != 2 || ev.Error.Violations[0].Entity != "microservice/svc-0" {
		t.Fatalf("violations = %+v", ev.Error.Violations)
	}
	var e ferry.Entity
	decode(t, ts.raw(t, "GET", bps+"/microservice/entities/svc-0", nil), &e)
	if e.Invalid {
		t.Fatal("a refused change marked an entity invalid")
	}
	if resp := ts.raw(t, "PUT", bps+"/microservice?force=true", []byte(stricter)); resp.Status != 200 {
		t.Fatalf("forced change = %d %s", resp.Status, resp.Body)
	}
	decode(t, ts.raw(t, "GET", bps+"/microservice/entities/svc-0", nil), &e)
	if !e.Invalid || len(e.Violations) == 0 {
		t.Fatalf("after a forced change: %+v", e)
	}
	// Loosening it again makes them valid.
	if resp := ts.raw(t, "PUT", bps+"/microservice", []byte(microservice)); resp.Status != 200 {
		t.Fatalf("loosen = %d %s", resp.Status, resp.Body)
	}
	e = ferry.Entity{}
	decode(t, ts.raw(t, "GET", bps+"/microservice/entities/svc-0", nil), &e)
	if e.Invalid {
		t.Fatalf("still invalid: %+v", e)
	}
	wantError(t, ts.raw(t, "PUT", bps+"/microservice", []byte(`{"identifier":"other"}`)), 400, ferry.EINVALID, "renamed")

	wantError(t, ts.raw(t, "DELETE", bps+"/microservice", nil), 409, ferry.ECONFLICT, "cascade=true")
	if resp := ts.raw(t, "DELETE", bps+"/microservice?cascade=true", nil); resp.Status != 204 {
		t.Fatalf("cascade delete = %d %s", resp.Status, resp.Body)
	}
	wantError(t, ts.raw(t, "GET", bps+"/microservice/entities/svc-0", nil), 404, ferry.ENOTFOUND)
	var list struct{ Items []ferry.Blueprint }
	decode(t, ts.raw(t, "GET", bps, nil), &list)
	if len(list.Items) != 1 || list.Items[0].Identifier != "team" {
		t.Fatalf("blueprints = %+v", list.Items)
	}
}

// TestCatalogGitOwnership: an entity read from a Git file cannot be overwritten or deleted
// through the API without force.
func TestCatalogGitOwnership(t *testing.T) {
	ts := catalogServer(t)
	ctx := context.Background()
	sync := &ferry.EntitySync{Namespace: "dev", Binding: "svc", Repository: "https://git.example.com/acme/svc.git", Commit: strings.Repeat("a", 40),
		Files: []ferry.EntityFile{{Path: "svc/pay.entity.json", Content: []byte(`{"blueprint":"microservice","identifier":"pay","properties":{"url":"https://pay.example.com"}}`)}}}
	rep, err := ts.Server.Catalog.(interface {
		SyncEntities(context.Context, *ferry.EntitySync) (*ferry.EntitySyncReport, error)
	}).SyncEntities(ctx, sync)
	if err != nil || rep.Read != 1 || len(rep.Failures) != 0 {
		t.Fatalf("sync = %+v, %v", rep, err)
	}
	const e = "/api/v1/namespaces/dev/blueprints/microservice/entities"
	var got ferry.Entity
	decode(t, ts.raw(t, "GET", e+"/pay", nil), &got)
	if got.Source.Source != ferry.SourceGit || got.Source.Path != "svc/pay.entity.json" || got.Source.Binding != "svc" || got.Source.Commit != sync.Commit {
		t.Fatalf("provenance = %+v", got.Source)
	}
	body := []byte(`{"identifier":"pay","properties":{"url":"https://other.example.com"}}`)
	wantError(t, ts.raw(t, "POST", e+"?upsert=true", body), 409, ferry.ECONFLICT, "kept in Git", "svc/pay.entity.json", "force=true")
	wantError(t, ts.raw(t, "PATCH", e+"/pay", []byte(`{"title":"x"}`)), 409, ferry.ECONFLICT, "kept in Git")
	wantError(t, ts.raw(t, "DELETE", e+"/pay", nil), 409, ferry.ECONFLICT, "kept in Git")
	if resp := ts.raw(t, "POST", e+"?upsert=true&force=true", body); resp.Status != 200 {
		t.Fatalf("forced = %d %s", resp.Status, resp.Body)
	}
	decode(t, ts.raw(t, "GET", e+"/pay", nil), &got)
	if got.Source.Source != ferry.SourceAPI || got.Properties["url"] != "https://other.example.com" {
		t.Fatalf("after a forced write = %+v", got)
	}
	// The next pull of the file puts Git's version back and says so.
	rep, err = ts.Server.Catalog.(interface {
		SyncEntities(context.Context, *ferry.EntitySync) (*ferry.EntitySyncReport, error)
	}).SyncEntities(ctx, sync)
	if err != nil || len(rep.Reasserted) != 1 || rep.Reasserted[0] != "microservice/pay" {
		t.Fatalf("resync = %+v, %v", rep, err)
	}
	decode(t, ts.raw(t, "GET", e+"/pay", nil), &got)
	if got.Source.Source != ferry.SourceGit || got.Properties["url"] != "https://pay.example.com" {
		t.Fatalf("after the resync = %+v", got)
	}
}

// TestCatalogPermissions: catalog:read reads, catalog:write writes, and neither reaches
// another namespace.
func TestCatalogPermissions(t *testing.T) {
	ts := catalogServer(t)
	if _, err := ts.Client.CreateNamespace(context.Background(), "prod"); err != nil {
		t.Fatal(err)
	}
	reader, _ := mintToken(t, ts, "dev", ferry.PermCatalogRead)
	writer, _ := mintToken(t, ts, "dev", ferry.PermCatalogWrite)
	const e = "/api/v1/namespaces/dev/blueprints/team/entities"
	wantError(t, ts.as(t, reader, "POST", e, `{"identifier":"a","properties":{}}`), 403, ferry.EFORBIDDEN, "catalog:write")
	if resp := ts.as(t, writer, "POST", e, `{"identifier":"a","properties":{}}`); resp.Status != 200 {
		t.Fatalf("writer = %d %s", resp.Status, resp.Body)
	}
	if resp := ts.as(t, reader, "GET", e+"/a", ""); resp.Status != 200 {
		t.Fatalf("reader = %d %s", resp.Status, resp.Body)
	}
	wantError(t, ts.as(t, writer, "GET", e+"/a", ""), 403, ferry.EFORBIDDEN, "catalog:read")
	wantError(t, ts.as(t, reader, "GET", "/api/v1/namespaces/prod/blueprints", ""), 404, ferry.ENOTFOUND, `"prod"`)
	var who fhttp.SessionResponse
	decode(t, ts.as(t, reader, "GET", "/api/v1/session", ""), &who)
	b, _ := json.Marshal(who)
	if !strings.Contains(string(b), "catalog:read") {
		t.Errorf("who am I = %s", b)
	}
}

// TestCatalogUnavailable: a server without a catalog answers every catalog route 503.
func TestCatalogUnavailable(t *testing.T) {
	ts := newTestServer(t, func(s *fhttp.Server) { s.Catalog, s.CatalogStore = nil, nil })
	if _, err := ts.Client.CreateNamespace(context.Background(), "dev"); err != nil {
		t.Fatal(err)
	}
	for _, rt := range ts.Routes() {
		if !strings.Contains(rt.Pattern, "/blueprints") {
			continue
		}
		method, path := concretePath(rt.Pattern)
		wantError(t, ts.raw(t, method, path, []byte(`{}`)), 503, ferry.EUNAVAILABLE, "no catalog")
	}
}
