package ui

import "net/http"

// registerBindingPages registers the Git version control pages of a namespace.
func (s *Server) registerBindingPages(mux *http.ServeMux) {}
