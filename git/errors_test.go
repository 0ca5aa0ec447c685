package git

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/git/gittest"
)

// wantReason runs ListRefs and Fetch and checks that both fail with reason.
func wantReason(t *testing.T, e *Engine, u *ferry.RemoteURL, auth *ferry.GitAuth, reason string) *ferry.GitError {
	t.Helper()
	ctx := testContext(t)
	_, err := e.ListRefs(ctx, u, auth)
	ge := asGitError(t, err, reason)
	_, err = e.Fetch(ctx, u, auth, "main", []string{"dir"})
	asGitError(t, err, reason)
	return ge
}

func asGitError(t *testing.T, err error, want string) *ferry.GitError {
	t.Helper()
	if got := reason(err); got != want {
		t.Fatalf("error = %v, want reason %s", err, want)
	}
	ge := err.(*ferry.GitError)
	if ge.Message == "" {
		t.Error("GitError without a message")
	}
	return ge
}

// closedAddr returns a loopback address where nothing listens.
func closedAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// hangingAddr returns a loopback address that accepts connections and never answers.
func hangingAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String()
}

// fakeResolver answers from a map; a missing name is a DNS "no such host".
type fakeResolver map[string][]string

func (f fakeResolver) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	ips, ok := f[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	var out []net.IPAddr
	for _, ip := range ips {
		out = append(out, net.IPAddr{IP: net.ParseIP(ip)})
	}
	return out, nil
}

func TestUnreachable(t *testing.T) {
	e, _ := newEngine(t, Config{Policy: loopback, Resolver: fakeResolver{}})
	addr := closedAddr(t)
	t.Run("http closed port", func(t *testing.T) {
		wantReason(t, e, mustParse(t, "http://"+addr+"/repo.git"), nil, ferry.ReasonUnreachable)
	})
	t.Run("ssh closed port", func(t *testing.T) {
		wantReason(t, e, mustParse(t, "ssh://git@"+addr+"/repo.git"), nil, ferry.ReasonUnreachable)
	})
	t.Run("dns", func(t *testing.T) {
		wantReason(t, e, mustParse(t, "https://nowhere.test/repo.git"), nil, ferry.ReasonUnreachable)
	})
	t.Run("server error", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "down", http.StatusBadGateway)
		}))
		defer srv.Close()
		wantReason(t, e, mustParse(t, srv.URL+"/repo.git"), nil, ferry.ReasonUnreachable)
	})
}

func TestTimeout(t *testing.T) {
	addr := hangingAddr(t)
	t.Run("http context deadline", func(t *testing.T) {
		e, _ := newEngine(t, Config{Policy: loopback})
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		_, err := e.ListRefs(ctx, mustParse(t, "http://"+addr+"/repo.git"), nil)
		asGitError(t, err, ferry.ReasonTimeout)
	})
	t.Run("ssh engine timeout", func(t *testing.T) {
		e, _ := newEngine(t, Config{Policy: loopback, Timeout: 300 * time.Millisecond})
		wantReason(t, e, mustParse(t, "ssh://git@"+addr+"/repo.git"), nil, ferry.ReasonTimeout)
	})
	t.Run("cancelled", func(t *testing.T) {
		e, _ := newEngine(t, Config{Policy: loopback})
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		_, err := e.ListRefs(ctx, mustParse(t, "ssh://git@"+addr+"/repo.git"), nil)
		if err != context.Canceled {
			t.Errorf("cancelled ListRefs = %v, want context.Canceled", err)
		}
	})
}

