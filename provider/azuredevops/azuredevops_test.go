package azuredevops_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/provider/azuredevops"
	pt "github.com/ferrygit/ferry/provider/providertest"
)

const pat = "azdo-pat-91c2e7"

// basicPAT is "Basic base64(':' + PAT)": an empty user name and the token.
const basicPAT = "Basic OmF6ZG8tcGF0LTkxYzJlNw=="

// projectID is Fabrikam-Fiber-Git's id in rest-list-projects.json.
const projectID = "6ce954b1-ce1f-45d1-b94d-e6bf2464ba2c"

var v71 = url.Values{"api-version": {"7.1"}}

func connect(t *testing.T) *pt.Env {
	t.Helper()
	env := pt.Connect(t, azuredevops.New, ferry.ProviderAzureDevOps, ferry.Provider{Name: "az", Owner: "fabrikam/Fabrikam-Fiber-Git"}, "",
		ferry.Credential{Name: "az-pat", Kind: ferry.CredentialToken}, ferry.CredentialSecret{Token: pat})
	env.Server.Handle("GET /fabrikam/_apis/projects", pt.Reply(200, pt.AzureFixture(t, "rest-list-projects.json", "200")))
	return env
}

func TestValidate(t *testing.T) {
	ctx := context.Background()
	env := connect(t)
	env.Server.Handle("GET /_apis/profile/profiles/me", pt.Reply(200, pt.AzureFixture(t, "rest-get-profile-me.json", "200")))
	st, err := env.Client.Validate(ctx)
	if err != nil || !st.Valid || st.Login != "fabrikamfiber16@hotmail.com" || !strings.Contains(st.Message, "project Fabrikam-Fiber-Git exists") {
		t.Fatalf("status = %+v, %v", st, err)
	}
	reqs := env.Server.Requests()
	pt.WantRequest(t, reqs[0], "GET", "/_apis/profile/profiles/me", v71)
	pt.WantRequest(t, reqs[1], "GET", "/fabrikam/_apis/projects", v71)
	env.WantAuth(t, "Authorization", basicPAT)

	for _, tc := range []struct {
		name   string
		answer http.HandlerFunc
		want   string
	}{
		{"sign-in page", pt.Reply(203, []byte("<html>Sign in</html>"), "Content-Type", "text/html"), "sign-in page"},
		{"refused", pt.Reply(401, nil), "refused the credential"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := connect(t)
			env.Server.Handle("GET /_apis/profile/profiles/me", tc.answer)
			st, err := env.Client.Validate(ctx)
			if err != nil || st.Valid || !strings.Contains(st.Message, tc.want) {
				t.Errorf("status = %+v, %v", st, err)
			}
		})
	}
	t.Run("unknown project", func(t *testing.T) {
		env := pt.Connect(t, azuredevops.New, ferry.ProviderAzureDevOps, ferry.Provider{Name: "az", Owner: "fabrikam/Nope"}, "",
			ferry.Credential{Name: "az-pat", Kind: ferry.CredentialToken}, ferry.CredentialSecret{Token: pat})
		env.Server.Handle("GET /_apis/profile/profiles/me", pt.Reply(200, pt.AzureFixture(t, "rest-get-profile-me.json", "200")))
		env.Server.Handle("GET /fabrikam/_apis/projects", pt.Reply(200, pt.AzureFixture(t, "rest-list-projects.json", "200")))
		st, err := env.Client.Validate(ctx)
		if err != nil || st.Valid || !strings.Contains(st.Message, `no project "Nope"`) {
			t.Errorf("status = %+v, %v", st, err)
		}
	})
}

