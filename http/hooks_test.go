package http_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/ferrygit/ferry"
	fhttp "github.com/ferrygit/ferry/http"
	"github.com/ferrygit/ferry/sqlstore"
	"github.com/ferrygit/ferry/webhook"
	"github.com/ferrygit/ferry/webhook/webhooktest"
)

// newHookServer starts a test server whose bindings take webhooks; its fake sync service
// queues pulls in the real database.
func newHookServer(t *testing.T, configure ...func(*fhttp.Server)) (*testServer, *fakeSync) {
	t.Helper()
	var fake *fakeSync
	ts := newTestServer(t, append([]func(*fhttp.Server){func(s *fhttp.Server) {
		db := s.Namespaces.(*sqlstore.DB)
		fake = &fakeSync{DB: db}
		s.Bindings, s.Runs, s.Sync, s.Webhooks = db, db, fake, db
	}}, configure...)...)
	return ts, fake
}

// hookBinding creates a pull binding of ref with a manual webhook and returns it with the
// webhook's URL and secret; its first pull is carried out.
func (ts *testServer) hookBinding(t *testing.T, fake *fakeSync, name, ref string) (*fhttp.BindingResponse, string, string) {
	t.Helper()
	resp := ts.mustBinding(t, "dev", fhttp.BindingRequest{Name: name, Directory: "/" + name, URL: "https://git.example.com/org/" + name + ".git",
		Ref: ref, Webhook: "manual"})
	if resp.Webhook == nil || resp.Webhook.Secret == "" || resp.Webhook.URL == "" {
		t.Fatalf("the create answer has no webhook URL and secret: %+v", resp.Webhook)
	}
	if _, err := fake.WaitRun(context.Background(), resp.FirstRun.ID); err != nil {
		t.Fatal(err)
	}
	return resp, resp.Webhook.URL, resp.Webhook.Secret
}

