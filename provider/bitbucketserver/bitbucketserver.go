// Package bitbucketserver is Ferry's client for the REST API (1.0) of Bitbucket Server and
// Data Center, with an HTTP access token (bearer) or a user name and password.
package bitbucketserver

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/provider"
)

// PageSize is how many repositories Ferry asks for per page.
const PageSize = 100

// Client calls a Bitbucket Server's API for one project.
type Client struct {
	api     *provider.API
	project string // the project key
	user    string // the credential's user name, "" if none
}

// New returns a client that sends a token credential as a bearer token and a basic one as
// basic authentication.
func New(cfg *provider.Config) (ferry.ProviderClient, error) {
	c := &Client{api: cfg.API, project: cfg.Provider.Owner, user: cfg.Credential.Username}
	cfg.API.Header.Set("Accept", "application/json")
	switch cfg.Credential.Kind {
	case ferry.CredentialToken:
		cfg.SetHeaderAuth("Authorization", "Bearer "+cfg.Secret.Token)
	case ferry.CredentialBasic:
		cfg.SetBasicAuth(cfg.Credential.Username, cfg.Secret.Password)
	default:
		return nil, cfg.Unsupported(ferry.CredentialToken, ferry.CredentialBasic)
	}
	return c, nil
}

func (c *Client) projectPath(more ...string) string {
	p := "/rest/api/1.0/projects/" + provider.Seg(c.project)
	for _, m := range more {
		p += "/" + provider.Seg(m)
	}
	return p
}

// Validate checks the credential's user (GET /users/{slug}, when the credential names
// one) and that the project's repositories are visible to it.
func (c *Client) Validate(ctx context.Context) (ferry.ProviderStatus, error) {
	st := ferry.ProviderStatus{}
	if c.user != "" {
		var u struct {
			Slug        string `json:"slug"`
			DisplayName string `json:"displayName"`
		}
		if _, err := c.api.JSON(ctx, &provider.Request{Method: http.MethodGet, Path: "/rest/api/1.0/users/" + provider.Seg(c.user)}, &u); err != nil {
			return refused(err)
		}
		st.Login = u.Slug
	}
	q := url.Values{"limit": {"1"}}
	if _, err := c.api.Do(ctx, &provider.Request{Method: http.MethodGet, Path: c.projectPath("repos"), Query: q}); err != nil {
		if provider.StatusOf(err) == http.StatusNotFound {
			st.Message = "Project " + c.project + " does not exist or the credential cannot see it."
			return st, nil
		}
		return refused(err)
	}
	st.Valid = true
	st.Message = "The credential can read project " + c.project + "; Bitbucket does not list a token's permissions, so Ferry checks them when it first uses them (webhooks and deploy keys need repository admin)."
	return st, nil
}

func refused(err error) (ferry.ProviderStatus, error) {
	switch provider.StatusOf(err) {
	case http.StatusUnauthorized, http.StatusForbidden:
		return ferry.ProviderStatus{Message: ferry.ErrorMessage(err)}, nil
	}
	return ferry.ProviderStatus{}, err
}

type link struct {
	Href string `json:"href"`
	Name string `json:"name"`
}

// repository is the part of Bitbucket Server's repository object Ferry reads.
type repository struct {
	Slug    string `json:"slug"`
	Public  bool   `json:"public"`
	Project struct {
		Key string `json:"key"`
	} `json:"project"`
	Links struct {
		Clone []link `json:"clone"`
		Self  []link `json:"self"`
	} `json:"links"`
}

func (r *repository) repository() ferry.Repository {
	repo := ferry.Repository{Name: r.Slug, FullName: r.Project.Key + "/" + r.Slug, Private: !r.Public}
	for _, l := range r.Links.Clone {
		switch l.Name {
		case "http", "https":
			repo.CloneHTTPS = withoutUser(l.Href)
		case "ssh":
			repo.CloneSSH = l.Href
		}
	}
	if len(r.Links.Self) > 0 {
		repo.WebURL = r.Links.Self[0].Href
	}
	return repo
}

// withoutUser drops the user name Bitbucket puts in http clone URLs.
func withoutUser(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	u.User = nil
	return u.String()
}

