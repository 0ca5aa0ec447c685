package gitsync_test

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/gitsync"
	"github.com/ferrygit/ferry/provider"
	"github.com/ferrygit/ferry/provider/github"
	pt "github.com/ferrygit/ferry/provider/providertest"
	"github.com/ferrygit/ferry/secretbox"
	"github.com/ferrygit/ferry/sqlstore"
	"github.com/ferrygit/ferry/sshkey"
)

type nopQueue struct{}

func (nopQueue) EnqueueRun(context.Context, *ferry.Run) error { return nil }

const binderRepos = `[{"name":"payments-config","full_name":"acme/payments-config",
 "clone_url":"http://127.0.0.1:1/acme/payments-config.git","ssh_url":"ssh://git@127.0.0.1/acme/payments-config.git"}]`

// newBinder returns a Binder over a fresh SQLite database with namespace dev, a token
// credential "tok", a generated ssh-key credential "deploy" and GitHub provider "acme-gh"
// served by the fake srv.
func newBinder(t *testing.T) (*gitsync.Binder, *sqlstore.DB, *pt.Server) {
	t.Helper()
	ctx := context.Background()
	box, err := secretbox.New(bytes.Repeat([]byte{7}, secretbox.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlstore.Open(ctx, sqlstore.Config{DataDir: t.TempDir(), Sealer: box})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.CreateNamespace(ctx, &ferry.Namespace{Name: "dev"}); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateCredential(ctx, &ferry.Credential{Name: "tok", Kind: ferry.CredentialToken, Secret: &ferry.CredentialSecret{Token: "t0k-binder"}}); err != nil {
		t.Fatal(err)
	}
	pair, err := sshkey.Generate(sshkey.Ed25519)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateCredential(ctx, &ferry.Credential{Name: "deploy", Kind: ferry.CredentialSSHKey, PublicKey: pair.PublicKey,
		Fingerprint: pair.Fingerprint, Algorithm: pair.Algorithm, Generated: true, Secret: &ferry.CredentialSecret{PrivateKey: pair.PrivateKey}}); err != nil {
		t.Fatal(err)
	}
	srv := pt.NewServer(t)
	srv.Handle("GET /orgs/acme/repos", pt.Reply(http.StatusOK, []byte(binderRepos)))
	reg := provider.NewRegistry(provider.RegistryConfig{Credentials: db, Policy: pt.Policy},
		map[string]provider.Constructor{ferry.ProviderGitHub: github.New})
	providers := &provider.Service{Store: db, Registry: reg}
	if err := providers.CreateProvider(ctx, &ferry.Provider{Name: "acme-gh", Kind: ferry.ProviderGitHub, BaseURL: srv.URL, Owner: "acme", Credential: "tok"}); err != nil {
		t.Fatal(err)
	}
	syncer := &gitsync.Service{Store: db, Policy: pt.Policy, Queue: nopQueue{}}
	b := &gitsync.Binder{Sync: syncer, Store: db, Providers: providers,
		HookURL: func(id int64) string { return "https://ferry.example/hooks/" + itoa(id) }}
	return b, db, srv
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }

func countRequests(srv *pt.Server, method, path string) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Method == method && r.Path == path {
			n++
		}
	}
	return n
}

