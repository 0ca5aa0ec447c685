package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/git/gittest"
	ferryhttp "github.com/ferrygit/ferry/http"
	"github.com/ferrygit/ferry/webhook/webhooktest"
)

// TestWebhookCLI: against a real 'ferry serve', "ferry webhook rotate" prints a new URL and
// secret that then verify deliveries (the old secret no longer does), and "ferry webhook
// deliveries" lists them; unknown bindings, bindings without a webhook and bad arguments fail.
func TestWebhookCLI(t *testing.T) {
	const token = "webhook-cli-test-admin-token-01"
	srv := startServe(t, cliEnv{"FERRY_ADMIN_TOKEN": token, "FERRY_ALLOW_HOSTS": "127.0.0.1", "FERRY_ALLOW_INSECURE_HTTP": "true",
		"FERRY_PUBLIC_URL": "https://ferry.example.com/"}, "--data-dir", t.TempDir())
	env := cliEnv{"FERRY_URL": srv.url, "FERRY_TOKEN": token}
	c := ferryhttp.NewClient(srv.url, token)
	ctx := context.Background()
	repo := gittest.NewRepo(t, map[string]string{"app/config.yaml": "v: 0\n"})
	web := gittest.NewHTTPServer(t, repo.Root, gittest.HTTPOptions{})
	if _, err := c.CreateNamespace(ctx, "dev"); err != nil {
		t.Fatal(err)
	}
	b, err := c.CreateBinding(ctx, "dev", ferryhttp.BindingRequest{Name: "hooked", Directory: "/hooked", URL: web.RepoURL(repo.Name),
		Ref: "main", Path: "/app", Webhook: "manual"})
	if err != nil {
		t.Fatal(err)
	}
	waitRun(t, c, "dev", "hooked", b.FirstRun.ID)
	plain, err := c.CreateBinding(ctx, "dev", ferryhttp.BindingRequest{Name: "plain", Directory: "/plain", URL: web.RepoURL(repo.Name), Ref: "main", Path: "/app"})
	if err != nil {
		t.Fatal(err)
	}
	waitRun(t, c, "dev", "plain", plain.FirstRun.ID)
	oldSecret := b.Webhook.Secret
	hookURL := fmt.Sprintf("https://ferry.example.com/hooks/%d", b.ID)
	localURL := fmt.Sprintf("%s/hooks/%d", srv.url, b.ID)

	t.Run("deliveries empty", func(t *testing.T) {
		out := mustRunCLI(t, env, "", "webhook", "deliveries", "dev/hooked")
		if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], "TIME") {
			t.Fatalf("want only the header:\n%s", out)
		}
		for _, col := range []string{"TIME", "PROVIDER", "EVENT", "DELIVERY ID", "VERDICT", "RUN"} {
			if !strings.Contains(out, col) {
				t.Errorf("header lacks %s:\n%s", col, out)
			}
		}
	})

	var newSecret string
	t.Run("rotate", func(t *testing.T) {
		out := mustRunCLI(t, env, "", "webhook", "rotate", "dev/hooked")
		if !strings.Contains(out, "URL:    "+hookURL+"\n") {
			t.Fatalf("rotate does not print the URL %s:\n%s", hookURL, out)
		}
		_, after, ok := strings.Cut(out, "Secret: ")
		newSecret = strings.TrimSpace(after)
		if !ok || newSecret == "" || newSecret == oldSecret || strings.Contains(out, oldSecret) {
			t.Fatalf("rotate printed no new secret (old %q):\n%s", oldSecret, out)
		}
		// The secret is shown once: a GET does not carry it.
		w, err := c.FindWebhook(ctx, "dev", "hooked")
		if err != nil || w == nil || w.Secret != "" || w.URL != hookURL {
			t.Fatalf("webhook after rotate = %+v, %v", w, err)
		}
		// --json carries the secret too.
		var got ferryhttp.WebhookResponse
		if err := json.Unmarshal([]byte(mustRunCLI(t, env, "", "webhook", "rotate", "dev/hooked", "--json")), &got); err != nil {
			t.Fatal(err)
		}
		if got.Webhook == nil || got.URL != hookURL || got.Secret == "" || got.Secret == newSecret || got.Mode != ferry.WebhookManual {
			t.Fatalf("rotate --json = %+v", got)
		}
		newSecret = got.Secret
	})

	t.Run("deliveries", func(t *testing.T) {
		// Signed with the rotated-away secret: refused. With the new one: verified.
		fixture := "github/webhook-push-branch-update.json"
		if status, body := deliver(t, webhooktest.Load(t, fixture, oldSecret), localURL); status != http.StatusUnauthorized {
			t.Fatalf("old secret: %d %s", status, body)
		}
		good := webhooktest.Load(t, fixture, newSecret)
		if status, body := deliver(t, good, localURL); status != http.StatusOK || !strings.Contains(body, `"ignored"`) {
			t.Fatalf("new secret, push to master: %d %s", status, body)
		}
		commit := repo.Commit("change", map[string]string{"app/config.yaml": "v: 1\n"})
		push := webhooktest.Load(t, fixture, newSecret)
		push.Rewrite(t, newSecret, map[string]any{"ref": "refs/heads/main", "after": commit})
		if status, body := deliver(t, push, localURL); status != http.StatusAccepted {
			t.Fatalf("push to main: %d %s", status, body)
		}
		list, _, err := c.ListDeliveries(ctx, "dev", "hooked", ferry.Page{})
		if err != nil || len(list) != 3 || list[0].Run == 0 {
			t.Fatalf("deliveries = %+v, %v", list, err)
		}
		waitRun(t, c, "dev", "hooked", list[0].Run)

		out := mustRunCLI(t, env, "", "webhook", "deliveries", "dev/hooked")
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 4 {
			t.Fatalf("want a header and 3 rows:\n%s", out)
		}
		wantRow := func(line string, d *ferry.Delivery, run string) {
			t.Helper()
			f := strings.Fields(line)
			want := []string{d.ReceivedAt.UTC().Format("2006-01-02T15:04:05Z"), "github", "push", d.DeliveryID, d.Verdict, run}
			if strings.Join(f, " ") != strings.Join(want, " ") {
				t.Errorf("row = %q, want %q", line, strings.Join(want, " "))
			}
		}
		wantRow(lines[1], list[0], fmt.Sprint(list[0].Run))
		wantRow(lines[2], list[1], "-")
		wantRow(lines[3], list[2], "-")
		if list[0].Verdict != ferry.VerdictQueued || list[1].Verdict != ferry.VerdictIgnored || list[2].Verdict != ferry.VerdictRejectedSignature {
			t.Errorf("verdicts = %s, %s, %s", list[0].Verdict, list[1].Verdict, list[2].Verdict)
		}

		// --limit keeps the newest; --json prints them as a list.
		out = mustRunCLI(t, env, "", "webhook", "deliveries", "dev/hooked", "--limit", "2", "--json")
		var got []ferry.Delivery
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%v:\n%s", err, out)
		}
		if len(got) != 2 || got[0].ID != list[0].ID || got[1].ID != list[1].ID || got[0].Run != list[0].Run {
			t.Fatalf("deliveries --limit 2 --json = %+v", got)
		}
		out = mustRunCLI(t, env, "", "webhook", "deliveries", "--limit=1", "dev/hooked")
		if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 2 || !strings.Contains(lines[1], list[0].DeliveryID) {
			t.Fatalf("deliveries --limit=1:\n%s", out)
		}
		if strings.Contains(srv.stderr.String(), newSecret) {
			t.Fatal("the server logged the webhook secret")
		}
	})

	t.Run("bad input", func(t *testing.T) {
		wantFailure(t, runCLI(t, env, "", "webhook", "rotate", "dev/nope"), ferry.ENOTFOUND)
		wantFailure(t, runCLI(t, env, "", "webhook", "deliveries", "dev/nope"), ferry.ENOTFOUND)
		wantFailure(t, runCLI(t, env, "", "webhook", "rotate", "nope/hooked"), ferry.ENOTFOUND)
		wantFailure(t, runCLI(t, env, "", "webhook", "rotate", "dev/plain"), ferry.ENOTFOUND, "has no webhook")
		if w, err := c.FindWebhook(ctx, "dev", "plain"); err != nil || w != nil {
			t.Fatalf("rotating a binding without a webhook gave it one: %+v, %v", w, err)
		}
		for _, args := range [][]string{
			{"webhook", "rotate"},
			{"webhook", "rotate", "dev"},
			{"webhook", "rotate", "dev/a/b"},
			{"webhook", "rotate", "dev/hooked", "extra"},
			{"webhook", "deliveries", "dev/hooked", "--limit", "0"},
			{"webhook", "deliveries", "dev/hooked", "--limit", "x"},
			{"webhook", "frobnicate", "dev/hooked"},
			{"webhook"},
		} {
			r := runCLI(t, env, "", args...)
			if r.err == nil {
				t.Errorf("ferry %s: no error; stdout: %s", strings.Join(args, " "), r.stdout)
			}
			// Refused by the CLI itself, before any request: a usage error or a bad NS/BINDING.
			if !errors.Is(r.err, errUsage) && (r.err == nil || !strings.Contains(r.err.Error(), "does not name a binding")) {
				t.Errorf("ferry %s: err = %v, want a usage error", strings.Join(args, " "), r.err)
			}
		}
	})
}
