// Package azuredevops is Ferry's client for the Azure DevOps REST API (Services, or a
// Server collection), with a personal access token sent as basic authentication.
package azuredevops

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/provider"
)

// APIVersion is the REST API version Ferry asks for.
const APIVersion = "7.1"

// ProfileURL is where Azure DevOps Services answers who a token belongs to; an Azure
// DevOps Server answers at its own base URL.
const ProfileURL = "https://app.vssps.visualstudio.com"

// Client calls Azure DevOps' API for one project of one organization.
type Client struct {
	api     *provider.API
	profile *provider.API // the profile service
	org     string
	project string
	info    *project // the project, once looked up
}

// New returns a client that sends a token credential as basic authentication with an
// empty user name and a basic credential as it is.
func New(cfg *provider.Config) (ferry.ProviderClient, error) {
	org, proj, _ := strings.Cut(cfg.Provider.Owner, "/")
	c := &Client{api: cfg.API, org: org, project: proj}
	cfg.API.Header.Set("Accept", "application/json")
	switch cfg.Credential.Kind {
	case ferry.CredentialToken:
		cfg.SetBasicAuth("", cfg.Secret.Token)
	case ferry.CredentialBasic:
		cfg.SetBasicAuth(cfg.Credential.Username, cfg.Secret.Password)
	default:
		return nil, cfg.Unsupported(ferry.CredentialToken, ferry.CredentialBasic)
	}
	c.profile = cfg.API
	if strings.EqualFold(cfg.API.Base.Host, "dev.azure.com") {
		u, _ := url.Parse(ProfileURL)
		c.profile = cfg.API.WithBase(u)
	}
	return c, nil
}

// query returns the api-version parameter with the given pairs.
func query(kv ...string) url.Values {
	q := url.Values{"api-version": {APIVersion}}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	return q
}

// orgPath returns the API path below the organization; projPath below the project.
func (c *Client) orgPath(p string) string  { return "/" + provider.Seg(c.org) + p }
func (c *Client) projPath(p string) string { return c.orgPath("/" + provider.Seg(c.project) + p) }

// Validate checks the token (GET /_apis/profile/profiles/me) and that the project exists.
func (c *Client) Validate(ctx context.Context) (ferry.ProviderStatus, error) {
	var me struct {
		DisplayName  string `json:"displayName"`
		EmailAddress string `json:"emailAddress"`
	}
	resp, err := c.profile.Do(ctx, &provider.Request{Method: http.MethodGet, Path: "/_apis/profile/profiles/me", Query: query()})
	if err != nil {
		if s := provider.StatusOf(err); s == http.StatusUnauthorized || s == http.StatusForbidden {
			return ferry.ProviderStatus{Message: ferry.ErrorMessage(err)}, nil
		}
		return ferry.ProviderStatus{}, err
	}
	if resp.Status == http.StatusNonAuthoritativeInfo {
		// Azure DevOps answers a bad token with a sign-in page.
		return ferry.ProviderStatus{Message: "azure-devops: the provider refused the token (it answered with a sign-in page). Check that the token is right and has not expired."}, nil
	}
	if err := c.api.Decode(resp, &me); err != nil {
		return ferry.ProviderStatus{}, c.api.Errorf(ferry.EUNAVAILABLE, "profile: %s", ferry.ErrorMessage(err))
	}
	st := ferry.ProviderStatus{Login: me.EmailAddress}
	if st.Login == "" {
		st.Login = me.DisplayName
	}
	if _, err := c.projectInfo(ctx); err != nil {
		if ferry.ErrorCode(err) != ferry.ENOTFOUND {
			return ferry.ProviderStatus{}, err
		}
		st.Message = ferry.ErrorMessage(err)
		return st, nil
	}
	st.Valid = true
	st.Message = "Authenticated as " + st.Login + " and project " + c.project + " exists; Azure DevOps does not list a token's scopes, so Ferry checks them when it first uses them (it needs Code: read, write & manage, and Service hooks: read & write)."
	return st, nil
}

// project is the part of a team project reference Ferry reads.
type project struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Visibility string `json:"visibility"`
}

// projectInfo looks the project up once in the organization's projects (GET /_apis/projects),
// following x-ms-continuationtoken. Returns ENOTFOUND if there is no such project.
func (c *Client) projectInfo(ctx context.Context) (*project, error) {
	if c.info != nil {
		return c.info, nil
	}
	token := ""
	for i := 0; i < 100; i++ {
		q := query()
		if token != "" {
			q.Set("continuationToken", token)
		}
		var body struct {
			Value []project `json:"value"`
		}
		resp, err := c.api.JSON(ctx, &provider.Request{Method: http.MethodGet, Path: c.orgPath("/_apis/projects"), Query: q}, &body)
		if err != nil {
			return nil, err
		}
		for i := range body.Value {
			if strings.EqualFold(body.Value[i].Name, c.project) {
				c.info = &body.Value[i]
				return c.info, nil
			}
		}
		if token = resp.Header.Get("X-Ms-Continuationtoken"); token == "" {
			break
		}
	}
	return nil, c.api.Errorf(ferry.ENOTFOUND, "organization %s has no project %q that the token can see.", c.org, c.project)
}

// repository is the part of a GitRepository Ferry reads.
type repository struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	DefaultBranch string `json:"defaultBranch"`
	RemoteURL     string `json:"remoteUrl"`
	SSHURL        string `json:"sshUrl"`
	WebURL        string `json:"webUrl"`
}

