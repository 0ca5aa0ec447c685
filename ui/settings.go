package ui

import "net/http"

// registerSettingsPages registers the configuration pages.
func (s *Server) registerSettingsPages(mux *http.ServeMux) {}
