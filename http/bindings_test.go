package http_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/ferrygit/ferry"
	fhttp "github.com/ferrygit/ferry/http"
)

// paymentsBody is the binding of the example.
const paymentsBody = `{"name":"payments","directory":"/services/payments","url":"ssh://git@git.example.com/org/payments.git",
	"ref":"main","path":"/","credential":"deploy","direction":"pull","schedule":"*/5 * * * *"}`

// mustBinding creates a binding through the client.
func (ts *testServer) mustBinding(t *testing.T, ns string, req fhttp.BindingRequest) *fhttp.BindingResponse {
	t.Helper()
	b, err := ts.Client.CreateBinding(context.Background(), ns, req)
	if err != nil {
		t.Fatalf("create binding %s/%s: %v", ns, req.Name, err)
	}
	return b
}

// mustCredential creates a token credential through the client.
func (ts *testServer) mustCredential(t *testing.T, name string) {
	t.Helper()
	if _, err := ts.Client.CreateCredential(context.Background(), fhttp.CredentialRequest{Name: name, Kind: ferry.CredentialToken, Token: "tok-123456"}); err != nil {
		t.Fatal(err)
	}
}

func TestCreateBinding(t *testing.T) {
	ts := newSyncServer(t)
	ts.mustNamespace(t, "dev")
	ts.mustCredential(t, "deploy")

	resp := ts.raw(t, "POST", "/api/v1/namespaces/dev/bindings", []byte(paymentsBody))
	if resp.Status != http.StatusCreated || resp.Header.Get("Location") != "/api/v1/namespaces/dev/bindings/payments" {
		t.Fatalf("create = %d %v %s", resp.Status, resp.Header, resp.Body)
	}
	var got fhttp.BindingResponse
	decode(t, resp, &got)
	b := got.Binding
	if b == nil || b.ID == 0 || b.Namespace != "dev" || b.Directory != "services/payments" || b.Path != "" || b.Credential != "deploy" ||
		b.Schedule != "*/5 * * * *" || b.Direction != ferry.DirectionPull || b.CreatedAt.IsZero() {
		t.Fatalf("binding = %+v", b)
	}
	// The first pull is queued, and the status read back after creation shows it.
	if b.Status.State != ferry.StateQueued || b.Status.NextRunAt == nil {
		t.Errorf("status = %+v, want queued with a next run", b.Status)
	}
	r := got.FirstRun
	if r == nil || r.ID == 0 || r.Kind != ferry.RunPull || r.State != ferry.RunQueued || r.Trigger != ferry.TriggerAPI || r.Actor != fhttp.AdminActor {
		t.Fatalf("first_run = %+v", r)
	}

	// A push binding has no first pull: it stays idle and the answer has no first_run.
	resp = ts.raw(t, "POST", "/api/v1/namespaces/dev/bindings", []byte(`{"name":"out","directory":"/out","url":"https://git.example.com/org/out.git","direction":"push"}`))
	if resp.Status != http.StatusCreated || strings.Contains(string(resp.Body), "first_run") {
		t.Fatalf("push binding = %d %s", resp.Status, resp.Body)
	}
	var push fhttp.BindingResponse
	decode(t, resp, &push)
	if push.Status.State != ferry.StateIdle || push.Direction != ferry.DirectionPush || push.FirstRun != nil {
		t.Errorf("push binding = %+v, first run %+v", push.Binding, push.FirstRun)
	}
}

