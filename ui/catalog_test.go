package ui_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/catalog"
	fhttp "github.com/ferrygit/ferry/http"
	"github.com/ferrygit/ferry/password"
	"github.com/ferrygit/ferry/secretbox"
	"github.com/ferrygit/ferry/sqlstore"
	"github.com/ferrygit/ferry/ui"
)

// catToken is the admin API token of the catalog tests' server.
const catToken = "ferry-ui-catalog-test-token-41c9"

// catServer is a real server (API and UI) over SQLite in a temporary directory, with a
// namespace "dev", a team blueprint with entity "payments", and a service blueprint.
type catServer struct {
	URL     string
	DB      *sqlstore.DB
	Catalog *catalog.Service
	Admin   *fhttp.Client // holds the admin token
}

// catServiceSchema is the service blueprint's schema: its first four properties are the
// entities table's columns.
const catServiceSchema = `{
  "type": "object",
  "properties": {
    "url": {"type": "string", "format": "uri"},
    "tier": {"enum": ["gold", "silver", "bronze"]},
    "replicas": {"type": "integer", "minimum": 1},
    "language": {"type": "string"},
    "owner": {"type": "object", "properties": {"email": {"type": "string", "format": "email"}}}
  },
  "required": ["url"]
}`

func newCatServer(t *testing.T) *catServer {
	t.Helper()
	ctx := context.Background()
	box, err := secretbox.New(bytes.Repeat([]byte{0x3c}, secretbox.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlstore.Open(ctx, sqlstore.Config{DataDir: t.TempDir(), Sealer: box})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	svc := &catalog.Service{Store: db}
	srv := fhttp.NewServer()
	srv.Namespaces, srv.Files, srv.Ready = db, db, db.Ping
	srv.Tokens, srv.Users, srv.Audit = db, db, db
	srv.Catalog, srv.CatalogStore = svc, db
	srv.AdminTokenHash = sha256.Sum256([]byte(catToken))
	srv.InsecureCookies = true
	srv.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	srv.UI = (&ui.Server{API: srv.Handler(), Logger: srv.Logger}).Handler()
	if err := srv.Open("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Close(ctx); err != nil {
			t.Error(err)
		}
	})
	ts := &catServer{URL: srv.URL(), DB: db, Catalog: svc, Admin: fhttp.NewClient(srv.URL(), catToken)}
	if _, err := ts.Admin.CreateNamespace(ctx, "dev"); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Admin.CreateBlueprint(ctx, "dev", fhttp.BlueprintRequest{Identifier: "team", Title: "Team"}); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Admin.PutEntity(ctx, "dev", "team", fhttp.EntityRequest{Identifier: "payments", Title: "Payments team"}, false, false); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Admin.CreateBlueprint(ctx, "dev", fhttp.BlueprintRequest{Identifier: "service", Title: "Service",
		Schema: []byte(catServiceSchema), Relations: map[string]ferry.Relation{"team": {Target: "team"}}}); err != nil {
		t.Fatal(err)
	}
	return ts
}

// addUser makes a user with role in namespace dev.
func (ts *catServer) addUser(t *testing.T, name, role string) {
	t.Helper()
	hash, err := password.Hash(name + "-secret-password")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := ts.DB.CreateUser(ctx, &ferry.User{Name: name}, hash); err != nil {
		t.Fatal(err)
	}
	if err := ts.DB.SetUserRole(ctx, name, "dev", role); err != nil {
		t.Fatal(err)
	}
}

// putEntity writes an entity through the API as the admin.
func (ts *catServer) putEntity(t *testing.T, bp, id, title, props string) {
	t.Helper()
	req := fhttp.EntityRequest{Identifier: id, Title: title}
	if err := jsonUnmarshal(props, &req.Properties); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Admin.PutEntity(context.Background(), "dev", bp, req, true, false); err != nil {
		t.Fatal(err)
	}
}

// catBrowser is a person using the UI: a cookie jar and the last page it got.
type catBrowser struct {
	t    *testing.T
	base string
	http *http.Client
	csrf string // from the last page
}

// catPage is an answer of the UI.
type catPage struct {
	Status int
	Path   string // after redirects
	Body   string // the HTML
	Text   string // the text, tags removed and entities unescaped
}

