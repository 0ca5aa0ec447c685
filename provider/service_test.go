package provider_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/provider"
	pt "github.com/ferrygit/ferry/provider/providertest"
	"github.com/ferrygit/ferry/secretbox"
	"github.com/ferrygit/ferry/sqlstore"
)

// fakeClient serves scripted pages of repositories, each with an ETag, answering a
// conditional request for an unchanged page with NotModified.
type fakeClient struct {
	mu       sync.Mutex
	pages    map[string]*ferry.RepositoryPage // by page token
	calls    []string                         // "page|etag" of each ListRepositories
	listErr  error
	validate func() (ferry.ProviderStatus, error)
	created  []string
}

func (f *fakeClient) Validate(context.Context) (ferry.ProviderStatus, error) { return f.validate() }

func (f *fakeClient) ListRepositories(_ context.Context, page, etag string) (*ferry.RepositoryPage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, page+"|"+etag)
	if f.listErr != nil {
		return nil, f.listErr
	}
	p, ok := f.pages[page]
	if !ok {
		return nil, ferry.Errorf(ferry.ENOTFOUND, "no page %q", page)
	}
	if etag != "" && etag == p.ETag {
		return &ferry.RepositoryPage{ETag: etag, NotModified: true}, nil
	}
	copy := *p
	return &copy, nil
}

func (f *fakeClient) CreateRepository(_ context.Context, name string, private bool) (*ferry.Repository, error) {
	f.created = append(f.created, name)
	return &ferry.Repository{Name: name, FullName: "acme/" + name, Private: private}, nil
}

func (f *fakeClient) CreateWebhook(context.Context, string, string, string, []string) (string, error) {
	return "", fmt.Errorf("not used")
}
func (f *fakeClient) DeleteWebhook(context.Context, string, string) error {
	return fmt.Errorf("not used")
}
func (f *fakeClient) AddDeployKey(context.Context, string, string, string, bool) (string, error) {
	return "", fmt.Errorf("not used")
}
func (f *fakeClient) RemoveDeployKey(context.Context, string, string) error {
	return fmt.Errorf("not used")
}

func repos(names ...string) []ferry.Repository {
	var out []ferry.Repository
	for _, n := range names {
		out = append(out, ferry.Repository{Name: n, FullName: "acme/" + n})
	}
	return out
}

