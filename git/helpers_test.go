package git

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/git/gittest"
)

// syncBuffer is a bytes.Buffer safe for concurrent writes, for capturing logs.
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

// loopback is the policy tests use: servers run on 127.0.0.1 over plain HTTP.
var loopback = ferry.URLPolicy{AllowInsecureHTTP: true, AllowHosts: []string{"127.0.0.1/32"}}

// newEngine returns an engine with its cache in a temporary directory and its debug log
// captured.
func newEngine(t testing.TB, cfg Config) (*Engine, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e, logs
}

func mustParse(t testing.TB, raw string) *ferry.RemoteURL {
	t.Helper()
	u, err := ferry.ParseRemoteURL(raw)
	if err != nil {
		t.Fatalf("ParseRemoteURL(%q): %v", raw, err)
	}
	return u
}

func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// remote is a repository served over HTTP (with basic auth) and SSH (with a key).
type remote struct {
	repo     *gittest.Repo
	http     *gittest.HTTPServer
	ssh      *gittest.SSHServer
	key      *gittest.Key
	httpAuth *ferry.GitAuth
	sshAuth  *ferry.GitAuth
	httpURL  *ferry.RemoteURL
	sshURL   *ferry.RemoteURL
}

const testPassword = "s3cret-Pa55word-xyz"

func newRemote(t testing.TB, files map[string]string) *remote {
	t.Helper()
	r := &remote{repo: gittest.NewRepo(t, files), key: gittest.NewEd25519Key(t)}
	r.http = gittest.NewHTTPServer(t, r.repo.Root, gittest.HTTPOptions{Username: "ferry", Password: testPassword})
	r.ssh = gittest.NewSSHServer(t, r.repo.Root, r.key.Public)
	r.httpURL = mustParse(t, r.http.RepoURL(r.repo.Name))
	r.sshURL = mustParse(t, r.ssh.URL(r.repo.Name))
	r.httpAuth = &ferry.GitAuth{Username: "ferry", Password: testPassword}
	r.sshAuth = &ferry.GitAuth{PrivateKey: r.key.PEM, KnownHosts: []string{r.ssh.KnownHostsLine()}}
	return r
}

// each runs f once over HTTP and once over SSH.
func (r *remote) each(t *testing.T, f func(t *testing.T, u *ferry.RemoteURL, auth *ferry.GitAuth)) {
	t.Run("http", func(t *testing.T) { f(t, r.httpURL, r.httpAuth) })
	t.Run("ssh", func(t *testing.T) { f(t, r.sshURL, r.sshAuth) })
}
