package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ferrygit/ferry"
	ferryhttp "github.com/ferrygit/ferry/http"
)

// userSession is a user logged in over plain HTTP, as the UI is: the session cookie and
// its CSRF token.
type userSession struct {
	url    string
	cookie *http.Cookie
	csrf   string
}

// login logs name in at the server at url. It returns the session, or the HTTP status and
// error code of the refusal.
func login(t *testing.T, url, name, password string) (*userSession, int, string) {
	t.Helper()
	body, _ := json.Marshal(ferryhttp.LoginRequest{Name: name, Password: password})
	resp, err := http.Post(url+"/api/v1/session", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, resp.StatusCode, errorCode(t, resp)
	}
	var s ferryhttp.SessionResponse
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		t.Fatal(err)
	}
	if s.Kind != ferry.PrincipalUser || s.Name != name || s.CSRFToken == "" {
		t.Fatalf("login answer = %+v", s)
	}
	for _, c := range resp.Cookies() {
		if c.Name == "ferry_session" {
			return &userSession{url: url, cookie: c, csrf: s.CSRFToken}, resp.StatusCode, ""
		}
	}
	t.Fatalf("login set no session cookie: %v", resp.Header["Set-Cookie"])
	return nil, 0, ""
}

// errorCode returns the code of the API error in resp's body.
func errorCode(t *testing.T, resp *http.Response) string {
	t.Helper()
	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("%s: not an API error: %s", resp.Status, b)
	}
	return e.Error.Code
}

// do sends a request with the session's cookie, and its CSRF token when csrf is set, and
// returns the status, the error code when it failed, and the body.
func (s *userSession) do(t *testing.T, method, path string, csrf bool) (int, string, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, s.url+"/api/v1"+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.AddCookie(&http.Cookie{Name: s.cookie.Name, Value: s.cookie.Value})
	if csrf {
		req.Header.Set("X-CSRF-Token", s.csrf)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		return resp.StatusCode, errorCode(t, resp), nil
	}
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, "", b
}

// wantStatus fails unless a session's request answers status (and code, when it failed).
func (s *userSession) wantStatus(t *testing.T, method, path string, status int, code string) []byte {
	t.Helper()
	got, gotCode, body := s.do(t, method, path, true)
	if got != status || gotCode != code {
		t.Errorf("%s %s as a session: %d %s, want %d %s", method, path, got, gotCode, status, code)
	}
	return body
}

var oneTimePassword = regexp.MustCompile(`\(ferry user passwd admin\):\n\n\s+(\S+)\n`)

// TestServeAdminPasswordOnce: a first start without FERRY_ADMIN_PASSWORD makes the user
// admin with a password printed once; a restart prints none; logging in with it works and
// a wrong password is refused.
func TestServeAdminPasswordOnce(t *testing.T) {
	dir := t.TempDir()
	env := cliEnv{"FERRY_ADMIN_TOKEN": accessToken, "FERRY_INSECURE_COOKIES": "true"}
	srv := startServe(t, env, "--data-dir", dir)
	log := srv.stderr.String()
	m := oneTimePassword.FindStringSubmatch(log)
	if m == nil {
		t.Fatalf("no one-time admin password printed:\n%s", log)
	}
	pw := m[1]
	if n := strings.Count(log, pw); n != 1 || len(pw) < 12 {
		t.Fatalf("password %q printed %d times:\n%s", pw, n, log)
	}
	s, status, _ := login(t, srv.url, "admin", pw)
	if status != http.StatusOK {
		t.Fatalf("login with the printed password: %d", status)
	}
	var who ferryhttp.SessionResponse
	if err := json.Unmarshal(s.wantStatus(t, "GET", "/session", 200, ""), &who); err != nil || who.Name != "admin" || !who.Admin {
		t.Errorf("GET /session as admin = %+v, %v", who, err)
	}
	if _, status, code := login(t, srv.url, "admin", pw+"x"); status != http.StatusUnauthorized || code != ferry.EUNAUTHORIZED {
		t.Errorf("wrong password: %d %s", status, code)
	}
	if _, status, code := login(t, srv.url, "nobody", pw); status != http.StatusUnauthorized || code != ferry.EUNAUTHORIZED {
		t.Errorf("unknown user: %d %s", status, code)
	}
	if err := srv.stop(); err != nil {
		t.Fatal(err)
	}

	srv = startServe(t, env, "--data-dir", dir)
	if log := srv.stderr.String(); strings.Contains(log, "one-time password") || strings.Contains(log, pw) {
		t.Fatalf("a restart printed a password:\n%s", log)
	}
	if _, status, _ := login(t, srv.url, "admin", pw); status != http.StatusOK {
		t.Fatalf("after a restart, login with the printed password: %d", status)
	}
}

