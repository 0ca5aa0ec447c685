package http

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/ferrygit/ferry"
)

// sessionCookie is the name of the cookie that carries a logged-in user's session.
const sessionCookie = "ferry_session"

// csrfHeader carries, on every write made with a session cookie, the CSRF token that the
// login answer and GET /api/v1/session give.
const csrfHeader = "X-CSRF-Token"

// AdminActor is the actor recorded for requests made with the bootstrap admin token.
const AdminActor = ferry.PrincipalAdmin

// uiKey marks, in a request's context, a call the web UI makes in-process.
type uiKey struct{}

// FromUI returns ctx marked as carrying a request the web UI makes on a user's behalf, so
// that the runs it starts are recorded with trigger "ui". Only code in the same process can
// set it: no header can.
func FromUI(ctx context.Context) context.Context { return context.WithValue(ctx, uiKey{}, true) }

// triggerOf returns the trigger of runs r starts: ui for the web UI, api otherwise.
func triggerOf(r *http.Request) string {
	if ui, _ := r.Context().Value(uiKey{}).(bool); ui {
		return ferry.TriggerUI
	}
	return ferry.TriggerAPI
}

// principalKey keys the request's ferry.Principal in its context.
type principalKey struct{}

// principalFrom returns the principal authenticate stored in ctx, or nil.
func principalFrom(ctx context.Context) *ferry.Principal {
	p, _ := ctx.Value(principalKey{}).(*ferry.Principal)
	return p
}

// actorFrom returns how the request's principal is named in runs and revisions.
func actorFrom(ctx context.Context) string {
	if p := principalFrom(ctx); p != nil {
		return p.Actor()
	}
	return ""
}

// authenticate passes on only requests from a known principal — an API token, the bootstrap
// admin token or a session cookie — with the principal in their context. Others get 401
// saying whether the token was unknown, expired or revoked, and nothing else. Writes made
// with a session cookie must carry the session's CSRF token.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.principal(r)
		if err != nil {
			if ferry.ErrorCode(err) == ferry.EUNAUTHORIZED {
				w.Header().Set("WWW-Authenticate", `Bearer realm="ferry"`)
			}
			s.writeError(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	})
}

// principal finds who r acts as.
func (s *Server) principal(r *http.Request) (*ferry.Principal, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, ok := strings.Cut(h, " ")
		token = strings.TrimSpace(token)
		if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
			return nil, ferry.Errorf(ferry.EUNAUTHORIZED, "Send the API token as 'Authorization: Bearer <token>'.")
		}
		return s.tokenPrincipal(r.Context(), token)
	}
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		p, err := s.sessionPrincipal(r.Context(), c.Value)
		if err != nil {
			return nil, err
		}
		if !safeMethod(r.Method) {
			if err := checkCSRF(r, c.Value); err != nil {
				return nil, err
			}
		}
		return p, nil
	}
	return nil, ferry.Errorf(ferry.EUNAUTHORIZED,
		"A valid API token is required: send it as 'Authorization: Bearer <token>', or log in (POST /api/v1/session).")
}

// tokenPrincipal returns the principal of an API token or of the bootstrap admin token. A
// token is looked up only by the SHA-256 of all of it, so how long a lookup takes says
// nothing about how much of a guess was right.
func (s *Server) tokenPrincipal(ctx context.Context, token string) (*ferry.Principal, error) {
	sum := sha256.Sum256([]byte(token))
	if s.AdminTokenHash != ([32]byte{}) && subtle.ConstantTimeCompare(sum[:], s.AdminTokenHash[:]) == 1 {
		return &ferry.Principal{Kind: ferry.PrincipalAdmin, Name: "admin token", Permissions: []ferry.Permission{ferry.PermAdmin}}, nil
	}
	if s.Tokens == nil || !strings.HasPrefix(token, ferry.TokenPrefix) {
		return nil, errUnknownToken
	}
	t, err := s.Tokens.FindTokenByHash(ctx, sum)
	if ferry.ErrorCode(err) == ferry.ENOTFOUND {
		return nil, errUnknownToken
	} else if err != nil {
		return nil, err
	}
	now := s.now()
	switch {
	case !t.RevokedAt.IsZero():
		return nil, ferry.Errorf(ferry.EUNAUTHORIZED, "This API token was revoked.")
	case !now.Before(t.ExpiresAt):
		return nil, ferry.Errorf(ferry.EUNAUTHORIZED, "This API token has expired; create a new one.")
	}
	s.touch(ctx, t.ID, now)
	return &ferry.Principal{Kind: ferry.PrincipalToken, ID: t.ID, Name: t.Description, Permissions: t.Permissions,
		Namespace: t.Namespace, ExpiresAt: t.ExpiresAt}, nil
}

