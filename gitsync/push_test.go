package gitsync_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/git/gittest"
	"github.com/ferrygit/ferry/gitsync"
	"github.com/ferrygit/ferry/sqlstore"
)

// write changes files of the harness's namespace (content "" deletes).
func (h *harness) write(files map[string]string) {
	h.t.Helper()
	cs := &ferry.ChangeSet{Namespace: "dev", Actor: "editor"}
	for p, c := range files {
		cs.Changes = append(cs.Changes, ferry.FileChange{Path: p, Content: []byte(c), Delete: c == ""})
	}
	if _, _, err := h.db.ApplyChanges(context.Background(), cs); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) push(name string, req ferry.PushRequest) *ferry.Run {
	h.t.Helper()
	if req.Actor == "" {
		req.Actor = "Ada Lovelace"
	}
	run, err := h.svc.Push(context.Background(), "dev", name, req)
	if err != nil {
		h.t.Fatalf("push: %v", err)
	}
	return h.wait(run)
}

func (h *harness) binding(name, dir, path, direction string) {
	h.t.Helper()
	run, err := h.svc.CreateBinding(context.Background(), &ferry.Binding{Namespace: "dev", Name: name, Directory: dir, URL: h.url,
		Ref: "main", Path: path, Direction: direction}, "t")
	if err != nil {
		h.t.Fatal(err)
	}
	if run != nil {
		wantResult(h.t, h.wait(run), ferry.ResultApplied)
	}
}

func TestPushToEmptyRepository(t *testing.T) {
	h := newHarness(t, openDB(t, sqlstore.Config{DataDir: t.TempDir()}), nil, gitsync.Limits{})
	h.write(map[string]string{"svc/payments/route.yaml": "route: 1\n", "svc/payments/run.sh": "#!/bin/sh\n"})
	h.binding("out", "svc", "deploy", ferry.DirectionPush)
	run := h.push("out", ferry.PushRequest{Message: "First export"})
	wantResult(t, run, ferry.ResultApplied)
	head := h.repo.Head()
	if head == "" || run.CommitAfter != head || run.Added != 2 {
		t.Fatalf("push = %+v; head %s", run, head)
	}
	if got := h.repo.File(head, "deploy/payments/route.yaml"); got != "route: 1\n" {
		t.Fatalf("pushed file = %q", got)
	}
	commit := h.repo.Git("cat-file", "-p", head)
	for _, want := range []string{"author Ada Lovelace <Ada.Lovelace@ferry.invalid>", "committer Ferry <ferry@localhost>", "First export"} {
		if !strings.Contains(commit, want) {
			t.Fatalf("commit lacks %q:\n%s", want, commit)
		}
	}
	// Pushing again changes nothing.
	again := h.push("out", ferry.PushRequest{})
	wantResult(t, again, ferry.ResultUpToDate)
	if h.repo.Head() != head {
		t.Fatal("a no-op push made a commit")
	}
}

