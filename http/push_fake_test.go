package http_test

import (
	"testing"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/gitsync/standin"
	fhttp "github.com/ferrygit/ferry/http"
	"github.com/ferrygit/ferry/sqlstore"
)

// fakePusher is the stand-in Pusher (gitsync/standin), beside fakeSync, with helpers for
// these tests.
type fakePusher struct{ *standin.Pusher }

// newPushServer starts a test server whose binding, run and push routes work.
func newPushServer(t *testing.T) (*testServer, fakePusher) {
	t.Helper()
	var p fakePusher
	ts := newTestServer(t, func(s *fhttp.Server) {
		db := s.Namespaces.(*sqlstore.DB)
		p = fakePusher{&standin.Pusher{DB: db}}
		s.Bindings, s.Runs, s.Sync, s.Pusher = db, db, &fakeSync{DB: db}, p
	})
	return ts, p
}

// calls returns how many times Push, PlanPush and PlanPull were called.
func (p fakePusher) calls() (pushes, plans, pulls int) { return p.Calls() }

// lastPush returns the last request Push got.
func (p fakePusher) lastPush(t *testing.T) ferry.PushRequest {
	t.Helper()
	req, ok := p.LastPush()
	if !ok {
		t.Fatal("Push was not called")
	}
	return req
}