// login logs name in through the login form.
func (ts *catServer) login(t *testing.T, name string) *catBrowser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	b := &catBrowser{t: t, base: ts.URL, http: &http.Client{Jar: jar}}
	p := b.send("POST", "/login", url.Values{"name": {name}, "password": {name + "-secret-password"}, "next": {"/ns/dev/catalog"}})
	if p.Status != http.StatusOK || p.Path != "/ns/dev/catalog" {
		t.Fatalf("login of %s: status %d at %s:\n%s", name, p.Status, p.Path, p.Text)
	}
	return b
}

var (
	catCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	catTags = regexp.MustCompile(`(?s)<[^>]*>`)
	catWS   = regexp.MustCompile(`\s+`)
)

func (b *catBrowser) send(method, path string, form url.Values) *catPage {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.base+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.http.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	p := &catPage{Status: resp.StatusCode, Path: resp.Request.URL.Path, Body: string(raw)}
	p.Text = strings.TrimSpace(catWS.ReplaceAllString(html.UnescapeString(catTags.ReplaceAllString(p.Body, " ")), " "))
	if m := catCSRF.FindStringSubmatch(p.Body); m != nil {
		b.csrf = m[1]
	}
	return p
}

// get opens path and wants it to answer 200.
func (b *catBrowser) get(path string) *catPage {
	b.t.Helper()
	p := b.send("GET", path, nil)
	if p.Status != http.StatusOK {
		b.t.Fatalf("GET %s: status %d:\n%s", path, p.Status, p.Text)
	}
	return p
}

// post submits a form to path with the CSRF token of the last page.
func (b *catBrowser) post(path string, form url.Values) *catPage {
	b.t.Helper()
	if b.csrf == "" {
		b.t.Fatal("no CSRF token: open a page first")
	}
	form.Set("csrf", b.csrf)
	return b.send("POST", path, form)
}

// wantText checks that the page's text holds each of fragments.
func (p *catPage) wantText(t *testing.T, fragments ...string) {
	t.Helper()
	for _, f := range fragments {
		if !strings.Contains(p.Text, f) {
			t.Errorf("page %s does not say %q; it says:\n%s", p.Path, f, p.Text)
		}
	}
}

// rows returns the identifiers of the entities table's rows, in order.
func (p *catPage) rows(bp string) []string {
	re := regexp.MustCompile(`<td><a href="/ns/dev/catalog/` + regexp.QuoteMeta(bp) + `/([^"/]+)">`)
	var ids []string
	for _, m := range re.FindAllStringSubmatch(p.Body, -1) {
		id, _ := url.PathUnescape(m[1])
		ids = append(ids, id)
	}
	return ids
}

