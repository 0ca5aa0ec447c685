package http_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ferrygit/ferry"
	fhttp "github.com/ferrygit/ferry/http"
	"github.com/ferrygit/ferry/provider"
	"github.com/ferrygit/ferry/provider/github"
	"github.com/ferrygit/ferry/provider/gitlab"
	pt "github.com/ferrygit/ferry/provider/providertest"
	"github.com/ferrygit/ferry/sqlstore"
)

// ghToken is the personal access token the provider tests store; it must never show.
const ghToken = "ghp_http_test_secret_8f3a2b"

// newProviderServer is a test server with provider connections under policy.
func newProviderServer(t *testing.T, policy ferry.URLPolicy) *testServer {
	t.Helper()
	return newTestServer(t, func(s *fhttp.Server) {
		db := s.Namespaces.(*sqlstore.DB)
		reg := provider.NewRegistry(provider.RegistryConfig{Credentials: db, Policy: policy, Logger: s.Logger},
			map[string]provider.Constructor{ferry.ProviderGitHub: github.New, ferry.ProviderGitLab: gitlab.New})
		s.Providers = &provider.Service{Store: db, Registry: reg, Logger: s.Logger}
	})
}

// ghFixture returns a recorded GitHub answer.
func ghFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "provider", "github", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// secretWatch collects every answer and the logs, to check that no secret shows.
type secretWatch struct {
	shown []string
}

func (w *secretWatch) raw(t *testing.T, ts *testServer, method, path string, body string) response {
	t.Helper()
	r := ts.raw(t, method, path, []byte(body))
	w.shown = append(w.shown, string(r.Body))
	for _, vs := range r.Header {
		w.shown = append(w.shown, strings.Join(vs, " "))
	}
	return r
}

func (w *secretWatch) check(t *testing.T, ts *testServer, secrets ...string) {
	t.Helper()
	all := strings.Join(append(w.shown, ts.logs.String()), "\n")
	for _, s := range secrets {
		if strings.Contains(all, s) {
			t.Errorf("secret %q was shown in an answer or the log", s)
		}
	}
}

