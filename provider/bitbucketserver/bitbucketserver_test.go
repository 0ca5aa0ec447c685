package bitbucketserver_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/provider/bitbucketserver"
	pt "github.com/ferrygit/ferry/provider/providertest"
)

const token = "BBDC-http-token-5e0f"

// connect connects to a server at /bitbucket, as a context path.
func connect(t *testing.T) *pt.Env {
	t.Helper()
	return pt.Connect(t, bitbucketserver.New, ferry.ProviderBitbucketServer, ferry.Provider{Name: "bbs", Owner: "PRJ"}, "/bitbucket",
		ferry.Credential{Name: "bbs-token", Kind: ferry.CredentialToken, Username: "jcitizen"}, ferry.CredentialSecret{Token: token})
}

// wantRepo is rest-list-project-repos.json's repository as Ferry reads it.
var wantRepo = ferry.Repository{Name: "my-repo", FullName: "PRJ/my-repo", CloneHTTPS: "http://example.com:7990/scm/prj/my-repo.git",
	CloneSSH: "ssh://git@example.com:7999/prj/my-repo.git", Private: true, WebURL: "http://example.com:7990/projects/PRJ/repos/my-repo/browse"}

func TestValidate(t *testing.T) {
	ctx := context.Background()
	env := connect(t)
	env.Server.Handle("GET /bitbucket/rest/api/1.0/users/jcitizen", pt.Reply(200, pt.Fixture(t, "rest-get-user.json")))
	env.Server.Handle("GET /bitbucket/rest/api/1.0/projects/PRJ/repos", pt.Reply(200, pt.Fixture(t, "rest-list-project-repos.json")))
	st, err := env.Client.Validate(ctx)
	if err != nil || !st.Valid || st.Login != "jcitizen" || !strings.Contains(st.Message, "can read project PRJ") {
		t.Fatalf("status = %+v, %v", st, err)
	}
	reqs := env.Server.Requests()
	pt.WantRequest(t, reqs[0], "GET", "/bitbucket/rest/api/1.0/users/jcitizen", url.Values{})
	pt.WantRequest(t, reqs[1], "GET", "/bitbucket/rest/api/1.0/projects/PRJ/repos", url.Values{"limit": {"1"}})
	env.WantAuth(t, "Authorization", "Bearer "+token)

	env.Server.Handle("GET /bitbucket/rest/api/1.0/projects/PRJ/repos", pt.Reply(404,
		[]byte(`{"errors":[{"context":null,"message":"Project PRJ does not exist.","exceptionName":"com.atlassian.bitbucket.project.NoSuchProjectException"}]}`)))
	if st, err := env.Client.Validate(ctx); err != nil || st.Valid || !strings.Contains(st.Message, "does not exist") {
		t.Errorf("unknown project: %+v, %v", st, err)
	}
	env.Server.Handle("GET /bitbucket/rest/api/1.0/users/jcitizen", pt.Reply(401,
		[]byte(`{"errors":[{"context":null,"message":"Authentication failed. Please check your credentials and try again.","exceptionName":"com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException"}]}`)))
	if st, err := env.Client.Validate(ctx); err != nil || st.Valid || !strings.Contains(st.Message, "Authentication failed") {
		t.Errorf("refused: %+v, %v", st, err)
	}
}

func TestListRepositoriesPaging(t *testing.T) {
	ctx := context.Background()
	env := connect(t)
	// The recorded page says isLastPage false without nextPageStart: Ferry goes on at
	// start + size. The next page is the recorded one marked last.
	env.Server.Handle("GET /bitbucket/rest/api/1.0/projects/PRJ/repos", func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("start") {
		case "":
			pt.Reply(200, pt.Fixture(t, "rest-list-project-repos.json"))(w, r)
		case "25":
			pt.Reply(200, pt.Edit(t, pt.Fixture(t, "rest-list-project-repos.json"), func(v any) any {
				m := v.(map[string]any)
				m["start"], m["isLastPage"], m["nextPageStart"] = 25, false, 50
				return m
			}))(w, r)
		default:
			pt.Reply(200, pt.Edit(t, pt.Fixture(t, "rest-list-project-repos.json"), func(v any) any {
				m := v.(map[string]any)
				m["start"], m["isLastPage"] = 50, true
				return m
			}))(w, r)
		}
	})
	var pages []*ferry.RepositoryPage
	for token := ""; len(pages) < 5; {
		p, err := env.Client.ListRepositories(ctx, token, "")
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, p)
		if p.Next == "" {
			break
		}
		token = p.Next
	}
	if len(pages) != 3 || pages[0].Next != "25" || pages[1].Next != "50" || pages[0].Repositories[0] != wantRepo {
		t.Fatalf("pages = %+v", pages)
	}
	reqs := env.Server.Requests()
	pt.WantRequest(t, reqs[0], "GET", "/bitbucket/rest/api/1.0/projects/PRJ/repos", url.Values{"limit": {"100"}})
	pt.WantRequest(t, reqs[2], "GET", "/bitbucket/rest/api/1.0/projects/PRJ/repos", url.Values{"limit": {"100"}, "start": {"50"}})
}

