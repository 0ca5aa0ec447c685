package gitsync_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/git/gittest"
	"github.com/ferrygit/ferry/gitsync"
	"github.com/ferrygit/ferry/sqlstore"
)

func TestPull(t *testing.T) {
	eachDB(t, func(t *testing.T, newDB func() *sqlstore.DB) {
		ctx := context.Background()
		h := newHarness(t, newDB(), map[string]string{
			"config/a.yaml": "a: 1\n", "config/sub/b.yaml": "b: 1\n", "other/x": "not mirrored",
		}, gitsync.Limits{})
		// A file outside the binding's directory stays as it is.
		if _, _, err := h.db.ApplyChanges(ctx, &ferry.ChangeSet{Namespace: "dev", Actor: "t", Changes: []ferry.FileChange{{Path: "keep.txt", Content: []byte("mine")}}}); err != nil {
			t.Fatal(err)
		}

		first := h.bind("payments", "/services/payments", "/config")
		wantResult(t, first, ferry.ResultApplied)
		if first.Added != 2 || first.CommitAfter != h.repo.Head() || first.Trigger != ferry.TriggerAPI || first.Actor != "tester" {
			t.Fatalf("first pull = %+v", first)
		}
		if got, want := h.tree(), "keep.txt=mine services/payments/a.yaml=a: 1\n services/payments/sub/b.yaml=b: 1\n"; got != want {
			t.Fatalf("tree = %q, want %q", got, want)
		}
		rev, err := h.db.FindRevision(ctx, "dev", first.Revision)
		if err != nil || rev.Commit != h.repo.Head() || rev.Binding != "payments" || rev.Source != ferry.SourcePull {
			t.Fatalf("revision = %+v, %v", rev, err)
		}
		b, _ := h.db.FindBinding(ctx, "dev", "payments")
		if b.Status.State != ferry.StateOK || b.Status.LastCommit != h.repo.Head() || b.Status.LastRevision != first.Revision {
			t.Fatalf("status = %+v", b.Status)
		}

		// Nothing moved: up to date, without fetching.
		noop := h.pull("payments", false)
		wantResult(t, noop, ferry.ResultUpToDate)
		if step(noop, "fetch") != "skipped" {
			t.Fatalf("a no-op pull fetched: %+v", noop.Steps)
		}
		// Forced: fetches and compares, and still changes nothing.
		forced := h.pull("payments", true)
		wantResult(t, forced, ferry.ResultUpToDate)
		if step(forced, "fetch") != "ok" {
			t.Fatalf("a forced pull did not fetch: %+v", forced.Steps)
		}
		ns, _ := h.db.FindNamespace(ctx, "dev")
		if ns.Head != first.Revision {
			t.Fatalf("no-op pulls made revisions: head %d", ns.Head)
		}

		// One modified, one added, one deleted; a change outside the path is ignored.
		old := h.repo.Head()
		h.repo.Commit("change", map[string]string{"config/a.yaml": "a: 2\n", "config/c.yaml": "c\n", "other/x": "changed"}, "config/sub/b.yaml")
		before := h.db.RowsWritten()
		incr := h.pull("payments", false)
		wantResult(t, incr, ferry.ResultApplied)
		if incr.Added != 1 || incr.Modified != 1 || incr.Deleted != 1 || incr.CommitBefore != old {
			t.Fatalf("incremental pull = %+v", incr)
		}
		if got, want := h.tree(), "keep.txt=mine services/payments/a.yaml=a: 2\n services/payments/c.yaml=c\n"; got != want {
			t.Fatalf("tree = %q, want %q", got, want)
		}
		if rows := h.db.RowsWritten() - before; rows > 40 {
			t.Fatalf("an incremental pull of 3 files wrote %d rows", rows)
		}

		// The branch moves back (a force-push upstream): the old content returns.
		h.repo.SetRef("refs/heads/main", old)
		back := h.pull("payments", false)
		wantResult(t, back, ferry.ResultApplied)
		if got, want := h.tree(), "keep.txt=mine services/payments/a.yaml=a: 1\n services/payments/sub/b.yaml=b: 1\n"; got != want {
			t.Fatalf("after the branch moved back: %q", got)
		}
		runs, _, err := h.db.ListRuns(ctx, "dev", "payments", ferry.Page{})
		if err != nil || len(runs) != 5 {
			t.Fatalf("runs = %d, %v", len(runs), err)
		}
	})
}

// step returns the result of the named step in a run's log.
func step(run *ferry.Run, name string) string {
	for _, s := range run.Steps {
		if s.Name == name {
			return s.Result
		}
	}
	return ""
}