func TestProviderFlow(t *testing.T) {
	ctx := context.Background()
	ts := newProviderServer(t, pt.Policy)
	gh := pt.NewServer(t)
	w := &secretWatch{}
	if _, err := ts.Client.CreateCredential(ctx, fhttp.CredentialRequest{Name: "gh-pat", Kind: "token", Token: ghToken}); err != nil {
		t.Fatal(err)
	}

	resp := w.raw(t, ts, "POST", "/api/v1/providers", `{"name":"acme-gh","kind":"github","base_url":"`+gh.URL+`","owner":"octocat","credential":"gh-pat"}`)
	if resp.Status != 201 || resp.Header.Get("Location") != "/api/v1/providers/acme-gh" {
		t.Fatalf("create = %d %s", resp.Status, resp.Body)
	}
	var p ferry.Provider
	decode(t, resp, &p)
	if p.Name != "acme-gh" || p.Kind != "github" || p.BaseURL != gh.URL || p.Status.Valid || p.Status.CheckedAt != nil {
		t.Fatalf("created %+v", p)
	}
	if gh.Count() != 0 {
		t.Error("creating a provider called it")
	}
	wantError(t, w.raw(t, ts, "POST", "/api/v1/providers", `{"name":"acme-gh","kind":"github","base_url":"`+gh.URL+`","owner":"o","credential":"gh-pat"}`),
		409, ferry.ECONFLICT, "exists already")

	// Validate: a missing scope is named, then the green tick.
	gh.Handle("GET /user", pt.Reply(200, ghFixture(t, "rest-get-user.json"), "X-OAuth-Scopes", "repo, read:org"))
	resp = w.raw(t, ts, "POST", "/api/v1/providers/acme-gh/validate", "")
	decode(t, resp, &p)
	if resp.Status != 200 || p.Status.Valid || strings.Join(p.Status.Missing, ",") != "admin:repo_hook" || p.Status.CheckedAt == nil ||
		!strings.Contains(p.Status.Message, "admin:repo_hook") {
		t.Fatalf("validate = %d %s", resp.Status, resp.Body)
	}
	gh.Handle("GET /user", pt.Reply(200, ghFixture(t, "rest-get-user.json"), "X-OAuth-Scopes", "repo, admin:repo_hook"))
	vp, err := ts.Client.ValidateProvider(ctx, "acme-gh")
	if err != nil || !vp.Status.Valid || vp.Status.Login != "octocat" || len(vp.Status.Missing) != 0 || time.Since(*vp.Status.CheckedAt) > time.Minute {
		t.Fatalf("validate = %+v, %v", vp, err)
	}
	if got, err := ts.Client.FindProvider(ctx, "acme-gh"); err != nil || !got.Status.Valid || !got.Status.CheckedAt.Equal(*vp.Status.CheckedAt) {
		t.Fatalf("stored status = %+v, %v", got, err)
	}
	for _, r := range gh.Requests() {
		if r.Header.Get("Authorization") != "Bearer "+ghToken {
			t.Errorf("%s %s: Authorization = %q", r.Method, r.Path, r.Header.Get("Authorization"))
		}
	}

	// Repositories: fetched once, then from the cache; a refresh is conditional.
	gh.Handle("GET /orgs/octocat/repos", func(rw http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `W/"v1"` {
			rw.WriteHeader(http.StatusNotModified)
			return
		}
		pt.Reply(200, ghFixture(t, "rest-list-org-repos.json"), "ETag", `W/"v1"`)(rw, r)
	})
	before := gh.Count()
	l, err := ts.Client.ListRepositories(ctx, "acme-gh", false)
	if err != nil || len(l.Repositories) != 1 || l.Repositories[0].FullName != "octocat/Hello-World" || l.FetchedAt == nil || l.Provider != "acme-gh" {
		t.Fatalf("repositories = %+v, %v", l, err)
	}
	if l2, err := ts.Client.ListRepositories(ctx, "acme-gh", false); err != nil || len(l2.Repositories) != 1 || gh.Count() != before+1 {
		t.Fatalf("cached repositories = %+v, %v; %d calls", l2, err, gh.Count()-before)
	}
	l3, err := ts.Client.ListRepositories(ctx, "acme-gh", true)
	if err != nil || len(l3.Repositories) != 1 || l3.Repositories[0] != l.Repositories[0] || gh.Count() != before+2 {
		t.Fatalf("refreshed repositories = %+v, %v", l3, err)
	}
	if got := gh.Last().Header.Get("If-None-Match"); got != `W/"v1"` {
		t.Errorf("refresh If-None-Match = %q", got)
	}

	// Rate limited: a clear 503, no further calls, and the cache still answers.
	reset := time.Now().Add(10 * time.Minute).Unix()
	gh.Handle("GET /orgs/octocat/repos", pt.Reply(403, []byte(`{"message":"API rate limit exceeded for user ID 1."}`),
		"X-RateLimit-Remaining", "0", "X-RateLimit-Reset", strconv.FormatInt(reset, 10)))
	before = gh.Count()
	for i := 0; i < 3; i++ {
		wantError(t, w.raw(t, ts, "GET", "/api/v1/providers/acme-gh/repositories?refresh=true", ""), 503, ferry.EUNAVAILABLE,
			"github: ", "rate limit", "retry after "+time.Unix(reset, 0).UTC().Format(time.RFC3339))
	}
	if gh.Count() != before+1 {
		t.Errorf("%d calls while rate limited, want 1", gh.Count()-before)
	}
	if l4, err := ts.Client.ListRepositories(ctx, "acme-gh", false); err != nil || len(l4.Repositories) != 1 {
		t.Errorf("cache while rate limited = %+v, %v", l4, err)
	}

	// The limit holds for the credential on that host, so the repository is created through
	// a second server, whose registry has seen no limit.
	ts2 := newProviderServer(t, pt.Policy) // a fresh registry: no rate limit in force
	if _, err := ts2.Client.CreateCredential(ctx, fhttp.CredentialRequest{Name: "gh-pat", Kind: "token", Token: ghToken}); err != nil {
		t.Fatal(err)
	}
	if _, err := ts2.Client.CreateProvider(ctx, fhttp.ProviderRequest{Name: "acme-gh", Kind: "github", BaseURL: gh.URL, Owner: "octocat", Credential: "gh-pat"}); err != nil {
		t.Fatal(err)
	}
	gh.Handle("POST /orgs/octocat/repos", pt.Reply(201, ghFixture(t, "rest-create-repo.json")))
	resp = w.raw(t, ts2, "POST", "/api/v1/providers/acme-gh/repositories", `{"name":"payments-config","private":true}`)
	var repo ferry.Repository
	decode(t, resp, &repo)
	if resp.Status != 201 || repo.FullName != "octocat/Hello-World" || repo.CloneSSH != "git@github.com:octocat/Hello-World.git" {
		t.Fatalf("create repository = %d %s", resp.Status, resp.Body)
	}
	pt.WantBody(t, gh.Last(), map[string]any{"name": "payments-config", "private": true})
	wantError(t, w.raw(t, ts2, "POST", "/api/v1/providers/acme-gh/repositories", `{"name":"../etc","private":true}`), 400, ferry.EINVALID, "Repository name")
	wantError(t, w.raw(t, ts2, "POST", "/api/v1/providers/nope/repositories", `{"name":"x"}`), 404, ferry.ENOTFOUND, `"nope" does not exist`)

	// The credential is held while a provider uses it.
	wantError(t, w.raw(t, ts, "DELETE", "/api/v1/credentials/gh-pat", ""), 409, ferry.ECONFLICT, "provider acme-gh")
	items, _, err := ts.Client.ListProviders(ctx, ferry.Page{})
	if err != nil || len(items) != 1 || items[0].Name != "acme-gh" {
		t.Fatalf("list = %v, %v", items, err)
	}
	if resp := w.raw(t, ts, "DELETE", "/api/v1/providers/acme-gh", ""); resp.Status != 204 {
		t.Fatalf("delete = %d %s", resp.Status, resp.Body)
	}
	wantError(t, w.raw(t, ts, "GET", "/api/v1/providers/acme-gh", ""), 404, ferry.ENOTFOUND)
	wantError(t, w.raw(t, ts, "GET", "/api/v1/providers/acme-gh/repositories", ""), 404, ferry.ENOTFOUND)
	if err := ts.Client.DeleteCredential(ctx, "gh-pat"); err != nil {
		t.Errorf("delete the credential after its provider: %v", err)
	}
	w.check(t, ts, ghToken)
	w.check(t, ts2, ghToken)
}