func TestListRepositoriesPaging(t *testing.T) {
	ctx := context.Background()
	env := connect(t)
	env.Server.Handle("GET /fabrikam/Fabrikam-Fiber-Git/_apis/git/repositories", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("continuationToken") == "" {
			pt.Reply(200, pt.AzureFixture(t, "rest-list-repositories.json", "200"), "x-ms-continuationtoken", "tok-2", "ETag", `"r1"`)(w, r)
			return
		}
		pt.Reply(200, pt.AzureFixture(t, "rest-list-repositories.json", "200"))(w, r)
	})
	p1, err := env.Client.ListRepositories(ctx, "", "")
	if err != nil {
		t.Fatal(err)
	}
	pt.WantRequest(t, env.Server.Last(), "GET", "/fabrikam/Fabrikam-Fiber-Git/_apis/git/repositories", v71)
	want := ferry.Repository{Name: "Fabrikam-Fiber-Git", FullName: "fabrikam/Fabrikam-Fiber-Git/Fabrikam-Fiber-Git", CloneHTTPS: "https://dev.azure.com/fabrikam/_git/Fabrikam-Fiber-Git",
		DefaultBranch: "master", Private: true, WebURL: "https://dev.azure.com/fabrikam/_git/Fabrikam-Fiber-Git"}
	if p1.Next != "tok-2" || p1.ETag != `"r1"` || len(p1.Repositories) != 3 || p1.Repositories[1] != want {
		t.Fatalf("page 1 = %+v", p1)
	}
	p2, err := env.Client.ListRepositories(ctx, p1.Next, "")
	if err != nil {
		t.Fatal(err)
	}
	pt.WantRequest(t, env.Server.Last(), "GET", "/fabrikam/Fabrikam-Fiber-Git/_apis/git/repositories", url.Values{"api-version": {"7.1"}, "continuationToken": {"tok-2"}})
	if p2.Next != "" || len(p2.Repositories) != 3 {
		t.Errorf("page 2 = %+v", p2)
	}
	env.WantAuth(t, "Authorization", basicPAT)
}

func TestRateLimit(t *testing.T) {
	env := connect(t)
	env.Server.Handle("GET /fabrikam/Fabrikam-Fiber-Git/_apis/git/repositories", pt.Reply(429, nil, "Retry-After", "10", "X-RateLimit-Resource", "Core"))
	want := env.Clock.Now().Add(10 * time.Second).UTC().Format(time.RFC3339)
	for i := 0; i < 3; i++ {
		_, err := env.Client.ListRepositories(context.Background(), "", "")
		pt.WantCode(t, err, ferry.EUNAVAILABLE, "azure-devops: ", "retry after "+want)
	}
	if env.Server.Count() != 2 { // the project lookup, then the one limited call
		t.Errorf("%d requests, want 2", env.Server.Count())
	}
}

func TestCreateRepository(t *testing.T) {
	env := connect(t)
	env.Server.Handle("POST /fabrikam/Fabrikam-Fiber-Git/_apis/git/repositories", pt.Reply(201, pt.AzureFixture(t, "rest-create-repository.json", "201")))
	repo, err := env.Client.CreateRepository(context.Background(), "AnotherRepository", true)
	if err != nil {
		t.Fatal(err)
	}
	r := env.Server.Last()
	pt.WantRequest(t, r, "POST", "/fabrikam/Fabrikam-Fiber-Git/_apis/git/repositories", v71)
	var fixture struct {
		Parameters struct {
			Body map[string]any `json:"body"`
		} `json:"parameters"`
	}
	json.Unmarshal(pt.Fixture(t, "rest-create-repository.json"), &fixture)
	pt.WantBody(t, r, fixture.Parameters.Body) // the published request, exactly
	if repo.Name != "AnotherRepository" || repo.CloneHTTPS != "https://dev.azure.com/fabrikam/Fabrikam-Fiber-Git/_git/AnotherRepository" {
		t.Errorf("repository = %+v", repo)
	}
}