func TestPullRejectsBadContent(t *testing.T) {
	for _, tc := range []struct {
		name   string
		files  []gittest.File
		limits gitsync.Limits
		want   string
	}{
		{"case collision", []gittest.File{{Path: "A.yaml", Content: "1", Mode: "100644"}, {Path: "a.yaml", Content: "2", Mode: "100644"}}, gitsync.Limits{}, "differ only by case"},
		{"case collision of directories", []gittest.File{{Path: "Dir/x", Content: "1", Mode: "100644"}, {Path: "dir/y", Content: "2", Mode: "100644"}}, gitsync.Limits{}, "differ only by case"},
		{"symlink out of the directory", []gittest.File{{Path: "ok", Content: "1", Mode: "100644"}, {Path: "evil", Content: "../../etc/passwd", Mode: "120000"}}, gitsync.Limits{}, "outside the binding's directory"},
		{"absolute symlink", []gittest.File{{Path: "evil", Content: "/etc/passwd", Mode: "120000"}}, gitsync.Limits{}, "outside the binding's directory"},
		{"file too large", []gittest.File{{Path: "big", Content: strings.Repeat("x", 2048), Mode: "100644"}}, gitsync.Limits{MaxFileSize: 1024}, "limit is 1 KiB"},
		{"too many files", []gittest.File{{Path: "a", Content: "1", Mode: "100644"}, {Path: "b", Content: "2", Mode: "100644"}}, gitsync.Limits{MaxFiles: 1}, "limit is 1"},
		{"too much in all", []gittest.File{{Path: "a", Content: "123456", Mode: "100644"}, {Path: "b", Content: "123456", Mode: "100644"}}, gitsync.Limits{MaxTotalSize: 10}, "limit is 10 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, openDB(t, sqlstore.Config{DataDir: t.TempDir()}), map[string]string{"seed": "1"}, tc.limits)
			h.repo.CommitFiles("bad", tc.files, "seed")
			run := h.bind("cfg", "cfg", "")
			wantResult(t, run, ferry.ResultStalled)
			if run.Error == nil || run.Error.Reason != ferry.ReasonContentRejected || !strings.Contains(run.Error.Message, tc.want) {
				t.Fatalf("error = %+v, want content_rejected mentioning %q", run.Error, tc.want)
			}
			if got := h.tree(); got != "" {
				t.Fatalf("a rejected pull applied %q", got)
			}
			b, _ := h.db.FindBinding(context.Background(), "dev", "cfg")
			if b.Status.State != ferry.StateStalled || b.Status.LastError == nil {
				t.Fatalf("binding status = %+v", b.Status)
			}
		})
	}
}

func TestPullKeepsSymlinksAndModes(t *testing.T) {
	h := newHarness(t, openDB(t, sqlstore.Config{DataDir: t.TempDir()}), map[string]string{"seed": "1"}, gitsync.Limits{})
	h.repo.CommitFiles("modes", []gittest.File{
		{Path: "run.sh", Content: "#!/bin/sh\n", Mode: "100755"},
		{Path: "link", Content: "run.sh", Mode: "120000"},
		{Path: "lfs.bin", Content: "version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 12\n", Mode: "100644"},
	})
	run := h.bind("cfg", "", "")
	wantResult(t, run, ferry.ResultApplied)
	for path, mode := range map[string]ferry.Mode{"run.sh": ferry.ModeExecutable, "link": ferry.ModeSymlink, "seed": ferry.ModeFile} {
		f, err := h.db.ReadFile(context.Background(), "dev", path, 0)
		if err != nil || f.Mode != mode {
			t.Errorf("%s = %+v, %v; want mode %s", path, f, err, mode)
		}
	}
	if step(run, "warning") != "warning" {
		t.Fatalf("the LFS pointer was not flagged: %+v", run.Steps)
	}
}

