// Package http serves Ferry's HTTP API and holds the Go client that talks to it.
package http

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/webhook"
)

// DefaultMaxRequestSize is the default limit on a JSON request body, such as a batch of changes.
const DefaultMaxRequestSize = 64 << 20

// Server serves the API. Set its fields before the first call to Open or Handler.
type Server struct {
	Namespaces  ferry.NamespaceService
	Files       ferry.FileService
	Credentials ferry.CredentialService // nil: the credential routes answer 503
	KnownHosts  ferry.KnownHostService  // nil: the known-host routes answer 503

	// ScanHostKeys connects to an SSH host ("name", "name:port") and returns the host keys
	// it presents, for trust on first use; cmd/ferry wires it to sshkey.ScanHostKeys with
	// the URL policy's dialer. nil: trust on first use answers 503.
	ScanHostKeys func(ctx context.Context, host string) ([]*ferry.KnownHost, error)

	Checker ferry.Checker // "check availability"; nil: POST /api/v1/check answers 503

	Bindings ferry.BindingService // reads of bindings; nil: the binding and run routes answer 503
	Runs     ferry.RunService     // reads of runs; nil: the binding and run routes answer 503
	Sync     ferry.SyncService    // changes bindings and starts pulls; nil: those routes answer 503
	Pusher   ferry.Pusher         // pushes and plans dry runs; nil: push and dry runs answer 503

	Providers ferry.ProviderManager // provider connections and their repositories; nil: those routes answer 503

	// Binder makes, changes and deletes bindings through provider connections (managed
	// webhooks and deploy keys); nil: bindings naming a provider answer 503.
	Binder   Binder
	Webhooks ferry.WebhookService // bindings' webhooks and deliveries; nil: webhooks answer 503

	// UI serves every path outside the API's routes (the web UI); nil: those answer 404.
	UI http.Handler

	// PublicURL is the base URL at which Git providers reach the server, for webhook URLs;
	// "" for URL().
	PublicURL string

	// Ready reports whether the server can do its work (its database answers); nil means
	// always ready.
	Ready func(ctx context.Context) error

	// AdminTokenHash is the SHA-256 of the bootstrap admin token. While it is all zeros,
	// no admin token is accepted.
	AdminTokenHash [32]byte

	Catalog      Catalog            // validates and writes blueprints and entities; nil: the catalog answers 503
	CatalogStore ferry.CatalogStore // reads of the catalog

	Tokens ferry.TokenService // API tokens; nil: only the admin token authenticates
	Users  ferry.UserService  // users and sessions; nil: nobody can log in
	Audit  ferry.AuditService // the audit log; nil: writes are not recorded (tests only)

	// MaxTokenLifetime caps the lifetime of new API tokens; zero: DefaultMaxTokenLifetime.
	MaxTokenLifetime ferry.Lifetime
	// SessionLifetime is how long a login lasts; zero: DefaultSessionLifetime.
	SessionLifetime time.Duration
	// InsecureCookies leaves the Secure attribute off the session cookie, for a server
	// reached over plain HTTP other than on localhost.
	InsecureCookies bool

	Now func() time.Time // the clock; nil: time.Now

	Logger  *slog.Logger
	Metrics *prometheus.Registry // nil: a private registry, still served at /metrics

	MaxFileSize    int64 // limit on one file's content; ferry.DefaultMaxFileSize when 0
	MaxRequestSize int64 // limit on a JSON request body; DefaultMaxRequestSize when 0

	once    sync.Once
	handler http.Handler
	mux     *http.ServeMux
	hooks   *webhook.Receiver
	routes  []RouteInfo // set while the handler is built
	logins  loginLimiter
	touchState

	ln  net.Listener
	srv *http.Server

	closing     context.Context // done once Close is called; waits end early
	stopWaiting context.CancelFunc
}

// NewServer returns a Server with a logger, a metrics registry holding the Go runtime and
// process collectors, and the default size limits.
func NewServer() *Server {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return &Server{
		Logger:         slog.Default(),
		Metrics:        reg,
		MaxFileSize:    ferry.DefaultMaxFileSize,
		MaxRequestSize: DefaultMaxRequestSize,
	}
}

// Open listens on addr (":0" picks a free port) and serves in a goroutine until Close.
func (s *Server) Open(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	s.ln = ln
	s.closing, s.stopWaiting = context.WithCancel(context.Background())
	s.srv = &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.logger().Handler(), slog.LevelWarn),
	}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logger().Error("http server stopped", "err", err)
		}
	}()
	return nil
}

