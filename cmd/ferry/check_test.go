package main

import (
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/ferrygit/ferry/git/gittest"
)

// checkServer runs 'ferry serve' that may reach loopback remotes, over plain HTTP too.
func checkServer(t *testing.T) (cliEnv, *runningServer) {
	t.Helper()
	const token = "check-test-admin-token-0123"
	srv := startServe(t, cliEnv{"FERRY_ADMIN_TOKEN": token, "FERRY_ALLOW_HOSTS": "127.0.0.1", "FERRY_ALLOW_INSECURE_HTTP": "true"},
		"--data-dir", t.TempDir())
	return cliEnv{"FERRY_URL": srv.url, "FERRY_TOKEN": token}, srv
}

// checkOutput runs 'ferry check' and returns what it printed, failing unless it failed
// exactly when wantOK is false.
func checkOutput(t *testing.T, env cliEnv, wantOK bool, args ...string) string {
	t.Helper()
	r := runCLI(t, env, "", append([]string{"check"}, args...)...)
	if (r.err == nil) != wantOK {
		t.Fatalf("ferry check %s: err = %v, want ok=%v\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.err, wantOK, r.stdout, r.stderr)
	}
	return r.stdout
}

var fingerprintRE = regexp.MustCompile(`SHA256:[A-Za-z0-9+/]{43}`)

// TestCheckOverSSH walks the flow a user follows: generate a key, give its public half to
// the Git host, check, trust the host key the check reports, check again.
func TestCheckOverSSH(t *testing.T) {
	env, srv := checkServer(t)
	out := mustRunCLI(t, env, "", "cred", "create", "deploy", "--generate", "ed25519")
	line := regexp.MustCompile(`ssh-ed25519 [A-Za-z0-9+/=]+`).FindString(out)
	pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(line))
	if err != nil {
		t.Fatalf("cred create printed no public key: %v\n%s", err, out)
	}
	repo := gittest.NewRepo(t, map[string]string{"services/a.yaml": "a: 1\n"})
	host := gittest.NewSSHServer(t, repo.Root, pub)
	url := host.URL(repo.Name)

	out = checkOutput(t, env, false, url, "--credential", "deploy")
	fp := ssh.FingerprintSHA256(host.HostKey)
	if !strings.Contains(out, "host_key_unknown") || !strings.Contains(out, fp) || !strings.Contains(out, "NOT pinned") {
		t.Fatalf("first check should report the unknown host key %s:\n%s", fp, out)
	}
	mustRunCLI(t, env, "", "known-hosts", "trust", host.Addr, fp)

	out = checkOutput(t, env, true, url, "--credential", "deploy")
	if !strings.Contains(out, "ok: ") || !strings.Contains(out, repo.Head()) || !strings.Contains(out, "default branch main") {
		t.Fatalf("check after trust:\n%s", out)
	}
	out = checkOutput(t, env, false, url, "--credential", "deploy", "--ref", "release")
	if !strings.Contains(out, "ref_not_found") || !strings.Contains(out, "main") {
		t.Fatalf("missing ref:\n%s", out)
	}
	out = checkOutput(t, env, false, host.URL("nope.git"), "--credential", "deploy")
	if !strings.Contains(out, "repo_not_found") {
		t.Fatalf("missing repository:\n%s", out)
	}
	// Another key, not the one the server accepts.
	mustRunCLI(t, env, "", "cred", "create", "other", "--generate", "ed25519")
	out = checkOutput(t, env, false, url, "--credential", "other")
	if !strings.Contains(out, "auth_failed") {
		t.Fatalf("a key the server does not accept:\n%s", out)
	}
	// A server at another port presenting a key other than the one pinned for it.
	impostor := gittest.NewSSHServer(t, repo.Root, pub)
	mustRunCLI(t, env, "", "known-hosts", "add", impostor.Addr, strings.TrimSpace(string(ssh.MarshalAuthorizedKey(host.HostKey))))
	out = checkOutput(t, env, false, impostor.URL(repo.Name), "--credential", "deploy")
	if !strings.Contains(out, "host_key_mismatch") || !strings.Contains(out, ssh.FingerprintSHA256(impostor.HostKey)) {
		t.Fatalf("a changed host key:\n%s", out)
	}
	assertNoSecrets(t, srv.stderr.String())
}

