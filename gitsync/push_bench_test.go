package gitsync_test

// Benchmarks of pushes (issue 5, "Performance"), side by side with the git CLI doing the same
// minimal work in the same iterations, on the 30,000-file repository of bench_test.go served
// by git http-backend on loopback. The back end is the real one: SQLite, the git engine, the
// sync service and, for "queue", River.
//
//	go test -run '^$' -bench '^BenchmarkPush$' -benchtime 5x ./gitsync     (skipped under -short)
//
// Ferry pushes to large.git, the CLI to cli.git, a copy of it made before anything is pushed,
// so that each side builds on its own commits and neither sees the other's as an upstream
// change. Both are served by the same server, behind a counting handler (no proxy) that tells
// the requests of each push apart.
//
// The CLI ("cli") works from a blobless depth-1 clone made once, as Ferry's cache is (warmed
// by a pull binding of pkg/p000), and does the least plumbing: fetch the branch (new commits
// and trees only; nothing when the tip is its own last push), hash-object -w the files,
// mktree --missing the directory (the whole of it from the files for a directory push, the
// tip's listing with the changed entry for a one-file change) and each directory above it,
// commit-tree on the tip, push. Its files are on disk before the clock starts, as Ferry's are
// in its database. Ferry and the CLI alternate going first; ns/op is hidden (it would add
// the two together).
//
// Leaves:
//   - dir-new-{queue,execute}: a 1,000-file namespace directory pushed to a path that does not
//     exist on the branch (the push binding's path moves to a new one each iteration): 1,000
//     files added
//   - dir-replace-{queue,execute}: the same directory replacing svc/target's 1,000 files (a
//     two-way binding synced by its first pull): 1,000 files modified
//   - one-file-{queue,execute}: one file of svc/target changed in the namespace, after the
//     binding's first pull: 1 file modified
//   - rss: a whole back end (River included, empty git cache) in a child process pushing a
//     1,000-file directory to a new path; its peak RSS, CPU (its own, without git's) and
//     wall time
//
// Each leaf reports medians: ferry-ms, cli-ms and x-cli (Ferry ÷ CLI); Ferry's time split by
// the run's steps (resolve, fetch, push) and within them — list-ours (the directory's
// listing from the database), read-files (the push step less the engine's commit, tag and
// push: commitFiles reading contents; read-file-calls counts ReadFile calls), commit
// (CommitFiles: git fast-import), git-push (the engine's Push), other (the rest: the queue,
// run records, comparing both sides, upstream changes) — the CLI's own split (cli-fetch,
// cli-hash, cli-tree, cli-commit, cli-push), and the HTTP requests of each side. One
// iteration's requests by kind are logged.
//
// hash-object -w writes a loose object (a file) per blob, which is slow where creating files
// is; "cli-pack" is the same CLI work with the blobs written as one pack by fast-import blob
// commands instead (cli-pack-hash), on a third copy (cli-pack.git) and its own clone, timed
// after the pair; x-cli-pack is Ferry ÷ cli-pack.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/git"
	"github.com/ferrygit/ferry/git/gittest"
	"github.com/ferrygit/ferry/gitsync"
	"github.com/ferrygit/ferry/jobs"
	"github.com/ferrygit/ferry/sqlstore"
)

// ---------------------------------------------------------------------------------------
// Timing what a run does

// benchOps adds up the time (and number) of the operations of one run by name.
type benchOps struct {
	mu sync.Mutex
	d  map[string]time.Duration
	n  map[string]int
}

func (o *benchOps) add(name string, start time.Time) {
	d := time.Since(start)
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.d == nil {
		o.d, o.n = map[string]time.Duration{}, map[string]int{}
	}
	o.d[name] += d
	o.n[name]++
}

// take returns what was added since the last take.
func (o *benchOps) take() (map[string]time.Duration, map[string]int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	d, n := o.d, o.n
	o.d, o.n = map[string]time.Duration{}, map[string]int{}
	return d, n
}

