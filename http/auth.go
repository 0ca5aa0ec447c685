package http

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/ferrygit/ferry"
)

// AdminActor is the actor recorded for requests made with the admin token.
const AdminActor = "admin"

// actorKey keys the authenticated actor in a request's context.
type actorKey struct{}

// actorFrom returns the actor authenticate stored in ctx.
func actorFrom(ctx context.Context) string {
	actor, _ := ctx.Value(actorKey{}).(string)
	return actor
}

// authenticate passes on only requests that carry the admin token as a bearer token, with
// the actor in their context. Others get 401, whatever was wrong with their token.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.validToken(r.Header.Get("Authorization")) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="ferry"`)
			s.writeError(w, r, ferry.Errorf(ferry.EUNAUTHORIZED,
				"A valid API token is required: send it as 'Authorization: Bearer <token>'. The admin token is printed in the server log on first start."))
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), actorKey{}, AdminActor)))
	})
}

// validToken reports whether header is "Bearer <the admin token>", in constant time.
func (s *Server) validToken(header string) bool {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	token = strings.TrimSpace(token)
	if token == "" || s.AdminTokenHash == ([32]byte{}) {
		return false
	}
	sum := sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(sum[:], s.AdminTokenHash[:]) == 1
}

// api registers an API route whose handler runs only for authenticated requests.
func (s *Server) api(mux *http.ServeMux, pattern string, h http.HandlerFunc) {
	mux.Handle(pattern, s.authenticate(h))
}
