// Package provider connects Ferry to Git providers' REST APIs: a registry of one client
// per provider kind (each in its own subpackage), the HTTP client they share — URL
// policy at dial time, rate limits respected, conditional requests, paging — and the
// Service that joins them to storage.
package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/ferrygit/ferry"
)

// MaxResponseSize limits a provider's answer; a page of repositories is far smaller.
const MaxResponseSize = 32 << 20

// API calls one provider's REST API. It never retries: a rate-limited answer blocks the
// credential's further calls until the provider's reset time, each failing at once with
// EUNAVAILABLE saying when to retry. Every error is prefixed with Kind.
type API struct {
	Kind   string   // "github", …: the prefix of every error
	Base   *url.URL // the provider's base URL; Request.Path is appended to its path
	HTTP   *http.Client
	Header http.Header // sent with every request, such as Accept
	// Auth sets the credential's header on h; nil sends none. It may call the provider
	// itself (to mint a GitHub App installation token).
	Auth    func(ctx context.Context, h http.Header) error
	Limiter *Limiter
	Key     string // the Limiter's key: the host and credential that share a rate limit
	Now     func() time.Time
	Logger  *slog.Logger

	mu      sync.Mutex
	secrets []string // redacted from every message a provider sends back
}

// Request is one API call.
type Request struct {
	Method string
	Path   string // below Base, each segment escaped: "/orgs/acme/repos"
	// URL replaces Path with an absolute URL the provider handed out, such as a next-page
	// link; it must have Base's scheme, host and port.
	URL    string
	Query  url.Values
	Body   any         // sent as JSON when not nil
	ETag   string      // sent as If-None-Match: an unchanged resource answers 304
	Header http.Header // extra headers; an Authorization here replaces Auth
}

// Response is a provider's successful answer.
type Response struct {
	Status      int
	Header      http.Header
	Body        []byte
	NotModified bool // 304: the resource still has the ETag sent
}

// Error is a provider's unsuccessful answer: its HTTP status and the *ferry.Error it maps
// to, which ferry.ErrorCode and ferry.ErrorMessage see through Unwrap.
type Error struct {
	Status int
	Err    *ferry.Error
}

// Error returns the *ferry.Error's text.
func (e *Error) Error() string { return e.Err.Error() }

// Unwrap returns the *ferry.Error.
func (e *Error) Unwrap() error { return e.Err }