func (c *Client) repository(r *repository, private bool) ferry.Repository {
	repo := ferry.Repository{Name: r.Name, FullName: c.org + "/" + c.project + "/" + r.Name, CloneHTTPS: withoutUser(r.RemoteURL),
		CloneSSH: r.SSHURL, DefaultBranch: strings.TrimPrefix(r.DefaultBranch, "refs/heads/"), Private: private, WebURL: r.WebURL}
	if repo.WebURL == "" {
		repo.WebURL = repo.CloneHTTPS
	}
	return repo
}

// withoutUser drops the organization name Azure DevOps puts in clone URLs as a user name.
func withoutUser(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	u.User = nil
	return u.String()
}

// ListRepositories lists the project's repositories (GET /{project}/_apis/git/repositories),
// following x-ms-continuationtoken. A repository is as private as its project.
func (c *Client) ListRepositories(ctx context.Context, page, etag string) (*ferry.RepositoryPage, error) {
	p, err := c.projectInfo(ctx)
	if err != nil {
		return nil, err
	}
	q := query()
	if page != "" {
		q.Set("continuationToken", page)
	}
	var body struct {
		Value []repository `json:"value"`
	}
	resp, err := c.api.JSON(ctx, &provider.Request{Method: http.MethodGet, Path: c.projPath("/_apis/git/repositories"), Query: q, ETag: etag}, &body)
	if err != nil {
		return nil, err
	}
	out := &ferry.RepositoryPage{ETag: resp.Header.Get("ETag"), NotModified: resp.NotModified, Next: resp.Header.Get("X-Ms-Continuationtoken")}
	for i := range body.Value {
		out.Repositories = append(out.Repositories, c.repository(&body.Value[i], p.Visibility != "public"))
	}
	return out, nil
}

// CreateRepository creates a repository in the project (POST /{project}/_apis/git/repositories).
// Azure DevOps has no per-repository visibility: private is the project's, whatever is asked.
func (c *Client) CreateRepository(ctx context.Context, name string, private bool) (*ferry.Repository, error) {
	p, err := c.projectInfo(ctx)
	if err != nil {
		return nil, err
	}
	var r repository
	body := map[string]any{"name": name, "project": map[string]any{"id": p.ID}}
	if _, err := c.api.JSON(ctx, &provider.Request{Method: http.MethodPost, Path: c.projPath("/_apis/git/repositories"), Query: query(), Body: body}, &r); err != nil {
		return nil, err
	}
	repo := c.repository(&r, p.Visibility != "public")
	return &repo, nil
}

// CreateWebhook creates one service-hook subscription per event type (git.push, and
// git.pullrequest.created and git.pullrequest.updated for pull requests) on the
// repository, each sending its deliveries with basic authentication whose password is
// secret (POST /_apis/hooks/subscriptions). If one fails, those made are deleted.
func (c *Client) CreateWebhook(ctx context.Context, repo, hookURL, secret string, events []string) (string, error) {
	types, err := provider.MapEvents(c.api, events, map[string][]string{
		ferry.WebhookEventPush:        {"git.push"},
		ferry.WebhookEventPullRequest: {"git.pullrequest.created", "git.pullrequest.updated"},
	})
	if err != nil {
		return "", err
	}
	p, err := c.projectInfo(ctx)
	if err != nil {
		return "", err
	}
	var r repository
	if _, err := c.api.JSON(ctx, &provider.Request{Method: http.MethodGet, Path: c.projPath("/_apis/git/repositories/" + provider.Seg(repo)), Query: query()}, &r); err != nil {
		return "", err
	}
	c.api.AddSecret(secret)
	var ids []string
	for _, t := range types {
		body := map[string]any{
			"publisherId": "tfs", "eventType": t, "resourceVersion": "1.0",
			"consumerId": "webHooks", "consumerActionId": "httpRequest",
			"publisherInputs": map[string]any{"projectId": p.ID, "repository": r.ID},
			"consumerInputs":  map[string]any{"url": hookURL, "basicAuthUsername": "ferry", "basicAuthPassword": secret},
		}
		var s struct {
			ID string `json:"id"`
		}
		_, err := c.api.JSON(ctx, &provider.Request{Method: http.MethodPost, Path: c.orgPath("/_apis/hooks/subscriptions"), Query: query(), Body: body}, &s)
		if err == nil && s.ID == "" {
			err = c.api.Errorf(ferry.EUNAVAILABLE, "the created subscription has no id.")
		}
		if err != nil {
			if len(ids) > 0 {
				c.DeleteWebhook(ctx, repo, strings.Join(ids, ","))
			}
			return "", err
		}
		ids = append(ids, s.ID)
	}
	return strings.Join(ids, ","), nil
}

// DeleteWebhook deletes the subscriptions CreateWebhook made
// (DELETE /_apis/hooks/subscriptions/{id}), all of them even when one fails.
func (c *Client) DeleteWebhook(ctx context.Context, repo, hookID string) error {
	var first error
	for _, id := range strings.Split(hookID, ",") {
		if id == "" {
			continue
		}
		_, err := c.api.Do(ctx, &provider.Request{Method: http.MethodDelete, Path: c.orgPath("/_apis/hooks/subscriptions/" + provider.Seg(id)), Query: query()})
		if err = provider.IgnoreNotFound(err); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// AddDeployKey returns EINVALID: Azure DevOps has no deploy keys.
func (c *Client) AddDeployKey(ctx context.Context, repo, title, publicKey string, readOnly bool) (string, error) {
	return "", c.api.Errorf(ferry.EINVALID, "Azure DevOps has no deploy keys; use a token credential, or add the SSH key to a user's SSH public keys.")
}

// RemoveDeployKey returns EINVALID: Azure DevOps has no deploy keys.
func (c *Client) RemoveDeployKey(ctx context.Context, repo, keyID string) error {
	_, err := c.AddDeployKey(ctx, repo, "", "", true)
	return err
}
