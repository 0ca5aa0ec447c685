package http

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ferrygit/ferry"
)

// maxErrorBody limits how much of an error answer the client reads.
const maxErrorBody = 1 << 20

// Client calls a Ferry server's API. API errors come back as *ferry.Error with the
// server's code and message, so ferry.ErrorCode works on them.
type Client struct {
	URL    string      // the server's base URL, such as http://127.0.0.1:8080
	Token  string      // sent as a bearer token unless ""; never part of an error
	Header http.Header // sent with every request, such as a session cookie and its CSRF token
	HTTP   *http.Client
}

// NewClient returns a client for the server at url that authenticates with token. It does
// not follow redirects, so the token goes only where url says.
func NewClient(url, token string) *Client {
	return &Client{
		URL:   strings.TrimRight(url, "/"),
		Token: token,
		HTTP: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}},
	}
}

// request describes one API call.
type request struct {
	method string
	path   string // escaped, below /api/v1
	query  url.Values
	body   io.Reader
	json   bool // body is JSON
}

// do sends req and returns the response for a 2xx status; for any other it returns the
// server's error. The caller closes the body.
func (c *Client) do(ctx context.Context, req request) (*http.Response, error) {
	u := strings.TrimRight(c.URL, "/") + apiPrefix + req.path
	if len(req.query) > 0 {
		u += "?" + req.query.Encode()
	}
	hr, err := http.NewRequestWithContext(ctx, req.method, u, req.body)
	if err != nil {
		return nil, fmt.Errorf("build request for %s: %w", c.URL, err)
	}
	if c.Token != "" {
		hr.Header.Set("Authorization", "Bearer "+c.Token)
	}
	for k, vs := range c.Header {
		hr.Header[k] = vs
	}
	if req.json {
		hr.Header.Set("Content-Type", "application/json")
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(hr)
	if err != nil {
		return nil, fmt.Errorf("cannot reach the Ferry server: %w", err)
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		return nil, responseError(resp)
	}
	return resp, nil
}

// responseError reads the server's error from resp, or makes one from its status when the
// body is not Ferry's error JSON (as from a proxy).
func responseError(resp *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	var e errorResponse
	if json.Unmarshal(body, &e) == nil && e.Error.Code != "" {
		return e.Error.err()
	}
	return ferry.Errorf(codeOf(resp.StatusCode), "The server answered %s.", resp.Status)
}

// call sends req and decodes a JSON answer into out, unless out is nil. It returns the status.
func (c *Client) call(ctx context.Context, req request, out any) (int, error) {
	resp, err := c.do(ctx, req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if out == nil {
		io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return 0, fmt.Errorf("read the answer to %s %s: %w", req.method, req.path, err)
	}
	return resp.StatusCode, nil
}

// jsonBody encodes v for a request.
func jsonBody(v any) (io.Reader, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return bytes.NewReader(b), nil
}

// pageQuery renders a page as query parameters.
func pageQuery(page ferry.Page) url.Values {
	q := url.Values{}
	if page.Limit > 0 {
		q.Set("limit", strconv.Itoa(page.Limit))
	}
	if page.Cursor != "" {
		q.Set("cursor", page.Cursor)
	}
	return q
}

// nsPath returns the escaped API path of namespace ns followed by more, whose segments
// are escaped one by one.
func nsPath(ns string, more ...string) string {
	var b strings.Builder
	b.WriteString("/namespaces/")
	b.WriteString(url.PathEscape(ns))
	for _, m := range more {
		b.WriteByte('/')
		b.WriteString(escapePath(m))
	}
	return b.String()
}

// escapePath escapes each '/'-separated segment of p.
func escapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

// list fetches one page of a list into items and returns the next cursor.
func list[T any](ctx context.Context, c *Client, path string, q url.Values) ([]T, string, error) {
	var out listResponse[T]
	if _, err := c.call(ctx, request{method: http.MethodGet, path: path, query: q}, &out); err != nil {
		return nil, "", err
	}
	return out.Items, out.Next, nil
}

// CreateNamespace creates a namespace called name.
func (c *Client) CreateNamespace(ctx context.Context, name string) (*ferry.Namespace, error) {
	body, err := jsonBody(createNamespaceRequest{Name: name})
	if err != nil {
		return nil, err
	}
	var ns ferry.Namespace
	if _, err := c.call(ctx, request{method: http.MethodPost, path: "/namespaces", body: body, json: true}, &ns); err != nil {
		return nil, err
	}
	return &ns, nil
}

// ListNamespaces returns one page of namespaces and the cursor of the next, "" after the last.
func (c *Client) ListNamespaces(ctx context.Context, page ferry.Page) ([]*ferry.Namespace, string, error) {
	return list[*ferry.Namespace](ctx, c, "/namespaces", pageQuery(page))
}

// FindNamespace returns the namespace called name.
func (c *Client) FindNamespace(ctx context.Context, name string) (*ferry.Namespace, error) {
	var ns ferry.Namespace
	if _, err := c.call(ctx, request{method: http.MethodGet, path: nsPath(name)}, &ns); err != nil {
		return nil, err
	}
	return &ns, nil
}

// DeleteNamespace removes the namespace called name with all its files and revisions.
func (c *Client) DeleteNamespace(ctx context.Context, name string) error {
	_, err := c.call(ctx, request{method: http.MethodDelete, path: nsPath(name)}, nil)
	return err
}
