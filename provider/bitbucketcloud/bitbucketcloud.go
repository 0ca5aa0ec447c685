// Package bitbucketcloud is Ferry's client for the Bitbucket Cloud REST API (2.0), with an
// app password or API token (basic authentication) or an access token (bearer).
package bitbucketcloud

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/provider"
)

// PageSize is how many repositories Ferry asks for per page (Bitbucket's maximum).
const PageSize = 100

// RequiredScopes are the scopes Ferry needs: read repositories, create them and their
// deploy keys (repository:admin), and manage webhooks.
var RequiredScopes = []string{"repository", "repository:admin", "webhook"}

var impliedScopes = map[string][]string{"repository:write": {"repository"}}

// Client calls Bitbucket Cloud's API for one workspace.
type Client struct {
	api        *provider.API
	workspace  string
	projectKey string // "" for no project
}

// New returns a client for a basic credential (user name and app password), a token
// credential with a user name (an API token, sent as basic authentication) or without
// one (an access token, sent as a bearer token).
func New(cfg *provider.Config) (ferry.ProviderClient, error) {
	c := &Client{api: cfg.API, workspace: cfg.Provider.Owner, projectKey: cfg.Provider.ProjectKey}
	cfg.API.Header.Set("Accept", "application/json")
	switch cred := cfg.Credential; {
	case cred.Kind == ferry.CredentialBasic:
		cfg.SetBasicAuth(cred.Username, cfg.Secret.Password)
	case cred.Kind == ferry.CredentialToken && cred.Username != "":
		cfg.SetBasicAuth(cred.Username, cfg.Secret.Token)
	case cred.Kind == ferry.CredentialToken:
		cfg.SetHeaderAuth("Authorization", "Bearer "+cfg.Secret.Token)
	default:
		return nil, cfg.Unsupported(ferry.CredentialBasic, ferry.CredentialToken)
	}
	return c, nil
}

// Validate checks the credential (GET /2.0/user) and, where Bitbucket lists them
// (X-OAuth-Scopes), its scopes.
func (c *Client) Validate(ctx context.Context) (ferry.ProviderStatus, error) {
	var u struct {
		Username    string `json:"username"`
		Nickname    string `json:"nickname"`
		DisplayName string `json:"display_name"`
	}
	resp, err := c.api.JSON(ctx, &provider.Request{Method: http.MethodGet, Path: "/2.0/user"}, &u)
	if err != nil {
		if provider.StatusOf(err) == http.StatusUnauthorized {
			return ferry.ProviderStatus{Message: ferry.ErrorMessage(err)}, nil
		}
		return ferry.ProviderStatus{}, err
	}
	login := firstOf(u.Username, u.Nickname, u.DisplayName)
	st := ferry.ProviderStatus{Login: login}
	if len(resp.Header.Values("X-OAuth-Scopes")) == 0 {
		st.Valid = true
		st.Message = "Authenticated as " + login + "; Bitbucket does not list this credential's scopes, so Ferry checks them when it first uses them (it needs " + strings.Join(RequiredScopes, ", ") + ")."
		return st, nil
	}
	st.Missing = provider.Missing(RequiredScopes, provider.SplitScopes(resp.Header.Get("X-OAuth-Scopes")), impliedScopes)
	st.Valid = len(st.Missing) == 0
	if st.Valid {
		st.Message = "Authenticated as " + login + "; the credential has the scopes Ferry needs (" + strings.Join(RequiredScopes, ", ") + ")."
	} else {
		st.Message = "The credential of " + login + " lacks the scopes " + strings.Join(st.Missing, ", ") + "; create an app password or token with them and validate again."
	}
	return st, nil
}

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// link is one of Bitbucket's {"href", "name"} links.
type link struct {
	Href string `json:"href"`
	Name string `json:"name"`
}

// repository is the part of Bitbucket's repository object Ferry reads.
type repository struct {
	Slug      string `json:"slug"`
	FullName  string `json:"full_name"`
	IsPrivate bool   `json:"is_private"`
	Links     struct {
		Clone []link `json:"clone"`
		HTML  link   `json:"html"`
	} `json:"links"`
	MainBranch *struct {
		Name string `json:"name"`
	} `json:"mainbranch"`
}

func (r *repository) repository() ferry.Repository {
	repo := ferry.Repository{Name: r.Slug, FullName: r.FullName, Private: r.IsPrivate, WebURL: r.Links.HTML.Href}
	for _, l := range r.Links.Clone {
		switch l.Name {
		case "https":
			repo.CloneHTTPS = withoutUser(l.Href)
		case "ssh":
			repo.CloneSSH = l.Href
		}
	}
	if r.MainBranch != nil {
		repo.DefaultBranch = r.MainBranch.Name
	}
	return repo
}

// withoutUser drops the user name Bitbucket puts in https clone URLs: the credential
// supplies it.
func withoutUser(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	u.User = nil
	return u.String()
}

