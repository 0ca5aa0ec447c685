package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferrygit/ferry"
	ferryhttp "github.com/ferrygit/ferry/http"
	"github.com/ferrygit/ferry/secretbox"
	"github.com/ferrygit/ferry/sqlstore"
)

// fakePusher is a ferry.Pusher over the real database that does no Git work, beside
// fakeSync (which carries queued runs out when a command waits). It records the pushes it
// gets. Push queues a push run; for a binding whose URL holds "conflict" it ends the run at
// once, stalled with reason conflict on b.yaml. The plans are fixed: a.yaml added (120
// bytes), b.yaml modified, c.yaml deleted, and for a "conflict" URL, unless forced, a
// conflict on b.yaml.
type fakePusher struct {
	db *sqlstore.DB

	mu     sync.Mutex
	pushes []ferry.PushRequest
	plans  int
}

var _ ferry.Pusher = (*fakePusher)(nil)

// startPushServer runs a real API server over SQLite on 127.0.0.1 whose binding, run and
// push routes work through fakeSync and fakePusher, and returns the environment that
// points the CLI at it with the pusher.
func startPushServer(t *testing.T) (cliEnv, *fakePusher) {
	t.Helper()
	box, err := secretbox.New(bytes.Repeat([]byte{0x17}, secretbox.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlstore.Open(context.Background(), sqlstore.Config{DataDir: t.TempDir(), Sealer: box})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	p := &fakePusher{db: db}
	s := ferryhttp.NewServer()
	s.Namespaces, s.Files, s.Ready = db, db, db.Ping
	s.Credentials, s.Bindings, s.Runs, s.Sync, s.Pusher = db, db, db, &fakeSync{DB: db}, p
	s.AdminTokenHash = sha256.Sum256([]byte(cliToken))
	s.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := s.Open("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.Close(ctx)
	})
	return cliEnv{"FERRY_URL": s.URL(), "FERRY_TOKEN": cliToken}, p
}

// calls returns how many pushes and plans the pusher got.
func (p *fakePusher) calls() (pushes, plans int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.pushes), p.plans
}

// lastPush returns the last push request.
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

// fixedPlan returns the plan of a binding.
func fixedPlan(kind string, b *ferry.Binding, force bool) *ferry.SyncPlan {
	pl := &ferry.SyncPlan{Kind: kind, Ref: "refs/heads/main", RemoteCommit: "c2", SyncedCommit: "c1", Revision: 7,
		Changes: []ferry.PlanChange{
			{Path: "a.yaml", Action: ferry.ActionAdded, Size: 120},
			{Path: "b.yaml", Action: ferry.ActionModified, Size: 2048},
			{Path: "c.yaml", Action: ferry.ActionDeleted, Size: 9},
		},
		Added: 1, Modified: 1, Deleted: 1}
	if strings.Contains(b.URL, "empty") { // a new repository with nothing to add
		pl.RemoteCommit, pl.SyncedCommit, pl.Changes, pl.Added, pl.Modified, pl.Deleted, pl.UpToDate = "", "", nil, 0, 0, 0, true
	}
	if strings.Contains(b.URL, "conflict") && !force {
		pl.Conflict, pl.ConflictPaths = true, []string{"b.yaml"}
	}
	return pl
}

func (p *fakePusher) PlanPush(ctx context.Context, ns, name string, req ferry.PushRequest) (*ferry.SyncPlan, error) {
	p.mu.Lock()
	p.plans++
	p.mu.Unlock()
	b, err := p.binding(ctx, ns, name, true)
	if err != nil {
		return nil, err
	}
	return fixedPlan(ferry.RunPush, b, req.Force), nil
}

func (p *fakePusher) PlanPull(ctx context.Context, ns, name string, req ferry.PullRequest) (*ferry.SyncPlan, error) {
	p.mu.Lock()
	p.plans++
	p.mu.Unlock()
	b, err := p.binding(ctx, ns, name, false)
	if err != nil {
		return nil, err
	}
	return fixedPlan(ferry.RunPull, b, req.Force), nil
}