// TestUserCommands covers ferry user: passwords from a file or standard input, roles at
// creation and by grant and revoke, and what a user's session may then read.
func TestUserCommands(t *testing.T) {
	admin := startAccessServer(t, false)
	url := admin["FERRY_URL"]
	alicePW := "alice's long password"
	aliceFile := writeTemp(t, alicePW+"\n")

	if out := mustRunCLI(t, admin, "", "user", "create", "alice", "--role", "editor", "--namespace", "dev", "--password-file", aliceFile); out != "Created user alice (dev=editor).\n" {
		t.Errorf("create printed %q", out)
	}
	if _, status, _ := login(t, url, "alice", alicePW+"\n"); status != http.StatusUnauthorized {
		t.Errorf("the password file's line break was kept: %d", status)
	}
	alice, status, _ := login(t, url, "alice", alicePW)
	if status != http.StatusOK {
		t.Fatalf("alice cannot log in: %d", status)
	}

	t.Run("password from stdin", func(t *testing.T) {
		out := mustRunCLI(t, admin, "carol's long password\r\nnot this line\n", "user", "create", "carol")
		if out != "Created user carol (no roles).\n" {
			t.Errorf("create printed %q", out)
		}
		if _, status, _ := login(t, url, "carol", "carol's long password"); status != http.StatusOK {
			t.Errorf("carol cannot log in: %d", status)
		}
		wantFailure(t, runCLI(t, admin, "", "user", "create", "dan"), "", "no password")
	})

	t.Run("bad input", func(t *testing.T) {
		for _, tc := range []struct {
			name      string
			args      []string
			code      string
			fragments []string
		}{
			{"short password", []string{"bob", "--password-file", writeTemp(t, "short\n")}, ferry.EINVALID, []string{"5 characters long", "(invalid)"}},
			{"role without namespace", []string{"bob", "--role", "viewer", "--password-file", aliceFile}, "", []string{"--namespace"}},
			{"admin with namespace", []string{"bob", "--role", "admin", "--namespace", "dev", "--password-file", aliceFile}, "", []string{"leave out --namespace"}},
			{"namespace without role", []string{"bob", "--namespace", "dev", "--password-file", aliceFile}, "", []string{"--role"}},
			{"unknown role", []string{"bob", "--role", "owner", "--namespace", "dev", "--password-file", aliceFile}, ferry.EINVALID, []string{"owner", "viewer"}},
			{"bad name", []string{"bad name", "--password-file", aliceFile}, ferry.EINVALID, []string{"not valid"}},
			{"taken", []string{"alice", "--password-file", aliceFile}, ferry.ECONFLICT, nil},
			{"missing file", []string{"bob", "--password-file", "/nonexistent/pw"}, "", []string{"read the password"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantFailure(t, runCLI(t, admin, "", append([]string{"user", "create"}, tc.args...)...), tc.code, tc.fragments...)
			})
		}
		wantFailure(t, runCLI(t, admin, "", "user", "show", "bob"), ferry.ENOTFOUND, "(not_found)")
	})

	t.Run("list and show", func(t *testing.T) {
		mustRunCLI(t, admin, "", "user", "create", "erin", "--role", "admin", "--password-file", aliceFile)
		out := mustRunCLI(t, admin, "", "user", "list")
		for name, roles := range map[string]string{"admin": "admin", "alice": "dev=editor", "carol": "no roles", "erin": "admin"} {
			if row := lineOf(out, name+" "); !strings.Contains(row, roles) {
				t.Errorf("user list row of %s lacks %q:\n%s", name, roles, out)
			}
		}
		var users []*ferry.User
		if err := json.Unmarshal([]byte(mustRunCLI(t, admin, "", "user", "list", "--json")), &users); err != nil || len(users) != 4 {
			t.Errorf("user list --json = %v, %v", users, err)
		}
		wantFields(t, mustRunCLI(t, admin, "", "user", "show", "alice"), "Name", "alice", "Admin", "no", "Roles", "editor in dev")
		wantFields(t, mustRunCLI(t, admin, "", "user", "show", "erin"), "Admin", "yes (every namespace)", "Roles", "none")
		if strings.Contains(out, alicePW) {
			t.Errorf("user list shows a password:\n%s", out)
		}
	})

	t.Run("grant and revoke", func(t *testing.T) {
		carol, status, _ := login(t, url, "carol", "carol's long password")
		if status != http.StatusOK {
			t.Fatalf("carol cannot log in: %d", status)
		}
		carol.wantStatus(t, "GET", "/namespaces/dev", 404, ferry.ENOTFOUND)

		if out := mustRunCLI(t, admin, "", "user", "grant", "carol", "--namespace", "dev", "--role", "viewer"); out != "User carol now has: dev=viewer.\n" {
			t.Errorf("grant printed %q", out)
		}
		carol.wantStatus(t, "GET", "/namespaces/dev", 200, "")
		carol.wantStatus(t, "GET", "/namespaces/qa", 404, ferry.ENOTFOUND)
		var list struct{ Items []ferry.Namespace }
		if err := json.Unmarshal(carol.wantStatus(t, "GET", "/namespaces", 200, ""), &list); err != nil || len(list.Items) != 1 || list.Items[0].Name != "dev" {
			t.Errorf("carol lists %+v, %v", list.Items, err)
		}
		carol.wantStatus(t, "POST", "/namespaces/dev/sync", 403, ferry.EFORBIDDEN) // a viewer cannot sync
		alice.wantStatus(t, "POST", "/namespaces/dev/sync", 202, "")               // an editor can
		if status, code, _ := alice.do(t, "POST", "/namespaces/dev/sync", false); status != 403 || code != ferry.EFORBIDDEN {
			t.Errorf("a session's write without its CSRF token: %d %s", status, code)
		}

		if out := mustRunCLI(t, admin, "", "user", "revoke", "carol", "--namespace", "dev"); out != "User carol now has: no roles.\n" {
			t.Errorf("revoke printed %q", out)
		}
		carol.wantStatus(t, "GET", "/namespaces/dev", 404, ferry.ENOTFOUND)
		wantFailure(t, runCLI(t, admin, "", "user", "grant", "carol", "--namespace", "dev", "--role", "admin"), ferry.EINVALID, "admin is global")
		wantFailure(t, runCLI(t, admin, "", "user", "grant", "carol", "--namespace", "dev"), "", "--role")
		wantFailure(t, runCLI(t, admin, "", "user", "revoke", "carol"), "", "--namespace")
		wantFailure(t, runCLI(t, admin, "", "user", "grant", "nobody", "--namespace", "dev", "--role", "viewer"), ferry.ENOTFOUND, "(not_found)")
	})

	t.Run("passwd", func(t *testing.T) {
		newPW := "alice's new long password"
		wantFailure(t, runCLI(t, admin, "", "user", "passwd", "alice", "--password-file", writeTemp(t, newPW), "--current-password-file", writeTemp(t, "not it\n")),
			ferry.EFORBIDDEN, "current password is wrong")
		out := mustRunCLI(t, admin, "", "user", "passwd", "alice", "--password-file", writeTemp(t, newPW+"\n"), "--current-password-file", aliceFile)
		if out != "Changed the password of alice; their sessions have ended.\n" {
			t.Errorf("passwd printed %q", out)
		}
		alice.wantStatus(t, "GET", "/session", 401, ferry.EUNAUTHORIZED)
		if _, status, _ := login(t, url, "alice", alicePW); status != http.StatusUnauthorized {
			t.Errorf("the old password still works: %d", status)
		}
		if _, status, _ := login(t, url, "alice", newPW); status != http.StatusOK {
			t.Errorf("the new password does not work: %d", status)
		}
		mustRunCLI(t, admin, "yet another long password\n", "user", "passwd", "alice")
		wantFailure(t, runCLI(t, admin, "", "user", "passwd", "alice", "--password-file", writeTemp(t, "short")), ferry.EINVALID, "characters long")
		wantFailure(t, runCLI(t, admin, "", "user", "passwd", "alice", "--current-password-file", "-"), "", "standard input")
	})

	t.Run("delete", func(t *testing.T) {
		carol, status, _ := login(t, url, "carol", "carol's long password")
		if status != http.StatusOK {
			t.Fatalf("carol cannot log in: %d", status)
		}
		if out := mustRunCLI(t, admin, "", "user", "delete", "carol"); out != "Deleted user carol.\n" {
			t.Errorf("delete printed %q", out)
		}
		carol.wantStatus(t, "GET", "/session", 401, ferry.EUNAUTHORIZED)
		wantFailure(t, runCLI(t, admin, "", "user", "show", "carol"), ferry.ENOTFOUND, "(not_found)")
		wantFailure(t, runCLI(t, admin, "", "user", "delete", "carol"), ferry.ENOTFOUND, "(not_found)")
	})

	t.Run("not admin", func(t *testing.T) {
		secret, _ := createToken(t, admin, "--description", "reader", "--lifetime", "P1D", "--permission", "namespaces:read,tokens:manage")
		reader := cliEnv{"FERRY_URL": url, "FERRY_TOKEN": secret}
		for _, args := range [][]string{{"user", "list"}, {"user", "show", "alice"}, {"user", "delete", "alice"},
			{"user", "grant", "alice", "--namespace", "qa", "--role", "viewer"}, {"audit"}} {
			wantFailure(t, runCLI(t, reader, "", args...), ferry.EFORBIDDEN, "admin", "(forbidden)")
		}
		wantFailure(t, runCLI(t, reader, "", "user", "passwd", "alice", "--password-file", aliceFile), ferry.EFORBIDDEN, "admin")
	})

	t.Run("audit of logins", func(t *testing.T) {
		var entries []*ferry.AuditEntry
		out := mustRunCLI(t, admin, "", "audit", "--actor", "user:alice", "--action", "POST /api/v1/session", "--json")
		if err := json.Unmarshal([]byte(out), &entries); err != nil {
			t.Fatal(err)
		}
		var results []string
		for _, e := range entries {
			results = append(results, e.Result)
		}
		// Newest first: the new password, the old one refused, the first login, the
		// password file's line break refused.
		if want := []string{"ok", "unauthorized", "ok", "unauthorized"}; !slices.Equal(results, want) {
			t.Errorf("alice's logins: %v, want %v", results, want)
		}
	})
}
