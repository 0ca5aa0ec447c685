package bitbucketcloud_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/provider/bitbucketcloud"
	pt "github.com/ferrygit/ferry/provider/providertest"
)

const appPassword = "ATBB-app-password-3c1e"

// basicAuth is "Basic base64(brydzewski:ATBB-app-password-3c1e)".
const basicAuth = "Basic YnJ5ZHpld3NraTpBVEJCLWFwcC1wYXNzd29yZC0zYzFl"

func connect(t *testing.T, projectKey string) *pt.Env {
	t.Helper()
	return pt.Connect(t, bitbucketcloud.New, ferry.ProviderBitbucketCloud, ferry.Provider{Name: "bb", Owner: "atlassian", ProjectKey: projectKey}, "",
		ferry.Credential{Name: "bb-app", Kind: ferry.CredentialBasic, Username: "brydzewski"}, ferry.CredentialSecret{Password: appPassword})
}

// wantRepo is rest-list-workspace-repos.json's repository as Ferry reads it: the user name
// Bitbucket puts in the https clone URL is dropped.
var wantRepo = ferry.Repository{Name: "stash-example-plugin", FullName: "atlassian/stash-example-plugin",
	CloneHTTPS: "https://bitbucket.org/atlassian/stash-example-plugin.git", CloneSSH: "git@bitbucket.org:atlassian/stash-example-plugin.git",
	DefaultBranch: "master", Private: true, WebURL: "https://bitbucket.org/atlassian/stash-example-plugin"}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name    string
		header  []string
		valid   bool
		missing []string
	}{
		{"scopes", []string{"X-OAuth-Scopes", "account, repository:write, repository:admin, webhook, pullrequest"}, true, nil},
		{"no admin", []string{"X-OAuth-Scopes", "repository, webhook"}, false, []string{"repository:admin"}},
		{"read only", []string{"X-OAuth-Scopes", "repository"}, false, []string{"repository:admin", "webhook"}},
		{"unlisted", nil, true, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := connect(t, "")
			env.Server.Handle("GET /2.0/user", pt.Reply(200, pt.Fixture(t, "rest-get-user.json"), tc.header...))
			st, err := env.Client.Validate(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if st.Valid != tc.valid || st.Login != "brydzewski" || strings.Join(st.Missing, ",") != strings.Join(tc.missing, ",") {
				t.Errorf("status = %+v", st)
			}
			pt.WantRequest(t, env.Server.Last(), "GET", "/2.0/user", url.Values{})
			env.WantAuth(t, "Authorization", basicAuth)
		})
	}
	t.Run("refused", func(t *testing.T) {
		env := connect(t, "")
		env.Server.Handle("GET /2.0/user", pt.Reply(401, []byte(`{"type":"error","error":{"message":"Invalid credentials"}}`)))
		st, err := env.Client.Validate(context.Background())
		if err != nil || st.Valid || !strings.Contains(st.Message, "Invalid credentials") {
			t.Errorf("status = %+v, %v", st, err)
		}
	})
}

func TestTokenCredentials(t *testing.T) {
	for _, tc := range []struct {
		name string
		cred ferry.Credential
		want string
	}{
		{"access token", ferry.Credential{Name: "t", Kind: ferry.CredentialToken}, "Bearer tok-1a2b"},
		{"API token with e-mail", ferry.Credential{Name: "t", Kind: ferry.CredentialToken, Username: "me@example.com"}, "Basic bWVAZXhhbXBsZS5jb206dG9rLTFhMmI="},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := pt.Connect(t, bitbucketcloud.New, ferry.ProviderBitbucketCloud, ferry.Provider{Name: "bb", Owner: "atlassian"}, "", tc.cred, ferry.CredentialSecret{Token: "tok-1a2b"})
			env.Server.Handle("GET /2.0/user", pt.Reply(200, pt.Fixture(t, "rest-get-user.json")))
			if _, err := env.Client.Validate(context.Background()); err != nil {
				t.Fatal(err)
			}
			env.WantAuth(t, "Authorization", tc.want)
		})
	}
}

func TestListRepositoriesPaging(t *testing.T) {
	ctx := context.Background()
	env := connect(t, "PROJ")
	next := env.Server.URL + "/2.0/repositories/atlassian?pagelen=100&page=2"
	// The recorded page is the last; a first page differs only by its "next".
	env.Server.Handle("GET /2.0/repositories/atlassian", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("page") == "2" {
			pt.Reply(200, pt.Fixture(t, "rest-list-workspace-repos.json"))(w, r)
			return
		}
		pt.Reply(200, pt.Edit(t, pt.Fixture(t, "rest-list-workspace-repos.json"), func(v any) any {
			v.(map[string]any)["next"] = next
			return v
		}), "ETag", `"p1"`)(w, r)
	})
	p1, err := env.Client.ListRepositories(ctx, "", "")
	if err != nil {
		t.Fatal(err)
	}
	pt.WantRequest(t, env.Server.Last(), "GET", "/2.0/repositories/atlassian", url.Values{"pagelen": {"100"}, "sort": {"slug"}, "q": {`project.key="PROJ"`}})
	if p1.Next != next || p1.ETag != `"p1"` || len(p1.Repositories) != 1 || p1.Repositories[0] != wantRepo {
		t.Fatalf("page 1 = %+v", p1)
	}
	p2, err := env.Client.ListRepositories(ctx, p1.Next, "")
	if err != nil {
		t.Fatal(err)
	}
	pt.WantRequest(t, env.Server.Last(), "GET", "/2.0/repositories/atlassian", url.Values{"pagelen": {"100"}, "page": {"2"}})
	if p2.Next != "" || len(p2.Repositories) != 1 {
		t.Errorf("page 2 = %+v", p2)
	}
	env.WantAuth(t, "Authorization", basicAuth)
}

