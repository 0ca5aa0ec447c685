package provider_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/provider"
	pt "github.com/ferrygit/ferry/provider/providertest"
)

func TestRateLimitHeaders(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		status  int
		header  []string
		limited bool
		until   time.Time
	}{
		{"429 retry-after seconds", 429, []string{"Retry-After", "30"}, true, now.Add(30 * time.Second)},
		{"429 retry-after date", 429, []string{"Retry-After", now.Add(time.Hour).Format(http.TimeFormat)}, true, now.Add(time.Hour)},
		{"429 bare", 429, nil, true, now.Add(provider.DefaultRateLimitWait)},
		{"403 github primary", 403, []string{"X-RateLimit-Remaining", "0", "X-RateLimit-Reset", "1795349100"}, true, time.Unix(1795349100, 0)},
		{"403 github secondary", 403, []string{"Retry-After", "60"}, true, now.Add(time.Minute)},
		{"403 permission", 403, []string{"X-RateLimit-Remaining", "4000"}, false, time.Time{}},
		{"503 retry-after", 503, []string{"Retry-After", "5"}, true, now.Add(5 * time.Second)},
		{"503 plain", 503, nil, false, time.Time{}},
		{"gitlab reset", 429, []string{"RateLimit-Reset", "1795348860"}, true, time.Unix(1795348860, 0)},
		{"ietf delta reset", 429, []string{"RateLimit-Reset", "12"}, true, now.Add(12 * time.Second)},
		{"absurd wait is capped", 429, []string{"Retry-After", "99999999"}, true, now.Add(provider.MaxRateLimitWait)},
		{"reset in the past", 429, []string{"X-RateLimit-Reset", "1000000000"}, true, now.Add(time.Second)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := pt.NewServer(t)
			srv.Handle("GET /x", pt.Reply(tc.status, []byte(`{"message":"slow down"}`), tc.header...))
			api := newAPI(t, srv.URL, func() time.Time { return now })
			_, err := api.Do(context.Background(), &provider.Request{Method: "GET", Path: "/x"})
			if !tc.limited {
				if strings.Contains(ferry.ErrorMessage(err), "rate limit") {
					t.Fatalf("err = %v, want no rate limit", err)
				}
				return
			}
			pt.WantCode(t, err, ferry.EUNAVAILABLE, "test: ", "retry after "+tc.until.UTC().Format(time.RFC3339))
			if provider.StatusOf(err) != tc.status {
				t.Errorf("status = %d", provider.StatusOf(err))
			}
			_, err = api.Do(context.Background(), &provider.Request{Method: "GET", Path: "/x"})
			pt.WantCode(t, err, ferry.EUNAVAILABLE, "retry after")
			if srv.Count() != 1 {
				t.Errorf("%d requests while the limit holds, want 1", srv.Count())
			}
		})
	}
}

// TestLastRequestBlocks checks that an answer saying no requests remain stops the next call.
func TestLastRequestBlocks(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	srv := pt.NewServer(t)
	srv.Handle("GET /x", pt.Reply(200, []byte(`{}`), "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", "1795348900"))
	api := newAPI(t, srv.URL, func() time.Time { return now })
	if _, err := api.Do(context.Background(), &provider.Request{Method: "GET", Path: "/x"}); err != nil {
		t.Fatal(err)
	}
	_, err := api.Do(context.Background(), &provider.Request{Method: "GET", Path: "/x"})
	pt.WantCode(t, err, ferry.EUNAVAILABLE, "retry after 2026-11-22T12:01:40Z")
	if srv.Count() != 1 {
		t.Errorf("%d requests, want 1", srv.Count())
	}
}

func newAPI(t *testing.T, base string, now func() time.Time) *provider.API {
	t.Helper()
	u, err := ferry.ParseProviderURL(base)
	if err != nil {
		t.Fatal(err)
	}
	bu, _ := url.Parse(u.String())
	return &provider.API{Kind: "test", Base: bu, HTTP: provider.NewHTTPClient(pt.Policy, nil, nil), Header: http.Header{},
		Limiter: &provider.Limiter{}, Key: "k", Now: now}
}