// textarea returns the unescaped content of the textarea with id.
func (p *catPage) textarea(t *testing.T, id string) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<textarea id="` + id + `"[^>]*>(.*?)</textarea>`).FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("page %s has no textarea %s", p.Path, id)
	}
	return html.UnescapeString(m[1])
}

// violationItems returns the items of the page's list of violations.
func (p *catPage) violationItems() []string {
	m := regexp.MustCompile(`(?s)<div class="violations" role="alert">(.*?)</div>`).FindStringSubmatch(p.Body)
	if m == nil {
		return nil
	}
	var items []string
	for _, li := range regexp.MustCompile(`(?s)<li>(.*?)</li>`).FindAllStringSubmatch(m[1], -1) {
		items = append(items, html.UnescapeString(catTags.ReplaceAllString(li[1], "")))
	}
	return items
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

func TestCatalogBlueprints(t *testing.T) {
	ts := newCatServer(t)
	ts.addUser(t, "alice", ferry.RoleEditor)
	b := ts.login(t, "alice")

	p := b.get("/ns/dev/catalog")
	p.wantText(t, "Blueprints", "service", "Service", "team → team", "Create a blueprint")

	t.Run("create", func(t *testing.T) {
		p := b.post("/ns/dev/catalog", url.Values{"identifier": {"library"}, "title": {"Library"},
			"schema":    {`{"type":"object","properties":{"version":{"type":"string"},"license":{"type":"string"}}}`},
			"relations": {`{"maintainer": {"target": "team", "required": true}}`}})
		if p.Status != http.StatusOK || p.Path != "/ns/dev/catalog/library" {
			t.Fatalf("status %d at %s:\n%s", p.Status, p.Path, p.Text)
		}
		p.wantText(t, "Blueprint library created.", "library — Library", `"version": {`, "maintainer team no yes", "No entities yet.")
		bp, err := ts.Admin.GetBlueprint(context.Background(), "dev", "library")
		if err != nil {
			t.Fatal(err)
		}
		if r := bp.Relations["maintainer"]; r.Target != "team" || !r.Required || bp.Title != "Library" {
			t.Errorf("stored blueprint = %+v", bp)
		}
		b.get("/ns/dev/catalog").wantText(t, "library", "maintainer → team required")
	})

	for _, tc := range []struct {
		name                          string
		identifier, schema, relations string
		status                        int
		want                          string
	}{
		{"bad schema", "broken", `{"type": "strin"}`, "", http.StatusBadRequest, "schema"},
		{"schema not JSON", "broken", `{"type": `, "", http.StatusBadRequest, "The schema is not valid JSON"},
		{"relations not JSON", "broken", `{}`, `{"team": `, http.StatusBadRequest, "The relations"},
		{"unknown relation field", "broken", `{}`, `{"team": {"targt": "team"}}`, http.StatusBadRequest, `The relations have an unknown field "targt".`},
		{"relation field of the wrong type", "broken", `{}`, `{"team": {"target": "team", "many": "yes"}}`, http.StatusBadRequest, "The relations: the field many must be of type bool, not string."},
		{"bad identifier", "no spaces", `{}`, "", http.StatusBadRequest, `Blueprint identifier "no spaces" is not valid`},
		{"taken", "service", `{}`, "", http.StatusConflict, "service"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := b.post("/ns/dev/catalog", url.Values{"identifier": {tc.identifier}, "title": {"Kept title"}, "schema": {tc.schema}, "relations": {tc.relations}})
			if p.Status != tc.status {
				t.Fatalf("status %d, want %d:\n%s", p.Status, tc.status, p.Text)
			}
			m := regexp.MustCompile(`<p class="error" role="alert">([^<]*)</p>`).FindStringSubmatch(p.Body)
			if m == nil || !strings.Contains(html.UnescapeString(m[1]), tc.want) {
				t.Fatalf("no error message with %q:\n%s", tc.want, p.Text)
			}
			if got := p.textarea(t, "bp-schema"); got != tc.schema {
				t.Errorf("schema kept as %q, want %q", got, tc.schema)
			}
			if got := p.textarea(t, "bp-relations"); got != tc.relations {
				t.Errorf("relations kept as %q, want %q", got, tc.relations)
			}
			if !strings.Contains(p.Body, `value="Kept title"`) {
				t.Error("the title was not kept")
			}
		})
	}
	if _, err := ts.Admin.GetBlueprint(context.Background(), "dev", "broken"); ferry.ErrorCode(err) != ferry.ENOTFOUND {
		t.Errorf("a refused blueprint was stored: %v", err)
	}

	t.Run("the API's message for a bad schema", func(t *testing.T) {
		_, apiErr := ts.Admin.CreateBlueprint(context.Background(), "dev", fhttp.BlueprintRequest{Identifier: "broken", Schema: []byte(`{"type": "strin"}`)})
		if ferry.ErrorCode(apiErr) != ferry.EINVALID {
			t.Fatalf("API: %v", apiErr)
		}
		p := b.post("/ns/dev/catalog", url.Values{"identifier": {"broken"}, "schema": {`{"type": "strin"}`}})
		p.wantText(t, ferry.ErrorMessage(apiErr))
	})
}

func TestCatalogEntities(t *testing.T) {
	ts := newCatServer(t)
	ts.addUser(t, "alice", ferry.RoleEditor)
	b := ts.login(t, "alice")
	ctx := context.Background()

	t.Run("add", func(t *testing.T) {
		b.get("/ns/dev/catalog/service")
		p := b.post("/ns/dev/catalog/service", url.Values{"identifier": {"payments-api"}, "title": {"Payments API"},
			"properties": {`{"url": "https://pay.example.com", "tier": "gold", "replicas": 3, "language": "go", "owner": {"email": "pay@example.com"}}`},
			"relations":  {`{"team": "payments"}`}})
		if p.Status != http.StatusOK || p.Path != "/ns/dev/catalog/service/payments-api" {
			t.Fatalf("status %d at %s:\n%s", p.Status, p.Path, p.Text)
		}
		p.wantText(t, "Entity payments-api added.", "payments-api — Payments API", "url https://pay.example.com", "tier gold", "replicas 3",
			"team payments", "Source API", "Written by user:alice", "created", "api user:alice")
		if !strings.Contains(p.Body, `<a href="/ns/dev/catalog/team/payments">payments</a>`) {
			t.Error("the relation does not link to its target")
		}
		if !regexp.MustCompile(`(?s)<dt>owner</dt><dd><pre>\{\n  "email": "pay@example.com"\n\}</pre>`).MatchString(html.UnescapeString(p.Body)) {
			t.Errorf("the nested property is not shown as indented JSON:\n%s", p.Body)
		}
		e, err := ts.Admin.GetEntity(ctx, "dev", "service", "payments-api")
		if err != nil {
			t.Fatal(err)
		}
		if e.Source.Actor != "user:alice" || e.Properties["replicas"] != float64(3) || string(e.Relations["team"]) != `"payments"` {
			t.Errorf("stored entity = %+v", e)
		}
	})

	t.Run("invalid: every violation with its pointer, the values kept", func(t *testing.T) {
		props := `{"url": "not a url", "tier": "platinum", "replicas": 0, "language": 7, "owner": {"email": "nobody"}}`
		rels := `{"team": ["payments"], "unknown": "x"}`
		req := fhttp.EntityRequest{Identifier: "broken", Title: "Broken <one>"}
		if err := jsonUnmarshal(props, &req.Properties); err != nil {
			t.Fatal(err)
		}
		if err := jsonUnmarshal(rels, &req.Relations); err != nil {
			t.Fatal(err)
		}
		_, apiErr := ts.Admin.PutEntity(ctx, "dev", "service", req, false, false)
		var ee *ferry.EntityError
		if !errors.As(apiErr, &ee) || len(ee.Violations) < 6 {
			t.Fatalf("the API's answer: %v", apiErr)
		}

		b.get("/ns/dev/catalog/service")
		p := b.post("/ns/dev/catalog/service", url.Values{"identifier": {"broken"}, "title": {"Broken <one>"}, "properties": {props}, "relations": {rels}})
		if p.Status != http.StatusBadRequest {
			t.Fatalf("status %d:\n%s", p.Status, p.Text)
		}
		items := p.violationItems()
		if len(items) != len(ee.Violations) {
			t.Errorf("%d violations listed, the API found %d:\n%s", len(items), len(ee.Violations), strings.Join(items, "\n"))
		}
		for _, v := range ee.Violations {
			if want := v.Pointer + " — " + v.Message; !slices.Contains(items, want) {
				t.Errorf("violation %q is not listed; the list:\n%s", want, strings.Join(items, "\n"))
			}
		}
		for _, ptr := range []string{"/properties/url", "/properties/tier", "/properties/replicas", "/properties/language", "/properties/owner/email", "/relations/team", "/relations/unknown"} {
			if !slices.ContainsFunc(items, func(s string) bool { return strings.HasPrefix(s, ptr+" — ") }) {
				t.Errorf("no violation at %s:\n%s", ptr, strings.Join(items, "\n"))
			}
		}
		if got := p.textarea(t, "e-properties"); got != props {
			t.Errorf("properties kept as %q", got)
		}
		if got := p.textarea(t, "e-relations"); got != rels {
			t.Errorf("relations kept as %q", got)
		}
		if !strings.Contains(p.Body, `value="broken"`) || !strings.Contains(p.Body, `value="Broken &lt;one&gt;"`) {
			t.Error("the identifier or the title was not kept")
		}
		if _, err := ts.Admin.GetEntity(ctx, "dev", "service", "broken"); ferry.ErrorCode(err) != ferry.ENOTFOUND {
			t.Errorf("the invalid entity was stored: %v", err)
		}
	})

	t.Run("properties that are not an object", func(t *testing.T) {
		for props, want := range map[string]string{
			`[1, 2]`:          "The properties must be a JSON object, not array.",
			`{"url": `:        "The properties are not valid JSON",
			`{"url": "x"} {}`: "The properties are not valid JSON",
		} {
			p := b.post("/ns/dev/catalog/service", url.Values{"identifier": {"odd"}, "properties": {props}})
			if p.Status != http.StatusBadRequest {
				t.Errorf("%s: status %d", props, p.Status)
			}
			p.wantText(t, want)
		}
	})

	t.Run("an identifier that is taken", func(t *testing.T) {
		p := b.post("/ns/dev/catalog/service", url.Values{"identifier": {"payments-api"}, "properties": {`{"url": "https://x.example"}`}})
		if p.Status != http.StatusConflict {
			t.Fatalf("status %d:\n%s", p.Status, p.Text)
		}
		p.wantText(t, "payments-api")
	})

	ts.putEntity(t, "service", "orders-api", "Orders API", `{"url": "https://orders.example.com", "tier": "silver", "replicas": 2}`)
	ts.putEntity(t, "service", "notify", "Notification Service", `{"url": "https://notify.example.com", "tier": "gold", "language": "rust"}`)

	t.Run("table, search and filters", func(t *testing.T) {
		p := b.get("/ns/dev/catalog/service")
		if got, want := p.rows("service"), []string{"notify", "orders-api", "payments-api"}; !slices.Equal(got, want) {
			t.Errorf("rows = %v, want %v", got, want)
		}
		head := regexp.MustCompile(`(?s)<table class="entities">\s*<thead>(.*?)</thead>`).FindStringSubmatch(p.Body)
		if head == nil || catWS.ReplaceAllString(catTags.ReplaceAllString(head[1], " "), " ") != " Identifier Title url tier replicas language Source Updated " {
			t.Errorf("columns: %q", head)
		}
		p.wantText(t, "payments-api Payments API https://pay.example.com gold 3 go api user:alice", "orders-api Orders API https://orders.example.com silver 2 api admin")
		for _, name := range []string{"url", "tier", "replicas", "language"} {
			if !strings.Contains(p.Body, `name="property.`+name+`"`) {
				t.Errorf("no filter on %s", name)
			}
		}
		if strings.Contains(p.Body, `name="property.owner"`) {
			t.Error("a filter on an object property")
		}

		for _, tc := range []struct {
			query string
			want  []string
		}{
			{"search=API", []string{"orders-api", "payments-api"}},
			{"search=notification", []string{"notify"}},
			{"property.tier=gold", []string{"notify", "payments-api"}},
			{"property.tier=gold&property.url=&search=api", []string{"payments-api"}},
			{"property.replicas=2", []string{"orders-api"}},
			{"property.language=cobol", nil},
		} {
			p := b.get("/ns/dev/catalog/service?" + tc.query)
			if got := p.rows("service"); !slices.Equal(got, tc.want) {
				t.Errorf("%s: rows = %v, want %v", tc.query, got, tc.want)
			}
			if len(tc.want) == 0 {
				p.wantText(t, "No entities match.")
			}
		}
		p = b.get("/ns/dev/catalog/service?search=api&property.tier=gold")
		if !strings.Contains(p.Body, `name="search" type="search" value="api"`) || !strings.Contains(p.Body, `name="property.tier" value="gold"`) {
			t.Error("the search and the filter are not kept in the form")
		}
	})

	t.Run("paging keeps the search", func(t *testing.T) {
		var batch []fhttp.EntityRequest
		for i := range 105 {
			batch = append(batch, fhttp.EntityRequest{Identifier: fmt.Sprintf("item-%03d", i), Properties: map[string]any{"url": "https://item.example"}})
		}
		if _, err := ts.Admin.BulkEntities(ctx, "dev", "service", batch, false, false); err != nil {
			t.Fatal(err)
		}
		p := b.get("/ns/dev/catalog/service?search=item")
		if rows := p.rows("service"); len(rows) != 100 || rows[0] != "item-000" {
			t.Fatalf("first page: %d rows from %v", len(rows), rows[:min(3, len(rows))])
		}
		m := regexp.MustCompile(`<a href="(\?[^"]+)">Next page</a>`).FindStringSubmatch(p.Body)
		if m == nil {
			t.Fatal("no link to the next page")
		}
		next := html.UnescapeString(m[1])
		if !strings.Contains(next, "search=item") {
			t.Errorf("the next page forgets the search: %s", next)
		}
		p = b.get("/ns/dev/catalog/service" + next)
		if rows := p.rows("service"); !slices.Equal(rows, []string{"item-100", "item-101", "item-102", "item-103", "item-104"}) {
			t.Errorf("second page: %v", rows)
		}
		if strings.Contains(p.Body, "Next page") {
			t.Error("a next link on the last page")
		}
	})

	t.Run("edit, dangling relation, history", func(t *testing.T) {
		p := b.get("/ns/dev/catalog/service/notify")
		if got := p.textarea(t, "e-properties"); !strings.Contains(got, `"language": "rust"`) {
			t.Errorf("the edit form holds %q", got)
		}
		p = b.post("/ns/dev/catalog/service/notify", url.Values{"title": {"Notifications"},
			"properties": {`{"url": "https://notify.example.com", "tier": "bronze"}`}, "relations": {`{"team": "ghost"}`}})
		if p.Status != http.StatusOK || p.Path != "/ns/dev/catalog/service/notify" {
			t.Fatalf("status %d at %s:\n%s", p.Status, p.Path, p.Text)
		}
		p.wantText(t, "Entity notify saved.", "notify — Notifications", "tier bronze", "team ghost dangling")
		if strings.Contains(p.Text, "rust") {
			t.Error("a property left out of the edit is still there")
		}
		hist := regexp.MustCompile(`(?s)<h3 id="history-h">History</h3>\s*<table>(.*?)</table>`).FindStringSubmatch(p.Body)
		if hist == nil {
			t.Fatal("no history")
		}
		text := catWS.ReplaceAllString(html.UnescapeString(catTags.ReplaceAllString(hist[1], " ")), " ")
		if !regexp.MustCompile(`updated [^ ]+ [^ ]+ api user:alice created [^ ]+ [^ ]+ api admin`).MatchString(text) {
			t.Errorf("history: %s", text)
		}

		p = b.post("/ns/dev/catalog/service/notify", url.Values{"properties": {`{"tier": "tin"}`}})
		if p.Status != http.StatusBadRequest {
			t.Fatalf("status %d", p.Status)
		}
		items := p.violationItems()
		if !slices.ContainsFunc(items, func(s string) bool { return strings.HasPrefix(s, "/properties — ") && strings.Contains(s, "url") }) ||
			!slices.ContainsFunc(items, func(s string) bool { return strings.HasPrefix(s, "/properties/tier — ") }) {
			t.Errorf("violations of the edit: %v", items)
		}
		if got := p.textarea(t, "e-properties"); got != `{"tier": "tin"}` {
			t.Errorf("the edit was not kept: %q", got)
		}
	})

	t.Run("delete", func(t *testing.T) {
		p := b.get("/ns/dev/catalog/service/orders-api/delete")
		p.wantText(t, "Delete entity service/orders-api?")
		if strings.Contains(p.Body, `name="force"`) {
			t.Error("force offered for an entity written through the API")
		}
		p = b.post("/ns/dev/catalog/service/orders-api/delete", url.Values{})
		if p.Status != http.StatusOK || p.Path != "/ns/dev/catalog/service" {
			t.Fatalf("status %d at %s:\n%s", p.Status, p.Path, p.Text)
		}
		p.wantText(t, "Entity orders-api deleted.")
		if slices.Contains(p.rows("service"), "orders-api") {
			t.Error("the deleted entity is still listed")
		}
		if p := b.send("GET", "/ns/dev/catalog/service/orders-api", nil); p.Status != http.StatusNotFound {
			t.Errorf("the deleted entity's page: status %d", p.Status)
		}
	})
}

