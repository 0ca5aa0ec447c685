// Package gitea is Ferry's client for the Gitea (and Forgejo) REST API (v1), with an
// access token or a user name and password.
package gitea

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/provider"
)

// PageSize is how many repositories Ferry asks for per page (Gitea's default maximum).
const PageSize = 50

// Client calls a Gitea server's API for one organization.
type Client struct {
	api *provider.API
	org string
}

// New returns a client that sends a token credential as "Authorization: token …" and a
// basic one as basic authentication.
func New(cfg *provider.Config) (ferry.ProviderClient, error) {
	c := &Client{api: cfg.API, org: cfg.Provider.Owner}
	cfg.API.Header.Set("Accept", "application/json")
	switch cfg.Credential.Kind {
	case ferry.CredentialToken:
		cfg.SetHeaderAuth("Authorization", "token "+cfg.Secret.Token)
	case ferry.CredentialBasic:
		cfg.SetBasicAuth(cfg.Credential.Username, cfg.Secret.Password)
	default:
		return nil, cfg.Unsupported(ferry.CredentialToken, ferry.CredentialBasic)
	}
	return c, nil
}

// Validate checks the credential (GET /api/v1/user).
func (c *Client) Validate(ctx context.Context) (ferry.ProviderStatus, error) {
	var u struct {
		Login    string `json:"login"`
		Username string `json:"username"`
	}
	if _, err := c.api.JSON(ctx, &provider.Request{Method: http.MethodGet, Path: "/api/v1/user"}, &u); err != nil {
		if provider.StatusOf(err) == http.StatusUnauthorized {
			return ferry.ProviderStatus{Message: ferry.ErrorMessage(err)}, nil
		}
		return ferry.ProviderStatus{}, err
	}
	login := u.Login
	if login == "" {
		login = u.Username
	}
	return ferry.ProviderStatus{Valid: true, Login: login,
		Message: "Authenticated as " + login + "; Gitea does not list a token's scopes, so Ferry checks them when it first uses them (it needs write:repository and write:organization)."}, nil
}

// repository is the part of Gitea's repository object Ferry reads.
type repository struct {
	Name          string `json:"name"`
	FullName      string `json:"full_name"`
	CloneURL      string `json:"clone_url"`
	SSHURL        string `json:"ssh_url"`
	DefaultBranch string `json:"default_branch"`
	Private       bool   `json:"private"`
	HTMLURL       string `json:"html_url"`
}

func (r *repository) repository() ferry.Repository {
	return ferry.Repository{Name: r.Name, FullName: r.FullName, CloneHTTPS: r.CloneURL, CloneSSH: r.SSHURL,
		DefaultBranch: r.DefaultBranch, Private: r.Private, WebURL: r.HTMLURL}
}

// ListRepositories lists the organization's repositories (GET /api/v1/orgs/{org}/repos),
// following the Link header's next page.
func (c *Client) ListRepositories(ctx context.Context, page, etag string) (*ferry.RepositoryPage, error) {
	req := &provider.Request{Method: http.MethodGet, URL: page, ETag: etag}
	if page == "" {
		req.Path = "/api/v1/orgs/" + provider.Seg(c.org) + "/repos"
		req.Query = url.Values{"limit": {strconv.Itoa(PageSize)}}
	}
	var repos []repository
	resp, err := c.api.JSON(ctx, req, &repos)
	if err != nil {
		return nil, err
	}
	out := &ferry.RepositoryPage{ETag: resp.Header.Get("ETag"), NotModified: resp.NotModified, Next: provider.NextLink(resp.Header)}
	for i := range repos {
		out.Repositories = append(out.Repositories, repos[i].repository())
	}
	return out, nil
}

// CreateRepository creates a repository in the organization (POST /api/v1/orgs/{org}/repos).
func (c *Client) CreateRepository(ctx context.Context, name string, private bool) (*ferry.Repository, error) {
	var r repository
	body := map[string]any{"name": name, "private": private}
	if _, err := c.api.JSON(ctx, &provider.Request{Method: http.MethodPost, Path: "/api/v1/orgs/" + provider.Seg(c.org) + "/repos", Body: body}, &r); err != nil {
		return nil, err
	}
	repo := r.repository()
	return &repo, nil
}

func (c *Client) repoPath(repo string, more ...string) string {
	p := "/api/v1/repos/" + provider.Seg(c.org) + "/" + provider.Seg(repo)
	for _, m := range more {
		p += "/" + provider.Seg(m)
	}
	return p
}

type id struct {
	ID int64 `json:"id"`
}

// CreateWebhook creates a repository webhook of type gitea (POST …/hooks) that signs
// deliveries with secret (X-Gitea-Signature).
func (c *Client) CreateWebhook(ctx context.Context, repo, hookURL, secret string, events []string) (string, error) {
	names, err := provider.MapEvents(c.api, events, map[string][]string{
		ferry.WebhookEventPush:        {"push"},
		ferry.WebhookEventPullRequest: {"pull_request"},
	})
	if err != nil {
		return "", err
	}
	c.api.AddSecret(secret)
	body := map[string]any{"type": "gitea", "active": true, "events": names,
		"config": map[string]any{"url": hookURL, "content_type": "json", "secret": secret}}
	var h id
	if _, err := c.api.JSON(ctx, &provider.Request{Method: http.MethodPost, Path: c.repoPath(repo, "hooks"), Body: body}, &h); err != nil {
		return "", err
	}
	return strconv.FormatInt(h.ID, 10), nil
}

// DeleteWebhook deletes a repository webhook (DELETE …/hooks/{id}).
func (c *Client) DeleteWebhook(ctx context.Context, repo, hookID string) error {
	_, err := c.api.Do(ctx, &provider.Request{Method: http.MethodDelete, Path: c.repoPath(repo, "hooks", hookID)})
	return provider.IgnoreNotFound(err)
}

// AddDeployKey adds a deploy key (POST …/keys).
func (c *Client) AddDeployKey(ctx context.Context, repo, title, publicKey string, readOnly bool) (string, error) {
	var k id
	body := map[string]any{"title": title, "key": publicKey, "read_only": readOnly}
	if _, err := c.api.JSON(ctx, &provider.Request{Method: http.MethodPost, Path: c.repoPath(repo, "keys"), Body: body}, &k); err != nil {
		return "", err
	}
	return strconv.FormatInt(k.ID, 10), nil
}

// RemoveDeployKey deletes a deploy key (DELETE …/keys/{id}).
func (c *Client) RemoveDeployKey(ctx context.Context, repo, keyID string) error {
	_, err := c.api.Do(ctx, &provider.Request{Method: http.MethodDelete, Path: c.repoPath(repo, "keys", keyID)})
	return provider.IgnoreNotFound(err)
}