// ListRepositories lists the workspace's repositories (GET /2.0/repositories/{workspace}),
// of the project only when the provider names one, following each page's "next".
func (c *Client) ListRepositories(ctx context.Context, page, etag string) (*ferry.RepositoryPage, error) {
	req := &provider.Request{Method: http.MethodGet, URL: page, ETag: etag}
	if page == "" {
		req.Path = "/2.0/repositories/" + provider.Seg(c.workspace)
		req.Query = url.Values{"pagelen": {strconv.Itoa(PageSize)}, "sort": {"slug"}}
		if c.projectKey != "" {
			req.Query.Set("q", `project.key="`+c.projectKey+`"`)
		}
	}
	var body struct {
		Values []repository `json:"values"`
		Next   string       `json:"next"`
	}
	resp, err := c.api.JSON(ctx, req, &body)
	if err != nil {
		return nil, err
	}
	out := &ferry.RepositoryPage{ETag: resp.Header.Get("ETag"), NotModified: resp.NotModified, Next: body.Next}
	for i := range body.Values {
		out.Repositories = append(out.Repositories, body.Values[i].repository())
	}
	return out, nil
}

// repoPath returns the API path of repository slug, followed by more.
func (c *Client) repoPath(slug string, more ...string) string {
	p := "/2.0/repositories/" + provider.Seg(c.workspace) + "/" + provider.Seg(slug)
	for _, m := range more {
		p += "/" + provider.Seg(m)
	}
	return p
}

// CreateRepository creates a repository in the workspace, in the provider's project if it
// names one (POST /2.0/repositories/{workspace}/{slug}).
func (c *Client) CreateRepository(ctx context.Context, name string, private bool) (*ferry.Repository, error) {
	body := map[string]any{"scm": "git", "name": name, "is_private": private}
	if c.projectKey != "" {
		body["project"] = map[string]any{"key": c.projectKey}
	}
	var r repository
	if _, err := c.api.JSON(ctx, &provider.Request{Method: http.MethodPost, Path: c.repoPath(strings.ToLower(name)), Body: body}, &r); err != nil {
		return nil, err
	}
	repo := r.repository()
	return &repo, nil
}

// CreateWebhook creates a repository webhook (POST …/hooks) that signs deliveries with
// secret (X-Hub-Signature) and returns its uuid.
func (c *Client) CreateWebhook(ctx context.Context, repo, hookURL, secret string, events []string) (string, error) {
	names, err := provider.MapEvents(c.api, events, map[string][]string{
		ferry.WebhookEventPush:        {"repo:push"},
		ferry.WebhookEventPullRequest: {"pullrequest:created", "pullrequest:updated"},
	})
	if err != nil {
		return "", err
	}
	c.api.AddSecret(secret)
	body := map[string]any{"description": "Ferry", "url": hookURL, "active": true, "events": names, "secret": secret}
	var h struct {
		UUID string `json:"uuid"`
	}
	if _, err := c.api.JSON(ctx, &provider.Request{Method: http.MethodPost, Path: c.repoPath(repo, "hooks"), Body: body}, &h); err != nil {
		return "", err
	}
	if h.UUID == "" {
		return "", c.api.Errorf(ferry.EUNAVAILABLE, "the created webhook has no uuid.")
	}
	return h.UUID, nil
}

// DeleteWebhook deletes a repository webhook (DELETE …/hooks/{uid}).
func (c *Client) DeleteWebhook(ctx context.Context, repo, hookID string) error {
	_, err := c.api.Do(ctx, &provider.Request{Method: http.MethodDelete, Path: c.repoPath(repo, "hooks", hookID)})
	return provider.IgnoreNotFound(err)
}

// AddDeployKey adds a deploy key (POST …/deploy-keys). Bitbucket Cloud's deploy keys are
// read-only: a key that pushes returns EINVALID.
func (c *Client) AddDeployKey(ctx context.Context, repo, title, publicKey string, readOnly bool) (string, error) {
	if !readOnly {
		return "", c.api.Errorf(ferry.EINVALID, "deploy keys are read-only on Bitbucket Cloud; to push, add the key to a user's SSH keys instead.")
	}
	var k struct {
		ID int64 `json:"id"`
	}
	body := map[string]any{"key": publicKey, "label": title}
	if _, err := c.api.JSON(ctx, &provider.Request{Method: http.MethodPost, Path: c.repoPath(repo, "deploy-keys"), Body: body}, &k); err != nil {
		return "", err
	}
	return strconv.FormatInt(k.ID, 10), nil
}

// RemoveDeployKey deletes a deploy key (DELETE …/deploy-keys/{key_id}).
func (c *Client) RemoveDeployKey(ctx context.Context, repo, keyID string) error {
	_, err := c.api.Do(ctx, &provider.Request{Method: http.MethodDelete, Path: c.repoPath(repo, "deploy-keys", keyID)})
	return provider.IgnoreNotFound(err)
}