func TestStatusErrors(t *testing.T) {
	for _, tc := range []struct {
		status int
		body   string
		code   string
		want   string
	}{
		{401, `{"message":"Bad credentials"}`, ferry.EINVALID, "refused the credential: GET /x answered 401 (Bad credentials)"},
		{403, `{"message":"Must have admin rights to Repository."}`, ferry.EFORBIDDEN, "lacks a permission"},
		{404, `{"errors":[{"message":"Repository acme/nope does not exist."}]}`, ferry.ENOTFOUND, "Repository acme/nope does not exist."},
		{409, `{"error":{"message":"Repository already exists."}}`, ferry.ECONFLICT, "already exists"},
		{422, `{"message":{"name":["has already been taken"]}}`, ferry.EINVALID, `{"name":["has already been taken"]}`},
		{400, `{"error":"insufficient_scope","error_description":"The request requires higher privileges."}`, ferry.EINVALID, "higher privileges"},
		{500, `<html>oops</html>`, ferry.EUNAVAILABLE, "try again later"},
	} {
		t.Run(http.StatusText(tc.status), func(t *testing.T) {
			srv := pt.NewServer(t)
			srv.Handle("GET /x", pt.Reply(tc.status, []byte(tc.body)))
			_, err := newAPI(t, srv.URL, time.Now).Do(context.Background(), &provider.Request{Method: "GET", Path: "/x"})
			pt.WantCode(t, err, tc.code, "test: ", tc.want)
		})
	}
}

// TestSecretsRedacted checks that a provider echoing the credential in an error never
// gets it into Ferry's message.
func TestSecretsRedacted(t *testing.T) {
	srv := pt.NewServer(t)
	srv.Handle("GET /x", pt.Reply(400, []byte(`{"message":"token tok-very-secret-1 is malformed"}`)))
	api := newAPI(t, srv.URL, time.Now)
	api.AddSecret("tok-very-secret-1")
	_, err := api.Do(context.Background(), &provider.Request{Method: "GET", Path: "/x"})
	if strings.Contains(err.Error(), "tok-very-secret-1") || !strings.Contains(ferry.ErrorMessage(err), "token [redacted] is malformed") {
		t.Errorf("err = %v", err)
	}
}

// TestPolicyAtDialTime checks that the HTTP client checks the address it connects to.
func TestPolicyAtDialTime(t *testing.T) {
	srv := pt.NewServer(t)
	c := provider.NewHTTPClient(ferry.URLPolicy{AllowInsecureHTTP: true}, nil, nil)
	_, err := c.Get(srv.URL + "/x")
	var fe *ferry.Error
	if err == nil || !errors.As(err, &fe) || fe.Code != ferry.EINVALID || !strings.Contains(fe.Message, "loopback") {
		t.Fatalf("err = %v, want the policy's refusal", err)
	}
	if srv.Count() != 0 {
		t.Error("the server was reached")
	}
}

// TestNoRedirectToAnotherServer checks that a redirect elsewhere is not followed with the
// credential's header.
func TestNoRedirectToAnotherServer(t *testing.T) {
	other := pt.NewServer(t)
	srv := pt.NewServer(t)
	srv.Handle("GET /x", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, other.URL+"/x", http.StatusFound) })
	api := newAPI(t, srv.URL, time.Now)
	api.Auth = func(_ context.Context, h http.Header) error { h.Set("PRIVATE-TOKEN", "tok-redirect-2"); return nil }
	_, err := api.Do(context.Background(), &provider.Request{Method: "GET", Path: "/x"})
	pt.WantCode(t, err, ferry.EUNAVAILABLE, "another server")
	if other.Count() != 0 {
		t.Error("the redirect was followed")
	}
}