// ListRepositories lists the project's repositories (GET /projects/{key}/repos), page by
// page as isLastPage and nextPageStart say. Its list does not carry default branches.
func (c *Client) ListRepositories(ctx context.Context, page, etag string) (*ferry.RepositoryPage, error) {
	q := url.Values{"limit": {strconv.Itoa(PageSize)}}
	if page != "" {
		if _, err := strconv.Atoi(page); err != nil {
			return nil, c.api.Errorf(ferry.EINVALID, "page %q is not a start offset.", page)
		}
		q.Set("start", page)
	}
	var body struct {
		Values        []repository `json:"values"`
		Start         int          `json:"start"`
		Size          int          `json:"size"`
		IsLastPage    bool         `json:"isLastPage"`
		NextPageStart *int         `json:"nextPageStart"`
	}
	resp, err := c.api.JSON(ctx, &provider.Request{Method: http.MethodGet, Path: c.projectPath("repos"), Query: q, ETag: etag}, &body)
	if err != nil {
		return nil, err
	}
	out := &ferry.RepositoryPage{ETag: resp.Header.Get("ETag"), NotModified: resp.NotModified}
	switch {
	case resp.NotModified || body.IsLastPage:
	case body.NextPageStart != nil:
		out.Next = strconv.Itoa(*body.NextPageStart)
	case body.Size > 0:
		out.Next = strconv.Itoa(body.Start + body.Size)
	}
	for i := range body.Values {
		out.Repositories = append(out.Repositories, body.Values[i].repository())
	}
	return out, nil
}

// CreateRepository creates a repository in the project (POST /projects/{key}/repos).
func (c *Client) CreateRepository(ctx context.Context, name string, private bool) (*ferry.Repository, error) {
	var r repository
	body := map[string]any{"name": name, "scmId": "git", "public": !private}
	if _, err := c.api.JSON(ctx, &provider.Request{Method: http.MethodPost, Path: c.projectPath("repos"), Body: body}, &r); err != nil {
		return nil, err
	}
	repo := r.repository()
	return &repo, nil
}

// CreateWebhook creates a repository webhook (POST …/repos/{slug}/webhooks) that signs
// deliveries with secret (X-Hub-Signature).
func (c *Client) CreateWebhook(ctx context.Context, repo, hookURL, secret string, events []string) (string, error) {
	names, err := provider.MapEvents(c.api, events, map[string][]string{
		ferry.WebhookEventPush:        {"repo:refs_changed"},
		ferry.WebhookEventPullRequest: {"pr:opened", "pr:from_ref_updated"},
	})
	if err != nil {
		return "", err
	}
	c.api.AddSecret(secret)
	body := map[string]any{"name": "Ferry", "url": hookURL, "active": true, "events": names,
		"configuration": map[string]any{"secret": secret}}
	var h struct {
		ID int64 `json:"id"`
	}
	if _, err := c.api.JSON(ctx, &provider.Request{Method: http.MethodPost, Path: c.projectPath("repos", repo, "webhooks"), Body: body}, &h); err != nil {
		return "", err
	}
	return strconv.FormatInt(h.ID, 10), nil
}

// DeleteWebhook deletes a repository webhook (DELETE …/webhooks/{id}).
func (c *Client) DeleteWebhook(ctx context.Context, repo, hookID string) error {
	_, err := c.api.Do(ctx, &provider.Request{Method: http.MethodDelete, Path: c.projectPath("repos", repo, "webhooks", hookID)})
	return provider.IgnoreNotFound(err)
}

// keyPath returns the path of repo's access keys in the SSH keys API, followed by more.
func (c *Client) keyPath(repo string, more ...string) string {
	p := "/rest/keys/1.0/projects/" + provider.Seg(c.project) + "/repos/" + provider.Seg(repo) + "/ssh"
	for _, m := range more {
		p += "/" + provider.Seg(m)
	}
	return p
}

// AddDeployKey adds an access key (POST /rest/keys/1.0/projects/{key}/repos/{slug}/ssh)
// with REPO_READ or REPO_WRITE permission.
func (c *Client) AddDeployKey(ctx context.Context, repo, title, publicKey string, readOnly bool) (string, error) {
	perm := "REPO_WRITE"
	if readOnly {
		perm = "REPO_READ"
	}
	body := map[string]any{"key": map[string]any{"text": publicKey, "label": title}, "permission": perm}
	var k struct {
		Key struct {
			ID int64 `json:"id"`
		} `json:"key"`
	}
	if _, err := c.api.JSON(ctx, &provider.Request{Method: http.MethodPost, Path: c.keyPath(repo), Body: body}, &k); err != nil {
		return "", err
	}
	return strconv.FormatInt(k.Key.ID, 10), nil
}

// RemoveDeployKey removes an access key (DELETE …/ssh/{keyId}).
func (c *Client) RemoveDeployKey(ctx context.Context, repo, keyID string) error {
	_, err := c.api.Do(ctx, &provider.Request{Method: http.MethodDelete, Path: c.keyPath(repo, keyID)})
	return provider.IgnoreNotFound(err)
}