func TestAuthFailed(t *testing.T) {
	r := newRemote(t, testFiles)
	e, _ := newEngine(t, Config{Policy: loopback})
	t.Run("http wrong password", func(t *testing.T) {
		wantReason(t, e, r.httpURL, &ferry.GitAuth{Username: "ferry", Password: "wrong-Pa55word"}, ferry.ReasonAuthFailed)
	})
	t.Run("http no credential", func(t *testing.T) {
		wantReason(t, e, r.httpURL, nil, ferry.ReasonAuthFailed)
	})
	t.Run("ssh other key", func(t *testing.T) {
		other := gittest.NewEd25519Key(t)
		wantReason(t, e, r.sshURL, &ferry.GitAuth{PrivateKey: other.PEM, KnownHosts: r.sshAuth.KnownHosts}, ferry.ReasonAuthFailed)
	})
	t.Run("ssh no key", func(t *testing.T) {
		wantReason(t, e, r.sshURL, &ferry.GitAuth{KnownHosts: r.sshAuth.KnownHosts}, ferry.ReasonAuthFailed)
	})
	t.Run("ssh malformed key", func(t *testing.T) {
		wantReason(t, e, r.sshURL, &ferry.GitAuth{PrivateKey: []byte("-----BEGIN OPENSSH PRIVATE KEY-----\nnot a key\n-----END OPENSSH PRIVATE KEY-----\n"), KnownHosts: r.sshAuth.KnownHosts}, ferry.ReasonAuthFailed)
	})
	t.Run("ssh rsa key accepted", func(t *testing.T) {
		rsaKey := gittest.NewRSAKey(t, 2048)
		srv := gittest.NewSSHServer(t, r.repo.Root, rsaKey.Public)
		auth := &ferry.GitAuth{PrivateKey: rsaKey.PEM, KnownHosts: []string{srv.KnownHostsLine()}}
		u := mustParse(t, srv.URL(r.repo.Name))
		if _, err := e.Fetch(testContext(t), u, auth, "main", []string{"dir"}); err != nil {
			t.Fatalf("Fetch with an RSA key: %v", err)
		}
	})
}

func TestHostKeyUnknown(t *testing.T) {
	r := newRemote(t, testFiles)
	e, _ := newEngine(t, Config{Policy: loopback})
	want := ferry.HostKeyInfo{Type: "ssh-ed25519", Fingerprint: ssh.FingerprintSHA256(r.ssh.HostKey)}
	for name, known := range map[string][]string{
		"nothing pinned":      nil,
		"pinned on port 22":   {gittest.KnownHostsLine(r.ssh.Host, r.ssh.HostKey)},
		"pinned another host": {gittest.KnownHostsLine("git.example.com:"+r.ssh.Port, r.ssh.HostKey)},
	} {
		t.Run(name, func(t *testing.T) {
			ge := wantReason(t, e, r.sshURL, &ferry.GitAuth{PrivateKey: r.key.PEM, KnownHosts: known}, ferry.ReasonHostKeyUnknown)
			if ge.HostKey == nil || *ge.HostKey != want {
				t.Errorf("HostKey = %+v, want %+v", ge.HostKey, want)
			}
			if !strings.Contains(ge.Message, want.Fingerprint) {
				t.Errorf("message %q does not show the fingerprint", ge.Message)
			}
		})
	}
}

func TestHostKeyMismatch(t *testing.T) {
	r := newRemote(t, testFiles)
	e, _ := newEngine(t, Config{Policy: loopback})
	t.Run("other ed25519 key", func(t *testing.T) {
		other := gittest.NewEd25519Key(t)
		ge := wantReason(t, e, r.sshURL, &ferry.GitAuth{PrivateKey: r.key.PEM, KnownHosts: []string{gittest.KnownHostsLine(r.ssh.Addr, other.Public)}}, ferry.ReasonHostKeyMismatch)
		want := ferry.HostKeyInfo{Type: "ssh-ed25519", Fingerprint: ssh.FingerprintSHA256(r.ssh.HostKey)}
		if ge.HostKey == nil || *ge.HostKey != want {
			t.Errorf("HostKey = %+v, want %+v", ge.HostKey, want)
		}
	})
	t.Run("only an rsa key pinned", func(t *testing.T) {
		other := gittest.NewRSAKey(t, 2048)
		wantReason(t, e, r.sshURL, &ferry.GitAuth{PrivateKey: r.key.PEM, KnownHosts: []string{gittest.KnownHostsLine(r.ssh.Addr, other.Public)}}, ferry.ReasonHostKeyMismatch)
	})
	t.Run("server key replaced", func(t *testing.T) {
		// The same address pinned earlier now presents another key.
		newHost := gittest.NewEd25519Key(t)
		srv := gittest.NewSSHServerWithHostKey(t, r.repo.Root, newHost.Signer, r.key.Public)
		old := gittest.KnownHostsLine(srv.Addr, r.ssh.HostKey)
		wantReason(t, e, mustParse(t, srv.URL(r.repo.Name)), &ferry.GitAuth{PrivateKey: r.key.PEM, KnownHosts: []string{old}}, ferry.ReasonHostKeyMismatch)
	})
}

