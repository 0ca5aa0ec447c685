package http

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/ferrygit/ferry"
)

// registerFileRoutes registers the routes that read and write files and directory trees.
func (s *Server) registerFileRoutes(mux *http.ServeMux) {
	s.api(mux, "PUT /api/v1/namespaces/{ns}/files/{path...}", ferry.PermNamespacesWrite, s.handlePutFile)
	s.api(mux, "GET /api/v1/namespaces/{ns}/files/{path...}", ferry.PermNamespacesRead, s.handleGetFile)
	s.api(mux, "DELETE /api/v1/namespaces/{ns}/files/{path...}", ferry.PermNamespacesWrite, s.handleDeleteFile)
	s.api(mux, "GET /api/v1/namespaces/{ns}/tree", ferry.PermNamespacesRead, s.handleListTree)
	s.api(mux, "GET /api/v1/namespaces/{ns}/tree/{path...}", ferry.PermNamespacesRead, s.handleListTree)
	s.api(mux, "POST /api/v1/namespaces/{ns}/changes", ferry.PermNamespacesWrite, s.handleApplyChanges)
}

// fileParams returns the {ns} and {path} path parameters. Returns EINVALID for a bad name or path.
func fileParams(r *http.Request) (ns, path string, err error) {
	if ns, err = namespaceParam(r); err != nil {
		return "", "", err
	}
	path = r.PathValue("path")
	return ns, path, ferry.ValidatePath(path)
}

// handlePutFile writes the raw request body as one file: 201 with the new revision, or 200
// with the head when the file already had this content and mode.
func (s *Server) handlePutFile(w http.ResponseWriter, r *http.Request) {
	cs, err := s.putChangeSet(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	rev, created, err := s.apply(r, cs)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeRevision(w, rev, created)
}

// putChangeSet reads a PUT of one file into a change set. Content comes last so that bad
// parameters are reported without reading a large body.
func (s *Server) putChangeSet(w http.ResponseWriter, r *http.Request) (*ferry.ChangeSet, error) {
	ns, path, err := fileParams(r)
	if err != nil {
		return nil, err
	}
	base, err := optionalRevision(r, "base")
	if err != nil {
		return nil, err
	}
	mode := ferry.Mode(r.URL.Query().Get("mode"))
	if mode != "" {
		if err := mode.Validate(); err != nil {
			return nil, err
		}
	}
	content, err := readBody(w, r, s.maxFileSize(), "file")
	if err != nil {
		return nil, err
	}
	return &ferry.ChangeSet{
		Namespace: ns,
		Base:      base,
		Actor:     actorFrom(r.Context()),
		Message:   r.URL.Query().Get("message"),
		Changes:   []ferry.FileChange{{Path: path, Content: content, Mode: mode}},
	}, nil
}

// apply validates cs and applies it as one revision.
func (s *Server) apply(r *http.Request, cs *ferry.ChangeSet) (*ferry.Revision, bool, error) {
	if err := cs.Validate(s.maxFileSize()); err != nil {
		return nil, false, err
	}
	return s.Files.ApplyChanges(r.Context(), cs)
}

// handleGetFile answers with a file's raw content, its blob as the ETag, and 304 when the
// client's If-None-Match already names that blob.
func (s *Server) handleGetFile(w http.ResponseWriter, r *http.Request) {
	ns, path, err := fileParams(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	rev, err := optionalRevision(r, "revision")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	f, err := s.Files.ReadFile(r.Context(), ns, path, rev)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	etag := `"` + f.Blob + `"`
	h := w.Header()
	h.Set("ETag", etag)
	h.Set("X-Ferry-Revision", strconv.FormatInt(f.Revision, 10))
	h.Set("X-Ferry-Mode", string(f.Mode))
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Length", strconv.Itoa(len(f.Content)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(f.Content)
	}
}

// etagMatches reports whether an If-None-Match header names etag, compared weakly as
// RFC 9110 asks for If-None-Match.
func etagMatches(header, etag string) bool {
	for _, tag := range strings.Split(header, ",") {
		tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
		if tag == "*" || tag == etag {
			return true
		}
	}
	return false
}

// handleDeleteFile removes a file in a new revision and answers with that revision.
func (s *Server) handleDeleteFile(w http.ResponseWriter, r *http.Request) {
	ns, path, err := fileParams(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	base, err := optionalRevision(r, "base")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	rev, _, err := s.apply(r, &ferry.ChangeSet{
		Namespace: ns,
		Base:      base,
		Actor:     actorFrom(r.Context()),
		Message:   r.URL.Query().Get("message"),
		Changes:   []ferry.FileChange{{Path: path, Delete: true}},
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rev)
}

// handleListTree lists the entries under a directory, or every file below it with
// ?recursive=true, at the head or at ?revision=.
func (s *Server) handleListTree(w http.ResponseWriter, r *http.Request) {
	q, err := treeQuery(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	items, next, err := s.Files.ListTree(r.Context(), r.PathValue("ns"), q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeList(w, items, next)
}

// treeQuery reads a tree listing's parameters. Returns EINVALID for any bad one.
func treeQuery(r *http.Request) (q ferry.TreeQuery, err error) {
	if _, err = namespaceParam(r); err != nil {
		return q, err
	}
	q.Dir = ferry.CleanDir(r.PathValue("path"))
	if err = ferry.ValidateDir(q.Dir); err != nil {
		return q, err
	}
	if q.Recursive, err = boolParam(r, "recursive"); err != nil {
		return q, err
	}
	if q.Revision, err = optionalRevision(r, "revision"); err != nil {
		return q, err
	}
	q.Page, err = pageParams(r)
	return q, err
}
