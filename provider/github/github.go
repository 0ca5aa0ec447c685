// Package github is Ferry's client for the GitHub REST API (github.com and GitHub
// Enterprise Server), with personal access tokens or a GitHub App's installation tokens.
package github

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/provider"
)

// APIVersion is the REST API version Ferry asks for.
const APIVersion = "2022-11-28"

// PageSize is how many repositories Ferry asks for per page (GitHub's maximum).
const PageSize = 100

// RequiredScopes are the classic token scopes Ferry needs: repositories (list, create,
// deploy keys) and their webhooks.
var RequiredScopes = []string{"repo", "admin:repo_hook"}

// impliedScopes are the scopes a classic scope includes.
var impliedScopes = map[string][]string{
	"repo":            {"repo:status", "repo_deployment", "public_repo", "repo:invite", "security_events"},
	"admin:repo_hook": {"write:repo_hook", "read:repo_hook"},
	"write:repo_hook": {"read:repo_hook"},
}

// events maps Ferry's webhook events to GitHub's.
var events = map[string][]string{
	ferry.WebhookEventPush:        {"push"},
	ferry.WebhookEventPullRequest: {"pull_request"},
}

// Client calls GitHub's API for one organisation.
type Client struct {
	api   *provider.API
	owner string
	app   *app // nil unless the credential is a GitHub App
}

// New returns a client for cfg's provider: a token credential is sent as a bearer token,
// a basic one as basic authentication, and a github-app one is exchanged for installation
// tokens.
func New(cfg *provider.Config) (ferry.ProviderClient, error) {
	c := &Client{api: cfg.API, owner: cfg.Provider.Owner}
	cfg.API.Header.Set("Accept", "application/vnd.github+json")
	cfg.API.Header.Set("X-GitHub-Api-Version", APIVersion)
	switch cfg.Credential.Kind {
	case ferry.CredentialToken:
		cfg.SetHeaderAuth("Authorization", "Bearer "+cfg.Secret.Token)
	case ferry.CredentialBasic:
		cfg.SetBasicAuth(cfg.Credential.Username, cfg.Secret.Password)
	case ferry.CredentialGitHubApp:
		a, err := newApp(cfg)
		if err != nil {
			return nil, err
		}
		c.app = a
		cfg.API.Auth = a.auth
	default:
		return nil, cfg.Unsupported(ferry.CredentialToken, ferry.CredentialBasic, ferry.CredentialGitHubApp)
	}
	return c, nil
}

// user is the part of GET /user Ferry reads.
type user struct {
	Login string `json:"login"`
}

// Validate checks a token's scopes (X-OAuth-Scopes) or an App installation's permissions.
func (c *Client) Validate(ctx context.Context) (ferry.ProviderStatus, error) {
	if c.app != nil {
		return c.app.validate(ctx)
	}
	var u user
	resp, err := c.api.JSON(ctx, &provider.Request{Method: http.MethodGet, Path: "/user"}, &u)
	if err != nil {
		return refused(err)
	}
	st := ferry.ProviderStatus{Login: u.Login}
	if len(resp.Header.Values("X-OAuth-Scopes")) == 0 {
		st.Valid = true
		st.Message = "Authenticated as " + u.Login + " with a fine-grained token, whose permissions GitHub does not list; Ferry needs Administration, Contents and Webhooks (read and write) on the organization's repositories."
		return st, nil
	}
	granted := provider.SplitScopes(resp.Header.Get("X-OAuth-Scopes"))
	st.Missing = provider.Missing(RequiredScopes, granted, impliedScopes)
	st.Valid = len(st.Missing) == 0
	if st.Valid {
		st.Message = "Authenticated as " + u.Login + "; the token has the scopes Ferry needs (" + strings.Join(RequiredScopes, ", ") + ")."
	} else {
		st.Message = "The token of " + u.Login + " lacks the scopes " + strings.Join(st.Missing, ", ") + "; add them to the token on GitHub and validate again."
	}
	return st, nil
}

// refused turns a refused credential into an invalid status; other errors stay errors.
func refused(err error) (ferry.ProviderStatus, error) {
	if provider.StatusOf(err) == http.StatusUnauthorized {
		return ferry.ProviderStatus{Message: ferry.ErrorMessage(err)}, nil
	}
	return ferry.ProviderStatus{}, err
}

// repository is the part of GitHub's repository object Ferry reads.
type repository struct {
	Name          string `json:"name"`
	FullName      string `json:"full_name"`
	CloneURL      string `json:"clone_url"`
	SSHURL        string `json:"ssh_url"`
	DefaultBranch string `json:"default_branch"`
	Private       bool   `json:"private"`
	HTMLURL       string `json:"html_url"`
	Owner         struct {
		Login string `json:"login"`
	} `json:"owner"`
}

