package http

import (
	"net/http"
	"net/url"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/password"
)

// registerUserRoutes registers the routes that manage users (admins only), and the one by
// which users change their own password.
func (s *Server) registerUserRoutes(mux *http.ServeMux) {
	s.api(mux, "POST /api/v1/users", ferry.PermAdmin, s.handleCreateUser)
	s.api(mux, "GET /api/v1/users", ferry.PermAdmin, s.handleListUsers)
	s.api(mux, "GET /api/v1/users/{name}", ferry.PermAdmin, s.handleGetUser)
	s.api(mux, "DELETE /api/v1/users/{name}", ferry.PermAdmin, s.handleDeleteUser)
	s.api(mux, "PUT /api/v1/users/{name}/roles/{namespace}", ferry.PermAdmin, s.handleSetRole)
	s.api(mux, "DELETE /api/v1/users/{name}/roles/{namespace}", ferry.PermAdmin, s.handleDeleteRole)
	s.apiAnywhere(mux, "PUT /api/v1/users/{name}/password", s.handleSetPassword)
}

// UserRequest is the body of POST /api/v1/users.
type UserRequest struct {
	Name     string            `json:"name"`
	Password string            `json:"password"`
	Admin    bool              `json:"admin,omitempty"`
	Roles    map[string]string `json:"roles,omitempty"` // namespace → viewer, editor or maintainer
}

func (s *Server) usersOr503(w http.ResponseWriter, r *http.Request) bool {
	if s.Users == nil {
		s.writeError(w, r, ferry.Errorf(ferry.EUNAVAILABLE, "This server has no user store."))
		return false
	}
	return true
}

func (s *Server) handleCreateUser(w http.ResponseWriter, r *http.Request) {
	if !s.usersOr503(w, r) {
		return
	}
	var req UserRequest
	if err := decodeJSON(w, r, 64<<10, &req, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := ferry.ValidateUserName(req.Name); err != nil {
		s.writeError(w, r, err)
		return
	}
	for ns, role := range req.Roles {
		if err := ferry.ValidateRole(role); err != nil {
			s.writeError(w, r, err)
			return
		}
		if _, err := s.Namespaces.FindNamespace(r.Context(), ns); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	if err := password.Check(req.Password); err != nil {
		s.writeError(w, r, err)
		return
	}
	hash, err := password.Hash(req.Password)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	u := &ferry.User{Name: req.Name, Admin: req.Admin, Roles: req.Roles}
	if err := s.Users.CreateUser(r.Context(), u, hash); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", apiPrefix+"/users/"+url.PathEscape(u.Name))
	writeJSON(w, http.StatusCreated, u)
}

func (s *Server) handleListUsers(w http.ResponseWriter, r *http.Request) {
	if !s.usersOr503(w, r) {
		return
	}
	users, err := s.Users.ListUsers(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeList(w, users, "")
}

func (s *Server) handleGetUser(w http.ResponseWriter, r *http.Request) {
	if !s.usersOr503(w, r) {
		return
	}
	u, err := s.Users.FindUser(r.Context(), r.PathValue("name"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}

func (s *Server) handleDeleteUser(w http.ResponseWriter, r *http.Request) {
	if !s.usersOr503(w, r) {
		return
	}
	name := r.PathValue("name")
	if p := principalFrom(r.Context()); p.Kind == ferry.PrincipalUser && p.Name == name {
		s.writeError(w, r, ferry.Errorf(ferry.ECONFLICT, "You cannot delete yourself; ask another admin."))
		return
	}
	if err := s.Users.DeleteUser(r.Context(), name); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// roleRequest is the body of PUT /api/v1/users/{name}/roles/{namespace}.
type roleRequest struct {
	Role string `json:"role"`
}

func (s *Server) handleSetRole(w http.ResponseWriter, r *http.Request) {
	if !s.usersOr503(w, r) {
		return
	}
	var req roleRequest
	if err := decodeJSON(w, r, 64<<10, &req, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.setRole(w, r, req.Role)
}

func (s *Server) handleDeleteRole(w http.ResponseWriter, r *http.Request) {
	if !s.usersOr503(w, r) {
		return
	}
	s.setRole(w, r, "")
}

func (s *Server) setRole(w http.ResponseWriter, r *http.Request, role string) {
	name, ns := r.PathValue("name"), r.PathValue("namespace")
	if err := ferry.ValidateNamespaceName(ns); err != nil {
		s.writeError(w, r, err)
		return
	}
	if role != "" {
		if err := ferry.ValidateRole(role); err != nil {
			s.writeError(w, r, err)
			return
		}
		if _, err := s.Namespaces.FindNamespace(r.Context(), ns); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	if err := s.Users.SetUserRole(r.Context(), name, ns, role); err != nil {
		s.writeError(w, r, err)
		return
	}
	u, err := s.Users.FindUser(r.Context(), name)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}

// PasswordRequest is the body of PUT /api/v1/users/{name}/password. A user changing their
// own password sends the current one too; an admin need not.
type PasswordRequest struct {
	Current  string `json:"current_password,omitempty"`
	Password string `json:"password"`
}

func (s *Server) handleSetPassword(w http.ResponseWriter, r *http.Request) {
	if !s.usersOr503(w, r) {
		return
	}
	var req PasswordRequest
	if err := decodeJSON(w, r, 64<<10, &req, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	name := r.PathValue("name")
	p := principalFrom(r.Context())
	self := p.Kind == ferry.PrincipalUser && p.Name == name
	if !p.IsAdmin() && !self {
		s.writeError(w, r, ferry.Errorf(ferry.EFORBIDDEN, "Only an admin can change another user's password."))
		return
	}
	if self && !p.IsAdmin() || req.Current != "" {
		_, hash, err := s.Users.UserPassword(r.Context(), name)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if ok, _ := password.Verify(req.Current, hash); !ok {
			s.writeError(w, r, ferry.Errorf(ferry.EFORBIDDEN, "The current password is wrong."))
			return
		}
	}
	if err := password.Check(req.Password); err != nil {
		s.writeError(w, r, err)
		return
	}
	hash, err := password.Hash(req.Password)
	if err == nil {
		err = s.Users.SetUserPassword(r.Context(), name, hash)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