func TestCatalogGitOwned(t *testing.T) {
	ts := newCatServer(t)
	ts.addUser(t, "alice", ferry.RoleEditor)
	ctx := context.Background()
	const commit = "4f1c2e9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e"
	rep, err := ts.Catalog.SyncEntities(ctx, &ferry.EntitySync{Namespace: "dev", Binding: "services", Repository: "https://git.example.com/acme/services.git",
		Commit: commit, Files: []ferry.EntityFile{{Path: "services/billing/billing.entity.json",
			Content: []byte(`{"blueprint": "service", "identifier": "billing", "title": "Billing", "properties": {"url": "https://billing.example.com", "tier": "gold"}, "relations": {"team": "payments"}}`)}}})
	if err != nil || len(rep.Failures) > 0 || rep.Read != 1 {
		t.Fatalf("sync: %+v, %v", rep, err)
	}
	b := ts.login(t, "alice")

	p := b.get("/ns/dev/catalog/service")
	p.wantText(t, "billing Billing https://billing.example.com gold", "git services/billing/billing.entity.json@4f1c2e9")

	p = b.get("/ns/dev/catalog/service/billing")
	p.wantText(t, "Source Git", "Binding services", "Repository https://git.example.com/acme/services.git",
		"Path services/billing/billing.entity.json", "Commit "+commit, "kept in Git", "needs “force”",
		"created", "git services/billing/billing.entity.json@4f1c2e9")
	if !strings.Contains(p.Body, `<a href="/ns/dev/files/services/billing/billing.entity.json">services/billing/billing.entity.json</a>`) {
		t.Error("the path does not link to the file in the explorer")
	}
	if !strings.Contains(p.Body, `name="force"`) {
		t.Error("no force checkbox for an entity kept in Git")
	}

	edit := url.Values{"title": {"Billing"}, "properties": {`{"url": "https://billing.example.com", "tier": "silver"}`}, "relations": {`{"team": "payments"}`}}
	_, apiErr := ts.Admin.PutEntity(ctx, "dev", "service", fhttp.EntityRequest{Identifier: "billing", Properties: map[string]any{"url": "https://billing.example.com"}}, true, false)
	if ferry.ErrorCode(apiErr) != ferry.ECONFLICT {
		t.Fatalf("API: %v", apiErr)
	}
	p = b.post("/ns/dev/catalog/service/billing", edit)
	if p.Status != http.StatusConflict {
		t.Fatalf("an edit without force: status %d:\n%s", p.Status, p.Text)
	}
	p.wantText(t, ferry.ErrorMessage(apiErr))
	if got := p.textarea(t, "e-properties"); !strings.Contains(got, "silver") {
		t.Errorf("the refused edit was not kept: %q", got)
	}
	if e, _ := ts.Admin.GetEntity(ctx, "dev", "service", "billing"); e == nil || e.Properties["tier"] != "gold" || e.Source.Source != ferry.SourceGit {
		t.Fatalf("the refused edit changed the entity: %+v", e)
	}

	p = b.post("/ns/dev/catalog/service/billing/delete", url.Values{})
	if p.Status != http.StatusConflict {
		t.Fatalf("a deletion without force: status %d", p.Status)
	}
	p.wantText(t, "is kept in Git", "Delete entity service/billing?")

	edit.Set("force", "true")
	p = b.post("/ns/dev/catalog/service/billing", edit)
	if p.Status != http.StatusOK {
		t.Fatalf("an edit with force: status %d:\n%s", p.Status, p.Text)
	}
	p.wantText(t, "Entity billing saved.", "tier silver", "Source API", "Written by user:alice", "updated")
	if strings.Contains(p.Text, "kept in Git") {
		t.Error("the entity still says it is kept in Git")
	}
}

