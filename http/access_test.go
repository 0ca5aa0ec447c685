package http_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferrygit/ferry"
	fhttp "github.com/ferrygit/ferry/http"
	"github.com/ferrygit/ferry/password"
)

// mintToken stores an API token with perms, limited to ns ("" for all), expiring in an
// hour, straight in the database, and returns it and its ID.
func mintToken(t *testing.T, ts *testServer, ns string, perms ...ferry.Permission) (string, int64) {
	t.Helper()
	secret := ferry.TokenPrefix + strings.Repeat("x", 8) + fmt.Sprintf("%035d", time.Now().UnixNano())
	tok := &ferry.Token{Description: "test token", Permissions: perms, Namespace: ns, CreatedBy: "admin", ExpiresAt: time.Now().Add(time.Hour)}
	if err := ts.DB.CreateToken(context.Background(), tok, sha256.Sum256([]byte(secret))); err != nil {
		t.Fatal(err)
	}
	return secret, tok.ID
}

// as sends a request with bearer token to path.
func (ts *testServer) as(t *testing.T, token, method, path, body string) response {
	t.Helper()
	return ts.rawToken(t, method, path, []byte(body), "Bearer "+token, nil)
}

// concretePath fills a route pattern's wildcards: namespace dev, binding b1, and so on.
func concretePath(pattern string) (method, path string) {
	method, path, _ = strings.Cut(pattern, " ")
	return method, strings.NewReplacer("{ns}", "dev", "{b}", "b1", "{name}", "someone", "{p}", "p1", "{id}", "1",
		"{path...}", "a.yaml", "{namespace}", "dev").Replace(path)
}

// without returns every permission except admin and those in perms.
func without(perms []ferry.Permission) []ferry.Permission {
	var out []ferry.Permission
	for _, p := range ferry.Permissions {
		if p != ferry.PermAdmin && !slices.Contains(perms, p) {
			out = append(out, p)
		}
	}
	return out
}

// TestRoutePermissions: for every API route, a token with the route's permission (where
// the route needs it) gets past authorization; a token with every other permission gets
// 403; a token limited to another namespace gets, for a namespace route, the same 404 as a
// namespace that does not exist, and 403 for a route over all namespaces.
func TestRoutePermissions(t *testing.T) {
	routes := newTestServer(t).Routes()
	if len(routes) < 50 {
		t.Fatalf("only %d routes registered", len(routes))
	}
	hidden := `Namespace "dev" does not exist.`
	for _, rt := range routes {
		t.Run(rt.Pattern, func(t *testing.T) {
			ts := newTestServer(t)
			for _, ns := range []string{"dev", "other"} {
				if _, err := ts.Client.CreateNamespace(context.Background(), ns); err != nil {
					t.Fatal(err)
				}
			}
			method, path := concretePath(rt.Pattern)
			if rt.Scope != "anyone" {
				tok, _ := mintToken(t, ts, "", without(rt.Permissions)...)
				wantError(t, ts.as(t, tok, method, path, `{}`), 403, ferry.EFORBIDDEN, "permission")
			}
			if rt.Scope == "namespace" || rt.Scope == "global" {
				tok, _ := mintToken(t, ts, "other", without(nil)...)
				got := ts.as(t, tok, method, path, `{}`)
				if rt.Scope == "namespace" {
					wantError(t, got, 404, ferry.ENOTFOUND, hidden)
					plain := ts.raw(t, "GET", "/api/v1/namespaces/nope", nil)
					var a, b map[string]any
					json.Unmarshal(got.Body, &a)
					json.Unmarshal(plain.Body, &b)
					if fmt.Sprint(a["error"].(map[string]any)["code"]) != fmt.Sprint(b["error"].(map[string]any)["code"]) {
						t.Errorf("a hidden namespace answers %s, a missing one %s", got.Body, plain.Body)
					}
				} else {
					wantError(t, got, 403, ferry.EFORBIDDEN, `limited to namespace "other"`)
				}
			}
			// Allowed: limited to dev for a namespace route, otherwise for all namespaces.
			limit := ""
			if rt.Scope == "namespace" || rt.Scope == "anywhere" {
				limit = "dev"
			}
			perms := rt.Permissions
			if len(perms) == 0 {
				perms = []ferry.Permission{ferry.PermNamespacesRead}
			}
			tok, _ := mintToken(t, ts, limit, perms[:1]...)
			got := ts.as(t, tok, method, path, `{}`)
			if rt.Pattern == "PUT /api/v1/users/{name}/password" {
				// Open to anyone by route; the handler lets users change only their own.
				wantError(t, got, 403, ferry.EFORBIDDEN, "Only an admin")
				return
			}
			if got.Status == 401 || got.Status == 403 || strings.Contains(string(got.Body), hidden) {
				t.Errorf("with %v (namespace %q): %d %s", perms[:1], limit, got.Status, got.Body)
			}
		})
	}
}