// post sends a delivery and returns the answer.
func post(t *testing.T, req *http.Request) response {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

func wantHook(t *testing.T, resp response, status int, verdict string) fhttp.HookResponse {
	t.Helper()
	if resp.Status != status {
		t.Fatalf("status = %d, want %d: %s", resp.Status, status, resp.Body)
	}
	var hr fhttp.HookResponse
	decode(t, resp, &hr)
	if hr.Verdict != verdict || hr.Delivery == 0 {
		t.Fatalf("answer = %+v, want verdict %s", hr, verdict)
	}
	return hr
}

func (ts *testServer) runCount(t *testing.T, name string) int {
	t.Helper()
	runs, _, err := ts.Client.ListRuns(context.Background(), "dev", name, ferry.Page{})
	if err != nil {
		t.Fatal(err)
	}
	return len(runs)
}

// providerCase is how a provider's real payloads exercise the receiver.
type providerCase struct {
	ref   string // the binding's ref, that the push fixture moves
	push  string
	ping  func(t *testing.T, secret string) *webhooktest.Delivery // nil: the provider's test delivery is a push
	other []string                                                // pushes to other refs and tags, and other events
}

var providerCases = map[string]providerCase{
	"github": {ref: "master", push: "github/webhook-push-branch-update.json",
		ping: func(t *testing.T, s string) *webhooktest.Delivery {
			return webhooktest.Load(t, "github/webhook-ping.json", s)
		},
		other: []string{"github/webhook-push-tag.json", "github/webhook-pull_request-synchronize.json", "github/webhook-repository-deleted.json"}},
	"gitea": {ref: "master", push: "gitea/webhook-push.json",
		other: []string{"gitea/webhook-push-docs-example.json", "gitea/webhook-create-tag.json", "gitea/webhook-pull_request-synchronized.json"}},
	"gitlab": {ref: "master", push: "gitlab/webhook-push.json",
		other: []string{"gitlab/webhook-tag-push.json", "gitlab/webhook-merge-request-update.json"}},
	"bitbucket-cloud": {ref: "name-of-branch", push: "bitbucket-cloud/webhook-repo-push.json",
		ping: func(t *testing.T, s string) *webhooktest.Delivery {
			d := webhooktest.Load(t, "bitbucket-cloud/webhook-repo-push.json", s)
			d.Header.Set("X-Event-Key", "diagnostics:ping")
			return d
		},
		other: []string{"bitbucket-cloud/webhook-repo-push-branch-created.json", "bitbucket-cloud/webhook-repo-push-tag-created.json", "bitbucket-cloud/webhook-pullrequest-updated.json"}},
	"bitbucket-server": {ref: "master", push: "bitbucket-server/webhook-repo-refs_changed-branch-update.json",
		ping: func(t *testing.T, s string) *webhooktest.Delivery {
			d := webhooktest.Load(t, "bitbucket-server/webhook-repo-refs_changed-branch-update.json", s)
			d.Body = []byte(`{"test": true}`)
			d.Build(s)
			d.Header.Set("X-Event-Key", "diagnostics:ping")
			return d
		},
		other: []string{"bitbucket-server/webhook-repo-refs_changed-branch-delete.json", "bitbucket-server/webhook-repo-refs_changed-tag-create.json", "bitbucket-server/webhook-pr-from_ref_updated.json"}},
	"azure-devops": {ref: "main", push: "azure-devops/webhook-git.push.json",
		ping: func(t *testing.T, s string) *webhooktest.Delivery {
			d := webhooktest.Load(t, "azure-devops/webhook-git.push.json", s)
			d.Rewrite(t, s, map[string]any{"publisherId": "test", "id": "test-delivery"})
			return d
		},
		other: []string{"azure-devops/webhook-git.pullrequest.updated.json", "azure-devops/webhook-git.repo.deleted.json"}},
}

// TestReceiveEveryProvider delivers each provider's real payloads, signed as the provider
// signs them, to a real server and database: a push to the bound ref queues a pull; a
// replay, a bad or missing signature, a ping, other refs and events, malformed JSON, an
// oversized body and a wrong content type do not.
func TestReceiveEveryProvider(t *testing.T) {
	ts, fake := newHookServer(t)
	ts.mustNamespace(t, "dev")
	for _, provider := range webhook.Providers() {
		pc, ok := providerCases[provider]
		if !ok {
			t.Fatalf("no test case for provider %s", provider)
		}
		t.Run(provider, func(t *testing.T) {
			name := "hook-" + strings.ReplaceAll(provider, "-", "")
			_, hookURL, secret := ts.hookBinding(t, fake, name, pc.ref)
			runs := ts.runCount(t, name)

			// A push to the bound ref: 202 and a pull queued by the webhook.
			push := webhooktest.Load(t, pc.push, secret)
			hr := wantHook(t, post(t, push.Request(t, hookURL)), http.StatusAccepted, ferry.VerdictQueued)
			run, err := ts.Client.FindRun(context.Background(), "dev", name, hr.Run)
			if err != nil || run.Trigger != ferry.TriggerWebhook || run.Actor != "webhook:"+provider || run.State != ferry.RunQueued {
				t.Fatalf("run = %+v, %v", run, err)
			}
			if _, err := fake.WaitRun(context.Background(), run.ID); err != nil {
				t.Fatal(err)
			}
			runs++

			// The same delivery again: 200, nothing done.
			wantHook(t, post(t, push.Request(t, hookURL)), http.StatusOK, ferry.VerdictDuplicate)
			if n := ts.runCount(t, name); n != runs {
				t.Fatalf("a replayed delivery made a run: %d runs, want %d", n, runs)
			}

			// A bad signature (another secret) and none at all: 401, nothing queued.
			bad := webhooktest.Load(t, pc.push, "not-the-secret")
			wantError(t, post(t, bad.Request(t, hookURL)), http.StatusUnauthorized, ferry.EUNAUTHORIZED, "signature does not match")
			unsigned := webhooktest.Load(t, pc.push, secret)
			for _, h := range unsigned.SignatureHeaders() {
				unsigned.Header.Del(h)
			}
			wantError(t, post(t, unsigned.Request(t, hookURL)), http.StatusUnauthorized, ferry.EUNAUTHORIZED, "not signed")
			if n := ts.runCount(t, name); n != runs {
				t.Fatalf("an unsigned delivery made a run")
			}

			// A new delivery of a push: a new run.
			again := webhooktest.Load(t, pc.push, secret)
			if provider == "azure-devops" { // its delivery ID is in the body
				again.Rewrite(t, secret, map[string]any{"id": "second-delivery"})
			}
			wantHook(t, post(t, again.Request(t, hookURL)), http.StatusAccepted, ferry.VerdictQueued)
			runs++

			if pc.ping != nil {
				hr := wantHook(t, post(t, pc.ping(t, secret).Request(t, hookURL)), http.StatusOK, ferry.VerdictPing)
				if hr.Run != 0 {
					t.Fatalf("a ping queued run %d", hr.Run)
				}
			}
			for _, file := range pc.other {
				hr := wantHook(t, post(t, webhooktest.Load(t, file, secret).Request(t, hookURL)), http.StatusOK, ferry.VerdictIgnored)
				if hr.Ignored == "" || hr.Run != 0 {
					t.Fatalf("%s: answer %+v", file, hr)
				}
			}

			// Malformed JSON, signed: 400.
			malformed := webhooktest.Load(t, pc.push, secret)
			malformed.Body = append(malformed.Body[:len(malformed.Body)/2:len(malformed.Body)/2], "}}"...)
			malformed.Sign(secret)
			wantError(t, post(t, malformed.Request(t, hookURL)), http.StatusBadRequest, ferry.EINVALID)

			// Wrong or missing content type: 400.
			for _, ct := range []string{"text/plain", ""} {
				d := webhooktest.Load(t, pc.push, secret)
				d.Header.Set("Content-Type", ct)
				wantError(t, post(t, d.Request(t, hookURL)), http.StatusBadRequest, ferry.EINVALID, "Content-Type")
			}

			// Oversized: declared, and streamed without a length. Neither is read past the limit.
			big := webhooktest.Load(t, pc.push, secret)
			req := big.Request(t, hookURL)
			req.ContentLength = webhook.MaxBodySize + 1
			rec := httptest.NewRecorder()
			ts.Handler().ServeHTTP(rec, req)
			wantError(t, response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}, http.StatusBadRequest, ferry.EINVALID, "larger than the limit of 25 MiB")
			req = big.Request(t, hookURL)
			req.Body = io.NopCloser(io.MultiReader(bytes.NewReader(big.Body), bytes.NewReader(make([]byte, webhook.MaxBodySize))))
			req.ContentLength = -1
			wantError(t, post(t, req), http.StatusBadRequest, ferry.EINVALID, "larger than the limit")

			if n := ts.runCount(t, name); n != runs {
				t.Fatalf("%d runs, want %d", n, runs)
			}

			// Every delivery is listed, newest first.
			items, _, err := ts.Client.ListDeliveries(context.Background(), "dev", name, ferry.Page{})
			if err != nil {
				t.Fatal(err)
			}
			var verdicts []string
			for i := len(items) - 1; i >= 0; i-- {
				verdicts = append(verdicts, items[i].Verdict)
			}
			want := []string{"queued", "duplicate", "rejected_signature", "rejected_signature", "queued"}
			if pc.ping != nil {
				want = append(want, "ping")
			}
			for range pc.other {
				want = append(want, "ignored")
			}
			want = append(want, "invalid", "invalid", "invalid", "invalid", "invalid")
			if strings.Join(verdicts, " ") != strings.Join(want, " ") {
				t.Fatalf("deliveries:\n%v\nwant\n%v", verdicts, want)
			}
			first := items[len(items)-1]
			if first.Provider != provider || first.Event == "" || first.DeliveryID == "" || first.Run == 0 || first.Ref == "" || first.ReceivedAt.IsZero() {
				t.Fatalf("first delivery = %+v", first)
			}
			if rejected := items[len(items)-3]; rejected.Provider != provider || !strings.Contains(rejected.Message, "signature") {
				t.Fatalf("rejected delivery = %+v", rejected)
			}
			// Neither the log nor the deliveries show the secret or a signature.
			list := ts.raw(t, "GET", "/api/v1/namespaces/dev/bindings/"+name+"/deliveries", nil)
			for _, h := range push.SignatureHeaders() {
				if v := push.Header.Get(h); strings.Contains(ts.logs.String(), v) || strings.Contains(string(list.Body), v) {
					t.Fatalf("the log or the deliveries show %s", h)
				}
			}
			if strings.Contains(ts.logs.String(), secret) || strings.Contains(string(list.Body), secret) {
				t.Fatal("the log or the deliveries show the secret")
			}
		})
	}
	if !strings.Contains(ts.logs.String(), "webhook delivery refused") {
		t.Fatal("refused deliveries were not logged")
	}
}

