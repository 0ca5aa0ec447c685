package gitsync

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ferrygit/ferry"
)

// ErrBusy is returned by Execute when another run of the binding is under way; the job
// should try again shortly.
var ErrBusy = errors.New("another run of the binding is under way")

// Execute carries out one attempt of run id. final says whether a failure may not be
// retried (the queue gives up after this attempt). It returns ErrBusy when the binding is
// busy, an error when the attempt failed in a way a retry may fix, and nil otherwise (done,
// or stalled waiting for the user).
func (s *Service) Execute(ctx context.Context, id int64, final bool) error {
	run, b, err := s.Store.StartRun(ctx, id)
	if ferry.ErrorCode(err) == ferry.ECONFLICT {
		return ErrBusy
	} else if err != nil {
		return err
	}
	if run.State == ferry.RunDone {
		return nil // superseded or finished already
	}
	// Each attempt starts afresh; the log of earlier attempts stays.
	run.Result, run.Error, run.Revision, run.Added, run.Modified, run.Deleted = "", nil, 0, 0, 0, 0
	run.ConflictPaths = nil
	var runErr error
	if run.Kind == ferry.RunPush {
		runErr = (&push{pull: pull{s: s, run: run, b: b}}).do(ctx)
	} else {
		runErr = (&pull{s: s, run: run, b: b}).do(ctx)
	}
	retry := run.Result == ferry.ResultFailed && !final
	finishCtx := context.WithoutCancel(ctx) // record the outcome even while shutting down
	if err := s.Store.FinishRun(finishCtx, run, retry); err != nil {
		return err
	}
	s.announceFinished()
	s.logger().Info("run finished", "run", run.ID, "namespace", run.Namespace, "binding", run.Binding, "result", run.Result,
		"commit", short(run.CommitAfter), "added", run.Added, "modified", run.Modified, "deleted", run.Deleted, "duration_ms", run.DurationMS)
	if retry {
		return runErr
	}
	return nil
}

// pull is one attempt of a pull run: its steps, stopping at the first failure.
type pull struct {
	s   *Service
	run *ferry.Run
	b   *ferry.Binding

	remote *ferry.RemoteURL
	auth   *ferry.GitAuth
	ref    string // the full ref resolved

	dryRun *ferry.SyncPlan // set for a dry run: apply fills it in instead of writing

	tree    []ferry.TreeFile // the files under the binding's path at the commit, once read
	applied *ferry.ChangeSet // the changes apply wrote, with their contents
}

// do runs the steps and sets the run's result; the error is the failure, if any.
func (p *pull) do(ctx context.Context) error {
	p.run.CommitBefore = p.b.Status.LastCommit
	steps := []struct {
		name string
		fn   func(context.Context) (string, error)
	}{
		{"resolve", p.resolve},
		{"fetch", p.fetch},
		{"apply", p.apply},
		{"catalog", p.catalog},
	}
	for _, step := range steps {
		if p.run.Result != "" && !(step.name == "catalog" && p.fullImport()) {
			p.log(step.name, time.Now(), "skipped", "")
			continue
		}
		start := time.Now()
		msg, err := step.fn(ctx)
		if err != nil {
			p.fail(err)
			p.log(step.name, start, "failed", p.run.Error.Message)
			return err
		}
		p.log(step.name, start, "ok", msg)
	}
	if p.run.Result == "" {
		p.run.Result = ferry.ResultApplied
	}
	return nil
}

// log appends a step to the run's log.
func (p *pull) log(name string, start time.Time, result, msg string) {
	p.run.Steps = append(p.run.Steps, ferry.RunStep{Name: name, StartedAt: start.UTC(), DurationMS: time.Since(start).Milliseconds(),
		Result: result, Message: msg, Attempt: p.run.Attempt})
}

// warn appends a warning to the run's log.
func (p *pull) warn(format string, args ...any) {
	p.run.Steps = append(p.run.Steps, ferry.RunStep{Name: "warning", StartedAt: time.Now().UTC(), Result: "warning",
		Message: fmt.Sprintf(format, args...), Attempt: p.run.Attempt})
}