// TestTokenLifecycle: a token made through the API is shown once with fy_ and 43
// characters, stored as a hash, listed without the secret, works within its namespace and
// permissions only, records its last use, and stops at once when revoked or expired, each
// with a message saying which.
func TestTokenLifecycle(t *testing.T) {
	clock := &testClock{now: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)}
	ts := newTestServer(t, func(s *fhttp.Server) { s.Now = clock.Now })
	ctx := context.Background()
	for _, ns := range []string{"dev", "prod"} {
		if _, err := ts.Client.CreateNamespace(ctx, ns); err != nil {
			t.Fatal(err)
		}
	}
	resp := ts.raw(t, "POST", "/api/v1/tokens", []byte(`{"description":"GitLab CI sync for payments","lifetime":"P1Y","permissions":["sync:trigger","namespaces:read"],"namespace":"dev"}`))
	if resp.Status != http.StatusCreated {
		t.Fatalf("create = %d %s", resp.Status, resp.Body)
	}
	var created fhttp.TokenResponse
	decode(t, resp, &created)
	if !strings.HasPrefix(created.Secret, "fy_") || len(created.Secret) != 3+43 || created.ID == 0 ||
		!created.ExpiresAt.Equal(time.Date(2027, 11, 22, 9, 0, 0, 0, time.UTC)) || created.CreatedBy != "admin" {
		t.Fatalf("created = %s", resp.Body)
	}
	if resp.Header.Get("Location") != fmt.Sprintf("/api/v1/tokens/%d", created.ID) {
		t.Errorf("Location = %q", resp.Header.Get("Location"))
	}
	if _, err := ts.DB.FindTokenByHash(ctx, sha256.Sum256([]byte(created.Secret))); err != nil {
		t.Fatalf("the token is not stored by its hash: %v", err)
	}
	tok := created.Secret

	// It may read dev and trigger syncs there, nothing else.
	if got := ts.as(t, tok, "GET", "/api/v1/namespaces/dev", ""); got.Status != 200 {
		t.Fatalf("read dev = %d %s", got.Status, got.Body)
	}
	wantError(t, ts.as(t, tok, "GET", "/api/v1/namespaces/prod", ""), 404, ferry.ENOTFOUND, `Namespace "prod" does not exist.`)
	wantError(t, ts.as(t, tok, "PUT", "/api/v1/namespaces/dev/files/a.yaml", "x"), 403, ferry.EFORBIDDEN, "namespaces:write")
	wantError(t, ts.as(t, tok, "POST", "/api/v1/namespaces", `{"name":"x"}`), 403, ferry.EFORBIDDEN)
	wantError(t, ts.as(t, tok, "GET", "/api/v1/tokens", ""), 403, ferry.EFORBIDDEN, "tokens:manage")
	var list struct{ Items []ferry.Namespace }
	decode(t, ts.as(t, tok, "GET", "/api/v1/namespaces", ""), &list)
	if len(list.Items) != 1 || list.Items[0].Name != "dev" {
		t.Errorf("namespaces the token sees = %+v", list.Items)
	}

	// Listed with its last use, never with the secret.
	clock.advance(2 * time.Minute)
	ts.as(t, tok, "GET", "/api/v1/namespaces/dev", "")
	listed := ts.raw(t, "GET", "/api/v1/tokens", nil)
	if strings.Contains(string(listed.Body), tok) || strings.Contains(string(listed.Body), tok[3:20]) {
		t.Fatalf("the list shows the token: %s", listed.Body)
	}
	var tokens struct{ Items []ferry.Token }
	decode(t, listed, &tokens)
	if len(tokens.Items) != 1 || tokens.Items[0].LastUsedAt.IsZero() || tokens.Items[0].Description != "GitLab CI sync for payments" ||
		tokens.Items[0].Namespace != "dev" || !slices.Equal(tokens.Items[0].Permissions, []ferry.Permission{ferry.PermSyncTrigger, ferry.PermNamespacesRead}) {
		t.Fatalf("listed = %s", listed.Body)
	}

	// Expired: 401 saying so. Revoked: 401 saying so. Unknown: 401 saying so.
	clock.advance(366 * 24 * time.Hour)
	wantError(t, ts.as(t, tok, "GET", "/api/v1/namespaces/dev", ""), 401, ferry.EUNAUTHORIZED, "expired")
	clock.set(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	if got := ts.raw(t, "DELETE", fmt.Sprintf("/api/v1/tokens/%d", created.ID), nil); got.Status != 204 {
		t.Fatalf("revoke = %d %s", got.Status, got.Body)
	}
	wantError(t, ts.as(t, tok, "GET", "/api/v1/namespaces/dev", ""), 401, ferry.EUNAUTHORIZED, "revoked")
	wantError(t, ts.raw(t, "DELETE", fmt.Sprintf("/api/v1/tokens/%d", created.ID), nil), 404, ferry.ENOTFOUND)
	wantError(t, ts.as(t, "fy_"+strings.Repeat("A", 43), "GET", "/api/v1/namespaces/dev", ""), 401, ferry.EUNAUTHORIZED, "not known")
	for _, got := range []response{ts.as(t, tok, "GET", "/api/v1/namespaces/dev", ""), ts.as(t, "fy_nope", "GET", "/api/v1/namespaces", "")} {
		if strings.Contains(string(got.Body), "dev") || strings.Contains(string(got.Body), "GitLab") {
			t.Errorf("a refused token learnt something: %s", got.Body)
		}
	}
}