func TestProviderBadInputs(t *testing.T) {
	ctx := context.Background()
	// Loopback is allowed, http:// is not.
	ts := newProviderServer(t, ferry.URLPolicy{AllowHosts: []string{"127.0.0.1"}})
	w := &secretWatch{}
	if _, err := ts.Client.CreateCredential(ctx, fhttp.CredentialRequest{Name: "gh-pat", Kind: "token", Token: ghToken}); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Client.CreateCredential(ctx, fhttp.CredentialRequest{Name: "deploy", Kind: "ssh-key", Generate: &fhttp.GenerateRequest{Algorithm: "ed25519"}}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, body string
		status     int
		code       string
		want       string
	}{
		{"unknown kind", `{"name":"p","kind":"svn","owner":"o","credential":"gh-pat"}`, 400, ferry.EINVALID, `"svn" is not one of github, gitlab`},
		{"no kind", `{"name":"p","owner":"o","credential":"gh-pat"}`, 400, ferry.EINVALID, "Kind is required"},
		{"bad name", `{"name":"Acme_GH","kind":"github","owner":"o","credential":"gh-pat"}`, 400, ferry.EINVALID, "Provider name"},
		{"http without the policy", `{"name":"p","kind":"github","base_url":"http://ghe.example.com/api/v3","owner":"o","credential":"gh-pat"}`, 400, ferry.EINVALID, "--allow-insecure-http"},
		{"metadata host", `{"name":"p","kind":"gitlab","base_url":"https://169.254.169.254","owner":"o","credential":"gh-pat"}`, 400, ferry.EINVALID, "metadata"},
		{"ftp", `{"name":"p","kind":"github","base_url":"ftp://github.com","owner":"o","credential":"gh-pat"}`, 400, ferry.EINVALID, "https://"},
		{"password in the URL", `{"name":"p","kind":"github","base_url":"https://me:hunter2pw@github.com","owner":"o","credential":"gh-pat"}`, 400, ferry.EINVALID, "credential instead"},
		{"query in the URL", `{"name":"p","kind":"github","base_url":"https://github.com/?x=1","owner":"o","credential":"gh-pat"}`, 400, ferry.EINVALID, "query"},
		{"self-hosted without URL", `{"name":"p","kind":"gitea","owner":"o","credential":"gh-pat"}`, 400, ferry.EINVALID, "needs base_url"},
		{"unknown credential", `{"name":"p","kind":"github","owner":"o","credential":"nope"}`, 404, ferry.ENOTFOUND, `Credential "nope" does not exist`},
		{"ssh key credential", `{"name":"p","kind":"github","owner":"o","credential":"deploy"}`, 400, ferry.EINVALID, "takes a token, basic or github-app credential"},
		{"no owner", `{"name":"p","kind":"github","credential":"gh-pat"}`, 400, ferry.EINVALID, "owner is required"},
		{"owner with a slash", `{"name":"p","kind":"github","owner":"a/b","credential":"gh-pat"}`, 400, ferry.EINVALID, "single name"},
		{"azure owner", `{"name":"p","kind":"azure-devops","owner":"fabrikam","credential":"gh-pat"}`, 400, ferry.EINVALID, "organization/project"},
		{"project key on github", `{"name":"p","kind":"github","owner":"o","project_key":"PRJ","credential":"gh-pat"}`, 400, ferry.EINVALID, "bitbucket-cloud"},
		{"no credential", `{"name":"p","kind":"github","owner":"o"}`, 400, ferry.EINVALID, "credential is required"},
		{"unknown field", `{"name":"p","kind":"github","owner":"o","credential":"gh-pat","token":"x"}`, 400, ferry.EINVALID, `unknown field "token"`},
		{"no client for the kind", `{"name":"p","kind":"gitea","base_url":"https://git.example.com","owner":"o","credential":"gh-pat"}`, 400, ferry.EINVALID, "no client for gitea"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, w.raw(t, ts, "POST", "/api/v1/providers", tc.body), tc.status, tc.code, tc.want)
		})
	}
	if items, _, err := ts.Client.ListProviders(ctx, ferry.Page{}); err != nil || len(items) != 0 {
		t.Errorf("a refused provider was stored: %v, %v", items, err)
	}
	wantError(t, w.raw(t, ts, "GET", "/api/v1/providers/Bad_Name", ""), 400, ferry.EINVALID, "Provider name")
	wantError(t, w.raw(t, ts, "POST", "/api/v1/providers/nope/validate", ""), 404, ferry.ENOTFOUND)
	wantError(t, w.raw(t, ts, "GET", "/api/v1/providers/nope/repositories?refresh=maybe", ""), 400, ferry.EINVALID, "true or false")
	w.check(t, ts, ghToken, "hunter2pw")

	none := newTestServer(t)
	wantError(t, none.raw(t, "GET", "/api/v1/providers", nil), 503, ferry.EUNAVAILABLE, "no provider connections")
}

// TestProviderUnreachable checks that a provider that cannot be reached keeps the status
// and says so.
func TestProviderUnreachable(t *testing.T) {
	ctx := context.Background()
	ts := newProviderServer(t, pt.Policy)
	gh := pt.NewServer(t)
	gh.Close() // nothing listens there any more
	if _, err := ts.Client.CreateCredential(ctx, fhttp.CredentialRequest{Name: "gh-pat", Kind: "token", Token: ghToken}); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Client.CreateProvider(ctx, fhttp.ProviderRequest{Name: "gone", Kind: "github", BaseURL: gh.URL, Owner: "o", Credential: "gh-pat"}); err != nil {
		t.Fatal(err)
	}
	_, err := ts.Client.ValidateProvider(ctx, "gone")
	wantCode(t, err, ferry.EUNAVAILABLE)
	if !strings.Contains(ferry.ErrorMessage(err), "github: cannot reach 127.0.0.1") {
		t.Errorf("message = %q", ferry.ErrorMessage(err))
	}
	if p, _ := ts.Client.FindProvider(ctx, "gone"); p.Status.CheckedAt != nil {
		t.Errorf("status = %+v", p.Status)
	}
}
