package gittest

import (
	"bytes"
	"crypto/subtle"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"testing"
)

// HTTPOptions configures an HTTPServer.
type HTTPOptions struct {
	Username, Password string // when set, every request needs this HTTP basic auth
	RedirectTo         string // when set, every request is answered 302 to RedirectTo + its path and query
	TLS                bool   // serve HTTPS with httptest's certificate (valid for 127.0.0.1 and example.com)
}

// HTTPServer is the git CLI's smart HTTP backend (git http-backend) on 127.0.0.1.
type HTTPServer struct {
	*httptest.Server
	CAFile   string // for TLS servers: a PEM file of the server's certificate
	requests atomic.Int64
}

// NewHTTPServer serves the repositories under root; it is closed when the test ends.
func NewHTTPServer(t testing.TB, root string, opts HTTPOptions) *HTTPServer {
	t.Helper()
	s := &HTTPServer{}
	backend := &cgi.Handler{
		Path:       gitPath(t),
		Args:       []string{"http-backend"},
		Env:        append(Env(), "GIT_PROJECT_ROOT="+root, "GIT_HTTP_EXPORT_ALL=1"),
		InheritEnv: []string{"PATH"},
		Stderr:     io.Discard,
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		if opts.RedirectTo != "" {
			http.Redirect(w, r, opts.RedirectTo+r.URL.RequestURI(), http.StatusFound)
			return
		}
		if opts.Username != "" || opts.Password != "" {
			u, p, ok := r.BasicAuth()
			if !ok || subtle.ConstantTimeCompare([]byte(u), []byte(opts.Username)) != 1 ||
				subtle.ConstantTimeCompare([]byte(p), []byte(opts.Password)) != 1 {
				w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
				http.Error(w, "authentication required", http.StatusUnauthorized)
				return
			}
		}
		if r.ContentLength < 0 && r.Body != nil {
			// net/http/cgi passes a body to the CGI program only with a known length, and
			// git sends large requests chunked.
			body, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
			r.TransferEncoding = nil
		}
		backend.ServeHTTP(w, r)
	})
	s.Server = httptest.NewUnstartedServer(handler)
	s.Server.Config.ErrorLog = log.New(io.Discard, "", 0) // refused TLS handshakes are expected in tests
	if opts.TLS {
		s.Server.StartTLS()
		s.CAFile = filepath.Join(t.TempDir(), "ca.pem")
		cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw})
		if err := os.WriteFile(s.CAFile, cert, 0o600); err != nil {
			t.Fatal(err)
		}
	} else {
		s.Server.Start()
	}
	t.Cleanup(s.Close)
	return s
}

// RepoURL returns the URL of the repository at name under the served root.
func (s *HTTPServer) RepoURL(name string) string { return s.URL + "/" + name }

// Requests returns how many requests the server has received.
func (s *HTTPServer) Requests() int64 { return s.requests.Load() }

func gitPath(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("git")
	if err != nil {
		t.Skip("git is not installed")
	}
	return p
}
