package gitsync_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/git/gittest"
	"github.com/ferrygit/ferry/gitsync"
	"github.com/ferrygit/ferry/jobs"
	"github.com/ferrygit/ferry/sqlstore"
)

// TestPullOverSSH pulls with a key credential from an SSH server whose host key is pinned.
func TestPullOverSSH(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, openDB(t, sqlstore.Config{DataDir: t.TempDir()}), map[string]string{"app/x.yaml": "x: 1\n"}, gitsync.Limits{})
	key := gittest.NewEd25519Key(t)
	host := gittest.NewSSHServer(t, h.repo.Root, key.Public)
	if err := h.db.CreateCredential(ctx, &ferry.Credential{Name: "deploy", Kind: ferry.CredentialSSHKey, PublicKey: key.AuthorizedKey,
		Fingerprint: ssh.FingerprintSHA256(key.Public), Algorithm: "ed25519", Secret: &ferry.CredentialSecret{PrivateKey: key.PEM}}); err != nil {
		t.Fatal(err)
	}
	b := &ferry.Binding{Namespace: "dev", Name: "app", Directory: "app", URL: host.URL(h.repo.Name), Path: "app", Credential: "deploy"}
	run, err := h.svc.CreateBinding(ctx, b, "t")
	if err != nil {
		t.Fatal(err)
	}
	// The host key is not pinned yet: the pull stalls and says which key it saw.
	run = h.wait(run)
	wantResult(t, run, ferry.ResultStalled)
	if run.Error.Reason != ferry.ReasonHostKeyUnknown {
		t.Fatalf("unpinned host: %+v", run.Error)
	}
	if err := h.db.AddKnownHost(ctx, &ferry.KnownHost{Host: host.Addr, KeyType: host.HostKey.Type(), Source: "added",
		Key: base64.StdEncoding.EncodeToString(host.HostKey.Marshal())}); err != nil {
		t.Fatal(err)
	}
	run = h.pull("app", false)
	wantResult(t, run, ferry.ResultApplied)
	if got := h.tree(); got != "app/x.yaml=x: 1\n" {
		t.Fatalf("tree = %q", got)
	}
}

// TestPullRetriesTransientFailures serves 502s first: the run fails, waits for its backoff,
// and succeeds once the remote is back, as the same run.
func TestPullRetriesTransientFailures(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, openDB(t, sqlstore.Config{DataDir: t.TempDir()}), map[string]string{"a": "1"}, gitsync.Limits{})
	var down atomic.Bool
	down.Store(true)
	target, _ := url.Parse(h.web.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	flaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(w, "down for maintenance", http.StatusBadGateway)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	defer flaky.Close()

	b := &ferry.Binding{Namespace: "dev", Name: "cfg", Directory: "cfg", URL: flaky.URL + "/" + h.repo.Name}
	run, err := h.svc.CreateBinding(ctx, b, "t")
	if err != nil {
		t.Fatal(err)
	}
	first := h.wait(run)
	wantResult(t, first, ferry.ResultFailed)
	if first.State != ferry.RunRetrying || first.Error.Reason != ferry.ReasonUnreachable {
		t.Fatalf("first attempt = %+v %+v", first, first.Error)
	}
	down.Store(false)
	deadline := time.Now().Add(30 * time.Second)
	for {
		r, err := h.db.FindRunByID(ctx, run.ID)
		if err != nil {
			t.Fatal(err)
		}
		if r.State == ferry.RunDone {
			wantResult(t, r, ferry.ResultApplied)
			if r.Attempt < 2 || r.Error != nil {
				t.Fatalf("retried run = %+v", r)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the run was not retried: %+v", r)
		}
		time.Sleep(100 * time.Millisecond)
	}
	bb, _ := h.db.FindBinding(ctx, "dev", "cfg")
	if bb.Status.State != ferry.StateOK || bb.Status.ConsecutiveFailures != 0 {
		t.Fatalf("status after recovery = %+v", bb.Status)
	}
}

// TestQueuedRunSurvivesRestart queues a pull while no worker runs, closes everything, and
// opens a new queue on the same database: the run is carried out.
func TestQueuedRunSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	h := newHarness(t, openDB(t, sqlstore.Config{DataDir: dir}), map[string]string{"a": "1"}, gitsync.Limits{})
	stopped := &stoppedQueue{}
	h.svc.Queue = stopped // the job is "lost": recorded, never enqueued
	b := &ferry.Binding{Namespace: "dev", Name: "cfg", Directory: "cfg", URL: h.url}
	run, err := h.svc.CreateBinding(ctx, b, "t")
	if err != nil || run.State != ferry.RunQueued || stopped.n != 1 {
		t.Fatalf("queued = %+v, %v", run, err)
	}

	// A new process: the old queue stops, a new one opens on the same database, and its
	// first poll sweeps the run in.
	if err := h.queue.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	svc := &gitsync.Service{Store: h.db, Git: h.svc.Git, Secrets: h.svc.Secrets, Policy: h.svc.Policy,
		Now: func() time.Time { return time.Now().Add(time.Minute) }}
	q, err := jobs.OpenSQLite(ctx, h.db.WritePool(), jobs.Config{Sync: svc, Poll: "@every 1h"})
	if err != nil {
		t.Fatal(err)
	}
	svc.Queue = q
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer q.Stop(context.Background())
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	done, err := svc.WaitRun(wctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantResult(t, done, ferry.ResultApplied)
}

type stoppedQueue struct{ n int }

func (q *stoppedQueue) EnqueueRun(context.Context, *ferry.Run) error { q.n++; return nil }

// TestRunIDReusedAfterDelete deletes a binding with its newest run; SQLite gives the next
// run the same ID, and that run must still get its job.
func TestRunIDReusedAfterDelete(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, openDB(t, sqlstore.Config{DataDir: t.TempDir()}), map[string]string{"a": "1"}, gitsync.Limits{})
	first := h.bind("one", "one", "")
	wantResult(t, first, ferry.ResultApplied)
	if err := h.svc.DeleteBinding(ctx, "dev", "one"); err != nil {
		t.Fatal(err)
	}
	again := h.bind("two", "two", "")
	wantResult(t, again, ferry.ResultApplied)
}