func TestWebhook(t *testing.T) {
	ctx := context.Background()
	env := connect(t)
	env.Server.Handle("GET /fabrikam/Fabrikam-Fiber-Git/_apis/git/repositories/AnotherRepository", pt.Reply(200, pt.AzureFixture(t, "rest-create-repository.json", "201")))
	var n atomic.Int32
	env.Server.Handle("POST /fabrikam/_apis/hooks/subscriptions", func(w http.ResponseWriter, r *http.Request) {
		i := n.Add(1)
		pt.Reply(200, pt.Edit(t, pt.AzureFixture(t, "rest-create-subscription.json", "200"), func(v any) any {
			v.(map[string]any)["id"] = fmt.Sprintf("sub-%d", i)
			return v
		}))(w, r)
	})
	id, err := env.Client.CreateWebhook(ctx, "AnotherRepository", "https://ferry.example.com/hooks/5", "hook-secret-9",
		[]string{ferry.WebhookEventPush, ferry.WebhookEventPullRequest})
	if err != nil || id != "sub-1,sub-2,sub-3" {
		t.Fatalf("create = %q, %v", id, err)
	}
	var example struct {
		Parameters struct {
			Body json.RawMessage `json:"body"`
		} `json:"parameters"`
	}
	json.Unmarshal(pt.Fixture(t, "rest-create-subscription.json"), &example)
	var types []string
	for _, r := range env.Server.Requests() {
		if r.Method != "POST" {
			continue
		}
		pt.WantRequest(t, r, "POST", "/fabrikam/_apis/hooks/subscriptions", v71)
		b := r.JSON(t)
		types = append(types, b["eventType"].(string))
		pt.WantBody(t, r, map[string]any{"publisherId": "tfs", "eventType": b["eventType"], "resourceVersion": "1.0",
			"consumerId": "webHooks", "consumerActionId": "httpRequest",
			"publisherInputs": map[string]any{"projectId": projectID, "repository": "5febef5a-833d-4e14-b9c0-14cb638f91e6"},
			"consumerInputs":  map[string]any{"url": "https://ferry.example.com/hooks/5", "basicAuthUsername": "ferry", "basicAuthPassword": "hook-secret-9"}})
		pt.WantKeysIn(t, r, example.Parameters.Body, "publisherInputs.repository", "consumerInputs.basicAuthUsername", "consumerInputs.basicAuthPassword")
	}
	if strings.Join(types, ",") != "git.push,git.pullrequest.created,git.pullrequest.updated" {
		t.Errorf("event types = %v", types)
	}

	for _, s := range []string{"sub-1", "sub-2", "sub-3"} {
		env.Server.Handle("DELETE /fabrikam/_apis/hooks/subscriptions/"+s, pt.Reply(204, nil))
	}
	before := env.Server.Count()
	if err := env.Client.DeleteWebhook(ctx, "AnotherRepository", id); err != nil {
		t.Fatal(err)
	}
	if env.Server.Count()-before != 3 {
		t.Errorf("%d deletions, want 3", env.Server.Count()-before)
	}
	pt.WantRequest(t, env.Server.Last(), "DELETE", "/fabrikam/_apis/hooks/subscriptions/sub-3", v71)
	env.WantAuth(t, "Authorization", basicPAT)
}

func TestWebhookFailureLeavesNoOrphan(t *testing.T) {
	env := connect(t)
	env.Server.Handle("GET /fabrikam/Fabrikam-Fiber-Git/_apis/git/repositories/AnotherRepository", pt.Reply(200, pt.AzureFixture(t, "rest-create-repository.json", "201")))
	var n atomic.Int32
	env.Server.Handle("POST /fabrikam/_apis/hooks/subscriptions", func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 2 {
			pt.Reply(400, []byte(`{"message":"TF400898: An Internal Error Occurred."}`))(w, r)
			return
		}
		pt.Reply(200, pt.AzureFixture(t, "rest-create-subscription.json", "200"))(w, r)
	})
	var deleted atomic.Bool
	env.Server.Handle("DELETE /fabrikam/_apis/hooks/subscriptions/fd672255-8b6b-4769-9260-beea83d752ce", func(w http.ResponseWriter, r *http.Request) {
		deleted.Store(true)
		w.WriteHeader(204)
	})
	_, err := env.Client.CreateWebhook(context.Background(), "AnotherRepository", "https://ferry.example.com/hooks/5", "s3",
		[]string{ferry.WebhookEventPush, ferry.WebhookEventPullRequest})
	pt.WantCode(t, err, ferry.EINVALID, "azure-devops: ", "TF400898")
	if !deleted.Load() {
		t.Error("the first subscription was left behind")
	}
}

func TestNoDeployKeys(t *testing.T) {
	env := connect(t)
	_, err := env.Client.AddDeployKey(context.Background(), "AnotherRepository", "ferry", "ssh-ed25519 AAAA", true)
	pt.WantCode(t, err, ferry.EINVALID, "azure-devops: ", "no deploy keys")
	if env.Server.Count() != 0 {
		t.Error("a request was made")
	}
}