// TestWebhookSecretShownOnce: the secret is in the answer that issues it, never in a read.
func TestWebhookSecretShownOnce(t *testing.T) {
	ts, fake := newHookServer(t, func(s *fhttp.Server) { s.PublicURL = "https://ferry.example.com/" })
	ts.mustNamespace(t, "dev")
	ctx := context.Background()
	created, hookURL, secret := ts.hookBinding(t, fake, "cfg", "main")
	if want := fmt.Sprintf("https://ferry.example.com/hooks/%d", created.ID); hookURL != want || created.Webhook.Mode != "manual" || len(secret) != 43 {
		t.Fatalf("webhook = %+v, want URL %s and a 43-character secret", created.Webhook, want)
	}
	get := ts.raw(t, "GET", "/api/v1/namespaces/dev/bindings/cfg", nil)
	var got fhttp.BindingResponse
	decode(t, get, &got)
	if strings.Contains(string(get.Body), secret) || got.Webhook == nil || got.Webhook.URL != hookURL || got.Webhook.Mode != "manual" || got.Webhook.Secret != "" ||
		!strings.Contains(string(get.Body), `"created_at"`) {
		t.Fatalf("GET shows %s", get.Body)
	}
	if strings.Contains(string(get.Body), "rotated_at") {
		t.Fatalf("never rotated, but GET shows %s", get.Body)
	}
	// Asking again for the mode it has issues nothing.
	same, err := ts.Client.SetWebhook(ctx, "dev", "cfg", "manual")
	if err != nil || same.Webhook == nil || same.Webhook.Secret != "" {
		t.Fatalf("set again = %+v, %v", same.Webhook, err)
	}

	// Rotation: a new secret, shown once; the old one stops working.
	rotated, err := ts.Client.RotateWebhook(ctx, "dev", "cfg")
	if err != nil || rotated.Secret == "" || rotated.Secret == secret || rotated.RotatedAt.IsZero() || rotated.URL != hookURL {
		t.Fatalf("rotate = %+v, %v", rotated, err)
	}
	localURL := ts.URL() + "/hooks/" + fmt.Sprint(created.ID)
	old := webhooktest.Load(t, "github/webhook-ping.json", secret)
	wantError(t, post(t, old.Request(t, localURL)), http.StatusUnauthorized, ferry.EUNAUTHORIZED)
	wantHook(t, post(t, webhooktest.Load(t, "github/webhook-ping.json", rotated.Secret).Request(t, localURL)), http.StatusOK, ferry.VerdictPing)
	if wh, err := ts.Client.FindWebhook(ctx, "dev", "cfg"); err != nil || wh.Secret != "" || wh.RotatedAt.IsZero() {
		t.Fatalf("after rotation GET shows %+v, %v", wh, err)
	}

	// Off: the URL answers 404 like any other; on again: a new secret.
	if off, err := ts.Client.SetWebhook(ctx, "dev", "cfg", "none"); err != nil || off.Webhook != nil {
		t.Fatalf("off = %+v, %v", off, err)
	}
	wantError(t, post(t, webhooktest.Load(t, "github/webhook-ping.json", rotated.Secret).Request(t, localURL)), http.StatusNotFound, ferry.ENOTFOUND)
	wantError(t, ts.raw(t, "POST", "/api/v1/namespaces/dev/bindings/cfg/webhook/rotate", nil), http.StatusNotFound, ferry.ENOTFOUND, "no webhook")
	on, err := ts.Client.SetWebhook(ctx, "dev", "cfg", "manual")
	if err != nil || on.Webhook == nil || on.Webhook.Secret == "" || on.Webhook.Secret == rotated.Secret {
		t.Fatalf("on again = %+v, %v", on.Webhook, err)
	}
	// A PATCH of other fields keeps the webhook.
	resp := ts.raw(t, "PATCH", "/api/v1/namespaces/dev/bindings/cfg", []byte(`{"schedule":"*/5 * * * *","webhook":"manual"}`))
	if resp.Status != http.StatusOK || strings.Contains(string(resp.Body), on.Webhook.Secret) || !strings.Contains(string(resp.Body), `"mode":"manual"`) {
		t.Fatalf("patch = %d %s", resp.Status, resp.Body)
	}

	// Refusals: unknown modes, managed without a provider; the refused create makes nothing.
	for _, body := range []string{`{"webhook":"sometimes"}`, `{"webhook":"managed"}`, `{"webhook":7}`} {
		wantError(t, ts.raw(t, "PATCH", "/api/v1/namespaces/dev/bindings/cfg", []byte(body)), http.StatusBadRequest, ferry.EINVALID)
	}
	wantError(t, ts.raw(t, "POST", "/api/v1/namespaces/dev/bindings", []byte(`{"name":"x","directory":"/x","url":"https://git.example.com/x.git","webhook":"auto"}`)),
		http.StatusBadRequest, ferry.EINVALID, "auto")
	wantError(t, ts.raw(t, "GET", "/api/v1/namespaces/dev/bindings/x", nil), http.StatusNotFound, ferry.ENOTFOUND)

	// A namespace made with a mirror may have its webhook too.
	mirrored, err := ts.Client.CreateNamespaceWithMirror(ctx, "prod", fhttp.BindingRequest{Name: "m", URL: "https://git.example.com/m.git", Webhook: "manual"})
	if err != nil || mirrored.Mirror.Webhook == nil || mirrored.Mirror.Webhook.Secret == "" {
		t.Fatalf("mirror = %+v, %v", mirrored, err)
	}
}