func TestCatalogGitOwnedDeleteWithForce(t *testing.T) {
	ts := newCatServer(t)
	ts.addUser(t, "alice", ferry.RoleEditor)
	if _, err := ts.Catalog.SyncEntities(context.Background(), &ferry.EntitySync{Namespace: "dev", Binding: "services", Commit: "abc",
		Files: []ferry.EntityFile{{Path: "billing.entity.json", Content: []byte(`{"blueprint": "service", "identifier": "billing", "properties": {"url": "https://b.example"}}`)}}}); err != nil {
		t.Fatal(err)
	}
	b := ts.login(t, "alice")
	p := b.get("/ns/dev/catalog/service/billing/delete")
	p.wantText(t, "kept in Git", "Force: delete the entity kept in Git")
	p = b.post("/ns/dev/catalog/service/billing/delete", url.Values{"force": {"true"}})
	if p.Status != http.StatusOK || p.Path != "/ns/dev/catalog/service" {
		t.Fatalf("status %d at %s:\n%s", p.Status, p.Path, p.Text)
	}
	p.wantText(t, "Entity billing deleted.")
	if _, err := ts.Admin.GetEntity(context.Background(), "dev", "service", "billing"); ferry.ErrorCode(err) != ferry.ENOTFOUND {
		t.Errorf("after deletion: %v", err)
	}
}