// Close stops accepting requests and waits, until ctx is done, for those under way to finish.
// Requests that wait for runs (?wait=true) stop waiting at once and answer with the runs as
// they are.
func (s *Server) Close(ctx context.Context) error {
	if s.srv == nil {
		return nil
	}
	s.stopWaiting()
	if err := s.srv.Shutdown(ctx); err != nil {
		s.srv.Close()
		return err
	}
	return nil
}

// URL returns the base URL the server listens on, such as http://127.0.0.1:8080, or "" before Open.
func (s *Server) URL() string {
	if s.ln == nil {
		return ""
	}
	host, port := "127.0.0.1", ""
	if a, ok := s.ln.Addr().(*net.TCPAddr); ok {
		port = strconv.Itoa(a.Port)
		if a.IP != nil && !a.IP.IsUnspecified() {
			host = a.IP.String()
		}
	}
	return "http://" + net.JoinHostPort(host, port)
}

// Handler returns the server's HTTP handler, built on the first call from the fields then set.
func (s *Server) Handler() http.Handler {
	s.once.Do(func() {
		if s.Metrics == nil {
			s.Metrics = prometheus.NewRegistry()
		}
		s.mux = http.NewServeMux()
		s.registerHealthRoutes(s.mux)
		s.registerNamespaceRoutes(s.mux)
		s.registerFileRoutes(s.mux)
		s.registerRevisionRoutes(s.mux)
		s.registerCredentialRoutes(s.mux)
		s.registerKnownHostRoutes(s.mux)
		s.registerCheckRoutes(s.mux)
		s.registerBindingRoutes(s.mux)
		s.registerRunRoutes(s.mux)
		s.registerPushRoutes(s.mux)
		s.registerProviderRoutes(s.mux)
		s.registerHookRoutes(s.mux)
		s.registerTokenRoutes(s.mux)
		s.registerSessionRoutes(s.mux)
		s.registerUserRoutes(s.mux)
		s.registerAuditRoutes(s.mux)
		s.registerCatalogRoutes(s.mux)
		s.handler = s.observe(secureHeaders(checkAPIPath(http.HandlerFunc(s.route))))
	})
	return s.handler
}

// route passes r to the mux, answering in JSON when no route matches.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	if _, pattern := s.mux.Handler(r); pattern != "" {
		s.mux.ServeHTTP(w, r)
		return
	}
	if s.UI != nil && !isAPI(r.URL.Path) {
		s.UI.ServeHTTP(w, r)
		return
	}
	unmatched := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.unmatched(w, r) })
	if isAPI(r.URL.Path) {
		s.authenticate(unmatched).ServeHTTP(w, r)
		return
	}
	unmatched(w, r)
}

// unmatched answers 405 when the path matches a route for another method and 404 otherwise.
func (s *Server) unmatched(w http.ResponseWriter, r *http.Request) {
	probe := &probeWriter{header: http.Header{}}
	s.mux.ServeHTTP(probe, r)
	if probe.status == http.StatusMethodNotAllowed {
		allow := probe.header.Get("Allow")
		w.Header().Set("Allow", allow)
		msg := fmt.Sprintf("Method %s is not allowed here; use %s.", r.Method, allow)
		writeJSON(w, http.StatusMethodNotAllowed, errorBody(ferry.EINVALID, msg))
		return
	}
	s.writeError(w, r, ferry.Errorf(ferry.ENOTFOUND, "Nothing is served at %s %q.", r.Method, clip(r.URL.Path)))
}

// probeWriter records what the mux would answer for an unmatched request, discarding the body.
type probeWriter struct {
	header http.Header
	status int
}

func (p *probeWriter) Header() http.Header         { return p.header }
func (p *probeWriter) Write(b []byte) (int, error) { return len(b), nil }
func (p *probeWriter) WriteHeader(status int)      { p.status = status }

func (s *Server) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.Default()
	}
	return s.Logger
}

func (s *Server) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

func (s *Server) maxFileSize() int64 {
	if s.MaxFileSize <= 0 {
		return ferry.DefaultMaxFileSize
	}
	return s.MaxFileSize
}

func (s *Server) maxRequestSize() int64 {
	if s.MaxRequestSize <= 0 {
		return DefaultMaxRequestSize
	}
	return s.MaxRequestSize
}

// clip shortens s for use inside an error message.
func clip(s string) string {
	const max = 80
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}