// benchTimedGit times the engine's operations.
type benchTimedGit struct {
	ferry.GitEngine
	ops *benchOps
}

func (g benchTimedGit) ListRefs(ctx context.Context, u *ferry.RemoteURL, auth *ferry.GitAuth) (*ferry.RemoteInfo, error) {
	defer g.ops.add("ls-refs", time.Now())
	return g.GitEngine.ListRefs(ctx, u, auth)
}

func (g benchTimedGit) Fetch(ctx context.Context, u *ferry.RemoteURL, auth *ferry.GitAuth, ref string, paths []string) (string, error) {
	defer g.ops.add("git-fetch", time.Now())
	return g.GitEngine.Fetch(ctx, u, auth, ref, paths)
}

func (g benchTimedGit) ReadTree(ctx context.Context, u *ferry.RemoteURL, commit, dir string) ([]ferry.TreeFile, error) {
	defer g.ops.add("read-tree", time.Now())
	return g.GitEngine.ReadTree(ctx, u, commit, dir)
}

func (g benchTimedGit) CommitFiles(ctx context.Context, u *ferry.RemoteURL, req ferry.CommitRequest) (string, error) {
	defer g.ops.add("commit", time.Now())
	return g.GitEngine.CommitFiles(ctx, u, req)
}

func (g benchTimedGit) Tag(ctx context.Context, u *ferry.RemoteURL, req ferry.TagRequest) (string, error) {
	defer g.ops.add("tag", time.Now())
	return g.GitEngine.Tag(ctx, u, req)
}

func (g benchTimedGit) Push(ctx context.Context, u *ferry.RemoteURL, auth *ferry.GitAuth, updates ...ferry.RefUpdate) error {
	defer g.ops.add("git-push", time.Now())
	return g.GitEngine.Push(ctx, u, auth, updates...)
}

// benchTimedStore times the reads of the namespace's files.
type benchTimedStore struct {
	gitsync.Store
	ops *benchOps
}

func (s benchTimedStore) ListTree(ctx context.Context, ns string, q ferry.TreeQuery) ([]*ferry.TreeEntry, string, error) {
	defer s.ops.add("list-ours", time.Now())
	return s.Store.ListTree(ctx, ns, q)
}

func (s benchTimedStore) ReadFile(ctx context.Context, ns, p string, rev int64) (*ferry.File, error) {
	defer s.ops.add("read-files", time.Now())
	return s.Store.ReadFile(ctx, ns, p, rev)
}

// timedService returns a sync service on db and engine whose store and engine are timed
// into ops (when set).
func timedService(db *sqlstore.DB, engine *git.Engine, ops *benchOps) *gitsync.Service {
	svc := benchService(db, engine, nil)
	if ops != nil {
		svc.Store, svc.Git = benchTimedStore{Store: db, ops: ops}, benchTimedGit{GitEngine: engine, ops: ops}
	}
	return svc
}

// newPushBackend opens a back end on SQLite in dir (db/ and git/), with River working its
// runs when river is set, and with its store and engine timed into ops.
func newPushBackend(tb testing.TB, dir string, river bool, ops *benchOps) *benchBackend {
	tb.Helper()
	ctx := context.Background()
	db := openBenchDB(tb, filepath.Join(dir, "db"))
	engine, err := git.New(git.Config{Dir: filepath.Join(dir, "git"), Policy: benchPolicy, Timeout: 60 * time.Second})
	if err != nil {
		tb.Fatal(err)
	}
	be := &benchBackend{db: db, engine: engine, svc: timedService(db, engine, ops)}
	stops := []func(){func() { engine.Close() }, func() { db.Close() }}
	if river {
		be.queue, err = jobs.OpenSQLite(ctx, db.WritePool(), jobs.Config{Sync: be.svc, Poll: "@every 1h", Logger: benchQuiet})
		if err != nil {
			tb.Fatal(err)
		}
		be.svc.Queue = be.queue
		if err := be.queue.Start(ctx); err != nil {
			tb.Fatal(err)
		}
		q := be.queue
		stops = append([]func(){func() {
			stop, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			q.Stop(stop)
		}}, stops...)
	} else {
		be.runs = &benchRunQueue{}
		be.svc.Queue = be.runs
	}
	be.close = sync.OnceFunc(func() {
		for _, stop := range stops {
			stop()
		}
	})
	tb.Cleanup(be.close)
	if _, err := db.FindNamespace(ctx, "dev"); ferry.ErrorCode(err) == ferry.ENOTFOUND {
		if err := db.CreateNamespace(ctx, &ferry.Namespace{Name: "dev"}); err != nil {
			tb.Fatal(err)
		}
	} else if err != nil {
		tb.Fatal(err)
	}
	return be
}

