package http

import (
	"context"
	"net/http"

	"github.com/ferrygit/ferry"
)

// registerCheckRoutes registers "check availability".
func (s *Server) registerCheckRoutes(mux *http.ServeMux) {
	s.apiAnywhere(mux, "POST /api/v1/check", s.handleCheck, ferry.PermBindingsManage, ferry.PermCredentials)
}

// handleCheck answers 200 with the check's result whether or not the remote could be
// reached: a failure of the remote is a finding, not an error of the request.
func (s *Server) handleCheck(w http.ResponseWriter, r *http.Request) {
	if s.Checker == nil {
		s.writeError(w, r, ferry.Errorf(ferry.EUNAVAILABLE, "This server has no git engine."))
		return
	}
	var req ferry.CheckRequest
	if err := decodeJSON(w, r, s.maxRequestSize(), &req, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	res, err := s.Checker.Check(r.Context(), req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// Check asks the server whether it can reach a repository with a credential.
func (c *Client) Check(ctx context.Context, req ferry.CheckRequest) (*ferry.CheckResult, error) {
	body, err := jsonBody(req)
	if err != nil {
		return nil, err
	}
	var res ferry.CheckResult
	if _, err := c.call(ctx, request{method: http.MethodPost, path: "/check", body: body, json: true}, &res); err != nil {
		return nil, err
	}
	return &res, nil
}
