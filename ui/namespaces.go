package ui

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ferrygit/ferry"
	fhttp "github.com/ferrygit/ferry/http"
)

// registerNamespacePages registers the namespace list and a namespace's explorer: its
// directory tree, files, revisions with their diffs, and restore.
func (s *Server) registerNamespacePages(mux *http.ServeMux) {
	s.page(mux, "GET /{$}", s.namespacesPage)
	s.page(mux, "POST /namespaces", s.createNamespace)
	s.page(mux, "GET /ns/{ns}/{$}", s.treePage)
	s.page(mux, "GET /ns/{ns}/tree/{dir...}", s.treePage)
	s.page(mux, "GET /ns/{ns}/files/{path...}", s.filePage)
	s.page(mux, "GET /ns/{ns}/revisions", s.revisionsPage)
	s.page(mux, "GET /ns/{ns}/revisions/{id}", s.revisionPage)
	s.page(mux, "POST /ns/{ns}/revisions/{id}/restore", s.restoreRevision)
}

// pageSize is how many rows a listing page shows.
const pageSize = 100

func (s *Server) namespacesPage(c *call) error {
	items, next, err := c.client.ListNamespaces(c.ctx(), ferry.Page{Limit: pageSize, Cursor: c.r.URL.Query().Get("cursor")})
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "ns_list", "Namespaces", map[string]any{"Namespaces": items, "Next": next})
}

func (s *Server) createNamespace(c *call) error {
	name := strings.TrimSpace(c.r.PostForm.Get("name"))
	if _, err := c.client.CreateNamespace(c.ctx(), name); err != nil {
		return err
	}
	return redirect(c, "/ns/"+url.PathEscape(name)+"/", "Namespace "+name+" created.")
}

// nsView is what every page of a namespace shows above its content.
type nsView struct {
	NS  string
	Tab string // files, revisions, git or catalog
}

// crumb is one step of a directory path.
type crumb struct{ Name, Path string }

func crumbs(p string) []crumb {
	var out []crumb
	if p == "" {
		return out
	}
	parts := strings.Split(p, "/")
	for i := range parts {
		out = append(out, crumb{Name: parts[i], Path: strings.Join(parts[:i+1], "/")})
	}
	return out
}

// revisionParam reads ?revision=N; 0 for the newest.
func revisionParam(c *call) (int64, error) {
	v := c.r.URL.Query().Get("revision")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 {
		return 0, ferry.Errorf(ferry.EINVALID, "Revision %q is not a positive number.", v)
	}
	return n, nil
}

func (s *Server) treePage(c *call) error {
	ns, dir := c.r.PathValue("ns"), strings.Trim(c.r.PathValue("dir"), "/")
	rev, err := revisionParam(c)
	if err != nil {
		return err
	}
	n, err := c.client.FindNamespace(c.ctx(), ns)
	if err != nil {
		return err
	}
	var entries []*ferry.TreeEntry
	var next string
	if n.Head > 0 {
		entries, next, err = c.client.ListTree(c.ctx(), ns, ferry.TreeQuery{Dir: dir, Revision: rev, Page: ferry.Page{Limit: pageSize, Cursor: c.r.URL.Query().Get("cursor")}})
		if err != nil && !(dir == "" && ferry.ErrorCode(err) == ferry.ENOTFOUND) {
			return err
		}
	}
	return s.render(c, http.StatusOK, "ns_tree", ns+"/"+dir, map[string]any{
		"NS": nsView{NS: ns, Tab: "files"}, "Namespace": n, "Dir": dir, "Crumbs": crumbs(dir), "Entries": entries, "Next": next, "Revision": rev,
	})
}

// maxShown is the largest file the file page shows in full.
const maxShown = 1 << 20

func (s *Server) filePage(c *call) error {
	ns, p := c.r.PathValue("ns"), c.r.PathValue("path")
	rev, err := revisionParam(c)
	if err != nil {
		return err
	}
	f, err := c.client.GetFile(c.ctx(), ns, p, rev)
	if err != nil {
		return err
	}
	text, lines := isText(f.Content), []string(nil)
	if text && len(f.Content) <= maxShown {
		lines = strings.Split(strings.TrimSuffix(string(f.Content), "\n"), "\n")
	}
	dir := ""
	if i := strings.LastIndex(p, "/"); i >= 0 {
		dir = p[:i]
	}
	return s.render(c, http.StatusOK, "ns_file", p, map[string]any{
		"NS": nsView{NS: ns, Tab: "files"}, "File": f, "Lines": lines, "Text": text, "Dir": dir, "Crumbs": crumbs(dir), "Revision": rev,
	})
}

// isText reports whether b looks like text: valid UTF-8 without NUL bytes.
func isText(b []byte) bool {
	if len(b) > 8000 {
		b = b[:8000]
		for !utf8.Valid(b) && len(b) > 7990 {
			b = b[:len(b)-1]
		}
	}
	return utf8.Valid(b) && !strings.ContainsRune(string(b), 0)
}