// newService returns a service over a fresh SQLite database holding provider "acme" (of
// kind github, served by fake) and its clock.
func newService(t *testing.T, fake *fakeClient) (*provider.Service, *sqlstore.DB, *pt.Clock) {
	t.Helper()
	ctx := context.Background()
	clock := pt.NewClock(time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC))
	box, err := secretbox.New(bytes.Repeat([]byte{7}, secretbox.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlstore.Open(ctx, sqlstore.Config{DataDir: t.TempDir(), Sealer: box, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.CreateCredential(ctx, &ferry.Credential{Name: "tok", Kind: ferry.CredentialToken, Secret: &ferry.CredentialSecret{Token: "t0k-service"}}); err != nil {
		t.Fatal(err)
	}
	reg := provider.NewRegistry(provider.RegistryConfig{Credentials: db, Policy: ferry.URLPolicy{}, Now: clock.Now},
		map[string]provider.Constructor{ferry.ProviderGitHub: func(*provider.Config) (ferry.ProviderClient, error) { return fake, nil }})
	s := &provider.Service{Store: db, Registry: reg, Now: clock.Now}
	if err := s.CreateProvider(ctx, &ferry.Provider{Name: "acme", Kind: ferry.ProviderGitHub, Owner: "acme", Credential: "tok"}); err != nil {
		t.Fatal(err)
	}
	return s, db, clock
}

func names(l *ferry.RepositoryList) string {
	var n []string
	for _, r := range l.Repositories {
		n = append(n, r.Name)
	}
	return strings.Join(n, ",")
}

func TestRepositoriesCacheAndRefresh(t *testing.T) {
	ctx := context.Background()
	fake := &fakeClient{pages: map[string]*ferry.RepositoryPage{
		"":   {Repositories: repos("a", "b"), Next: "p2", ETag: `"e1"`},
		"p2": {Repositories: repos("c"), ETag: `"e2"`},
	}}
	s, _, clock := newService(t, fake)

	// Never fetched: the first read fetches every page.
	l, err := s.Repositories(ctx, "acme", false)
	if err != nil {
		t.Fatal(err)
	}
	if names(l) != "a,b,c" || l.FetchedAt == nil || !l.FetchedAt.Equal(clock.Now()) || strings.Join(fake.calls, " ") != "| p2|" {
		t.Fatalf("first read = %s at %v, calls %v", names(l), l.FetchedAt, fake.calls)
	}
	// Then the cache answers.
	clock.Advance(time.Hour)
	if l, err = s.Repositories(ctx, "acme", false); err != nil || names(l) != "a,b,c" || len(fake.calls) != 2 {
		t.Fatalf("cached read = %s, %v, calls %v", names(l), err, fake.calls)
	}
	// A refresh asks conditionally; unchanged pages keep their cached repositories.
	fake.calls = nil
	if l, err = s.Repositories(ctx, "acme", true); err != nil {
		t.Fatal(err)
	}
	if names(l) != "a,b,c" || !l.FetchedAt.Equal(clock.Now()) || strings.Join(fake.calls, " ") != `|"e1" p2|"e2"` {
		t.Fatalf("refresh = %s at %v, calls %v", names(l), l.FetchedAt, fake.calls)
	}
	// A changed second page is fetched again.
	fake.pages["p2"] = &ferry.RepositoryPage{Repositories: repos("c", "d"), ETag: `"e3"`}
	if l, err = s.Repositories(ctx, "acme", true); err != nil || names(l) != "a,b,c,d" {
		t.Fatalf("refresh after a change = %s, %v", names(l), err)
	}
	// A failed refresh (rate limited) keeps the cache as it was.
	fake.listErr = ferry.Errorf(ferry.EUNAVAILABLE, "github: the provider's rate limit is reached; retry after …")
	clock.Advance(time.Hour)
	_, err = s.Repositories(ctx, "acme", true)
	pt.WantCode(t, err, ferry.EUNAVAILABLE, "rate limit")
	fake.listErr = nil
	if l, err = s.Repositories(ctx, "acme", false); err != nil || names(l) != "a,b,c,d" || l.FetchedAt.Equal(clock.Now()) {
		t.Fatalf("cache after a failed refresh = %s at %v, %v", names(l), l.FetchedAt, err)
	}
}

func TestRefreshLoop(t *testing.T) {
	fake := &fakeClient{pages: map[string]*ferry.RepositoryPage{
		"":   {Repositories: repos("a"), Next: "p2"},
		"p2": {Repositories: repos("b"), Next: "p2"},
	}}
	s, _, _ := newService(t, fake)
	_, err := s.Repositories(context.Background(), "acme", true)
	pt.WantCode(t, err, ferry.EUNAVAILABLE, "loop")
	if len(fake.calls) != 2 {
		t.Errorf("calls = %v", fake.calls)
	}
}

func TestCreateRepositoryAddsToCache(t *testing.T) {
	ctx := context.Background()
	fake := &fakeClient{pages: map[string]*ferry.RepositoryPage{"": {Repositories: repos("a"), ETag: `"e1"`}}}
	s, _, _ := newService(t, fake)
	if _, err := s.Repositories(ctx, "acme", true); err != nil {
		t.Fatal(err)
	}
	_, err := s.CreateRepository(ctx, "acme", ferry.RepositoryRequest{Name: "-bad"})
	pt.WantCode(t, err, ferry.EINVALID, "Repository name")
	repo, err := s.CreateRepository(ctx, "acme", ferry.RepositoryRequest{Name: "payments-config", Private: true})
	if err != nil || repo.FullName != "acme/payments-config" || !repo.Private {
		t.Fatalf("create = %+v, %v", repo, err)
	}
	l, err := s.Repositories(ctx, "acme", false)
	if err != nil || names(l) != "a,payments-config" {
		t.Fatalf("cache = %s, %v", names(l), err)
	}
	// The ETags are dropped, so the next refresh fetches the page again in full.
	fake.calls = nil
	if _, err := s.Repositories(ctx, "acme", true); err != nil {
		t.Fatal(err)
	}
	if strings.Join(fake.calls, " ") != "|" {
		t.Errorf("calls = %v, want an unconditional request", fake.calls)
	}
}

func TestValidateProvider(t *testing.T) {
	ctx := context.Background()
	fake := &fakeClient{validate: func() (ferry.ProviderStatus, error) {
		return ferry.ProviderStatus{Valid: false, Login: "octocat", Missing: []string{"admin:repo_hook"}, Message: "lacks admin:repo_hook"}, nil
	}}
	s, db, clock := newService(t, fake)
	p, err := s.ValidateProvider(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if p.Status.Valid || p.Status.CheckedAt == nil || !p.Status.CheckedAt.Equal(clock.Now()) || strings.Join(p.Status.Missing, ",") != "admin:repo_hook" {
		t.Fatalf("status = %+v", p.Status)
	}
	stored, err := db.FindProvider(ctx, "acme")
	if err != nil || stored.Status.Login != "octocat" || strings.Join(stored.Status.Missing, ",") != "admin:repo_hook" || !stored.Status.CheckedAt.Equal(clock.Now()) {
		t.Fatalf("stored = %+v, %v", stored, err)
	}

	// A provider that cannot answer leaves the status as it was.
	fake.validate = func() (ferry.ProviderStatus, error) {
		return ferry.ProviderStatus{}, ferry.Errorf(ferry.EUNAVAILABLE, "github: cannot reach api.github.com")
	}
	clock.Advance(time.Minute)
	_, err = s.ValidateProvider(ctx, "acme")
	pt.WantCode(t, err, ferry.EUNAVAILABLE, "cannot reach")
	if stored, _ := db.FindProvider(ctx, "acme"); stored.Status.CheckedAt.Equal(clock.Now()) {
		t.Error("an unanswered validation replaced the status")
	}

	fake.validate = func() (ferry.ProviderStatus, error) {
		return ferry.ProviderStatus{Valid: true, Login: "octocat", Message: "ok"}, nil
	}
	if p, err = s.ValidateProvider(ctx, "acme"); err != nil || !p.Status.Valid || len(p.Status.Missing) != 0 {
		t.Fatalf("valid = %+v, %v", p, err)
	}
	if stored, _ := db.FindProvider(ctx, "acme"); !stored.Status.Valid || len(stored.Status.Missing) != 0 {
		t.Errorf("stored = %+v", stored.Status)
	}
	_, err = s.ValidateProvider(ctx, "nope")
	pt.WantCode(t, err, ferry.ENOTFOUND)
}

func TestCreateProviderChecks(t *testing.T) {
	ctx := context.Background()
	s, db, _ := newService(t, &fakeClient{})
	if err := db.CreateCredential(ctx, &ferry.Credential{Name: "basic", Kind: ferry.CredentialBasic, Username: "u", Secret: &ferry.CredentialSecret{Password: "p"}}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		p    ferry.Provider
		code string
		want string
	}{
		{"policy", ferry.Provider{Name: "x", Kind: "github", BaseURL: "http://ghe.example.com/api/v3", Owner: "o", Credential: "tok"}, ferry.EINVALID, "unencrypted http://"},
		{"unknown credential", ferry.Provider{Name: "x", Kind: "github", Owner: "o", Credential: "nope"}, ferry.ENOTFOUND, "create it first"},
		{"no client", ferry.Provider{Name: "x", Kind: "gitlab", Owner: "o", Credential: "tok"}, ferry.EINVALID, "no client for gitlab"},
		{"taken", ferry.Provider{Name: "acme", Kind: "github", Owner: "o", Credential: "tok"}, ferry.ECONFLICT, "exists already"},
		{"bad kind", ferry.Provider{Name: "x", Kind: "svn", Owner: "o", Credential: "tok"}, ferry.EINVALID, `"svn" is not one of`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pt.WantCode(t, s.CreateProvider(ctx, &tc.p), tc.code, tc.want)
		})
	}
}
