package http

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ferrygit/ferry"
)

// PutFileOptions are the optional parts of a PutFile call.
type PutFileOptions struct {
	Message string
	Mode    ferry.Mode // when empty: the file keeps its mode (a new file is a regular file)
	Base    int64      // when not 0, the revision the caller saw: ECONFLICT if the head has moved
}

// PutFile writes content at path in namespace ns. It returns the new revision and true, or
// the head and false when the file already had this content and mode.
func (c *Client) PutFile(ctx context.Context, ns, path string, content []byte, opts PutFileOptions) (*ferry.Revision, bool, error) {
	q := url.Values{}
	if opts.Message != "" {
		q.Set("message", opts.Message)
	}
	if opts.Mode != "" {
		q.Set("mode", string(opts.Mode))
	}
	if opts.Base != 0 {
		q.Set("base", strconv.FormatInt(opts.Base, 10))
	}
	req := request{method: http.MethodPut, path: nsPath(ns, "files", path), query: q, body: bytes.NewReader(content)}
	return c.revision(ctx, req)
}

// revision sends req and decodes the revision it answers with; true when it made one (201).
func (c *Client) revision(ctx context.Context, req request) (*ferry.Revision, bool, error) {
	var rev ferry.Revision
	status, err := c.call(ctx, req, &rev)
	if err != nil {
		return nil, false, err
	}
	return &rev, status == http.StatusCreated, nil
}

// GetFile returns the file at path in namespace ns with its content, at revision rev (0:
// the newest).
func (c *Client) GetFile(ctx context.Context, ns, path string, rev int64) (*ferry.File, error) {
	q := url.Values{}
	if rev != 0 {
		q.Set("revision", strconv.FormatInt(rev, 10))
	}
	resp, err := c.do(ctx, request{method: http.MethodGet, path: nsPath(ns, "files", path), query: q})
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	content, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	written, _ := strconv.ParseInt(resp.Header.Get("X-Ferry-Revision"), 10, 64)
	return &ferry.File{
		Path:     path,
		Size:     int64(len(content)),
		Blob:     strings.Trim(resp.Header.Get("ETag"), `"`),
		Mode:     ferry.Mode(resp.Header.Get("X-Ferry-Mode")),
		Revision: written,
		Content:  content,
	}, nil
}

// DeleteFile removes the file at path in namespace ns and returns the revision that did.
func (c *Client) DeleteFile(ctx context.Context, ns, path, message string) (*ferry.Revision, error) {
	q := url.Values{}
	if message != "" {
		q.Set("message", message)
	}
	rev, _, err := c.revision(ctx, request{method: http.MethodDelete, path: nsPath(ns, "files", path), query: q})
	return rev, err
}

// ListTree returns one page of the entries under q.Dir in namespace ns and the cursor of
// the next page.
func (c *Client) ListTree(ctx context.Context, ns string, q ferry.TreeQuery) ([]*ferry.TreeEntry, string, error) {
	path := nsPath(ns, "tree")
	if dir := ferry.CleanDir(q.Dir); dir != "" {
		path = nsPath(ns, "tree", dir)
	}
	query := pageQuery(q.Page)
	if q.Recursive {
		query.Set("recursive", "true")
	}
	if q.Revision != 0 {
		query.Set("revision", strconv.FormatInt(q.Revision, 10))
	}
	return list[*ferry.TreeEntry](ctx, c, path, query)
}

// ApplyChanges applies cs to namespace cs.Namespace as one revision, all or nothing. It
// returns the new revision and true, or the head and false when nothing changed. The server
// decides the actor and source; cs.Actor, cs.Source and cs.Commit are not sent.
func (c *Client) ApplyChanges(ctx context.Context, cs *ferry.ChangeSet) (*ferry.Revision, bool, error) {
	req := changesRequest{Message: cs.Message, Base: cs.Base, Files: make([]fileChangeRequest, len(cs.Changes))}
	for i, ch := range cs.Changes {
		req.Files[i] = fileChangeOf(ch)
	}
	body, err := jsonBody(req)
	if err != nil {
		return nil, false, err
	}
	return c.revision(ctx, request{method: http.MethodPost, path: nsPath(cs.Namespace, "changes"), body: body, json: true})
}

// fileChangeOf encodes one change, its content as text when it is valid UTF-8 and as
// base64 otherwise.
func fileChangeOf(ch ferry.FileChange) fileChangeRequest {
	f := fileChangeRequest{Path: ch.Path, Mode: ch.Mode, Delete: ch.Delete}
	if ch.Delete {
		return f
	}
	if utf8.Valid(ch.Content) {
		s := string(ch.Content)
		f.Content = &s
	} else {
		s := base64.StdEncoding.EncodeToString(ch.Content)
		f.ContentBase64 = &s
	}
	return f
}
