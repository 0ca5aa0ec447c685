package http

import (
	"context"
	"net/http"
	"strconv"

	"github.com/ferrygit/ferry"
)

// ListRevisions returns one page of namespace ns's revisions, newest first, and the cursor
// of the next page.
func (c *Client) ListRevisions(ctx context.Context, ns string, page ferry.Page) ([]*ferry.Revision, string, error) {
	return list[*ferry.Revision](ctx, c, nsPath(ns, "revisions"), pageQuery(page))
}

// FindRevision returns revision id of namespace ns with the first page of the paths it
// changed; RevisionDetail.ChangesNext continues with ListRevisionChanges.
func (c *Client) FindRevision(ctx context.Context, ns string, id int64) (*RevisionDetail, error) {
	var d RevisionDetail
	if _, err := c.call(ctx, request{method: http.MethodGet, path: nsPath(ns, "revisions", itoa(id))}, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// ListRevisionChanges returns one page of the paths revision id changed and the cursor of
// the next page.
func (c *Client) ListRevisionChanges(ctx context.Context, ns string, id int64, page ferry.Page) ([]*ferry.RevisionChange, string, error) {
	return list[*ferry.RevisionChange](ctx, c, nsPath(ns, "revisions", itoa(id), "changes"), pageQuery(page))
}

// RestoreRevision makes a new revision of namespace ns whose files equal those of revision
// id. It returns that revision and true, or the head and false when it already matched.
func (c *Client) RestoreRevision(ctx context.Context, ns string, id int64, message string) (*ferry.Revision, bool, error) {
	body, err := jsonBody(restoreRequest{Message: message})
	if err != nil {
		return nil, false, err
	}
	return c.revision(ctx, request{method: http.MethodPost, path: nsPath(ns, "revisions", itoa(id), "restore"), body: body, json: true})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