// example matches an example of a valid lifetime in a message.
var example = regexp.MustCompile(`\bPT?[0-9]+[YMWDHS]`)

// TestTokenCreationRules: lifetimes must be ISO-8601 durations within the cap, permissions
// known, and a token never grants more than its creator holds, in scope or in time.
func TestTokenCreationRules(t *testing.T) {
	ts := newTestServer(t, func(s *fhttp.Server) { s.MaxTokenLifetime = ferry.Lifetime{Years: 2} })
	ctx := context.Background()
	for _, ns := range []string{"dev", "prod"} {
		if _, err := ts.Client.CreateNamespace(ctx, ns); err != nil {
			t.Fatal(err)
		}
	}
	post := func(token, body string) response { return ts.as(t, token, "POST", "/api/v1/tokens", body) }
	body := func(lifetime, perms, ns string) string {
		return fmt.Sprintf(`{"description":"ci","lifetime":%q,"permissions":[%s],"namespace":%q}`, lifetime, perms, ns)
	}
	for _, lt := range []string{"1y", "P", "PT", "P1DT", "-P1D", "P1.5D", "p1y", " P1Y", "P0D", "PT0S", "P1M1Y", "P99999999999Y", "365d", "P1Y\n"} {
		got := post(testToken, body(lt, `"sync:trigger"`, ""))
		wantError(t, got, 400, ferry.EINVALID, "Lifetime")
		if !example.Match(got.Body) {
			t.Errorf("lifetime %q: the message shows no valid example: %s", lt, got.Body)
		}
	}
	wantError(t, post(testToken, `{"description":"ci","permissions":["sync:trigger"]}`), 400, ferry.EINVALID, "lifetime is required")
	wantError(t, post(testToken, body("P3Y", `"sync:trigger"`, "")), 400, ferry.EINVALID, "P2Y", "--max-token-lifetime")
	wantError(t, post(testToken, body("P1Y", `"sync:everything"`, "")), 400, ferry.EINVALID, "sync:everything", "namespaces:read")
	wantError(t, post(testToken, body("P1Y", ``, "")), 400, ferry.EINVALID, "Permissions are required")
	wantError(t, post(testToken, body("P1Y", `"sync:trigger"`, "nope")), 404, ferry.ENOTFOUND, "nope")
	wantError(t, post(testToken, `{"lifetime":"P1Y","permissions":["sync:trigger"]}`), 400, ferry.EINVALID, "description")
	for _, lt := range []string{"P1Y", "P3Y6M4DT12H30M5S"[:0] + "P1Y6M4DT12H30M5S", "PT12H", "P2W"} {
		if got := post(testToken, body(lt, `"sync:trigger"`, "dev")); got.Status != 201 {
			t.Errorf("lifetime %s: %d %s", lt, got.Status, got.Body)
		}
	}

	// A maintainer-like token of dev that may manage tokens.
	limited, _ := mintToken(t, ts, "dev", ferry.PermTokensManage, ferry.PermSyncTrigger)
	wantError(t, post(limited, body("PT1H", `"namespaces:write"`, "dev")), 403, ferry.EFORBIDDEN, "namespaces:write", "more than its creator")
	wantError(t, post(limited, body("PT1H", `"sync:trigger"`, "")), 403, ferry.EFORBIDDEN, `limited to namespace "dev"`)
	wantError(t, post(limited, body("PT1H", `"sync:trigger"`, "prod")), 404, ferry.ENOTFOUND, `"prod"`)
	wantError(t, post(limited, body("P1D", `"sync:trigger"`, "dev")), 403, ferry.EFORBIDDEN, "outlive")
	if got := post(limited, body("PT30M", `"sync:trigger"`, "dev")); got.Status != 201 {
		t.Fatalf("a narrower token: %d %s", got.Status, got.Body)
	}
	// It lists and may revoke only the tokens it made, and itself.
	var mine struct{ Items []ferry.Token }
	decode(t, ts.as(t, limited, "GET", "/api/v1/tokens", ""), &mine)
	if len(mine.Items) != 2 || mine.Items[0].CreatedBy != fmt.Sprintf("token:%d", mine.Items[1].ID) || mine.Items[1].CreatedBy != "admin" {
		t.Fatalf("the limited token lists %+v", mine.Items)
	}
	wantError(t, ts.as(t, limited, "DELETE", "/api/v1/tokens/1", ""), 404, ferry.ENOTFOUND)
}

