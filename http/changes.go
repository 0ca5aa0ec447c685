package http

import (
	"encoding/base64"
	"net/http"

	"github.com/ferrygit/ferry"
)

// changesRequest is the body of POST /api/v1/namespaces/{ns}/changes.
type changesRequest struct {
	Message string              `json:"message"`
	Base    int64               `json:"base"`
	Files   []fileChangeRequest `json:"files"`
}

// fileChangeRequest is one entry of a changesRequest: content as text or base64, or a deletion.
type fileChangeRequest struct {
	Path          string     `json:"path"`
	Content       *string    `json:"content,omitempty"`
	ContentBase64 *string    `json:"content_base64,omitempty"`
	Mode          ferry.Mode `json:"mode,omitempty"`
	Delete        bool       `json:"delete,omitempty"`
}

// handleApplyChanges applies a batch of file changes as one revision, all or nothing: 201
// with the new revision, or 200 with the head when nothing changed.
func (s *Server) handleApplyChanges(w http.ResponseWriter, r *http.Request) {
	cs, err := s.readChangeSet(w, r)
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

// readChangeSet decodes a changesRequest into a change set. Returns EINVALID for a
// malformed body or entry.
func (s *Server) readChangeSet(w http.ResponseWriter, r *http.Request) (*ferry.ChangeSet, error) {
	ns, err := namespaceParam(r)
	if err != nil {
		return nil, err
	}
	var req changesRequest
	if err := decodeJSON(w, r, s.maxRequestSize(), &req, false); err != nil {
		return nil, err
	}
	if req.Base < 0 {
		return nil, ferry.Errorf(ferry.EINVALID, "Field base must be a revision number, or 0 to skip the check (got %d).", req.Base)
	}
	cs := &ferry.ChangeSet{
		Namespace: ns,
		Base:      req.Base,
		Actor:     actorFrom(r.Context()),
		Message:   req.Message,
		Changes:   make([]ferry.FileChange, 0, len(req.Files)),
	}
	for i, f := range req.Files {
		c, err := f.change(i)
		if err != nil {
			return nil, err
		}
		cs.Changes = append(cs.Changes, c)
	}
	return cs, nil
}

// change converts entry i of a request into a file change.
func (f *fileChangeRequest) change(i int) (ferry.FileChange, error) {
	c := ferry.FileChange{Path: f.Path, Mode: f.Mode, Delete: f.Delete}
	switch {
	case f.Delete && (f.Content != nil || f.ContentBase64 != nil || f.Mode != ""):
		return c, ferry.Errorf(ferry.EINVALID, "files[%d] (%q) deletes the file, so it may not have content, content_base64 or mode.", i, clip(f.Path))
	case f.Delete:
		return c, nil
	case f.Content != nil && f.ContentBase64 != nil:
		return c, ferry.Errorf(ferry.EINVALID, "files[%d] (%q) has both content and content_base64; give one.", i, clip(f.Path))
	case f.Content != nil:
		c.Content = []byte(*f.Content)
	case f.ContentBase64 != nil:
		b, err := base64.StdEncoding.DecodeString(*f.ContentBase64)
		if err != nil {
			return c, ferry.Errorf(ferry.EINVALID, "files[%d] (%q) has content_base64 that is not valid base64 (RFC 4648, with padding).", i, clip(f.Path))
		}
		c.Content = b
	default:
		return c, ferry.Errorf(ferry.EINVALID, "files[%d] (%q) needs content, content_base64 or \"delete\": true.", i, clip(f.Path))
	}
	return c, nil
}