func (r *repository) repository() ferry.Repository {
	return ferry.Repository{Name: r.Name, FullName: r.FullName, CloneHTTPS: r.CloneURL, CloneSSH: r.SSHURL,
		DefaultBranch: r.DefaultBranch, Private: r.Private, WebURL: r.HTMLURL}
}

// ListRepositories lists the organization's repositories (GET /orgs/{org}/repos) or, for
// an App, the installation's (GET /installation/repositories) of the owner, following
// the Link header's next page.
func (c *Client) ListRepositories(ctx context.Context, page, etag string) (*ferry.RepositoryPage, error) {
	req := &provider.Request{Method: http.MethodGet, URL: page, ETag: etag}
	if page == "" {
		req.Query = url.Values{"per_page": {strconv.Itoa(PageSize)}}
		if c.app != nil {
			req.Path = "/installation/repositories"
		} else {
			req.Path = "/orgs/" + provider.Seg(c.owner) + "/repos"
			req.Query.Set("type", "all")
		}
	}
	var repos []repository
	var installation struct {
		Repositories []repository `json:"repositories"`
	}
	var out any = &repos
	if c.app != nil {
		out = &installation
	}
	resp, err := c.api.JSON(ctx, req, out)
	if err != nil {
		return nil, err
	}
	result := &ferry.RepositoryPage{ETag: resp.Header.Get("ETag"), NotModified: resp.NotModified, Next: provider.NextLink(resp.Header)}
	if c.app != nil {
		repos = installation.Repositories
	}
	for i := range repos {
		if c.app != nil && !strings.EqualFold(repos[i].Owner.Login, c.owner) {
			continue // an installation on several accounts: only the owner's
		}
		result.Repositories = append(result.Repositories, repos[i].repository())
	}
	return result, nil
}

// CreateRepository creates a repository in the organization (POST /orgs/{org}/repos).
func (c *Client) CreateRepository(ctx context.Context, name string, private bool) (*ferry.Repository, error) {
	var r repository
	body := map[string]any{"name": name, "private": private}
	if _, err := c.api.JSON(ctx, &provider.Request{Method: http.MethodPost, Path: "/orgs/" + provider.Seg(c.owner) + "/repos", Body: body}, &r); err != nil {
		return nil, err
	}
	repo := r.repository()
	return &repo, nil
}

// repoPath returns the API path of repo, followed by more.
func (c *Client) repoPath(repo string, more ...string) string {
	p := "/repos/" + provider.Seg(c.owner) + "/" + provider.Seg(repo)
	for _, m := range more {
		p += "/" + provider.Seg(m)
	}
	return p
}

// id is the part of a created hook or key Ferry reads.
type id struct {
	ID int64 `json:"id"`
}

// CreateWebhook creates a repository webhook (POST /repos/{owner}/{repo}/hooks) that
// signs its deliveries with secret (X-Hub-Signature-256).
func (c *Client) CreateWebhook(ctx context.Context, repo, hookURL, secret string, evs []string) (string, error) {
	names, err := provider.MapEvents(c.api, evs, events)
	if err != nil {
		return "", err
	}
	c.api.AddSecret(secret)
	body := map[string]any{"name": "web", "active": true, "events": names,
		"config": map[string]any{"url": hookURL, "content_type": "json", "insecure_ssl": "0", "secret": secret}}
	var h id
	if _, err := c.api.JSON(ctx, &provider.Request{Method: http.MethodPost, Path: c.repoPath(repo, "hooks"), Body: body}, &h); err != nil {
		return "", err
	}
	return strconv.FormatInt(h.ID, 10), nil
}

// DeleteWebhook deletes a repository webhook (DELETE /repos/{owner}/{repo}/hooks/{id}).
func (c *Client) DeleteWebhook(ctx context.Context, repo, hookID string) error {
	_, err := c.api.Do(ctx, &provider.Request{Method: http.MethodDelete, Path: c.repoPath(repo, "hooks", hookID)})
	return provider.IgnoreNotFound(err)
}

// AddDeployKey adds a deploy key (POST /repos/{owner}/{repo}/keys).
func (c *Client) AddDeployKey(ctx context.Context, repo, title, publicKey string, readOnly bool) (string, error) {
	body := map[string]any{"title": title, "key": publicKey, "read_only": readOnly}
	var k id
	if _, err := c.api.JSON(ctx, &provider.Request{Method: http.MethodPost, Path: c.repoPath(repo, "keys"), Body: body}, &k); err != nil {
		return "", err
	}
	return strconv.FormatInt(k.ID, 10), nil
}

// RemoveDeployKey deletes a deploy key (DELETE /repos/{owner}/{repo}/keys/{id}).
func (c *Client) RemoveDeployKey(ctx context.Context, repo, keyID string) error {
	_, err := c.api.Do(ctx, &provider.Request{Method: http.MethodDelete, Path: c.repoPath(repo, "keys", keyID)})
	return provider.IgnoreNotFound(err)
}