func TestHookNotFound(t *testing.T) {
	ts, fake := newHookServer(t)
	ts.mustNamespace(t, "dev")
	ts.mustBinding(t, "dev", fhttp.BindingRequest{Name: "plain", Directory: "/plain", URL: "https://git.example.com/plain.git"})
	created, _, secret := ts.hookBinding(t, fake, "hooked", "main")
	d := webhooktest.Load(t, "github/webhook-ping.json", secret)
	var bodies []string
	for _, path := range []string{"/hooks/1", "/hooks/999999", "/hooks/abc", "/hooks/-1", "/hooks/0"} { // 1 has no webhook
		resp := post(t, d.Request(t, ts.URL()+path))
		wantError(t, resp, http.StatusNotFound, ferry.ENOTFOUND)
		bodies = append(bodies, string(resp.Body))
	}
	for _, b := range bodies[1:] {
		if b != bodies[0] {
			t.Fatalf("404s differ, telling which bindings exist: %q, %q", bodies[0], b)
		}
	}
	// Only POST; no API token is needed, and one is not looked at.
	resp := ts.rawToken(t, "GET", fmt.Sprintf("/hooks/%d", created.ID), nil, "", nil)
	wantError(t, resp, http.StatusMethodNotAllowed, ferry.EINVALID)
	resp = ts.rawToken(t, "POST", fmt.Sprintf("/hooks/%d", created.ID), d.Body, "Bearer wrong", d.Header)
	wantHook(t, resp, http.StatusOK, ferry.VerdictPing)

	// The deliveries of an unknown binding; the API routes need the token.
	wantError(t, ts.raw(t, "GET", "/api/v1/namespaces/dev/bindings/nope/deliveries", nil), http.StatusNotFound, ferry.ENOTFOUND)
	wantError(t, ts.rawToken(t, "GET", "/api/v1/namespaces/dev/bindings/hooked/deliveries", nil, "", nil), http.StatusUnauthorized, ferry.EUNAUTHORIZED)
	wantError(t, ts.rawToken(t, "POST", "/api/v1/namespaces/dev/bindings/hooked/webhook/rotate", nil, "", nil), http.StatusUnauthorized, ferry.EUNAUTHORIZED)
}

