package github_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/provider"
	"github.com/ferrygit/ferry/provider/github"
	pt "github.com/ferrygit/ferry/provider/providertest"
)

const patToken = "ghp_test_token_4b1d0c9e"

var (
	pat       = ferry.Credential{Name: "gh-pat", Kind: ferry.CredentialToken}
	patSecret = ferry.CredentialSecret{Token: patToken}
)

func connect(t *testing.T, cred ferry.Credential, secret ferry.CredentialSecret) *pt.Env {
	t.Helper()
	return pt.Connect(t, github.New, ferry.ProviderGitHub, ferry.Provider{Name: "acme-gh", Owner: "octocat"}, "", cred, secret)
}

// wantRepo is rest-list-org-repos.json's repository as Ferry reads it.
var wantRepo = ferry.Repository{Name: "Hello-World", FullName: "octocat/Hello-World", CloneHTTPS: "https://github.com/octocat/Hello-World.git",
	CloneSSH: "git@github.com:octocat/Hello-World.git", DefaultBranch: "master", Private: false, WebURL: "https://github.com/octocat/Hello-World"}

func TestValidate(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		header  []string // the answer's headers
		status  int
		body    string // "" for rest-get-user.json
		valid   bool
		missing []string
		message string
	}{
		{"scopes", []string{"X-OAuth-Scopes", "repo, admin:repo_hook, read:org"}, 200, "", true, nil, "has the scopes"},
		{"missing hook scope", []string{"X-OAuth-Scopes", "repo, read:org"}, 200, "", false, []string{"admin:repo_hook"}, "lacks the scopes admin:repo_hook"},
		{"lesser scopes", []string{"X-OAuth-Scopes", "public_repo, write:repo_hook"}, 200, "", false, []string{"repo", "admin:repo_hook"}, "repo, admin:repo_hook"},
		{"no scopes", []string{"X-OAuth-Scopes", ""}, 200, "", false, []string{"repo", "admin:repo_hook"}, "lacks"},
		{"fine-grained", nil, 200, "", true, nil, "fine-grained"},
		{"refused", nil, 401, `{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest"}`, false, nil, "refused the credential"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := connect(t, pat, patSecret)
			body := []byte(tc.body)
			if tc.body == "" {
				body = pt.Fixture(t, "rest-get-user.json")
			}
			env.Server.Handle("GET /user", pt.Reply(tc.status, body, tc.header...))
			st, err := env.Client.Validate(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if st.Valid != tc.valid || strings.Join(st.Missing, ",") != strings.Join(tc.missing, ",") || !strings.Contains(st.Message, tc.message) {
				t.Errorf("status = %+v, want valid %t, missing %v, message with %q", st, tc.valid, tc.missing, tc.message)
			}
			if tc.status == 200 && st.Login != "octocat" {
				t.Errorf("login = %q", st.Login)
			}
			if strings.Contains(st.Message, patToken) {
				t.Errorf("the message shows the token: %s", st.Message)
			}
			pt.WantRequest(t, env.Server.Last(), "GET", "/user", url.Values{})
			env.WantAuth(t, "Authorization", "Bearer "+patToken)
			env.WantAuth(t, "Accept", "application/vnd.github+json")
			env.WantAuth(t, "X-GitHub-Api-Version", github.APIVersion)
		})
	}
}

func TestValidateBasic(t *testing.T) {
	env := connect(t, ferry.Credential{Name: "gh-basic", Kind: ferry.CredentialBasic, Username: "octocat"}, ferry.CredentialSecret{Password: "pw-9"})
	env.Server.Handle("GET /user", pt.Reply(200, pt.Fixture(t, "rest-get-user.json"), "X-OAuth-Scopes", "repo, admin:repo_hook"))
	if st, err := env.Client.Validate(context.Background()); err != nil || !st.Valid {
		t.Fatalf("validate = %+v, %v", st, err)
	}
	env.WantAuth(t, "Authorization", "Basic b2N0b2NhdDpwdy05") // octocat:pw-9
}