func TestPushSubdirectoryWithTag(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, openDB(t, sqlstore.Config{DataDir: t.TempDir()}), map[string]string{
		"config/a.yaml": "a: 1\n", "config/b.yaml": "b: 1\n", "other/keep.txt": "not Ferry's",
	}, gitsync.Limits{})
	h.binding("cfg", "services", "config", ferry.DirectionBoth)
	pulled := h.repo.Head()

	// Round trip: a push right after the pull makes no commit.
	wantResult(t, h.push("cfg", ferry.PushRequest{}), ferry.ResultUpToDate)
	if h.repo.Head() != pulled {
		t.Fatal("a push of what was pulled made a commit")
	}

	h.write(map[string]string{"services/a.yaml": "a: 2\n", "services/b.yaml": "", "services/c.yaml": "c: 1\n"})
	plan, err := h.svc.PlanPush(ctx, "dev", "cfg", ferry.PushRequest{})
	if err != nil || plan.Added != 1 || plan.Modified != 1 || plan.Deleted != 1 || plan.Conflict || plan.RemoteCommit != pulled {
		t.Fatalf("plan = %+v, %v", plan, err)
	}
	if h.repo.Head() != pulled {
		t.Fatal("a dry run pushed")
	}
	run := h.push("cfg", ferry.PushRequest{Message: "Release payments 1.4", Tag: &ferry.TagSpec{Name: "v1.4.0", Message: "Payments 1.4"}})
	wantResult(t, run, ferry.ResultApplied)
	head := h.repo.Head()
	if run.CommitAfter != head || run.CommitBefore != pulled || run.Tag != "v1.4.0" {
		t.Fatalf("push = %+v", run)
	}
	if got := h.repo.Git("show", head+":other/keep.txt"); got != "not Ferry's" {
		t.Fatalf("content outside the path changed: %q", got)
	}
	if got := h.repo.Git("ls-tree", "--name-only", head, "config/"); got != "config/a.yaml\nconfig/c.yaml" {
		t.Fatalf("config/ = %q", got)
	}
	if parent := h.repo.Git("rev-parse", head+"^"); parent != pulled {
		t.Fatalf("parent %s, want %s", parent, pulled)
	}
	tag := h.repo.Git("cat-file", "-p", "refs/tags/v1.4.0")
	if !strings.Contains(tag, "object "+head) || !strings.Contains(tag, "type commit") || !strings.Contains(tag, "Payments 1.4") || !strings.Contains(tag, "tagger Ada Lovelace") {
		t.Fatalf("tag object:\n%s", tag)
	}
	b, _ := h.db.FindBinding(ctx, "dev", "cfg")
	if b.Status.LastCommit != head || b.Status.Ahead || b.Status.Behind {
		t.Fatalf("status after push = %+v", b.Status)
	}

	// The same tag on another commit is a conflict; on the same commit it is fine.
	wantResult(t, h.push("cfg", ferry.PushRequest{Tag: &ferry.TagSpec{Name: "v1.4.0"}}), ferry.ResultUpToDate)
	h.write(map[string]string{"services/a.yaml": "a: 3\n"})
	b, _ = h.db.FindBinding(ctx, "dev", "cfg")
	if !b.Status.Ahead {
		t.Fatalf("a local change does not show as ahead: %+v", b.Status)
	}
	clash := h.push("cfg", ferry.PushRequest{Tag: &ferry.TagSpec{Name: "v1.4.0"}})
	wantResult(t, clash, ferry.ResultStalled)
	if clash.Error.Reason != ferry.ReasonConflict || h.repo.Head() != head {
		t.Fatalf("existing tag: %+v; head moved: %v", clash.Error, h.repo.Head() != head)
	}

	// Upstream changes elsewhere: the push lands on top of them.
	elsewhere := h.repo.Commit("outside", map[string]string{"other/keep.txt": "changed upstream"})
	run = h.push("cfg", ferry.PushRequest{})
	wantResult(t, run, ferry.ResultApplied)
	if parent := h.repo.Git("rev-parse", h.repo.Head()+"^"); parent != elsewhere {
		t.Fatalf("parent %s, want the upstream commit %s", parent, elsewhere)
	}
	if got := h.repo.File(h.repo.Head(), "other/keep.txt"); got != "changed upstream" {
		t.Fatalf("upstream change lost: %q", got)
	}

	// Upstream changes under the path: a conflict that names them, nothing pushed.
	theirs := h.repo.Commit("upstream edit", map[string]string{"config/a.yaml": "a: upstream\n"})
	h.write(map[string]string{"services/c.yaml": "c: 2\n"})
	plan, err = h.svc.PlanPush(ctx, "dev", "cfg", ferry.PushRequest{})
	if err != nil || !plan.Conflict || len(plan.ConflictPaths) != 1 || plan.ConflictPaths[0] != "services/a.yaml" {
		t.Fatalf("plan with an upstream change = %+v, %v", plan, err)
	}
	conflict := h.push("cfg", ferry.PushRequest{})
	wantResult(t, conflict, ferry.ResultStalled)
	if conflict.Error.Reason != ferry.ReasonConflict || len(conflict.ConflictPaths) != 1 || h.repo.Head() != theirs {
		t.Fatalf("conflict = %+v %+v", conflict, conflict.Error)
	}
	// Forced, the namespace wins, as a new commit on top of theirs.
	forced := h.push("cfg", ferry.PushRequest{Force: true})
	wantResult(t, forced, ferry.ResultApplied)
	if parent := h.repo.Git("rev-parse", h.repo.Head()+"^"); parent != theirs {
		t.Fatalf("a forced push rewrote history: parent %s, want %s", parent, theirs)
	}
	if got := h.repo.File(h.repo.Head(), "config/a.yaml"); got != "a: 3\n" {
		t.Fatalf("forced push content = %q", got)
	}
	// And a pull brings nothing new: the round trip is closed.
	wantResult(t, h.pull("cfg", false), ferry.ResultUpToDate)
}

