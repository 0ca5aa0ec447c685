package http

import (
	"context"
	"net/http"
	"net/url"

	"github.com/ferrygit/ferry"
)

// credPath returns the escaped API path of credential name, followed by more segments.
func credPath(name string, more ...string) string {
	p := "/credentials/" + url.PathEscape(name)
	for _, m := range more {
		p += "/" + url.PathEscape(m)
	}
	return p
}

// credential sends req and decodes the credential in the answer.
func (c *Client) credential(ctx context.Context, method, path string, body any) (*ferry.Credential, error) {
	req := request{method: method, path: path}
	if body != nil {
		r, err := jsonBody(body)
		if err != nil {
			return nil, err
		}
		req.body, req.json = r, true
	}
	var cred ferry.Credential
	if _, err := c.call(ctx, req, &cred); err != nil {
		return nil, err
	}
	return &cred, nil
}

// CreateCredential creates a credential and returns its public half: for an ssh-key, the
// public key to paste into a provider and its fingerprint.
func (c *Client) CreateCredential(ctx context.Context, req CredentialRequest) (*ferry.Credential, error) {
	return c.credential(ctx, http.MethodPost, "/credentials", req)
}

// ListCredentials returns one page of credentials and the cursor of the next, "" after the last.
func (c *Client) ListCredentials(ctx context.Context, page ferry.Page) ([]*ferry.Credential, string, error) {
	return list[*ferry.Credential](ctx, c, "/credentials", pageQuery(page))
}

// FindCredential returns the public half of credential name.
func (c *Client) FindCredential(ctx context.Context, name string) (*ferry.Credential, error) {
	return c.credential(ctx, http.MethodGet, credPath(name), nil)
}

// UpdateCredential replaces the fields p sets and returns the credential.
func (c *Client) UpdateCredential(ctx context.Context, name string, p CredentialPatch) (*ferry.Credential, error) {
	return c.credential(ctx, http.MethodPatch, credPath(name), p)
}

// RotateCredential replaces a generated key pair with a new one of algorithm (the old
// one's when "") and returns the credential with its new public key.
func (c *Client) RotateCredential(ctx context.Context, name, algorithm string) (*ferry.Credential, error) {
	return c.credential(ctx, http.MethodPost, credPath(name, "rotate"), RotateRequest{Algorithm: algorithm})
}

// DeleteCredential removes credential name.
func (c *Client) DeleteCredential(ctx context.Context, name string) error {
	_, err := c.call(ctx, request{method: http.MethodDelete, path: credPath(name)}, nil)
	return err
}

// ListKnownHosts returns the pinned host keys, built-in ones included, of host only when
// host is not "".
func (c *Client) ListKnownHosts(ctx context.Context, host string) ([]*ferry.KnownHost, error) {
	q := url.Values{}
	if host != "" {
		q.Set("host", host)
	}
	items, _, err := list[*ferry.KnownHost](ctx, c, "/known-hosts", q)
	return items, err
}

// AddKnownHost pins key ("ssh-ed25519 AAAA…") for host.
func (c *Client) AddKnownHost(ctx context.Context, host, key string) (*ferry.KnownHost, error) {
	return c.knownHost(ctx, KnownHostRequest{Host: host, Key: key})
}

// TrustKnownHost has the server connect to host and pin the key it presents, if and only
// if that key's fingerprint is fingerprint.
func (c *Client) TrustKnownHost(ctx context.Context, host, fingerprint string) (*ferry.KnownHost, error) {
	return c.knownHost(ctx, KnownHostRequest{Host: host, Fingerprint: fingerprint})
}

func (c *Client) knownHost(ctx context.Context, req KnownHostRequest) (*ferry.KnownHost, error) {
	body, err := jsonBody(req)
	if err != nil {
		return nil, err
	}
	var k ferry.KnownHost
	if _, err := c.call(ctx, request{method: http.MethodPost, path: "/known-hosts", body: body, json: true}, &k); err != nil {
		return nil, err
	}
	return &k, nil
}

// DeleteKnownHost removes the stored keys of host, or only the one with fingerprint when
// it is not "".
func (c *Client) DeleteKnownHost(ctx context.Context, host, fingerprint string) error {
	q := url.Values{"host": {host}}
	if fingerprint != "" {
		q.Set("fingerprint", fingerprint)
	}
	_, err := c.call(ctx, request{method: http.MethodDelete, path: "/known-hosts", query: q}, nil)
	return err
}
