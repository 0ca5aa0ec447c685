package ui

import "net/http"

// registerBindingPages registers the Git version control pages of a namespace.
func (s *Server) registerBindingPages(mux *http.ServeMux) {}

// registerSettingsPages registers the configuration pages.
func (s *Server) registerSettingsPages(mux *http.ServeMux) {}

// registerCatalogPages registers the catalog pages of a namespace.
func (s *Server) registerCatalogPages(mux *http.ServeMux) {}
