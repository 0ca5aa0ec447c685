package http

import (
	"net/http"

	"github.com/ferrygit/ferry"
)

// registerPushRoutes registers the route that pushes a binding to Git.
func (s *Server) registerPushRoutes(mux *http.ServeMux) {
	s.api(mux, "POST /api/v1/namespaces/{ns}/bindings/{b}/push", ferry.PermSyncTrigger, s.handlePush)
}

// pullBody is the optional body of POST …/bindings/{b}/pull: {"force":…,"dry_run":…}.
type pullBody struct {
	Force  bool `json:"force"`
	DryRun bool `json:"dry_run"`
}

// pusherReady answers 503 and returns false when the server has no pusher.
func (s *Server) pusherReady(w http.ResponseWriter, r *http.Request) bool {
	if s.Pusher == nil {
		s.writeError(w, r, ferry.Errorf(ferry.EUNAVAILABLE, "This server does not push to Git or plan syncs."))
		return false
	}
	return true
}

// handlePush pushes a binding's directory to its branch. The body, a ferry.PushRequest, is
// optional and read strictly; a request that could never run (a tag name Git refuses, say)
// is answered 400 before anything is queued. With "dry_run":true it answers 200 with the
// ferry.SyncPlan of the push. Otherwise it queues the push and answers 202 with its run or,
// with ?wait=true, 200 with the run once it is done (202 with the run as it is if the wait
// timed out), as a pull does.
func (s *Server) handlePush(w http.ResponseWriter, r *http.Request) {
	if !s.pusherReady(w, r) {
		return
	}
	ns, name, err := bindingParams(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	wait, timeout, err := waitParams(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req ferry.PushRequest
	if err := decodeJSON(w, r, s.maxRequestSize(), &req, true); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := req.Validate(); err != nil {
		s.writeError(w, r, err)
		return
	}
	req.Trigger, req.Actor = triggerOf(r), actorFrom(r.Context())
	if req.DryRun {
		plan, err := s.Pusher.PlanPush(r.Context(), ns, name, req)
		s.writePlan(w, r, plan, err)
		return
	}
	if wait && (!s.syncReady(w, r) || !s.bindingsReady(w, r)) {
		return // waiting needs the sync service and the runs
	}
	run, err := s.Pusher.Push(r.Context(), ns, name, req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !wait {
		writeJSON(w, http.StatusAccepted, run)
		return
	}
	runs, done, err := s.waitRuns(r.Context(), []*ferry.Run{run}, timeout)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, waitStatus(done), runs[0])
}

// planPull answers a pull's dry run: 200 with what the pull would change in the namespace.
func (s *Server) planPull(w http.ResponseWriter, r *http.Request, ns, name string, req ferry.PullRequest) {
	if !s.pusherReady(w, r) {
		return
	}
	plan, err := s.Pusher.PlanPull(r.Context(), ns, name, req)
	s.writePlan(w, r, plan, err)
}

// writePlan answers 200 with a dry run's plan, whose changes are never null, or with err.
func (s *Server) writePlan(w http.ResponseWriter, r *http.Request, plan *ferry.SyncPlan, err error) {
	if err == nil && plan == nil {
		err = ferry.Errorf(ferry.EINTERNAL, "The dry run returned no plan.")
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := *plan
	if out.Changes == nil {
		out.Changes = []ferry.PlanChange{}
	}
	writeJSON(w, http.StatusOK, &out)
}
