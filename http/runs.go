package http

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/ferrygit/ferry"
)

const (
	// DefaultWaitTimeout is how long, in seconds, a request with ?wait=true waits for its
	// runs when it gives no ?timeout=.
	DefaultWaitTimeout = 120

	// MaxWaitTimeout is the longest ?timeout= a request may give, in seconds.
	MaxWaitTimeout = 900
)

// registerRunRoutes registers the routes that start pulls and show runs.
func (s *Server) registerRunRoutes(mux *http.ServeMux) {
	s.api(mux, "POST /api/v1/namespaces/{ns}/bindings/{b}/pull", ferry.PermSyncTrigger, s.handlePull)
	s.api(mux, "POST /api/v1/namespaces/{ns}/sync", ferry.PermSyncTrigger, s.handleSync)
	s.api(mux, "GET /api/v1/namespaces/{ns}/bindings/{b}/runs", ferry.PermNamespacesRead, s.handleListRuns)
	s.api(mux, "GET /api/v1/namespaces/{ns}/bindings/{b}/runs/{id}", ferry.PermNamespacesRead, s.handleGetRun)
}

// waitParams reads ?wait= and ?timeout= (whole seconds, 1 to MaxWaitTimeout, default
// DefaultWaitTimeout). Returns EINVALID for a bad value.
func waitParams(r *http.Request) (wait bool, timeout time.Duration, err error) {
	if wait, err = boolParam(r, "wait"); err != nil {
		return false, 0, err
	}
	secs := DefaultWaitTimeout
	if v := r.URL.Query().Get("timeout"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxWaitTimeout {
			return false, 0, ferry.Errorf(ferry.EINVALID, "Parameter timeout must be a whole number of seconds from 1 to %d (got %q).", MaxWaitTimeout, clip(v))
		}
		secs = n
	}
	return wait, time.Duration(secs) * time.Second, nil
}

// waitRuns waits, for at most timeout in all, until each run is done, and returns the runs
// as they then are and whether all are done. Returns the error of a failed wait, not that
// of the timeout.
func (s *Server) waitRuns(ctx context.Context, runs []*ferry.Run, timeout time.Duration) ([]*ferry.Run, bool, error) {
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if s.closing != nil {
		defer context.AfterFunc(s.closing, cancel)() // a shutdown ends the wait, not the request
	}
	out := make([]*ferry.Run, len(runs))
	done := true
	for i, run := range runs {
		got, err := s.Sync.WaitRun(wctx, run.ID)
		switch {
		case ctx.Err() != nil:
			return nil, false, ferry.Errorf(ferry.EUNAVAILABLE, "The request ended while it waited for run %d.", run.ID)
		case err != nil && wctx.Err() == nil:
			return nil, false, err
		case err != nil || got == nil:
			// The wait timed out: answer with the run as it is now.
			if got, err = s.Runs.FindRun(ctx, run.Namespace, run.Binding, run.ID); err != nil {
				return nil, false, err
			}
		}
		out[i] = got
		done = done && got.State == ferry.RunDone
	}
	return out, done, nil
}

// pullRequest reads the optional {"force":…,"dry_run":…} body of a pull, strictly, and
// returns the request and whether it asks for a dry run.
func (s *Server) pullRequest(w http.ResponseWriter, r *http.Request) (ferry.PullRequest, bool, error) {
	var body pullBody
	if err := decodeJSON(w, r, s.maxRequestSize(), &body, true); err != nil {
		return ferry.PullRequest{}, false, err
	}
	return ferry.PullRequest{Force: body.Force, Trigger: triggerOf(r), Actor: actorFrom(r.Context())}, body.DryRun, nil
}

// handlePull queues a pull of a binding and answers 202 with its run or, with ?wait=true,
// 200 with the run once it is done (202 with the run as it is if the wait timed out). With
// "dry_run":true it answers 200 with the ferry.SyncPlan of the pull instead.
func (s *Server) handlePull(w http.ResponseWriter, r *http.Request) {
	if !s.syncReady(w, r) || !s.bindingsReady(w, r) {
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
	req, dryRun, err := s.pullRequest(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if dryRun {
		s.planPull(w, r, ns, name, req)
		return
	}
	run, err := s.Sync.Pull(r.Context(), ns, name, req)
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

// waitStatus is 200 when the runs waited for are done, 202 while some are not.
func waitStatus(done bool) int {
	if done {
		return http.StatusOK
	}
	return http.StatusAccepted
}

// handleSync queues a pull of every pulling binding at or under ?directory= (the whole
// namespace when absent), forced with ?force=true, as CI does after a merge. It answers
// 202 with the runs, or with ?wait=true 200 once all are done.
func (s *Server) handleSync(w http.ResponseWriter, r *http.Request) {
	if !s.syncReady(w, r) || !s.bindingsReady(w, r) {
		return
	}
	ns, err := namespaceParam(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	dir := ferry.CleanDir(r.URL.Query().Get("directory"))
	if err := ferry.ValidateDir(dir); err != nil {
		s.writeError(w, r, err)
		return
	}
	force, err := boolParam(r, "force")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	wait, timeout, err := waitParams(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	runs, err := s.Sync.Sync(r.Context(), ns, dir, ferry.PullRequest{Force: force, Trigger: triggerOf(r), Actor: actorFrom(r.Context())})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	status := http.StatusAccepted
	if wait {
		var done bool
		if runs, done, err = s.waitRuns(r.Context(), runs, timeout); err != nil {
			s.writeError(w, r, err)
			return
		}
		status = waitStatus(done)
	}
	if runs == nil {
		runs = []*ferry.Run{}
	}
	writeJSON(w, status, listResponse[*ferry.Run]{Items: runs})
}

func (s *Server) handleListRuns(w http.ResponseWriter, r *http.Request) {
	if !s.bindingsReady(w, r) {
		return
	}
	ns, name, err := bindingParams(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	page, err := pageParams(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	items, next, err := s.Runs.ListRuns(r.Context(), ns, name, page)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeList(w, items, next)
}

func (s *Server) handleGetRun(w http.ResponseWriter, r *http.Request) {
	if !s.bindingsReady(w, r) {
		return
	}
	ns, name, err := bindingParams(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	id, err := runIDParam(r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	run, err := s.Runs.FindRun(r.Context(), ns, name, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, run)
}

// runIDParam parses a run id. Returns EINVALID unless it is a positive integer.
func runIDParam(v string) (int64, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 {
		return 0, ferry.Errorf(ferry.EINVALID, "Run id must be a whole number from 1 up (got %q).", clip(v))
	}
	return n, nil
}
