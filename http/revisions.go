package http

import (
	"net/http"
	"unicode/utf8"

	"github.com/ferrygit/ferry"
)

// maxDetailChanges is how many changed paths a revision's detail includes.
const maxDetailChanges = ferry.MaxPageLimit

// registerRevisionRoutes registers the routes that read and restore revisions.
func (s *Server) registerRevisionRoutes(mux *http.ServeMux) {
	s.api(mux, "GET /api/v1/namespaces/{ns}/revisions", ferry.PermNamespacesRead, s.handleListRevisions)
	s.api(mux, "GET /api/v1/namespaces/{ns}/revisions/{id}", ferry.PermNamespacesRead, s.handleGetRevision)
	s.api(mux, "GET /api/v1/namespaces/{ns}/revisions/{id}/changes", ferry.PermNamespacesRead, s.handleListRevisionChanges)
	s.api(mux, "POST /api/v1/namespaces/{ns}/revisions/{id}/restore", ferry.PermNamespacesWrite, s.handleRestoreRevision)
}

// RevisionDetail is a revision with the first page of the paths it changed.
type RevisionDetail struct {
	ferry.Revision
	Changes     []*ferry.RevisionChange `json:"changes"`
	ChangesNext string                  `json:"changes_next"` // cursor for the next page, "" when there is none
}

// revisionParams returns the {ns} and {id} path parameters. Returns EINVALID for bad ones.
func revisionParams(r *http.Request) (ns string, id int64, err error) {
	if ns, err = namespaceParam(r); err != nil {
		return "", 0, err
	}
	id, err = revisionParam("id", r.PathValue("id"))
	return ns, id, err
}

func (s *Server) handleListRevisions(w http.ResponseWriter, r *http.Request) {
	ns, err := namespaceParam(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	page, err := pageParams(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	items, next, err := s.Files.ListRevisions(r.Context(), ns, page)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeList(w, items, next)
}

func (s *Server) handleGetRevision(w http.ResponseWriter, r *http.Request) {
	ns, id, err := revisionParams(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	rev, err := s.Files.FindRevision(r.Context(), ns, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	changes, next, err := s.Files.ListRevisionChanges(r.Context(), ns, id, ferry.Page{Limit: maxDetailChanges})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if changes == nil {
		changes = []*ferry.RevisionChange{}
	}
	writeJSON(w, http.StatusOK, RevisionDetail{Revision: *rev, Changes: changes, ChangesNext: next})
}

func (s *Server) handleListRevisionChanges(w http.ResponseWriter, r *http.Request) {
	ns, id, err := revisionParams(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	page, err := pageParams(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	items, next, err := s.Files.ListRevisionChanges(r.Context(), ns, id, page)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeList(w, items, next)
}

// restoreRequest is the optional body of POST …/revisions/{id}/restore.
type restoreRequest struct {
	Message string `json:"message"`
}

// handleRestoreRevision makes a new revision whose files equal those of revision {id}: 201
// with it, or 200 with the head when the head already equals that revision.
func (s *Server) handleRestoreRevision(w http.ResponseWriter, r *http.Request) {
	ns, id, err := revisionParams(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req restoreRequest
	if err := decodeJSON(w, r, s.maxRequestSize(), &req, true); err != nil {
		s.writeError(w, r, err)
		return
	}
	if len(req.Message) > ferry.MaxMessageLength || !utf8.ValidString(req.Message) {
		s.writeError(w, r, ferry.Errorf(ferry.EINVALID, "Message must be valid UTF-8 of at most %d bytes.", ferry.MaxMessageLength))
		return
	}
	rev, created, err := s.Files.RestoreRevision(r.Context(), ns, id, actorFrom(r.Context()), req.Message)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeRevision(w, rev, created)
}
