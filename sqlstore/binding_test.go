package sqlstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/sqlstore"
)

func newBinding(ns, name, dir string) *ferry.Binding {
	b := &ferry.Binding{Namespace: ns, Name: name, Directory: dir, URL: "https://git.example.com/org/repo.git", Ref: "main"}
	if err := b.Validate(); err != nil {
		panic(err)
	}
	return b
}

func TestBindings(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		mustCreateNamespace(t, db, "dev")
		next := fixedNow.Add(time.Minute)
		b := newBinding("dev", "payments", "/services/payments")
		b.Schedule, b.Status.NextRunAt = "* * * * *", &next
		if err := db.CreateBinding(ctx, b); err != nil {
			t.Fatal(err)
		}
		got, err := db.FindBinding(ctx, "dev", "payments")
		if err != nil || got.ID != b.ID || got.Directory != "services/payments" || got.Status.State != ferry.StateIdle || !got.Status.NextRunAt.Equal(next) {
			t.Fatalf("find = %+v, %v", got, err)
		}
		for _, tc := range []struct {
			b    *ferry.Binding
			code string
		}{
			{newBinding("dev", "payments", "other"), ferry.ECONFLICT}, // name taken
			{newBinding("dev", "x", "services"), ferry.ECONFLICT},     // holds payments' directory
			{newBinding("dev", "y", "services/payments/v2"), ferry.ECONFLICT},
			{newBinding("dev", "z", ""), ferry.ECONFLICT}, // the root holds everything
			{newBinding("nope", "z", "a"), ferry.ENOTFOUND},
			{func() *ferry.Binding { b := newBinding("dev", "c", "c"); b.Credential = "missing"; return b }(), ferry.ENOTFOUND},
		} {
			wantCode(t, db.CreateBinding(ctx, tc.b), tc.code)
		}
		if err := db.CreateBinding(ctx, newBinding("dev", "orders", "services/orders")); err != nil {
			t.Fatal(err)
		}
		items, _, err := db.ListBindings(ctx, "dev", ferry.Page{})
		if err != nil || len(items) != 2 || items[0].Name != "orders" {
			t.Fatalf("list = %v, %v", items, err)
		}
		due, err := db.DueBindings(ctx, fixedNow.Add(2*time.Minute), 10)
		if err != nil || len(due) != 1 || due[0].Name != "payments" {
			t.Fatalf("due = %v, %v", due, err)
		}

		got.Directory = "services/orders/x"
		wantCode(t, db.UpdateBinding(ctx, got), ferry.ECONFLICT)
		got.Directory, got.Ref = "services/pay", "release"
		if err := db.UpdateBinding(ctx, got); err != nil {
			t.Fatal(err)
		}
		if again, _ := db.FindBinding(ctx, "dev", "payments"); again.Ref != "release" || again.Directory != "services/pay" {
			t.Fatalf("after update: %+v", again)
		}
		if err := db.DeleteBinding(ctx, "dev", "payments"); err != nil {
			t.Fatal(err)
		}
		_, err = db.FindBinding(ctx, "dev", "payments")
		wantCode(t, err, ferry.ENOTFOUND)
		wantCode(t, db.DeleteBinding(ctx, "dev", "payments"), ferry.ENOTFOUND)
	})
}

