package http_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/ferrygit/ferry"
	fhttp "github.com/ferrygit/ferry/http"
)

func TestNamespaceWithMirror(t *testing.T) {
	ts := newSyncServer(t)
	ctx := context.Background()
	resp := ts.raw(t, "POST", "/api/v1/namespaces", []byte(`{"name":"dev","mirror":{"name":"config","url":"https://git.example.com/config.git","schedule":"@hourly"}}`))
	if resp.Status != http.StatusCreated || resp.Header.Get("Location") != "/api/v1/namespaces/dev" {
		t.Fatalf("create = %d %v %s", resp.Status, resp.Header, resp.Body)
	}
	var got fhttp.MirroredNamespace
	decode(t, resp, &got)
	if got.Namespace == nil || got.Name != "dev" || got.CreatedAt.IsZero() || got.Mirror == nil || got.Mirror.Binding == nil {
		t.Fatalf("answer = %s", resp.Body)
	}
	m := got.Mirror
	if m.Name != "config" || m.Namespace != "dev" || m.Directory != "" || m.Status.State != ferry.StateQueued || m.FirstRun == nil || m.FirstRun.Binding != "config" {
		t.Fatalf("mirror = %+v, first run %+v", m.Binding, m.FirstRun)
	}
	if b, err := ts.Client.FindBinding(ctx, "dev", "config"); err != nil || b.ID != m.ID {
		t.Fatalf("find the mirror = %+v, %v", b, err)
	}

	mn, err := ts.Client.CreateNamespaceWithMirror(ctx, "qa", fhttp.BindingRequest{Name: "config", Directory: "/etc", URL: "https://git.example.com/qa.git", Direction: ferry.DirectionPush})
	if err != nil || mn.Name != "qa" || mn.Mirror == nil || mn.Mirror.Directory != "etc" || mn.Mirror.FirstRun != nil {
		t.Fatalf("client create = %+v, %v", mn, err)
	}
	// Without a mirror the answer is the namespace alone, as before.
	resp = ts.raw(t, "POST", "/api/v1/namespaces", []byte(`{"name":"plain"}`))
	if resp.Status != http.StatusCreated || string(resp.Body) == "" || containsKey(t, resp, "mirror") {
		t.Fatalf("plain create = %d %s", resp.Status, resp.Body)
	}
}

// containsKey reports whether a JSON object answer has key.
func containsKey(t *testing.T, resp response, key string) bool {
	t.Helper()
	var m map[string]any
	decode(t, resp, &m)
	_, ok := m[key]
	return ok
}

// TestNamespaceWithRefusedMirror checks that a refused mirror leaves no namespace behind,
// and that a binding is checked before the namespace is made.
func TestNamespaceWithRefusedMirror(t *testing.T) {
	ts := newSyncServer(t)
	ctx := context.Background()
	ts.mustNamespace(t, "taken")
	tests := []struct {
		name, body string
		status     int
		code       string
		fragments  []string
	}{
		// Refused by the sync service, after the namespace was made: it is removed again.
		{"unknown credential", `{"name":"dev","mirror":{"name":"config","url":"https://git.example.com/c.git","credential":"nobody"}}`, 404, ferry.ENOTFOUND, []string{"nobody"}},
		{"bad schedule", `{"name":"dev","mirror":{"name":"config","url":"https://git.example.com/c.git","schedule":"sometimes"}}`, 400, ferry.EINVALID, []string{"Schedule"}},
		// Refused before the namespace is made.
		{"file URL", `{"name":"dev","mirror":{"name":"config","url":"file:///x"}}`, 400, ferry.EINVALID, []string{"file://"}},
		{"no binding name", `{"name":"dev","mirror":{"url":"https://git.example.com/c.git"}}`, 400, ferry.EINVALID, []string{"Binding name"}},
		{"unknown field", `{"name":"dev","mirror":{"name":"config","url":"https://git.example.com/c.git","dry_run":true}}`, 400, ferry.EINVALID, []string{"dry_run"}},
		{"bad namespace name", `{"name":"Dev","mirror":{"name":"config","url":"https://git.example.com/c.git"}}`, 400, ferry.EINVALID, []string{"Namespace name"}},
		// A bad mirror for a taken name is refused as bad (400), not as taken (409): the
		// binding is checked first, and the existing namespace is left alone.
		{"taken namespace, bad mirror", `{"name":"taken","mirror":{"name":"config","url":"file:///x"}}`, 400, ferry.EINVALID, []string{"file://"}},
		{"taken namespace", `{"name":"taken","mirror":{"name":"config","url":"https://git.example.com/c.git"}}`, 409, ferry.ECONFLICT, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, ts.raw(t, "POST", "/api/v1/namespaces", []byte(tt.body)), tt.status, tt.code, tt.fragments...)
			_, err := ts.Client.FindNamespace(ctx, "dev")
			wantCode(t, err, ferry.ENOTFOUND)
		})
	}
	if _, err := ts.Client.FindNamespace(ctx, "taken"); err != nil {
		t.Fatalf("the existing namespace was touched: %v", err)
	}
	items, _, err := ts.Client.ListBindings(ctx, "taken", ferry.Page{})
	if err != nil || len(items) != 0 {
		t.Fatalf("bindings of the existing namespace = %v, %v", items, err)
	}
	_, err = ts.Client.CreateNamespaceWithMirror(ctx, "dev", fhttp.BindingRequest{Name: "config", URL: "https://git.example.com/c.git", Credential: "nobody"})
	wantCode(t, err, ferry.ENOTFOUND)
	if _, err := ts.Client.FindNamespace(ctx, "dev"); ferry.ErrorCode(err) != ferry.ENOTFOUND {
		t.Fatalf("the client's refused mirror left its namespace: %v", err)
	}
}