func TestPushRejects(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, openDB(t, sqlstore.Config{DataDir: t.TempDir()}), map[string]string{"a": "1"}, gitsync.Limits{})
	h.binding("in", "in", "", ferry.DirectionPull)
	h.binding("out", "out", "", ferry.DirectionPush)
	for _, name := range []string{"v 1", "a..b", "-x", "x.lock", "a~b", "a^b", "a:b", "a?b", "a*b", "a[b", `a\b`, "x@{1}", "x/", ".x", "", "@"} {
		_, err := h.svc.Push(ctx, "dev", "out", ferry.PushRequest{Tag: &ferry.TagSpec{Name: name}})
		if ferry.ErrorCode(err) != ferry.EINVALID || !strings.Contains(ferry.ErrorMessage(err), "Tag name") {
			t.Errorf("tag %q: %v", name, err)
		}
	}
	if _, err := h.svc.Push(ctx, "dev", "in", ferry.PushRequest{}); ferry.ErrorCode(err) != ferry.EINVALID {
		t.Fatalf("push of a pull-only binding = %v", err)
	}
	if _, err := h.svc.Push(ctx, "dev", "out", ferry.PushRequest{Revision: 99}); ferry.ErrorCode(err) != ferry.ENOTFOUND {
		t.Fatalf("push of a missing revision = %v", err)
	}
	runs, _, _ := h.db.ListRuns(ctx, "dev", "out", ferry.Page{})
	if len(runs) != 0 {
		t.Fatalf("rejected pushes queued %d runs", len(runs))
	}

	// Never synced, and the path holds other files upstream: pushing would overwrite them.
	h.write(map[string]string{"out/a": "mine"})
	run := h.push("out", ferry.PushRequest{})
	wantResult(t, run, ferry.ResultStalled)
	if run.Error.Reason != ferry.ReasonConflict || h.repo.File(h.repo.Head(), "a") != "1" {
		t.Fatalf("first push over existing content: %+v", run.Error)
	}

	// A remote that refuses pushes: nothing half-pushed.
	readOnly := gittest.NewRepo(t, map[string]string{"x": "1"})
	readOnly.Git("config", "http.receivepack", "false")
	web := gittest.NewHTTPServer(t, readOnly.Root, gittest.HTTPOptions{})
	first, err := h.svc.CreateBinding(ctx, &ferry.Binding{Namespace: "dev", Name: "ro", Directory: "ro", URL: web.RepoURL(readOnly.Name), Direction: ferry.DirectionBoth}, "t")
	if err != nil {
		t.Fatal(err)
	}
	wantResult(t, h.wait(first), ferry.ResultApplied)
	before := readOnly.Head()
	h.write(map[string]string{"ro/x": "2"})
	run = h.push("ro", ferry.PushRequest{Tag: &ferry.TagSpec{Name: "v1"}})
	wantResult(t, run, ferry.ResultStalled)
	if run.Error.Reason != ferry.ReasonAuthFailed && run.Error.Reason != ferry.ReasonPushRejected {
		t.Fatalf("read-only remote: %+v", run.Error)
	}
	if readOnly.Head() != before || readOnly.Ref("refs/tags/v1") != "" {
		t.Fatal("something was pushed to the read-only remote")
	}
}

