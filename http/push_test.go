package http_test

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/gitsync/standin"
	fhttp "github.com/ferrygit/ferry/http"
	"github.com/ferrygit/ferry/sqlstore"
)

const pushPath = "/api/v1/namespaces/dev/bindings/out/push"

// pushEnv starts a push server with namespace dev and bindings out (push only), both
// (two-way), in (pull only), conflict (two-way; its pushes conflict), stalled and slow
// (push only, runs stall or never end) and empty (push only, nothing to push).
func pushEnv(t *testing.T) (*testServer, fakePusher) {
	t.Helper()
	ts, p := newPushServer(t)
	ts.mustNamespace(t, "dev")
	for _, b := range []fhttp.BindingRequest{
		{Name: "out", Directory: "out", URL: "https://git.example.com/out.git", Direction: ferry.DirectionPush},
		{Name: "both", Directory: "both", URL: "https://git.example.com/both.git", Direction: ferry.DirectionBoth},
		{Name: "in", Directory: "in", URL: "https://git.example.com/in.git"},
		{Name: "conflict", Directory: "conflict", URL: "https://git.example.com/conflict.git", Direction: ferry.DirectionBoth},
		{Name: "stalled", Directory: "stalled", URL: "https://git.example.com/stalled.git", Direction: ferry.DirectionPush},
		{Name: "slow", Directory: "slow", URL: "https://git.example.com/slow.git", Direction: ferry.DirectionPush},
		{Name: "empty", Directory: "empty", URL: "https://git.example.com/empty.git", Direction: ferry.DirectionPush},
	} {
		ts.mustBinding(t, "dev", b)
	}
	return ts, p
}

// runCount returns how many runs a binding has.
func runCount(t *testing.T, db *sqlstore.DB, ns, name string) int {
	t.Helper()
	runs, _, err := db.ListRuns(context.Background(), ns, name, ferry.Page{Limit: ferry.MaxPageLimit})
	if err != nil {
		t.Fatal(err)
	}
	return len(runs)
}

// decodePlan reads a plan answer and checks its status.
func decodePlan(t *testing.T, resp response) *ferry.SyncPlan {
	t.Helper()
	if resp.Status != http.StatusOK {
		t.Fatalf("status = %d, want 200; body: %s", resp.Status, resp.Body)
	}
	var plan ferry.SyncPlan
	decode(t, resp, &plan)
	return &plan
}

func TestPush(t *testing.T) {
	ts, p := pushEnv(t)
	ctx := context.Background()

	body := `{"message":"Release payments 1.4","tag":{"name":"v1.4.0","message":"Payments 1.4"},"force":true,"dry_run":false,"revision":3}`
	run := decodeRun(t, ts.raw(t, "POST", pushPath, []byte(body)), http.StatusAccepted)
	if run.Kind != ferry.RunPush || run.State != ferry.RunQueued || run.Binding != "out" || !run.Force ||
		run.Trigger != ferry.TriggerAPI || run.Actor != fhttp.AdminActor {
		t.Fatalf("push = %+v, want a queued forced push by admin", run)
	}
	want := ferry.PushRequest{Message: "Release payments 1.4", Tag: &ferry.TagSpec{Name: "v1.4.0", Message: "Payments 1.4"},
		Force: true, Revision: 3, Trigger: ferry.TriggerAPI, Actor: fhttp.AdminActor}
	if got := p.lastPush(t); !reflect.DeepEqual(got, want) {
		t.Errorf("the pusher got %+v (tag %+v), want %+v", got, got.Tag, want)
	}

	// Waiting carries the queued run out; every field of the body is optional.
	run = decodeRun(t, ts.raw(t, "POST", pushPath+"?wait=true", nil), http.StatusOK)
	if run.Kind != ferry.RunPush || run.State != ferry.RunDone || run.Result != ferry.ResultApplied || run.CommitAfter != "c2" {
		t.Fatalf("waited push = %+v", run)
	}
	if got := p.lastPush(t); got.Tag != nil || got.Message != "" || got.Force || got.Revision != 0 {
		t.Errorf("an empty body reached the pusher as %+v", got)
	}

	run, err := ts.Client.Push(ctx, "dev", "out", ferry.PushRequest{Message: "m", Tag: &ferry.TagSpec{Name: "release/2024-01"}, DryRun: true}, true)
	if err != nil || run.Kind != ferry.RunPush || run.State != ferry.RunDone || run.Result != ferry.ResultApplied || run.Actor != fhttp.AdminActor {
		t.Fatalf("client push with wait = %+v, %v", run, err)
	}
	if got := p.lastPush(t); got.DryRun || got.Tag == nil || got.Tag.Name != "release/2024-01" || got.Message != "m" {
		t.Errorf("the client's push reached the pusher as %+v", got)
	}
	run, err = ts.Client.Push(ctx, "dev", "both", ferry.PushRequest{}, false)
	if err != nil || run.State != ferry.RunQueued || run.Binding != "both" || run.Kind != ferry.RunPush {
		t.Fatalf("client push = %+v, %v", run, err)
	}

	// A conflict is a finished run, not an error of the request.
	run = decodeRun(t, ts.raw(t, "POST", "/api/v1/namespaces/dev/bindings/conflict/push?wait=true", nil), http.StatusOK)
	if run.Result != ferry.ResultStalled || run.Error == nil || run.Error.Reason != ferry.ReasonConflictRun {
		t.Fatalf("conflicting push = %+v", run)
	}
	run = decodeRun(t, ts.raw(t, "POST", "/api/v1/namespaces/dev/bindings/stalled/push?wait=true", nil), http.StatusOK)
	if run.Result != ferry.ResultStalled || run.Error == nil || run.Error.Reason != ferry.ReasonAuthFailed {
		t.Fatalf("stalled push = %+v", run)
	}
	run = decodeRun(t, ts.raw(t, "POST", "/api/v1/namespaces/dev/bindings/slow/push?wait=true&timeout=1", nil), http.StatusAccepted)
	if run.State != ferry.RunRunning || run.Binding != "slow" {
		t.Fatalf("slow push = %+v", run)
	}
}

