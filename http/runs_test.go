package http_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ferrygit/ferry"
	fhttp "github.com/ferrygit/ferry/http"
)

// decodeRun reads a run answer and checks its status.
func decodeRun(t *testing.T, resp response, status int) *ferry.Run {
	t.Helper()
	if resp.Status != status {
		t.Fatalf("status = %d, want %d; body: %s", resp.Status, status, resp.Body)
	}
	var run ferry.Run
	decode(t, resp, &run)
	return &run
}

func TestPull(t *testing.T) {
	ts := newSyncServer(t)
	ctx := context.Background()
	ts.mustNamespace(t, "dev")
	first := ts.mustBinding(t, "dev", fhttp.BindingRequest{Name: "payments", Directory: "a", URL: "https://git.example.com/a.git"}).FirstRun
	const pull = "/api/v1/namespaces/dev/bindings/payments/pull"

	// While the first pull waits, another coalesces into it, forced if it asks to be.
	run := decodeRun(t, ts.raw(t, "POST", pull, nil), http.StatusAccepted)
	if run.ID != first.ID || run.State != ferry.RunQueued || run.Force {
		t.Fatalf("pull = %+v, want queued run %d", run, first.ID)
	}
	run = decodeRun(t, ts.raw(t, "POST", pull, []byte(`{"force":true}`)), http.StatusAccepted)
	if run.ID != first.ID || !run.Force || run.Trigger != ferry.TriggerAPI || run.Actor != fhttp.AdminActor {
		t.Fatalf("forced pull = %+v", run)
	}

	run = decodeRun(t, ts.raw(t, "POST", pull+"?wait=true", nil), http.StatusOK)
	if run.ID != first.ID || run.State != ferry.RunDone || run.Result != ferry.ResultApplied || run.CommitAfter != "c2" || run.Added != 2 || len(run.Steps) != 1 {
		t.Fatalf("waited pull = %+v", run)
	}
	run, err := ts.Client.Pull(ctx, "dev", "payments", false, true)
	if err != nil || run.ID == first.ID || run.State != ferry.RunDone || run.Result != ferry.ResultApplied || run.Actor != fhttp.AdminActor || run.Trigger != ferry.TriggerAPI {
		t.Fatalf("client pull with wait = %+v, %v", run, err)
	}
	b, err := ts.Client.FindBinding(ctx, "dev", "payments")
	if err != nil || b.Status.State != ferry.StateOK || b.Status.LastCommit != "c2" || b.Status.LastRun != run.ID {
		t.Fatalf("status after the pulls = %+v, %v", b.Status, err)
	}
	run, err = ts.Client.Pull(ctx, "dev", "payments", true, false)
	if err != nil || run.State != ferry.RunQueued || !run.Force {
		t.Fatalf("client pull = %+v, %v", run, err)
	}

	for _, tc := range []struct{ query, body, fragment string }{
		{"", `{"dryrun":true}`, `unknown field "dryrun"`},
		{"", `{"force":"yes"}`, "force"},
		{"?wait=maybe", "", "wait"},
		{"?wait=true&timeout=0", "", "timeout"},
		{"?wait=true&timeout=901", "", "900"},
		{"?wait=true&timeout=1.5", "", "timeout"},
	} {
		wantError(t, ts.raw(t, "POST", pull+tc.query, []byte(tc.body)), 400, ferry.EINVALID, tc.fragment)
	}
	wantError(t, ts.raw(t, "POST", "/api/v1/namespaces/dev/bindings/nope/pull", nil), 404, ferry.ENOTFOUND)
	wantError(t, ts.raw(t, "POST", "/api/v1/namespaces/nope/bindings/payments/pull", nil), 404, ferry.ENOTFOUND)
	wantError(t, ts.raw(t, "GET", pull, nil), 405, ferry.EINVALID, "POST")
}