func TestCreateBindingRefusals(t *testing.T) {
	ts := newSyncServer(t)
	ts.mustNamespace(t, "dev")
	ts.mustBinding(t, "dev", fhttp.BindingRequest{Name: "payments", Directory: "/services/payments", URL: "https://git.example.com/a.git"})
	const url = `"url":"https://git.example.com/b.git"`
	tests := []struct {
		name, path, body string
		status           int
		code             string
		fragments        []string
	}{
		{"bad name", "dev", `{"name":"Pay_ments",` + url + `}`, 400, ferry.EINVALID, []string{"Binding name", "lowercase"}},
		{"file URL", "dev", `{"name":"x","directory":"x","url":"file:///x"}`, 400, ferry.EINVALID, []string{"file://"}},
		{"no URL", "dev", `{"name":"x","directory":"x"}`, 400, ferry.EINVALID, []string{"URL is required"}},
		{"bad ref", "dev", `{"name":"x","directory":"x",` + url + `,"ref":"a..b"}`, 400, ferry.EINVALID, nil},
		{"bad direction", "dev", `{"name":"x","directory":"x",` + url + `,"direction":"sideways"}`, 400, ferry.EINVALID, []string{"sideways"}},
		{"bad schedule", "dev", `{"name":"x","directory":"x",` + url + `,"schedule":"every day"}`, 400, ferry.EINVALID, []string{"Schedule"}},
		{"unknown credential", "dev", `{"name":"x","directory":"x",` + url + `,"credential":"nobody"}`, 404, ferry.ENOTFOUND, []string{"nobody"}},
		{"overlapping directory", "dev", `{"name":"x","directory":"/services",` + url + `}`, 409, ferry.ECONFLICT, []string{"overlaps", "payments"}},
		{"taken name", "dev", `{"name":"payments","directory":"other",` + url + `}`, 409, ferry.ECONFLICT, []string{"payments"}},
		{"unknown namespace", "nope", `{"name":"x","directory":"x",` + url + `}`, 404, ferry.ENOTFOUND, []string{"nope"}},
		{"bad namespace", "Dev", `{"name":"x","directory":"x",` + url + `}`, 400, ferry.EINVALID, []string{"Namespace name"}},
		{"unknown field", "dev", `{"name":"x","directory":"x",` + url + `,"dry_run":true}`, 400, ferry.EINVALID, []string{"unknown field", "dry_run"}},
		{"not an object", "dev", `[]`, 400, ferry.EINVALID, nil},
		{"empty body", "dev", ``, 400, ferry.EINVALID, []string{"empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := ts.raw(t, "POST", "/api/v1/namespaces/"+tt.path+"/bindings", []byte(tt.body))
			wantError(t, resp, tt.status, tt.code, tt.fragments...)
		})
	}
	items, _, err := ts.Client.ListBindings(context.Background(), "dev", ferry.Page{})
	if err != nil || len(items) != 1 {
		t.Fatalf("after the refusals: %v, %v", items, err)
	}
}

func TestBindingLifecycle(t *testing.T) {
	ts := newSyncServer(t)
	ctx := context.Background()
	ts.mustNamespace(t, "dev")
	ts.mustBinding(t, "dev", fhttp.BindingRequest{Name: "payments", Directory: "/services/payments", URL: "https://git.example.com/a.git"})
	ts.mustBinding(t, "dev", fhttp.BindingRequest{Name: "orders", Directory: "/services/orders", URL: "https://git.example.com/b.git"})

	items, next, err := ts.Client.ListBindings(ctx, "dev", ferry.Page{Limit: 1})
	if err != nil || len(items) != 1 || items[0].Name != "orders" || next == "" {
		t.Fatalf("first page = %v, %q, %v", items, next, err)
	}
	items, next, err = ts.Client.ListBindings(ctx, "dev", ferry.Page{Limit: 1, Cursor: next})
	if err != nil || len(items) != 1 || items[0].Name != "payments" || next != "" {
		t.Fatalf("second page = %v, %q, %v", items, next, err)
	}
	_, _, err = ts.Client.ListBindings(ctx, "nope", ferry.Page{})
	wantCode(t, err, ferry.ENOTFOUND)
	wantError(t, ts.raw(t, "GET", "/api/v1/namespaces/dev/bindings?limit=0", nil), 400, ferry.EINVALID, "limit")

	b, err := ts.Client.FindBinding(ctx, "dev", "payments")
	if err != nil || b.URL != "https://git.example.com/a.git" || b.Directory != "services/payments" {
		t.Fatalf("find = %+v, %v", b, err)
	}
	wantError(t, ts.raw(t, "GET", "/api/v1/namespaces/dev/bindings/nope", nil), 404, ferry.ENOTFOUND, "nope")
	wantError(t, ts.raw(t, "GET", "/api/v1/namespaces/dev/bindings/Bad_Name", nil), 400, ferry.EINVALID, "Binding name")

	url, sched := "https://git.example.com/c.git", "@hourly"
	b, err = ts.Client.UpdateBinding(ctx, "dev", "payments", ferry.BindingUpdate{URL: &url, Schedule: &sched})
	if err != nil || b.URL != url || b.Schedule != sched || b.Directory != "services/payments" || b.Status.NextRunAt == nil {
		t.Fatalf("update = %+v, %v", b, err)
	}
	if b, _ := ts.Client.FindBinding(ctx, "dev", "payments"); b.URL != url {
		t.Errorf("the update was not stored: %+v", b)
	}
	resp := ts.raw(t, "PATCH", "/api/v1/namespaces/dev/bindings/payments", []byte(`{"ref":"release"}`))
	if resp.Status != http.StatusOK || !strings.Contains(string(resp.Body), `"ref":"release"`) {
		t.Fatalf("raw patch = %d %s", resp.Status, resp.Body)
	}
	wantError(t, ts.raw(t, "PATCH", "/api/v1/namespaces/dev/bindings/payments", []byte(`{"name":"renamed"}`)), 400, ferry.EINVALID, "unknown field")
	wantError(t, ts.raw(t, "PATCH", "/api/v1/namespaces/dev/bindings/payments", []byte(`{"directory":"/services"}`)), 409, ferry.ECONFLICT, "overlaps")
	wantError(t, ts.raw(t, "PATCH", "/api/v1/namespaces/dev/bindings/payments", []byte(`{"url":"file:///etc"}`)), 400, ferry.EINVALID, "file://")
	wantError(t, ts.raw(t, "PATCH", "/api/v1/namespaces/dev/bindings/nope", []byte(`{}`)), 404, ferry.ENOTFOUND)

	resp = ts.raw(t, "DELETE", "/api/v1/namespaces/dev/bindings/payments", nil)
	if resp.Status != http.StatusNoContent || len(resp.Body) != 0 {
		t.Fatalf("delete = %d %s", resp.Status, resp.Body)
	}
	_, err = ts.Client.FindBinding(ctx, "dev", "payments")
	wantCode(t, err, ferry.ENOTFOUND)
	wantCode(t, ts.Client.DeleteBinding(ctx, "dev", "payments"), ferry.ENOTFOUND)
	if err := ts.Client.DeleteBinding(ctx, "dev", "orders"); err != nil {
		t.Fatal(err)
	}
	resp = ts.raw(t, "GET", "/api/v1/namespaces/dev/bindings", nil)
	if resp.Status != http.StatusOK || strings.TrimSpace(string(resp.Body)) != `{"items":[],"next":""}` {
		t.Fatalf("empty list = %d %s", resp.Status, resp.Body)
	}
}

