// Package standin is a ferry.SyncService and a ferry.Pusher over the real database that do no Git work,
// for testing the HTTP layer and the CLI apart from the Git-backed gitsync.Service (which
// has end-to-end tests of its own). WaitRun carries a run out at once; its outcome follows
// the binding's URL: "stalled" in it stalls the run, "slow" keeps it from ever finishing,
// anything else applies commit "c2" over "c1" with 2 files added and 1 modified.
package standin

import (
	"context"
	"strings"
	"time"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/schedule"
	"github.com/ferrygit/ferry/sqlstore"
)

// Sync stands in for gitsync.Service.
type Sync struct{ DB *sqlstore.DB }

var _ ferry.SyncService = (*Sync)(nil)

func (f *Sync) CreateBinding(ctx context.Context, b *ferry.Binding, actor string) (*ferry.Run, error) {
	if err := f.validate(b); err != nil {
		return nil, err
	}
	if err := f.DB.CreateBinding(ctx, b); err != nil {
		return nil, err
	}
	if !b.Pulls() {
		return nil, nil
	}
	return f.queue(ctx, b, ferry.PullRequest{Trigger: ferry.TriggerAPI, Actor: actor})
}

// validate checks what the real service checks above storage, and sets the next poll.
func (f *Sync) validate(b *ferry.Binding) error {
	if err := b.Validate(); err != nil {
		return err
	}
	b.Status.NextRunAt = nil
	if b.Schedule == "" {
		return nil
	}
	s, err := schedule.Parse(b.Schedule)
	if err != nil {
		return err
	}
	next := s.Next(time.Now())
	b.Status.NextRunAt = &next
	return nil
}

func (f *Sync) queue(ctx context.Context, b *ferry.Binding, req ferry.PullRequest) (*ferry.Run, error) {
	run, _, err := f.DB.QueueRun(ctx, ferry.RunRequest{BindingID: b.ID, Kind: ferry.RunPull, Trigger: req.Trigger, Actor: req.Actor, Force: req.Force})
	return run, err
}

func (f *Sync) UpdateBinding(ctx context.Context, ns, name string, u ferry.BindingUpdate) (*ferry.Binding, error) {
	b, err := f.DB.FindBinding(ctx, ns, name)
	if err != nil {
		return nil, err
	}
	u.Apply(b)
	if err := f.validate(b); err != nil {
		return nil, err
	}
	return b, f.DB.UpdateBinding(ctx, b)
}

func (f *Sync) DeleteBinding(ctx context.Context, ns, name string) error {
	return f.DB.DeleteBinding(ctx, ns, name)
}

func (f *Sync) CheckBinding(ctx context.Context, ns, name string) (*ferry.CheckResult, error) {
	b, err := f.DB.FindBinding(ctx, ns, name)
	if err != nil {
		return nil, err
	}
	if strings.Contains(b.URL, "stalled") {
		return &ferry.CheckResult{URL: b.URL, Reachable: true, Reason: ferry.ReasonAuthFailed, Message: "The credential was refused."}, nil
	}
	return &ferry.CheckResult{URL: b.URL, Reachable: true, Authenticated: true, RefExists: true, Ref: "refs/heads/main", HeadCommit: "c2", DefaultBranch: "main"}, nil
}

func (f *Sync) Pull(ctx context.Context, ns, name string, req ferry.PullRequest) (*ferry.Run, error) {
	b, err := f.DB.FindBinding(ctx, ns, name)
	if err != nil {
		return nil, err
	}
	if !b.Pulls() {
		return nil, ferry.Errorf(ferry.EINVALID, "Binding %q only pushes.", name)
	}
	return f.queue(ctx, b, req)
}

func (f *Sync) Sync(ctx context.Context, ns, dir string, req ferry.PullRequest) ([]*ferry.Run, error) {
	bindings, _, err := f.DB.ListBindings(ctx, ns, ferry.Page{Limit: ferry.MaxPageLimit})
	if err != nil {
		return nil, err
	}
	runs := []*ferry.Run{}
	for _, b := range bindings {
		if b.Pulls() && (dir == "" || b.Directory == dir || strings.HasPrefix(b.Directory, dir+"/")) {
			run, err := f.queue(ctx, b, req)
			if err != nil {
				return nil, err
			}
			runs = append(runs, run)
		}
	}
	return runs, nil
}

func (f *Sync) WaitRun(ctx context.Context, id int64) (*ferry.Run, error) {
	run, b, err := f.DB.StartRun(ctx, id)
	if err != nil || b == nil { // done already
		return run, err
	}
	if strings.Contains(b.URL, "slow") {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	run.Steps = []ferry.RunStep{{Name: "resolve", StartedAt: time.Now().UTC(), Result: "ok", Message: "main is at c2"}}
	if strings.Contains(b.URL, "stalled") {
		run.Result, run.Error = ferry.ResultStalled, &ferry.RunError{Reason: ferry.ReasonAuthFailed, Message: "The credential was refused."}
		run.Steps[0].Result = "failed"
	} else {
		run.Result, run.CommitBefore, run.CommitAfter, run.Added, run.Modified = ferry.ResultApplied, "c1", "c2", 2, 1
	}
	if err := f.DB.FinishRun(ctx, run, false); err != nil {
		return nil, err
	}
	return f.DB.FindRunByID(ctx, id)
}