func TestCheckOverHTTP(t *testing.T) {
	env, srv := checkServer(t)
	repo := gittest.NewRepo(t, map[string]string{"a": "1"})
	const password = "correct-horse-battery-staple"
	web := gittest.NewHTTPServer(t, repo.Root, gittest.HTTPOptions{Username: "alice", Password: password})
	url := web.RepoURL(repo.Name)

	pw := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pw, []byte(password), 0o600)
	mustRunCLI(t, env, "", "cred", "create", "alice", "--basic", "--username", "alice", "--password-file", pw)
	mustRunCLI(t, env, "wrong-password", "cred", "create", "mallory", "--basic", "--username", "alice", "--password-file", "-")
	mustRunCLI(t, env, password, "cred", "create", "pat", "--token-file", "-", "--username", "alice")

	for _, cred := range []string{"alice", "pat"} {
		out := checkOutput(t, env, true, url, "--credential", cred)
		if !strings.Contains(out, repo.Head()) {
			t.Fatalf("check with %s:\n%s", cred, out)
		}
	}
	for _, args := range [][]string{{url, "--credential", "mallory"}, {url}} {
		if out := checkOutput(t, env, false, args...); !strings.Contains(out, "auth_failed") {
			t.Fatalf("check %v:\n%s", args, out)
		}
	}
	out := checkOutput(t, env, true, url, "--credential", "alice", "--json")
	for _, want := range []string{`"reachable": true`, `"authenticated": true`, `"ref_exists": true`, `"head_commit": "` + repo.Head()} {
		if !strings.Contains(out, want) {
			t.Fatalf("JSON result lacks %s:\n%s", want, out)
		}
	}
	// Unknown credential and malformed ref are errors of the request, not findings.
	if r := runCLI(t, env, "", "check", url, "--credential", "nobody"); r.err == nil || !strings.Contains(r.err.Error(), "(not_found)") {
		t.Fatalf("unknown credential: %v", r.err)
	}
	if r := runCLI(t, env, "", "check", url, "--ref", "bad..ref"); r.err == nil || !strings.Contains(r.err.Error(), "(invalid)") {
		t.Fatalf("malformed ref: %v", r.err)
	}
	assertNoSecrets(t, srv.stderr.String(), password)
}

func TestCheckRefusals(t *testing.T) {
	env, _ := checkServer(t)
	repo := gittest.NewRepo(t, map[string]string{"a": "1"})
	redirect := gittest.NewHTTPServer(t, repo.Root, gittest.HTTPOptions{RedirectTo: "http://169.254.169.254"})
	closed := closedPort(t)
	for _, tc := range []struct{ url, reason string }{
		{"file:///etc", "url_not_allowed"},
		{"ext::sh -c touch% /tmp/pwned", "url_not_allowed"},
		{"https://user:secret@github.com/acme/repo.git", "url_not_allowed"},
		{"http://169.254.169.254/latest/meta-data", "url_not_allowed"},
		{redirect.RepoURL(repo.Name), "url_not_allowed"},
		{"http://" + closed + "/repo.git", "unreachable"},
		{"ssh://git@" + closed + "/repo.git", "unreachable"},
	} {
		out := checkOutput(t, env, false, tc.url)
		if !strings.HasPrefix(out, tc.reason+":") {
			t.Errorf("check %s: want %s, got:\n%s", tc.url, tc.reason, out)
		}
		if strings.Contains(out, "secret@") {
			t.Errorf("check %s shows the password:\n%s", tc.url, out)
		}
	}

	// Without --allow-hosts, loopback remotes are refused.
	const token = "check-test-admin-token-0123"
	strict := startServe(t, cliEnv{"FERRY_ADMIN_TOKEN": token}, "--data-dir", t.TempDir())
	web := gittest.NewHTTPServer(t, repo.Root, gittest.HTTPOptions{})
	out := checkOutput(t, cliEnv{"FERRY_URL": strict.url, "FERRY_TOKEN": token}, false, strings.Replace(web.RepoURL(repo.Name), "http://", "https://", 1))
	if !strings.HasPrefix(out, "url_not_allowed:") {
		t.Fatalf("loopback without --allow-hosts:\n%s", out)
	}
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// assertNoSecrets fails if the log shows a private key or any of the given secrets.
func assertNoSecrets(t *testing.T, log string, secrets ...string) {
	t.Helper()
	for _, s := range append(secrets, "PRIVATE KEY", "b3BlbnNzaC1rZXktdjE") {
		if strings.Contains(log, s) {
			t.Fatalf("the server log shows %q", s)
		}
	}
}