// fail classifies err into the run's result: stalled for what only the user can fix,
// failed (retried) for the rest.
func (p *pull) fail(err error) {
	p.run.Result = ferry.ResultFailed
	var rejected *contentError
	switch ge := gitError(err); {
	case ge != nil:
		p.run.Error = &ferry.RunError{Reason: ge.Reason, Message: ge.Message}
		if !ge.Transient() {
			p.run.Result = ferry.ResultStalled
		}
	case errors.As(err, &rejected):
		p.run.Error = &ferry.RunError{Reason: ferry.ReasonContentRejected, Message: rejected.msg}
		p.run.Result = ferry.ResultStalled
	case ferry.ErrorCode(err) == ferry.EINVALID || ferry.ErrorCode(err) == ferry.ENOTFOUND:
		p.run.Error = &ferry.RunError{Reason: ferry.ReasonFailed, Message: ferry.ErrorMessage(err)}
		p.run.Result = ferry.ResultStalled
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		p.run.Error = &ferry.RunError{Reason: ferry.ReasonTimeout, Message: "The run was interrupted (shutdown or timeout); it will be retried."}
	default:
		p.s.logger().Error("pull failed", "run", p.run.ID, "err", err)
		p.run.Error = &ferry.RunError{Reason: "internal", Message: "An internal error stopped the run; it will be retried. The server log has the details."}
	}
}

// resolve finds the commit the binding's ref points to. When it is the one applied last
// and the run is not forced, the run is up to date and the other steps are skipped.
func (p *pull) resolve(ctx context.Context) (string, error) {
	remote, err := ferry.ParseRemoteURL(p.b.URL)
	if err != nil {
		return "", err
	}
	if err := p.s.Policy.Check(remote); err != nil {
		return "", &ferry.GitError{Reason: ferry.ReasonURLNotAllowed, Message: ferry.ErrorMessage(err)}
	}
	p.remote = remote
	if p.auth, err = p.s.Secrets.Auth(ctx, p.b.Credential); err != nil {
		return "", err
	}
	info, err := p.s.Git.ListRefs(ctx, remote, p.auth)
	if err != nil {
		return "", err
	}
	found, ok := resolveRef(info, p.b.Ref)
	if !ok {
		return "", &ferry.GitError{Reason: ferry.ReasonRefNotFound, Message: refNotFoundMessage(p.b.Ref, info)}
	}
	p.ref, p.run.CommitAfter = found.Name, found.Commit
	if found.Commit == p.b.Status.LastCommit && !p.run.Force && !p.entitiesBehind() {
		p.run.Result = ferry.ResultUpToDate
		p.run.Revision = p.b.Status.LastRevision
		return fmt.Sprintf("%s is at %s, which is applied already", found.Name, short(found.Commit)), nil
	}
	return fmt.Sprintf("%s is at %s", found.Name, short(found.Commit)), nil
}

// fetch brings the commit and the blobs under the binding's path into the cache.
func (p *pull) fetch(ctx context.Context) (string, error) {
	commit, err := p.s.Git.Fetch(ctx, p.remote, p.auth, p.ref, []string{p.b.Path})
	if err != nil {
		return "", err
	}
	p.run.CommitAfter = commit
	return "fetched " + short(commit), nil
}

func short(commit string) string {
	if len(commit) > 12 {
		return commit[:12]
	}
	return commit
}

// PlanPull says what a pull would change in the namespace, without writing anything.
func (s *Service) PlanPull(ctx context.Context, ns, name string, req ferry.PullRequest) (*ferry.SyncPlan, error) {
	b, err := s.Store.FindBinding(ctx, ns, name)
	if err != nil {
		return nil, err
	}
	if !b.Pulls() {
		return nil, ferry.Errorf(ferry.EINVALID, "Binding %q only pushes (direction %s); it never pulls.", b.Name, b.Direction)
	}
	plan := &ferry.SyncPlan{Kind: ferry.RunPull, Changes: []ferry.PlanChange{}}
	p := &pull{s: s, b: b, run: &ferry.Run{Force: req.Force}, dryRun: plan}
	if err := p.do(ctx); err != nil {
		if p.run.Error != nil && p.run.Error.Reason == ferry.ReasonConflict {
			plan.Conflict, plan.ConflictPaths, plan.Message = true, p.run.ConflictPaths, p.run.Error.Message
		} else if ge := gitError(err); ge != nil {
			return nil, planError(err)
		} else if p.run.Error != nil && p.run.Error.Reason == ferry.ReasonContentRejected {
			return nil, ferry.Errorf(ferry.EINVALID, "%s", p.run.Error.Message)
		} else {
			return nil, err
		}
	}
	plan.Ref, plan.RemoteCommit, plan.SyncedCommit = p.ref, p.run.CommitAfter, b.Status.LastCommit
	plan.Revision = p.run.Revision
	plan.UpToDate = len(plan.Changes) == 0 && !plan.Conflict
	return plan, nil
}