func (s *Server) revisionsPage(c *call) error {
	ns := c.r.PathValue("ns")
	items, next, err := c.client.ListRevisions(c.ctx(), ns, ferry.Page{Limit: revisionsPageSize, Cursor: c.r.URL.Query().Get("cursor")})
	if err != nil {
		return err
	}
	rows := make([]revisionRow, len(items))
	for i, rev := range items {
		rows[i].Revision = rev
		changes, _, err := c.client.ListRevisionChanges(c.ctx(), ns, rev.Number, ferry.Page{Limit: pathsShown})
		if err != nil {
			return err
		}
		rows[i].Changes = changes
		rows[i].More = rev.Added + rev.Modified + rev.Deleted - len(changes)
	}
	return s.render(c, http.StatusOK, "ns_revisions", ns+" revisions", map[string]any{"NS": nsView{NS: ns, Tab: "revisions"}, "Revisions": rows, "Next": next})
}

// revisionsPageSize is how many revisions a page lists, and pathsShown how many of the
// paths each changed it names.
const (
	revisionsPageSize = 50
	pathsShown        = 3
)

// revisionRow is a revision in the list, with the first paths it changed.
type revisionRow struct {
	*ferry.Revision
	Changes []*ferry.RevisionChange
	More    int // how many other paths it changed
}

// fileDiff is one changed path of a revision, with its line diff when both sides are text.
type fileDiff struct {
	Change *ferry.RevisionChange
	Lines  []diffLine
	Note   string // why no diff is shown
}

// maxDiffs is how many changed files a revision page diffs; the rest are listed.
const maxDiffs = 50

func (s *Server) revisionPage(c *call) error {
	ns := c.r.PathValue("ns")
	id, err := strconv.ParseInt(c.r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return ferry.Errorf(ferry.EINVALID, "Revision %q is not a positive number.", c.r.PathValue("id"))
	}
	rev, err := c.client.FindRevision(c.ctx(), ns, id)
	if err != nil {
		return err
	}
	diffs := make([]fileDiff, 0, len(rev.Changes))
	for i, ch := range rev.Changes {
		d := fileDiff{Change: ch}
		if i >= maxDiffs {
			d.Note = "not diffed: the page diffs the first 50 files"
		} else {
			d.Lines, d.Note = s.diffFile(c, ns, rev, ch)
		}
		diffs = append(diffs, d)
	}
	return s.render(c, http.StatusOK, "ns_revision", ns+" revision "+strconv.FormatInt(id, 10), map[string]any{
		"NS": nsView{NS: ns, Tab: "revisions"}, "Revision": rev, "Diffs": diffs,
	})
}

// diffFile returns the line diff of ch against the revision's parent, or why there is none.
func (s *Server) diffFile(c *call, ns string, rev *fhttp.RevisionDetail, ch *ferry.RevisionChange) ([]diffLine, string) {
	read := func(r int64) ([]byte, bool) {
		if r == 0 {
			return nil, true
		}
		f, err := c.client.GetFile(c.ctx(), ns, ch.Path, r)
		if err != nil {
			return nil, ferry.ErrorCode(err) == ferry.ENOTFOUND
		}
		return f.Content, true
	}
	var before, after []byte
	ok := true
	if ch.Action != ferry.ActionAdded {
		before, ok = read(rev.Parent)
	}
	if ok && ch.Action != ferry.ActionDeleted {
		after, ok = read(rev.Number)
	}
	switch {
	case !ok:
		return nil, "could not be read"
	case !isText(before) || !isText(after):
		return nil, "binary"
	case len(before) > maxShown || len(after) > maxShown:
		return nil, "too large to diff"
	}
	lines, ok := diffLines(splitLines(before), splitLines(after))
	if !ok {
		return nil, "too many changed lines to diff here"
	}
	return lines, ""
}

func (s *Server) restoreRevision(c *call) error {
	ns := c.r.PathValue("ns")
	id, err := strconv.ParseInt(c.r.PathValue("id"), 10, 64)
	if err != nil {
		return ferry.Errorf(ferry.EINVALID, "Revision %q is not a number.", c.r.PathValue("id"))
	}
	rev, created, err := c.client.RestoreRevision(c.ctx(), ns, id, c.r.PostForm.Get("message"))
	if err != nil {
		return err
	}
	msg := "The namespace already equals revision " + strconv.FormatInt(id, 10) + "."
	if created {
		msg = "Restored revision " + strconv.FormatInt(id, 10) + " as revision " + strconv.FormatInt(rev.Number, 10) + "."
	}
	return redirect(c, "/ns/"+url.PathEscape(ns)+"/revisions", msg)
}