var errUnknownToken = ferry.Errorf(ferry.EUNAUTHORIZED, "This API token is not known: send a valid one as 'Authorization: Bearer <token>'.")

// touch records that token id was used, at most once a minute per token from this server.
func (s *Server) touch(ctx context.Context, id int64, now time.Time) {
	s.touchMu.Lock()
	if s.touched == nil {
		s.touched = map[int64]time.Time{}
	}
	last, ok := s.touched[id]
	fresh := ok && now.Sub(last) < time.Minute
	if !fresh {
		s.touched[id] = now
	}
	s.touchMu.Unlock()
	if fresh {
		return
	}
	if err := s.Tokens.TouchToken(context.WithoutCancel(ctx), id, now); err != nil {
		s.logger().Warn("could not record a token's use", "token", id, "err", err)
	}
}

// sessionPrincipal returns the principal of the session whose cookie value is value.
func (s *Server) sessionPrincipal(ctx context.Context, value string) (*ferry.Principal, error) {
	if s.Users == nil {
		return nil, errNoSession
	}
	sess, err := s.Users.FindSession(ctx, sha256.Sum256([]byte(value)))
	if ferry.ErrorCode(err) == ferry.ENOTFOUND {
		return nil, errNoSession
	} else if err != nil {
		return nil, err
	}
	if !s.now().Before(sess.ExpiresAt) {
		return nil, ferry.Errorf(ferry.EUNAUTHORIZED, "Your session has expired; log in again.")
	}
	u, err := s.Users.FindUserByID(ctx, sess.UserID)
	if ferry.ErrorCode(err) == ferry.ENOTFOUND {
		return nil, errNoSession
	} else if err != nil {
		return nil, err
	}
	return userPrincipal(u), nil
}

var errNoSession = ferry.Errorf(ferry.EUNAUTHORIZED, "You are not logged in, or your session ended; log in again.")

// userPrincipal returns the principal of user u.
func userPrincipal(u *ferry.User) *ferry.Principal {
	p := &ferry.Principal{Kind: ferry.PrincipalUser, ID: u.ID, Name: u.Name, Roles: u.Roles}
	if u.Admin {
		p.Permissions = []ferry.Permission{ferry.PermAdmin}
	}
	return p
}

func safeMethod(method string) bool {
	return method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions
}

// csrfToken returns the CSRF token of the session whose cookie value is value: a MAC of
// it, so that a page which cannot read the cookie cannot know the token either.
func csrfToken(value string) string {
	m := hmac.New(sha256.New, []byte(value))
	m.Write([]byte("ferry csrf"))
	return hex.EncodeToString(m.Sum(nil))
}

// checkCSRF refuses a write made with session cookie value that does not carry its CSRF
// token, or that a browser says came from another site.
func checkCSRF(r *http.Request, value string) error {
	if site := r.Header.Get("Sec-Fetch-Site"); site == "cross-site" {
		return ferry.Errorf(ferry.EFORBIDDEN, "Cross-site requests cannot use your session.")
	}
	got := r.Header.Get(csrfHeader)
	if got == "" || !hmac.Equal([]byte(got), []byte(csrfToken(value))) {
		return ferry.Errorf(ferry.EFORBIDDEN, "A write made with a session cookie needs the %s header from the login answer or GET /api/v1/session.", csrfHeader)
	}
	return nil
}

// access says what a route requires of its principal.
type access struct {
	perms []ferry.Permission // any one of them
	scope scope
}

// scope says where a route's permission must be held.
type scope int

