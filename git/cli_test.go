package git

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/git/gittest"
)

// TestCLIStderrClassification runs the git CLI (and OpenSSH) against real servers in the
// failure cases that in-process discovery normally catches first, and checks that their
// stderr is classified the same way.
func TestCLIStderrClassification(t *testing.T) {
	r := newRemote(t, testFiles)
	e, _ := newEngine(t, Config{Policy: loopback})
	other := gittest.NewEd25519Key(t)
	closed := closedAddr(t)
	loop := net.ParseIP("127.0.0.1")
	tests := []struct {
		name   string
		url    string
		auth   *ferry.GitAuth
		reason string
	}{
		{"http ok", r.http.RepoURL(r.repo.Name), r.httpAuth, ""},
		{"ssh ok", r.ssh.URL(r.repo.Name), r.sshAuth, ""},
		{"http wrong password", r.http.RepoURL(r.repo.Name), &ferry.GitAuth{Username: "ferry", Password: "nope-nope"}, ferry.ReasonAuthFailed},
		{"http no credential", r.http.RepoURL(r.repo.Name), nil, ferry.ReasonAuthFailed},
		{"http missing repository", r.http.RepoURL("missing.git"), r.httpAuth, ferry.ReasonRepoNotFound},
		{"http closed port", "http://" + closed + "/repo.git", nil, ferry.ReasonUnreachable},
		{"ssh closed port", "ssh://git@" + closed + "/repo.git", r.sshAuth, ferry.ReasonUnreachable},
		{"ssh unknown host key", r.ssh.URL(r.repo.Name), &ferry.GitAuth{PrivateKey: r.key.PEM}, ferry.ReasonHostKeyUnknown},
		{"ssh changed host key", r.ssh.URL(r.repo.Name), &ferry.GitAuth{PrivateKey: r.key.PEM, KnownHosts: []string{gittest.KnownHostsLine(r.ssh.Addr, other.Public)}}, ferry.ReasonHostKeyMismatch},
		{"ssh wrong key", r.ssh.URL(r.repo.Name), &ferry.GitAuth{PrivateKey: other.PEM, KnownHosts: r.sshAuth.KnownHosts}, ferry.ReasonAuthFailed},
		{"ssh no key", r.ssh.URL(r.repo.Name), &ferry.GitAuth{KnownHosts: r.sshAuth.KnownHosts}, ferry.ReasonAuthFailed},
		{"ssh missing repository", r.ssh.URL("missing.git"), r.sshAuth, ferry.ReasonRepoNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			remote, err := e.cliRemote(&target{url: mustParse(t, tt.url), ip: loop}, tt.auth)
			if err != nil {
				t.Fatal(err)
			}
			defer remote.cleanup()
			args := append(remote.args, "ls-remote", "--", remote.url)
			_, err = e.run.run(testContext(t), &gitCmd{dir: t.TempDir(), args: args, env: remote.env, redact: remote.redact})
			if got := reason(classifyRun(err)); got != tt.reason {
				t.Errorf("reason = %q, want %q; git said: %v", got, tt.reason, err)
			}
		})
	}
	t.Run("missing ref", func(t *testing.T) {
		remote, err := e.cliRemote(&target{url: r.httpURL, ip: loop}, r.httpAuth)
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		gittest.Git(t, dir, "init", "-q", "--bare", "c.git")
		args := append(remote.args, "fetch", remote.url, "refs/heads/nope")
		_, err = e.run.run(testContext(t), &gitCmd{dir: filepath.Join(dir, "c.git"), args: args, env: remote.env, redact: remote.redact})
		if got := reason(classifyRun(err)); got != ferry.ReasonRefNotFound {
			t.Errorf("reason = %q; git said: %v", got, err)
		}
	})
}

// TestCLISecretFiles checks that SSH secrets reach git as 0600 files in a private
// directory that cleanup removes, and HTTP secrets only through the environment.
func TestCLISecretFiles(t *testing.T) {
	e, _ := newEngine(t, Config{Policy: loopback})
	key := gittest.NewEd25519Key(t)
	u := mustParse(t, "ssh://git@127.0.0.1:2222/repo.git")
	remote, err := e.cliRemote(&target{url: u, ip: net.ParseIP("127.0.0.1")}, &ferry.GitAuth{PrivateKey: key.PEM})
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(e.tmp)
	if len(entries) != 1 {
		t.Fatalf("%d temporary directories, want 1", len(entries))
	}
	dir := filepath.Join(e.tmp, entries[0].Name())
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
		t.Errorf("secret directory mode %v", fi.Mode().Perm())
	}
	for _, name := range []string{"id", "known_hosts"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, mode %v", name, err, fi.Mode())
		}
	}
	for _, a := range append(remote.args, remote.url) {
		if strings.Contains(a, "PRIVATE KEY") {
			t.Error("the key is in argv")
		}
	}
	if !strings.Contains(remote.env[0], "HostKeyAlias='[127.0.0.1]:2222'") || !strings.Contains(remote.env[0], "StrictHostKeyChecking=yes") {
		t.Errorf("GIT_SSH_COMMAND = %q", remote.env[0])
	}
	remote.cleanup()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the secret directory survived cleanup: %v", err)
	}

	httpRemote, err := e.cliRemote(&target{url: mustParse(t, "https://git.example.com/r.git"), ip: net.ParseIP("203.0.113.9")}, &ferry.GitAuth{Username: "u", Password: "tok-123456"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(httpRemote.args, " ") != "-c http.curloptResolve=git.example.com:443:203.0.113.9" {
		t.Errorf("args = %q", httpRemote.args)
	}
	if strings.Contains(strings.Join(httpRemote.args, " ")+httpRemote.url, "tok-123456") {
		t.Error("the token is in argv")
	}
}
