package http

import (
	"net/http"
	"net/url"
	"slices"

	"github.com/ferrygit/ferry"
)

// registerNamespaceRoutes registers the routes that manage namespaces.
func (s *Server) registerNamespaceRoutes(mux *http.ServeMux) {
	s.api(mux, "POST /api/v1/namespaces", ferry.PermNamespacesWrite, s.handleCreateNamespace)
	s.apiAnywhere(mux, "GET /api/v1/namespaces", s.handleListNamespaces)
	s.api(mux, "GET /api/v1/namespaces/{ns}", ferry.PermNamespacesRead, s.handleGetNamespace)
	s.api(mux, "DELETE /api/v1/namespaces/{ns}", ferry.PermNamespacesWrite, s.handleDeleteNamespace)
}

// createNamespaceRequest is the body of POST /api/v1/namespaces.
type createNamespaceRequest struct {
	Name   string          `json:"name"`
	Mirror *BindingRequest `json:"mirror,omitempty"` // a first binding, made with the namespace
}

func (s *Server) handleCreateNamespace(w http.ResponseWriter, r *http.Request) {
	var req createNamespaceRequest
	if err := decodeJSON(w, r, s.maxRequestSize(), &req, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.Mirror != nil {
		if p := principalFrom(r.Context()); !p.Can(ferry.PermBindingsManage, "") {
			s.writeError(w, r, ferry.Errorf(ferry.EFORBIDDEN, "A namespace made with a mirror needs permission %s too.", ferry.PermBindingsManage))
			return
		}
		s.handleCreateMirroredNamespace(w, r, &req)
		return
	}
	ns := &ferry.Namespace{Name: req.Name}
	if err := ns.Validate(); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.Namespaces.CreateNamespace(r.Context(), ns); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", apiPrefix+"/namespaces/"+url.PathEscape(ns.Name))
	writeJSON(w, http.StatusCreated, ns)
}

func (s *Server) handleListNamespaces(w http.ResponseWriter, r *http.Request) {
	page, err := pageParams(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	p := principalFrom(r.Context())
	if !p.Can(ferry.PermNamespacesRead, "") {
		s.listVisibleNamespaces(w, r, p)
		return
	}
	items, next, err := s.Namespaces.ListNamespaces(r.Context(), page)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeList(w, items, next)
}

func (s *Server) handleGetNamespace(w http.ResponseWriter, r *http.Request) {
	name, err := namespaceParam(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ns, err := s.Namespaces.FindNamespace(r.Context(), name)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ns)
}

func (s *Server) handleDeleteNamespace(w http.ResponseWriter, r *http.Request) {
	name, err := namespaceParam(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.Namespaces.DeleteNamespace(r.Context(), name); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// listVisibleNamespaces answers GET /api/v1/namespaces for a principal that may read some
// namespaces only: a token limited to one, or a user with roles. It lists, in one page,
// the namespaces among those that exist.
func (s *Server) listVisibleNamespaces(w http.ResponseWriter, r *http.Request, p *ferry.Principal) {
	var names []string
	if p.Namespace != "" {
		names = append(names, p.Namespace)
	}
	for ns := range p.Roles {
		names = append(names, ns)
	}
	slices.Sort(names)
	items := []*ferry.Namespace{}
	for _, name := range names {
		if !p.Can(ferry.PermNamespacesRead, name) {
			continue
		}
		ns, err := s.Namespaces.FindNamespace(r.Context(), name)
		if ferry.ErrorCode(err) == ferry.ENOTFOUND {
			continue
		} else if err != nil {
			s.writeError(w, r, err)
			return
		}
		items = append(items, ns)
	}
	writeList(w, items, "")
}