// recordingTokens records the hashes the server looks tokens up by.
type recordingTokens struct {
	ferry.TokenService
	mu     sync.Mutex
	hashes [][32]byte
}

func (r *recordingTokens) FindTokenByHash(ctx context.Context, h [32]byte) (*ferry.Token, error) {
	r.mu.Lock()
	r.hashes = append(r.hashes, h)
	r.mu.Unlock()
	return r.TokenService.FindTokenByHash(ctx, h)
}

// TestTokenLookupByWholeHash: guesses that share a long prefix with a real token are looked
// up only by the SHA-256 of the whole guess — an equality lookup on a uniformly random
// key — so nothing is compared byte by byte and no prefix is ever consulted.
func TestTokenLookupByWholeHash(t *testing.T) {
	var rec *recordingTokens
	ts := newTestServer(t, func(s *fhttp.Server) {
		rec = &recordingTokens{TokenService: s.Tokens}
		s.Tokens = rec
	})
	real, _ := mintToken(t, ts, "", ferry.PermNamespacesRead)
	guesses := []string{real[:len(real)-1] + "!", real[:10] + strings.Repeat("z", len(real)-10), real + "x", real[:len(real)-1]}
	for _, g := range guesses {
		wantError(t, ts.as(t, g, "GET", "/api/v1/namespaces", ""), 401, ferry.EUNAUTHORIZED, "not known")
	}
	if got := ts.as(t, real, "GET", "/api/v1/namespaces", ""); got.Status != 200 {
		t.Fatalf("real token: %d %s", got.Status, got.Body)
	}
	if len(rec.hashes) != len(guesses)+1 {
		t.Fatalf("%d lookups for %d requests", len(rec.hashes), len(guesses)+1)
	}
	for i, g := range append(guesses, real) {
		if rec.hashes[i] != sha256.Sum256([]byte(g)) {
			t.Errorf("lookup %d was not by the hash of the whole token", i)
		}
	}
}

// testClock is a clock tests set and advance.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
func (c *testClock) set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.now = t }

