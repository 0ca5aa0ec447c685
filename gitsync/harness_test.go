package gitsync_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/git"
	"github.com/ferrygit/ferry/git/gittest"
	"github.com/ferrygit/ferry/gitsync"
	"github.com/ferrygit/ferry/jobs"
	"github.com/ferrygit/ferry/secretbox"
	"github.com/ferrygit/ferry/sqlstore"
)

// harness is a real Ferry back end: a database, the git engine, the sync service and the
// job queue working its runs, in front of a real repository served over smart HTTP.
type harness struct {
	t     *testing.T
	db    *sqlstore.DB
	queue *jobs.Queue
	svc   *gitsync.Service
	repo  *gittest.Repo
	web   *gittest.HTTPServer
	url   string
}

// eachDB runs test on SQLite and, when FERRY_TEST_POSTGRES_URL is set, on PostgreSQL.
func eachDB(t *testing.T, test func(t *testing.T, newDB func() *sqlstore.DB)) {
	t.Run("sqlite", func(t *testing.T) {
		test(t, func() *sqlstore.DB { return openDB(t, sqlstore.Config{DataDir: t.TempDir()}) })
	})
	t.Run("postgres", func(t *testing.T) {
		base := os.Getenv("FERRY_TEST_POSTGRES_URL")
		if base == "" {
			t.Skip("FERRY_TEST_POSTGRES_URL is not set")
		}
		test(t, func() *sqlstore.DB { return openDB(t, sqlstore.Config{DatabaseURL: pgSchema(t, base)}) })
	})
}

func openDB(t *testing.T, cfg sqlstore.Config) *sqlstore.DB {
	t.Helper()
	key, _ := secretbox.NewKey()
	box, err := secretbox.New(key)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Sealer = box
	db, err := sqlstore.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// pgSchema returns a URL whose connections use a fresh schema, dropped when the test ends.
func pgSchema(t *testing.T, base string) string {
	t.Helper()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "ferry_sync_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		admin.Close()
	})
	u, _ := url.Parse(base)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// newHarness starts the back end on db with a repository holding files.
func newHarness(t *testing.T, db *sqlstore.DB, files map[string]string, limits gitsync.Limits) *harness {
	t.Helper()
	ctx := context.Background()
	policy := ferry.URLPolicy{AllowHosts: []string{"127.0.0.1"}, AllowInsecureHTTP: true}
	engine, err := git.New(git.Config{Dir: t.TempDir(), Policy: policy, Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	svc := &gitsync.Service{Store: db, Git: engine, Secrets: &gitsync.Secrets{Credentials: db, KnownHosts: db}, Policy: policy, Limits: limits}
	qcfg := jobs.Config{Sync: svc, Poll: "@every 1h"}
	var q *jobs.Queue
	if db.Dialect() == sqlstore.SQLite {
		q, err = jobs.OpenSQLite(ctx, db.WritePool(), qcfg)
	} else {
		var closePool func()
		q, closePool, err = jobs.OpenPostgres(ctx, db.URL(), qcfg)
		if err == nil {
			t.Cleanup(closePool)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	svc.Queue = q
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stop, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		q.Stop(stop)
	})
	if err := db.CreateNamespace(ctx, &ferry.Namespace{Name: "dev"}); err != nil {
		t.Fatal(err)
	}
	repo := gittest.NewRepo(t, files)
	web := gittest.NewHTTPServer(t, repo.Root, gittest.HTTPOptions{})
	return &harness{t: t, db: db, queue: q, svc: svc, repo: repo, web: web, url: web.RepoURL(repo.Name)}
}

// bind creates a binding of the repository's path into directory and waits for its first
// pull.
func (h *harness) bind(name, directory, path string) *ferry.Run {
	h.t.Helper()
	b := &ferry.Binding{Namespace: "dev", Name: name, Directory: directory, URL: h.url, Ref: "main", Path: path}
	run, err := h.svc.CreateBinding(context.Background(), b, "tester")
	if err != nil {
		h.t.Fatalf("create binding: %v", err)
	}
	return h.wait(run)
}

// pull queues a pull and waits for its attempt to end.
func (h *harness) pull(name string, force bool) *ferry.Run {
	h.t.Helper()
	run, err := h.svc.Pull(context.Background(), "dev", name, ferry.PullRequest{Force: force, Actor: "tester"})
	if err != nil {
		h.t.Fatalf("pull: %v", err)
	}
	return h.wait(run)
}

func (h *harness) wait(run *ferry.Run) *ferry.Run {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	run, err := h.svc.WaitRun(ctx, run.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	if run.State == ferry.RunQueued || run.State == ferry.RunRunning {
		h.t.Fatalf("run %d did not end: %+v", run.ID, run)
	}
	return run
}

// tree renders the namespace's files at the head as "path=content" lines.
func (h *harness) tree() string {
	h.t.Helper()
	ctx := context.Background()
	entries, _, err := h.db.ListTree(ctx, "dev", ferry.TreeQuery{Recursive: true, Page: ferry.Page{Limit: 1000}})
	if err != nil {
		h.t.Fatal(err)
	}
	var lines []string
	for _, e := range entries {
		f, err := h.db.ReadFile(ctx, "dev", e.Path, 0)
		if err != nil {
			h.t.Fatal(err)
		}
		lines = append(lines, e.Path+"="+string(f.Content))
	}
	sort.Strings(lines)
	return strings.Join(lines, " ")
}

func wantResult(t *testing.T, run *ferry.Run, result string) {
	t.Helper()
	if run.Result != result {
		t.Fatalf("run %d: result %q (%+v), want %q; steps: %+v", run.ID, run.Result, run.Error, result, run.Steps)
	}
}