func TestBinderManagedWebhookAndDeployKey(t *testing.T) {
	ctx := context.Background()
	m, db, srv := newBinder(t)
	srv.Handle("POST /repos/acme/payments-config/hooks", pt.Reply(http.StatusCreated, []byte(`{"id":4711}`)))
	srv.Handle("POST /repos/acme/payments-config/keys", pt.Reply(http.StatusCreated, []byte(`{"id":99}`)))
	srv.Handle("DELETE /repos/acme/payments-config/hooks/4711", pt.Reply(http.StatusNoContent, nil))
	srv.Handle("DELETE /repos/acme/payments-config/keys/99", pt.Reply(http.StatusNoContent, nil))

	b := &ferry.Binding{Namespace: "dev", Name: "payments", Provider: "acme-gh", Repository: "payments-config", Credential: "deploy", Direction: ferry.DirectionPull}
	if err := b.Validate(); err != nil {
		t.Fatal(err)
	}
	run, secret, err := m.CreateBinding(ctx, b, ferry.BindOptions{DeployKey: true, Actor: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if run == nil || secret == "" {
		t.Fatalf("run %v, secret %q", run, secret)
	}
	stored, err := db.FindBinding(ctx, "dev", "payments")
	if err != nil {
		t.Fatal(err)
	}
	if stored.URL != "ssh://git@127.0.0.1/acme/payments-config.git" || stored.Provider != "acme-gh" || stored.Repository != "payments-config" ||
		stored.HookID != "4711" || stored.DeployKeyID != "99" {
		t.Fatalf("stored binding = %+v", stored)
	}
	if wh, err := db.FindWebhook(ctx, stored.ID); err != nil || wh.Mode != ferry.WebhookManaged {
		t.Fatalf("webhook = %+v, %v", wh, err)
	}
	var hook, key *pt.Request
	for _, r := range srv.Requests() {
		r := r
		if got := r.Header.Get("Authorization"); got != "Bearer t0k-binder" {
			t.Errorf("%s %s: Authorization = %q", r.Method, r.Path, got)
		}
		switch r.Method + " " + r.Path {
		case "POST /repos/acme/payments-config/hooks":
			hook = &r
		case "POST /repos/acme/payments-config/keys":
			key = &r
		}
	}
	if hook == nil || key == nil {
		t.Fatalf("hook request %v, key request %v", hook, key)
	}
	cfg, _ := hook.JSON(t)["config"].(map[string]any)
	if cfg["url"] != "https://ferry.example/hooks/"+itoa(stored.ID) || cfg["secret"] != secret {
		t.Errorf("hook config = %v, want the binding's URL and secret %q", cfg, secret)
	}
	if kb := key.JSON(t); kb["read_only"] != true || !strings.HasPrefix(kb["key"].(string), "ssh-ed25519 ") {
		t.Errorf("deploy key body = %v", kb)
	}

	// Unbind: the hook and the key go first, then the binding.
	if err := m.DeleteBinding(ctx, "dev", "payments"); err != nil {
		t.Fatal(err)
	}
	if countRequests(srv, "DELETE", "/repos/acme/payments-config/hooks/4711") != 1 || countRequests(srv, "DELETE", "/repos/acme/payments-config/keys/99") != 1 {
		t.Errorf("requests = %v", srv.Requests())
	}
	if _, err := db.FindBinding(ctx, "dev", "payments"); ferry.ErrorCode(err) != ferry.ENOTFOUND {
		t.Fatalf("binding after delete: %v", err)
	}
}

func TestBinderRollsBackOnProviderFailure(t *testing.T) {
	ctx := context.Background()
	m, db, srv := newBinder(t)
	srv.Handle("POST /repos/acme/payments-config/hooks", pt.Reply(http.StatusCreated, []byte(`{"id":5}`)))
	srv.Handle("DELETE /repos/acme/payments-config/hooks/5", pt.Reply(http.StatusNoContent, nil))
	srv.Handle("POST /repos/acme/payments-config/keys", pt.Reply(http.StatusForbidden, []byte(`{"message":"Resource not accessible by integration"}`)))

	b := &ferry.Binding{Namespace: "dev", Name: "payments", Provider: "acme-gh", Repository: "payments-config", Credential: "deploy", Direction: ferry.DirectionPush}
	_, _, err := m.CreateBinding(ctx, b, ferry.BindOptions{DeployKey: true})
	pt.WantCode(t, err, ferry.EFORBIDDEN, "github:")
	if _, err := db.FindBinding(ctx, "dev", "payments"); ferry.ErrorCode(err) != ferry.ENOTFOUND {
		t.Fatalf("binding after a failed bind: %v", err)
	}
	if countRequests(srv, "DELETE", "/repos/acme/payments-config/hooks/5") != 1 {
		t.Errorf("the hook was not removed: %v", srv.Requests())
	}
	for _, r := range srv.Requests() {
		if r.Method == "POST" && r.Path == "/repos/acme/payments-config/keys" && r.JSON(t)["read_only"] != false {
			t.Errorf("a push binding's deploy key must be read-write: %s", r.Body)
		}
	}
}

func TestBinderResolvesHTTPSAndKeepsBindingWhenProviderDown(t *testing.T) {
	ctx := context.Background()
	m, db, srv := newBinder(t)
	srv.Handle("POST /repos/acme/payments-config/hooks", pt.Reply(http.StatusCreated, []byte(`{"id":6}`)))
	b := &ferry.Binding{Namespace: "dev", Name: "payments", Provider: "acme-gh", Repository: "payments-config", Direction: ferry.DirectionPull}
	if _, _, err := m.CreateBinding(ctx, b, ferry.BindOptions{}); err != nil {
		t.Fatal(err)
	}
	stored, err := db.FindBinding(ctx, "dev", "payments")
	if err != nil || stored.URL != "http://127.0.0.1:1/acme/payments-config.git" || stored.HookID != "6" {
		t.Fatalf("stored = %+v, %v", stored, err)
	}
	// The provider fails: 503, and the binding stays.
	srv.Handle("DELETE /repos/acme/payments-config/hooks/6", pt.Reply(http.StatusBadGateway, nil))
	pt.WantCode(t, m.DeleteBinding(ctx, "dev", "payments"), ferry.EUNAVAILABLE)
	if kept, err := db.FindBinding(ctx, "dev", "payments"); err != nil || !strings.Contains(kept.ProviderError, "binding is kept") || kept.HookID != "6" {
		t.Fatalf("binding after a failed unbind: %+v, %v", kept, err)
	}
	// Gone already at the provider: the delete succeeds.
	srv.Handle("DELETE /repos/acme/payments-config/hooks/6", pt.Reply(http.StatusNotFound, []byte(`{"message":"Not Found"}`)))
	if err := m.DeleteBinding(ctx, "dev", "payments"); err != nil {
		t.Fatal(err)
	}
	// An unknown repository is refused before anything is stored.
	b = &ferry.Binding{Namespace: "dev", Name: "other", Provider: "acme-gh", Repository: "nope", Direction: ferry.DirectionPull}
	_, _, err = m.CreateBinding(ctx, b, ferry.BindOptions{})
	pt.WantCode(t, err, ferry.ENOTFOUND)
}
