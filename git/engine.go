// Package git is Ferry's git engine: it lists remote refs in-process over smart HTTP and
// SSH, and fetches, reads, commits and pushes with the git CLI through one hardened runner,
// keeping one blobless bare cache per remote.
package git

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ferrygit/ferry"
)

// DefaultTimeout bounds one engine operation unless Config.Timeout says otherwise.
const DefaultTimeout = 120 * time.Second

// Resolver looks up host names; *net.Resolver is one.
type Resolver interface {
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
}

// Config configures an Engine.
type Config struct {
	Dir      string          // where caches live, e.g. <data-dir>/git; required
	Policy   ferry.URLPolicy // which remotes may be contacted
	Timeout  time.Duration   // per operation; 0 means DefaultTimeout
	Logger   *slog.Logger    // nil discards logs
	Resolver Resolver        // nil means net.DefaultResolver
	Git      string          // git binary; "" means "git" on PATH
	SSH      string          // ssh binary for the git CLI; "" means "ssh" on PATH
	// CAFile, when set, is a PEM file of the CA certificates trusted for HTTPS remotes
	// instead of the system's.
	CAFile string
}

// Engine implements ferry.GitEngine.
type Engine struct {
	cfg    Config
	run    *runner
	client *http.Client
	tmp    string // parent of the private temporary directories holding secrets

	mu    sync.Mutex
	locks map[string]*sync.Mutex // one per cache directory; guarded by mu
}

var _ ferry.GitEngine = (*Engine)(nil)

// New returns an Engine keeping its caches under cfg.Dir, creating the directory.
func New(cfg Config) (*Engine, error) {
	if cfg.Dir == "" {
		return nil, ferry.Errorf(ferry.EINVALID, "The git cache directory is required.")
	}
	if err := cfg.Policy.Validate(); err != nil {
		return nil, err
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Resolver == nil {
		cfg.Resolver = net.DefaultResolver
	}
	if cfg.Git == "" {
		cfg.Git = "git"
	}
	if cfg.SSH == "" {
		cfg.SSH = "ssh"
	}
	e := &Engine{cfg: cfg, tmp: filepath.Join(cfg.Dir, "tmp"), locks: map[string]*sync.Mutex{}}
	home := filepath.Join(cfg.Dir, "home")
	for _, d := range []string{cfg.Dir, home, e.tmp} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("git: %w", err)
		}
	}
	e.run = &runner{git: cfg.Git, home: home, allowHTTP: cfg.Policy.AllowInsecureHTTP, log: cfg.Logger}
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("git: CA file: %w", err)
		}
		tlsConf.RootCAs = x509.NewCertPool()
		if !tlsConf.RootCAs.AppendCertsFromPEM(pem) {
			return nil, ferry.Errorf(ferry.EINVALID, "The CA file %q holds no PEM certificate.", cfg.CAFile)
		}
	}
	e.client = &http.Client{
		Transport: &http.Transport{
			Proxy:               nil, // a proxy would connect to hosts the policy never saw
			DialContext:         e.dial,
			TLSClientConfig:     tlsConf,
			ForceAttemptHTTP2:   true,
			MaxIdleConnsPerHost: 2,
			IdleConnTimeout:     60 * time.Second,
			TLSHandshakeTimeout: 30 * time.Second,
		},
		CheckRedirect: e.checkRedirect,
	}
	return e, nil
}

// Close releases idle connections.
func (e *Engine) Close() error {
	e.client.CloseIdleConnections()
	return nil
}

// opContext bounds one operation by the configured timeout.
func (e *Engine) opContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, e.cfg.Timeout)
}

// checkURL applies the policy at save-time strength; any refusal is url_not_allowed.
func (e *Engine) checkURL(u *ferry.RemoteURL) error {
	if u == nil {
		return ferry.Errorf(ferry.EINVALID, "Remote URL is required.")
	}
	if err := e.cfg.Policy.Check(u); err != nil {
		return gitErr(ferry.ReasonURLNotAllowed, ferry.ErrorMessage(err))
	}
	return nil
}

