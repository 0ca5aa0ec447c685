package gitsync_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/git"
	"github.com/ferrygit/ferry/git/gittest"
	"github.com/ferrygit/ferry/gitsync"
	"github.com/ferrygit/ferry/sqlstore"
)

// TestCrashDuringPull kills a process with SIGKILL while it pulls 3,000 files, at several
// moments, and checks that the namespace then holds exactly the old or the new revision, and
// that running the run again completes it.
func TestCrashDuringPull(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	const n = 3000
	files := map[string]string{}
	for i := 0; i < n; i++ {
		files[fmt.Sprintf("d%02d/f%04d.yaml", i%30, i)] = strings.Repeat("x", 100) + strconv.Itoa(i)
	}
	repo := gittest.NewRepo(t, files)
	web := gittest.NewHTTPServer(t, repo.Root, gittest.HTTPOptions{})
	// The kills spread over the pull: before the fetch, during it, during the apply (around
	// 0.4–0.55 s on the project's machine) and after.
	const ms = time.Millisecond
	for _, delay := range []time.Duration{0, 100 * ms, 250 * ms, 350 * ms, 400 * ms, 450 * ms, 500 * ms, 550 * ms, 650 * ms, 800 * ms, 1000 * ms, 1300 * ms} {
		t.Run(delay.String(), func(t *testing.T) {
			dir := t.TempDir()
			db := openDB(t, sqlstore.Config{DataDir: dir})
			ctx := context.Background()
			if err := db.CreateNamespace(ctx, &ferry.Namespace{Name: "dev"}); err != nil {
				t.Fatal(err)
			}
			b := &ferry.Binding{Namespace: "dev", Name: "cfg", Directory: "cfg", URL: web.RepoURL(repo.Name), Direction: ferry.DirectionPull}
			if err := b.Validate(); err != nil {
				t.Fatal(err)
			}
			if err := db.CreateBinding(ctx, b); err != nil {
				t.Fatal(err)
			}
			run, _, err := db.QueueRun(ctx, ferry.RunRequest{BindingID: b.ID, Kind: ferry.RunPull, Trigger: ferry.TriggerAPI})
			if err != nil {
				t.Fatal(err)
			}
			db.Close()

			cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
			cmd.Env = append(os.Environ(), "FERRY_CRASH_DIR="+dir, "FERRY_CRASH_RUN="+strconv.FormatInt(run.ID, 10))
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			lines := bufio.NewScanner(out)
			for lines.Scan() && lines.Text() != "executing" {
			}
			time.Sleep(delay)
			cmd.Process.Kill()
			cmd.Wait()

			db = openDB(t, sqlstore.Config{DataDir: dir})
			ns, err := db.FindNamespace(ctx, "dev")
			if err != nil {
				t.Fatal(err)
			}
			count := countFiles(t, db)
			if !(ns.Head == 0 && count == 0) && !(ns.Head == 1 && count == n) {
				t.Fatalf("after the crash: head %d with %d files; want the old (0, 0) or the new (1, %d)", ns.Head, count, n)
			}
			svc := childService(t, db)
			if err := svc.Execute(ctx, run.ID, true); err != nil {
				t.Fatal(err)
			}
			if count := countFiles(t, db); count != n {
				t.Fatalf("after running again: %d files", count)
			}
			t.Logf("killed at head %d", ns.Head)
		})
	}
}

// TestCrashChild is the process TestCrashDuringPull kills.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv("FERRY_CRASH_DIR")
	if dir == "" {
		t.Skip("only run by TestCrashDuringPull")
	}
	id, _ := strconv.ParseInt(os.Getenv("FERRY_CRASH_RUN"), 10, 64)
	db := openDB(t, sqlstore.Config{DataDir: dir})
	svc := childService(t, db)
	fmt.Println("executing")
	if err := svc.Execute(context.Background(), id, true); err != nil {
		t.Fatal(err)
	}
	fmt.Println("done")
}

func childService(t *testing.T, db *sqlstore.DB) *gitsync.Service {
	t.Helper()
	policy := ferry.URLPolicy{AllowHosts: []string{"127.0.0.1"}, AllowInsecureHTTP: true}
	engine, err := git.New(git.Config{Dir: t.TempDir(), Policy: policy})
	if err != nil {
		t.Fatal(err)
	}
	return &gitsync.Service{Store: db, Git: engine, Secrets: &gitsync.Secrets{Credentials: db, KnownHosts: db}, Policy: policy}
}

func countFiles(t *testing.T, db *sqlstore.DB) int {
	t.Helper()
	n := 0
	q := ferry.TreeQuery{Recursive: true, Page: ferry.Page{Limit: ferry.MaxPageLimit}}
	for {
		entries, next, err := db.ListTree(context.Background(), "dev", q)
		if err != nil {
			t.Fatal(err)
		}
		n += len(entries)
		if next == "" {
			return n
		}
		q.Page.Cursor = next
	}
}