func TestRateLimit(t *testing.T) {
	env := connect(t)
	env.Server.Handle("GET /bitbucket/rest/api/1.0/projects/PRJ/repos", pt.Reply(429, nil, "Retry-After", "30"))
	want := env.Clock.Now().Add(30 * time.Second).UTC().Format(time.RFC3339)
	for i := 0; i < 3; i++ {
		_, err := env.Client.ListRepositories(context.Background(), "", "")
		pt.WantCode(t, err, ferry.EUNAVAILABLE, "bitbucket-server: ", "retry after "+want)
	}
	if env.Server.Count() != 1 {
		t.Errorf("%d requests, want 1", env.Server.Count())
	}
}

func TestCreateRepository(t *testing.T) {
	env := connect(t)
	env.Server.Handle("POST /bitbucket/rest/api/1.0/projects/PRJ/repos", pt.Reply(201, pt.Edit(t, pt.Fixture(t, "rest-list-project-repos.json"), func(v any) any {
		return v.(map[string]any)["values"].([]any)[0]
	})))
	repo, err := env.Client.CreateRepository(context.Background(), "my-repo", true)
	if err != nil || *repo != wantRepo {
		t.Fatalf("create = %+v, %v", repo, err)
	}
	pt.WantBody(t, env.Server.Last(), map[string]any{"name": "my-repo", "scmId": "git", "public": false})
}

func TestWebhookAndDeployKey(t *testing.T) {
	ctx := context.Background()
	env := connect(t)
	hooks := "/bitbucket/rest/api/1.0/projects/PRJ/repos/my-repo/webhooks"
	env.Server.Handle("POST "+hooks, pt.Reply(200, pt.Fixture(t, "rest-create-repo-webhook.json")))
	id, err := env.Client.CreateWebhook(ctx, "my-repo", "https://ferry.example.com/hooks/9", "hook-secret-8", []string{ferry.WebhookEventPush, ferry.WebhookEventPullRequest})
	if err != nil || id != "1" {
		t.Fatalf("create = %q, %v", id, err)
	}
	pt.WantBody(t, env.Server.Last(), map[string]any{"name": "Ferry", "url": "https://ferry.example.com/hooks/9", "active": true,
		"events": []string{"repo:refs_changed", "pr:opened", "pr:from_ref_updated"}, "configuration": map[string]any{"secret": "hook-secret-8"}})
	pt.WantKeysIn(t, env.Server.Last(), pt.Fixture(t, "rest-create-repo-webhook.json"))
	env.Server.Handle("DELETE "+hooks+"/1", pt.Reply(204, nil))
	if err := env.Client.DeleteWebhook(ctx, "my-repo", id); err != nil {
		t.Fatal(err)
	}

	keys := "/bitbucket/rest/keys/1.0/projects/PRJ/repos/my-repo/ssh"
	env.Server.Handle("POST "+keys, pt.Reply(201, []byte(`{"key":{"id":1,"text":"ssh-ed25519 AAAA","label":"ferry"},"repository":{"slug":"my-repo"},"permission":"REPO_WRITE"}`)))
	kid, err := env.Client.AddDeployKey(ctx, "my-repo", "ferry", "ssh-ed25519 AAAA", false)
	if err != nil || kid != "1" {
		t.Fatalf("add key = %q, %v", kid, err)
	}
	pt.WantBody(t, env.Server.Last(), map[string]any{"key": map[string]any{"text": "ssh-ed25519 AAAA", "label": "ferry"}, "permission": "REPO_WRITE"})
	if _, err := env.Client.AddDeployKey(ctx, "my-repo", "ferry", "ssh-ed25519 AAAA", true); err != nil {
		t.Fatal(err)
	}
	if perm := env.Server.Last().JSON(t)["permission"]; perm != "REPO_READ" {
		t.Errorf("read-only permission = %v", perm)
	}
	env.Server.Handle("DELETE "+keys+"/1", pt.Reply(204, nil))
	if err := env.Client.RemoveDeployKey(ctx, "my-repo", kid); err != nil {
		t.Fatal(err)
	}
	pt.WantRequest(t, env.Server.Last(), "DELETE", keys+"/1", url.Values{})
	env.WantAuth(t, "Authorization", "Bearer "+token)
}
