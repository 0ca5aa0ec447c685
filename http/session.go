package http

import (
	"crypto/sha256"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/password"
)

// DefaultSessionLifetime is how long a login lasts unless the server says otherwise.
const DefaultSessionLifetime = 12 * time.Hour

// registerSessionRoutes registers login, logout and "who am I".
func (s *Server) registerSessionRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/v1/session", s.handleLogin)
	s.apiAnywhere(mux, "GET /api/v1/session", s.handleWhoAmI)
	s.apiAnywhere(mux, "DELETE /api/v1/session", s.handleLogout)
}

// LoginRequest is the body of POST /api/v1/session.
type LoginRequest struct {
	Name     string `json:"name"`
	Password string `json:"password"`
}

// SessionResponse describes who a request acts as; after a login or for a session cookie,
// with the CSRF token that writes made with the cookie must send in X-CSRF-Token.
type SessionResponse struct {
	Kind        string             `json:"kind"` // token, user or admin
	ID          int64              `json:"id,omitempty"`
	Name        string             `json:"name"`
	Admin       bool               `json:"admin"`
	Permissions []ferry.Permission `json:"permissions,omitempty"`
	Namespace   string             `json:"namespace,omitempty"`
	Roles       map[string]string  `json:"roles,omitempty"`
	ExpiresAt   time.Time          `json:"expires_at,omitzero"`
	CSRFToken   string             `json:"csrf_token,omitempty"`
}

func sessionResponse(p *ferry.Principal) *SessionResponse {
	return &SessionResponse{Kind: p.Kind, ID: p.ID, Name: p.Name, Admin: p.IsAdmin(), Permissions: p.Permissions,
		Namespace: p.Namespace, Roles: p.Roles, ExpiresAt: p.ExpiresAt}
}

func (s *Server) sessionLifetime() time.Duration {
	if s.SessionLifetime <= 0 {
		return DefaultSessionLifetime
	}
	return s.SessionLifetime
}

// dummyHash is verified against when a login names no user, so that an unknown name takes
// as long to refuse as a wrong password.
var dummyHash = sync.OnceValue(func() string {
	h, _ := password.Hash(password.Generate(20))
	return h
})

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	if s.Users == nil {
		s.writeError(w, r, ferry.Errorf(ferry.EUNAVAILABLE, "This server has no users to log in as."))
		return
	}
	var req LoginRequest
	if err := decodeJSON(w, r, 64<<10, &req, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	key := strings.ToLower(req.Name) + "\x00" + remoteHost(r)
	now := s.now()
	if wait := s.logins.wait(key, now); wait > 0 {
		secs := int(math.Ceil(wait.Seconds()))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		s.loginAudit(r, req.Name, http.StatusTooManyRequests)
		s.writeError(w, r, ferry.Errorf(ferry.ERATELIMITED, "Too many failed logins for %q from this address: try again in %d seconds.", clip(req.Name), secs))
		return
	}
	u, hash, err := s.Users.UserPassword(r.Context(), req.Name)
	if err != nil && ferry.ErrorCode(err) != ferry.ENOTFOUND && ferry.ErrorCode(err) != ferry.EINVALID {
		s.writeError(w, r, err)
		return
	}
	if err != nil {
		hash = dummyHash()
	}
	ok, verr := password.Verify(req.Password, hash)
	if verr != nil {
		s.logger().Error("a stored password hash is unreadable", "user", req.Name, "err", verr)
	}
	if err != nil || !ok {
		s.logins.fail(key, now)
		s.loginAudit(r, req.Name, http.StatusUnauthorized)
		s.writeError(w, r, ferry.Errorf(ferry.EUNAUTHORIZED, "The name or password is wrong."))
		return
	}
	s.logins.reset(key)
	value := randomString(32)
	sess := &ferry.Session{UserID: u.ID, ExpiresAt: now.Add(s.sessionLifetime()).UTC()}
	if err := s.Users.CreateSession(r.Context(), sess, sha256.Sum256([]byte(value))); err != nil {
		s.writeError(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: value, Path: "/", Expires: sess.ExpiresAt,
		MaxAge: int(s.sessionLifetime().Seconds()), HttpOnly: true, Secure: !s.InsecureCookies, SameSite: http.SameSiteStrictMode})
	resp := sessionResponse(userPrincipal(u))
	resp.ExpiresAt, resp.CSRFToken = sess.ExpiresAt, csrfToken(value)
	s.loginAudit(r, u.Name, http.StatusOK)
	writeJSON(w, http.StatusOK, resp)
}

// loginAudit records a login attempt as user name: the audit log shows who tried.
func (s *Server) loginAudit(r *http.Request, name string, status int) {
	if s.Audit == nil {
		return
	}
	s.record(r, &ferry.AuditEntry{Actor: "user:" + clip(name), ActorName: clip(name), Status: status})
}

func (s *Server) handleWhoAmI(w http.ResponseWriter, r *http.Request) {
	resp := sessionResponse(principalFrom(r.Context()))
	if c, err := r.Cookie(sessionCookie); err == nil && r.Header.Get("Authorization") == "" {
		resp.CSRFToken = csrfToken(c.Value)
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil && r.Header.Get("Authorization") == "" {
		if err := s.Users.DeleteSession(r.Context(), sha256.Sum256([]byte(c.Value))); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: !s.InsecureCookies, SameSite: http.SameSiteStrictMode})
	w.WriteHeader(http.StatusNoContent)
}

// Login throttling: after loginFreeFailures failed logins for one name from one address,
// each further attempt must wait, twice as long after each failure, up to loginMaxWait.
// Failures are forgotten loginWindow after the last one, and on a successful login.
const (
	loginFreeFailures = 5
	loginFirstWait    = time.Second * 15
	loginMaxWait      = 15 * time.Minute
	loginWindow       = time.Hour
	loginMaxKeys      = 100_000 // beyond this many, stale entries are swept
)

// loginLimiter counts failed logins per name and address. The zero value is ready.
type loginLimiter struct {
	mu   sync.Mutex
	keys map[string]*loginFailures // guarded by mu
}

type loginFailures struct {
	n     int
	last  time.Time
	until time.Time // no attempt before this
}

// wait returns how long key must wait before its next attempt.
func (l *loginLimiter) wait(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.keys[key]
	if f == nil || now.Sub(f.last) > loginWindow {
		return 0
	}
	return max(f.until.Sub(now), 0)
}

// fail counts a failed login for key.
func (l *loginLimiter) fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.keys == nil {
		l.keys = map[string]*loginFailures{}
	}
	if len(l.keys) >= loginMaxKeys {
		for k, f := range l.keys {
			if now.Sub(f.last) > loginWindow {
				delete(l.keys, k)
			}
		}
	}
	f := l.keys[key]
	if f == nil || now.Sub(f.last) > loginWindow {
		f = &loginFailures{}
		l.keys[key] = f
	}
	f.n++
	f.last = now
	if f.n >= loginFreeFailures {
		wait := loginFirstWait << min(f.n-loginFreeFailures, 10)
		f.until = now.Add(min(wait, loginMaxWait))
	}
}

// reset forgets key's failures.
func (l *loginLimiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.keys, key)
}