func TestPullFailures(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, openDB(t, sqlstore.Config{DataDir: t.TempDir()}), map[string]string{"a": "1"}, gitsync.Limits{})

	// A missing ref, and a missing repository, stall: only the user can fix them.
	b := &ferry.Binding{Namespace: "dev", Name: "noref", Directory: "noref", URL: h.url, Ref: "release"}
	run, err := h.svc.CreateBinding(ctx, b, "t")
	if err != nil {
		t.Fatal(err)
	}
	run = h.wait(run)
	wantResult(t, run, ferry.ResultStalled)
	if run.Error.Reason != ferry.ReasonRefNotFound || run.State != ferry.RunDone {
		t.Fatalf("missing ref: %+v", run)
	}

	// Bad credentials stall too, and are not retried.
	private := gittest.NewHTTPServer(t, h.repo.Root, gittest.HTTPOptions{Username: "alice", Password: "right"})
	if err := h.db.CreateCredential(ctx, &ferry.Credential{Name: "wrong", Kind: ferry.CredentialBasic, Username: "alice", Secret: &ferry.CredentialSecret{Password: "wrong"}}); err != nil {
		t.Fatal(err)
	}
	b = &ferry.Binding{Namespace: "dev", Name: "private", Directory: "private", URL: private.RepoURL(h.repo.Name), Credential: "wrong"}
	run, err = h.svc.CreateBinding(ctx, b, "t")
	if err != nil {
		t.Fatal(err)
	}
	run = h.wait(run)
	wantResult(t, run, ferry.ResultStalled)
	if run.Error.Reason != ferry.ReasonAuthFailed || run.State != ferry.RunDone || strings.Contains(run.Error.Message, "wrong") {
		t.Fatalf("bad credentials: %+v %+v", run, run.Error)
	}

	// An unreachable remote fails transiently: the run waits for a retry.
	b = &ferry.Binding{Namespace: "dev", Name: "down", Directory: "down", URL: "http://127.0.0.1:1/repo.git"}
	run, err = h.svc.CreateBinding(ctx, b, "t")
	if err != nil {
		t.Fatal(err)
	}
	run = h.wait(run)
	wantResult(t, run, ferry.ResultFailed)
	if run.Error.Reason != ferry.ReasonUnreachable || run.State != ferry.RunRetrying {
		t.Fatalf("unreachable: %+v %+v", run, run.Error)
	}
	down, _ := h.db.FindBinding(ctx, "dev", "down")
	if down.Status.State != ferry.StateFailed || down.Status.ConsecutiveFailures != 1 {
		t.Fatalf("status after a transient failure = %+v", down.Status)
	}
}

// TestPullBurstCoalesces fires 50 triggers at once: at most one run waits behind the one
// under way, so they make at most two runs.
func TestPullBurstCoalesces(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, openDB(t, sqlstore.Config{DataDir: t.TempDir()}), map[string]string{"a": "1"}, gitsync.Limits{})
	b := &ferry.Binding{Namespace: "dev", Name: "cfg", Directory: "cfg", URL: h.url, Direction: ferry.DirectionPull}
	b2 := *b
	b2.Direction = ferry.DirectionPush // created without its first pull
	if _, err := h.svc.CreateBinding(ctx, &b2, "t"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.UpdateBinding(ctx, "dev", "cfg", ferry.BindingUpdate{Direction: ptr(ferry.DirectionPull)}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	ids := make(chan int64, 50)
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			run, err := h.svc.Pull(ctx, "dev", "cfg", ferry.PullRequest{Actor: "burst"})
			if err != nil {
				t.Error(err)
				return
			}
			ids <- run.ID
		}()
	}
	wg.Wait()
	close(ids)
	distinct := map[int64]bool{}
	for id := range ids {
		distinct[id] = true
	}
	if len(distinct) > 2 {
		t.Fatalf("50 triggers made %d runs, want at most 2", len(distinct))
	}
	for id := range distinct {
		h.wait(&ferry.Run{ID: id})
	}
	runs, _, _ := h.db.ListRuns(ctx, "dev", "cfg", ferry.Page{})
	if len(runs) != len(distinct) {
		t.Fatalf("%d runs recorded, %d returned", len(runs), len(distinct))
	}
	if got := h.tree(); got != "cfg/a=1" {
		t.Fatalf("tree = %q", got)
	}
	_ = fmt.Sprint()
}

func TestSyncDirectory(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, openDB(t, sqlstore.Config{DataDir: t.TempDir()}), map[string]string{"a": "1"}, gitsync.Limits{})
	h.bind("one", "services/one", "")
	h.bind("two", "services/two", "")
	h.bind("three", "other", "")
	runs, err := h.svc.Sync(ctx, "dev", "/services", ferry.PullRequest{Force: true, Actor: "ci"})
	if err != nil || len(runs) != 2 {
		t.Fatalf("sync = %v, %v", runs, err)
	}
	for _, r := range runs {
		if r.Binding == "three" || !r.Force {
			t.Fatalf("sync queued %+v", r)
		}
		h.wait(r)
	}
	_, err = h.svc.Sync(ctx, "dev", "/nothing", ferry.PullRequest{})
	if ferry.ErrorCode(err) != ferry.ENOTFOUND {
		t.Fatalf("sync of a directory without bindings = %v", err)
	}
}

func ptr[T any](v T) *T { return &v }
