// Package providertest serves recorded provider API answers from an httptest server and
// records the requests Ferry makes, for the tests of the provider clients.
package providertest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/provider"
)

// Policy is the URL policy tests connect under: http:// to 127.0.0.1 allowed.
var Policy = ferry.URLPolicy{AllowInsecureHTTP: true, AllowHosts: []string{"127.0.0.1"}}

// Request is a request the server received.
type Request struct {
	Method string
	Path   string // escaped, as sent
	Query  url.Values
	Header http.Header
	Body   []byte
}

// JSON decodes the request's body.
func (r Request) JSON(t testing.TB) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Fatalf("%s %s: body is not a JSON object: %v: %s", r.Method, r.Path, err, r.Body)
	}
	return v
}

// Server is a fake provider API: exact routes ("GET /api/v4/user", on the escaped path)
// answered by handlers, every request recorded. A request no route matches fails the test.
type Server struct {
	*httptest.Server
	t        testing.TB
	mu       sync.Mutex
	routes   map[string]http.HandlerFunc // guarded by mu
	requests []Request                   // guarded by mu
}

// NewServer starts a server, closed when the test ends.
func NewServer(t testing.TB) *Server {
	s := &Server{t: t, routes: map[string]http.HandlerFunc{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	key := r.Method + " " + r.URL.EscapedPath()
	s.mu.Lock()
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.Query(), Header: r.Header.Clone(), Body: body})
	h := s.routes[key]
	s.mu.Unlock()
	if h == nil {
		s.t.Errorf("unexpected request %s", key)
		http.Error(w, `{"message":"no such route in the test"}`, http.StatusTeapot)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	h(w, r)
}

// Handle answers requests to route ("METHOD /escaped/path") with h.
func (s *Server) Handle(route string, h http.HandlerFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.routes[route] = h
}

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Count returns how many requests the server received.
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

// Last returns the last request received.
func (s *Server) Last() Request {
	s.t.Helper()
	reqs := s.Requests()
	if len(reqs) == 0 {
		s.t.Fatal("no request was made")
	}
	return reqs[len(reqs)-1]
}

// Reply answers with status, body (JSON when not empty) and headers given as name, value
// pairs.
func Reply(status int, body []byte, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Add(header[i], header[i+1])
		}
		if len(body) > 0 {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(status)
		w.Write(body)
	}
}

// Fixture returns testdata/name, a recorded payload.
func Fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// AzureFixture returns the body of the answer with status in an Azure DevOps httpExamples
// file (its "responses.<status>.body").
func AzureFixture(t testing.TB, name, status string) []byte {
	t.Helper()
	var f struct {
		Responses map[string]struct {
			Body json.RawMessage `json:"body"`
		} `json:"responses"`
	}
	if err := json.Unmarshal(Fixture(t, name), &f); err != nil {
		t.Fatal(err)
	}
	r, ok := f.Responses[status]
	if !ok {
		t.Fatalf("%s has no %s answer", name, status)
	}
	return r.Body
}

// Edit returns the JSON document doc with edit applied to its decoded form, for the few
// answers the recordings lack (a second page, another permission).
func Edit(t testing.TB, doc []byte, edit func(v any) any) []byte {
	t.Helper()
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(edit(v))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Credentials is an in-memory ferry.CredentialService holding fixed credentials.
type Credentials struct {
	Creds   map[string]*ferry.Credential
	Secrets map[string]*ferry.CredentialSecret
}

// FindCredential returns the credential called name.
func (c *Credentials) FindCredential(_ context.Context, name string) (*ferry.Credential, error) {
	if cred, ok := c.Creds[name]; ok {
		copy := *cred
		return &copy, nil
	}
	return nil, ferry.Errorf(ferry.ENOTFOUND, "Credential %q does not exist.", name)
}

// CredentialSecret returns the secret of the credential called name.
func (c *Credentials) CredentialSecret(_ context.Context, name string) (*ferry.CredentialSecret, error) {
	if s, ok := c.Secrets[name]; ok {
		copy := *s
		return &copy, nil
	}
	return nil, ferry.Errorf(ferry.ENOTFOUND, "Credential %q does not exist.", name)
}

// CreateCredential is not supported.
func (c *Credentials) CreateCredential(context.Context, *ferry.Credential) error {
	return fmt.Errorf("not supported")
}

// ListCredentials is not supported.
func (c *Credentials) ListCredentials(context.Context, ferry.Page) ([]*ferry.Credential, string, error) {
	return nil, "", fmt.Errorf("not supported")
}

// UpdateCredential is not supported.
func (c *Credentials) UpdateCredential(context.Context, *ferry.Credential) error {
	return fmt.Errorf("not supported")
}

// DeleteCredential is not supported.
func (c *Credentials) DeleteCredential(context.Context, string) error {
	return fmt.Errorf("not supported")
}

// Clock is a settable clock.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock set to t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set sets the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Env is a connection to a fake provider: the server, the registry and the client.
type Env struct {
	Server   *Server
	Registry *provider.Registry
	Clock    *Clock
	Provider *ferry.Provider
	Client   ferry.ProviderClient
}

// Connect starts a server and connects the client ctor makes to it as provider p (whose
// BaseURL is set to the server's plus basePath) with credential cred and its secret.
func Connect(t testing.TB, ctor provider.Constructor, kind string, p ferry.Provider, basePath string, cred ferry.Credential, secret ferry.CredentialSecret) *Env {
	t.Helper()
	srv := NewServer(t)
	clock := NewClock(time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC))
	creds := &Credentials{Creds: map[string]*ferry.Credential{cred.Name: &cred}, Secrets: map[string]*ferry.CredentialSecret{cred.Name: &secret}}
	reg := provider.NewRegistry(provider.RegistryConfig{Credentials: creds, Policy: Policy, Now: clock.Now},
		map[string]provider.Constructor{kind: ctor})
	p.Kind, p.Credential, p.BaseURL = kind, cred.Name, srv.URL+basePath
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	c, err := reg.Connect(context.Background(), &p)
	if err != nil {
		t.Fatal(err)
	}
	return &Env{Server: srv, Registry: reg, Clock: clock, Provider: &p, Client: c}
}