func TestRefAndRepoNotFound(t *testing.T) {
	r := newRemote(t, testFiles)
	e, _ := newEngine(t, Config{Policy: loopback})
	r.each(t, func(t *testing.T, u *ferry.RemoteURL, auth *ferry.GitAuth) {
		ctx := testContext(t)
		_, err := e.Fetch(ctx, u, auth, "no-such-branch", nil)
		asGitError(t, err, ferry.ReasonRefNotFound)
		_, err = e.Fetch(ctx, u, auth, strings.Repeat("4", 40), nil)
		asGitError(t, err, ferry.ReasonRefNotFound)

		missing := *u
		missing.Path = "/missing.git"
		wantReason(t, e, &missing, auth, ferry.ReasonRepoNotFound)
	})
	t.Run("ssh outside the served root", func(t *testing.T) {
		wantReason(t, e, mustParse(t, "ssh://git@"+r.ssh.Addr+"/etc/passwd"), r.sshAuth, ferry.ReasonRepoNotFound)
	})
	t.Run("not a git server", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<html>sign in</html>"))
		}))
		defer srv.Close()
		wantReason(t, e, mustParse(t, srv.URL+"/repo.git"), nil, ferry.ReasonRepoNotFound)
	})
}

func TestURLNotAllowed(t *testing.T) {
	r := newRemote(t, testFiles)
	t.Run("loopback without allow-hosts", func(t *testing.T) {
		e, _ := newEngine(t, Config{Policy: ferry.URLPolicy{AllowInsecureHTTP: true}})
		before := r.http.Requests()
		wantReason(t, e, r.httpURL, r.httpAuth, ferry.ReasonURLNotAllowed)
		wantReason(t, e, r.sshURL, r.sshAuth, ferry.ReasonURLNotAllowed)
		if r.http.Requests() != before {
			t.Error("the server was contacted")
		}
	})
	t.Run("http without allow-insecure-http", func(t *testing.T) {
		e, _ := newEngine(t, Config{Policy: ferry.URLPolicy{AllowHosts: []string{"127.0.0.1"}}})
		wantReason(t, e, r.httpURL, r.httpAuth, ferry.ReasonURLNotAllowed)
	})
	t.Run("redirect to metadata", func(t *testing.T) {
		e, _ := newEngine(t, Config{Policy: loopback})
		redirector := gittest.NewHTTPServer(t, r.repo.Root, gittest.HTTPOptions{RedirectTo: "http://169.254.169.254"})
		ge := wantReason(t, e, mustParse(t, redirector.RepoURL(r.repo.Name)), r.httpAuth, ferry.ReasonURLNotAllowed)
		if !strings.Contains(ge.Message, "redirected") {
			t.Errorf("message %q does not mention the redirect", ge.Message)
		}
	})
	t.Run("redirect to another loopback address", func(t *testing.T) {
		e, _ := newEngine(t, Config{Policy: loopback})
		redirector := gittest.NewHTTPServer(t, r.repo.Root, gittest.HTTPOptions{RedirectTo: strings.Replace(r.http.URL, "127.0.0.1", "127.0.0.2", 1)})
		wantReason(t, e, mustParse(t, redirector.RepoURL(r.repo.Name)), r.httpAuth, ferry.ReasonURLNotAllowed)
	})
	t.Run("dns answers a blocked address", func(t *testing.T) {
		e, _ := newEngine(t, Config{Policy: loopback, Resolver: fakeResolver{
			"rebind.test":   {"203.0.113.7", "169.254.169.254"},
			"internal.test": {"10.0.0.1"},
		}})
		wantReason(t, e, mustParse(t, "https://rebind.test/repo.git"), nil, ferry.ReasonURLNotAllowed)
		wantReason(t, e, mustParse(t, "git@internal.test:repo.git"), nil, ferry.ReasonURLNotAllowed)
	})
	t.Run("metadata host name", func(t *testing.T) {
		e, _ := newEngine(t, Config{Policy: loopback})
		wantReason(t, e, mustParse(t, "https://metadata.google.internal/repo.git"), nil, ferry.ReasonURLNotAllowed)
	})
}