// mustUser stores user name with password pw, admin or with roles.
func mustUser(t *testing.T, ts *testServer, name, pw string, admin bool, roles map[string]string) {
	t.Helper()
	hash, err := password.Hash(pw)
	if err != nil {
		t.Fatal(err)
	}
	if err := ts.DB.CreateUser(context.Background(), &ferry.User{Name: name, Admin: admin, Roles: roles}, hash); err != nil {
		t.Fatal(err)
	}
}

// login logs in and returns the session cookie and the CSRF token.
func login(t *testing.T, ts *testServer, name, pw string) (*http.Cookie, string, response) {
	t.Helper()
	resp := ts.rawToken(t, "POST", "/api/v1/session", []byte(fmt.Sprintf(`{"name":%q,"password":%q}`, name, pw)), "", nil)
	if resp.Status != 200 {
		return nil, "", resp
	}
	var s fhttp.SessionResponse
	decode(t, resp, &s)
	for _, c := range (&http.Response{Header: resp.Header}).Cookies() {
		if c.Name == "ferry_session" {
			return c, s.CSRFToken, resp
		}
	}
	t.Fatalf("no session cookie in %v", resp.Header)
	return nil, "", resp
}

// withSession sends a request with a session cookie and, unless csrf is "", the CSRF header.
func withSession(t *testing.T, ts *testServer, c *http.Cookie, csrf, method, path, body string, extra ...string) response {
	t.Helper()
	h := http.Header{"Cookie": {c.Name + "=" + c.Value}}
	if csrf != "" {
		h.Set("X-CSRF-Token", csrf)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		h.Set(extra[i], extra[i+1])
	}
	return ts.rawToken(t, method, path, []byte(body), "", h)
}

// TestSessions: login sets a Secure, HttpOnly, SameSite=Strict cookie; reads work with the
// cookie alone, writes need the CSRF token and are refused cross-site; roles decide what a
// user may do per namespace; logout ends the session.
func TestSessions(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	for _, ns := range []string{"dev", "prod"} {
		if _, err := ts.Client.CreateNamespace(ctx, ns); err != nil {
			t.Fatal(err)
		}
	}
	const pw = "correct horse battery staple"
	mustUser(t, ts, "alice", pw, false, map[string]string{"dev": ferry.RoleEditor})
	wantError(t, ts.rawToken(t, "POST", "/api/v1/session", []byte(`{"name":"alice","password":"wrong password!"}`), "", nil), 401, ferry.EUNAUTHORIZED, "name or password is wrong")
	wantError(t, ts.rawToken(t, "POST", "/api/v1/session", []byte(`{"name":"nobody","password":"wrong password!"}`), "", nil), 401, ferry.EUNAUTHORIZED, "name or password is wrong")
	c, csrf, resp := login(t, ts, "alice", pw)
	if c == nil {
		t.Fatalf("login = %d %s", resp.Status, resp.Body)
	}
	if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.MaxAge <= 0 || len(c.Value) < 43 {
		t.Fatalf("cookie = %+v", c)
	}
	if strings.Contains(string(resp.Body), c.Value) || csrf == "" {
		t.Fatalf("login answer = %s", resp.Body)
	}

	if got := withSession(t, ts, c, "", "GET", "/api/v1/namespaces/dev/tree", ""); got.Status != 200 {
		t.Fatalf("read with the cookie = %d %s", got.Status, got.Body)
	}
	wantError(t, withSession(t, ts, c, "", "PUT", "/api/v1/namespaces/dev/files/a.yaml", "a: 1"), 403, ferry.EFORBIDDEN, "X-CSRF-Token")
	wantError(t, withSession(t, ts, c, "not-the-token", "PUT", "/api/v1/namespaces/dev/files/a.yaml", "a: 1"), 403, ferry.EFORBIDDEN, "X-CSRF-Token")
	wantError(t, withSession(t, ts, c, csrf, "PUT", "/api/v1/namespaces/dev/files/a.yaml", "a: 1", "Sec-Fetch-Site", "cross-site"), 403, ferry.EFORBIDDEN, "Cross-site")
	if got := withSession(t, ts, c, csrf, "PUT", "/api/v1/namespaces/dev/files/a.yaml", "a: 1"); got.Status != 201 && got.Status != 200 {
		t.Fatalf("write with the CSRF token = %d %s", got.Status, got.Body)
	}
	// An editor may not manage bindings, and does not see prod.
	wantError(t, withSession(t, ts, c, csrf, "POST", "/api/v1/namespaces/dev/bindings", `{}`), 403, ferry.EFORBIDDEN, "bindings:manage")
	wantError(t, withSession(t, ts, c, "", "GET", "/api/v1/namespaces/prod/tree", ""), 404, ferry.ENOTFOUND, `Namespace "prod" does not exist.`)
	wantError(t, withSession(t, ts, c, csrf, "GET", "/api/v1/users", ""), 403, ferry.EFORBIDDEN, "admin")
	var who fhttp.SessionResponse
	decode(t, withSession(t, ts, c, "", "GET", "/api/v1/session", ""), &who)
	if who.Kind != "user" || who.Name != "alice" || who.Roles["dev"] != "editor" || who.CSRFToken != csrf {
		t.Fatalf("who am I = %+v", who)
	}

	// Roles only in namespaces that exist.
	wantError(t, ts.raw(t, "PUT", "/api/v1/users/alice/roles/nope", []byte(`{"role":"viewer"}`)), 404, ferry.ENOTFOUND, `"nope"`)
	wantError(t, ts.raw(t, "POST", "/api/v1/users", []byte(`{"name":"bob","password":"long enough password","roles":{"nope":"viewer"}}`)), 404, ferry.ENOTFOUND, `"nope"`)
	wantError(t, ts.raw(t, "PUT", "/api/v1/users/alice/roles/prod", []byte(`{"role":"owner"}`)), 400, ferry.EINVALID, "viewer, editor or maintainer")

	// Logout clears the cookie and ends the session.
	out := withSession(t, ts, c, csrf, "DELETE", "/api/v1/session", "")
	if out.Status != 204 || !strings.Contains(out.Header.Get("Set-Cookie"), "Max-Age=0") {
		t.Fatalf("logout = %d %v", out.Status, out.Header)
	}
	wantError(t, withSession(t, ts, c, "", "GET", "/api/v1/namespaces/dev/tree", ""), 401, ferry.EUNAUTHORIZED, "log in again")
}