func TestRunLifecycle(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		mustCreateNamespace(t, db, "dev")
		b := newBinding("dev", "payments", "services")
		if err := db.CreateBinding(ctx, b); err != nil {
			t.Fatal(err)
		}
		req := ferry.RunRequest{BindingID: b.ID, Kind: ferry.RunPull, Trigger: ferry.TriggerAPI, Actor: "admin"}

		r1, coalesced, err := db.QueueRun(ctx, req)
		if err != nil || coalesced || r1.State != ferry.RunQueued {
			t.Fatalf("first = %+v, %v, %v", r1, coalesced, err)
		}
		// A burst while r1 waits coalesces into it; force sticks.
		for i := 0; i < 5; i++ {
			req.Force = i == 2
			r, coalesced, err := db.QueueRun(ctx, req)
			if err != nil || !coalesced || r.ID != r1.ID {
				t.Fatalf("burst %d = %+v, %v, %v", i, r, coalesced, err)
			}
		}
		if queued, err := db.QueuedRuns(ctx, fixedNow.Add(time.Second), 10); err != nil || len(queued) != 1 || queued[0] != r1.ID {
			t.Fatalf("queued runs = %v, %v; want one", queued, err)
		}
		started, bb, err := db.StartRun(ctx, r1.ID)
		if err != nil || started.State != ferry.RunRunning || !started.Force || started.Attempt != 1 || bb.Status.State != ferry.StateRunning {
			t.Fatalf("start = %+v, %+v, %v", started, bb, err)
		}
		// While it runs, one more run may wait; a second start of another run is refused.
		r2, coalesced, err := db.QueueRun(ctx, req)
		if err != nil || coalesced || r2.ID == r1.ID {
			t.Fatalf("second = %+v, %v, %v", r2, coalesced, err)
		}
		_, _, err = db.StartRun(ctx, r2.ID)
		wantCode(t, err, ferry.ECONFLICT)

		started.Result, started.CommitAfter, started.Revision, started.Added = ferry.ResultApplied, "abc123", 1, 3
		started.Steps = []ferry.RunStep{{Name: "resolve", Result: "ok"}}
		if err := db.FinishRun(ctx, started, false); err != nil {
			t.Fatal(err)
		}
		done, err := db.FindRun(ctx, "dev", "payments", r1.ID)
		if err != nil || done.State != ferry.RunDone || done.Result != ferry.ResultApplied || done.Added != 3 || len(done.Steps) != 1 || done.FinishedAt == nil {
			t.Fatalf("done = %+v, %v", done, err)
		}
		bb, _ = db.FindBinding(ctx, "dev", "payments")
		if bb.Status.State != ferry.StateQueued || bb.Status.LastCommit != "abc123" || bb.Status.LastRevision != 1 || bb.Status.LastSuccessAt == nil {
			t.Fatalf("binding after success = %+v", bb.Status)
		}

		// A transient failure retries; a new trigger supersedes the waiting retry.
		s2, _, err := db.StartRun(ctx, r2.ID)
		if err != nil {
			t.Fatal(err)
		}
		s2.Result, s2.Error = ferry.ResultFailed, &ferry.RunError{Reason: ferry.ReasonUnreachable, Message: "down"}
		if err := db.FinishRun(ctx, s2, true); err != nil {
			t.Fatal(err)
		}
		bb, _ = db.FindBinding(ctx, "dev", "payments")
		if bb.Status.State != ferry.StateFailed || bb.Status.ConsecutiveFailures != 1 || bb.Status.LastError.Reason != ferry.ReasonUnreachable {
			t.Fatalf("binding after failure = %+v", bb.Status)
		}
		r3, _, err := db.QueueRun(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		old, _ := db.FindRun(ctx, "dev", "payments", r2.ID)
		if old.State != ferry.RunDone {
			t.Fatalf("the superseded retry is %q", old.State)
		}
		if skipped, _, err := db.StartRun(ctx, r2.ID); err != nil || skipped.State != ferry.RunDone {
			t.Fatalf("starting a superseded run = %+v, %v", skipped, err)
		}
		runs, _, err := db.ListRuns(ctx, "dev", "payments", ferry.Page{Limit: 2})
		if err != nil || len(runs) != 2 || runs[0].ID != r3.ID {
			t.Fatalf("runs = %v, %v", runs, err)
		}
		_, err = db.FindRun(ctx, "dev", "payments", 999)
		wantCode(t, err, ferry.ENOTFOUND)

		// Deleting the namespace takes bindings and runs along.
		if err := db.DeleteNamespace(ctx, "dev"); err != nil {
			t.Fatal(err)
		}
	})
}
