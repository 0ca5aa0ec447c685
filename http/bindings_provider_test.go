package http_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/gitsync"
	fhttp "github.com/ferrygit/ferry/http"
	"github.com/ferrygit/ferry/provider"
	"github.com/ferrygit/ferry/provider/github"
	pt "github.com/ferrygit/ferry/provider/providertest"
	"github.com/ferrygit/ferry/sqlstore"
)

// bindPublicURL is the public URL of the provider-binding test servers.
const bindPublicURL = "https://ferry.example.com"

// newBinderServer starts a test server that makes bindings through provider connections
// with the real gitsync.Binder and provider.Service, over a fake sync service, and a fake
// GitHub API with provider "acme-gh" (owner octocat, credential gh-pat) connected to it.
// The fake lists the recorded repository octocat/Hello-World.
func newBinderServer(t *testing.T) (*testServer, *pt.Server) {
	t.Helper()
	ctx := context.Background()
	ts := newTestServer(t, func(s *fhttp.Server) {
		db := s.Namespaces.(*sqlstore.DB)
		fake := &fakeSync{DB: db}
		reg := provider.NewRegistry(provider.RegistryConfig{Credentials: db, Policy: pt.Policy, Logger: s.Logger},
			map[string]provider.Constructor{ferry.ProviderGitHub: github.New})
		providers := &provider.Service{Store: db, Registry: reg, Logger: s.Logger}
		s.Bindings, s.Runs, s.Sync, s.Webhooks, s.Providers = db, db, fake, db, providers
		s.PublicURL = bindPublicURL
		s.Binder = &gitsync.Binder{Sync: fake, Store: db, Providers: providers, HookURL: s.HookURL, Logger: s.Logger}
	})
	gh := pt.NewServer(t)
	gh.Handle("GET /orgs/octocat/repos", pt.Reply(200, ghFixture(t, "rest-list-org-repos.json")))
	if _, err := ts.Client.CreateCredential(ctx, fhttp.CredentialRequest{Name: "gh-pat", Kind: "token", Token: ghToken}); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Client.CreateProvider(ctx, fhttp.ProviderRequest{Name: "acme-gh", Kind: "github", BaseURL: gh.URL, Owner: "octocat", Credential: "gh-pat"}); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Client.CreateNamespace(ctx, "dev"); err != nil {
		t.Fatal(err)
	}
	return ts, gh
}