func TestRegistryConnect(t *testing.T) {
	creds := &pt.Credentials{Creds: map[string]*ferry.Credential{"tok": {Name: "tok", Kind: ferry.CredentialToken}},
		Secrets: map[string]*ferry.CredentialSecret{"tok": {Token: "t"}}}
	ctor := func(cfg *provider.Config) (ferry.ProviderClient, error) { return nil, nil }
	for _, tc := range []struct {
		name   string
		policy ferry.URLPolicy
		p      ferry.Provider
		code   string
		want   string
	}{
		{"http without the policy", ferry.URLPolicy{AllowHosts: []string{"127.0.0.1"}},
			ferry.Provider{Kind: "github", BaseURL: "http://127.0.0.1:1", Credential: "tok"}, ferry.EINVALID, "--allow-insecure-http"},
		{"loopback without the policy", ferry.URLPolicy{AllowInsecureHTTP: true},
			ferry.Provider{Kind: "github", BaseURL: "http://127.0.0.1:1", Credential: "tok"}, ferry.EINVALID, "--allow-hosts"},
		{"metadata service", pt.Policy,
			ferry.Provider{Kind: "github", BaseURL: "http://169.254.169.254", Credential: "tok"}, ferry.EINVALID, "metadata"},
		{"unknown credential", pt.Policy,
			ferry.Provider{Kind: "github", BaseURL: "https://api.github.com", Credential: "nope"}, ferry.ENOTFOUND, `Credential "nope" does not exist`},
		{"kind without a client", pt.Policy,
			ferry.Provider{Kind: "gitea", BaseURL: "https://git.example.com", Credential: "tok"}, ferry.EINVALID, "no client for gitea"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reg := provider.NewRegistry(provider.RegistryConfig{Credentials: creds, Policy: tc.policy}, map[string]provider.Constructor{"github": ctor})
			_, err := reg.Connect(context.Background(), &tc.p)
			pt.WantCode(t, err, tc.code, tc.want)
		})
	}
}

func TestNextLink(t *testing.T) {
	for _, tc := range []struct{ link, want string }{
		{`<https://api.github.com/organizations/1/repos?page=2>; rel="next", <https://api.github.com/organizations/1/repos?page=9>; rel="last"`, "https://api.github.com/organizations/1/repos?page=2"},
		{`<https://h/x?page=1>; rel="prev", <https://h/x?page=3>; rel="next"`, "https://h/x?page=3"},
		{`<https://h/x?a=1,2&page=3>; rel="next"`, "https://h/x?a=1,2&page=3"},
		{`<https://h/x?page=3>; rel="last next"`, "https://h/x?page=3"},
		{`<https://h/x?page=3>; REL=next`, "https://h/x?page=3"},
		{`<https://h/x?page=1>; rel="first"`, ""},
		{`https://h/x; rel="next"`, ""},
		{``, ""},
	} {
		h := http.Header{}
		if tc.link != "" {
			h.Set("Link", tc.link)
		}
		if got := provider.NextLink(h); got != tc.want {
			t.Errorf("NextLink(%q) = %q, want %q", tc.link, got, tc.want)
		}
	}
}

func FuzzNextLink(f *testing.F) {
	f.Add(`<https://h/x?page=2>; rel="next", <https://h/x?page=9>; rel="last"`)
	f.Add(`<<>>;;rel=,,`)
	f.Fuzz(func(t *testing.T, link string) {
		got := provider.NextLink(http.Header{"Link": {link}})
		if got != "" && !strings.Contains(link, got) {
			t.Errorf("NextLink(%q) = %q, which is not in the header", link, got)
		}
	})
}

func TestMissing(t *testing.T) {
	implied := map[string][]string{"repo": {"public_repo"}}
	got := provider.Missing([]string{"repo", "public_repo", "admin:repo_hook"}, provider.SplitScopes("public_repo, read:org"), implied)
	if strings.Join(got, ",") != "repo,admin:repo_hook" {
		t.Errorf("missing = %v", got)
	}
	if got := provider.Missing([]string{"public_repo"}, []string{"repo"}, implied); len(got) != 0 {
		t.Errorf("an implied scope is missing: %v", got)
	}
}
