package ui_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/catalog"
	fhttp "github.com/ferrygit/ferry/http"
	"github.com/ferrygit/ferry/secretbox"
	"github.com/ferrygit/ferry/sqlstore"
	"github.com/ferrygit/ferry/ui"
)

// BenchmarkPages measures the server-side time of the main pages for a namespace of
// 30,000 files (100 directories of 300) and a binding with 1,000 runs: the whole handler —
// the UI, its in-process API calls, SQLite — without the network. Target: each under
// 100 ms. Run: go test -run '^$' -bench Pages -benchtime 20x ./ui
func BenchmarkPages(b *testing.B) {
	ctx := context.Background()
	box, err := secretbox.New(bytes.Repeat([]byte{9}, secretbox.KeySize))
	if err != nil {
		b.Fatal(err)
	}
	db, err := sqlstore.Open(ctx, sqlstore.Config{DataDir: b.TempDir(), Sealer: box})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if err := db.CreateNamespace(ctx, &ferry.Namespace{Name: "dev"}); err != nil {
		b.Fatal(err)
	}
	cs := &ferry.ChangeSet{Namespace: "dev", Actor: "bench", Message: "30,000 files"}
	for d := range 100 {
		for f := range 300 {
			cs.Changes = append(cs.Changes, ferry.FileChange{Path: fmt.Sprintf("d%03d/f%05d.yaml", d, f),
				Content: []byte(fmt.Sprintf("name: service-%d-%d\nupstream: http://svc-%d:8080\nretries: 3\n", d, f, f))})
		}
	}
	if _, _, err := db.ApplyChanges(ctx, cs); err != nil {
		b.Fatal(err)
	}
	second := &ferry.ChangeSet{Namespace: "dev", Actor: "bench", Message: "one change", Base: 1,
		Changes: []ferry.FileChange{{Path: "d000/f00000.yaml", Content: []byte("name: service-0-0\nupstream: http://svc-0:9090\nretries: 5\n")}}}
	if _, _, err := db.ApplyChanges(ctx, second); err != nil {
		b.Fatal(err)
	}
	bind := &ferry.Binding{Namespace: "dev", Name: "gw", Directory: "d000", URL: "https://git.example.com/acme/gw.git", Direction: ferry.DirectionPull}
	if err := bind.Validate(); err != nil {
		b.Fatal(err)
	}
	if err := db.CreateBinding(ctx, bind); err != nil {
		b.Fatal(err)
	}
	for i := range 1000 {
		run, _, err := db.QueueRun(ctx, ferry.RunRequest{BindingID: bind.ID, Kind: ferry.RunPull, Trigger: ferry.TriggerSchedule, Actor: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := db.StartRun(ctx, run.ID); err != nil {
			b.Fatal(err)
		}
		run.Result, run.State, run.CommitAfter = ferry.ResultUpToDate, ferry.RunDone, fmt.Sprintf("%040x", i)
		run.Steps = []ferry.RunStep{{Name: "resolve", Result: "ok", Message: "main is at …"}}
		if err := db.FinishRun(ctx, run, false); err != nil {
			b.Fatal(err)
		}
	}
	if err := db.CreateUser(ctx, &ferry.User{Name: "admin", Admin: true}, "unused"); err != nil {
		b.Fatal(err)
	}
	u, err := db.FindUser(ctx, "admin")
	if err != nil {
		b.Fatal(err)
	}
	const cookie = "bench-session-cookie-value-0123456789"
	if err := db.CreateSession(ctx, &ferry.Session{UserID: u.ID, ExpiresAt: time.Now().Add(time.Hour)}, sha256.Sum256([]byte(cookie))); err != nil {
		b.Fatal(err)
	}

	api := fhttp.NewServer()
	api.Namespaces, api.Files, api.Credentials, api.KnownHosts = db, db, db, db
	api.Bindings, api.Runs, api.Webhooks = db, db, db
	api.Tokens, api.Users, api.Audit = db, db, db
	api.Catalog, api.CatalogStore = &catalog.Service{Store: db}, db
	api.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	h := api.Handler()
	api.UI = (&ui.Server{API: h, Logger: api.Logger}).Handler()

	for _, page := range []string{
		"/", "/ns/dev/", "/ns/dev/tree/d050", "/ns/dev/files/d050/f00150.yaml", "/ns/dev/revisions",
		"/ns/dev/revisions/2", "/ns/dev/revisions/1", "/ns/dev/git", "/ns/dev/git/gw", "/settings/tokens", "/settings/audit", "/ns/dev/catalog",
	} {
		b.Run(page, func(b *testing.B) {
			for b.Loop() {
				req := httptest.NewRequest("GET", page, nil)
				req.Header.Set("Cookie", "ferry_session="+cookie)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("GET %s = %d: %.300s", page, rec.Code, rec.Body.String())
				}
			}
		})
	}
}