func TestPushDryRun(t *testing.T) {
	ts, p := pushEnv(t)
	ctx := context.Background()
	before := runCount(t, ts.DB, "dev", "out")

	plan := decodePlan(t, ts.raw(t, "POST", pushPath+"?wait=true", []byte(`{"dry_run":true,"revision":4,"tag":{"name":"v1"}}`)))
	if plan.Kind != ferry.RunPush || plan.Revision != 4 || plan.RemoteCommit != "c2" || plan.SyncedCommit != "c1" || len(plan.Changes) != 3 ||
		plan.Changes[0] != (ferry.PlanChange{Path: "a.yaml", Action: ferry.ActionAdded, Size: 120}) || plan.Added != 1 || plan.Conflict {
		t.Fatalf("plan = %+v", plan)
	}
	pushes, plans, _ := p.calls()
	if pushes != 0 || plans != 1 || runCount(t, ts.DB, "dev", "out") != before {
		t.Errorf("a dry run pushed (%d pushes, %d plans) or queued a run", pushes, plans)
	}

	plan, err := ts.Client.PlanPush(ctx, "dev", "conflict", ferry.PushRequest{})
	if err != nil || !plan.Conflict || !reflect.DeepEqual(plan.ConflictPaths, []string{"b.yaml"}) {
		t.Fatalf("conflicting plan = %+v, %v", plan, err)
	}
	if plan, err = ts.Client.PlanPush(ctx, "dev", "conflict", ferry.PushRequest{Force: true}); err != nil || plan.Conflict {
		t.Fatalf("forced plan = %+v, %v", plan, err)
	}
	if _, err := ts.Client.PlanPush(ctx, "dev", "in", ferry.PushRequest{}); ferry.ErrorCode(err) != ferry.EINVALID {
		t.Errorf("plan of a pull-only binding: %v", err)
	}
	if pushes, _, _ := p.calls(); pushes != 0 {
		t.Errorf("the client's dry runs pushed %d times", pushes)
	}
	wantError(t, ts.raw(t, "POST", pushPath, []byte(`{"dry_run":true,"tag":{"name":"a..b"}}`)), 400, ferry.EINVALID, "'..'")

	// A plan without changes lists none, never null.
	resp := ts.raw(t, "POST", "/api/v1/namespaces/dev/bindings/empty/push", []byte(`{"dry_run":true}`))
	if plan := decodePlan(t, resp); !plan.UpToDate || !strings.Contains(string(resp.Body), `"changes":[]`) {
		t.Errorf("empty plan = %s", resp.Body)
	}
}

