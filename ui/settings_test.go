package ui_test

import (
	"bytes"
	"context"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferrygit/ferry"
	fhttp "github.com/ferrygit/ferry/http"
	"github.com/ferrygit/ferry/password"
	"github.com/ferrygit/ferry/provider"
	"github.com/ferrygit/ferry/provider/github"
	pt "github.com/ferrygit/ferry/provider/providertest"
	"github.com/ferrygit/ferry/secretbox"
	"github.com/ferrygit/ferry/sqlstore"
	"github.com/ferrygit/ferry/sshkey"
	"github.com/ferrygit/ferry/ui"
)

// setAdminPassword is the password of the admin user of every test server.
const setAdminPassword = "correct horse battery staple"

// setServer is a real ferry server with the UI, over SQLite in a temporary directory. It
// keeps every page body it served to the tests and the server's log, to search them for
// secrets.
type setServer struct {
	*fhttp.Server
	DB   *sqlstore.DB
	logs *setLog

	mu    sync.Mutex
	pages []string
}

// newSetServer starts a server; configure, if given, adjusts it before it opens.
func newSetServer(t *testing.T, configure ...func(*fhttp.Server, *sqlstore.DB)) *setServer {
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
	logs := &setLog{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	srv := fhttp.NewServer()
	srv.Namespaces, srv.Files, srv.Ready = db, db, db.Ping
	srv.Credentials, srv.KnownHosts = db, db
	srv.Tokens, srv.Users, srv.Audit = db, db, db
	srv.Logger = logger
	srv.InsecureCookies = true
	for _, f := range configure {
		f(srv, db)
	}
	srv.UI = (&ui.Server{API: srv.Handler(), Logger: logger}).Handler()
	if err := srv.Open("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Close(ctx); err != nil {
			t.Error(err)
		}
	})
	hash, err := password.Hash(setAdminPassword)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateUser(ctx, &ferry.User{Name: "admin", Admin: true}, hash); err != nil {
		t.Fatal(err)
	}
	return &setServer{Server: srv, DB: db, logs: logs}
}

// setLog is a bytes.Buffer that the server's goroutines may write concurrently.
type setLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *setLog) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *setLog) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// wantNowhere fails if secret is in any page served so far or in the server's log.
func (s *setServer) wantNowhere(t *testing.T, secret string) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.pages {
		if strings.Contains(p, secret) || strings.Contains(html.UnescapeString(p), secret) {
			t.Errorf("a page shows the secret %q:\n%s", secret, p)
		}
	}
	if strings.Contains(s.logs.String(), secret) {
		t.Errorf("the server logged the secret %q:\n%s", secret, s.logs.String())
	}
}

// setBrowser is a logged-in user: a cookie jar and the CSRF token of their session.
type setBrowser struct {
	t    *testing.T
	s    *setServer
	http *http.Client
	csrf string
}

// setPage is one answer: its status, its body and, for a redirect, where it leads.
type setPage struct {
	Status   int
	Body     string
	Location string
}

// login logs in as name on a new setBrowser.
func (s *setServer) login(t *testing.T, name, pw string) *setBrowser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	b := &setBrowser{t: t, s: s, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
	p := b.do("POST", "/login", url.Values{"name": {name}, "password": {pw}})
	if p.Status != http.StatusSeeOther {
		t.Fatalf("log in as %s: status %d:\n%s", name, p.Status, p.Body)
	}
	b.get("/") // for the CSRF token
	if b.csrf == "" {
		t.Fatalf("no CSRF token on the page after logging in as %s", name)
	}
	return b
}