func TestListRepositoriesPaging(t *testing.T) {
	ctx := context.Background()
	env := connect(t, pat, patSecret)
	page2 := env.Server.URL + "/organizations/1/repos?page=2&per_page=100"
	env.Server.Handle("GET /orgs/octocat/repos", pt.Reply(200, pt.Fixture(t, "rest-list-org-repos.json"),
		"ETag", `W/"page-1"`, "Link", "<"+page2+`>; rel="next", <`+env.Server.URL+`/organizations/1/repos?page=2&per_page=100>; rel="last"`))
	env.Server.Handle("GET /organizations/1/repos", pt.Reply(200, pt.Fixture(t, "rest-list-org-repos.json"), "ETag", `W/"page-2"`,
		"Link", "<"+env.Server.URL+`/organizations/1/repos?page=1&per_page=100>; rel="prev", <`+env.Server.URL+`/organizations/1/repos?page=1&per_page=100>; rel="first"`))

	p1, err := env.Client.ListRepositories(ctx, "", "")
	if err != nil {
		t.Fatal(err)
	}
	pt.WantRequest(t, env.Server.Last(), "GET", "/orgs/octocat/repos", url.Values{"per_page": {"100"}, "type": {"all"}})
	if p1.Next != page2 || p1.ETag != `W/"page-1"` || p1.NotModified || len(p1.Repositories) != 1 || p1.Repositories[0] != wantRepo {
		t.Fatalf("page 1 = %+v", p1)
	}
	p2, err := env.Client.ListRepositories(ctx, p1.Next, "")
	if err != nil {
		t.Fatal(err)
	}
	pt.WantRequest(t, env.Server.Last(), "GET", "/organizations/1/repos", url.Values{"page": {"2"}, "per_page": {"100"}})
	if p2.Next != "" || p2.ETag != `W/"page-2"` || len(p2.Repositories) != 1 {
		t.Fatalf("page 2 = %+v", p2)
	}
	env.WantAuth(t, "Authorization", "Bearer "+patToken)

	// A next link to another server is not followed with the token.
	n := env.Server.Count()
	_, err = env.Client.ListRepositories(ctx, "https://evil.example.com/organizations/1/repos?page=3", "")
	pt.WantCode(t, err, ferry.EUNAVAILABLE, "github: ", "another server")
	if env.Server.Count() != n {
		t.Error("a request was made")
	}
}

func TestConditionalRequest(t *testing.T) {
	env := connect(t, pat, patSecret)
	env.Server.Handle("GET /orgs/octocat/repos", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `W/"v1"` {
			w.Header().Set("ETag", `W/"v1"`)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		pt.Reply(200, pt.Fixture(t, "rest-list-org-repos.json"), "ETag", `W/"v1"`)(w, r)
	})
	page, err := env.Client.ListRepositories(context.Background(), "", `W/"v1"`)
	if err != nil {
		t.Fatal(err)
	}
	if !page.NotModified || len(page.Repositories) != 0 || page.Next != "" {
		t.Errorf("page = %+v, want not modified", page)
	}
	if got := env.Server.Last().Header.Get("If-None-Match"); got != `W/"v1"` {
		t.Errorf("If-None-Match = %q", got)
	}
}

func TestRateLimit(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		status int
		header func(now time.Time) []string
		until  time.Duration
	}{
		{"primary 403", 403, func(now time.Time) []string {
			return []string{"X-RateLimit-Limit", "5000", "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", itoa(now.Add(2 * time.Minute).Unix())}
		}, 2 * time.Minute},
		{"secondary 403", 403, func(time.Time) []string { return []string{"Retry-After", "60"} }, time.Minute},
		{"429", 429, func(now time.Time) []string {
			return []string{"X-RateLimit-Remaining", "0", "X-RateLimit-Reset", itoa(now.Add(90 * time.Second).Unix())}
		}, 90 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := connect(t, pat, patSecret)
			now := env.Clock.Now()
			env.Server.Handle("GET /orgs/octocat/repos", pt.Reply(tc.status,
				[]byte(`{"message":"API rate limit exceeded for user ID 1.","documentation_url":"https://docs.github.com/rest/rate-limit"}`), tc.header(now)...))
			retry := now.Add(tc.until).UTC().Format(time.RFC3339)
			for i := 0; i < 5; i++ {
				_, err := env.Client.ListRepositories(ctx, "", "")
				pt.WantCode(t, err, ferry.EUNAVAILABLE, "github: ", "rate limit", "retry after "+retry)
			}
			if n := env.Server.Count(); n != 1 {
				t.Errorf("%d requests made, want 1: no call until the reset", n)
			}
			env.Clock.Advance(tc.until + time.Second)
			env.Server.Handle("GET /orgs/octocat/repos", pt.Reply(200, pt.Fixture(t, "rest-list-org-repos.json")))
			if _, err := env.Client.ListRepositories(ctx, "", ""); err != nil {
				t.Fatalf("after the reset: %v", err)
			}
		})
	}
}

func TestForbiddenIsNotRateLimit(t *testing.T) {
	env := connect(t, pat, patSecret)
	env.Server.Handle("GET /orgs/octocat/repos", pt.Reply(403, []byte(`{"message":"Resource not accessible by personal access token"}`),
		"X-RateLimit-Remaining", "4999"))
	for i := 0; i < 2; i++ {
		_, err := env.Client.ListRepositories(context.Background(), "", "")
		pt.WantCode(t, err, ferry.EFORBIDDEN, "github: ", "Resource not accessible")
	}
	if env.Server.Count() != 2 {
		t.Errorf("requests = %d, want 2", env.Server.Count())
	}
}

