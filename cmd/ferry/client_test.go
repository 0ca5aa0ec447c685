package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferrygit/ferry"
	ferryhttp "github.com/ferrygit/ferry/http"
	"github.com/ferrygit/ferry/secretbox"
	"github.com/ferrygit/ferry/sqlstore"
)

// cliToken is the admin token of the CLI tests' server.
const cliToken = "cli-test-admin-token-42"

// cliEnv is the environment of a CLI run.
type cliEnv map[string]string

// startAPIServer runs a real API server over SQLite on 127.0.0.1 and returns the
// environment that points the CLI at it.
func startAPIServer(t *testing.T) cliEnv {
	t.Helper()
	box, err := secretbox.New(bytes.Repeat([]byte{0x17}, secretbox.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlstore.Open(context.Background(), sqlstore.Config{DataDir: t.TempDir(), Sealer: box})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s := ferryhttp.NewServer()
	s.Namespaces, s.Files, s.Ready = db, db, db.Ping
	s.Credentials, s.KnownHosts = db, db
	s.ScanHostKeys = hostKeyScanner(ferry.URLPolicy{AllowHosts: []string{"127.0.0.1"}})
	s.AdminTokenHash = sha256.Sum256([]byte(cliToken))
	s.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
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

// cliResult is what one CLI run printed and returned.
type cliResult struct {
	stdout, stderr string
	err            error
}

// runCLI runs the real Main with args, stdin and env.
func runCLI(t *testing.T, env cliEnv, stdin string, args ...string) cliResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	m := &Main{
		Stdin:  strings.NewReader(stdin),
		Stdout: &stdout,
		Stderr: &stderr,
		Getenv: func(k string) string { return env[k] },
	}
	err := m.Run(context.Background(), args)
	return cliResult{stdout: stdout.String(), stderr: stderr.String(), err: err}
}

// mustRunCLI runs the CLI and fails the test if it returns an error.
func mustRunCLI(t *testing.T, env cliEnv, stdin string, args ...string) string {
	t.Helper()
	r := runCLI(t, env, stdin, args...)
	if r.err != nil {
		t.Fatalf("ferry %s: %v\nstderr: %s", strings.Join(args, " "), r.err, r.stderr)
	}
	return r.stdout
}

// wantFailure checks that a run failed with an error whose text contains each fragment and,
// when code is set, carries that API error code.
func wantFailure(t *testing.T, r cliResult, code string, fragments ...string) {
	t.Helper()
	if r.err == nil {
		t.Fatalf("no error; stdout: %s", r.stdout)
	}
	if code != "" && ferry.ErrorCode(r.err) != code {
		t.Errorf("code = %q, want %q (err: %v)", ferry.ErrorCode(r.err), code, r.err)
	}
	for _, f := range fragments {
		if !strings.Contains(r.err.Error(), f) {
			t.Errorf("error %q does not contain %q", r.err, f)
		}
	}
}

func TestClientNeedsToken(t *testing.T) {
	env := startAPIServer(t)
	delete(env, "FERRY_TOKEN")
	for _, args := range [][]string{{"ns", "list"}, {"ns", "create", "dev"}, {"file", "get", "dev", "a"}} {
		r := runCLI(t, env, "", args...)
		if !errors.Is(r.err, errNoToken) {
			t.Errorf("ferry %v: err = %v, want the missing-token error", args, r.err)
		}
		for _, want := range []string{"FERRY_TOKEN", "server log", "FERRY_ADMIN_TOKEN"} {
			if r.err != nil && !strings.Contains(r.err.Error(), want) {
				t.Errorf("error %q does not mention %s", r.err, want)
			}
		}
	}
}

func TestClientWrongToken(t *testing.T) {
	env := startAPIServer(t)
	env["FERRY_TOKEN"] = "wrong-token"
	r := runCLI(t, env, "", "ns", "list")
	wantFailure(t, r, ferry.EUNAUTHORIZED, "(unauthorized)")
	if strings.Contains(r.err.Error(), "wrong-token") {
		t.Errorf("error echoes the token: %v", r.err)
	}
}

func TestClientCannotReachServer(t *testing.T) {
	r := runCLI(t, cliEnv{"FERRY_URL": "http://127.0.0.1:1", "FERRY_TOKEN": cliToken}, "", "ns", "list")
	wantFailure(t, r, "", "cannot reach")
	if strings.Contains(r.err.Error(), cliToken) {
		t.Errorf("error contains the token: %v", r.err)
	}
}

func TestUsageErrors(t *testing.T) {
	env := startAPIServer(t)
	tests := []struct {
		args   []string
		stderr string
	}{
		{[]string{"ns"}, "Usage: ferry ns"},
		{[]string{"ns", "frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"ns", "create"}, "expected 1 argument, got 0"},
		{[]string{"ns", "create", "a", "b"}, "expected 1 argument, got 2"},
		{[]string{"file", "put", "dev"}, "expected 2 to 3 arguments"},
		{[]string{"file", "get", "dev", "a", "--revision", "x"}, "invalid value"},
		{[]string{"file", "ls", "dev", "--nope"}, "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := runCLI(t, env, "", tt.args...)
			if r.err != errUsage {
				t.Errorf("err = %v, want errUsage", r.err)
			}
			if !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, r.stderr)
			}
		})
	}
	r := runCLI(t, env, "", "file", "put", "-h")
	if r.err != nil || !strings.Contains(r.stderr, "-message") {
		t.Errorf("file put -h: err %v, stderr:\n%s", r.err, r.stderr)
	}
}

// writeTemp writes content to a file in a temporary directory and returns its name.
func writeTemp(t *testing.T, content string) string {
	t.Helper()
	name := filepath.Join(t.TempDir(), "content")
	if err := os.WriteFile(name, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return name
}
