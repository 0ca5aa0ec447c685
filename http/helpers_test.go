package http_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/catalog"
	fhttp "github.com/ferrygit/ferry/http"
	"github.com/ferrygit/ferry/secretbox"
	"github.com/ferrygit/ferry/sqlstore"
)

// testToken is the admin token of every test server.
const testToken = "ferry-test-admin-token-7d1f0c"

// testServer is a real server on 127.0.0.1 over a real SQLite database in a temporary
// directory, with a client that holds the admin token.
type testServer struct {
	*fhttp.Server
	DB     *sqlstore.DB
	Client *fhttp.Client
	logs   *syncBuffer
}

// newTestServer starts a test server; configure, if given, adjusts it before it opens.
func newTestServer(t *testing.T, configure ...func(*fhttp.Server)) *testServer {
	t.Helper()
	ctx := context.Background()
	box, err := secretbox.New(bytes.Repeat([]byte{0x5e}, secretbox.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlstore.Open(ctx, sqlstore.Config{DataDir: t.TempDir(), Sealer: box})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })

	logs := &syncBuffer{}
	s := fhttp.NewServer()
	s.Namespaces, s.Files, s.Ready = db, db, db.Ping
	s.Credentials, s.KnownHosts = db, db
	s.Tokens, s.Users, s.Audit = db, db, db
	s.Catalog, s.CatalogStore = &catalog.Service{Store: db}, db
	s.AdminTokenHash = sha256.Sum256([]byte(testToken))
	s.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	for _, f := range configure {
		f(s)
	}
	if err := s.Open("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Close(ctx); err != nil {
			t.Error(err)
		}
		if strings.Contains(logs.String(), testToken) {
			t.Errorf("the server logged the admin token:\n%s", logs.String())
		}
	})
	return &testServer{Server: s, DB: db, Client: fhttp.NewClient(s.URL(), testToken), logs: logs}
}

// syncBuffer is a bytes.Buffer that the server's goroutines may write concurrently.
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

// response is a raw HTTP answer, its body read.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// raw sends a request with the admin token to path (already escaped, with any query) and
// returns the answer.
func (ts *testServer) raw(t *testing.T, method, path string, body []byte) response {
	t.Helper()
	return ts.rawToken(t, method, path, body, "Bearer "+testToken, nil)
}

// rawToken sends a request with the given Authorization header ("" for none) and extra headers.
func (ts *testServer) rawToken(t *testing.T, method, path string, body []byte, auth string, header http.Header) response {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL()+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// wantError checks that resp is an error answer with the given status and code, and that
// its message contains each of fragments.
func wantError(t *testing.T, resp response, status int, code string, fragments ...string) {
	t.Helper()
	if resp.Status != status {
		t.Fatalf("status = %d, want %d; body: %s", resp.Status, status, resp.Body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var body struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal(resp.Body, &body); err != nil {
		t.Fatalf("error body is not JSON: %v: %s", err, resp.Body)
	}
	if body.Error.Code != code {
		t.Errorf("code = %q, want %q; message: %s", body.Error.Code, code, body.Error.Message)
	}
	for _, f := range fragments {
		if !strings.Contains(body.Error.Message, f) {
			t.Errorf("message %q does not contain %q", body.Error.Message, f)
		}
	}
}

// wantCode checks that err is a *ferry.Error with the given code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := ferry.ErrorCode(err); got != code {
		t.Fatalf("error code = %q, want %q (err: %v)", got, code, err)
	}
}

// decode unmarshals a JSON answer into v.
func decode(t *testing.T, resp response, v any) {
	t.Helper()
	if err := json.Unmarshal(resp.Body, v); err != nil {
		t.Fatalf("answer is not the expected JSON: %v: %s", err, resp.Body)
	}
}

// mustNamespace creates a namespace through the client.
func (ts *testServer) mustNamespace(t *testing.T, name string) {
	t.Helper()
	if _, err := ts.Client.CreateNamespace(context.Background(), name); err != nil {
		t.Fatal(err)
	}
}

// mustPut writes a file through the client and returns the revision.
func (ts *testServer) mustPut(t *testing.T, ns, path, content string) *ferry.Revision {
	t.Helper()
	rev, _, err := ts.Client.PutFile(context.Background(), ns, path, []byte(content), fhttp.PutFileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return rev
}

// wantContent checks a file's content at the head.
func (ts *testServer) wantContent(t *testing.T, ns, path, want string) {
	t.Helper()
	f, err := ts.Client.GetFile(context.Background(), ns, path, 0)
	if err != nil {
		t.Fatalf("get %s: %v", path, err)
	}
	if string(f.Content) != want {
		t.Errorf("%s = %q, want %q", path, f.Content, want)
	}
}

// wantHead checks a namespace's head revision.
func (ts *testServer) wantHead(t *testing.T, ns string, want int64) {
	t.Helper()
	n, err := ts.Client.FindNamespace(context.Background(), ns)
	if err != nil {
		t.Fatal(err)
	}
	if n.Head != want {
		t.Errorf("head of %s = %d, want %d", ns, n.Head, want)
	}
}
