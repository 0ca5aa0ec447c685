package standin

import (
	"context"
	"strings"
	"sync"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/sqlstore"
)

// Pusher stands in for gitsync.Service's pushes and plans, over the real database; it
// pairs with Sync, which carries the queued runs out. It records every request. Push
// queues a push run; for a binding whose URL holds "conflict" it ends the run at once,
// stalled with reason conflict on b.yaml. The plans are fixed: a.yaml added (120 bytes),
// b.yaml modified, c.yaml deleted, at the request's revision (7 when it names none); none
// for an "empty" URL (a new repository with nothing in it); and for a "conflict" URL,
// unless forced, a conflict on b.yaml.
type Pusher struct {
	DB *sqlstore.DB

	mu     sync.Mutex
	pushes []ferry.PushRequest // what Push got; guarded by mu
	plans  []ferry.PushRequest // what PlanPush got; guarded by mu
	pulls  []ferry.PullRequest // what PlanPull got; guarded by mu
}

var _ ferry.Pusher = (*Pusher)(nil)

// Calls returns how many times Push, PlanPush and PlanPull were called.
func (p *Pusher) Calls() (pushes, plans, pulls int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.pushes), len(p.plans), len(p.pulls)
}

// LastPush returns the last request Push got, and false if it got none.
func (p *Pusher) LastPush() (ferry.PushRequest, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.pushes) == 0 {
		return ferry.PushRequest{}, false
	}
	return p.pushes[len(p.pushes)-1], true
}

// PlanPulls returns the requests PlanPull got.
func (p *Pusher) PlanPulls() []ferry.PullRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]ferry.PullRequest(nil), p.pulls...)
}

// binding finds a binding that pushes (or pulls, for a pull plan).
func (p *Pusher) binding(ctx context.Context, ns, name string, push bool) (*ferry.Binding, error) {
	b, err := p.DB.FindBinding(ctx, ns, name)
	switch {
	case err != nil:
		return nil, err
	case push && !b.Pushes():
		return nil, ferry.Errorf(ferry.EINVALID, "Binding %q only pulls.", name)
	case !push && !b.Pulls():
		return nil, ferry.Errorf(ferry.EINVALID, "Binding %q only pushes.", name)
	}
	return b, nil
}

func (p *Pusher) Push(ctx context.Context, ns, name string, req ferry.PushRequest) (*ferry.Run, error) {
	p.mu.Lock()
	p.pushes = append(p.pushes, req)
	p.mu.Unlock()
	b, err := p.binding(ctx, ns, name, true)
	if err != nil {
		return nil, err
	}
	rr := ferry.RunRequest{BindingID: b.ID, Kind: ferry.RunPush, Trigger: req.Trigger, Actor: req.Actor, Force: req.Force,
		PushMessage: req.Message, FromRevision: req.Revision}
	if req.Tag != nil {
		rr.Tag, rr.TagMessage = req.Tag.Name, req.Tag.Message
	}
	run, _, err := p.DB.QueueRun(ctx, rr)
	if err != nil || !strings.Contains(b.URL, "conflict") {
		return run, err
	}
	if run, _, err = p.DB.StartRun(ctx, run.ID); err != nil {
		return nil, err
	}
	run.Result = ferry.ResultStalled
	run.Error = &ferry.RunError{Reason: ferry.ReasonConflictRun, Message: "The branch changed b.yaml since the last sync."}
	run.ConflictPaths = []string{"b.yaml"}
	if err := p.DB.FinishRun(ctx, run, false); err != nil {
		return nil, err
	}
	return p.DB.FindRunByID(ctx, run.ID)
}

// plan returns the fixed plan of binding b.
func plan(kind string, b *ferry.Binding, force bool, rev int64) *ferry.SyncPlan {
	if rev == 0 {
		rev = 7
	}
	pl := &ferry.SyncPlan{Kind: kind, Ref: "refs/heads/main", RemoteCommit: "c2", SyncedCommit: "c1", Revision: rev,
		Changes: []ferry.PlanChange{
			{Path: "a.yaml", Action: ferry.ActionAdded, Size: 120},
			{Path: "b.yaml", Action: ferry.ActionModified, Size: 2048},
			{Path: "c.yaml", Action: ferry.ActionDeleted, Size: 9},
		},
		Added: 1, Modified: 1, Deleted: 1}
	if strings.Contains(b.URL, "empty") {
		pl.RemoteCommit, pl.SyncedCommit, pl.Changes, pl.Added, pl.Modified, pl.Deleted, pl.UpToDate = "", "", nil, 0, 0, 0, true
	}
	if strings.Contains(b.URL, "conflict") && !force {
		pl.Conflict, pl.ConflictPaths = true, []string{"b.yaml"}
	}
	return pl
}

func (p *Pusher) PlanPush(ctx context.Context, ns, name string, req ferry.PushRequest) (*ferry.SyncPlan, error) {
	p.mu.Lock()
	p.plans = append(p.plans, req)
	p.mu.Unlock()
	b, err := p.binding(ctx, ns, name, true)
	if err != nil {
		return nil, err
	}
	return plan(ferry.RunPush, b, req.Force, req.Revision), nil
}

func (p *Pusher) PlanPull(ctx context.Context, ns, name string, req ferry.PullRequest) (*ferry.SyncPlan, error) {
	p.mu.Lock()
	p.pulls = append(p.pulls, req)
	p.mu.Unlock()
	b, err := p.binding(ctx, ns, name, false)
	if err != nil {
		return nil, err
	}
	return plan(ferry.RunPull, b, req.Force, 0), nil
}
