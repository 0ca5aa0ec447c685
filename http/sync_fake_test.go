package http_test

import (
	"testing"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/gitsync/standin"
	fhttp "github.com/ferrygit/ferry/http"
	"github.com/ferrygit/ferry/sqlstore"
)

// fakeSync is standin.Sync: a ferry.SyncService over the real database that does no Git work, so the
// HTTP layer can be tested while the Git-backed service (gitsync, tested end to end on its
// own) is built. WaitRun carries the run out at once; its outcome follows the binding's
// URL: "stalled" in it stalls the run, "slow" keeps it from ever finishing, anything else
// applies commit "c2" over "c1" with 2 files added and 1 modified.
type fakeSync = standin.Sync

var _ ferry.SyncService = (*fakeSync)(nil)

// newSyncServer starts a test server whose binding and run routes work.
func newSyncServer(t *testing.T) *testServer {
	t.Helper()
	return newTestServer(t, func(s *fhttp.Server) {
		db := s.Namespaces.(*sqlstore.DB)
		s.Bindings, s.Runs, s.Sync = db, db, &fakeSync{DB: db}
	})
}