func TestCatalogViewer(t *testing.T) {
	ts := newCatServer(t)
	ts.addUser(t, "victor", ferry.RoleViewer)
	ts.putEntity(t, "service", "payments-api", "Payments API", `{"url": "https://pay.example.com"}`)
	b := ts.login(t, "victor")

	b.get("/ns/dev/catalog").wantText(t, "service", "team", "Your role lets you read this catalog")
	p := b.get("/ns/dev/catalog/service")
	p.wantText(t, "payments-api", "Your role lets you read this catalog")
	if strings.Contains(p.Body, `name="properties"`) {
		t.Error("a viewer is offered the form to add an entity")
	}
	p = b.get("/ns/dev/catalog/service/payments-api")
	p.wantText(t, "url https://pay.example.com", "Written by admin")
	if strings.Contains(p.Body, `id="edit"`) {
		t.Error("a viewer is offered the edit form")
	}

	const denied = `You lack permission catalog:write in namespace "dev".`
	for _, tc := range []struct {
		path string
		form url.Values
	}{
		{"/ns/dev/catalog", url.Values{"identifier": {"library"}, "schema": {"{}"}}},
		{"/ns/dev/catalog/service", url.Values{"identifier": {"x"}, "properties": {`{"url": "https://x.example"}`}}},
		{"/ns/dev/catalog/service/payments-api", url.Values{"properties": {`{"url": "https://y.example"}`}}},
		{"/ns/dev/catalog/service/payments-api/delete", url.Values{}},
	} {
		p := b.post(tc.path, tc.form)
		if p.Status != http.StatusForbidden {
			t.Errorf("POST %s: status %d", tc.path, p.Status)
		}
		p.wantText(t, denied)
	}
	if e, err := ts.Admin.GetEntity(context.Background(), "dev", "service", "payments-api"); err != nil || e.Properties["url"] != "https://pay.example.com" {
		t.Errorf("after the viewer's posts: %+v, %v", e, err)
	}

	t.Run("a form without the CSRF token", func(t *testing.T) {
		p := b.send("POST", "/ns/dev/catalog/service/payments-api/delete", url.Values{"force": {"true"}})
		if p.Status != http.StatusForbidden || !strings.Contains(p.Text, "The form has expired") {
			t.Errorf("status %d:\n%s", p.Status, p.Text)
		}
	})
	t.Run("a namespace without a role", func(t *testing.T) {
		if _, err := ts.Admin.CreateNamespace(context.Background(), "secret"); err != nil {
			t.Fatal(err)
		}
		if p := b.send("GET", "/ns/secret/catalog", nil); p.Status != http.StatusNotFound {
			t.Errorf("status %d", p.Status)
		}
	})
}

