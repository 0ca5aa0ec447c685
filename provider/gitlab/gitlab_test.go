package gitlab_test

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
	"github.com/ferrygit/ferry/provider/gitlab"
	pt "github.com/ferrygit/ferry/provider/providertest"
)

const token = "glpat-test-token-77a1"

func connect(t *testing.T, owner string) *pt.Env {
	t.Helper()
	return pt.Connect(t, gitlab.New, ferry.ProviderGitLab, ferry.Provider{Name: "acme-gl", Owner: owner}, "",
		ferry.Credential{Name: "gl", Kind: ferry.CredentialToken}, ferry.CredentialSecret{Token: token})
}

// wantRepo is rest-list-projects.json's project as Ferry reads it.
var wantRepo = ferry.Repository{Name: "diaspora", FullName: "diaspora/diaspora", CloneHTTPS: "https://gitlab.com/diaspora/diaspora.git",
	CloneSSH: "git@gitlab.com:diaspora/diaspora.git", DefaultBranch: "master", Private: false, WebURL: "https://gitlab.com/diaspora/diaspora"}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name    string
		self    func(env *pt.Env)
		valid   bool
		missing []string
		message string
	}{
		{"api scope", func(env *pt.Env) {
			env.Server.Handle("GET /api/v4/personal_access_tokens/self", pt.Reply(200, []byte(`{"id":4,"name":"ferry","revoked":false,"scopes":["api","read_user"],"user_id":1,"active":true}`)))
		}, true, nil, "has the scope"},
		{"read scopes only", func(env *pt.Env) {
			env.Server.Handle("GET /api/v4/personal_access_tokens/self", pt.Reply(200, []byte(`{"id":4,"name":"ferry","revoked":false,"scopes":["read_api","read_repository"],"user_id":1,"active":true}`)))
		}, false, []string{"api"}, "lacks the scope api"},
		{"old gitlab", func(env *pt.Env) {
			env.Server.Handle("GET /api/v4/personal_access_tokens/self", pt.Reply(404, []byte(`{"message":"404 Not Found"}`)))
		}, true, nil, "does not show the token's scopes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := connect(t, "diaspora")
			env.Server.Handle("GET /api/v4/user", pt.Reply(200, pt.Fixture(t, "rest-get-user.json")))
			tc.self(env)
			st, err := env.Client.Validate(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if st.Valid != tc.valid || st.Login != "john_smith" || strings.Join(st.Missing, ",") != strings.Join(tc.missing, ",") || !strings.Contains(st.Message, tc.message) {
				t.Errorf("status = %+v", st)
			}
			env.WantAuth(t, "PRIVATE-TOKEN", token)
		})
	}
	t.Run("refused", func(t *testing.T) {
		env := connect(t, "diaspora")
		env.Server.Handle("GET /api/v4/user", pt.Reply(401, []byte(`{"message":"401 Unauthorized"}`)))
		st, err := env.Client.Validate(context.Background())
		if err != nil || st.Valid || !strings.Contains(st.Message, "gitlab: the provider refused the credential") || env.Server.Count() != 1 {
			t.Errorf("status = %+v, %v", st, err)
		}
	})
}

func TestListRepositoriesPaging(t *testing.T) {
	ctx := context.Background()
	env := connect(t, "acme/platform")
	route := "GET /api/v4/groups/acme%2Fplatform/projects"
	env.Server.Handle(route, pt.Reply(200, pt.Fixture(t, "rest-list-projects.json"), "X-Next-Page", "2", "X-Page", "1", "ETag", `W/"p1"`))
	p1, err := env.Client.ListRepositories(ctx, "", "")
	if err != nil {
		t.Fatal(err)
	}
	query := url.Values{"include_subgroups": {"true"}, "per_page": {"100"}, "order_by": {"path"}, "sort": {"asc"}}
	pt.WantRequest(t, env.Server.Last(), "GET", "/api/v4/groups/acme%2Fplatform/projects", query)
	if p1.Next != "2" || p1.ETag != `W/"p1"` || len(p1.Repositories) != 1 || p1.Repositories[0] != wantRepo {
		t.Fatalf("page 1 = %+v", p1)
	}
	env.Server.Handle(route, pt.Reply(200, pt.Fixture(t, "rest-list-projects.json"), "X-Next-Page", "", "X-Page", "2"))
	p2, err := env.Client.ListRepositories(ctx, p1.Next, `W/"p2"`)
	if err != nil {
		t.Fatal(err)
	}
	query.Set("page", "2")
	r := env.Server.Last()
	pt.WantRequest(t, r, "GET", "/api/v4/groups/acme%2Fplatform/projects", query)
	if r.Header.Get("If-None-Match") != `W/"p2"` || p2.Next != "" {
		t.Errorf("page 2 = %+v, If-None-Match %q", p2, r.Header.Get("If-None-Match"))
	}
	env.Server.Handle(route, pt.Reply(304, nil, "ETag", `W/"p1"`))
	if p, err := env.Client.ListRepositories(ctx, "", `W/"p1"`); err != nil || !p.NotModified {
		t.Errorf("conditional = %+v, %v", p, err)
	}
	env.WantAuth(t, "PRIVATE-TOKEN", token)
}

