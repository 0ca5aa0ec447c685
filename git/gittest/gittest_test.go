package gittest

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

func TestRepo(t *testing.T) {
	r := NewRepo(t, map[string]string{"a.txt": "1", "d/b.txt": "2"})
	first := r.Head()
	second := r.Commit("two", map[string]string{"a.txt": "changed"}, "d/b.txt")
	if first == "" || second == first {
		t.Fatalf("commits %q %q", first, second)
	}
	if got := r.File(second, "a.txt"); got != "changed" {
		t.Errorf("a.txt = %q", got)
	}
	if out, _ := GitCmd(r.Dir, nil, "cat-file", "-e", second+":d/b.txt"); out != "" || r.Git("ls-tree", "-r", "--name-only", second) != "a.txt" {
		t.Error("d/b.txt was not removed")
	}
	r.Tag("v1", first, "annotated")
	r.Tag("v0", first, "")
	if r.Ref("refs/tags/v1") == first || r.Ref("refs/tags/v1^{commit}") != first || r.Ref("refs/tags/v0") != first {
		t.Error("tags are wrong")
	}
	r.SetRef("refs/heads/main", first)
	if r.Head() != first {
		t.Error("SetRef did not move main")
	}
}

func TestHTTPServerAuth(t *testing.T) {
	r := NewRepo(t, map[string]string{"a": "1"})
	s := NewHTTPServer(t, r.Root, HTTPOptions{Username: "u", Password: "p"})
	for _, tt := range []struct {
		user, pass string
		code       int
	}{{"u", "p", 200}, {"u", "x", 401}, {"", "", 401}} {
		req, _ := http.NewRequest("GET", s.RepoURL(r.Name)+"/info/refs?service=git-upload-pack", nil)
		if tt.user != "" {
			req.SetBasicAuth(tt.user, tt.pass)
		}
		resp, err := s.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.code {
			t.Errorf("%s:%s → %d, want %d", tt.user, tt.pass, resp.StatusCode, tt.code)
		}
	}
	if s.Requests() != 3 {
		t.Errorf("Requests() = %d", s.Requests())
	}
}

// sshRun runs command on the server and returns its exit status and stderr.
func sshRun(t *testing.T, s *SSHServer, key *Key, command string) (int, string) {
	t.Helper()
	client, err := ssh.Dial("tcp", s.Addr, &ssh.ClientConfig{User: "git", Auth: []ssh.AuthMethod{ssh.PublicKeys(key.Signer)}, HostKeyCallback: ssh.FixedHostKey(s.HostKey)})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	sess, err := client.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	var stderr strings.Builder
	sess.Stderr = &stderr
	sess.Stdin = strings.NewReader("0000")
	err = sess.Run(command)
	if exit, ok := err.(*ssh.ExitError); ok {
		return exit.ExitStatus(), stderr.String()
	}
	if err != nil {
		t.Fatalf("%s: %v", command, err)
	}
	return 0, stderr.String()
}

func TestSSHServer(t *testing.T) {
	r := NewRepo(t, map[string]string{"a": "1"})
	outside := t.TempDir()
	NewRepoIn(t, outside, "secret.git", map[string]string{"s": "secret"})
	if err := os.Symlink(outside, filepath.Join(r.Root, "link")); err != nil {
		t.Fatal(err)
	}
	key := NewEd25519Key(t)
	s := NewSSHServer(t, r.Root, key.Public)
	tests := []struct {
		command string
		status  int
	}{
		{"git-upload-pack '/repo.git'", 0},
		{"git-upload-pack 'repo.git'", 0},
		{"git-upload-pack '~/repo.git'", 0},
		{"git-receive-pack '/repo.git'", 0},
		{"sh -c id", 1},
		{"git-upload-archive '/repo.git'", 1},
		{"git-upload-pack '/../" + filepath.Base(outside) + "/secret.git'", 1},
		{"git-upload-pack '/link/secret.git'", 1},
		{"git-upload-pack '" + outside + "/secret.git'", 1},
		{"git-upload-pack '/repo.git'; id", 1},
		{"git-upload-pack /repo.git$(id)", 1},
		{"git-upload-pack '--help'", 1},
	}
	for _, tt := range tests {
		if status, stderr := sshRun(t, s, key, tt.command); status != tt.status {
			t.Errorf("%s: exit %d (%s), want %d", tt.command, status, stderr, tt.status)
		}
	}
	other := NewEd25519Key(t)
	if _, err := ssh.Dial("tcp", s.Addr, &ssh.ClientConfig{User: "git", Auth: []ssh.AuthMethod{ssh.PublicKeys(other.Signer)}, HostKeyCallback: ssh.FixedHostKey(s.HostKey)}); err == nil {
		t.Error("the server accepted a key it was not given")
	}
}

func TestKeys(t *testing.T) {
	for _, k := range []*Key{NewEd25519Key(t), NewRSAKey(t, 2048)} {
		signer, err := ssh.ParsePrivateKey(k.PEM)
		if err != nil || string(signer.PublicKey().Marshal()) != string(k.Public.Marshal()) {
			t.Errorf("PEM does not parse back to the key: %v", err)
		}
		pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(k.AuthorizedKey))
		if err != nil || string(pub.Marshal()) != string(k.Public.Marshal()) {
			t.Errorf("AuthorizedKey: %v", err)
		}
	}
	k := NewEd25519Key(t)
	if line := KnownHostsLine("127.0.0.1:2222", k.Public); !strings.HasPrefix(line, "[127.0.0.1]:2222 ssh-ed25519 AAAA") {
		t.Errorf("KnownHostsLine = %q", line)
	}
	if line := KnownHostsLine("github.com:22", k.Public); !strings.HasPrefix(line, "github.com ssh-ed25519 ") {
		t.Errorf("KnownHostsLine = %q", line)
	}
}
