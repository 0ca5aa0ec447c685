package http

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/ferrygit/ferry"
)

// DefaultMaxTokenLifetime is the longest lifetime a new API token may have unless the
// server says otherwise.
var DefaultMaxTokenLifetime = ferry.Lifetime{Years: 1}

// registerTokenRoutes registers the routes that manage API tokens.
func (s *Server) registerTokenRoutes(mux *http.ServeMux) {
	s.apiAnywhere(mux, "POST /api/v1/tokens", s.handleCreateToken, ferry.PermTokensManage)
	s.apiAnywhere(mux, "GET /api/v1/tokens", s.handleListTokens, ferry.PermTokensManage)
	s.apiAnywhere(mux, "GET /api/v1/tokens/{id}", s.handleGetToken, ferry.PermTokensManage)
	s.apiAnywhere(mux, "DELETE /api/v1/tokens/{id}", s.handleRevokeToken, ferry.PermTokensManage)
}

// TokenRequest is the body of POST /api/v1/tokens.
type TokenRequest struct {
	Description string             `json:"description"`
	Lifetime    string             `json:"lifetime"` // ISO-8601: P1Y, PT12H, P2W, P3Y6M4DT12H30M5S
	Permissions []ferry.Permission `json:"permissions"`
	Namespace   string             `json:"namespace,omitempty"` // "" for all namespaces
}

// TokenResponse is the answer to POST /api/v1/tokens: the token, shown this once, and
// what is stored of it.
type TokenResponse struct {
	Secret string `json:"token"`
	*ferry.Token
}

func (s *Server) maxTokenLifetime() ferry.Lifetime {
	if s.MaxTokenLifetime == (ferry.Lifetime{}) {
		return DefaultMaxTokenLifetime
	}
	return s.MaxTokenLifetime
}

func (s *Server) handleCreateToken(w http.ResponseWriter, r *http.Request) {
	if s.Tokens == nil {
		s.writeError(w, r, ferry.Errorf(ferry.EUNAVAILABLE, "This server does not issue API tokens."))
		return
	}
	var req TokenRequest
	if err := decodeJSON(w, r, s.maxRequestSize(), &req, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	t, err := s.newToken(r, &req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	secret := ferry.TokenPrefix + randomString(32)
	if err := s.Tokens.CreateToken(r.Context(), t, sha256.Sum256([]byte(secret))); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", apiPrefix+"/tokens/"+strconv.FormatInt(t.ID, 10))
	writeJSON(w, http.StatusCreated, TokenResponse{Secret: secret, Token: t})
}

// newToken checks req against what its creator holds and returns the token to store.
func (s *Server) newToken(r *http.Request, req *TokenRequest) (*ferry.Token, error) {
	p := principalFrom(r.Context())
	if req.Description == "" || utf8.RuneCountInString(req.Description) > 200 || hasControl(req.Description) {
		return nil, ferry.Errorf(ferry.EINVALID, "A description of 1–200 characters is required, such as \"GitLab CI sync for payments\".")
	}
	if req.Lifetime == "" {
		return nil, ferry.Errorf(ferry.EINVALID, "A lifetime is required: an ISO-8601 duration such as P1Y, P6M, P2W or PT12H.")
	}
	life, err := ferry.ParseLifetime(req.Lifetime)
	if err != nil {
		return nil, err
	}
	if max := s.maxTokenLifetime(); life.Approx() > max.Approx() {
		return nil, ferry.Errorf(ferry.EINVALID, "Lifetime %s is longer than this server allows (%s, --max-token-lifetime).", life, max)
	}
	if err := ferry.ValidatePermissions(req.Permissions); err != nil {
		return nil, err
	}
	if req.Namespace != "" {
		if err := ferry.ValidateNamespaceName(req.Namespace); err != nil {
			return nil, err
		}
		if !p.Sees(req.Namespace) {
			return nil, ferry.Errorf(ferry.ENOTFOUND, "Namespace %q does not exist.", req.Namespace)
		}
		if _, err := s.Namespaces.FindNamespace(r.Context(), req.Namespace); err != nil {
			return nil, err
		}
	}
	if p.Namespace != "" && req.Namespace != p.Namespace {
		return nil, ferry.Errorf(ferry.EFORBIDDEN, "This token is limited to namespace %q: the tokens it makes must be too.", p.Namespace)
	}
	for _, perm := range req.Permissions {
		if !p.Can(perm, req.Namespace) {
			where := "for all namespaces"
			if req.Namespace != "" {
				where = "in namespace " + strconv.Quote(req.Namespace)
			}
			return nil, ferry.Errorf(ferry.EFORBIDDEN, "You cannot grant %s %s: a token can never hold more than its creator.", perm, where)
		}
	}
	now := s.now().UTC()
	expires := life.AddTo(now)
	if !p.ExpiresAt.IsZero() && expires.After(p.ExpiresAt) {
		return nil, ferry.Errorf(ferry.EFORBIDDEN, "The new token would outlive the token that makes it (which expires at %s); choose a shorter lifetime.", p.ExpiresAt.UTC().Format("2006-01-02T15:04:05Z"))
	}
	return &ferry.Token{Description: req.Description, Permissions: req.Permissions, Namespace: req.Namespace,
		CreatedBy: p.Actor(), ExpiresAt: expires}, nil
}

func hasControl(s string) bool {
	for _, c := range s {
		if c < 0x20 || c == 0x7f {
			return true
		}
	}
	return false
}

// randomString returns n random bytes, base64url without padding.
func randomString(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// mayManage reports whether p may see and revoke token t: an admin any, others the tokens
// they made and themselves.
func mayManage(p *ferry.Principal, t *ferry.Token) bool {
	return p.IsAdmin() || t.CreatedBy == p.Actor() || p.Kind == ferry.PrincipalToken && p.ID == t.ID
}

func (s *Server) handleListTokens(w http.ResponseWriter, r *http.Request) {
	if s.Tokens == nil {
		writeList(w, []*ferry.Token{}, "")
		return
	}
	all, err := boolParam(r, "revoked")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	tokens, err := s.Tokens.ListTokens(r.Context(), all)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	p := principalFrom(r.Context())
	items := []*ferry.Token{}
	for _, t := range tokens {
		if mayManage(p, t) {
			items = append(items, t)
		}
	}
	writeList(w, items, "")
}

// tokenParam returns the token {id} names, if the principal may manage it; ENOTFOUND
// otherwise, so that others' tokens cannot be probed.
func (s *Server) tokenParam(r *http.Request) (*ferry.Token, error) {
	v := r.PathValue("id")
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return nil, ferry.Errorf(ferry.EINVALID, "Token ID %q is not a positive number.", clip(v))
	}
	if s.Tokens == nil {
		return nil, ferry.Errorf(ferry.ENOTFOUND, "Token %d does not exist.", id)
	}
	t, err := s.Tokens.FindToken(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if !mayManage(principalFrom(r.Context()), t) {
		return nil, ferry.Errorf(ferry.ENOTFOUND, "Token %d does not exist.", id)
	}
	return t, nil
}

func (s *Server) handleGetToken(w http.ResponseWriter, r *http.Request) {
	t, err := s.tokenParam(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}

func (s *Server) handleRevokeToken(w http.ResponseWriter, r *http.Request) {
	t, err := s.tokenParam(r)
	if err == nil {
		err = s.Tokens.RevokeToken(r.Context(), t.ID)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
