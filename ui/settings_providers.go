package ui

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ferrygit/ferry"
	fhttp "github.com/ferrygit/ferry/http"
)

// registerProviderPages registers the provider pages: the connections with their
// validation, creating, validating and deleting one, and a connection's repositories.
func (s *Server) registerProviderPages(mux *http.ServeMux) {
	s.page(mux, "GET /settings/providers", s.providersPage)
	s.page(mux, "POST /settings/providers", s.createProvider)
	s.page(mux, "POST /settings/providers/{name}/validate", s.validateProvider)
	s.page(mux, "GET /settings/providers/{name}/repositories", s.repositoriesPage)
	s.page(mux, "POST /settings/providers/{name}/repositories", s.refreshRepositories)
	s.page(mux, "GET /settings/providers/{name}/delete", s.deleteProviderPage)
	s.page(mux, "POST /settings/providers/{name}/delete", s.deleteProvider)
}

func (s *Server) providersPage(c *call) error {
	return s.showProviders(c, fhttp.ProviderRequest{Kind: ferry.ProviderGitHub}, nil)
}

// showProviders renders the provider list and the create form filled in with form.
func (s *Server) showProviders(c *call, form fhttp.ProviderRequest, failed error) error {
	items, next, err := c.client.ListProviders(c.ctx(), ferry.Page{Limit: pageSize, Cursor: c.r.URL.Query().Get("cursor")})
	data := map[string]any{"Providers": items, "Next": next, "Form": form, "Kinds": ferry.ProviderKinds,
		"Listed": err == nil}
	if err == nil {
		data["Credentials"] = credentialNames(c)
	}
	return s.renderSettings(c, "providers", "settings_providers", "Providers", data, firstFailure(failed, err))
}

// credentialNames returns the names of up to listLimit credentials, or nil when they
// cannot be listed (the form then asks for a name).
func credentialNames(c *call) []string {
	var names []string
	page := ferry.Page{Limit: ferry.MaxPageLimit}
	for len(names) < listLimit {
		items, next, err := c.client.ListCredentials(c.ctx(), page)
		if err != nil {
			return nil
		}
		for _, cr := range items {
			names = append(names, cr.Name)
		}
		if next == "" {
			break
		}
		page.Cursor = next
	}
	return names
}

func (s *Server) createProvider(c *call) error {
	f := c.r.PostForm
	req := fhttp.ProviderRequest{Name: strings.TrimSpace(f.Get("name")), Kind: f.Get("kind"), BaseURL: strings.TrimSpace(f.Get("base_url")),
		Owner: strings.TrimSpace(f.Get("owner")), ProjectKey: strings.TrimSpace(f.Get("project_key")), Credential: f.Get("credential")}
	p, err := c.client.CreateProvider(c.ctx(), req)
	if err != nil {
		return s.showProviders(c, req, err)
	}
	return redirect(c, "/settings/providers", "Provider "+p.Name+" added; validate it to check its credential.")
}

func (s *Server) validateProvider(c *call) error {
	name := c.r.PathValue("name")
	p, err := c.client.ValidateProvider(c.ctx(), name)
	if err != nil {
		return s.showProviders(c, fhttp.ProviderRequest{Kind: ferry.ProviderGitHub}, err)
	}
	return redirect(c, "/settings/providers", providerVerdict(p))
}

// providerVerdict says in a sentence what validating p found.
func providerVerdict(p *ferry.Provider) string {
	st := p.Status
	if st.Valid {
		msg := "Provider " + p.Name + " is valid"
		if st.Login != "" {
			msg += ": it acts as " + st.Login
		}
		return msg + "."
	}
	msg := "Provider " + p.Name + " is not ready"
	if len(st.Missing) > 0 {
		msg += ": its credential lacks " + strings.Join(st.Missing, ", ")
	}
	msg += "."
	if st.Message != "" {
		msg += " " + st.Message
	}
	return msg
}

// repoPageSize is how many repositories the repositories page shows at a time.
const repoPageSize = 100

func (s *Server) repositoriesPage(c *call) error {
	return s.showRepositories(c, false)
}

func (s *Server) refreshRepositories(c *call) error {
	return s.showRepositories(c, true)
}

// showRepositories renders the provider's cached repositories, fetched first when refresh
// is set, from ?offset=.
func (s *Server) showRepositories(c *call, refresh bool) error {
	name := c.r.PathValue("name")
	p, err := c.client.FindProvider(c.ctx(), name)
	if err != nil {
		return err
	}
	l, err := c.client.ListRepositories(c.ctx(), name, refresh)
	data := map[string]any{"Provider": p, "List": l}
	if err == nil {
		offset, _ := strconv.Atoi(c.r.URL.Query().Get("offset"))
		offset = max(0, min(offset, len(l.Repositories)))
		end := min(offset+repoPageSize, len(l.Repositories))
		data["Repositories"], data["Offset"], data["Total"] = l.Repositories[offset:end], offset, len(l.Repositories)
		if end < len(l.Repositories) {
			data["NextOffset"] = end
		}
		if refresh {
			data["Refreshed"] = fmt.Sprintf("Fetched %d repositories from %s.", len(l.Repositories), p.Name)
		}
	}
	return s.renderSettings(c, "providers", "settings_repositories", "Repositories of "+name, data, err)
}

// deleteProviderQuestion asks before provider name is deleted.
func deleteProviderQuestion(name string) confirmation {
	return confirmation{Tab: "providers", Heading: "Delete " + name,
		Question: "Delete provider connection " + name + "?",
		Details:  []string{"Its cached repository list goes with it; the credential it uses stays. A provider that bindings were made through cannot be deleted."},
		Action:   "/settings/providers/" + url.PathEscape(name) + "/delete", Button: "Delete the provider", Danger: true, Back: "/settings/providers"}
}

func (s *Server) deleteProviderPage(c *call) error {
	name := c.r.PathValue("name")
	if _, err := c.client.FindProvider(c.ctx(), name); err != nil {
		return err
	}
	return s.confirmPage(c, deleteProviderQuestion(name), nil)
}

func (s *Server) deleteProvider(c *call) error {
	name := c.r.PathValue("name")
	if err := c.client.DeleteProvider(c.ctx(), name); err != nil {
		return s.confirmPage(c, deleteProviderQuestion(name), err)
	}
	return redirect(c, "/settings/providers", "Provider "+name+" deleted.")
}