// TestLoginThrottling: after five wrong passwords for a name from one address, even the
// right one waits (429 with Retry-After), twice as long after each further failure; another
// name is not held up; once the wait is over the right password works and the count resets.
func TestLoginThrottling(t *testing.T) {
	clock := &testClock{now: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)}
	ts := newTestServer(t, func(s *fhttp.Server) { s.Now = clock.Now })
	const pw = "correct horse battery staple"
	mustUser(t, ts, "alice", pw, false, nil)
	mustUser(t, ts, "bob", pw, false, nil)
	for range 5 {
		wantError(t, ts.rawToken(t, "POST", "/api/v1/session", []byte(`{"name":"alice","password":"guess guess guess"}`), "", nil), 401, ferry.EUNAUTHORIZED)
	}
	held := ts.rawToken(t, "POST", "/api/v1/session", []byte(`{"name":"ALICE","password":"`+pw+`"}`), "", nil)
	wantError(t, held, 429, ferry.ERATELIMITED, "Too many failed logins")
	if held.Header.Get("Retry-After") != "15" {
		t.Errorf("Retry-After = %q, want 15", held.Header.Get("Retry-After"))
	}
	if c, _, resp := login(t, ts, "bob", pw); c == nil {
		t.Fatalf("another user is held up: %d %s", resp.Status, resp.Body)
	}
	clock.advance(16 * time.Second)
	wantError(t, ts.rawToken(t, "POST", "/api/v1/session", []byte(`{"name":"alice","password":"guess again guess"}`), "", nil), 401, ferry.EUNAUTHORIZED)
	if got := ts.rawToken(t, "POST", "/api/v1/session", []byte(`{"name":"alice","password":"`+pw+`"}`), "", nil); got.Header.Get("Retry-After") != "30" {
		t.Errorf("after a sixth failure: %d, Retry-After %q, want 30", got.Status, got.Header.Get("Retry-After"))
	}
	clock.advance(31 * time.Second)
	if c, _, resp := login(t, ts, "alice", pw); c == nil {
		t.Fatalf("after the wait: %d %s", resp.Status, resp.Body)
	}
	wantError(t, ts.rawToken(t, "POST", "/api/v1/session", []byte(`{"name":"alice","password":"guess guess guess"}`), "", nil), 401, ferry.EUNAUTHORIZED)
}

