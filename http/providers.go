package http

import (
	"net/http"
	"net/url"

	"github.com/ferrygit/ferry"
)

// maxProviderRequest limits the body of a provider or repository request.
const maxProviderRequest = 64 << 10

// registerProviderRoutes registers the routes of provider connections and their repositories.
func (s *Server) registerProviderRoutes(mux *http.ServeMux) {
	s.api(mux, "POST /api/v1/providers", ferry.PermProviders, s.handleCreateProvider)
	s.apiAnywhere(mux, "GET /api/v1/providers", s.handleListProviders, ferry.PermProviders, ferry.PermBindingsManage)
	s.apiAnywhere(mux, "GET /api/v1/providers/{p}", s.handleGetProvider, ferry.PermProviders, ferry.PermBindingsManage)
	s.api(mux, "DELETE /api/v1/providers/{p}", ferry.PermProviders, s.handleDeleteProvider)
	s.api(mux, "POST /api/v1/providers/{p}/validate", ferry.PermProviders, s.handleValidateProvider)
	s.apiAnywhere(mux, "GET /api/v1/providers/{p}/repositories", s.handleListRepositories, ferry.PermProviders, ferry.PermBindingsManage)
	s.api(mux, "POST /api/v1/providers/{p}/repositories", ferry.PermProviders, s.handleCreateRepository)
}

// ProviderRequest is the body of POST /api/v1/providers. BaseURL may be left out for the
// hosted services (github, gitlab, bitbucket-cloud, azure-devops).
type ProviderRequest struct {
	Name       string `json:"name"`
	Kind       string `json:"kind"`
	BaseURL    string `json:"base_url,omitempty"`
	Owner      string `json:"owner"`
	ProjectKey string `json:"project_key,omitempty"`
	Credential string `json:"credential"`
}

// providersReady answers 503 and returns false when the server has no provider service.
func (s *Server) providersReady(w http.ResponseWriter, r *http.Request) bool {
	if s.Providers == nil {
		s.writeError(w, r, ferry.Errorf(ferry.EUNAVAILABLE, "This server has no provider connections."))
		return false
	}
	return true
}

// providerParam returns the {p} path parameter. Returns EINVALID for a bad name.
func providerParam(r *http.Request) (string, error) {
	name := r.PathValue("p")
	if err := ferry.ValidateNamespaceName(name); err != nil {
		return "", ferry.Errorf(ferry.EINVALID, "Provider name: %s", ferry.ErrorMessage(err))
	}
	return name, nil
}

func (s *Server) handleCreateProvider(w http.ResponseWriter, r *http.Request) {
	if !s.providersReady(w, r) {
		return
	}
	var req ProviderRequest
	if err := decodeJSON(w, r, maxProviderRequest, &req, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	p := &ferry.Provider{Name: req.Name, Kind: req.Kind, BaseURL: req.BaseURL, Owner: req.Owner, ProjectKey: req.ProjectKey, Credential: req.Credential}
	if err := s.Providers.CreateProvider(r.Context(), p); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", apiPrefix+"/providers/"+url.PathEscape(p.Name))
	writeJSON(w, http.StatusCreated, p)
}

func (s *Server) handleListProviders(w http.ResponseWriter, r *http.Request) {
	if !s.providersReady(w, r) {
		return
	}
	page, err := pageParams(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	items, next, err := s.Providers.ListProviders(r.Context(), page)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeList(w, items, next)
}

func (s *Server) handleGetProvider(w http.ResponseWriter, r *http.Request) {
	if !s.providersReady(w, r) {
		return
	}
	name, err := providerParam(r)
	var p *ferry.Provider
	if err == nil {
		p, err = s.Providers.FindProvider(r.Context(), name)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Server) handleDeleteProvider(w http.ResponseWriter, r *http.Request) {
	if !s.providersReady(w, r) {
		return
	}
	name, err := providerParam(r)
	if err == nil {
		err = s.Providers.DeleteProvider(r.Context(), name)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleValidateProvider(w http.ResponseWriter, r *http.Request) {
	if !s.providersReady(w, r) {
		return
	}
	if err := decodeJSON(w, r, maxProviderRequest, &struct{}{}, true); err != nil {
		s.writeError(w, r, err)
		return
	}
	name, err := providerParam(r)
	var p *ferry.Provider
	if err == nil {
		p, err = s.Providers.ValidateProvider(r.Context(), name)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// handleListRepositories answers with the cached repository list; ?refresh=true fetches
// it from the provider first.
func (s *Server) handleListRepositories(w http.ResponseWriter, r *http.Request) {
	if !s.providersReady(w, r) {
		return
	}
	refresh, err := boolParam(r, "refresh")
	var name string
	if err == nil {
		name, err = providerParam(r)
	}
	var l *ferry.RepositoryList
	if err == nil {
		l, err = s.Providers.Repositories(r.Context(), name, refresh)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if l.Repositories == nil {
		l.Repositories = []ferry.Repository{}
	}
	writeJSON(w, http.StatusOK, l)
}

func (s *Server) handleCreateRepository(w http.ResponseWriter, r *http.Request) {
	if !s.providersReady(w, r) {
		return
	}
	var req ferry.RepositoryRequest
	if err := decodeJSON(w, r, maxProviderRequest, &req, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	name, err := providerParam(r)
	var repo *ferry.Repository
	if err == nil {
		repo, err = s.Providers.CreateRepository(r.Context(), name, req)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, repo)
}