func TestCatalogInvalidEntity(t *testing.T) {
	ts := newCatServer(t)
	ts.addUser(t, "alice", ferry.RoleEditor)
	ts.putEntity(t, "service", "legacy", "Legacy", `{"url": "https://legacy.example.com"}`)
	ts.putEntity(t, "service", "modern", "Modern", `{"url": "https://modern.example.com", "language": "go"}`)
	ctx := context.Background()
	stricter := strings.Replace(catServiceSchema, `"required": ["url"]`, `"required": ["url", "language"]`, 1)
	req := fhttp.BlueprintRequest{Identifier: "service", Title: "Service", Schema: []byte(stricter), Relations: map[string]ferry.Relation{"team": {Target: "team"}}}
	if _, err := ts.Admin.UpdateBlueprint(ctx, "dev", req, true); err != nil {
		t.Fatal(err)
	}
	e, err := ts.Admin.GetEntity(ctx, "dev", "service", "legacy")
	if err != nil || !e.Invalid || len(e.Violations) == 0 {
		t.Fatalf("legacy = %+v, %v", e, err)
	}
	b := ts.login(t, "alice")
	p := b.get("/ns/dev/catalog/service")
	if !regexp.MustCompile(`>legacy</a> <span class="badge bad">invalid</span>`).MatchString(p.Body) {
		t.Error("no invalid badge on legacy")
	}
	if regexp.MustCompile(`>modern</a> <span class="badge bad">invalid</span>`).MatchString(p.Body) {
		t.Error("an invalid badge on modern")
	}
	p = b.get("/ns/dev/catalog/service/legacy")
	p.wantText(t, "legacy — Legacy invalid", "The blueprint changed in a way this entity breaks:")
	for _, v := range e.Violations {
		p.wantText(t, v.Pointer+" — "+v.Message)
	}
}