func TestCreateRepository(t *testing.T) {
	env := connect(t, pat, patSecret)
	env.Server.Handle("POST /orgs/octocat/repos", pt.Reply(201, pt.Fixture(t, "rest-create-repo.json")))
	repo, err := env.Client.CreateRepository(context.Background(), "payments-config", true)
	if err != nil {
		t.Fatal(err)
	}
	r := env.Server.Last()
	pt.WantRequest(t, r, "POST", "/orgs/octocat/repos", url.Values{})
	pt.WantBody(t, r, map[string]any{"name": "payments-config", "private": true})
	pt.WantKeysIn(t, r, pt.Fixture(t, "rest-create-org-repo.request.json"))
	if r.Header.Get("Content-Type") != "application/json" {
		t.Errorf("Content-Type = %q", r.Header.Get("Content-Type"))
	}
	if *repo != wantRepo { // the recorded answer is Hello-World's
		t.Errorf("repository = %+v", repo)
	}
	env.WantAuth(t, "Authorization", "Bearer "+patToken)
}

func TestWebhook(t *testing.T) {
	ctx := context.Background()
	env := connect(t, pat, patSecret)
	env.Server.Handle("POST /repos/octocat/Hello-World/hooks", pt.Reply(201, pt.Fixture(t, "rest-create-repo-webhook.json")))
	id, err := env.Client.CreateWebhook(ctx, "Hello-World", "https://ferry.example.com/hooks/42", "hook-secret-5",
		[]string{ferry.WebhookEventPush, ferry.WebhookEventPullRequest})
	if err != nil || id != "12345678" {
		t.Fatalf("create = %q, %v", id, err)
	}
	r := env.Server.Last()
	pt.WantRequest(t, r, "POST", "/repos/octocat/Hello-World/hooks", url.Values{})
	pt.WantBody(t, r, map[string]any{"name": "web", "active": true, "events": []string{"push", "pull_request"},
		"config": map[string]any{"url": "https://ferry.example.com/hooks/42", "content_type": "json", "insecure_ssl": "0", "secret": "hook-secret-5"}})
	pt.WantKeysIn(t, r, pt.Fixture(t, "rest-create-repo-webhook.request.json"), "config.secret")

	env.Server.Handle("DELETE /repos/octocat/Hello-World/hooks/12345678", pt.Reply(204, nil))
	if err := env.Client.DeleteWebhook(ctx, "Hello-World", id); err != nil {
		t.Fatal(err)
	}
	pt.WantRequest(t, env.Server.Last(), "DELETE", "/repos/octocat/Hello-World/hooks/12345678", url.Values{})
	env.Server.Handle("DELETE /repos/octocat/Hello-World/hooks/12345678", pt.Reply(404, []byte(`{"message":"Not Found"}`)))
	if err := env.Client.DeleteWebhook(ctx, "Hello-World", id); err != nil {
		t.Errorf("deleting a hook that is gone: %v", err)
	}

	n := env.Server.Count()
	_, err = env.Client.CreateWebhook(ctx, "Hello-World", "https://ferry.example.com/hooks/42", "s", []string{"issues"})
	pt.WantCode(t, err, ferry.EINVALID, "github: ", `"issues"`)
	if env.Server.Count() != n {
		t.Error("a request was made for an unknown event")
	}
	env.WantAuth(t, "Authorization", "Bearer "+patToken)
}

func TestDeployKey(t *testing.T) {
	ctx := context.Background()
	env := connect(t, pat, patSecret)
	// No recorded answer exists; the documented one carries the key's id.
	env.Server.Handle("POST /repos/octocat/Hello-World/keys", pt.Reply(201, []byte(`{"id":1,"key":"ssh-ed25519 AAAA","title":"ferry","read_only":true}`)))
	id, err := env.Client.AddDeployKey(ctx, "Hello-World", "ferry dev/payments", "ssh-ed25519 AAAAC3Nza ferry", true)
	if err != nil || id != "1" {
		t.Fatalf("add = %q, %v", id, err)
	}
	pt.WantBody(t, env.Server.Last(), map[string]any{"title": "ferry dev/payments", "key": "ssh-ed25519 AAAAC3Nza ferry", "read_only": true})
	env.Server.Handle("DELETE /repos/octocat/Hello-World/keys/1", pt.Reply(204, nil))
	if err := env.Client.RemoveDeployKey(ctx, "Hello-World", id); err != nil {
		t.Fatal(err)
	}
	pt.WantRequest(t, env.Server.Last(), "DELETE", "/repos/octocat/Hello-World/keys/1", url.Values{})
}

func TestUnsupportedCredential(t *testing.T) {
	cfg := &provider.Config{Provider: &ferry.Provider{Name: "x", Kind: ferry.ProviderGitHub, Owner: "o"},
		Credential: &ferry.Credential{Name: "k", Kind: ferry.CredentialSSHKey}, Secret: &ferry.CredentialSecret{PrivateKey: []byte("k")},
		API: &provider.API{Kind: ferry.ProviderGitHub, Header: http.Header{}}}
	_, err := github.New(cfg)
	pt.WantCode(t, err, ferry.EINVALID, "github: ", `credential "k" is a ssh-key credential; a github provider takes a token, basic or github-app credential`)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
