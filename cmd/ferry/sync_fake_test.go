package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ferrygit/ferry"
	ferryhttp "github.com/ferrygit/ferry/http"
	"github.com/ferrygit/ferry/schedule"
	"github.com/ferrygit/ferry/secretbox"
	"github.com/ferrygit/ferry/sqlstore"
)

// fakeSync is a ferry.SyncService over the real database that does no Git work, so the
// CLI can be tested while the Git-backed service (gitsync, tested end to end on its
// own) is built. WaitRun carries the run out at once; its outcome follows the binding's
// URL: "stalled" in it stalls the run, "slow" keeps it from ever finishing, anything else
// applies commit "c2" over "c1" with 2 files added and 1 modified.
type fakeSync struct{ db *sqlstore.DB }

var _ ferry.SyncService = (*fakeSync)(nil)

// startSyncServer runs a real API server over SQLite on 127.0.0.1 whose binding and run
// routes work through fakeSync, and returns the environment that points the CLI at it.
func startSyncServer(t *testing.T) cliEnv {
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
	s := ferryhttp.NewServer()
	s.Namespaces, s.Files, s.Ready = db, db, db.Ping
	s.Credentials, s.Bindings, s.Runs, s.Sync = db, db, db, &fakeSync{db: db}
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
	return cliEnv{"FERRY_URL": s.URL(), "FERRY_TOKEN": cliToken}
}

func (f *fakeSync) CreateBinding(ctx context.Context, b *ferry.Binding, actor string) (*ferry.Run, error) {
	if err := f.validate(b); err != nil {
		return nil, err
	}
	if err := f.db.CreateBinding(ctx, b); err != nil {
		return nil, err
	}
	if !b.Pulls() {
		return nil, nil
	}
	return f.queue(ctx, b, ferry.PullRequest{Trigger: ferry.TriggerAPI, Actor: actor})
}

// validate checks what the real service checks above storage, and sets the next poll.
func (f *fakeSync) validate(b *ferry.Binding) error {
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

func (f *fakeSync) queue(ctx context.Context, b *ferry.Binding, req ferry.PullRequest) (*ferry.Run, error) {
	run, _, err := f.db.QueueRun(ctx, ferry.RunRequest{BindingID: b.ID, Kind: ferry.RunPull, Trigger: req.Trigger, Actor: req.Actor, Force: req.Force})
	return run, err
}

func (f *fakeSync) UpdateBinding(ctx context.Context, ns, name string, u ferry.BindingUpdate) (*ferry.Binding, error) {
	b, err := f.db.FindBinding(ctx, ns, name)
	if err != nil {
		return nil, err
	}
	u.Apply(b)
	if err := f.validate(b); err != nil {
		return nil, err
	}
	return b, f.db.UpdateBinding(ctx, b)
}

func (f *fakeSync) DeleteBinding(ctx context.Context, ns, name string) error {
	return f.db.DeleteBinding(ctx, ns, name)
}

func (f *fakeSync) CheckBinding(ctx context.Context, ns, name string) (*ferry.CheckResult, error) {
	b, err := f.db.FindBinding(ctx, ns, name)
	if err != nil {
		return nil, err
	}
	if strings.Contains(b.URL, "stalled") {
		return &ferry.CheckResult{URL: b.URL, Reachable: true, Reason: ferry.ReasonAuthFailed, Message: "The credential was refused."}, nil
	}
	return &ferry.CheckResult{URL: b.URL, Reachable: true, Authenticated: true, RefExists: true, Ref: "refs/heads/main", HeadCommit: "c2", DefaultBranch: "main"}, nil
}

func (f *fakeSync) Pull(ctx context.Context, ns, name string, req ferry.PullRequest) (*ferry.Run, error) {
	b, err := f.db.FindBinding(ctx, ns, name)
	if err != nil {
		return nil, err
	}
	if !b.Pulls() {
		return nil, ferry.Errorf(ferry.EINVALID, "Binding %q only pushes.", name)
	}
	return f.queue(ctx, b, req)
}

func (f *fakeSync) Sync(ctx context.Context, ns, dir string, req ferry.PullRequest) ([]*ferry.Run, error) {
	bindings, _, err := f.db.ListBindings(ctx, ns, ferry.Page{Limit: ferry.MaxPageLimit})
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

func (f *fakeSync) WaitRun(ctx context.Context, id int64) (*ferry.Run, error) {
	run, b, err := f.db.StartRun(ctx, id)
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
	if err := f.db.FinishRun(ctx, run, false); err != nil {
		return nil, err
	}
	return f.db.FindRunByID(ctx, id)
}
