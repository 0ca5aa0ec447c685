package http

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/ferrygit/ferry"
)

// tokenPath returns the API path of token id.
func tokenPath(id int64) string { return "/tokens/" + strconv.FormatInt(id, 10) }

// userPath returns the escaped API path of user name, followed by more segments.
func userPath(name string, more ...string) string {
	p := "/users/" + url.PathEscape(name)
	for _, m := range more {
		p += "/" + url.PathEscape(m)
	}
	return p
}

// CreateToken makes an API token and returns it: the token itself is in the answer this
// once and never again.
func (c *Client) CreateToken(ctx context.Context, req TokenRequest) (*TokenResponse, error) {
	out := TokenResponse{Token: &ferry.Token{}}
	if _, err := c.send(ctx, request{method: http.MethodPost, path: "/tokens"}, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListTokens returns the tokens the caller may manage, newest first; revoked ones only
// when includeRevoked is set.
func (c *Client) ListTokens(ctx context.Context, includeRevoked bool) ([]*ferry.Token, error) {
	q := url.Values{}
	if includeRevoked {
		q.Set("revoked", "true")
	}
	items, _, err := list[*ferry.Token](ctx, c, "/tokens", q)
	return items, err
}

// GetToken returns token id, without the token itself.
func (c *Client) GetToken(ctx context.Context, id int64) (*ferry.Token, error) {
	var t ferry.Token
	if _, err := c.call(ctx, request{method: http.MethodGet, path: tokenPath(id)}, &t); err != nil {
		return nil, err
	}
	return &t, nil
}

// RevokeToken revokes token id: from now on it is refused.
func (c *Client) RevokeToken(ctx context.Context, id int64) error {
	_, err := c.call(ctx, request{method: http.MethodDelete, path: tokenPath(id)}, nil)
	return err
}

// WhoAmI returns who the client's token acts as and what it may do.
func (c *Client) WhoAmI(ctx context.Context) (*SessionResponse, error) {
	var s SessionResponse
	if _, err := c.call(ctx, request{method: http.MethodGet, path: "/session"}, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// user sends req with body v (nil for none) and decodes the user in the answer.
func (c *Client) user(ctx context.Context, req request, v any) (*ferry.User, error) {
	var u ferry.User
	if _, err := c.send(ctx, req, v, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// CreateUser makes a user with a password and, optionally, admin or namespace roles.
func (c *Client) CreateUser(ctx context.Context, req UserRequest) (*ferry.User, error) {
	return c.user(ctx, request{method: http.MethodPost, path: "/users"}, req)
}

// ListUsers returns every user by name.
func (c *Client) ListUsers(ctx context.Context) ([]*ferry.User, error) {
	items, _, err := list[*ferry.User](ctx, c, "/users", nil)
	return items, err
}

// GetUser returns user name with its roles.
func (c *Client) GetUser(ctx context.Context, name string) (*ferry.User, error) {
	return c.user(ctx, request{method: http.MethodGet, path: userPath(name)}, nil)
}

// DeleteUser removes user name and ends its sessions.
func (c *Client) DeleteUser(ctx context.Context, name string) error {
	_, err := c.call(ctx, request{method: http.MethodDelete, path: userPath(name)}, nil)
	return err
}

// SetUserRole gives user name role in namespace ns, or takes its role there away when
// role is "", and returns the user as it is now.
func (c *Client) SetUserRole(ctx context.Context, name, ns, role string) (*ferry.User, error) {
	req := request{method: http.MethodDelete, path: userPath(name, "roles", ns)}
	if role == "" {
		return c.user(ctx, req, nil)
	}
	req.method = http.MethodPut
	return c.user(ctx, req, roleRequest{Role: role})
}

// SetUserPassword replaces user name's password, which ends its sessions.
func (c *Client) SetUserPassword(ctx context.Context, name string, req PasswordRequest) error {
	_, err := c.send(ctx, request{method: http.MethodPut, path: userPath(name, "password")}, req, nil)
	return err
}

// ListAudit returns one page of the audit entries f selects, newest first, and the cursor
// of the next page, "" after the last.
func (c *Client) ListAudit(ctx context.Context, f ferry.AuditFilter) ([]*ferry.AuditEntry, string, error) {
	q := pageQuery(f.Page)
	for k, v := range map[string]string{"actor": f.Actor, "action": f.Action, "namespace": f.Namespace} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if !f.Since.IsZero() {
		q.Set("since", f.Since.UTC().Format(time.RFC3339Nano))
	}
	if !f.Until.IsZero() {
		q.Set("until", f.Until.UTC().Format(time.RFC3339Nano))
	}
	return list[*ferry.AuditEntry](ctx, c, "/audit", q)
}
