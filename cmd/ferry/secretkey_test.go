package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/sshkey/sshtest"
)

const serveToken = "serve-secret-test-token-01"

func TestServeGeneratesSecretKeyFile(t *testing.T) {
	dir := t.TempDir()
	srv := startServe(t, cliEnv{"FERRY_ADMIN_TOKEN": serveToken}, "--data-dir", dir)
	path := filepath.Join(dir, "secret.key")
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Fatalf("secret.key has mode %04o, want 0600", perm)
	}
	key, _ := os.ReadFile(path)
	env := cliEnv{"FERRY_URL": srv.url, "FERRY_TOKEN": serveToken}
	mustRunCLI(t, env, "tok-in-serve-12", "cred", "create", "ci", "--token-file", "-")

	// The URL policy of ferry serve keeps trust on first use off loopback.
	ssh := sshtest.NewServer(t)
	wantFailure(t, runCLI(t, env, "", "known-hosts", "trust", ssh.Addr, sshtest.Fingerprint(ssh.HostKeys[0])), ferry.EINVALID, "--allow-hosts")
	if err := srv.stop(); err != nil {
		t.Fatal(err)
	}
	log := srv.stderr.String()
	if !strings.Contains(log, "generated a new secret key") || strings.Contains(log, strings.TrimSpace(string(key))) || strings.Contains(log, "tok-in-serve-12") {
		t.Fatalf("first start's log:\n%s", log)
	}

	// A restart reads the same key and the credential is still there.
	srv = startServe(t, cliEnv{"FERRY_ADMIN_TOKEN": serveToken}, "--data-dir", dir)
	env["FERRY_URL"] = srv.url
	mustRunCLI(t, env, "", "cred", "get", "ci")
	if strings.Contains(srv.stderr.String(), "generated a new secret key") {
		t.Fatalf("a restart generated a key:\n%s", srv.stderr)
	}
	if again, _ := os.ReadFile(path); !bytes.Equal(again, key) {
		t.Fatal("a restart rewrote the key file")
	}
	srv.stop()

	// A key file others may read is refused.
	os.Chmod(path, 0o644)
	r := runCLI(t, cliEnv{"FERRY_ADMIN_TOKEN": serveToken}, "", "serve", "--listen", "127.0.0.1:0", "--data-dir", dir)
	if r.err == nil || !strings.Contains(r.err.Error(), "chmod 600") {
		t.Fatalf("a readable key file: %v", r.err)
	}
}

func TestServeRefusesWrongSecretKey(t *testing.T) {
	dir := t.TempDir()
	keyA := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xa}, 32))
	keyB := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xb}, 32))
	srv := startServe(t, cliEnv{"FERRY_ADMIN_TOKEN": serveToken, "FERRY_SECRET_KEY": keyA}, "--data-dir", dir)
	mustRunCLI(t, cliEnv{"FERRY_URL": srv.url, "FERRY_TOKEN": serveToken}, "", "cred", "create", "deploy", "--generate", "ed25519")
	if err := srv.stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "secret.key")); !os.IsNotExist(err) {
		t.Errorf("a key file was generated although FERRY_SECRET_KEY is set: %v", err)
	}

	keyFile := writeTemp(t, keyB+"\n")
	for name, env := range map[string]cliEnv{
		"env":  {"FERRY_SECRET_KEY": keyB},
		"file": {"FERRY_SECRET_KEY_FILE": keyFile},
		"none": {}, // a new generated key file is not the key either
	} {
		t.Run(name, func(t *testing.T) {
			env["FERRY_ADMIN_TOKEN"] = serveToken
			r := runCLI(t, env, "", "serve", "--listen", "127.0.0.1:0", "--data-dir", dir)
			if r.err == nil || !strings.Contains(r.err.Error(), "wrong secret key") || !strings.Contains(r.err.Error(), "original key") {
				t.Fatalf("serve with another key: %v", r.err)
			}
			if strings.Contains(r.err.Error()+r.stderr, keyB) {
				t.Error("the key is shown")
			}
			os.Remove(filepath.Join(dir, "secret.key"))
		})
	}
	// The right key still works.
	srv = startServe(t, cliEnv{"FERRY_ADMIN_TOKEN": serveToken, "FERRY_SECRET_KEY": keyA}, "--data-dir", dir)
	mustRunCLI(t, cliEnv{"FERRY_URL": srv.url, "FERRY_TOKEN": serveToken}, "", "cred", "rotate", "deploy")
}

func TestServeRejectsBadSecretKeyConfig(t *testing.T) {
	file := writeTemp(t, base64.StdEncoding.EncodeToString(make([]byte, 32)))
	for _, tc := range []struct {
		name string
		env  cliEnv
		args []string
		want string
	}{
		{"not a key", cliEnv{"FERRY_SECRET_KEY": "not-a-key-value"}, nil, "FERRY_SECRET_KEY"},
		{"short key", cliEnv{"FERRY_SECRET_KEY": base64.StdEncoding.EncodeToString(make([]byte, 16))}, nil, "decodes to 16 bytes"},
		{"both", cliEnv{"FERRY_SECRET_KEY": base64.StdEncoding.EncodeToString(make([]byte, 32))}, []string{"--secret-key-file", file}, "set only one"},
		{"missing file", nil, []string{"--secret-key-file", "/nonexistent/key"}, "secret key file"},
		{"no value flag", nil, []string{"--secret-key", "x"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, tc.env, "", append([]string{"serve", "--listen", "127.0.0.1:0", "--data-dir", t.TempDir()}, tc.args...)...)
			if r.err == nil || !strings.Contains(r.err.Error(), tc.want) {
				t.Fatalf("err = %v, want one naming %q", r.err, tc.want)
			}
			if strings.Contains(r.err.Error(), "not-a-key-value") {
				t.Errorf("the error shows the value: %v", r.err)
			}
		})
	}
}

// pgSchemaURL returns base with its search_path set to a new schema, dropped when the test
// ends, so that a server's settings (such as its secret key check) start afresh.
func pgSchemaURL(t *testing.T, base string) string {
	t.Helper()
	ctx := context.Background()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	b := make([]byte, 6)
	rand.Read(b)
	schema := "ferry_cli_test_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if admin, err := sql.Open("pgx", base); err == nil {
			admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			admin.Close()
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func TestServePostgresSecretKey(t *testing.T) {
	base := os.Getenv("FERRY_TEST_POSTGRES_URL")
	if base == "" {
		t.Skip("FERRY_TEST_POSTGRES_URL is not set")
	}
	dbURL := pgSchemaURL(t, base)
	keyA := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xc}, 32))
	srv := startServe(t, cliEnv{"FERRY_DATABASE_URL": dbURL, "FERRY_ADMIN_TOKEN": serveToken, "FERRY_SECRET_KEY": keyA}, "--data-dir", t.TempDir())
	mustRunCLI(t, cliEnv{"FERRY_URL": srv.url, "FERRY_TOKEN": serveToken}, "", "cred", "create", "deploy", "--generate", "ed25519")
	srv.stop()
	// A second server on the same database with its own generated key is refused.
	r := runCLI(t, cliEnv{"FERRY_DATABASE_URL": dbURL, "FERRY_ADMIN_TOKEN": serveToken}, "", "serve", "--listen", "127.0.0.1:0", "--data-dir", t.TempDir())
	if r.err == nil || !strings.Contains(r.err.Error(), "wrong secret key") || !strings.Contains(r.err.Error(), "same key") {
		t.Fatalf("another key on the same database: %v", r.err)
	}
}