// direct returns a back end on the same database and engine whose runs the caller executes.
func (be *benchBackend) direct(ops *benchOps) *benchBackend {
	other := &benchBackend{db: be.db, engine: be.engine, svc: timedService(be.db, be.engine, ops), runs: &benchRunQueue{}, close: func() {}}
	other.svc.Queue = other.runs
	return other
}

// push queues a push of binding name and finishes it.
func (be *benchBackend) push(tb testing.TB, name string) *ferry.Run {
	tb.Helper()
	run, err := be.svc.Push(context.Background(), "dev", name, ferry.PushRequest{Actor: "Bench", Message: "bench push"})
	if err != nil {
		tb.Fatalf("push: %v", err)
	}
	return be.finish(tb, run)
}

// createBinding creates a binding of path into dir; a pulling binding's first pull is
// finished.
func (be *benchBackend) createBinding(tb testing.TB, name, dir, url, path, direction string) {
	tb.Helper()
	run, err := be.svc.CreateBinding(context.Background(), &ferry.Binding{Namespace: "dev", Name: name, Directory: dir, URL: url,
		Ref: "main", Path: path, Direction: direction}, "bench")
	if err != nil {
		tb.Fatalf("create binding: %v", err)
	}
	if run != nil {
		if run = be.finish(tb, run); run.Result != ferry.ResultApplied {
			tb.Fatalf("first pull of %s: %+v %+v", name, run, run.Error)
		}
	}
}

// writeFiles writes names (under dir) with version's content into the namespace.
func (be *benchBackend) writeFiles(tb testing.TB, dir string, names []string, version int) {
	tb.Helper()
	cs := &ferry.ChangeSet{Namespace: "dev", Actor: "editor"}
	for _, n := range names {
		cs.Changes = append(cs.Changes, ferry.FileChange{Path: dir + "/" + n, Content: []byte(benchPushContent(n, version))})
	}
	if _, _, err := be.db.ApplyChanges(context.Background(), cs); err != nil {
		tb.Fatal(err)
	}
}

// ---------------------------------------------------------------------------------------
// Fixtures

// benchPushContent is a pushed file's content: about 300 bytes, different for each version.
func benchPushContent(name string, version int) string {
	return benchContent("push/"+name, version)
}

// benchPushNames are the 1,000 file names of a pushed directory: svc/target's.
func benchPushNames() []string {
	names := make([]string, benchLargeFiles)
	for i := range names {
		names[i] = fmt.Sprintf("f%04d.yaml", i)
	}
	return names
}

