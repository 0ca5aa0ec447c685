package provider

import (
	"context"
	"log/slog"
	"time"

	"github.com/ferrygit/ferry"
)

// DefaultMaxPages bounds one refresh of a repository list.
const DefaultMaxPages = 500

// Service implements ferry.ProviderManager: provider connections kept in Store and
// called through Registry.
type Service struct {
	Store    ferry.ProviderService
	Registry *Registry
	Logger   *slog.Logger     // nil: no logging
	Now      func() time.Time // nil: time.Now
	MaxPages int              // pages one refresh may fetch; DefaultMaxPages when 0
}

var _ ferry.ProviderManager = (*Service)(nil)

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC()
	}
	return s.Now().UTC()
}

// CreateProvider validates p, checks that the URL policy allows its base URL and that its
// credential exists and fits the kind, and stores it. It does not call the provider.
func (s *Service) CreateProvider(ctx context.Context, p *ferry.Provider) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if _, err := s.Registry.Connect(ctx, p); err != nil {
		return err
	}
	return s.Store.CreateProvider(ctx, p)
}

// FindProvider returns provider name.
func (s *Service) FindProvider(ctx context.Context, name string) (*ferry.Provider, error) {
	return s.Store.FindProvider(ctx, name)
}

// ListProviders returns one page of providers.
func (s *Service) ListProviders(ctx context.Context, page ferry.Page) ([]*ferry.Provider, string, error) {
	return s.Store.ListProviders(ctx, page)
}

// DeleteProvider removes provider name and its repository cache.
func (s *Service) DeleteProvider(ctx context.Context, name string) error {
	return s.Store.DeleteProvider(ctx, name)
}

// Client returns a client for provider name's API.
func (s *Service) Client(ctx context.Context, name string) (ferry.ProviderClient, error) {
	p, err := s.Store.FindProvider(ctx, name)
	if err != nil {
		return nil, err
	}
	return s.Registry.Connect(ctx, p)
}

// ValidateProvider calls the provider and stores what it found. A provider that cannot
// answer (EUNAVAILABLE) or an internal failure leaves the old status and returns the
// error; anything else the user must fix — a refused credential, a missing scope, a base
// URL the policy now refuses — is stored as an invalid status.
func (s *Service) ValidateProvider(ctx context.Context, name string) (*ferry.Provider, error) {
	p, err := s.Store.FindProvider(ctx, name)
	if err != nil {
		return nil, err
	}
	var st ferry.ProviderStatus
	c, err := s.Registry.Connect(ctx, p)
	if err == nil {
		st, err = c.Validate(ctx)
	}
	if err != nil {
		switch ferry.ErrorCode(err) {
		case ferry.EUNAVAILABLE, ferry.EINTERNAL:
			return nil, err
		}
		st = ferry.ProviderStatus{Message: ferry.ErrorMessage(err)}
	}
	now := s.now()
	st.CheckedAt = &now
	if err := s.Store.SetProviderStatus(ctx, name, st); err != nil {
		return nil, err
	}
	p.Status = st
	if s.Logger != nil {
		s.Logger.Info("provider validated", "provider", name, "kind", p.Kind, "valid", st.Valid, "missing", st.Missing)
	}
	return p, nil
}

// Repositories returns the cached list, refreshing it first when asked or never fetched.
func (s *Service) Repositories(ctx context.Context, name string, refresh bool) (*ferry.RepositoryList, error) {
	l, err := s.Store.FindRepositoryList(ctx, name)
	if err != nil {
		return nil, err
	}
	if l.FetchedAt != nil && !refresh {
		return l, nil
	}
	return s.Refresh(ctx, name, l)
}

