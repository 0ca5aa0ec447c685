// Package gitlab is Ferry's client for the GitLab REST API (v4), gitlab.com or
// self-managed, with a personal, group or project access token.
package gitlab

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/provider"
)

// PageSize is how many projects Ferry asks for per page (GitLab's maximum).
const PageSize = 100

// RequiredScopes are the token scopes Ferry needs: "api" is the one that covers projects,
// their webhooks and deploy keys.
var RequiredScopes = []string{"api"}

// Client calls GitLab's API for one group.
type Client struct {
	api   *provider.API
	owner string     // the group's path or numeric id
	ns    *namespace // the owner's namespace, once looked up
}

// New returns a client that sends a token credential as PRIVATE-TOKEN.
func New(cfg *provider.Config) (ferry.ProviderClient, error) {
	if cfg.Credential.Kind != ferry.CredentialToken {
		return nil, cfg.Unsupported(ferry.CredentialToken)
	}
	cfg.SetHeaderAuth("PRIVATE-TOKEN", cfg.Secret.Token)
	return &Client{api: cfg.API, owner: cfg.Provider.Owner}, nil
}

// Validate checks the token (GET /user) and its scopes (GET /personal_access_tokens/self).
func (c *Client) Validate(ctx context.Context) (ferry.ProviderStatus, error) {
	var u struct {
		Username string `json:"username"`
	}
	if _, err := c.api.JSON(ctx, &provider.Request{Method: http.MethodGet, Path: "/api/v4/user"}, &u); err != nil {
		if provider.StatusOf(err) == http.StatusUnauthorized {
			return ferry.ProviderStatus{Message: ferry.ErrorMessage(err)}, nil
		}
		return ferry.ProviderStatus{}, err
	}
	st := ferry.ProviderStatus{Login: u.Username}
	var self struct {
		Scopes []string `json:"scopes"`
	}
	_, err := c.api.JSON(ctx, &provider.Request{Method: http.MethodGet, Path: "/api/v4/personal_access_tokens/self"}, &self)
	switch s := provider.StatusOf(err); {
	case s == http.StatusNotFound || s == http.StatusForbidden || s == http.StatusUnauthorized:
		st.Valid = true
		st.Message = "Authenticated as " + u.Username + "; this GitLab does not show the token's scopes, so Ferry checks them when it first uses them (it needs api)."
		return st, nil
	case err != nil:
		return ferry.ProviderStatus{}, err
	}
	st.Missing = provider.Missing(RequiredScopes, self.Scopes, nil)
	st.Valid = len(st.Missing) == 0
	if st.Valid {
		st.Message = "Authenticated as " + u.Username + "; the token has the scope Ferry needs (api)."
	} else {
		st.Message = "The token of " + u.Username + " lacks the scope " + strings.Join(st.Missing, ", ") + "; create a token with it and validate again."
	}
	return st, nil
}

// project is the part of GitLab's project object Ferry reads.
type project struct {
	Path              string `json:"path"`
	PathWithNamespace string `json:"path_with_namespace"`
	HTTPURLToRepo     string `json:"http_url_to_repo"`
	SSHURLToRepo      string `json:"ssh_url_to_repo"`
	DefaultBranch     string `json:"default_branch"`
	Visibility        string `json:"visibility"`
	WebURL            string `json:"web_url"`
}

func (p *project) repository() ferry.Repository {
	return ferry.Repository{Name: p.Path, FullName: p.PathWithNamespace, CloneHTTPS: p.HTTPURLToRepo, CloneSSH: p.SSHURLToRepo,
		DefaultBranch: p.DefaultBranch, Private: p.Visibility != "public", WebURL: p.WebURL}
}

// ListRepositories lists the group's projects, subgroups included
// (GET /groups/:id/projects), page by page as X-Next-Page says.
func (c *Client) ListRepositories(ctx context.Context, page, etag string) (*ferry.RepositoryPage, error) {
	q := url.Values{"include_subgroups": {"true"}, "per_page": {strconv.Itoa(PageSize)}, "order_by": {"path"}, "sort": {"asc"}}
	if page != "" {
		if _, err := strconv.Atoi(page); err != nil {
			return nil, c.api.Errorf(ferry.EINVALID, "page %q is not a page number.", page)
		}
		q.Set("page", page)
	}
	var projects []project
	resp, err := c.api.JSON(ctx, &provider.Request{Method: http.MethodGet, Path: "/api/v4/groups/" + provider.Seg(c.owner) + "/projects", Query: q, ETag: etag}, &projects)
	if err != nil {
		return nil, err
	}
	out := &ferry.RepositoryPage{ETag: resp.Header.Get("ETag"), NotModified: resp.NotModified, Next: strings.TrimSpace(resp.Header.Get("X-Next-Page"))}
	for i := range projects {
		out.Repositories = append(out.Repositories, projects[i].repository())
	}
	return out, nil
}