func TestRateLimit(t *testing.T) {
	env := connect(t, "diaspora")
	reset := env.Clock.Now().Add(45 * time.Second)
	env.Server.Handle("GET /api/v4/groups/diaspora/projects", pt.Reply(429, []byte(`{"message":"Retry later"}`),
		"RateLimit-Limit", "600", "RateLimit-Remaining", "0", "RateLimit-Reset", itoa(reset.Unix())))
	for i := 0; i < 3; i++ {
		_, err := env.Client.ListRepositories(context.Background(), "", "")
		pt.WantCode(t, err, ferry.EUNAVAILABLE, "gitlab: ", "retry after "+reset.UTC().Format(time.RFC3339))
	}
	if env.Server.Count() != 1 {
		t.Errorf("%d requests, want 1", env.Server.Count())
	}
}

func TestCreateRepository(t *testing.T) {
	env := connect(t, "diaspora")
	// No recorded answers exist for these two; the documented shapes are used.
	env.Server.Handle("GET /api/v4/namespaces/diaspora", pt.Reply(200, []byte(`{"id":120836,"name":"diaspora","path":"diaspora","kind":"group","full_path":"diaspora"}`)))
	env.Server.Handle("POST /api/v4/projects", pt.Reply(201, pt.Edit(t, pt.Fixture(t, "rest-list-projects.json"), func(v any) any { return v.([]any)[0] })))
	repo, err := env.Client.CreateRepository(context.Background(), "diaspora", true)
	if err != nil {
		t.Fatal(err)
	}
	pt.WantBody(t, env.Server.Last(), map[string]any{"name": "diaspora", "path": "diaspora", "namespace_id": 120836, "visibility": "private"})
	if *repo != wantRepo {
		t.Errorf("repository = %+v", repo)
	}
}

func TestWebhookAndDeployKey(t *testing.T) {
	ctx := context.Background()
	env := connect(t, "diaspora")
	project := "/api/v4/projects/diaspora%2Fdiaspora"
	env.Server.Handle("POST "+project+"/hooks", pt.Reply(201, pt.Fixture(t, "rest-get-project-hook.json")))
	id, err := env.Client.CreateWebhook(ctx, "diaspora", "https://ferry.example.com/hooks/7", "hook-secret-6", nil)
	if err != nil || id != "1" {
		t.Fatalf("create = %q, %v", id, err)
	}
	pt.WantBody(t, env.Server.Last(), map[string]any{"url": "https://ferry.example.com/hooks/7", "token": "hook-secret-6",
		"enable_ssl_verification": true, "push_events": true, "tag_push_events": true, "merge_requests_events": false})
	// The fields sent are those of the recorded hook object.
	pt.WantKeysIn(t, env.Server.Last(), pt.Fixture(t, "rest-get-project-hook.json"), "token")
	if _, err := env.Client.CreateWebhook(ctx, "diaspora", "https://ferry.example.com/hooks/7", "s", []string{ferry.WebhookEventPullRequest}); err != nil {
		t.Fatal(err)
	}
	if b := env.Server.Last().JSON(t); b["push_events"] != false || b["merge_requests_events"] != true {
		t.Errorf("pull request hook = %v", b)
	}
	env.Server.Handle("DELETE "+project+"/hooks/1", pt.Reply(204, nil))
	if err := env.Client.DeleteWebhook(ctx, "diaspora", "1"); err != nil {
		t.Fatal(err)
	}
	pt.WantRequest(t, env.Server.Last(), "DELETE", project+"/hooks/1", url.Values{})

	env.Server.Handle("POST "+project+"/deploy_keys", pt.Reply(201, []byte(`{"id":12,"title":"ferry","key":"ssh-ed25519 AAAA","can_push":true}`)))
	kid, err := env.Client.AddDeployKey(ctx, "diaspora", "ferry", "ssh-ed25519 AAAA", false)
	if err != nil || kid != "12" {
		t.Fatalf("add key = %q, %v", kid, err)
	}
	pt.WantBody(t, env.Server.Last(), map[string]any{"title": "ferry", "key": "ssh-ed25519 AAAA", "can_push": true})
	env.Server.Handle("DELETE "+project+"/deploy_keys/12", pt.Reply(404, []byte(`{"message":"404 Deploy Key Not Found"}`)))
	if err := env.Client.RemoveDeployKey(ctx, "diaspora", kid); err != nil {
		t.Errorf("removing a key that is gone: %v", err)
	}
	env.WantAuth(t, "PRIVATE-TOKEN", token)
}

func TestNumericGroup(t *testing.T) {
	env := connect(t, "120836")
	env.Server.Handle("GET /api/v4/namespaces/120836", pt.Reply(200, []byte(`{"id":120836,"name":"diaspora","path":"diaspora","kind":"group","full_path":"diaspora"}`)))
	env.Server.Handle("DELETE /api/v4/projects/diaspora%2Fdiaspora/hooks/1", pt.Reply(204, nil))
	if err := env.Client.DeleteWebhook(context.Background(), "diaspora", "1"); err != nil {
		t.Fatal(err)
	}
}

func TestBasicCredentialRefused(t *testing.T) {
	cfg := &provider.Config{Provider: &ferry.Provider{Name: "x", Kind: ferry.ProviderGitLab, Owner: "o"},
		Credential: &ferry.Credential{Name: "b", Kind: ferry.CredentialBasic, Username: "u"}, Secret: &ferry.CredentialSecret{Password: "p"},
		API: &provider.API{Kind: ferry.ProviderGitLab, Header: http.Header{}}}
	_, err := gitlab.New(cfg)
	pt.WantCode(t, err, ferry.EINVALID, "gitlab: ", "takes a token credential")
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
