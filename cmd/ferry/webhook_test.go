package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/git/gittest"
	ferryhttp "github.com/ferrygit/ferry/http"
	"github.com/ferrygit/ferry/webhook/webhooktest"
)

// waitRun polls a run until it is done.
func waitRun(t testing.TB, c *ferryhttp.Client, ns, binding string, id int64) *ferry.Run {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		run, err := c.FindRun(context.Background(), ns, binding, id)
		if err != nil {
			t.Fatal(err)
		}
		if run.State == ferry.RunDone || run.State == ferry.RunRetrying {
			return run
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %d did not end: %+v", id, run)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// deliver posts a delivery to url and returns the status and body of the answer.
func deliver(t testing.TB, d *webhooktest.Delivery, url string) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(d.Request(t, url))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestWebhookEndToEnd: through a real 'ferry serve', a real repository and the real GitHub
// and GitLab push payloads, a signed push webhook leads to a new revision; an unsigned one
// and a push to another branch do not.
func TestWebhookEndToEnd(t *testing.T) {
	const token = "webhook-test-admin-token-0123"
	srv := startServe(t, cliEnv{"FERRY_ADMIN_TOKEN": token, "FERRY_ALLOW_HOSTS": "127.0.0.1", "FERRY_ALLOW_INSECURE_HTTP": "true",
		"FERRY_PUBLIC_URL": "https://ferry.example.com/"}, "--data-dir", t.TempDir())
	c := ferryhttp.NewClient(srv.url, token)
	ctx := context.Background()
	repo := gittest.NewRepo(t, map[string]string{"app/config.yaml": "v: 0\n"})
	web := gittest.NewHTTPServer(t, repo.Root, gittest.HTTPOptions{})
	if _, err := c.CreateNamespace(ctx, "dev"); err != nil {
		t.Fatal(err)
	}
	for i, fixture := range []string{"github/webhook-push-branch-update.json", "gitlab/webhook-push.json"} {
		provider := strings.Split(fixture, "/")[0]
		t.Run(provider, func(t *testing.T) {
			b, err := c.CreateBinding(ctx, "dev", ferryhttp.BindingRequest{Name: provider, Directory: "/" + provider, URL: web.RepoURL(repo.Name),
				Ref: "main", Path: "/app", Webhook: "manual"})
			if err != nil {
				t.Fatal(err)
			}
			path := fmt.Sprintf("/hooks/%d", b.ID)
			if b.Webhook == nil || b.Webhook.URL != "https://ferry.example.com"+path || b.Webhook.Secret == "" {
				t.Fatalf("webhook = %+v", b.Webhook)
			}
			secret := b.Webhook.Secret
			waitRun(t, c, "dev", provider, b.FirstRun.ID)

			content := fmt.Sprintf("v: %d\n", i+1)
			commit := repo.Commit("change", map[string]string{"app/config.yaml": content})

			// The real payload as is pushes to master, which the binding does not follow.
			status, body := deliver(t, webhooktest.Load(t, fixture, secret), srv.url+path)
			if status != http.StatusOK || !strings.Contains(body, `"ignored"`) {
				t.Fatalf("push to master: %d %s", status, body)
			}
			// Unsigned, or signed with another secret: refused.
			status, _ = deliver(t, webhooktest.Load(t, fixture, "guess"), srv.url+path)
			if status != http.StatusUnauthorized {
				t.Fatalf("wrong secret: %d", status)
			}

			// The payload of this push, signed: a pull, and a new revision.
			d := webhooktest.Load(t, fixture, secret)
			d.Rewrite(t, secret, map[string]any{"ref": "refs/heads/main", "after": commit})
			status, body = deliver(t, d, srv.url+path)
			if status != http.StatusAccepted {
				t.Fatalf("push to main: %d %s", status, body)
			}
			runs, _, err := c.ListRuns(ctx, "dev", provider, ferry.Page{Limit: 1})
			if err != nil || len(runs) != 1 {
				t.Fatal(err)
			}
			run := waitRun(t, c, "dev", provider, runs[0].ID)
			if run.Result != ferry.ResultApplied || run.Trigger != ferry.TriggerWebhook || run.Actor != "webhook:"+provider || run.CommitAfter != commit || run.Revision == 0 {
				t.Fatalf("run = %+v", run)
			}
			f, err := c.GetFile(ctx, "dev", provider+"/config.yaml", 0)
			if err != nil || string(f.Content) != content {
				t.Fatalf("file = %v, %v", f, err)
			}
			deliveries, _, err := c.ListDeliveries(ctx, "dev", provider, ferry.Page{})
			if err != nil || len(deliveries) != 3 || deliveries[0].Verdict != ferry.VerdictQueued || deliveries[0].Run != run.ID ||
				deliveries[0].Commit != commit || deliveries[1].Verdict != ferry.VerdictRejectedSignature || deliveries[2].Verdict != ferry.VerdictIgnored {
				t.Fatalf("deliveries = %+v, %v", deliveries, err)
			}
			if strings.Contains(srv.stderr.String(), secret) {
				t.Fatal("the server logged the webhook secret")
			}
		})
	}
	assertNoSecrets(t, srv.stderr.String())
}

func TestPublicURLConfig(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "FERRY_PUBLIC_URL" {
				return v
			}
			return ""
		}
	}
	for _, bad := range []string{"ferry.example.com", "ftp://ferry.example.com", "https://", "https://u:p@ferry.example.com", "https://ferry.example.com/?x=1"} {
		if _, err := loadConfig(nil, env(bad), io.Discard); err == nil || !strings.Contains(err.Error(), "--public-url") {
			t.Errorf("%q: %v", bad, err)
		}
	}
	cfg, err := loadConfig([]string{"--public-url", "https://ferry.example.com/base/"}, env("https://ignored.example.com"), io.Discard)
	if err != nil || cfg.PublicURL != "https://ferry.example.com/base" {
		t.Fatalf("flag over env: %+v, %v", cfg, err)
	}
}