func TestRedirectToAllowedHost(t *testing.T) {
	r := newRemote(t, testFiles)
	e, _ := newEngine(t, Config{Policy: loopback})
	redirector := gittest.NewHTTPServer(t, r.repo.Root, gittest.HTTPOptions{RedirectTo: r.http.URL})
	u := mustParse(t, redirector.RepoURL(r.repo.Name))
	commit, err := e.Fetch(testContext(t), u, r.httpAuth, "main", []string{"dir"})
	if err != nil || commit != r.repo.Head() {
		t.Fatalf("Fetch through a redirect = %s, %v", commit, err)
	}
	// The redirecting server saw git's first request, which git did not follow, and the
	// in-process discovery that did; git's retry went straight to the target.
	if n := redirector.Requests(); n != 2 {
		t.Errorf("the redirecting server got %d requests, want 2", n)
	}
}

func TestPinnedResolution(t *testing.T) {
	r := newRemote(t, testFiles)
	policy := ferry.URLPolicy{AllowInsecureHTTP: true, AllowHosts: []string{"git.test", "example.com"}}
	// git.test and example.com resolve only through the engine's resolver, so the git CLI
	// succeeds only if it connects to the address the engine checked.
	res := fakeResolver{"git.test": {"127.0.0.1"}, "example.com": {"127.0.0.1"}}
	t.Run("http", func(t *testing.T) {
		e, _ := newEngine(t, Config{Policy: policy, Resolver: res})
		u := mustParse(t, strings.Replace(r.http.RepoURL(r.repo.Name), "127.0.0.1", "git.test", 1))
		if _, err := e.Fetch(testContext(t), u, r.httpAuth, "main", []string{"dir"}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ssh", func(t *testing.T) {
		e, _ := newEngine(t, Config{Policy: policy, Resolver: res})
		u := mustParse(t, "ssh://git@git.test:"+r.ssh.Port+"/"+r.repo.Name)
		auth := &ferry.GitAuth{PrivateKey: r.key.PEM, KnownHosts: []string{gittest.KnownHostsLine("git.test:"+r.ssh.Port, r.ssh.HostKey)}}
		if _, err := e.Fetch(testContext(t), u, auth, "main", []string{"dir"}); err != nil {
			t.Fatal(err)
		}
		// The key pinned for 127.0.0.1 does not count for git.test.
		_, err := e.ListRefs(testContext(t), u, r.sshAuth)
		asGitError(t, err, ferry.ReasonHostKeyUnknown)
	})
	t.Run("https", func(t *testing.T) {
		tlsSrv := gittest.NewHTTPServer(t, r.repo.Root, gittest.HTTPOptions{TLS: true})
		u := mustParse(t, strings.Replace(tlsSrv.RepoURL(r.repo.Name), "127.0.0.1", "example.com", 1))
		e, _ := newEngine(t, Config{Policy: policy, Resolver: res, CAFile: tlsSrv.CAFile})
		commit, err := e.Fetch(testContext(t), u, nil, "main", []string{"dir"})
		if err != nil || commit != r.repo.Head() {
			t.Fatalf("Fetch over HTTPS = %s, %v", commit, err)
		}
		untrusting, _ := newEngine(t, Config{Policy: policy, Resolver: res})
		_, err = untrusting.ListRefs(testContext(t), u, nil)
		if ge := asGitError(t, err, ferry.ReasonFailed); !strings.Contains(ge.Message, "certificate") {
			t.Errorf("message %q does not mention the certificate", ge.Message)
		}
	})
}