// requestsTo returns the requests gh received with method to path.
func requestsTo(gh *pt.Server, method, path string) []pt.Request {
	var out []pt.Request
	for _, r := range gh.Requests() {
		if r.Method == method && r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// TestProviderBindingManagedWebhook: a binding made with provider and repository resolves
// the repository's clone URL, creates the managed webhook at GitHub with a fresh secret
// pointing at the public URL, shows that secret only in the create answer, and deletes the
// webhook at GitHub when the binding is deleted.
func TestProviderBindingManagedWebhook(t *testing.T) {
	ts, gh := newBinderServer(t)
	w := &secretWatch{}
	const hooksPath = "/repos/octocat/Hello-World/hooks"
	gh.Handle("POST "+hooksPath, pt.Reply(201, ghFixture(t, "rest-create-repo-webhook.json")))
	gh.Handle("DELETE "+hooksPath+"/12345678", pt.Reply(204, nil))

	// The create answer shows the secret, once: it is not watched.
	resp := ts.raw(t, "POST", "/api/v1/namespaces/dev/bindings", []byte(
		`{"name":"payments","directory":"/payments","provider":"acme-gh","repository":"hello-world","credential":"gh-pat","ref":"main"}`))
	if resp.Status != http.StatusCreated || resp.Header.Get("Location") != "/api/v1/namespaces/dev/bindings/payments" {
		t.Fatalf("create = %d %s", resp.Status, resp.Body)
	}
	var b fhttp.BindingResponse
	decode(t, resp, &b)
	wantHookURL := fmt.Sprintf("%s/hooks/%d", bindPublicURL, b.ID)
	if b.Provider != "acme-gh" || b.Repository != "Hello-World" || b.URL != "https://github.com/octocat/Hello-World.git" || b.HookID != "12345678" || b.FirstRun == nil {
		t.Fatalf("created binding = %s", resp.Body)
	}
	if b.Webhook == nil || b.Webhook.Webhook == nil || b.Webhook.Mode != ferry.WebhookManaged || b.Webhook.URL != wantHookURL || b.Webhook.Secret == "" {
		t.Fatalf("the create answer's webhook = %+v", b.Webhook)
	}
	secret := b.Webhook.Secret

	// The fake saw the hook created: on the repository, to the binding's URL, with the secret.
	created := requestsTo(gh, "POST", hooksPath)
	if len(created) != 1 {
		t.Fatalf("%d webhook creations, want 1; requests: %+v", len(created), gh.Requests())
	}
	body := created[0].JSON(t)
	cfg, _ := body["config"].(map[string]any)
	if cfg == nil || cfg["url"] != wantHookURL || cfg["secret"] != secret || cfg["content_type"] != "json" {
		t.Errorf("webhook creation body = %s", created[0].Body)
	}
	if events, _ := body["events"].([]any); len(events) != 1 || events[0] != "push" {
		t.Errorf("webhook events = %v, want [push]", body["events"])
	}
	for _, r := range gh.Requests() {
		if r.Header.Get("Authorization") != "Bearer "+ghToken {
			t.Errorf("%s %s: Authorization = %q", r.Method, r.Path, r.Header.Get("Authorization"))
		}
	}

	// Later reads carry the managed webhook, but never its secret.
	for _, path := range []string{"/api/v1/namespaces/dev/bindings/payments", "/api/v1/namespaces/dev/bindings"} {
		resp := w.raw(t, ts, "GET", path, "")
		if resp.Status != http.StatusOK || !strings.Contains(string(resp.Body), "12345678") {
			t.Fatalf("GET %s = %d %s", path, resp.Status, resp.Body)
		}
	}
	got := w.raw(t, ts, "GET", "/api/v1/namespaces/dev/bindings/payments", "")
	var gb fhttp.BindingResponse
	decode(t, got, &gb)
	if gb.Webhook == nil || gb.Webhook.Webhook == nil || gb.Webhook.Mode != ferry.WebhookManaged || gb.Webhook.URL != wantHookURL || gb.Webhook.Secret != "" {
		t.Fatalf("GET binding webhook = %+v", gb.Webhook)
	}
	// Its secret cannot be rotated through Ferry: the provider holds it.
	wantError(t, w.raw(t, ts, "POST", "/api/v1/namespaces/dev/bindings/payments/webhook/rotate", ""), 400, ferry.EINVALID, "manages at provider")

	// Delete: the hook is removed at GitHub, then the binding.
	before := gh.Count()
	if resp := w.raw(t, ts, "DELETE", "/api/v1/namespaces/dev/bindings/payments", ""); resp.Status != http.StatusNoContent {
		t.Fatalf("delete = %d %s", resp.Status, resp.Body)
	}
	if deleted := requestsTo(gh, "DELETE", hooksPath+"/12345678"); len(deleted) != 1 || gh.Count() != before+1 {
		t.Fatalf("webhook deletions = %d (of %d requests), want 1", len(deleted), gh.Count()-before)
	}
	wantError(t, w.raw(t, ts, "GET", "/api/v1/namespaces/dev/bindings/payments", ""), 404, ferry.ENOTFOUND)
	w.check(t, ts, secret, ghToken)
}

// TestProviderBindingBadInputs: url with provider, an unknown repository or provider, and a
// deploy key without a generated ssh-key credential are refused, with nothing made at the
// provider and no binding left behind.
func TestProviderBindingBadInputs(t *testing.T) {
	ts, gh := newBinderServer(t)
	w := &secretWatch{}
	post := func(body string) response {
		return w.raw(t, ts, "POST", "/api/v1/namespaces/dev/bindings", body)
	}

	before := gh.Count()
	wantError(t, post(`{"name":"both","provider":"acme-gh","repository":"Hello-World","url":"https://github.com/octocat/Hello-World.git"}`),
		400, ferry.EINVALID, "not both")
	wantError(t, post(`{"name":"norepo","repository":"Hello-World"}`), 400, ferry.EINVALID, "needs provider")
	wantError(t, post(`{"name":"dk","provider":"acme-gh","repository":"Hello-World","deploy_key":true}`),
		400, ferry.EINVALID, "needs a credential")
	wantError(t, post(`{"name":"dk","provider":"acme-gh","repository":"Hello-World","credential":"gh-pat","deploy_key":true}`),
		400, ferry.EINVALID, `"gh-pat"`, "ssh-key")
	if gh.Count() != before {
		t.Errorf("refused requests called the provider %d times", gh.Count()-before)
	}

	// An unknown repository: the list is fetched and, when it is not there, refreshed once.
	wantError(t, post(`{"name":"missing","provider":"acme-gh","repository":"no-such-repo"}`), 404, ferry.ENOTFOUND, `"no-such-repo"`)
	wantError(t, post(`{"name":"missing","provider":"nope","repository":"Hello-World"}`), 404, ferry.ENOTFOUND, `"nope"`)
	for _, r := range gh.Requests() {
		if r.Method != "GET" || r.Path != "/orgs/octocat/repos" {
			t.Errorf("unexpected provider request %s %s", r.Method, r.Path)
		}
	}

	items, _, err := ts.Client.ListBindings(context.Background(), "dev", ferry.Page{})
	if err != nil || len(items) != 0 {
		b, _ := json.Marshal(items)
		t.Fatalf("bindings left behind: %s, %v", b, err)
	}
	w.check(t, ts, ghToken)
}
