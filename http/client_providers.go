package http

import (
	"context"
	"net/http"
	"net/url"

	"github.com/ferrygit/ferry"
)

// providerPath returns the escaped API path of provider name, followed by more segments.
func providerPath(name string, more ...string) string {
	p := "/providers/" + url.PathEscape(name)
	for _, m := range more {
		p += "/" + url.PathEscape(m)
	}
	return p
}

// provider sends req and decodes the provider in the answer.
func (c *Client) provider(ctx context.Context, method, path string, body any) (*ferry.Provider, error) {
	req := request{method: method, path: path}
	if body != nil {
		r, err := jsonBody(body)
		if err != nil {
			return nil, err
		}
		req.body, req.json = r, true
	}
	var p ferry.Provider
	if _, err := c.call(ctx, req, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// CreateProvider connects a provider; it is not validated until ValidateProvider.
func (c *Client) CreateProvider(ctx context.Context, req ProviderRequest) (*ferry.Provider, error) {
	return c.provider(ctx, http.MethodPost, "/providers", req)
}

// ListProviders returns one page of providers and the cursor of the next, "" after the last.
func (c *Client) ListProviders(ctx context.Context, page ferry.Page) ([]*ferry.Provider, string, error) {
	return list[*ferry.Provider](ctx, c, "/providers", pageQuery(page))
}

// FindProvider returns provider name with its last validation.
func (c *Client) FindProvider(ctx context.Context, name string) (*ferry.Provider, error) {
	return c.provider(ctx, http.MethodGet, providerPath(name), nil)
}

// DeleteProvider removes provider name and its repository cache.
func (c *Client) DeleteProvider(ctx context.Context, name string) error {
	_, err := c.call(ctx, request{method: http.MethodDelete, path: providerPath(name)}, nil)
	return err
}

// ValidateProvider has the server check the provider's credential and permissions and
// returns the provider with the status found.
func (c *Client) ValidateProvider(ctx context.Context, name string) (*ferry.Provider, error) {
	return c.provider(ctx, http.MethodPost, providerPath(name, "validate"), nil)
}

// ListRepositories returns the provider's cached repository list, fetched from the
// provider first when refresh is set.
func (c *Client) ListRepositories(ctx context.Context, name string, refresh bool) (*ferry.RepositoryList, error) {
	q := url.Values{}
	if refresh {
		q.Set("refresh", "true")
	}
	var l ferry.RepositoryList
	if _, err := c.call(ctx, request{method: http.MethodGet, path: providerPath(name, "repositories"), query: q}, &l); err != nil {
		return nil, err
	}
	return &l, nil
}

// CreateRepository has the provider create a repository.
func (c *Client) CreateRepository(ctx context.Context, name string, req ferry.RepositoryRequest) (*ferry.Repository, error) {
	body, err := jsonBody(req)
	if err != nil {
		return nil, err
	}
	var repo ferry.Repository
	if _, err := c.call(ctx, request{method: http.MethodPost, path: providerPath(name, "repositories"), body: body, json: true}, &repo); err != nil {
		return nil, err
	}
	return &repo, nil
}