func TestPushInvalidTagNames(t *testing.T) {
	ts, p := pushEnv(t)
	for _, tc := range []struct{ name, rule string }{
		{"v 1", "spaces"},
		{"a..b", "'..'"},
		{"-x", "start with '-'"},
		{"x.lock", `".lock"`},
		{"a~b", "~ ^ : ? * [ \\"},
		{"a^b", "~ ^ : ? * [ \\"},
		{"a:b", "~ ^ : ? * [ \\"},
		{"a?b", "~ ^ : ? * [ \\"},
		{"a*b", "~ ^ : ? * [ \\"},
		{"a[b", "~ ^ : ? * [ \\"},
		{"a\\b", "~ ^ : ? * [ \\"},
		{"@{x", "'@{'"},
		{"x/", "end with '/'"},
		{".x", "start with '.'"},
		{"", "required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, err := json.Marshal(ferry.PushRequest{Message: "m", Tag: &ferry.TagSpec{Name: tc.name}})
			if err != nil {
				t.Fatal(err)
			}
			for _, query := range []string{"", "?wait=true"} {
				wantError(t, ts.raw(t, "POST", pushPath+query, body), 400, ferry.EINVALID, "Tag name", tc.rule)
			}
			_, err = ts.Client.Push(context.Background(), "dev", "out", ferry.PushRequest{Tag: &ferry.TagSpec{Name: tc.name}}, false)
			wantCode(t, err, ferry.EINVALID)
		})
	}
	if pushes, plans, _ := p.calls(); pushes != 0 || plans != 0 {
		t.Errorf("bad tag names reached the pusher: %d pushes, %d plans", pushes, plans)
	}
	if n := runCount(t, ts.DB, "dev", "out"); n != 0 {
		t.Errorf("bad tag names queued %d runs", n)
	}
}

func TestPushErrors(t *testing.T) {
	ts, p := pushEnv(t)
	for _, tc := range []struct{ query, body, fragment string }{
		{"", `{"tags":{"name":"v1"}}`, `unknown field "tags"`},
		{"", `{"tag":{"name":"v1","msg":"x"}}`, `unknown field "msg"`},
		{"", `{"trigger":"webhook"}`, `unknown field "trigger"`},
		{"", `{"force":"yes"}`, "force"},
		{"", `{"tag":"v1"}`, "tag"},
		{"", `{"revision":-1}`, "-1"},
		{"", `{"message":"a"} {}`, "exactly one object"},
		{"", `[]`, "JSON object"},
		{"?wait=maybe", "", "wait"},
		{"?wait=true&timeout=0", "", "timeout"},
	} {
		wantError(t, ts.raw(t, "POST", pushPath+tc.query, []byte(tc.body)), 400, ferry.EINVALID, tc.fragment)
	}
	if pushes, plans, _ := p.calls(); pushes != 0 || plans != 0 {
		t.Errorf("bad requests reached the pusher: %d pushes, %d plans", pushes, plans)
	}
	wantError(t, ts.raw(t, "POST", "/api/v1/namespaces/dev/bindings/nope/push", nil), 404, ferry.ENOTFOUND)
	wantError(t, ts.raw(t, "POST", "/api/v1/namespaces/dev/bindings/nope/push", []byte(`{"dry_run":true}`)), 404, ferry.ENOTFOUND)
	wantError(t, ts.raw(t, "POST", "/api/v1/namespaces/nope/bindings/out/push", nil), 404, ferry.ENOTFOUND)
	wantError(t, ts.raw(t, "POST", "/api/v1/namespaces/dev/bindings/in/push", nil), 400, ferry.EINVALID, "only pulls")
	wantError(t, ts.raw(t, "POST", "/api/v1/namespaces/dev/bindings/Bad%20Name/push", nil), 400, ferry.EINVALID, "Binding name")
	wantError(t, ts.raw(t, "GET", pushPath, nil), 405, ferry.EINVALID, "POST")
	if n := runCount(t, ts.DB, "dev", "in"); n != 1 { // its first pull
		t.Errorf("binding in has %d runs, want its first pull only", n)
	}
}