func TestCheckBinding(t *testing.T) {
	ts := newSyncServer(t)
	ctx := context.Background()
	ts.mustNamespace(t, "dev")
	ts.mustBinding(t, "dev", fhttp.BindingRequest{Name: "good", Directory: "a", URL: "https://git.example.com/a.git"})
	ts.mustBinding(t, "dev", fhttp.BindingRequest{Name: "bad", Directory: "b", URL: "https://git.example.com/stalled.git"})

	res, err := ts.Client.CheckBinding(ctx, "dev", "good")
	if err != nil || !res.OK() || res.HeadCommit != "c2" {
		t.Fatalf("check good = %+v, %v", res, err)
	}
	// A remote that refuses is a finding: 200 with the reason.
	resp := ts.raw(t, "POST", "/api/v1/namespaces/dev/bindings/bad/check", nil)
	var got ferry.CheckResult
	decode(t, resp, &got)
	if resp.Status != http.StatusOK || got.OK() || got.Reason != ferry.ReasonAuthFailed {
		t.Fatalf("check bad = %d %s", resp.Status, resp.Body)
	}
	_, err = ts.Client.CheckBinding(ctx, "dev", "nope")
	wantCode(t, err, ferry.ENOTFOUND)
}

// TestBindingsUnavailable checks that a server without a sync service says so, and makes
// nothing, not even the namespace of a mirror.
func TestBindingsUnavailable(t *testing.T) {
	ts := newTestServer(t)
	ts.mustNamespace(t, "dev")
	for _, tc := range []struct{ method, path, body string }{
		{"POST", "/api/v1/namespaces/dev/bindings", paymentsBody},
		{"GET", "/api/v1/namespaces/dev/bindings", ""},
		{"GET", "/api/v1/namespaces/dev/bindings/payments", ""},
		{"PATCH", "/api/v1/namespaces/dev/bindings/payments", "{}"},
		{"DELETE", "/api/v1/namespaces/dev/bindings/payments", ""},
		{"POST", "/api/v1/namespaces/dev/bindings/payments/check", ""},
		{"POST", "/api/v1/namespaces/dev/bindings/payments/pull", ""},
		{"POST", "/api/v1/namespaces/dev/sync", ""},
		{"GET", "/api/v1/namespaces/dev/bindings/payments/runs", ""},
		{"GET", "/api/v1/namespaces/dev/bindings/payments/runs/1", ""},
		{"POST", "/api/v1/namespaces", `{"name":"qa","mirror":` + paymentsBody + `}`},
	} {
		wantError(t, ts.raw(t, tc.method, tc.path, []byte(tc.body)), http.StatusServiceUnavailable, ferry.EUNAVAILABLE)
	}
	_, err := ts.Client.FindNamespace(context.Background(), "qa")
	wantCode(t, err, ferry.ENOTFOUND)
}