// TestHookFormPayload: GitHub's application/x-www-form-urlencoded content type carries the
// JSON in a payload field; the signature covers the form body.
func TestHookFormPayload(t *testing.T) {
	ts, fake := newHookServer(t)
	ts.mustNamespace(t, "dev")
	_, hookURL, secret := ts.hookBinding(t, fake, "form", "master")
	d := webhooktest.Load(t, "github/webhook-push-branch-update.json", secret)
	d.Body = []byte(url.Values{"payload": {string(d.Body)}}.Encode())
	d.Sign(secret)
	d.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	wantHook(t, post(t, d.Request(t, hookURL)), http.StatusAccepted, ferry.VerdictQueued)

	empty := webhooktest.Load(t, "github/webhook-push-branch-update.json", secret)
	empty.Body = []byte("other=1")
	empty.Sign(secret)
	empty.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	wantError(t, post(t, empty.Request(t, hookURL)), http.StatusBadRequest, ferry.EINVALID, "payload")
}

// TestHookDefaultBranchAndPushOnly: a binding that follows the default branch takes the
// payload's word for which branch that is; a push-only binding never pulls.
func TestHookDefaultBranchAndPushOnly(t *testing.T) {
	ts, fake := newHookServer(t)
	ts.mustNamespace(t, "dev")
	_, hookURL, secret := ts.hookBinding(t, fake, "default", "")
	wantHook(t, post(t, webhooktest.Load(t, "github/webhook-push-branch-update.json", secret).Request(t, hookURL)), http.StatusAccepted, ferry.VerdictQueued)
	hr := wantHook(t, post(t, webhooktest.Load(t, "gitea/webhook-push-docs-example.json", secret).Request(t, hookURL)), http.StatusOK, ferry.VerdictIgnored)
	if !strings.Contains(hr.Ignored, "refs/heads/develop") || !strings.Contains(hr.Ignored, "refs/heads/master") {
		t.Fatalf("ignored: %q", hr.Ignored)
	}

	out := ts.mustBinding(t, "dev", fhttp.BindingRequest{Name: "out", Directory: "/out", URL: "https://git.example.com/out.git", Ref: "master",
		Direction: "push", Webhook: "manual"})
	hr = wantHook(t, post(t, webhooktest.Load(t, "github/webhook-push-branch-update.json", out.Webhook.Secret).Request(t, out.Webhook.URL)), http.StatusOK, ferry.VerdictIgnored)
	if !strings.Contains(hr.Ignored, "only pushes") || ts.runCount(t, "out") != 0 {
		t.Fatalf("push-only binding: %+v", hr)
	}
}