// benchWriteDisk writes names with version's content into dir, for the CLI.
func benchWriteDisk(tb testing.TB, dir string, names []string, version int) {
	tb.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(benchPushContent(n, version)), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

// newBenchRequestCounter serves web's handler behind one that counts requests by kind, e.g.
// "GET info/refs?service=git-upload-pack" or "POST git-receive-pack"; no proxy in between.
func newBenchRequestCounter(tb testing.TB, web *gittest.HTTPServer) *benchCounter {
	tb.Helper()
	h := web.Config.Handler
	c := &benchCounter{counts: map[string]int{}}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.URL.Path
		if i := strings.Index(key, ".git/"); i >= 0 {
			key = key[i+len(".git/"):]
		}
		key = r.Method + " " + key
		if s := r.URL.Query().Get("service"); s != "" {
			key += "?service=" + s
		}
		c.mu.Lock()
		c.counts[key]++
		c.mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	tb.Cleanup(c.Close)
	return c
}

func benchRequestTotal(m map[string]int) float64 {
	n := 0
	for _, v := range m {
		n += v
	}
	return float64(n)
}

// ---------------------------------------------------------------------------------------
// The git CLI

// benchCLIClone makes the CLI's blobless depth-1 clone (commits and trees of the tip).
func benchCLIClone(tb testing.TB, url string) string {
	tb.Helper()
	dst := filepath.Join(tb.TempDir(), "clone")
	benchGit(tb, "", nil, "clone", "-q", "--filter=blob:none", "--depth=1", "--no-checkout", "--no-tags", url, dst)
	return dst
}

// benchCLIPush is the least the git CLI does to put files at dir on main from its blobless
// depth-1 clone: fetch the tip (the clone is shallow; new commits and trees only, no blobs),
// write the files' blobs (names, on disk under src) with hash-object -w — or, with pack, as
// one pack with fast-import blob commands — mktree the directory (from the files alone, or
// when keep from the tip's listing of dir with their entries replaced) and each directory
// above it (ls-tree of the tip's, one entry replaced), commit-tree on the tip, and push. Each
// step is timed into s as prefix-fetch, -hash, -tree, -commit, -push.
func benchCLIPush(tb testing.TB, s benchSamples, prefix, clone, dir, src string, names []string, keep, pack bool) {
	tb.Helper()
	var tip string
	s.time(prefix+"-fetch", func() {
		benchGit(tb, clone, nil, "fetch", "-q", "--filter=blob:none", "--no-tags", "origin")
		tip = strings.TrimSpace(benchGit(tb, clone, nil, "rev-parse", "refs/remotes/origin/main"))
	})
	var oids []string
	s.time(prefix+"-hash", func() {
		if pack {
			var stream strings.Builder
			for i, n := range names {
				content, err := os.ReadFile(filepath.Join(src, n))
				if err != nil {
					tb.Fatal(err)
				}
				fmt.Fprintf(&stream, "blob\nmark :%d\ndata %d\n%s\n", i+1, len(content), content)
			}
			for i := range names {
				fmt.Fprintf(&stream, "get-mark :%d\n", i+1)
			}
			oids = strings.Fields(benchGit(tb, clone, strings.NewReader(stream.String()), "fast-import", "--quiet"))
		} else {
			var list strings.Builder
			for _, n := range names {
				list.WriteString(filepath.Join(src, n) + "\n")
			}
			oids = strings.Fields(benchGit(tb, clone, strings.NewReader(list.String()), "hash-object", "-w", "--stdin-paths"))
		}
		if len(oids) != len(names) {
			tb.Fatalf("%s printed %d IDs for %d files", prefix, len(oids), len(names))
		}
	})
	var root string
	s.time(prefix+"-tree", func() {
		entries := map[string]string{} // name → ls-tree line
		if keep {
			entries = benchLsTree(tb, clone, tip+":"+dir)
		}
		for i, n := range names {
			entries[n] = "100644 blob " + oids[i] + "\t" + n
		}
		tree := benchMktree(tb, clone, entries)
		for d := dir; d != "" && d != "."; d = path.Dir(d) {
			treeish := tip + ":" + path.Dir(d)
			if path.Dir(d) == "." {
				treeish = tip + "^{tree}"
			}
			up := benchLsTree(tb, clone, treeish)
			up[path.Base(d)] = "040000 tree " + tree + "\t" + path.Base(d)
			tree = benchMktree(tb, clone, up)
		}
		root = tree
	})
	var commit string
	s.time(prefix+"-commit", func() {
		commit = strings.TrimSpace(benchGit(tb, clone, nil, "-c", "user.name=Bench", "-c", "user.email=bench@example.com",
			"commit-tree", root, "-p", tip, "-m", "bench push"))
	})
	s.time(prefix+"-push", func() {
		benchGit(tb, clone, nil, "push", "-q", "--porcelain", "origin", commit+":refs/heads/main")
	})
}

// benchLsTree lists a tree's entries (ls-tree lines) by name.
func benchLsTree(tb testing.TB, dir, treeish string) map[string]string {
	tb.Helper()
	entries := map[string]string{}
	for _, line := range strings.Split(strings.TrimSuffix(benchGit(tb, dir, nil, "ls-tree", "-z", treeish), "\x00"), "\x00") {
		if _, name, ok := strings.Cut(line, "\t"); ok {
			entries[name] = line
		}
	}
	return entries
}

// benchMktree writes a tree of entries (ls-tree lines; mktree sorts them) and returns it;
// --missing, as the blobs of a blobless clone are not there to check.
func benchMktree(tb testing.TB, dir string, entries map[string]string) string {
	tb.Helper()
	var in strings.Builder
	for _, line := range entries {
		in.WriteString(line + "\x00")
	}
	return strings.TrimSpace(benchGit(tb, dir, strings.NewReader(in.String()), "mktree", "-z", "--missing"))
}

// ---------------------------------------------------------------------------------------
// The benchmark

// BenchmarkPush: a 1,000-file namespace directory pushed into the 30,000-file repository (to
// a new path, and replacing svc/target's 1,000 files), and a one-file change of it, through
// River ("queue") and Execute directly ("execute"), beside the git CLI's plumbing.
func BenchmarkPush(b *testing.B) {
	repo, web, _ := benchLargeRepo(b)
	// The CLI's copies, before anything is pushed.
	for _, name := range []string{"cli.git", "cli-pack.git"} {
		if out, err := exec.Command("cp", "-a", repo.Dir, filepath.Join(repo.Root, name)).CombinedOutput(); err != nil {
			b.Fatalf("copy the repository: %v %s", err, out)
		}
	}
	counter := newBenchRequestCounter(b, web)
	ferryURL := counter.URL + "/" + repo.Name
	ops := &benchOps{}
	be := newPushBackend(b, b.TempDir(), true, ops)
	direct := be.direct(ops)
	clone, packClone := benchCLIClone(b, counter.URL+"/cli.git"), benchCLIClone(b, counter.URL+"/cli-pack.git")
	// Ferry's cache starts as the CLI's clone does: with the tip's commit and trees.
	be.createBinding(b, "warm", "warm", ferryURL, benchSmallPath, ferry.DirectionPull)
	src := b.TempDir() // the CLI's files
	names := benchPushNames()
	version := 0

	type leaf struct {
		name string
		be   *benchBackend
		// prepare runs before the clock starts: it writes the namespace's and the CLI's files
		// and returns the binding to push, the repository path, the files the CLI pushes and
		// whether it keeps the directory's other entries.
		prepare func(i int) (binding, repoPath string, cliNames []string, keep bool)
		added   int
		mod     int
	}
	variants := []struct {
		name string
		be   *benchBackend
	}{{"queue", be}, {"execute", direct}}
	var leaves []leaf
	for _, v := range variants {
		nsDir := "new-" + v.name
		bound := false
		leaves = append(leaves, leaf{name: "dir-new-" + v.name, be: v.be, added: benchLargeFiles,
			prepare: func(i int) (string, string, []string, bool) {
				version++
				p := fmt.Sprintf("svc/new-%s-%03d", v.name, version)
				v.be.writeFiles(b, nsDir, names, version)
				if !bound {
					v.be.createBinding(b, nsDir, nsDir, ferryURL, p, ferry.DirectionPush)
					bound = true
				} else if _, err := v.be.svc.UpdateBinding(context.Background(), "dev", nsDir, ferry.BindingUpdate{Path: &p}); err != nil {
					// The binding moves on to a new path; synced at the head (its own last
					// push), it has no upstream changes to check there.
					b.Fatal(err)
				}
				benchWriteDisk(b, src, names, version)
				return nsDir, p, names, false
			}})
	}
	for _, v := range variants {
		nsDir := "replace-" + v.name
		bound := false
		leaves = append(leaves, leaf{name: "dir-replace-" + v.name, be: v.be, mod: benchLargeFiles,
			prepare: func(i int) (string, string, []string, bool) {
				if !bound { // a two-way binding synced by its first pull
					v.be.createBinding(b, nsDir, nsDir, ferryURL, benchLargePath, ferry.DirectionBoth)
					bound = true
				}
				version++
				v.be.writeFiles(b, nsDir, names, version)
				benchWriteDisk(b, src, names, version)
				return nsDir, benchLargePath, names, false
			}})
	}
	for _, v := range variants {
		nsDir := "one-" + v.name
		bound := false
		leaves = append(leaves, leaf{name: "one-file-" + v.name, be: v.be, mod: 1,
			prepare: func(i int) (string, string, []string, bool) {
				if !bound { // a two-way binding synced by its first pull
					v.be.createBinding(b, nsDir, nsDir, ferryURL, benchLargePath, ferry.DirectionBoth)
					bound = true
				}
				version++
				one := []string{names[1+i%10]}
				v.be.writeFiles(b, nsDir, one, version)
				benchWriteDisk(b, src, one, version)
				return nsDir, benchLargePath, one, true
			}})
	}

	for _, lf := range leaves {
		b.Run(lf.name, func(b *testing.B) {
			s := benchSamples{}
			var ferryReqs, cliReqs, readCalls []float64
			var lastFerry, lastCLI map[string]int
			for i := 0; i < b.N; i++ {
				binding, repoPath, cliNames, keep := lf.prepare(i)
				ops.take()
				s.both(i, func() {
					before := counter.snapshot()
					t0 := time.Now()
					run := lf.be.push(b, binding)
					total := time.Since(t0)
					lastFerry = counter.since(before)
					ferryReqs = append(ferryReqs, benchRequestTotal(lastFerry))
					benchWant(b, run, ferry.ResultApplied, lf.added, lf.mod)
					s.steps(run)
					d, n := ops.take()
					step := map[string]time.Duration{}
					for _, st := range run.Steps {
						if st.Result == "ok" {
							step[st.Name] += time.Duration(st.DurationMS) * time.Millisecond
						}
					}
					// read-files: the push step less the engine's work in it, i.e. commitFiles
					// reading the contents (however it reads them). other: the rest — the queue,
					// run records, comparing both sides, upstream changes, the tag.
					split := map[string]time.Duration{
						"list-ours": d["list-ours"], "commit": d["commit"], "git-push": d["git-push"],
						"read-files": max(0, step["push"]-d["commit"]-d["tag"]-d["git-push"]),
					}
					other := total - step["resolve"] - step["fetch"]
					for name, v := range split {
						s[name] = append(s[name], v)
						other -= v
					}
					s["other"] = append(s["other"], other)
					readCalls = append(readCalls, float64(n["read-files"]))
				}, func() {
					before := counter.snapshot()
					benchCLIPush(b, s, "cli", clone, repoPath, src, cliNames, keep, false)
					lastCLI = counter.since(before)
					cliReqs = append(cliReqs, benchRequestTotal(lastCLI))
				})
				s.time("cli-pack", func() { benchCLIPush(b, s, "cli-pack", packClone, repoPath, src, cliNames, keep, true) })
			}
			s.report(b, "resolve", "fetch", "push", "list-ours", "read-files", "commit", "git-push", "other",
				"cli-fetch", "cli-hash", "cli-tree", "cli-commit", "cli-push", "cli-pack", "cli-pack-hash")
			if p := s.ms("cli-pack"); p > 0 {
				b.ReportMetric(s.ms("ferry")/p, "x-cli-pack")
			}
			b.ReportMetric(benchMedian(readCalls), "read-file-calls")
			b.ReportMetric(benchMedian(ferryReqs), "ferry-http-requests")
			b.ReportMetric(benchMedian(cliReqs), "cli-http-requests")
			b.Logf("requests of one push: Ferry %v; CLI %v", lastFerry, lastCLI)
		})
	}

	// The child process pushes once, however many iterations are asked for.
	var child *benchChildResult
	b.Run("rss", func(b *testing.B) {
		if child == nil {
			dir := b.TempDir()
			prep := newPushBackend(b, dir, false, nil)
			prep.writeFiles(b, "rss", names, 1)
			prep.createBinding(b, "rss", "rss", ferryURL, "svc/rss", ferry.DirectionPush)
			prep.close()
			r := runPushBenchChild(b, "DIR="+dir)
			if r.Added != benchLargeFiles {
				b.Fatalf("the child pushed %d files", r.Added)
			}
			child = &r
		}
		b.ReportMetric(0, "ns/op")
		b.ReportMetric(float64(child.HWMKB)/1024, "ferry-peak-MB")
		b.ReportMetric(child.CPUMS, "ferry-cpu-ms")
		b.ReportMetric(child.WallMS, "wall-ms")
	})
}

// ---------------------------------------------------------------------------------------
// The child process

const pushBenchChildEnv = "FERRY_GITSYNC_PUSH_BENCH_CHILD"

// runPushBenchChild runs this test binary as TestPushBenchChildProcess with env entries
// (KEY=value, prefixed with pushBenchChildEnv_) and returns what it reported.
func runPushBenchChild(b *testing.B, env ...string) benchChildResult {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestPushBenchChildProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), pushBenchChildEnv+"=push")
	for _, kv := range env {
		cmd.Env = append(cmd.Env, pushBenchChildEnv+"_"+kv)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		b.Fatalf("child: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if js, ok := strings.CutPrefix(line, "push-bench-child "); ok {
			var r benchChildResult
			if err := json.Unmarshal([]byte(js), &r); err != nil {
				b.Fatal(err)
			}
			return r
		}
	}
	b.Fatalf("child reported nothing:\n%s", out)
	return benchChildResult{}
}