const (
	scopeNamespace scope = iota // in the route's {ns}
	scopeGlobal                 // for every namespace
	scopeAnywhere               // in some namespace, or for every one
	scopeAnyone                 // any authenticated principal
)

// RouteInfo describes one API route and what it requires, for tests and documentation.
type RouteInfo struct {
	Pattern     string
	Permissions []ferry.Permission // any one of them; none: any authenticated principal
	Scope       string             // "namespace", "global", "anywhere" or "anyone"
}

// Routes returns the API routes with what each requires, in the order they were registered.
func (s *Server) Routes() []RouteInfo {
	s.Handler()
	return s.routes
}

// api registers an API route: authenticated, authorized for perm (in the route's {ns}
// when it has one, globally otherwise) and audited.
func (s *Server) api(mux *http.ServeMux, pattern string, perm ferry.Permission, h http.HandlerFunc) {
	sc := scopeGlobal
	if strings.Contains(pattern, "{ns}") {
		sc = scopeNamespace
	}
	s.register(mux, pattern, access{perms: []ferry.Permission{perm}, scope: sc}, h)
}

// apiAnywhere registers an API route for principals that hold one of perms in some
// namespace or globally (sc scopeAnywhere), or for any principal (no perms).
func (s *Server) apiAnywhere(mux *http.ServeMux, pattern string, h http.HandlerFunc, perms ...ferry.Permission) {
	sc := scopeAnywhere
	if len(perms) == 0 {
		sc = scopeAnyone
	}
	s.register(mux, pattern, access{perms: perms, scope: sc}, h)
}

func (s *Server) register(mux *http.ServeMux, pattern string, a access, h http.HandlerFunc) {
	s.routes = append(s.routes, RouteInfo{Pattern: pattern, Permissions: a.perms, Scope: [...]string{"namespace", "global", "anywhere", "anyone"}[a.scope]})
	mux.Handle(pattern, s.authenticate(s.audit(s.authorize(a, h))))
}

// authorize passes on requests whose principal meets a. A namespace the principal may not
// see answers 404 exactly as a missing one does, so that namespaces cannot be probed.
func (s *Server) authorize(a access, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := principalFrom(r.Context())
		if err := allowed(p, a, r.PathValue("ns")); err != nil {
			s.writeError(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// allowed returns nil if p meets a for namespace ns, ENOTFOUND for a namespace p may not
// see, and EFORBIDDEN otherwise.
func allowed(p *ferry.Principal, a access, ns string) error {
	switch a.scope {
	case scopeAnyone:
		return nil
	case scopeNamespace:
		if !p.Sees(ns) {
			return ferry.Errorf(ferry.ENOTFOUND, "Namespace %q does not exist.", ns)
		}
	}
	for _, perm := range a.perms {
		switch a.scope {
		case scopeNamespace:
			if p.Can(perm, ns) {
				return nil
			}
		case scopeGlobal:
			if p.Can(perm, "") {
				return nil
			}
		case scopeAnywhere:
			if canAnywhere(p, perm) {
				return nil
			}
		}
	}
	who := "You lack"
	if p.Kind == ferry.PrincipalToken {
		who = "This token lacks"
	}
	perm := a.perms[0]
	switch {
	case a.scope == scopeNamespace:
		return ferry.Errorf(ferry.EFORBIDDEN, "%s permission %s in namespace %q.", who, perm, ns)
	case a.scope == scopeGlobal && p.Namespace != "":
		return ferry.Errorf(ferry.EFORBIDDEN, "This token is limited to namespace %q; this needs permission %s for all namespaces.", p.Namespace, perm)
	}
	return ferry.Errorf(ferry.EFORBIDDEN, "%s permission %s.", who, perm)
}

// canAnywhere reports whether p holds perm globally or in some namespace.
func canAnywhere(p *ferry.Principal, perm ferry.Permission) bool {
	if p.Can(perm, "") || p.Namespace != "" && p.Can(perm, p.Namespace) {
		return true
	}
	for ns := range p.Roles {
		if p.Can(perm, ns) {
			return true
		}
	}
	return false
}

// touchState remembers when each token's use was last written.
type touchState struct {
	touchMu sync.Mutex
	touched map[int64]time.Time // guarded by touchMu
}