// TestHooksUnavailable: a server without webhooks says so.
func TestHooksUnavailable(t *testing.T) {
	ts := newSyncServer(t)
	ts.mustNamespace(t, "dev")
	wantError(t, ts.rawToken(t, "POST", "/hooks/1", []byte("{}"), "", http.Header{"Content-Type": {"application/json"}}), http.StatusServiceUnavailable, ferry.EUNAVAILABLE)
	wantError(t, ts.raw(t, "POST", "/api/v1/namespaces/dev/bindings", []byte(`{"name":"x","directory":"/x","url":"https://git.example.com/x.git","webhook":"manual"}`)),
		http.StatusServiceUnavailable, ferry.EUNAVAILABLE)
	wantError(t, ts.raw(t, "GET", "/api/v1/namespaces/dev/bindings/x", nil), http.StatusNotFound, ferry.ENOTFOUND)
}

// TestHookMinimalPush: the README's delivery from a plain Git server's hook or a CI job — a
// GitHub-style push with only a ref, no delivery ID — queues a pull each time it is sent.
func TestHookMinimalPush(t *testing.T) {
	ts, fake := newHookServer(t)
	ts.mustNamespace(t, "dev")
	_, hookURL, secret := ts.hookBinding(t, fake, "ci", "main")
	body := `{"ref":"refs/heads/main"}`
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(body))
	for i := 0; i < 2; i++ {
		req, _ := http.NewRequest("POST", hookURL, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-GitHub-Event", "push")
		req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
		wantHook(t, post(t, req), http.StatusAccepted, ferry.VerdictQueued)
	}
}
