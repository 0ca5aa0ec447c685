package gitsync_test

import (
	"context"
	"testing"
	"time"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/gitsync"
	"github.com/ferrygit/ferry/sqlstore"
)

// TestPollPullsOnlyWhatMoved runs the scheduled poll by hand with a clock set past the
// bindings' next run: an unchanged remote makes no run, a moved one makes one pull, and a
// stalled binding waits for the user.
func TestPollPullsOnlyWhatMoved(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, openDB(t, sqlstore.Config{DataDir: t.TempDir()}), map[string]string{"a": "1"}, gitsync.Limits{})
	b := &ferry.Binding{Namespace: "dev", Name: "cfg", Directory: "cfg", URL: h.url, Schedule: "*/5 * * * *"}
	wantResult(t, h.wait(mustCreate(t, h, b)), ferry.ResultApplied)
	stalled := &ferry.Binding{Namespace: "dev", Name: "bad", Directory: "bad", URL: h.url, Ref: "nope", Schedule: "* * * * *"}
	wantResult(t, h.wait(mustCreate(t, h, stalled)), ferry.ResultStalled)

	clock := time.Now()
	h.svc.Now = func() time.Time { return clock }
	runsOf := func(name string) int {
		runs, _, err := h.db.ListRuns(ctx, "dev", name, ferry.Page{})
		if err != nil {
			t.Fatal(err)
		}
		return len(runs)
	}

	clock = clock.Add(10 * time.Minute)
	if err := h.svc.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	if runsOf("cfg") != 1 || runsOf("bad") != 1 {
		t.Fatalf("a poll of unchanged remotes made runs: cfg %d, bad %d", runsOf("cfg"), runsOf("bad"))
	}
	got, _ := h.db.FindBinding(ctx, "dev", "cfg")
	if got.Status.NextRunAt == nil || !got.Status.NextRunAt.After(clock) {
		t.Fatalf("next run %v is not after %v", got.Status.NextRunAt, clock)
	}

	h.repo.Commit("move", map[string]string{"a": "2"})
	clock = clock.Add(10 * time.Minute)
	if err := h.svc.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	runs, _, _ := h.db.ListRuns(ctx, "dev", "cfg", ferry.Page{})
	if len(runs) != 2 || runs[0].Trigger != ferry.TriggerSchedule {
		t.Fatalf("after the remote moved: %d runs, newest %+v", len(runs), runs[0])
	}
	wantResult(t, h.wait(runs[0]), ferry.ResultApplied)
	if runsOf("bad") != 1 {
		t.Fatal("a stalled binding was polled into a run")
	}
	if got := h.tree(); got != "cfg/a=2" {
		t.Fatalf("tree = %q", got)
	}
	// Not due yet: nothing happens.
	before := runsOf("cfg")
	h.repo.Commit("again", map[string]string{"a": "3"})
	if err := h.svc.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	if runsOf("cfg") != before {
		t.Fatal("a binding that was not due was pulled")
	}
}

func mustCreate(t *testing.T, h *harness, b *ferry.Binding) *ferry.Run {
	t.Helper()
	run, err := h.svc.CreateBinding(context.Background(), b, "t")
	if err != nil {
		t.Fatal(err)
	}
	return run
}