// Refresh fetches every page of provider name's repositories, asking for each page
// conditionally with the ETag it had in old, and stores the result. On any failure the
// cache stays as it was.
func (s *Service) Refresh(ctx context.Context, name string, old *ferry.RepositoryList) (*ferry.RepositoryList, error) {
	c, err := s.Client(ctx, name)
	if err != nil {
		return nil, err
	}
	cached := map[string]ferry.RepositoryPage{}
	if old != nil {
		for _, p := range old.Pages {
			cached[p.Page] = p
		}
	}
	max := s.MaxPages
	if max <= 0 {
		max = DefaultMaxPages
	}
	seen := map[string]bool{}
	l := &ferry.RepositoryList{Provider: name, Repositories: []ferry.Repository{}}
	unchanged := 0
	for token := ""; ; {
		if seen[token] {
			return nil, ferry.Errorf(ferry.EUNAVAILABLE, "The provider's pages of repositories run in a loop; try again later.")
		}
		if len(l.Pages) >= max {
			return nil, ferry.Errorf(ferry.EUNAVAILABLE, "The provider has more than %d pages of repositories; Ferry stops there.", max)
		}
		seen[token] = true
		prev, ok := cached[token]
		etag := ""
		if ok {
			etag = prev.ETag
		}
		page, err := c.ListRepositories(ctx, token, etag)
		if err != nil {
			return nil, err
		}
		if page.NotModified {
			if !ok {
				return nil, ferry.Errorf(ferry.EUNAVAILABLE, "The provider answered 304 Not Modified to a request that was not conditional.")
			}
			page, unchanged = &prev, unchanged+1
		}
		page.Page = token
		if page.Repositories == nil {
			page.Repositories = []ferry.Repository{}
		}
		l.Pages = append(l.Pages, *page)
		l.Repositories = append(l.Repositories, page.Repositories...)
		if page.Next == "" {
			break
		}
		token = page.Next
	}
	if err := s.Store.SaveRepositoryList(ctx, name, l); err != nil {
		return nil, err
	}
	if s.Logger != nil {
		s.Logger.Info("provider repositories refreshed", "provider", name, "repositories", len(l.Repositories),
			"pages", len(l.Pages), "unchanged_pages", unchanged)
	}
	return l, nil
}

// CreateRepository creates a repository with the provider and adds it to the cached list,
// whose ETags it drops so that the next refresh fetches every page again.
func (s *Service) CreateRepository(ctx context.Context, name string, req ferry.RepositoryRequest) (*ferry.Repository, error) {
	if err := ferry.ValidateRepositoryName(req.Name); err != nil {
		return nil, err
	}
	c, err := s.Client(ctx, name)
	if err != nil {
		return nil, err
	}
	repo, err := c.CreateRepository(ctx, req.Name, req.Private)
	if err != nil {
		return nil, err
	}
	if err := s.addToCache(ctx, name, *repo); err != nil && s.Logger != nil {
		s.Logger.Warn("the new repository is not in the cached list until the next refresh", "provider", name, "err", err)
	}
	return repo, nil
}

func (s *Service) addToCache(ctx context.Context, name string, repo ferry.Repository) error {
	l, err := s.Store.FindRepositoryList(ctx, name)
	if err != nil || l.FetchedAt == nil {
		return err
	}
	if len(l.Pages) == 0 {
		l.Pages = []ferry.RepositoryPage{{Repositories: []ferry.Repository{}}}
	}
	last := &l.Pages[len(l.Pages)-1]
	last.Repositories = append(last.Repositories, repo)
	for i := range l.Pages {
		l.Pages[i].ETag = ""
	}
	return s.Store.SaveRepositoryList(ctx, name, l)
}

// RefreshAll refreshes the repository list of every provider, as the nightly job does.
// A provider that fails is logged and skipped.
func (s *Service) RefreshAll(ctx context.Context) error {
	page := ferry.Page{Limit: ferry.MaxPageLimit}
	for {
		items, next, err := s.Store.ListProviders(ctx, page)
		if err != nil {
			return err
		}
		for _, p := range items {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			old, err := s.Store.FindRepositoryList(ctx, p.Name)
			if err == nil {
				_, err = s.Refresh(ctx, p.Name, old)
			}
			if err != nil && s.Logger != nil {
				s.Logger.Warn("provider repositories not refreshed", "provider", p.Name, "code", ferry.ErrorCode(err), "message", ferry.ErrorMessage(err))
			}
		}
		if next == "" {
			return nil
		}
		page.Cursor = next
	}
}