func TestTwoWayPullConflict(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, openDB(t, sqlstore.Config{DataDir: t.TempDir()}), map[string]string{"a": "1", "b": "1"}, gitsync.Limits{})
	h.binding("cfg", "cfg", "", ferry.DirectionBoth)
	h.write(map[string]string{"cfg/a": "local"})
	h.repo.Commit("upstream", map[string]string{"a": "upstream", "b": "2"})

	plan, err := h.svc.PlanPull(ctx, "dev", "cfg", ferry.PullRequest{})
	if err != nil || !plan.Conflict || len(plan.ConflictPaths) != 1 || plan.ConflictPaths[0] != "cfg/a" || plan.Modified != 2 {
		t.Fatalf("pull plan = %+v, %v", plan, err)
	}
	run := h.pull("cfg", false)
	wantResult(t, run, ferry.ResultStalled)
	if run.Error.Reason != ferry.ReasonConflict || len(run.ConflictPaths) != 1 {
		t.Fatalf("two-way pull over a local change: %+v %+v", run, run.Error)
	}
	if got := h.tree(); got != "cfg/a=local cfg/b=1" {
		t.Fatalf("a refused pull changed the namespace: %q", got)
	}
	b, _ := h.db.FindBinding(ctx, "dev", "cfg")
	if !b.Status.Ahead {
		t.Fatalf("status = %+v", b.Status)
	}
	wantResult(t, h.pull("cfg", true), ferry.ResultApplied)
	if got := h.tree(); got != "cfg/a=upstream cfg/b=2" {
		t.Fatalf("forced pull: %q", got)
	}
}

// TestRoundTripKeepsModesAndBytes pulls files with an executable bit, a symlink and CRLF line
// endings, pushes them back unchanged (no commit), then pushes an edit: the rest keep their
// modes and bytes.
func TestRoundTripKeepsModesAndBytes(t *testing.T) {
	h := newHarness(t, openDB(t, sqlstore.Config{DataDir: t.TempDir()}), map[string]string{"seed": "1"}, gitsync.Limits{})
	h.repo.CommitFiles("modes", []gittest.File{
		{Path: "app/run.sh", Content: "#!/bin/sh\r\necho hi\r\n", Mode: "100755"},
		{Path: "app/link", Content: "run.sh", Mode: "120000"},
		{Path: "app/.gitkeep", Content: "", Mode: "100644"},
	})
	h.binding("app", "app", "app", ferry.DirectionBoth)
	start := h.repo.Head()
	wantResult(t, h.push("app", ferry.PushRequest{}), ferry.ResultUpToDate)
	if h.repo.Head() != start {
		t.Fatal("pushing what was pulled made a commit")
	}
	h.write(map[string]string{"app/new.txt": "x"})
	wantResult(t, h.push("app", ferry.PushRequest{}), ferry.ResultApplied)
	tree := h.repo.Git("ls-tree", h.repo.Head(), "app/")
	for _, want := range []string{"100755 blob", "120000 blob", "app/.gitkeep"} {
		if !strings.Contains(tree, want) {
			t.Fatalf("tree lacks %q:\n%s", want, tree)
		}
	}
	if got := h.repo.File(h.repo.Head(), "app/run.sh"); got != "#!/bin/sh\r\necho hi\r\n" {
		t.Fatalf("line endings changed: %q", got)
	}
}
