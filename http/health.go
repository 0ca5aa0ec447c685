package http

import (
	"net/http"

	"github.com/ferrygit/ferry"
)

// registerHealthRoutes registers the probes and the metrics, which need no token.
func (s *Server) registerHealthRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", s.handleHealthz)
	mux.HandleFunc("GET /readyz", s.handleReadyz)
	mux.Handle("GET /metrics", s.handleMetrics())
}

type statusResponse struct {
	Status string `json:"status"`
}

// handleHealthz answers 200 while the process serves requests.
func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, statusResponse{Status: "ok"})
}

// handleReadyz answers 200 when the server can do its work and 503 when it cannot. The
// reason is logged, not shown: the route needs no token.
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	if s.Ready != nil {
		if err := s.Ready(r.Context()); err != nil {
			s.logger().Warn("not ready", "err", err)
			s.writeError(w, r, ferry.Errorf(ferry.EUNAVAILABLE, "Ferry is not ready: its database does not answer."))
			return
		}
	}
	writeJSON(w, http.StatusOK, statusResponse{Status: "ok"})
}
