package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/gitsync/standin"
	ferryhttp "github.com/ferrygit/ferry/http"
	"github.com/ferrygit/ferry/secretbox"
	"github.com/ferrygit/ferry/sqlstore"
)

// fakePusher is the stand-in Pusher (gitsync/standin), beside fakeSync, with helpers for
// these tests.
type fakePusher struct{ *standin.Pusher }

// startPushServer runs a real API server over SQLite on 127.0.0.1 whose binding, run and
// push routes work through fakeSync and fakePusher, and returns the environment that
// points the CLI at it with the pusher.
func startPushServer(t *testing.T) (cliEnv, fakePusher) {
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
	p := fakePusher{&standin.Pusher{DB: db}}
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

// calls returns how many pushes and plans (of pushes and pulls) the pusher got.
func (p fakePusher) calls() (pushes, plans int) {
	pushes, pushPlans, pullPlans := p.Calls()
	return pushes, pushPlans + pullPlans
}

// lastPush returns the last push request.
func (p fakePusher) lastPush(t *testing.T) ferry.PushRequest {
	t.Helper()
	req, ok := p.LastPush()
	if !ok {
		t.Fatal("Push was not called")
	}
	return req
}
