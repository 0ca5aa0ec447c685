package http

import (
	"context"
	"net/http"
	"net/url"

	"github.com/ferrygit/ferry"
)

// MirroredNamespace is the answer to POST /api/v1/namespaces with a "mirror": the namespace
// and the binding that mirrors into it.
type MirroredNamespace struct {
	*ferry.Namespace
	Mirror *BindingResponse `json:"mirror,omitempty"`
}

// handleCreateMirroredNamespace creates a namespace and its first binding, or neither: the
// binding is validated before the namespace is made, and the namespace is removed again
// when the sync service refuses the binding.
func (s *Server) handleCreateMirroredNamespace(w http.ResponseWriter, r *http.Request, req *createNamespaceRequest) {
	if !s.syncReady(w, r) {
		return
	}
	ns := &ferry.Namespace{Name: req.Name}
	if err := ns.Validate(); err != nil {
		s.writeError(w, r, err)
		return
	}
	b, err := req.Mirror.binding(ns.Name)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.Namespaces.CreateNamespace(r.Context(), ns); err != nil {
		s.writeError(w, r, err)
		return
	}
	mirror, err := s.createBinding(r.Context(), b, req.Mirror.Webhook)
	if err != nil {
		s.rollbackNamespace(r, ns.Name)
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", apiPrefix+"/namespaces/"+url.PathEscape(ns.Name))
	writeJSON(w, http.StatusCreated, MirroredNamespace{Namespace: ns, Mirror: mirror})
}

// rollbackNamespace deletes a namespace made by a request that then failed, even when the
// client has gone away. A failure is logged: the namespace is left behind.
func (s *Server) rollbackNamespace(r *http.Request, name string) {
	ctx := context.WithoutCancel(r.Context())
	if err := s.Namespaces.DeleteNamespace(ctx, name); err != nil {
		s.logger().Error("could not remove the namespace of a refused mirror", "namespace", name, "err", err)
	}
}