func TestPullOutcomes(t *testing.T) {
	ts := newSyncServer(t)
	ts.mustNamespace(t, "dev")
	ts.mustBinding(t, "dev", fhttp.BindingRequest{Name: "stalled", Directory: "a", URL: "https://git.example.com/stalled.git"})
	ts.mustBinding(t, "dev", fhttp.BindingRequest{Name: "slow", Directory: "b", URL: "https://git.example.com/slow.git"})
	ts.mustBinding(t, "dev", fhttp.BindingRequest{Name: "out", Directory: "c", URL: "https://git.example.com/c.git", Direction: ferry.DirectionPush})

	run := decodeRun(t, ts.raw(t, "POST", "/api/v1/namespaces/dev/bindings/stalled/pull?wait=true", nil), http.StatusOK)
	if run.Result != ferry.ResultStalled || run.Error == nil || run.Error.Reason != ferry.ReasonAuthFailed {
		t.Fatalf("stalled pull = %+v", run)
	}
	// A wait that times out answers 202 with the run as it is.
	run = decodeRun(t, ts.raw(t, "POST", "/api/v1/namespaces/dev/bindings/slow/pull?wait=true&timeout=1", nil), http.StatusAccepted)
	if run.State != ferry.RunRunning || run.Binding != "slow" {
		t.Fatalf("slow pull = %+v", run)
	}
	wantError(t, ts.raw(t, "POST", "/api/v1/namespaces/dev/bindings/out/pull", nil), 400, ferry.EINVALID, "only pushes")
}

func TestSync(t *testing.T) {
	ts := newSyncServer(t)
	ctx := context.Background()
	ts.mustNamespace(t, "dev")
	for _, b := range []fhttp.BindingRequest{
		{Name: "payments", Directory: "/services/payments", URL: "https://git.example.com/p.git"},
		{Name: "orders", Directory: "/services/orders", URL: "https://git.example.com/o.git"},
		{Name: "services2", Directory: "/services2", URL: "https://git.example.com/s.git"},
		{Name: "out", Directory: "/services/out", URL: "https://git.example.com/x.git", Direction: ferry.DirectionPush},
	} {
		ts.mustBinding(t, "dev", b)
	}
	names := func(runs []*ferry.Run) string {
		var s []string
		for _, r := range runs {
			s = append(s, r.Binding)
		}
		return strings.Join(s, ",")
	}

	resp := ts.raw(t, "POST", "/api/v1/namespaces/dev/sync?directory=/services&force=true", nil)
	var list struct {
		Items []*ferry.Run `json:"items"`
		Next  *string      `json:"next"`
	}
	decode(t, resp, &list)
	if resp.Status != http.StatusAccepted || names(list.Items) != "orders,payments" || list.Next == nil || *list.Next != "" {
		t.Fatalf("sync /services = %d %s", resp.Status, resp.Body)
	}
	for _, r := range list.Items {
		if !r.Force || r.State != ferry.RunQueued || r.Actor != fhttp.AdminActor {
			t.Errorf("run %+v: want a forced queued run by admin", r)
		}
	}

	runs, err := ts.Client.Sync(ctx, "dev", "/services/payments", false, true)
	if err != nil || names(runs) != "payments" || runs[0].State != ferry.RunDone || runs[0].Result != ferry.ResultApplied {
		t.Fatalf("sync payments with wait = %v, %v", runs, err)
	}
	runs, err = ts.Client.Sync(ctx, "dev", "", false, true)
	if err != nil || names(runs) != "orders,payments,services2" {
		t.Fatalf("sync all = %v, %v", runs, err)
	}
	for _, r := range runs {
		if r.State != ferry.RunDone {
			t.Errorf("run %d of %s is %s after the wait", r.ID, r.Binding, r.State)
		}
	}

	resp = ts.raw(t, "POST", "/api/v1/namespaces/dev/sync?directory=nowhere", nil)
	if resp.Status != http.StatusAccepted || strings.TrimSpace(string(resp.Body)) != `{"items":[],"next":""}` {
		t.Fatalf("sync of an empty directory = %d %s", resp.Status, resp.Body)
	}
	wantError(t, ts.raw(t, "POST", "/api/v1/namespaces/nope/sync", nil), 404, ferry.ENOTFOUND)
	wantError(t, ts.raw(t, "POST", "/api/v1/namespaces/dev/sync?directory=../x", nil), 400, ferry.EINVALID)
	wantError(t, ts.raw(t, "POST", "/api/v1/namespaces/dev/sync?force=often", nil), 400, ferry.EINVALID, "force")

	// One slow run keeps a waited sync at 202; the others are done.
	ts.mustBinding(t, "dev", fhttp.BindingRequest{Name: "slow", Directory: "/slow", URL: "https://git.example.com/slow.git"})
	resp = ts.raw(t, "POST", "/api/v1/namespaces/dev/sync?wait=true&timeout=1", nil)
	decode(t, resp, &list)
	if resp.Status != http.StatusAccepted || len(list.Items) != 4 {
		t.Fatalf("sync with a slow binding = %d %s", resp.Status, resp.Body)
	}
	for _, r := range list.Items {
		if (r.State == ferry.RunDone) == (r.Binding == "slow") {
			t.Errorf("run of %s is %s", r.Binding, r.State)
		}
	}
}