var setCSRFField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *setBrowser) do(method, path string, form url.Values) setPage {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.s.URL()+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.http.Do(req)
	if err != nil {
		b.t.Fatalf("%v; the server's log:\n%s", err, b.s.logs.String())
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	p := setPage{Status: resp.StatusCode, Body: string(data), Location: resp.Header.Get("Location")}
	if m := setCSRFField.FindStringSubmatch(p.Body); m != nil {
		b.csrf = m[1]
	}
	b.s.mu.Lock()
	b.s.pages = append(b.s.pages, p.Body)
	b.s.mu.Unlock()
	return p
}

// get fetches path and wants status 200.
func (b *setBrowser) get(path string) setPage {
	b.t.Helper()
	return b.want(http.StatusOK, b.do("GET", path, nil))
}

// post sends form to path with the session's CSRF token.
func (b *setBrowser) post(path string, form url.Values) setPage {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf", b.csrf)
	return b.do("POST", path, form)
}

// follow posts form and follows the redirect that must answer it, returning the page
// it leads to.
func (b *setBrowser) follow(path string, form url.Values) setPage {
	b.t.Helper()
	p := b.want(http.StatusSeeOther, b.post(path, form))
	return b.get(p.Location)
}

func (b *setBrowser) want(status int, p setPage) setPage {
	b.t.Helper()
	if p.Status != status {
		b.t.Fatalf("status %d, want %d:\n%s", p.Status, status, p.Body)
	}
	return p
}

// text returns the page's text: tags removed, entities decoded, spaces collapsed.
func (p setPage) text() string {
	s := regexp.MustCompile(`(?s)<[^>]*>`).ReplaceAllString(p.Body, " ")
	return strings.Join(strings.Fields(html.UnescapeString(s)), " ")
}

// wantText fails unless the page's text holds each of fragments.
func (p setPage) wantText(t *testing.T, fragments ...string) {
	t.Helper()
	text := p.text()
	for _, f := range fragments {
		if !strings.Contains(text, f) {
			t.Errorf("the page does not say %q:\n%s", f, text)
		}
	}
}

// wantNoText fails if the page's text holds any of fragments.
func (p setPage) wantNoText(t *testing.T, fragments ...string) {
	t.Helper()
	text := p.text()
	for _, f := range fragments {
		if strings.Contains(text, f) {
			t.Errorf("the page says %q:\n%s", f, text)
		}
	}
}

// inputValue returns the value of the input with id, and whether there is one.
func (p setPage) inputValue(id string) (string, bool) {
	m := regexp.MustCompile(`<input id="` + regexp.QuoteMeta(id) + `"[^>]*?value="([^"]*)"`).FindStringSubmatch(p.Body)
	if m == nil {
		return "", false
	}
	return html.UnescapeString(m[1]), true
}

func (p setPage) wantValue(t *testing.T, id, want string) {
	t.Helper()
	if got, ok := p.inputValue(id); !ok || got != want {
		t.Errorf("input %s has value %q (found: %t), want %q", id, got, ok, want)
	}
}

var setPublicKeyPre = regexp.MustCompile(`<pre class="key" id="public-key">([^<]+)</pre>`)

func TestCredentialPages(t *testing.T) {
	t.Parallel()
	s := newSetServer(t)
	b := s.login(t, "admin", setAdminPassword)

	// Generate: the public key, its copy button and where to add it, right away.
	p := b.want(http.StatusCreated, b.post("/settings/credentials", url.Values{"form": {"generate"}, "name": {"deploy"}, "algorithm": {"ed25519"}}))
	p.wantText(t, "Public key of deploy", "Credential deploy added.", "SHA256:", "Add it as a deploy key", "GitHub → the repository's Settings → Deploy keys")
	m := setPublicKeyPre.FindStringSubmatch(p.Body)
	if m == nil || !strings.HasPrefix(m[1], "ssh-ed25519 AAAA") {
		t.Fatalf("no ed25519 public key on the page:\n%s", p.Body)
	}
	oldKey := html.UnescapeString(m[1])
	if !strings.Contains(p.Body, `data-copy="#public-key"`) {
		t.Error("the public key has no copy button")
	}
	list := b.get("/settings/credentials")
	list.wantText(t, "deploy", "ssh-key", "(ed25519, generated)", oldKey, "Rotate")

	// Rotate, after asking: a new key, shown the same way.
	b.get("/settings/credentials/deploy/rotate").wantText(t, "Replace the key pair of credential deploy with a new one?")
	p = b.want(http.StatusOK, b.post("/settings/credentials/deploy/rotate", url.Values{"algorithm": {""}}))
	p.wantText(t, "The key was rotated", "Add it as a deploy key")
	if m := setPublicKeyPre.FindStringSubmatch(p.Body); m == nil || html.UnescapeString(m[1]) == oldKey || !strings.HasPrefix(m[1], "ssh-ed25519 ") {
		t.Errorf("rotating did not show a new ed25519 key:\n%s", p.Body)
	}

	// A token: its secret is never shown again, not even when the form comes back.
	const secret = "glpat-Zx81SecretValue7q"
	p = b.want(http.StatusBadRequest, b.post("/settings/credentials", url.Values{"form": {"token"}, "name": {"Bad Name"}, "username": {"oauth2"}, "token": {secret}}))
	p.wantText(t, "Credential name:", "lowercase letters, digits and '-'")
	p.wantValue(t, "tok-name", "Bad Name")
	p.wantValue(t, "tok-user", "oauth2")
	if v, ok := p.inputValue("tok-secret"); ok {
		t.Errorf("the token field came back with value %q", v)
	}
	if !regexp.MustCompile(`<details class="form" open>\s*<summary>Access token`).MatchString(p.Body) {
		t.Error("the token form is not the open one after its failure")
	}
	list = b.follow("/settings/credentials", url.Values{"form": {"token"}, "name": {"gitlab"}, "username": {"oauth2"}, "token": {secret}})
	list.wantText(t, "Credential gitlab added.", "gitlab", "token", "oauth2")

	// Replacing the token: the form never holds it either.
	edit := b.get("/settings/credentials/gitlab/edit")
	edit.wantText(t, "Replace the secret of gitlab")
	edit.wantValue(t, "ed-user", "oauth2")
	const secret2 = "glpat-Second8SecretValue"
	p = b.want(http.StatusBadRequest, b.post("/settings/credentials/gitlab/edit", url.Values{"username": {"oauth2"}, "token": {secret2 + " "}}))
	p.wantText(t, "white space")
	b.follow("/settings/credentials/gitlab/edit", url.Values{"username": {"ci"}, "token": {secret2}}).wantText(t, "Credential gitlab changed.", "ci")

	// A token credential cannot be rotated: the API says what to do instead.
	p = b.want(http.StatusBadRequest, b.post("/settings/credentials/gitlab/rotate", nil))
	p.wantText(t, `Credential "gitlab" holds a token, which Ferry cannot make`)

	// A basic credential, and a GitHub App whose key is not a key.
	b.follow("/settings/credentials", url.Values{"form": {"basic"}, "name": {"bb"}, "username": {"bot"}, "password": {"hunter2-long-password"}}).wantText(t, "Credential bb added.")
	p = b.post("/settings/credentials", url.Values{"form": {"github-app"}, "name": {"app"}, "app_id": {"12345"}, "installation_id": {"678"}, "private_key": {"not-a-pem-key-SECRET"}})
	if p.Status != http.StatusBadRequest {
		t.Errorf("a github-app credential with a bad key: status %d, want 400", p.Status)
	}
	p.wantValue(t, "app-id", "12345")
	p.wantValue(t, "app-inst", "678")

	// Import an SSH key, pasted with a browser's CRLF line breaks.
	pair, err := sshkey.Generate(sshkey.Ed25519)
	if err != nil {
		t.Fatal(err)
	}
	p = b.want(http.StatusCreated, b.post("/settings/credentials", url.Values{"form": {"import"}, "name": {"imported"},
		"private_key": {strings.ReplaceAll(string(pair.PrivateKey), "\n", "\r\n")}}))
	p.wantText(t, "Public key of imported", pair.Fingerprint)

	// Delete, after asking.
	b.get("/settings/credentials/deploy/delete").wantText(t, "Delete credential deploy?")
	list = b.follow("/settings/credentials/deploy/delete", nil)
	list.wantText(t, "Credential deploy deleted.")
	if strings.Contains(list.Body, `href="/settings/credentials/deploy/`) {
		t.Error("the deleted credential is still listed")
	}

	for _, path := range []string{"/settings/credentials", "/settings/credentials/gitlab/edit", "/settings/audit", "/settings/tokens"} {
		b.get(path)
	}
	s.wantNowhere(t, secret)
	s.wantNowhere(t, secret2)
	s.wantNowhere(t, "hunter2-long-password")
	s.wantNowhere(t, "not-a-pem-key-SECRET")
	s.wantNowhere(t, strings.TrimSpace(string(pair.PrivateKey)))
}

var setTokenPattern = regexp.MustCompile(`fy_[A-Za-z0-9_-]{20,}`)

func TestTokenPages(t *testing.T) {
	t.Parallel()
	s := newSetServer(t)
	b := s.login(t, "admin", setAdminPassword)
	b.follow("/namespaces", url.Values{"name": {"dev"}})

	// A bad lifetime: the form again with the API's message and what was typed.
	p := b.want(http.StatusBadRequest, b.post("/settings/tokens", url.Values{"description": {"CI for dev"}, "lifetime": {"1 year"},
		"permission": {"namespaces:read", "sync:trigger"}, "namespace": {"dev"}}))
	p.wantText(t, `Lifetime "1 year" is not an ISO-8601 duration`, "ISO-8601: P1Y, P6M, P2W, PT12H")
	p.wantValue(t, "tk-desc", "CI for dev")
	p.wantValue(t, "tk-life", "1 year")
	for perm, want := range map[string]bool{"namespaces:read": true, "sync:trigger": true, "admin": false} {
		checked := regexp.MustCompile(`id="perm-` + perm + `"[^>]*checked`).MatchString(p.Body)
		if checked != want {
			t.Errorf("permission %s checked = %t after the failure, want %t", perm, checked, want)
		}
	}
	if !regexp.MustCompile(`<option value="dev" selected>`).MatchString(p.Body) {
		t.Error("namespace dev is not selected after the failure")
	}

	// Created: the token once, with a copy button and a curl example that works.
	p = b.want(http.StatusCreated, b.post("/settings/tokens", url.Values{"description": {"CI for dev"}, "lifetime": {"P6M"},
		"permission": {"namespaces:read", "sync:trigger"}, "namespace": {"dev"}}))
	token := setTokenPattern.FindString(p.Body)
	if token == "" {
		t.Fatalf("no token on the page:\n%s", p.Body)
	}
	p.wantText(t, "it is shown this once", "curl -H \"Authorization: Bearer $FERRY_TOKEN\" "+s.URL()+"/api/v1/session")
	if !strings.Contains(p.Body, `data-copy="#new-token"`) {
		t.Error("the token has no copy button")
	}
	who := setCallAPI(t, s, token)
	if who.Status != http.StatusOK || !strings.Contains(who.Body, `"namespace":"dev"`) {
		t.Errorf("the new token does not work: %d %s", who.Status, who.Body)
	}

	// The list: the token's details, never the token.
	list := b.get("/settings/tokens")
	list.wantText(t, "CI for dev", "namespaces:read", "sync:trigger", "dev", "active", "by user:admin")
	if strings.Contains(list.Body, "fy_") {
		t.Errorf("the token list holds an fy_ string:\n%s", list.Body)
	}

	// Revoke: refused from now on.
	id := regexp.MustCompile(`action="/settings/tokens/(\d+)/revoke"`).FindStringSubmatch(list.Body)
	if id == nil {
		t.Fatalf("no revoke button:\n%s", list.Body)
	}
	list = b.follow("/settings/tokens/"+id[1]+"/revoke", nil)
	list.wantText(t, "Token "+id[1]+" (CI for dev) revoked", "revoked")
	if strings.Contains(list.Body, `action="/settings/tokens/`+id[1]+`/revoke"`) {
		t.Error("a revoked token still has a revoke button")
	}
	if who := setCallAPI(t, s, token); who.Status != http.StatusUnauthorized {
		t.Errorf("the revoked token answered %d, want 401", who.Status)
	}
	p = b.want(http.StatusNotFound, b.post("/settings/tokens/"+id[1]+"/revoke", nil))
	p.wantText(t, "was revoked already")

	for _, path := range []string{"/settings/tokens", "/settings/audit", "/settings/credentials"} {
		if strings.Contains(b.get(path).Body, "fy_") {
			t.Errorf("%s holds an fy_ string", path)
		}
	}
	if strings.Contains(s.logs.String(), token) {
		t.Error("the server logged the token")
	}
}

// setCallAPI calls GET /api/v1/session with token.
func setCallAPI(t *testing.T, s *setServer, token string) setPage {
	t.Helper()
	req, _ := http.NewRequest("GET", s.URL()+"/api/v1/session", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return setPage{Status: resp.StatusCode, Body: string(body)}
}

func TestUserPages(t *testing.T) {
	t.Parallel()
	s := newSetServer(t)
	admin := s.login(t, "admin", setAdminPassword)
	admin.follow("/namespaces", url.Values{"name": {"dev"}})

	// A password too short: the form again, the name and admin box kept, the password not.
	p := admin.want(http.StatusBadRequest, admin.post("/settings/users", url.Values{"name": {"viv"}, "password": {"short"}, "admin": {"true"}}))
	p.wantText(t, "use at least")
	p.wantValue(t, "nu-name", "viv")
	if !regexp.MustCompile(`id="nu-admin"[^>]*checked`).MatchString(p.Body) {
		t.Error("the admin box is not ticked after the failure")
	}
	if strings.Contains(p.Body, `value="short"`) {
		t.Error("the password came back in the form")
	}

	const vivPassword = "viv's long enough password"
	p = admin.follow("/settings/users", url.Values{"name": {"viv"}, "password": {vivPassword}})
	p.wantText(t, "User viv created", "No roles in any namespace.")
	p = admin.follow("/settings/users/viv/roles", url.Values{"namespace": {"dev"}, "role": {"viewer"}})
	p.wantText(t, "Granted viewer in dev.")
	if !strings.Contains(p.Body, `action="/settings/users/viv/roles/dev/revoke"`) {
		t.Errorf("no revoke button for the role:\n%s", p.Body)
	}
	admin.get("/settings/users").wantText(t, "viv", "dev: viewer", "admin")

	// A bad role: the API's message on the user's page.
	p = admin.want(http.StatusBadRequest, admin.post("/settings/users/viv/roles", url.Values{"namespace": {"dev"}, "role": {"owner"}}))
	p.wantText(t, `Role "owner" is not one of viewer, editor or maintainer`)

	// A viewer sees the API's 403 on the users page and the audit log, and can change their
	// own password, which ends their session.
	viv := s.login(t, "viv", vivPassword)
	p = viv.want(http.StatusForbidden, viv.do("GET", "/settings/users", nil))
	p.wantText(t, "You lack permission admin.", "Change your password")
	p.wantNoText(t, "Create a user")
	if strings.Contains(p.Body, `href="/settings/audit"`) {
		t.Error("a viewer's navigation links to the audit log")
	}
	for _, path := range []string{"/settings/credentials", "/settings/tokens", "/settings/known-hosts"} {
		p := viv.want(http.StatusForbidden, viv.do("GET", path, nil))
		p.wantText(t, "You lack permission")
		if strings.Contains(p.Body, `method="post" action="/settings/`) {
			t.Errorf("%s shows a viewer forms they may not use", path)
		}
	}
	p = viv.want(http.StatusForbidden, viv.do("GET", "/settings/audit", nil))
	p.wantText(t, "You lack permission admin.")
	p = viv.want(http.StatusForbidden, viv.post("/settings/password", url.Values{"current_password": {"wrong password here"}, "password": {"a new long password"}, "confirm_password": {"a new long password"}}))
	p.wantText(t, "The current password is wrong.")
	p = viv.want(http.StatusBadRequest, viv.post("/settings/password", url.Values{"current_password": {vivPassword}, "password": {"a new long password"}, "confirm_password": {"another one"}}))
	p.wantText(t, "differ")
	p = viv.want(http.StatusOK, viv.post("/settings/password", url.Values{"current_password": {vivPassword}, "password": {"a new long password"}, "confirm_password": {"a new long password"}}))
	p.wantText(t, "Your password was changed", "Log in again")
	if p := viv.do("GET", "/settings/users", nil); p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, "/login") {
		t.Errorf("after changing the password the session still works: %d %s", p.Status, p.Location)
	}
	viv = s.login(t, "viv", "a new long password")

	// The admin takes the role away, resets the password and deletes the user.
	admin.follow("/settings/users/viv/roles/dev/revoke", nil).wantText(t, "The role in dev was taken away.", "No roles in any namespace.")
	admin.follow("/settings/users/viv/password", url.Values{"password": {"set by the admin"}}).wantText(t, "Password of viv changed")
	admin.get("/settings/users/viv/delete").wantText(t, "Delete user viv?")
	p = admin.follow("/settings/users/viv/delete", nil)
	p.wantText(t, "User viv deleted.")
	if strings.Contains(p.Body, `href="/settings/users/viv"`) {
		t.Error("the deleted user is still listed")
	}
	p = admin.want(http.StatusConflict, admin.post("/settings/users/admin/delete", nil))
	p.wantText(t, "You cannot delete yourself")
	s.wantNowhere(t, vivPassword)
	s.wantNowhere(t, "set by the admin")
}

func TestAuditPage(t *testing.T) {
	t.Parallel()
	s := newSetServer(t)
	admin := s.login(t, "admin", setAdminPassword)
	admin.follow("/namespaces", url.Values{"name": {"dev"}})
	admin.follow("/settings/users", url.Values{"name": {"viv"}, "password": {"viv's long enough password"}})
	admin.follow("/settings/users/viv/roles", url.Values{"namespace": {"dev"}, "role": {"maintainer"}})
	viv := s.login(t, "viv", "viv's long enough password")
	viv.want(http.StatusCreated, viv.post("/settings/tokens", url.Values{"description": {"viv's CI"}, "lifetime": {"P1W"}, "permission": {"namespaces:read"}, "namespace": {"dev"}}))

	p := admin.get("/settings/audit")
	p.wantText(t, "POST /api/v1/namespaces", "POST /api/v1/users", "PUT /api/v1/users/{name}/roles/{namespace}", "/api/v1/users/viv/roles/dev",
		"POST /api/v1/tokens", "user:admin", "user:viv", "201 ok", "127.0.0.1")
	// Newest first: viv's token comes before the admin's namespace.
	text := p.text()
	if i, j := strings.Index(text, "POST /api/v1/tokens"), strings.Index(text, "POST /api/v1/namespaces"); i < 0 || j < 0 || i > j {
		t.Errorf("the audit log is not newest first:\n%s", text)
	}

	p = admin.get("/settings/audit?actor=" + url.QueryEscape("user:viv"))
	p.wantText(t, "POST /api/v1/tokens", "user:viv")
	p.wantNoText(t, "POST /api/v1/namespaces", "user:admin (")
	if strings.Contains(p.Body, `href="/settings/audit?actor=user%3aadmin"`) {
		t.Error("filtered by user:viv, the log shows user:admin's entries")
	}
	p.wantValue(t, "au-actor", "user:viv")

	// Time filters: the future holds nothing; a bad time is said so.
	p = admin.get("/settings/audit?since=2999-01-01T00:00")
	p.wantText(t, "No entries match the filter.")
	p = admin.want(http.StatusBadRequest, admin.do("GET", "/settings/audit?until=yesterday", nil))
	p.wantText(t, `Until "yesterday" is not a date and time`)

	// A write in namespace dev with one of viv's tokens: filtered by namespace, only it.
	token := setTokenPattern.FindString(viv.want(http.StatusCreated, viv.post("/settings/tokens", url.Values{"description": {"writer"}, "lifetime": {"PT1H"},
		"permission": {"namespaces:write"}, "namespace": {"dev"}})).Body)
	req, _ := http.NewRequest("PUT", s.URL()+"/api/v1/namespaces/dev/files/a.yaml", strings.NewReader("a: 1\n"))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	p = admin.get("/settings/audit?namespace=dev&until=" + url.QueryEscape(time.Now().Add(time.Hour).UTC().Format("2006-01-02T15:04")))
	p.wantText(t, "PUT /api/v1/namespaces/{ns}/files/{path...}", "/api/v1/namespaces/dev/files/a.yaml", "token:", "(writer)")
	p.wantNoText(t, "POST /api/v1/tokens")

	// Paging: more than a page of entries gives an "Older entries" link that keeps the filter.
	for i := 0; i < 101; i++ {
		admin.post("/settings/known-hosts/pin", url.Values{"host": {"git.example.com"}, "key": {"bad"}})
	}
	p = admin.get("/settings/audit?actor=user%3Aadmin")
	next := regexp.MustCompile(`<a href="([^"]+)">Older entries</a>`).FindStringSubmatch(p.Body)
	if next == nil {
		t.Fatalf("no link to older entries:\n%s", p.Body)
	}
	older := admin.get("/settings/audit" + html.UnescapeString(next[1]))
	older.wantText(t, "POST /api/v1/namespaces", "user:admin")
	older.wantNoText(t, "user:viv")
}

func TestKnownHostPages(t *testing.T) {
	t.Parallel()
	s := newSetServer(t)
	b := s.login(t, "admin", setAdminPassword)

	p := b.get("/settings/known-hosts")
	p.wantText(t, "github.com", "ssh-ed25519", "built-in")
	if strings.Contains(p.Body, `name="host" value="github.com"`) {
		t.Error("a built-in key has an unpin button")
	}

	// A key that is not a key: a clear message, the host kept.
	p = b.want(http.StatusBadRequest, b.post("/settings/known-hosts/pin", url.Values{"host": {"git.example.com:2222"}, "key": {"ssh-ed25519 not-base64!"}}))
	p.wantText(t, `The key is not an SSH public key such as "ssh-ed25519 AAAAC3Nz…"`)
	if !strings.Contains(p.Body, `<textarea id="pin-key" name="key" required rows="3" spellcheck="false" placeholder="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5…" aria-describedby="pin-hint">ssh-ed25519 not-base64!</textarea>`) {
		t.Error("the key is not in the form again")
	}
	p.wantValue(t, "pin-host", "git.example.com:2222")

	pair, err := sshkey.Generate(sshkey.Ed25519)
	if err != nil {
		t.Fatal(err)
	}
	p = b.follow("/settings/known-hosts/pin", url.Values{"host": {"Git.Example.com:2222"}, "key": {pair.PublicKey}})
	p.wantText(t, "Pinned ssh-ed25519 key "+pair.Fingerprint+" for git.example.com:2222.", "pinned")

	// Trust on first use needs a server that can connect to hosts; this one cannot.
	p = b.want(http.StatusServiceUnavailable, b.post("/settings/known-hosts/trust", url.Values{"host": {"git.example.com"}, "fingerprint": {pair.Fingerprint}}))
	p.wantText(t, "This server cannot connect to hosts to read their keys")
	p.wantValue(t, "trust-fp", pair.Fingerprint)

	p = b.follow("/settings/known-hosts/unpin", url.Values{"host": {"git.example.com:2222"}, "fingerprint": {pair.Fingerprint}})
	p.wantText(t, "Unpinned "+pair.Fingerprint)
	p.wantNoText(t, "git.example.com:2222 ")
}

func TestProviderPages(t *testing.T) {
	t.Parallel()
	const ghToken = "ghp_ui_test_secret_5d1e9c"
	s := newSetServer(t, func(srv *fhttp.Server, db *sqlstore.DB) {
		reg := provider.NewRegistry(provider.RegistryConfig{Credentials: db, Policy: pt.Policy, Logger: srv.Logger},
			map[string]provider.Constructor{ferry.ProviderGitHub: github.New})
		srv.Providers = &provider.Service{Store: db, Registry: reg, Logger: srv.Logger}
	})
	gh := pt.NewServer(t)
	fixture := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("..", "provider", "github", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	b := s.login(t, "admin", setAdminPassword)
	b.follow("/settings/credentials", url.Values{"form": {"token"}, "name": {"gh-pat"}, "token": {ghToken}})

	// The form offers the credentials; a failure keeps what was typed.
	p := b.get("/settings/providers")
	p.wantText(t, "No provider connections yet.", "Connect a provider")
	if !strings.Contains(p.Body, `<option value="gh-pat" >gh-pat</option>`) {
		t.Errorf("the credential select does not offer gh-pat:\n%s", p.Body)
	}
	p = b.want(http.StatusBadRequest, b.post("/settings/providers", url.Values{"name": {"acme-gh"}, "kind": {"github"}, "base_url": {gh.URL}, "owner": {""}, "credential": {"gh-pat"}}))
	p.wantValue(t, "pv-name", "acme-gh")
	p.wantValue(t, "pv-url", gh.URL)
	p = b.follow("/settings/providers", url.Values{"name": {"acme-gh"}, "kind": {"github"}, "base_url": {gh.URL}, "owner": {"octocat"}, "credential": {"gh-pat"}})
	p.wantText(t, "Provider acme-gh added", "acme-gh", "octocat", "gh-pat", "not validated yet")

	// Validate: what is missing, then the green tick.
	gh.Handle("GET /user", pt.Reply(200, fixture("rest-get-user.json"), "X-OAuth-Scopes", "repo, read:org"))
	p = b.follow("/settings/providers/acme-gh/validate", nil)
	p.wantText(t, "Provider acme-gh is not ready: its credential lacks admin:repo_hook.", "not ready", "missing: admin:repo_hook", "checked just now")
	gh.Handle("GET /user", pt.Reply(200, fixture("rest-get-user.json"), "X-OAuth-Scopes", "repo, admin:repo_hook"))
	p = b.follow("/settings/providers/acme-gh/validate", nil)
	p.wantText(t, "Provider acme-gh is valid: it acts as octocat.", "✔ valid as octocat")
	p.wantNoText(t, "missing:")

	// Repositories, and a refresh.
	gh.Handle("GET /orgs/octocat/repos", pt.Reply(200, fixture("rest-list-org-repos.json")))
	p = b.get("/settings/providers/acme-gh/repositories")
	p.wantText(t, "Repositories of acme-gh", "octocat/Hello-World", "git@github.com:octocat/Hello-World.git", "1–1 of 1")
	p = b.want(http.StatusOK, b.post("/settings/providers/acme-gh/repositories", nil))
	p.wantText(t, "Fetched 1 repositories from acme-gh.", "octocat/Hello-World")

	// The credential is used by the provider, so it cannot be deleted before it.
	b.get("/settings/credentials").wantText(t, "provider acme-gh")
	b.want(http.StatusConflict, b.post("/settings/credentials/gh-pat/delete", nil)).wantText(t, "in use by")
	b.get("/settings/providers/acme-gh/delete").wantText(t, "Delete provider connection acme-gh?")
	b.follow("/settings/providers/acme-gh/delete", nil).wantText(t, "Provider acme-gh deleted.", "No provider connections yet.")
	b.follow("/settings/credentials/gh-pat/delete", nil).wantText(t, "Credential gh-pat deleted.")
	s.wantNowhere(t, ghToken)
}

func TestProviderPagesWithoutProviders(t *testing.T) {
	t.Parallel()
	s := newSetServer(t)
	b := s.login(t, "admin", setAdminPassword)
	p := b.want(http.StatusServiceUnavailable, b.do("GET", "/settings/providers", nil))
	p.wantText(t, "This server has no provider connections.", "Known hosts", "API tokens")
	p = b.want(http.StatusServiceUnavailable, b.post("/settings/providers", url.Values{"name": {"gh"}, "kind": {"github"}, "owner": {"acme"}, "credential": {"x"}}))
	p.wantText(t, "This server has no provider connections.")
	p = b.want(http.StatusServiceUnavailable, b.do("GET", "/settings/providers/gh/repositories", nil))
	p.wantText(t, "This server has no provider connections.")
}

func TestSettingsFormsNeedCSRF(t *testing.T) {
	t.Parallel()
	s := newSetServer(t)
	b := s.login(t, "admin", setAdminPassword)
	for _, path := range []string{"/settings/credentials", "/settings/tokens", "/settings/users", "/settings/known-hosts/pin", "/settings/password"} {
		p := b.do("POST", path, url.Values{"form": {"generate"}, "name": {"x"}, "csrf": {"forged"}})
		if p.Status != http.StatusForbidden {
			t.Errorf("POST %s with a forged CSRF token: status %d, want 403", path, p.Status)
		}
	}
}