// TestAuditEveryWriteOnce: every state-changing route, allowed or refused, leaves exactly
// one audit entry naming the route, the actor, the target and the result; reads leave none;
// no secret reaches the log; the log filters by actor, action, namespace and time, and only
// admins read it.
func TestAuditEveryWriteOnce(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	if _, err := ts.Client.CreateNamespace(ctx, "dev"); err != nil {
		t.Fatal(err)
	}
	const secret = "ghp_audit_secret_token_value"
	if _, err := ts.Client.CreateCredential(ctx, fhttp.CredentialRequest{Name: "gh", Kind: "token", Token: secret}); err != nil {
		t.Fatal(err)
	}
	before, _, err := ts.DB.ListAudit(ctx, ferry.AuditFilter{Page: ferry.Page{Limit: 1000}})
	if err != nil || len(before) != 2 {
		t.Fatalf("audit before = %d entries, %v", len(before), err)
	}
	mintToken(t, ts, "", ferry.PermNamespacesRead) // token 1, which DELETE /api/v1/tokens/{id} revokes
	reader, readerID := mintToken(t, ts, "", ferry.PermNamespacesRead)
	var writes []string
	for _, rt := range ts.Routes() {
		method, path := concretePath(rt.Pattern)
		ts.raw(t, method, path, []byte(`{"token":"`+secret+`"}`))
		ts.as(t, reader, method, path, `{"password":"`+secret+`"}`)
		if method != "GET" {
			writes = append(writes, rt.Pattern)
		}
	}
	entries, _, err := ts.DB.ListAudit(ctx, ferry.AuditFilter{Page: ferry.Page{Limit: 1000}})
	if err != nil {
		t.Fatal(err)
	}
	entries = entries[:len(entries)-len(before)]
	count := map[string]int{}
	for _, e := range entries {
		count[e.Action+" by "+e.Actor]++
		if e.Target == "" || e.RemoteAddr != "127.0.0.1" || e.Time.IsZero() || e.Status == 0 || e.Result == "" {
			t.Errorf("incomplete entry %+v", e)
		}
	}
	reader0 := fmt.Sprintf("token:%d", readerID)
	for _, w := range writes {
		if count[w+" by admin"] != 1 || count[w+" by "+reader0] != 1 {
			t.Errorf("%s: %d entries by admin, %d by the reader; want 1 each", w, count[w+" by admin"], count[w+" by "+reader0])
		}
	}
	if len(entries) != 2*len(writes) {
		t.Errorf("%d entries for %d writes by two actors (reads must leave none)", len(entries), len(writes))
	}
	all, _ := json.Marshal(entries)
	if strings.Contains(string(all), secret) {
		t.Fatal("a secret reached the audit log")
	}

	// Filters, over the API, admin only.
	var page struct {
		Items []ferry.AuditEntry
		Next  string
	}
	decode(t, ts.raw(t, "GET", "/api/v1/audit?actor="+reader0+"&action=DELETE+/api/v1/namespaces/{ns}&namespace=dev&limit=5", nil), &page)
	if len(page.Items) != 1 || page.Items[0].Result != ferry.EFORBIDDEN || page.Items[0].Status != 403 || page.Items[0].Namespace != "dev" || page.Items[0].ActorName != "test token" {
		t.Fatalf("filtered = %+v", page.Items)
	}
	decode(t, ts.raw(t, "GET", "/api/v1/audit?limit=5&since="+time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), nil), &page)
	if len(page.Items) != 5 || page.Next == "" {
		t.Fatalf("page = %d items, next %q", len(page.Items), page.Next)
	}
	decode(t, ts.raw(t, "GET", "/api/v1/audit?until=2000-01-01T00:00:00Z", nil), &page)
	if len(page.Items) != 0 {
		t.Fatalf("until 2000: %d items", len(page.Items))
	}
	wantError(t, ts.raw(t, "GET", "/api/v1/audit?since=yesterday", nil), 400, ferry.EINVALID, "RFC 3339")
	wantError(t, ts.as(t, reader, "GET", "/api/v1/audit", ""), 403, ferry.EFORBIDDEN, "admin")
}