// resolve looks host up and checks every address against the policy; it returns the
// addresses, all of them allowed, in the resolver's order.
func (e *Engine) resolve(ctx context.Context, host string) ([]net.IP, error) {
	var ips []net.IP
	if ip := net.ParseIP(host); ip != nil {
		ips = []net.IP{ip}
	} else {
		addrs, err := e.cfg.Resolver.LookupIPAddr(ctx, host)
		if err != nil {
			return nil, classifyNet(err, host)
		}
		for _, a := range addrs {
			ips = append(ips, a.IP)
		}
	}
	if len(ips) == 0 {
		return nil, gitErr(ferry.ReasonUnreachable, "The host name "+host+" has no address.")
	}
	for _, ip := range ips {
		if err := e.cfg.Policy.CheckAddr(host, ip); err != nil {
			return nil, gitErr(ferry.ReasonURLNotAllowed, ferry.ErrorMessage(err))
		}
	}
	return ips, nil
}

// dialPinned connects to host:port through a checked address and returns the connection.
func (e *Engine) dialPinned(ctx context.Context, host, port string) (net.Conn, error) {
	ips, err := e.resolve(ctx, host)
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	var firstErr error
	for _, ip := range ips {
		conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(ip.String(), port))
		if err == nil {
			return conn, nil
		}
		if firstErr == nil {
			firstErr = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, classifyNet(firstErr, net.JoinHostPort(host, port))
}

// dial is the HTTP transport's DialContext.
func (e *Engine) dial(ctx context.Context, _, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	return e.dialPinned(ctx, host, port)
}

// cacheDir returns the bare cache of u: <Dir>/<sha256 of u's canonical form>.
func (e *Engine) cacheDir(u *ferry.RemoteURL) string {
	sum := sha256.Sum256([]byte(u.String()))
	return filepath.Join(e.cfg.Dir, hex.EncodeToString(sum[:]))
}

// lock serializes access to u's cache and returns the cache directory and the unlock
// function.
func (e *Engine) lock(u *ferry.RemoteURL) (string, func()) {
	dir := e.cacheDir(u)
	e.mu.Lock()
	m := e.locks[dir]
	if m == nil {
		m = &sync.Mutex{}
		e.locks[dir] = m
	}
	e.mu.Unlock()
	m.Lock()
	return dir, m.Unlock
}

// cacheConfig makes a bare repository a blobless partial clone of "origin" whose URL is
// never stored: every fetch passes it on the command line, so that no command run later on
// the cache (cat-file, ls-tree) can fetch lazily, unauthenticated and unpinned.
const cacheConfig = `[extensions]
	partialClone = origin
[remote "origin"]
	promisor = true
	partialclonefilter = blob:none
[gc]
	auto = 0
`

// ensureCache creates u's cache if it is missing; the caller holds its lock.
func (e *Engine) ensureCache(ctx context.Context, dir string) error {
	if _, err := os.Stat(filepath.Join(dir, "HEAD")); err == nil {
		return nil
	}
	tmp, err := os.MkdirTemp(e.tmp, "init-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	repo := filepath.Join(tmp, "repo.git")
	if _, err := e.run.run(ctx, &gitCmd{args: []string{"init", "--bare", "-q", repo}}); err != nil {
		return localFailure("Creating the git cache", err)
	}
	if _, err := e.run.run(ctx, &gitCmd{dir: repo, args: []string{"config", "core.repositoryformatversion", "1"}}); err != nil {
		return localFailure("Creating the git cache", err)
	}
	f, err := os.OpenFile(filepath.Join(repo, "config"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(cacheConfig); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	os.RemoveAll(dir) // a directory left without HEAD by a crash
	return os.Rename(repo, dir)
}

// finish logs the outcome of an operation and returns err, mapping an expired context to
// a timeout.
func (e *Engine) finish(ctx context.Context, op string, u *ferry.RemoteURL, start time.Time, err error) error {
	if err == nil {
		e.cfg.Logger.Debug("git "+op, "remote", u.Redacted(), "took", time.Since(start))
		return nil
	}
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
		err = gitErr(ferry.ReasonTimeout, "The git operation on "+u.Redacted()+" timed out.")
	}
	var ge *ferry.GitError
	if errors.As(err, &ge) {
		e.cfg.Logger.Info("git "+op+" failed", "remote", u.Redacted(), "reason", ge.Reason, "message", ge.Message)
	} else {
		e.cfg.Logger.Info("git "+op+" failed", "remote", u.Redacted(), "error", err.Error())
	}
	return err
}

// secretDir makes a private directory for one operation's secret files; the returned
// function removes it.
func (e *Engine) secretDir() (string, func(), error) {
	dir, err := os.MkdirTemp(e.tmp, "auth-")
	if err != nil {
		return "", nil, err
	}
	return dir, func() { os.RemoveAll(dir) }, nil
}
