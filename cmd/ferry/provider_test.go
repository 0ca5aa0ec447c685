package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferrygit/ferry"
	ferryhttp "github.com/ferrygit/ferry/http"
	pt "github.com/ferrygit/ferry/provider/providertest"
	"github.com/ferrygit/ferry/secretbox"
	"github.com/ferrygit/ferry/sqlstore"
)

// startProviderServer runs an API server with provider connections, under a URL policy
// that lets it call fake providers on 127.0.0.1.
func startProviderServer(t *testing.T) cliEnv {
	t.Helper()
	box, err := secretbox.New(bytes.Repeat([]byte{0x29}, secretbox.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlstore.Open(context.Background(), sqlstore.Config{DataDir: t.TempDir(), Sealer: box})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	s := ferryhttp.NewServer()
	s.Namespaces, s.Files, s.Ready = db, db, db.Ping
	s.Credentials, s.KnownHosts = db, db
	s.Providers = newProviderService(db, pt.Policy, logger)
	s.AdminTokenHash = sha256.Sum256([]byte(cliToken))
	s.Logger = logger
	if err := s.Open("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.Close(ctx)
	})
	return cliEnv{"FERRY_URL": s.URL(), "FERRY_TOKEN": cliToken}
}

func githubFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "provider", "github", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestProviderCommands(t *testing.T) {
	env := startProviderServer(t)
	gh := pt.NewServer(t)
	gh.Handle("GET /user", pt.Reply(200, githubFixture(t, "rest-get-user.json"), "X-OAuth-Scopes", "repo"))
	gh.Handle("GET /orgs/octocat/repos", pt.Reply(200, githubFixture(t, "rest-list-org-repos.json"), "ETag", `W/"1"`))
	gh.Handle("POST /orgs/octocat/repos", pt.Reply(201, githubFixture(t, "rest-create-repo.json")))

	mustRunCLI(t, env, "ghp_cli_secret_91\n", "cred", "create", "gh-pat", "--token-file", "-")
	out := mustRunCLI(t, env, "", "provider", "create", "acme-gh", "--kind", "github", "--base-url", gh.URL, "--owner", "octocat", "--credential", "gh-pat")
	if !strings.HasPrefix(out, "Created github provider acme-gh for octocat at "+gh.URL) {
		t.Errorf("create printed:\n%s", out)
	}
	out = mustRunCLI(t, env, "", "provider", "list")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 2 || !strings.HasPrefix(lines[0], "NAME") ||
		!strings.Contains(lines[1], "acme-gh") || !strings.Contains(lines[1], "unchecked") {
		t.Errorf("list printed:\n%s", out)
	}

	out = mustRunCLI(t, env, "", "provider", "validate", "acme-gh")
	for _, want := range []string{"✗ invalid, checked", "Acting as:", "octocat", "Missing:", "admin:repo_hook"} {
		if !strings.Contains(out, want) {
			t.Errorf("validate printed no %q:\n%s", want, out)
		}
	}
	gh.Handle("GET /user", pt.Reply(200, githubFixture(t, "rest-get-user.json"), "X-OAuth-Scopes", "repo, admin:repo_hook"))
	out = mustRunCLI(t, env, "", "provider", "validate", "acme-gh")
	if !strings.Contains(out, "✓ valid, checked") || strings.Contains(out, "Missing") {
		t.Errorf("validate printed:\n%s", out)
	}
	var p ferry.Provider
	if err := json.Unmarshal([]byte(mustRunCLI(t, env, "", "provider", "get", "acme-gh", "--json")), &p); err != nil || !p.Status.Valid {
		t.Errorf("get --json: %+v, %v", p, err)
	}
	if out := mustRunCLI(t, env, "", "provider", "list"); !strings.Contains(out, "valid") || strings.Contains(out, "unchecked") {
		t.Errorf("list printed:\n%s", out)
	}

	out = mustRunCLI(t, env, "", "provider", "repos", "acme-gh", "--refresh")
	if !strings.Contains(out, "Hello-World") || !strings.Contains(out, "master") || !strings.Contains(out, "https://github.com/octocat/Hello-World.git") ||
		!strings.Contains(out, "1 repositories, fetched") {
		t.Errorf("repos printed:\n%s", out)
	}
	var l ferry.RepositoryList
	if err := json.Unmarshal([]byte(mustRunCLI(t, env, "", "provider", "repos", "acme-gh", "--json")), &l); err != nil || len(l.Repositories) != 1 {
		t.Errorf("repos --json: %+v, %v", l, err)
	}

	out = mustRunCLI(t, env, "", "provider", "create-repo", "acme-gh", "payments-config", "--private")
	if !strings.Contains(out, "Created repository octocat/Hello-World.") || !strings.Contains(out, "git@github.com:octocat/Hello-World.git") {
		t.Errorf("create-repo printed:\n%s", out)
	}
	pt.WantBody(t, gh.Last(), map[string]any{"name": "payments-config", "private": true})

	wantFailure(t, runCLI(t, env, "", "provider", "create", "x", "--kind", "svn", "--owner", "o", "--credential", "gh-pat"), ferry.EINVALID, `"svn" is not one of`)
	wantFailure(t, runCLI(t, env, "", "provider", "create-repo", "acme-gh", "bad/name"), ferry.EINVALID, "Repository name")
	wantFailure(t, runCLI(t, env, "", "cred", "rm", "gh-pat"), ferry.ECONFLICT, "provider acme-gh")
	if out := mustRunCLI(t, env, "", "provider", "rm", "acme-gh"); out != "Deleted provider acme-gh.\n" {
		t.Errorf("rm printed %q", out)
	}
	wantFailure(t, runCLI(t, env, "", "provider", "get", "acme-gh"), ferry.ENOTFOUND, "does not exist")
	for _, r := range gh.Requests() {
		if r.Header.Get("Authorization") != "Bearer ghp_cli_secret_91" {
			t.Errorf("%s %s: Authorization = %q", r.Method, r.Path, r.Header.Get("Authorization"))
		}
	}
}

func TestGitHubAppCredentialCommand(t *testing.T) {
	env := startAPIServer(t)
	keyFile := filepath.Join(t.TempDir(), "app.pem")
	if err := os.WriteFile(keyFile, rsaPEM(t), 0o600); err != nil {
		t.Fatal(err)
	}
	out := mustRunCLI(t, env, "", "cred", "create", "gh-app", "--github-app", "--app-id", "12345", "--installation-id", "678", "--import-key", keyFile)
	if !strings.HasPrefix(out, "Created github-app credential gh-app.") || strings.Contains(out, "PRIVATE KEY") {
		t.Errorf("create printed:\n%s", out)
	}
	out = mustRunCLI(t, env, "", "cred", "get", "gh-app")
	for _, want := range []string{"App ID:", "12345", "Installation ID:", "678", "Key fingerprint:", "SHA256:"} {
		if !strings.Contains(out, want) {
			t.Errorf("get printed no %q:\n%s", want, out)
		}
	}
	if out := mustRunCLI(t, env, "", "cred", "list"); !strings.Contains(out, "app 12345 installation 678 SHA256:") {
		t.Errorf("list printed:\n%s", out)
	}
	wantFailure(t, runCLI(t, env, "", "cred", "create", "x", "--app-id", "1"), "", "--app-id and --installation-id go with --github-app")
	wantFailure(t, runCLI(t, env, "", "cred", "create", "y", "--github-app", "--app-id", "1", "--import-key", keyFile), ferry.EINVALID, "installation_id")
	wantFailure(t, runCLI(t, env, "", "cred", "rotate", "gh-app"), ferry.EINVALID, "only GitHub makes")
	// A new key from the App's settings replaces the old one.
	if err := os.WriteFile(keyFile, rsaPEM(t), 0o600); err != nil {
		t.Fatal(err)
	}
	before := out
	mustRunCLI(t, env, "", "cred", "update", "gh-app", "--import-key", keyFile)
	if after := mustRunCLI(t, env, "", "cred", "list"); after == before {
		t.Error("the fingerprint did not change with the new key")
	}
}

// rsaPEM returns a new 2048-bit RSA private key, PKCS #1 PEM, as GitHub hands App keys out.
func rsaPEM(t *testing.T) []byte {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
}