func TestPullDryRun(t *testing.T) {
	ts, p := pushEnv(t)
	ctx := context.Background()
	const pull = "/api/v1/namespaces/dev/bindings/in/pull"
	before := runCount(t, ts.DB, "dev", "in")

	plan := decodePlan(t, ts.raw(t, "POST", pull+"?wait=true", []byte(`{"dry_run":true}`)))
	if plan.Kind != ferry.RunPull || plan.Added != 1 || plan.Modified != 1 || plan.Deleted != 1 || len(plan.Changes) != 3 || plan.Conflict {
		t.Fatalf("pull plan = %+v", plan)
	}
	got := p.PlanPulls()[0]
	if got != (ferry.PullRequest{Trigger: ferry.TriggerAPI, Actor: fhttp.AdminActor}) {
		t.Errorf("the planner got %+v", got)
	}
	if n := runCount(t, ts.DB, "dev", "in"); n != before {
		t.Errorf("a pull dry run queued a run: %d runs, had %d", n, before)
	}

	plan, err := ts.Client.PlanPull(ctx, "dev", "conflict", false)
	if err != nil || !plan.Conflict || plan.Kind != ferry.RunPull {
		t.Fatalf("conflicting pull plan = %+v, %v", plan, err)
	}
	if plan, err = ts.Client.PlanPull(ctx, "dev", "conflict", true); err != nil || plan.Conflict {
		t.Fatalf("forced pull plan = %+v, %v", plan, err)
	}
	_, err = ts.Client.PlanPull(ctx, "dev", "out", false)
	wantCode(t, err, ferry.EINVALID)
	_, err = ts.Client.PlanPull(ctx, "dev", "nope", false)
	wantCode(t, err, ferry.ENOTFOUND)
	wantError(t, ts.raw(t, "POST", pull, []byte(`{"dry_run":"yes"}`)), 400, ferry.EINVALID, "dry_run")

	// "dry_run":false is an ordinary pull.
	run := decodeRun(t, ts.raw(t, "POST", pull, []byte(`{"dry_run":false,"force":true}`)), http.StatusAccepted)
	if run.Kind != ferry.RunPull || !run.Force {
		t.Fatalf("pull with dry_run false = %+v", run)
	}
	if _, _, pulls := p.calls(); pulls != 5 {
		t.Errorf("the planner was called %d times, want 5", pulls)
	}
}

// TestPushUnavailable checks that push and dry runs answer 503 on a server without a
// pusher, and a push that waits, on one without the sync service.
func TestPushUnavailable(t *testing.T) {
	ts := newSyncServer(t)
	ts.mustNamespace(t, "dev")
	ts.mustBinding(t, "dev", fhttp.BindingRequest{Name: "both", Directory: "a", URL: "https://git.example.com/a.git", Direction: ferry.DirectionBoth})
	wantError(t, ts.raw(t, "POST", "/api/v1/namespaces/dev/bindings/both/push", nil), 503, ferry.EUNAVAILABLE)
	wantError(t, ts.raw(t, "POST", "/api/v1/namespaces/dev/bindings/both/push", []byte(`{"dry_run":true}`)), 503, ferry.EUNAVAILABLE)
	wantError(t, ts.raw(t, "POST", "/api/v1/namespaces/dev/bindings/both/pull", []byte(`{"dry_run":true}`)), 503, ferry.EUNAVAILABLE)
	decodeRun(t, ts.raw(t, "POST", "/api/v1/namespaces/dev/bindings/both/pull", nil), http.StatusAccepted)

	var p fakePusher
	ts = newTestServer(t, func(s *fhttp.Server) {
		db := s.Namespaces.(*sqlstore.DB)
		p = fakePusher{&standin.Pusher{DB: db}}
		s.Bindings, s.Runs, s.Pusher = db, db, p
	})
	ts.mustNamespace(t, "dev")
	if err := ts.DB.CreateBinding(context.Background(), &ferry.Binding{Namespace: "dev", Name: "out", Directory: "out", URL: "https://git.example.com/out.git", Direction: ferry.DirectionPush}); err != nil {
		t.Fatal(err)
	}
	wantError(t, ts.raw(t, "POST", pushPath+"?wait=true", nil), 503, ferry.EUNAVAILABLE)
	if pushes, _, _ := p.calls(); pushes != 0 {
		t.Errorf("a push that could not be waited for was pushed")
	}
	decodeRun(t, ts.raw(t, "POST", pushPath, nil), http.StatusAccepted)
	decodePlan(t, ts.raw(t, "POST", pushPath, []byte(`{"dry_run":true}`)))
}