func TestRateLimit(t *testing.T) {
	env := connect(t, "")
	env.Server.Handle("GET /2.0/repositories/atlassian", pt.Reply(429, []byte(`{"type":"error","error":{"message":"Rate limit for this resource has been exceeded"}}`), "Retry-After", "120"))
	want := env.Clock.Now().Add(2 * time.Minute).UTC().Format(time.RFC3339)
	for i := 0; i < 3; i++ {
		_, err := env.Client.ListRepositories(context.Background(), "", "")
		pt.WantCode(t, err, ferry.EUNAVAILABLE, "bitbucket-cloud: ", "retry after "+want)
	}
	if env.Server.Count() != 1 {
		t.Errorf("%d requests, want 1", env.Server.Count())
	}
}

func TestCreateRepository(t *testing.T) {
	env := connect(t, "PROJ")
	// No recorded answer exists; the repository object is the one the list records.
	env.Server.Handle("POST /2.0/repositories/atlassian/stash-example-plugin", pt.Reply(200, pt.Edit(t, pt.Fixture(t, "rest-list-workspace-repos.json"), func(v any) any {
		return v.(map[string]any)["values"].([]any)[0]
	})))
	repo, err := env.Client.CreateRepository(context.Background(), "Stash-Example-Plugin", true)
	if err != nil {
		t.Fatal(err)
	}
	pt.WantBody(t, env.Server.Last(), map[string]any{"scm": "git", "name": "Stash-Example-Plugin", "is_private": true, "project": map[string]any{"key": "PROJ"}})
	if *repo != wantRepo {
		t.Errorf("repository = %+v", repo)
	}
}

func TestWebhookAndDeployKey(t *testing.T) {
	ctx := context.Background()
	env := connect(t, "")
	repo := "/2.0/repositories/atlassian/stash-example-plugin"
	env.Server.Handle("POST "+repo+"/hooks", pt.Reply(201, pt.Fixture(t, "rest-create-repo-hook.json")))
	id, err := env.Client.CreateWebhook(ctx, "stash-example-plugin", "https://ferry.example.com/hooks/3", "hook-secret-7",
		[]string{ferry.WebhookEventPush, ferry.WebhookEventPullRequest})
	if err != nil || id != "{d53603cc-3f67-45ea-b310-aaa5ef6ec061}" {
		t.Fatalf("create = %q, %v", id, err)
	}
	pt.WantBody(t, env.Server.Last(), map[string]any{"description": "Ferry", "url": "https://ferry.example.com/hooks/3", "active": true,
		"events": []string{"repo:push", "pullrequest:created", "pullrequest:updated"}, "secret": "hook-secret-7"})
	pt.WantKeysIn(t, env.Server.Last(), pt.Fixture(t, "rest-create-repo-hook.json"), "secret")

	hookPath := repo + "/hooks/%7Bd53603cc-3f67-45ea-b310-aaa5ef6ec061%7D"
	env.Server.Handle("DELETE "+hookPath, pt.Reply(204, nil))
	if err := env.Client.DeleteWebhook(ctx, "stash-example-plugin", id); err != nil {
		t.Fatal(err)
	}
	pt.WantRequest(t, env.Server.Last(), "DELETE", hookPath, url.Values{})

	env.Server.Handle("POST "+repo+"/deploy-keys", pt.Reply(200, []byte(`{"id":123,"key":"ssh-ed25519 AAAA","label":"ferry","type":"deploy_key"}`)))
	kid, err := env.Client.AddDeployKey(ctx, "stash-example-plugin", "ferry", "ssh-ed25519 AAAA", true)
	if err != nil || kid != "123" {
		t.Fatalf("add key = %q, %v", kid, err)
	}
	pt.WantBody(t, env.Server.Last(), map[string]any{"key": "ssh-ed25519 AAAA", "label": "ferry"})
	env.Server.Handle("DELETE "+repo+"/deploy-keys/123", pt.Reply(204, nil))
	if err := env.Client.RemoveDeployKey(ctx, "stash-example-plugin", kid); err != nil {
		t.Fatal(err)
	}
	n := env.Server.Count()
	_, err = env.Client.AddDeployKey(ctx, "stash-example-plugin", "ferry", "ssh-ed25519 AAAA", false)
	pt.WantCode(t, err, ferry.EINVALID, "bitbucket-cloud: ", "read-only")
	if env.Server.Count() != n {
		t.Error("a request was made for a write key")
	}
	env.WantAuth(t, "Authorization", basicAuth)
}
