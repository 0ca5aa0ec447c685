package ui

import "net/http"

// registerCatalogPages registers the catalog pages of a namespace.
func (s *Server) registerCatalogPages(mux *http.ServeMux) {}
