package http_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/ferrygit/ferry"
	fhttp "github.com/ferrygit/ferry/http"
	"github.com/ferrygit/ferry/sqlstore"
)

// fakePusher is a ferry.Pusher over the real database that does no Git work, beside
// fakeSync (which carries the queued runs out when a request waits). It records every
// request it gets. Push queues a push run; for a binding whose URL holds "conflict" it
// ends the run at once, stalled with reason conflict. The plans are fixed: one path added,
// one modified, one deleted; none for an "empty" URL; and for a "conflict" URL, unless
// forced, a conflict on "b.yaml".
type fakePusher struct {
	db *sqlstore.DB

	mu     sync.Mutex
	pushes []ferry.PushRequest // what Push got
	plans  []ferry.PushRequest // what PlanPush got
	pulls  []ferry.PullRequest // what PlanPull got
}

var _ ferry.Pusher = (*fakePusher)(nil)

// newPushServer starts a test server whose binding, run and push routes work.
func newPushServer(t *testing.T) (*testServer, *fakePusher) {
	t.Helper()
	var p *fakePusher
	ts := newTestServer(t, func(s *fhttp.Server) {
		db := s.Namespaces.(*sqlstore.DB)
		p = &fakePusher{db: db}
		s.Bindings, s.Runs, s.Sync, s.Pusher = db, db, &fakeSync{DB: db}, p
	})
	return ts, p
}

// calls returns how many times each method was called.
func (p *fakePusher) calls() (pushes, plans, pulls int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.pushes), len(p.plans), len(p.pulls)
}

// lastPush returns the last request Push got.
func (p *fakePusher) lastPush(t *testing.T) ferry.PushRequest {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.pushes) == 0 {
		t.Fatal("Push was not called")
	}
	return p.pushes[len(p.pushes)-1]
}

// binding finds a binding that pushes (or pulls, for a pull plan).
func (p *fakePusher) binding(ctx context.Context, ns, name string, push bool) (*ferry.Binding, error) {
	b, err := p.db.FindBinding(ctx, ns, name)
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

func (p *fakePusher) Push(ctx context.Context, ns, name string, req ferry.PushRequest) (*ferry.Run, error) {
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
	run, _, err := p.db.QueueRun(ctx, rr)
	if err != nil || !strings.Contains(b.URL, "conflict") {
		return run, err
	}
	if run, _, err = p.db.StartRun(ctx, run.ID); err != nil {
		return nil, err
	}
	run.Result = ferry.ResultStalled
	run.Error = &ferry.RunError{Reason: ferry.ReasonConflictRun, Message: "The branch changed b.yaml since the last sync."}
	run.ConflictPaths = []string{"b.yaml"}
	if err := p.db.FinishRun(ctx, run, false); err != nil {
		return nil, err
	}
	return p.db.FindRunByID(ctx, run.ID)
}

// plan returns the fixed plan of a binding.
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
	if strings.Contains(b.URL, "empty") { // nothing to push
		pl.Changes, pl.Added, pl.Modified, pl.Deleted, pl.UpToDate = nil, 0, 0, 0, true
	}
	if strings.Contains(b.URL, "conflict") && !force {
		pl.Conflict, pl.ConflictPaths = true, []string{"b.yaml"}
	}
	return pl
}

func (p *fakePusher) PlanPush(ctx context.Context, ns, name string, req ferry.PushRequest) (*ferry.SyncPlan, error) {
	p.mu.Lock()
	p.plans = append(p.plans, req)
	p.mu.Unlock()
	b, err := p.binding(ctx, ns, name, true)
	if err != nil {
		return nil, err
	}
	return plan(ferry.RunPush, b, req.Force, req.Revision), nil
}

func (p *fakePusher) PlanPull(ctx context.Context, ns, name string, req ferry.PullRequest) (*ferry.SyncPlan, error) {
	p.mu.Lock()
	p.pulls = append(p.pulls, req)
	p.mu.Unlock()
	b, err := p.binding(ctx, ns, name, false)
	if err != nil {
		return nil, err
	}
	return plan(ferry.RunPull, b, req.Force, 0), nil
}