func TestRuns(t *testing.T) {
	ts := newSyncServer(t)
	ctx := context.Background()
	ts.mustNamespace(t, "dev")
	ts.mustBinding(t, "dev", fhttp.BindingRequest{Name: "payments", Directory: "a", URL: "https://git.example.com/a.git"})
	var ids []int64
	for range 3 {
		run, err := ts.Client.Pull(ctx, "dev", "payments", false, true)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, run.ID)
	}

	runs, next, err := ts.Client.ListRuns(ctx, "dev", "payments", ferry.Page{Limit: 2})
	if err != nil || len(runs) != 2 || runs[0].ID != ids[2] || runs[1].ID != ids[1] || next == "" {
		t.Fatalf("first page = %v, %q, %v", runs, next, err)
	}
	runs, next, err = ts.Client.ListRuns(ctx, "dev", "payments", ferry.Page{Limit: 2, Cursor: next})
	if err != nil || len(runs) != 1 || runs[0].ID != ids[0] || next != "" {
		t.Fatalf("second page = %v, %q, %v", runs, next, err)
	}
	run, err := ts.Client.FindRun(ctx, "dev", "payments", ids[1])
	if err != nil || run.ID != ids[1] || run.Result != ferry.ResultApplied || len(run.Steps) != 1 || run.Steps[0].Name != "resolve" {
		t.Fatalf("find = %+v, %v", run, err)
	}
	resp := ts.raw(t, "GET", fmt.Sprintf("/api/v1/namespaces/dev/bindings/payments/runs/%d", ids[0]), nil)
	if resp.Status != http.StatusOK || !strings.Contains(string(resp.Body), `"commit_after":"c2"`) || strings.Contains(string(resp.Body), "binding_id") {
		t.Fatalf("raw run = %d %s", resp.Status, resp.Body)
	}

	_, err = ts.Client.FindRun(ctx, "dev", "payments", 999)
	wantCode(t, err, ferry.ENOTFOUND)
	_, _, err = ts.Client.ListRuns(ctx, "dev", "nope", ferry.Page{})
	wantCode(t, err, ferry.ENOTFOUND)
	for _, id := range []string{"0", "-1", "abc", "1.5"} {
		wantError(t, ts.raw(t, "GET", "/api/v1/namespaces/dev/bindings/payments/runs/"+id, nil), 400, ferry.EINVALID, "Run id")
	}
	// A run of another binding is not found under this one.
	ts.mustBinding(t, "dev", fhttp.BindingRequest{Name: "orders", Directory: "b", URL: "https://git.example.com/b.git"})
	_, err = ts.Client.FindRun(ctx, "dev", "orders", ids[0])
	wantCode(t, err, ferry.ENOTFOUND)
}

// TestShutdownEndsWaits closes the server while a request waits for a run that never ends:
// the wait answers at once with the run as it is, and Close returns without its timeout.
func TestShutdownEndsWaits(t *testing.T) {
	ts := newSyncServer(t)
	ts.mustNamespace(t, "dev")
	ts.mustBinding(t, "dev", fhttp.BindingRequest{Name: "slow", Directory: "b", URL: "https://git.example.com/slow.git"})
	answered := make(chan response, 1)
	go func() {
		answered <- ts.raw(t, "POST", "/api/v1/namespaces/dev/bindings/slow/pull?wait=true&timeout=40", nil)
	}()
	// Wait until the request waits: the stand-in marks the run running when its wait starts.
	for i := 0; ; i++ {
		runs, _, err := ts.DB.ListRuns(context.Background(), "dev", "slow", ferry.Page{})
		if err == nil && len(runs) >= 1 && runs[0].State == ferry.RunRunning {
			break
		}
		if i > 500 {
			t.Fatal("the pull was not queued")
		}
		time.Sleep(10 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := ts.Close(ctx); err != nil {
		t.Fatalf("Close = %v: it waited for the request's own timeout", err)
	}
	if resp := <-answered; resp.Status != http.StatusAccepted {
		t.Fatalf("the waiting request answered %d %s", resp.Status, resp.Body)
	}
}
