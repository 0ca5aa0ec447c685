package gitea_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/provider/gitea"
	pt "github.com/ferrygit/ferry/provider/providertest"
)

const token = "gitea-token-0d9e8f"

func connect(t *testing.T) *pt.Env {
	t.Helper()
	return pt.Connect(t, gitea.New, ferry.ProviderGitea, ferry.Provider{Name: "gt", Owner: "go-gitea"}, "",
		ferry.Credential{Name: "gt", Kind: ferry.CredentialToken}, ferry.CredentialSecret{Token: token})
}

// wantRepo is rest-list-user-repos.json's repository as Ferry reads it.
var wantRepo = ferry.Repository{Name: "gitea", FullName: "go-gitea/gitea", CloneHTTPS: "https://try.gitea.io/go-gitea/gitea.git",
	CloneSSH: "git@try.gitea.io:go-gitea/gitea.git", DefaultBranch: "master", Private: true, WebURL: "https://try.gitea.io/go-gitea/gitea"}

func TestValidate(t *testing.T) {
	env := connect(t)
	env.Server.Handle("GET /api/v1/user", pt.Reply(200, pt.Fixture(t, "rest-get-user.json")))
	st, err := env.Client.Validate(context.Background())
	if err != nil || !st.Valid || st.Login != "jcitizen" {
		t.Fatalf("status = %+v, %v", st, err)
	}
	pt.WantRequest(t, env.Server.Last(), "GET", "/api/v1/user", url.Values{})
	env.WantAuth(t, "Authorization", "token "+token)

	env.Server.Handle("GET /api/v1/user", pt.Reply(401, []byte(`{"message":"user does not exist [uid: 0, name: ]","url":"https://try.gitea.io/api/swagger"}`)))
	st, err = env.Client.Validate(context.Background())
	if err != nil || st.Valid || !strings.Contains(st.Message, "refused the credential") {
		t.Errorf("refused: %+v, %v", st, err)
	}
}

func TestListRepositoriesPaging(t *testing.T) {
	ctx := context.Background()
	env := connect(t)
	next := env.Server.URL + "/api/v1/orgs/go-gitea/repos?limit=50&page=2"
	// Gitea answers an organization's list (/orgs/{org}/repos) with the same objects as
	// the recorded /user/repos.
	env.Server.Handle("GET /api/v1/orgs/go-gitea/repos", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("page") == "2" {
			pt.Reply(200, pt.Fixture(t, "rest-list-user-repos.json"), "X-Total-Count", "2",
				"Link", "<"+env.Server.URL+`/api/v1/orgs/go-gitea/repos?limit=50&page=1>; rel="first",<`+env.Server.URL+`/api/v1/orgs/go-gitea/repos?limit=50&page=1>; rel="prev"`)(w, r)
			return
		}
		pt.Reply(200, pt.Fixture(t, "rest-list-user-repos.json"), "X-Total-Count", "2", "ETag", `"g1"`,
			"Link", "<"+next+`>; rel="next",<`+next+`>; rel="last"`)(w, r)
	})
	p1, err := env.Client.ListRepositories(ctx, "", "")
	if err != nil {
		t.Fatal(err)
	}
	pt.WantRequest(t, env.Server.Last(), "GET", "/api/v1/orgs/go-gitea/repos", url.Values{"limit": {"50"}})
	if p1.Next != next || p1.ETag != `"g1"` || len(p1.Repositories) != 1 || p1.Repositories[0] != wantRepo {
		t.Fatalf("page 1 = %+v", p1)
	}
	p2, err := env.Client.ListRepositories(ctx, p1.Next, "")
	if err != nil {
		t.Fatal(err)
	}
	pt.WantRequest(t, env.Server.Last(), "GET", "/api/v1/orgs/go-gitea/repos", url.Values{"limit": {"50"}, "page": {"2"}})
	if p2.Next != "" {
		t.Errorf("page 2 = %+v", p2)
	}
	env.WantAuth(t, "Authorization", "token "+token)
}

func TestRateLimit(t *testing.T) {
	env := connect(t)
	reset := env.Clock.Now().Add(5 * time.Minute)
	env.Server.Handle("GET /api/v1/orgs/go-gitea/repos", pt.Reply(429, []byte(`{"message":"rate limited"}`),
		"X-RateLimit-Remaining", "0", "X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10)))
	for i := 0; i < 3; i++ {
		_, err := env.Client.ListRepositories(context.Background(), "", "")
		pt.WantCode(t, err, ferry.EUNAVAILABLE, "gitea: ", "retry after "+reset.UTC().Format(time.RFC3339), "(in 5m0s)")
	}
	if env.Server.Count() != 1 {
		t.Errorf("%d requests, want 1", env.Server.Count())
	}
}

func TestCreateRepository(t *testing.T) {
	env := connect(t)
	env.Server.Handle("POST /api/v1/orgs/go-gitea/repos", pt.Reply(201, pt.Edit(t, pt.Fixture(t, "rest-list-user-repos.json"), func(v any) any { return v.([]any)[0] })))
	repo, err := env.Client.CreateRepository(context.Background(), "gitea", true)
	if err != nil || *repo != wantRepo {
		t.Fatalf("create = %+v, %v", repo, err)
	}
	pt.WantBody(t, env.Server.Last(), map[string]any{"name": "gitea", "private": true})
}

func TestWebhookAndDeployKey(t *testing.T) {
	ctx := context.Background()
	env := connect(t)
	env.Server.Handle("POST /api/v1/repos/go-gitea/gitea/hooks", pt.Reply(201, pt.Fixture(t, "rest-create-repo-hook.json")))
	id, err := env.Client.CreateWebhook(ctx, "gitea", "https://ferry.example.com/hooks/11", "hook-secret-10", nil)
	if err != nil || id != "20" {
		t.Fatalf("create = %q, %v", id, err)
	}
	pt.WantBody(t, env.Server.Last(), map[string]any{"type": "gitea", "active": true, "events": []string{"push"},
		"config": map[string]any{"url": "https://ferry.example.com/hooks/11", "content_type": "json", "secret": "hook-secret-10"}})
	pt.WantKeysIn(t, env.Server.Last(), pt.Fixture(t, "rest-create-repo-hook.json"), "config.secret")
	env.Server.Handle("DELETE /api/v1/repos/go-gitea/gitea/hooks/20", pt.Reply(204, nil))
	if err := env.Client.DeleteWebhook(ctx, "gitea", id); err != nil {
		t.Fatal(err)
	}

	env.Server.Handle("POST /api/v1/repos/go-gitea/gitea/keys", pt.Reply(201, []byte(`{"id":3,"key":"ssh-ed25519 AAAA","title":"ferry","read_only":false}`)))
	kid, err := env.Client.AddDeployKey(ctx, "gitea", "ferry", "ssh-ed25519 AAAA", false)
	if err != nil || kid != "3" {
		t.Fatalf("add key = %q, %v", kid, err)
	}
	pt.WantBody(t, env.Server.Last(), map[string]any{"title": "ferry", "key": "ssh-ed25519 AAAA", "read_only": false})
	env.Server.Handle("DELETE /api/v1/repos/go-gitea/gitea/keys/3", pt.Reply(204, nil))
	if err := env.Client.RemoveDeployKey(ctx, "gitea", kid); err != nil {
		t.Fatal(err)
	}
	env.WantAuth(t, "Authorization", "token "+token)
}