// WantAuth checks that every request the server received carried the Authorization (or
// other) header name with value.
func (e *Env) WantAuth(t testing.TB, name, value string) {
	t.Helper()
	reqs := e.Server.Requests()
	if len(reqs) == 0 {
		t.Fatal("no request was made")
	}
	for _, r := range reqs {
		if got := r.Header.Get(name); got != value {
			t.Errorf("%s %s: %s = %q, want %q", r.Method, r.Path, name, got, value)
		}
	}
}

// WantRequest checks a request's method, escaped path and, when query is not nil, its
// query parameters.
func WantRequest(t testing.TB, r Request, method, path string, query url.Values) {
	t.Helper()
	if r.Method != method || r.Path != path {
		t.Errorf("request = %s %s, want %s %s", r.Method, r.Path, method, path)
	}
	if query != nil && !reflect.DeepEqual(r.Query, query) {
		t.Errorf("%s %s: query = %v, want %v", r.Method, r.Path, r.Query, query)
	}
}

// WantBody checks that a request's JSON body equals want (compared as decoded JSON).
func WantBody(t testing.TB, r Request, want map[string]any) {
	t.Helper()
	got := r.JSON(t)
	wb, _ := json.Marshal(want)
	var w map[string]any
	json.Unmarshal(wb, &w)
	if !reflect.DeepEqual(got, w) {
		gb, _ := json.Marshal(got)
		t.Errorf("%s %s: body = %s, want %s", r.Method, r.Path, gb, wb)
	}
}

// WantKeysIn checks that every field of a request's JSON body, at every level of nesting,
// is a field of the published request example with a value of the same JSON type, or one
// of documented ("config.secret"): fields the API documents that the example leaves out.
func WantKeysIn(t testing.TB, r Request, example []byte, documented ...string) {
	t.Helper()
	var ex map[string]any
	if err := json.Unmarshal(example, &ex); err != nil {
		t.Fatal(err)
	}
	for _, problem := range compareShape("", r.JSON(t), ex, documented) {
		t.Errorf("%s %s: %s", r.Method, r.Path, problem)
	}
}

func compareShape(prefix string, got, example map[string]any, documented []string) []string {
	var problems []string
	keys := make([]string, 0, len(got))
	for k := range got {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ev, ok := example[k]
		if !ok && contains(documented, prefix+k) {
			continue
		}
		if !ok {
			problems = append(problems, fmt.Sprintf("field %s%s is not in the published request", prefix, k))
			continue
		}
		if reflect.TypeOf(got[k]) != reflect.TypeOf(ev) {
			problems = append(problems, fmt.Sprintf("field %s%s is a %T, the published request has a %T", prefix, k, got[k], ev))
			continue
		}
		if g, ok := got[k].(map[string]any); ok {
			problems = append(problems, compareShape(prefix+k+".", g, ev.(map[string]any), documented)...)
		}
	}
	return problems
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// WantCode checks an error's code and that its message contains each fragment.
func WantCode(t testing.TB, err error, code string, fragments ...string) {
	t.Helper()
	if got := ferry.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
	for _, f := range fragments {
		if !bytes.Contains([]byte(ferry.ErrorMessage(err)), []byte(f)) {
			t.Errorf("message %q does not contain %q", ferry.ErrorMessage(err), f)
		}
	}
}
