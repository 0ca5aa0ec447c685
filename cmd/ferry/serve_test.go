package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the server's goroutines and the test to share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// runningServer is a real 'ferry serve' started through Main.Run.
type runningServer struct {
	url    string
	stderr *syncBuffer
	stop   func() error
}

var servingURL = regexp.MustCompile(`msg=serving url=(\S+)|"msg":"serving","url":"([^"]+)"`)

// startServe runs 'ferry serve args…' with env until the test ends or stop is called.
func startServe(t *testing.T, env cliEnv, args ...string) *runningServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stderr := &syncBuffer{}
	m := &Main{Stdin: strings.NewReader(""), Stdout: stderr, Stderr: stderr, Getenv: func(k string) string { return env[k] }}
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx, append([]string{"serve", "--listen", "127.0.0.1:0"}, args...)) }()
	var once sync.Once
	var result error
	stop := func() error {
		once.Do(func() { cancel(); result = <-done })
		return result
	}
	t.Cleanup(func() { stop() })
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if m := servingURL.FindStringSubmatch(stderr.String()); m != nil {
			return &runningServer{url: m[1] + m[2], stderr: stderr, stop: stop}
		}
		select {
		case err := <-done:
			t.Fatalf("ferry serve ended early: %v\n%s", err, stderr)
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatalf("ferry serve did not start:\n%s", stderr)
	return nil
}

var printedToken = regexp.MustCompile(`\bfy_[A-Za-z0-9_-]{43}\b`)

func TestServeGeneratesAdminTokenOnce(t *testing.T) {
	dir := t.TempDir()
	srv := startServe(t, cliEnv{}, "--data-dir", dir)
	tokens := printedToken.FindAllString(srv.stderr.String(), -1)
	if len(tokens) != 1 {
		t.Fatalf("want the generated token printed once, got %d:\n%s", len(tokens), srv.stderr)
	}
	env := cliEnv{"FERRY_URL": srv.url, "FERRY_TOKEN": tokens[0]}
	mustRunCLI(t, env, "", "ns", "create", "dev")
	bad := runCLI(t, cliEnv{"FERRY_URL": srv.url, "FERRY_TOKEN": "fy_wrong"}, "", "ns", "list")
	if bad.err == nil || !strings.Contains(bad.err.Error(), "(unauthorized)") {
		t.Fatalf("wrong token: %v", bad.err)
	}
	if err := srv.stop(); err != nil {
		t.Fatalf("serve returned %v after shutdown", err)
	}
	if !strings.Contains(srv.stderr.String(), "shutting down") {
		t.Fatalf("no orderly shutdown logged:\n%s", srv.stderr)
	}

	// A restart on the same data keeps the token and prints none.
	srv = startServe(t, cliEnv{}, "--data-dir", dir)
	if printedToken.MatchString(srv.stderr.String()) {
		t.Fatalf("a restart printed a token:\n%s", srv.stderr)
	}
	env["FERRY_URL"] = srv.url
	if out := mustRunCLI(t, env, "", "ns", "list"); !strings.Contains(out, "dev") {
		t.Fatalf("after restart, ns list = %q", out)
	}
}

func TestServeConfiguredToken(t *testing.T) {
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("from-a-file-0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		env   cliEnv
		args  []string
		token string
	}{
		"env":       {cliEnv{"FERRY_ADMIN_TOKEN": "from-the-env-0123456789"}, nil, "from-the-env-0123456789"},
		"env file":  {cliEnv{"FERRY_ADMIN_TOKEN_FILE": tokenFile}, nil, "from-a-file-0123456789"},
		"flag file": {cliEnv{}, []string{"--admin-token-file", tokenFile}, "from-a-file-0123456789"},
	} {
		t.Run(name, func(t *testing.T) {
			tc.env["FERRY_ADMIN_PASSWORD"] = "a-configured-admin-password"
			srv := startServe(t, tc.env, append([]string{"--data-dir", t.TempDir(), "--log-format", "json"}, tc.args...)...)
			log := srv.stderr.String()
			if printedToken.MatchString(log) || strings.Contains(log, tc.token) || strings.Contains(log, "a-configured-admin-password") {
				t.Fatalf("the log shows a token:\n%s", log)
			}
			for _, line := range strings.Split(strings.TrimSpace(log), "\n") {
				if !json.Valid([]byte(line)) {
					t.Fatalf("log line is not JSON: %q", line)
				}
			}
			mustRunCLI(t, cliEnv{"FERRY_URL": srv.url, "FERRY_TOKEN": tc.token}, "", "ns", "create", "dev")
		})
	}
}

func TestServeRejectsBadConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  cliEnv
		args []string
		want string
	}{
		{"listen", nil, []string{"--listen", "nonsense"}, "--listen"},
		{"log format", nil, []string{"--log-format", "xml"}, "--log-format"},
		{"log level", cliEnv{"FERRY_LOG_LEVEL": "loud"}, nil, "--log-level"},
		{"max file size", nil, []string{"--max-file-size", "10XB"}, "--max-file-size"},
		{"max file size zero", nil, []string{"--max-file-size", "0"}, "--max-file-size"},
		{"database url", cliEnv{"FERRY_DATABASE_URL": "mysql://root@localhost/ferry"}, nil, "--database-url"},
		{"short admin token", cliEnv{"FERRY_ADMIN_TOKEN": "short"}, nil, "--admin-token"},
		{"shutdown timeout", nil, []string{"--shutdown-timeout", "-1s"}, "--shutdown-timeout"},
		{"token file", nil, []string{"--admin-token-file", "/nonexistent/token"}, "admin-token-file"},
		{"argument", nil, []string{"extra"}, "no arguments"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"serve", "--data-dir", t.TempDir()}, tc.args...)
			r := runCLI(t, tc.env, "", args...)
			if r.err == nil || !strings.Contains(r.err.Error(), tc.want) {
				t.Fatalf("err = %v, want one naming %q", r.err, tc.want)
			}
		})
	}
}

// TestServeHidesDatabasePassword starts against a PostgreSQL URL that cannot connect and
// checks that neither the error nor the log shows its password.
func TestServeHidesDatabasePassword(t *testing.T) {
	var stderr bytes.Buffer
	m := &Main{Stdout: &stderr, Stderr: &stderr, Getenv: func(k string) string {
		if k == "FERRY_DATABASE_URL" {
			return "postgres://ferry:s3cretpw@127.0.0.1:1/ferry?connect_timeout=2"
		}
		return ""
	}}
	err := m.Run(context.Background(), []string{"serve", "--listen", "127.0.0.1:0", "--data-dir", t.TempDir()})
	if err == nil {
		t.Fatal("serve against a closed port succeeded")
	}
	if all := err.Error() + stderr.String(); strings.Contains(all, "s3cretpw") {
		t.Fatalf("password shown:\n%s", all)
	}
	if !strings.Contains(stderr.String(), "ferry:xxxxx@127.0.0.1:1") {
		t.Fatalf("the redacted database URL is not logged:\n%s", stderr.String())
	}
}

func TestServePostgres(t *testing.T) {
	url := os.Getenv("FERRY_TEST_POSTGRES_URL")
	if url == "" {
		t.Skip("FERRY_TEST_POSTGRES_URL is not set")
	}
	srv := startServe(t, cliEnv{"FERRY_DATABASE_URL": pgSchemaURL(t, url), "FERRY_ADMIN_TOKEN": "postgres-test-token-0123"}, "--data-dir", t.TempDir())
	env := cliEnv{"FERRY_URL": srv.url, "FERRY_TOKEN": "postgres-test-token-0123"}
	name := "pg-" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-"))[:10] + "-" + time.Now().Format("150405")
	mustRunCLI(t, env, "", "ns", "create", name)
	mustRunCLI(t, env, "", "ns", "delete", name)
	if !strings.Contains(srv.stderr.String(), "dialect=postgres") {
		t.Fatalf("not on PostgreSQL:\n%s", srv.stderr)
	}
}
