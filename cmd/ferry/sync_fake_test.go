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

// fakeSync is standin.Sync: a ferry.SyncService over the real database that does no Git work, so the
// CLI can be tested while the Git-backed service (gitsync, tested end to end on its
// own) is built. WaitRun carries the run out at once; its outcome follows the binding's
// URL: "stalled" in it stalls the run, "slow" keeps it from ever finishing, anything else
// applies commit "c2" over "c1" with 2 files added and 1 modified.
type fakeSync = standin.Sync

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
	s.Credentials, s.Bindings, s.Runs, s.Sync = db, db, db, &fakeSync{DB: db}
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
