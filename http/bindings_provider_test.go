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
	if events, _ := body["events"].([]any); len(events) != 2 || events[0] != "push" || events[1] != "pull_request" {
		t.Errorf("webhook events = %v, want [push pull_request]", body["events"])
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

// TestProviderBindingDeployKeyMoveAndOutage: a binding with a generated SSH credential and
// deploy_key registers the public key read-only at GitHub and binds over SSH; moving it to
// another repository removes the hook and key from the old one and makes them on the new
// one (the hook keeps its secret); a key the new repository refuses is reported on the
// binding; a delete while GitHub is down keeps the binding and says why; once GitHub
// answers, the delete removes the hook there and then the binding.
func TestProviderBindingDeployKeyMoveAndOutage(t *testing.T) {
	ctx := context.Background()
	ts, gh := newBinderServer(t)
	w := &secretWatch{}
	cred, err := ts.Client.CreateCredential(ctx, fhttp.CredentialRequest{Name: "deploy", Kind: "ssh-key", Generate: &fhttp.GenerateRequest{Algorithm: "ed25519"}})
	if err != nil {
		t.Fatal(err)
	}
	gh.Handle("GET /orgs/octocat/repos", pt.Reply(200, []byte(`[
	 {"name":"Hello-World","clone_url":"https://github.com/octocat/Hello-World.git","ssh_url":"git@github.com:octocat/Hello-World.git"},
	 {"name":"Spoon-Knife","clone_url":"https://github.com/octocat/Spoon-Knife.git","ssh_url":"git@github.com:octocat/Spoon-Knife.git"}]`)))
	const hello, spoon = "/repos/octocat/Hello-World", "/repos/octocat/Spoon-Knife"
	gh.Handle("POST "+hello+"/hooks", pt.Reply(201, []byte(`{"id":11}`)))
	gh.Handle("POST "+hello+"/keys", pt.Reply(201, []byte(`{"id":21}`)))
	gh.Handle("DELETE "+hello+"/hooks/11", pt.Reply(204, nil))
	gh.Handle("DELETE "+hello+"/keys/21", pt.Reply(204, nil))
	gh.Handle("POST "+spoon+"/hooks", pt.Reply(201, []byte(`{"id":12}`)))
	gh.Handle("POST "+spoon+"/keys", pt.Reply(422, []byte(`{"message":"Validation Failed","errors":[{"message":"key is already in use"}]}`)))

	// The create answer shows the secret, once: it is not watched.
	resp := ts.raw(t, "POST", "/api/v1/namespaces/dev/bindings",
		[]byte(`{"name":"payments","provider":"acme-gh","repository":"Hello-World","credential":"deploy","deploy_key":true}`))
	if resp.Status != http.StatusCreated {
		t.Fatalf("create = %d %s", resp.Status, resp.Body)
	}
	var b fhttp.BindingResponse
	decode(t, resp, &b)
	if b.URL != "git@github.com:octocat/Hello-World.git" || b.HookID != "11" || b.DeployKeyID != "21" || b.ProviderError != "" {
		t.Fatalf("created binding = %s", resp.Body)
	}
	secret := b.Webhook.Secret
	keys := requestsTo(gh, "POST", hello+"/keys")
	if len(keys) != 1 {
		t.Fatalf("%d deploy-key creations, want 1", len(keys))
	}
	if kb := keys[0].JSON(t); kb["key"] != cred.PublicKey || kb["read_only"] != true || kb["title"] != "Ferry dev/payments" {
		t.Errorf("deploy key body = %s, want the credential's public key, read-only", keys[0].Body)
	}

	// Move: the old repository's hook and key go, the new repository gets the hook with the
	// same secret, and its refusal of the key is reported on the binding.
	resp = w.raw(t, ts, "PATCH", "/api/v1/namespaces/dev/bindings/payments", `{"repository":"Spoon-Knife"}`)
	wantError(t, resp, 400, ferry.EINVALID, "could not be made at the new repository", "github:")
	if len(requestsTo(gh, "DELETE", hello+"/hooks/11")) != 1 || len(requestsTo(gh, "DELETE", hello+"/keys/21")) != 1 {
		t.Errorf("the old repository's hook and key were not removed: %+v", gh.Requests())
	}
	if hooks := requestsTo(gh, "POST", spoon+"/hooks"); len(hooks) != 1 {
		t.Fatalf("%d hook creations on the new repository, want 1", len(hooks))
	} else if cfg, _ := hooks[0].JSON(t)["config"].(map[string]any); cfg["secret"] != secret {
		t.Errorf("the moved hook's secret changed: %s", hooks[0].Body)
	}
	var moved fhttp.BindingResponse
	decode(t, w.raw(t, ts, "GET", "/api/v1/namespaces/dev/bindings/payments", ""), &moved)
	if moved.Repository != "Spoon-Knife" || moved.URL != "git@github.com:octocat/Spoon-Knife.git" || moved.HookID != "12" || moved.DeployKeyID != "" ||
		!strings.Contains(moved.ProviderError, "answered 422") {
		t.Fatalf("moved binding = %+v", moved.Binding)
	}

	// GitHub is down: the delete answers 503, the binding stays and says why.
	gh.Handle("DELETE "+spoon+"/hooks/12", pt.Reply(502, nil))
	wantError(t, w.raw(t, ts, "DELETE", "/api/v1/namespaces/dev/bindings/payments", ""), 503, ferry.EUNAVAILABLE, "binding is kept")
	var kept fhttp.BindingResponse
	decode(t, w.raw(t, ts, "GET", "/api/v1/namespaces/dev/bindings/payments", ""), &kept)
	if kept.HookID != "12" || !strings.Contains(kept.ProviderError, "binding is kept") {
		t.Fatalf("binding after a failed delete = %+v", kept.Binding)
	}
	gh.Handle("DELETE "+spoon+"/hooks/12", pt.Reply(204, nil))
	if resp := w.raw(t, ts, "DELETE", "/api/v1/namespaces/dev/bindings/payments", ""); resp.Status != http.StatusNoContent {
		t.Fatalf("delete = %d %s", resp.Status, resp.Body)
	}
	if n := len(requestsTo(gh, "DELETE", spoon+"/hooks/12")); n != 2 {
		t.Errorf("%d hook deletions on the new repository, want 2 (one failed, one done)", n)
	}
	wantError(t, w.raw(t, ts, "GET", "/api/v1/namespaces/dev/bindings/payments", ""), 404, ferry.ENOTFOUND)
	w.check(t, ts, secret, ghToken)
}
