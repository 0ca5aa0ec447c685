package http_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/ferrygit/ferry"
	fhttp "github.com/ferrygit/ferry/http"
)

func TestHealth(t *testing.T) {
	ts := newTestServer(t)
	for _, path := range []string{"/healthz", "/readyz"} {
		t.Run(path, func(t *testing.T) {
			resp := ts.rawToken(t, "GET", path, nil, "", nil)
			if resp.Status != http.StatusOK || strings.TrimSpace(string(resp.Body)) != `{"status":"ok"}` {
				t.Fatalf("GET %s = %d %s", path, resp.Status, resp.Body)
			}
			if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options = %q, want nosniff", got)
			}
		})
	}
}

func TestReadyzWhenDatabaseIsClosed(t *testing.T) {
	ts := newTestServer(t)
	ts.DB.Close()
	resp := ts.rawToken(t, "GET", "/readyz", nil, "", nil)
	wantError(t, resp, http.StatusServiceUnavailable, ferry.EUNAVAILABLE, "database")
	if strings.Contains(string(resp.Body), "sql") {
		t.Errorf("readyz leaks the database error: %s", resp.Body)
	}
	if !strings.Contains(ts.logs.String(), "not ready") {
		t.Errorf("the reason was not logged:\n%s", ts.logs.String())
	}
}

func TestMetrics(t *testing.T) {
	ts := newTestServer(t)
	ts.mustNamespace(t, "dev")
	ts.rawToken(t, "GET", "/api/v1/namespaces", nil, "", nil) // a 401
	resp := ts.rawToken(t, "GET", "/metrics", nil, "", nil)
	if resp.Status != http.StatusOK {
		t.Fatalf("GET /metrics = %d %s", resp.Status, resp.Body)
	}
	body := string(resp.Body)
	for _, want := range []string{
		`ferry_http_requests_total{code="201",route="POST /api/v1/namespaces"} 1`,
		`ferry_http_requests_total{code="401",route="GET /api/v1/namespaces"} 1`,
		`ferry_http_request_duration_seconds_bucket{code="201",route="POST /api/v1/namespaces",le="+Inf"} 1`,
		"go_goroutines",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(body, "/api/v1/namespaces/dev") {
		t.Errorf("metrics carry a request path, not a route pattern")
	}
}

func TestAuthentication(t *testing.T) {
	ts := newTestServer(t)
	tests := []struct{ name, auth string }{
		{"missing", ""},
		{"wrong token", "Bearer not-the-token"},
		{"other scheme", "Basic " + testToken},
		{"empty bearer", "Bearer "},
		{"token without scheme", testToken},
	}
	for _, tt := range tests {
		for _, path := range []string{"/api/v1/namespaces", "/api/v1/namespaces/dev/files/a.yaml", "/api/v1/no-such-route"} {
			t.Run(tt.name+" "+path, func(t *testing.T) {
				resp := ts.rawToken(t, "GET", path, nil, tt.auth, nil)
				wantError(t, resp, http.StatusUnauthorized, ferry.EUNAUTHORIZED, "Authorization: Bearer")
				if got := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
					t.Errorf("WWW-Authenticate = %q, want Bearer", got)
				}
				if strings.Contains(string(resp.Body), testToken) || strings.Contains(string(resp.Body), "not-the-token") {
					t.Errorf("the answer echoes the token: %s", resp.Body)
				}
			})
		}
	}
	t.Run("client with wrong token", func(t *testing.T) {
		_, _, err := fhttp.NewClient(ts.URL(), "wrong").ListNamespaces(context.Background(), ferry.Page{})
		wantCode(t, err, ferry.EUNAUTHORIZED)
	})
	t.Run("bearer is case-insensitive", func(t *testing.T) {
		resp := ts.rawToken(t, "GET", "/api/v1/namespaces", nil, "bearer "+testToken, nil)
		if resp.Status != http.StatusOK {
			t.Fatalf("status = %d: %s", resp.Status, resp.Body)
		}
	})
}

func TestZeroTokenHashAcceptsNothing(t *testing.T) {
	ts := newTestServer(t, func(s *fhttp.Server) { s.AdminTokenHash = [32]byte{} })
	resp := ts.rawToken(t, "GET", "/api/v1/namespaces", nil, "Bearer ", nil)
	wantError(t, resp, http.StatusUnauthorized, ferry.EUNAUTHORIZED)
	_, _, err := ts.Client.ListNamespaces(context.Background(), ferry.Page{})
	wantCode(t, err, ferry.EUNAUTHORIZED)
}

func TestUnmatchedRoutes(t *testing.T) {
	ts := newTestServer(t)
	t.Run("unknown API route", func(t *testing.T) {
		wantError(t, ts.raw(t, "GET", "/api/v1/nothing-here", nil), http.StatusNotFound, ferry.ENOTFOUND, "/api/v1/nothing-here")
	})
	t.Run("unknown route outside the API", func(t *testing.T) {
		wantError(t, ts.rawToken(t, "GET", "/nothing-here", nil, "", nil), http.StatusNotFound, ferry.ENOTFOUND)
	})
	t.Run("wrong method", func(t *testing.T) {
		resp := ts.raw(t, "PATCH", "/api/v1/namespaces", nil)
		wantError(t, resp, http.StatusMethodNotAllowed, ferry.EINVALID, "PATCH", "GET")
		if allow := resp.Header.Get("Allow"); !strings.Contains(allow, "POST") {
			t.Errorf("Allow = %q, want it to list POST", allow)
		}
	})
}

func TestRequestLog(t *testing.T) {
	ts := newTestServer(t)
	ts.mustNamespace(t, "dev")
	ts.raw(t, "PUT", "/api/v1/namespaces/dev/files/a.yaml?message=secret-ish-value", []byte("a"))
	logs := ts.logs.String()
	for _, want := range []string{`route="PUT /api/v1/namespaces/{ns}/files/{path...}"`, "status=201", "path=/api/v1/namespaces/dev/files/a.yaml"} {
		if !strings.Contains(logs, want) {
			t.Errorf("request log lacks %s:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, "secret-ish-value") {
		t.Errorf("request log contains a query value:\n%s", logs)
	}
}

func TestInternalErrorsAreLoggedNotShown(t *testing.T) {
	ts := newTestServer(t)
	ts.mustNamespace(t, "dev")
	ts.DB.Close()
	resp := ts.raw(t, "GET", "/api/v1/namespaces/dev", nil)
	wantError(t, resp, http.StatusInternalServerError, ferry.EINTERNAL, "Internal error.")
	if !strings.Contains(ts.logs.String(), "internal error") || !strings.Contains(ts.logs.String(), "level=ERROR") {
		t.Errorf("the internal error was not logged with its detail:\n%s", ts.logs.String())
	}
}