// StatusOf returns the HTTP status of a provider's error answer, or 0 for any other error.
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// AddSecret adds a value, such as a minted token, to those redacted from messages.
func (a *API) AddSecret(s string) {
	if len(s) < 4 {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.secrets = append(a.secrets, s)
}

// Errorf returns an error with the given code whose message starts with the API's kind.
func (a *API) Errorf(code, format string, args ...any) *ferry.Error {
	return ferry.Errorf(code, "%s: %s", a.Kind, a.redact(fmt.Sprintf(format, args...)))
}

func (a *API) redact(s string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, secret := range a.secrets {
		s = strings.ReplaceAll(s, secret, "[redacted]")
	}
	return s
}

func (a *API) now() time.Time {
	if a.Now == nil {
		return time.Now()
	}
	return a.Now()
}

// JSON sends req and decodes a JSON answer into out, unless the answer is 304 or has no
// body, or out is nil.
func (a *API) JSON(ctx context.Context, req *Request, out any) (*Response, error) {
	resp, err := a.Do(ctx, req)
	if err != nil {
		return nil, err
	}
	if err := a.Decode(resp, out); err != nil {
		return nil, a.Errorf(ferry.EUNAVAILABLE, "%s %s: %s", req.Method, a.shownPath(req), ferry.ErrorMessage(err))
	}
	return resp, nil
}

// Decode decodes resp's JSON body into out, unless resp is 304 or has no body, or out is nil.
func (a *API) Decode(resp *Response, out any) error {
	if out == nil || resp.NotModified || len(bytes.TrimSpace(resp.Body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(resp.Body, out); err != nil {
		return ferry.Errorf(ferry.EUNAVAILABLE, "the provider answered with JSON Ferry cannot read: %v.", err)
	}
	return nil
}

// Do sends req and returns a 2xx or 304 answer; any other status is an *Error.
func (a *API) Do(ctx context.Context, req *Request) (*Response, error) {
	if until, blocked := a.Limiter.Blocked(a.Key, a.now()); blocked {
		return nil, a.rateLimited(until)
	}
	hr, err := a.newRequest(ctx, req)
	if err != nil {
		return nil, err
	}
	start := a.now()
	resp, err := a.HTTP.Do(hr)
	if err != nil {
		return nil, a.transportError(ctx, req, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseSize+1))
	if err != nil {
		return nil, a.Errorf(ferry.EUNAVAILABLE, "%s %s: the answer was cut off: %v.", req.Method, a.shownPath(req), err)
	}
	if len(body) > MaxResponseSize {
		return nil, a.Errorf(ferry.EUNAVAILABLE, "%s %s answered with more than %s.", req.Method, a.shownPath(req), ferry.HumanBytes(MaxResponseSize))
	}
	if a.Logger != nil {
		a.Logger.Debug("provider request", "kind", a.Kind, "method", req.Method, "path", a.shownPath(req),
			"status", resp.StatusCode, "took", a.now().Sub(start))
	}
	out := &Response{Status: resp.StatusCode, Header: resp.Header, Body: body}
	switch {
	case resp.StatusCode == http.StatusNotModified:
		out.NotModified = true
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
	default:
		return nil, a.statusError(req, resp, body)
	}
	if until, ok := exhausted(resp.Header, a.now()); ok {
		a.Limiter.Block(a.Key, until) // the last call the limit allows: wait for the reset
	}
	return out, nil
}

// newRequest builds the HTTP request for req.
func (a *API) newRequest(ctx context.Context, req *Request) (*http.Request, error) {
	var u *url.URL
	if req.URL != "" {
		next, err := url.Parse(req.URL)
		if err != nil || !sameOrigin(next, a.Base) {
			return nil, a.Errorf(ferry.EUNAVAILABLE, "the provider handed out a link to another server (%q); Ferry follows links only on %s.",
				clipText(ferry.RedactRawURL(req.URL)), a.Base.Host)
		}
		u = next
	} else {
		p, err := url.Parse(a.Base.String() + req.Path)
		if err != nil {
			return nil, a.Errorf(ferry.EINVALID, "%s %s is not a valid path.", req.Method, clipText(req.Path))
		}
		u = p
	}
	if len(req.Query) > 0 {
		q := u.Query()
		for k, vs := range req.Query {
			q[k] = vs
		}
		u.RawQuery = q.Encode()
	}
	var body io.Reader
	if req.Body != nil {
		b, err := json.Marshal(req.Body)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	hr, err := http.NewRequestWithContext(ctx, req.Method, u.String(), body)
	if err != nil {
		return nil, err
	}
	for k, vs := range a.Header {
		hr.Header[k] = vs
	}
	for k, vs := range req.Header {
		hr.Header[k] = vs
	}
	if req.Body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	if req.ETag != "" {
		hr.Header.Set("If-None-Match", req.ETag)
	}
	hr.Header.Set("User-Agent", "Ferry")
	if a.Auth != nil && hr.Header.Get("Authorization") == "" {
		if err := a.Auth(ctx, hr.Header); err != nil {
			return nil, err
		}
	}
	return hr, nil
}

// shownPath is the path of req as messages and logs show it: never its query.
func (a *API) shownPath(req *Request) string {
	if req.URL != "" {
		if u, err := url.Parse(req.URL); err == nil {
			return u.EscapedPath()
		}
		return "(next page)"
	}
	return a.Base.EscapedPath() + req.Path
}

// transportError maps a failure to get any answer.
func (a *API) transportError(ctx context.Context, req *Request, err error) error {
	var fe *ferry.Error
	if errors.As(err, &fe) {
		return a.Errorf(fe.Code, "%s", fe.Message) // the URL policy refused the address
	}
	if ctx.Err() != nil {
		return a.Errorf(ferry.EUNAVAILABLE, "%s %s timed out or was cancelled.", req.Method, a.shownPath(req))
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return a.Errorf(ferry.EUNAVAILABLE, "cannot reach %s: %v.", a.Base.Host, err)
}

// statusError maps an unsuccessful status to an *Error.
func (a *API) statusError(req *Request, resp *http.Response, body []byte) error {
	now := a.now()
	if until, ok := rateLimit(resp, now); ok {
		a.Limiter.Block(a.Key, until)
		return &Error{Status: resp.StatusCode, Err: a.rateLimited(until)}
	}
	what := fmt.Sprintf("%s %s answered %d", req.Method, a.shownPath(req), resp.StatusCode)
	if msg := providerMessage(body); msg != "" {
		what += " (" + msg + ")"
	}
	var fe *ferry.Error
	switch s := resp.StatusCode; {
	case s == http.StatusUnauthorized:
		fe = a.Errorf(ferry.EINVALID, "the provider refused the credential: %s. Check that the token is right and has not expired.", what)
	case s == http.StatusForbidden:
		fe = a.Errorf(ferry.EFORBIDDEN, "the credential lacks a permission: %s.", what)
	case s == http.StatusNotFound || s == http.StatusGone:
		fe = a.Errorf(ferry.ENOTFOUND, "not found, or not visible to the credential: %s.", what)
	case s == http.StatusConflict:
		fe = a.Errorf(ferry.ECONFLICT, "%s.", what)
	case s >= 400 && s < 500:
		fe = a.Errorf(ferry.EINVALID, "the provider refused the request: %s.", what)
	default:
		fe = a.Errorf(ferry.EUNAVAILABLE, "the provider failed: %s; try again later.", what)
	}
	return &Error{Status: resp.StatusCode, Err: fe}
}

// rateLimited is the error of a call made, or refused, while the limit holds.
func (a *API) rateLimited(until time.Time) *ferry.Error {
	wait := until.Sub(a.now()).Round(time.Second)
	if wait < time.Second {
		wait = time.Second
	}
	return a.Errorf(ferry.EUNAVAILABLE, "the provider's rate limit is reached; retry after %s (in %s). Ferry makes no calls with this credential until then.",
		until.UTC().Format(time.RFC3339), wait)
}

// providerMessage finds the human message in an error body: "message" (GitHub, GitLab,
// Gitea, Azure DevOps), "error" or "error_description" (GitLab), "error.message"
// (Bitbucket Cloud) or "errors[0].message" (Bitbucket Server).
func providerMessage(body []byte) string {
	var v struct {
		Message any    `json:"message"`
		Desc    string `json:"error_description"`
		Error   any    `json:"error"`
		Errors  []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &v) != nil {
		return ""
	}
	var msg string
	switch {
	case v.Message != nil:
		msg = flatten(v.Message)
	case v.Desc != "":
		msg = v.Desc
	case v.Error != nil:
		if m, ok := v.Error.(map[string]any); ok {
			msg = flatten(m["message"])
		} else {
			msg = flatten(v.Error)
		}
	case len(v.Errors) > 0:
		msg = v.Errors[0].Message
	}
	return clipText(msg)
}

// flatten renders a JSON value (GitLab sends objects of lists as messages) as one line.
func flatten(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

// clipText makes s safe to show: printable, one line, at most 200 bytes.
func clipText(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if len(s) > 200 {
		s = strings.ToValidUTF8(s[:200], "") + "…"
	}
	return s
}

// sameOrigin reports whether u has base's scheme, host and port.
func sameOrigin(u, base *url.URL) bool {
	return strings.EqualFold(u.Scheme, base.Scheme) && strings.EqualFold(u.Host, base.Host) && u.User == nil
}

// IgnoreNotFound returns nil for a 404 or 410 answer and err otherwise, for deletions
// that are done when the thing is gone.
func IgnoreNotFound(err error) error {
	if s := StatusOf(err); s == http.StatusNotFound || s == http.StatusGone {
		return nil
	}
	return err
}

// Seg escapes one path segment.
func Seg(s string) string { return url.PathEscape(s) }

// WithBase returns an API like a, with the same client, credential, rate-limit state and
// redactions, for another base URL of the same provider (Azure DevOps' profile service).
func (a *API) WithBase(base *url.URL) *API {
	a.mu.Lock()
	defer a.mu.Unlock()
	return &API{Kind: a.Kind, Base: base, HTTP: a.HTTP, Header: a.Header, Auth: a.Auth, Limiter: a.Limiter,
		Key: base.Host + "|" + a.Key, Now: a.Now, Logger: a.Logger, secrets: append([]string(nil), a.secrets...)}
}