// TestPushBenchChildProcess is BenchmarkPush's child process: a whole back end with River on
// the database prepared in DIR (a push binding "rss" of a 1,000-file directory) and an empty
// git cache, from the push request to its run finished. It does nothing in an ordinary test
// run.
func TestPushBenchChildProcess(t *testing.T) {
	if os.Getenv(pushBenchChildEnv) == "" {
		t.Skip("runs only as a benchmark's child process")
	}
	be := newPushBackend(t, os.Getenv(pushBenchChildEnv+"_DIR"), true, nil)
	var r benchChildResult
	c0, t0 := benchCPU(), time.Now()
	run := be.push(t, "rss")
	r.WallMS = float64(time.Since(t0)) / float64(time.Millisecond)
	r.CPUMS = float64(benchCPU()-c0) / float64(time.Millisecond)
	if run.Result != ferry.ResultApplied {
		t.Fatalf("push: %+v %+v", run, run.Error)
	}
	r.Added = run.Added
	// Peak RSS of this process only. (RUSAGE_CHILDREN's maxrss is no measure of the git
	// subprocesses: Go starts them with vfork, and a child's maxrss begins at this process's
	// RSS when it execs.)
	r.HWMKB = benchVmHWM()
	js, _ := json.Marshal(r)
	fmt.Printf("push-bench-child %s\n", js)
}
