package http_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/ferrygit/ferry"
)

func TestNamespaces(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()

	ns, err := ts.Client.CreateNamespace(ctx, "dev")
	if err != nil {
		t.Fatal(err)
	}
	if ns.Name != "dev" || ns.Head != 0 || ns.CreatedAt.IsZero() {
		t.Errorf("created %+v", ns)
	}
	got, err := ts.Client.FindNamespace(ctx, "dev")
	if err != nil || got.Name != "dev" {
		t.Fatalf("find = %+v, %v", got, err)
	}
	_, err = ts.Client.CreateNamespace(ctx, "dev")
	wantCode(t, err, ferry.ECONFLICT)

	list, next, err := ts.Client.ListNamespaces(ctx, ferry.Page{})
	if err != nil || len(list) != 1 || list[0].Name != "dev" || next != "" {
		t.Fatalf("list = %v, %q, %v", list, next, err)
	}
	if err := ts.Client.DeleteNamespace(ctx, "dev"); err != nil {
		t.Fatal(err)
	}
	_, err = ts.Client.FindNamespace(ctx, "dev")
	wantCode(t, err, ferry.ENOTFOUND)
	wantCode(t, ts.Client.DeleteNamespace(ctx, "dev"), ferry.ENOTFOUND)
}

func TestNamespacesRaw(t *testing.T) {
	ts := newTestServer(t)
	resp := ts.raw(t, "GET", "/api/v1/namespaces", nil)
	if resp.Status != http.StatusOK || strings.TrimSpace(string(resp.Body)) != `{"items":[],"next":""}` {
		t.Fatalf("empty list = %d %s", resp.Status, resp.Body)
	}
	resp = ts.raw(t, "POST", "/api/v1/namespaces", []byte(`{"name":"dev"}`))
	if resp.Status != http.StatusCreated || resp.Header.Get("Location") != "/api/v1/namespaces/dev" {
		t.Fatalf("create = %d %v %s", resp.Status, resp.Header, resp.Body)
	}
	var ns map[string]any
	decode(t, resp, &ns)
	if ns["name"] != "dev" || ns["head_revision"] != 0.0 || ns["id"] != nil {
		t.Errorf("namespace JSON = %v", ns)
	}
	resp = ts.raw(t, "DELETE", "/api/v1/namespaces/dev", nil)
	if resp.Status != http.StatusNoContent || len(resp.Body) != 0 {
		t.Fatalf("delete = %d %s", resp.Status, resp.Body)
	}
	wantError(t, ts.raw(t, "GET", "/api/v1/namespaces/dev", nil), http.StatusNotFound, ferry.ENOTFOUND, "dev")
}

func TestBadNamespaceNames(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	tests := []struct{ name, fragment string }{
		{"", "required"},
		{"Dev", "lowercase"},
		{strings.Repeat("a", 64), "at most 63"},
		{"a_b", "lowercase"},
		{"-a", "start and end"},
		{"a b", "lowercase"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.name), func(t *testing.T) {
			_, err := ts.Client.CreateNamespace(ctx, tt.name)
			wantCode(t, err, ferry.EINVALID)
			if !strings.Contains(ferry.ErrorMessage(err), tt.fragment) {
				t.Errorf("message %q lacks %q", ferry.ErrorMessage(err), tt.fragment)
			}
		})
	}
	t.Run("in the URL", func(t *testing.T) {
		for _, path := range []string{
			"/api/v1/namespaces/Dev",
			"/api/v1/namespaces/a_b/files/x",
			"/api/v1/namespaces/" + strings.Repeat("a", 64) + "/tree",
			"/api/v1/namespaces/UP/revisions",
		} {
			wantError(t, ts.raw(t, "GET", path, nil), http.StatusBadRequest, ferry.EINVALID, "Namespace name")
		}
	})
	list, _, err := ts.Client.ListNamespaces(ctx, ferry.Page{})
	if err != nil || len(list) != 0 {
		t.Errorf("bad names created namespaces: %v, %v", list, err)
	}
}

func TestCreateNamespaceBadBody(t *testing.T) {
	ts := newTestServer(t)
	tests := []struct{ name, body, fragment string }{
		{"empty", ``, "empty"},
		{"malformed", "{\n\"name\": \"dev\",\n}", "line 3"},
		{"unknown field", `{"name":"dev","color":"red"}`, `unknown field "color"`},
		{"wrong type", `{"name":7}`, `"name" must be a string`},
		{"trailing data", `{"name":"dev"} {"name":"qa"}`, "after its JSON object"},
		{"not an object", `["dev"]`, "must be a JSON object"},
		{"truncated", `{"name":"de`, "ends in the middle"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, ts.raw(t, "POST", "/api/v1/namespaces", []byte(tt.body)), http.StatusBadRequest, ferry.EINVALID, tt.fragment)
		})
	}
	list, _, err := ts.Client.ListNamespaces(context.Background(), ferry.Page{})
	if err != nil || len(list) != 0 {
		t.Errorf("bad bodies created namespaces: %v, %v", list, err)
	}
}

func TestPagination(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	var want []string
	for i := range 7 {
		name := fmt.Sprintf("ns-%02d", i)
		ts.mustNamespace(t, name)
		want = append(want, name)
	}
	var got []string
	page := ferry.Page{Limit: 3}
	for pages := 0; ; pages++ {
		if pages > 3 {
			t.Fatal("pagination does not end")
		}
		items, next, err := ts.Client.ListNamespaces(ctx, page)
		if err != nil {
			t.Fatal(err)
		}
		if len(items) > 3 {
			t.Fatalf("page of %d items, limit 3", len(items))
		}
		for _, ns := range items {
			got = append(got, ns.Name)
		}
		if next == "" {
			break
		}
		page.Cursor = next
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("pages = %v, want %v", got, want)
	}
}

func TestLimitParameter(t *testing.T) {
	ts := newTestServer(t)
	ts.mustNamespace(t, "dev")
	for _, limit := range []string{"0", "abc", "5000", "-1", "1.5"} {
		t.Run(limit, func(t *testing.T) {
			for _, path := range []string{"/api/v1/namespaces", "/api/v1/namespaces/dev/revisions", "/api/v1/namespaces/dev/tree"} {
				wantError(t, ts.raw(t, "GET", path+"?limit="+limit, nil), http.StatusBadRequest, ferry.EINVALID, "limit", "1000")
			}
		})
	}
	for _, limit := range []string{"1", "1000"} {
		if resp := ts.raw(t, "GET", "/api/v1/namespaces?limit="+limit, nil); resp.Status != http.StatusOK {
			t.Errorf("limit=%s: %d %s", limit, resp.Status, resp.Body)
		}
	}
	wantError(t, ts.raw(t, "GET", "/api/v1/namespaces?cursor=garbage!", nil), http.StatusBadRequest, ferry.EINVALID)
}