// namespace is the part of GET /namespaces/:id Ferry reads.
type namespace struct {
	ID       int64  `json:"id"`
	FullPath string `json:"full_path"`
}

// namespace looks the owner up once (GET /namespaces/:id): its id for new projects, its
// full path when the owner is given by id.
func (c *Client) namespace(ctx context.Context) (*namespace, error) {
	if c.ns != nil {
		return c.ns, nil
	}
	var ns namespace
	if _, err := c.api.JSON(ctx, &provider.Request{Method: http.MethodGet, Path: "/api/v4/namespaces/" + provider.Seg(c.owner)}, &ns); err != nil {
		return nil, err
	}
	c.ns = &ns
	return c.ns, nil
}

// CreateRepository creates a project in the group (POST /projects).
func (c *Client) CreateRepository(ctx context.Context, name string, private bool) (*ferry.Repository, error) {
	ns, err := c.namespace(ctx)
	if err != nil {
		return nil, err
	}
	visibility := "public"
	if private {
		visibility = "private"
	}
	body := map[string]any{"name": name, "path": name, "namespace_id": ns.ID, "visibility": visibility}
	var p project
	if _, err := c.api.JSON(ctx, &provider.Request{Method: http.MethodPost, Path: "/api/v4/projects", Body: body}, &p); err != nil {
		return nil, err
	}
	repo := p.repository()
	return &repo, nil
}

// projectPath returns the API path of project repo of the group, followed by more.
func (c *Client) projectPath(ctx context.Context, repo string, more ...string) (string, error) {
	group := c.owner
	if _, err := strconv.ParseInt(group, 10, 64); err == nil {
		ns, err := c.namespace(ctx)
		if err != nil {
			return "", err
		}
		group = ns.FullPath
	}
	p := "/api/v4/projects/" + provider.Seg(group+"/"+repo)
	for _, m := range more {
		p += "/" + provider.Seg(m)
	}
	return p, nil
}

// id is the part of a created hook or key Ferry reads.
type id struct {
	ID int64 `json:"id"`
}

// CreateWebhook creates a project webhook (POST /projects/:id/hooks) whose deliveries
// carry secret as X-Gitlab-Token.
func (c *Client) CreateWebhook(ctx context.Context, repo, hookURL, secret string, events []string) (string, error) {
	names, err := provider.MapEvents(c.api, events, map[string][]string{
		ferry.WebhookEventPush:        {"push_events", "tag_push_events"},
		ferry.WebhookEventPullRequest: {"merge_requests_events"},
	})
	if err != nil {
		return "", err
	}
	path, err := c.projectPath(ctx, repo, "hooks")
	if err != nil {
		return "", err
	}
	c.api.AddSecret(secret)
	body := map[string]any{"url": hookURL, "token": secret, "enable_ssl_verification": true,
		"push_events": false, "tag_push_events": false, "merge_requests_events": false}
	for _, n := range names {
		body[n] = true
	}
	var h id
	if _, err := c.api.JSON(ctx, &provider.Request{Method: http.MethodPost, Path: path, Body: body}, &h); err != nil {
		return "", err
	}
	return strconv.FormatInt(h.ID, 10), nil
}

// DeleteWebhook deletes a project webhook (DELETE /projects/:id/hooks/:hook_id).
func (c *Client) DeleteWebhook(ctx context.Context, repo, hookID string) error {
	return c.delete(ctx, repo, "hooks", hookID)
}

// AddDeployKey adds a deploy key (POST /projects/:id/deploy_keys); can_push when not readOnly.
func (c *Client) AddDeployKey(ctx context.Context, repo, title, publicKey string, readOnly bool) (string, error) {
	path, err := c.projectPath(ctx, repo, "deploy_keys")
	if err != nil {
		return "", err
	}
	var k id
	body := map[string]any{"title": title, "key": publicKey, "can_push": !readOnly}
	if _, err := c.api.JSON(ctx, &provider.Request{Method: http.MethodPost, Path: path, Body: body}, &k); err != nil {
		return "", err
	}
	return strconv.FormatInt(k.ID, 10), nil
}

// RemoveDeployKey deletes a deploy key (DELETE /projects/:id/deploy_keys/:key_id).
func (c *Client) RemoveDeployKey(ctx context.Context, repo, keyID string) error {
	return c.delete(ctx, repo, "deploy_keys", keyID)
}

func (c *Client) delete(ctx context.Context, repo, kind, id string) error {
	path, err := c.projectPath(ctx, repo, kind, id)
	if err != nil {
		return err
	}
	_, err = c.api.Do(ctx, &provider.Request{Method: http.MethodDelete, Path: path})
	return provider.IgnoreNotFound(err)
}
