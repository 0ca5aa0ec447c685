package gitsync_test

// Benchmarks of pulls and polls (issue 4, "Performance"), side by side with the git CLI doing
// the same minimal work in the same run, on repositories served by git http-backend on
// loopback (gittest.NewHTTPServer). The back end is the real one: SQLite, the git engine,
// the sync service and, where it says so, River working the runs.
//
//	go test -run '^$' -bench . -benchtime 5x ./gitsync        (30,000-file ones skip under -short)
//
// Each leaf times Ferry and the CLI in the same iterations, alternating which goes first,
// and reports medians: ferry-ms, cli-ms and x-cli (Ferry ÷ CLI). ns/op is hidden because it
// would add the two together. Peak RSS and CPU are measured in a child process (this test
// binary re-executed as TestBenchChildProcess) so that the fixtures, the HTTP server and
// the CLI runs of the parent do not count.
//
// Repositories:
//   - small: a few files; no-op pulls and polls, whose cost does not depend on size
//   - large: 30,000 files in 291 directories, 200 commits (as in git/bench_test.go); bindings
//     follow svc/target (1,000 files) and pkg/p000 (100 files)

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/git"
	"github.com/ferrygit/ferry/git/gittest"
	"github.com/ferrygit/ferry/gitsync"
	"github.com/ferrygit/ferry/jobs"
	"github.com/ferrygit/ferry/secretbox"
	"github.com/ferrygit/ferry/sqlstore"
)

// ---------------------------------------------------------------------------------------
// The back end

var (
	benchPolicy = ferry.URLPolicy{AllowHosts: []string{"127.0.0.1"}, AllowInsecureHTTP: true}
	benchQuiet  = slog.New(slog.NewTextHandler(io.Discard, nil))
)

// benchBackend is a Ferry back end: a database, the git engine and the sync service, with
// River working its runs or, without River, a queue that only records them for the caller
// to Execute.
type benchBackend struct {
	db     *sqlstore.DB
	engine *git.Engine
	svc    *gitsync.Service
	queue  *jobs.Queue    // nil without River
	runs   *benchRunQueue // the queue without River
	close  func()         // stops River and closes everything; idempotent
}

type benchOpts struct {
	river    bool
	now      func() time.Time // the service's clock; time.Now when nil
	poll     string           // River's poll schedule; "@every 1h" when empty
	riverNow func() time.Time // when set, River's jobs run on a service with this clock
}

// benchService returns a sync service on db and engine.
func benchService(db *sqlstore.DB, engine *git.Engine, now func() time.Time) *gitsync.Service {
	return &gitsync.Service{Store: db, Git: engine, Secrets: &gitsync.Secrets{Credentials: db, KnownHosts: db},
		Policy: benchPolicy, Logger: benchQuiet, Now: now}
}

// benchRunQueue records the runs the service enqueues; like River, it keeps one job per run.
type benchRunQueue struct {
	mu  sync.Mutex
	ids map[int64]bool
}

func (q *benchRunQueue) EnqueueRun(_ context.Context, run *ferry.Run) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.ids == nil {
		q.ids = map[int64]bool{}
	}
	q.ids[run.ID] = true
	return nil
}

// count returns how many distinct runs were enqueued.
func (q *benchRunQueue) count() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.ids)
}

// openBenchDB opens (creating or reusing) the SQLite database in dir.
func openBenchDB(tb testing.TB, dir string) *sqlstore.DB {
	tb.Helper()
	key, _ := secretbox.NewKey()
	box, err := secretbox.New(key)
	if err != nil {
		tb.Fatal(err)
	}
	db, err := sqlstore.Open(context.Background(), sqlstore.Config{DataDir: dir, Sealer: box})
	if err != nil {
		tb.Fatal(err)
	}
	return db
}

// newBenchBackend opens a back end whose database and git caches live in dir, creating the
// namespace "dev" when it is not there yet.
func newBenchBackend(tb testing.TB, dir string, opts benchOpts) *benchBackend {
	tb.Helper()
	db := openBenchDB(tb, filepath.Join(dir, "db"))
	be := newBenchBackendOn(tb, db, filepath.Join(dir, "git"), opts)
	closeService := be.close
	be.close = sync.OnceFunc(func() { closeService(); db.Close() })
	tb.Cleanup(be.close)
	return be
}

// newBenchBackendOn builds the service on db; closing it leaves db open.
func newBenchBackendOn(tb testing.TB, db *sqlstore.DB, gitDir string, opts benchOpts) *benchBackend {
	tb.Helper()
	ctx := context.Background()
	engine, err := git.New(git.Config{Dir: gitDir, Policy: benchPolicy, Timeout: 60 * time.Second})
	if err != nil {
		tb.Fatal(err)
	}
	be := &benchBackend{db: db, engine: engine}
	be.svc = benchService(db, engine, opts.now)
	var stops []func()
	if opts.river {
		if opts.poll == "" {
			opts.poll = "@every 1h"
		}
		worker := be.svc
		if opts.riverNow != nil {
			worker = benchService(db, engine, opts.riverNow)
		}
		qcfg := jobs.Config{Sync: worker, Poll: opts.poll, Logger: benchQuiet}
		if db.Dialect() == sqlstore.SQLite {
			be.queue, err = jobs.OpenSQLite(ctx, db.WritePool(), qcfg)
		} else {
			var closePool func()
			be.queue, closePool, err = jobs.OpenPostgres(ctx, db.URL(), qcfg)
			if err == nil {
				stops = append(stops, closePool)
			}
		}
		if err != nil {
			tb.Fatal(err)
		}
		be.svc.Queue, worker.Queue = be.queue, be.queue
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
	stops = append(stops, func() { engine.Close() })
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

// withoutRiver returns a second service on the same database and git caches whose runs are
// executed by the caller (Execute) rather than River.
func (be *benchBackend) withoutRiver() *benchBackend {
	other := &benchBackend{db: be.db, engine: be.engine, svc: benchService(be.db, be.engine, be.svc.Now), runs: &benchRunQueue{}, close: func() {}}
	other.svc.Queue = other.runs
	return other
}

// finish waits for the attempt of run to end: through River, or by executing it here.
func (be *benchBackend) finish(tb testing.TB, run *ferry.Run) *ferry.Run {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	if be.queue == nil {
		if err := be.svc.Execute(ctx, run.ID, true); err != nil {
			tb.Fatalf("execute run %d: %v", run.ID, err)
		}
	}
	run, err := be.svc.WaitRun(ctx, run.ID)
	if err != nil {
		tb.Fatal(err)
	}
	if run.State != ferry.RunDone {
		tb.Fatalf("run %d did not end: %+v", run.ID, run)
	}
	return run
}

// bind creates a pull binding and finishes its first pull.
func (be *benchBackend) bind(tb testing.TB, name, dir, url, path string) *ferry.Run {
	tb.Helper()
	run, err := be.svc.CreateBinding(context.Background(), &ferry.Binding{Namespace: "dev", Name: name, Directory: dir, URL: url, Ref: "main", Path: path}, "bench")
	if err != nil {
		tb.Fatalf("create binding: %v", err)
	}
	return be.finish(tb, run)
}

// pull queues a pull and finishes it.
func (be *benchBackend) pull(tb testing.TB, name string) *ferry.Run {
	tb.Helper()
	run, err := be.svc.Pull(context.Background(), "dev", name, ferry.PullRequest{Actor: "bench"})
	if err != nil {
		tb.Fatalf("pull: %v", err)
	}
	return be.finish(tb, run)
}

func benchWant(tb testing.TB, run *ferry.Run, result string, added, modified int) {
	tb.Helper()
	if run.Result != result || run.Added != added || run.Modified != modified {
		tb.Fatalf("run %d: %s +%d ~%d (%+v), want %s +%d ~%d; steps %+v", run.ID, run.Result, run.Added, run.Modified, run.Error,
			result, added, modified, run.Steps)
	}
}

// ---------------------------------------------------------------------------------------
// Repositories (the large one is git/bench_test.go's, rebuilt here with git fast-import)

const (
	benchLargePath  = "svc/target" // 1,000 files
	benchLargeFiles = 1000
	benchSmallPath  = "pkg/p000" // 100 files
	benchSmallFiles = 100
)

// benchContent is a file's deterministic content of about 300 bytes.
func benchContent(path string, version int) string {
	return fmt.Sprintf("name: %s\nversion: %d\nspec:\n  description: %s\n", path, version, strings.Repeat(path+" ", 10))
}

// benchLargeRepo builds the 30,000-file repository (1,000 files under svc/target, 290
// directories of 100 under pkg/) with 200 commits, and serves it.
func benchLargeRepo(b *testing.B) (*gittest.Repo, *gittest.HTTPServer, string) {
	b.Helper()
	if testing.Short() {
		b.Skip("the 30,000-file repository is skipped under -short")
	}
	var paths []string
	for i := 0; i < benchLargeFiles; i++ {
		paths = append(paths, fmt.Sprintf("%s/f%04d.yaml", benchLargePath, i))
	}
	for d := 0; d < 290; d++ {
		for i := 0; i < 100; i++ {
			paths = append(paths, fmt.Sprintf("pkg/p%03d/f%02d.yaml", d, i))
		}
	}
	var s bytes.Buffer
	when := 1700000000
	fmt.Fprintf(&s, "commit refs/heads/main\ncommitter Bench <b@example.com> %d +0000\ndata 7\ninitial\n", when)
	for _, p := range paths {
		c := benchContent(p, 0)
		fmt.Fprintf(&s, "M 100644 inline %s\ndata %d\n%s\n", p, len(c), c)
	}
	seed := uint32(1)
	for i := 1; i <= 199; i++ {
		fmt.Fprintf(&s, "\ncommit refs/heads/main\ncommitter Bench <b@example.com> %d +0000\ndata 6\nchange\n", when+i*60)
		for j := 0; j < 5; j++ {
			seed = seed*1664525 + 1013904223
			p := paths[int(seed>>8)%len(paths)]
			c := benchContent(p, i)
			fmt.Fprintf(&s, "M 100644 inline %s\ndata %d\n%s\n", p, len(c), c)
		}
	}
	s.WriteString("\n")
	repo := gittest.NewRepoIn(b, b.TempDir(), "large.git", nil)
	repo.FastImport(&s)
	for i := 0; i < 20; i++ {
		repo.Tag(fmt.Sprintf("v1.%d", i), repo.Head(), "")
	}
	web := gittest.NewHTTPServer(b, repo.Root, gittest.HTTPOptions{})
	return repo, web, web.RepoURL(repo.Name)
}

// ---------------------------------------------------------------------------------------
// Measuring

// benchSamples collects durations by name within one run of a leaf benchmark.
type benchSamples map[string][]time.Duration

func (s benchSamples) time(name string, fn func()) {
	start := time.Now()
	fn()
	s[name] = append(s[name], time.Since(start))
}

// ms returns the median of name's samples in milliseconds.
func (s benchSamples) ms(name string) float64 {
	d := append([]time.Duration(nil), s[name]...)
	if len(d) == 0 {
		return 0
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	m := d[len(d)/2]
	if len(d)%2 == 0 {
		m = (d[len(d)/2-1] + d[len(d)/2]) / 2
	}
	return float64(m) / float64(time.Millisecond)
}

// steps records the durations of a run's steps under their names ("resolve", "fetch",
// "apply"), which report adds when asked.
func (s benchSamples) steps(run *ferry.Run) {
	for _, st := range run.Steps {
		if st.Result == "ok" {
			s[st.Name] = append(s[st.Name], time.Duration(st.DurationMS)*time.Millisecond)
		}
	}
}

// report reports the medians of ferry and each CLI baseline, and Ferry ÷ the first CLI.
func (s benchSamples) report(b *testing.B, extra ...string) {
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(s.ms("ferry"), "ferry-ms")
	b.ReportMetric(s.ms("cli"), "cli-ms")
	for _, name := range extra {
		b.ReportMetric(s.ms(name), name+"-ms")
	}
	if cli := s.ms("cli"); cli > 0 {
		b.ReportMetric(s.ms("ferry")/cli, "x-cli")
	}
}

// both runs ferry and cli in the order that alternates with i.
func (s benchSamples) both(i int, ferryFn, cliFn func()) {
	if i%2 == 0 {
		s.time("ferry", ferryFn)
		s.time("cli", cliFn)
	} else {
		s.time("cli", cliFn)
		s.time("ferry", ferryFn)
	}
}

func benchCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchVmHWM returns this process's peak RSS in kB.
func benchVmHWM() int64 {
	status, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// ---------------------------------------------------------------------------------------
// The git CLI

func benchGit(tb testing.TB, dir string, stdin io.Reader, args ...string) string {
	tb.Helper()
	out, err := gittest.GitCmd(dir, stdin, args...)
	if err != nil {
		tb.Fatalf("git %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// benchCountBatch counts the objects in git cat-file --batch output.
func benchCountBatch(tb testing.TB, out string) int {
	tb.Helper()
	r := bufio.NewReader(strings.NewReader(out))
	n := 0
	for {
		hdr, err := r.ReadString('\n')
		if err == io.EOF {
			return n
		} else if err != nil {
			tb.Fatal(err)
		}
		f := strings.Fields(hdr)
		if len(f) != 3 {
			tb.Fatalf("cat-file: %q", hdr)
		}
		size, _ := strconv.Atoi(f[2])
		if _, err := r.Discard(size + 1); err != nil {
			tb.Fatal(err)
		}
		n++
	}
}

// benchReadBlobs fetches the blobs (in one request, as a promisor remote's lazy fetch does)
// and reads them with one cat-file --batch.
func benchReadBlobs(tb testing.TB, dir string, oids []string) {
	tb.Helper()
	list := strings.Join(oids, "\n") + "\n"
	benchGit(tb, dir, strings.NewReader(list), "-c", "fetch.negotiationAlgorithm=noop", "fetch", "-q", "--no-tags",
		"--no-write-fetch-head", "--stdin", "origin")
	if n := benchCountBatch(tb, benchGit(tb, dir, strings.NewReader(list), "cat-file", "--batch")); n != len(oids) {
		tb.Fatalf("cat-file read %d objects, want %d", n, len(oids))
	}
}

// benchCLIFirstPull is the least the CLI does to get the files under path: a blobless,
// depth-1 clone without checkout, ls-tree of the path, one fetch of its blobs, one
// cat-file --batch. It returns the clone.
func benchCLIFirstPull(tb testing.TB, url, path string, want int) string {
	tb.Helper()
	dst := filepath.Join(tb.TempDir(), "clone")
	benchGit(tb, "", nil, "clone", "-q", "--filter=blob:none", "--no-checkout", "--depth=1", url, dst)
	var oids []string
	for _, rec := range strings.Split(strings.TrimSuffix(benchGit(tb, dst, nil, "ls-tree", "-r", "-z", "HEAD:"+path), "\x00"), "\x00") {
		oids = append(oids, strings.Fields(rec)[2])
	}
	if len(oids) != want {
		tb.Fatalf("ls-tree listed %d files, want %d", len(oids), want)
	}
	benchReadBlobs(tb, dst, oids)
	return dst
}

// benchCLISparseClone is the usual way: a blobless, depth-1 sparse clone with path checked
// out (git/bench_test.go's baseline).
func benchCLISparseClone(tb testing.TB, url, path string) {
	tb.Helper()
	dst := filepath.Join(tb.TempDir(), "sparse")
	benchGit(tb, "", nil, "clone", "-q", "--filter=blob:none", "--depth=1", "--sparse", url, dst)
	benchGit(tb, dst, nil, "sparse-checkout", "set", path)
}

// benchCLIBloblessUpdate brings a blobless clone (benchCLIFirstPull's) to the remote's new
// commit and reads the blobs that changed under path: Ferry's incremental work, with the CLI.
func benchCLIBloblessUpdate(tb testing.TB, dir, path string, want int) {
	tb.Helper()
	old := strings.TrimSpace(benchGit(tb, dir, nil, "rev-parse", "refs/remotes/origin/main"))
	benchGit(tb, dir, nil, "fetch", "-q", "--no-tags", "origin")
	var oids []string
	recs := strings.Split(strings.TrimSuffix(benchGit(tb, dir, nil, "diff-tree", "-r", "-z", "--no-renames", old, "refs/remotes/origin/main", "--", path), "\x00"), "\x00")
	for i := 0; i+1 < len(recs); i += 2 {
		f := strings.Fields(recs[i])
		if len(f) >= 4 && strings.Trim(f[3], "0") != "" {
			oids = append(oids, f[3])
		}
	}
	if len(oids) != want {
		tb.Fatalf("diff-tree found %d changed blobs, want %d", len(oids), want)
	}
	benchReadBlobs(tb, dir, oids)
}

// ---------------------------------------------------------------------------------------
// 1. No-op pull

// BenchmarkNoopPull: the remote has not moved and the pull is not forced, so a pull lists
// the remote's refs and finishes up to date. "queue" goes through River end to end
// (svc.Pull → the job → WaitRun); "execute" calls Execute directly; "listrefs" is only the
// engine's ref listing. The CLI is git ls-remote of the same ref.
func BenchmarkNoopPull(b *testing.B) {
	ctx := context.Background()
	repo := gittest.NewRepo(b, map[string]string{"config/a.yaml": "a: 1\n", "config/b.yaml": "b: 1\n"})
	web := gittest.NewHTTPServer(b, repo.Root, gittest.HTTPOptions{})
	url := web.RepoURL(repo.Name)
	be := newBenchBackend(b, b.TempDir(), benchOpts{river: true})
	benchWant(b, be.bind(b, "cfg", "cfg", url, "config"), ferry.ResultApplied, 2, 0)
	direct := be.withoutRiver()
	cliDir := b.TempDir()
	lsRemote := func() {
		if out := benchGit(b, cliDir, nil, "ls-remote", url, "refs/heads/main"); !strings.HasPrefix(out, repo.Head()) {
			b.Fatalf("ls-remote: %q", out)
		}
	}
	for _, tc := range []struct {
		name string
		be   *benchBackend
	}{{"queue", be}, {"execute", direct}} {
		b.Run(tc.name, func(b *testing.B) {
			s := benchSamples{}
			for i := 0; i < b.N; i++ {
				s.both(i, func() {
					run := tc.be.pull(b, "cfg")
					if run.Result != ferry.ResultUpToDate {
						b.Fatalf("no-op pull: %+v", run)
					}
				}, lsRemote)
			}
			s.report(b)
		})
	}
	b.Run("listrefs", func(b *testing.B) {
		u, err := ferry.ParseRemoteURL(url)
		if err != nil {
			b.Fatal(err)
		}
		s := benchSamples{}
		for i := 0; i < b.N; i++ {
			s.both(i, func() {
				if _, err := be.engine.ListRefs(ctx, u, nil); err != nil {
					b.Fatal(err)
				}
			}, lsRemote)
		}
		s.report(b)
	})
}

// ---------------------------------------------------------------------------------------
// 2. First pull of 1,000 files under one directory of a 30,000-file repository

// BenchmarkFirstPull: a new binding of svc/target into an empty database and git cache, until
// its first run has applied the 1,000 files. The CLI ("cli") is a blobless depth-1 clone
// without checkout, ls-tree of the path, one fetch of its blobs and a cat-file --batch;
// "cli-sparse" is the sparse checkout of git/bench_test.go. "rss" runs the pull (through
// River) in a child process and reports its peak RSS and the largest git subprocess's.
func BenchmarkFirstPull(b *testing.B) {
	_, _, url := benchLargeRepo(b)
	for _, river := range []bool{true, false} {
		name := "execute"
		if river {
			name = "queue"
		}
		b.Run(name, func(b *testing.B) {
			s := benchSamples{}
			for i := 0; i < b.N; i++ {
				be := newBenchBackend(b, b.TempDir(), benchOpts{river: river})
				s.both(i, func() {
					run := be.bind(b, "target", "target", url, benchLargePath)
					benchWant(b, run, ferry.ResultApplied, benchLargeFiles, 0)
					s.steps(run)
				}, func() {
					benchCLIFirstPull(b, url, benchLargePath, benchLargeFiles)
				})
				be.close()
				s.time("cli-sparse", func() { benchCLISparseClone(b, url, benchLargePath) })
			}
			s.report(b, "cli-sparse", "resolve", "fetch", "apply")
		})
	}
	b.Run("rss", func(b *testing.B) {
		var hwm, git, cpu []float64
		for i := 0; i < b.N; i++ {
			r := runBenchChild(b, "first-pull", "URL="+url, "DIR="+b.TempDir())
			if r.Added != benchLargeFiles {
				b.Fatalf("the child applied %d files", r.Added)
			}
			hwm, git = append(hwm, float64(r.HWMKB)/1024), append(git, float64(r.GitMaxRSSKB)/1024)
			cpu = append(cpu, r.CPUMS)
		}
		// Peak RSS is the largest seen; CPU is Ferry's own (user+sys, without the git
		// subprocesses) from creating the binding to its run applied.
		b.ReportMetric(0, "ns/op")
		b.ReportMetric(benchMax(hwm), "ferry-peak-MB")
		b.ReportMetric(benchMax(git), "git-peak-MB")
		b.ReportMetric(benchMedian(cpu), "ferry-cpu-ms")
	})
}

func benchMax(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = max(m, x)
	}
	return m
}

func benchMedian(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	v = append([]float64(nil), v...)
	sort.Float64s(v)
	if len(v)%2 == 0 {
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return v[len(v)/2]
}

// ---------------------------------------------------------------------------------------
// 3. Incremental pull of a one-file commit

// BenchmarkIncrementalPull: one file under the binding's path changes upstream; the pull
// (through River, or Execute directly) applies it. "dir-1000" follows svc/target (1,000
// files), "dir-100" pkg/p000 (100 files): the rows written must be the same. The CLI ("cli")
// is git fetch of the commit into an existing full clone; "cli-blobless" is the same work
// as Ferry's with the CLI: fetch into a blobless clone, diff-tree of the path, one fetch of
// the changed blobs and cat-file.
func BenchmarkIncrementalPull(b *testing.B) {
	repo, web, url := benchLargeRepo(b)
	be := newBenchBackend(b, b.TempDir(), benchOpts{river: true})
	benchWant(b, be.bind(b, "big", "big", url, benchLargePath), ferry.ResultApplied, benchLargeFiles, 0)
	benchWant(b, be.bind(b, "small", "small", url, benchSmallPath), ferry.ResultApplied, benchSmallFiles, 0)
	direct := be.withoutRiver()
	full := filepath.Join(b.TempDir(), "full.git")
	benchGit(b, "", nil, "clone", "-q", "--bare", url, full)
	blobless := benchCLIFirstPull(b, url, benchLargePath, benchLargeFiles)
	version := 0
	rows := map[string]float64{}
	for _, tc := range []struct {
		name, binding, path string
		be                  *benchBackend
	}{
		{"dir-1000", "big", benchLargePath + "/f0001.yaml", be},
		{"dir-100", "small", benchSmallPath + "/f01.yaml", be},
		{"dir-1000-execute", "big", benchLargePath + "/f0002.yaml", direct},
	} {
		b.Run(tc.name, func(b *testing.B) {
			s := benchSamples{}
			var written, ferryRequests, cliRequests []float64
			for i := 0; i < b.N; i++ {
				version++
				repo.Commit("bench", map[string]string{tc.path: benchContent(tc.path, 1000+version)})
				s.both(i, func() {
					before, requests := tc.be.db.RowsWritten(), web.Requests()
					run := tc.be.pull(b, tc.binding)
					ferryRequests = append(ferryRequests, float64(web.Requests()-requests))
					benchWant(b, run, ferry.ResultApplied, 0, 1)
					s.steps(run)
					written = append(written, float64(tc.be.db.RowsWritten()-before))
				}, func() {
					requests := web.Requests()
					benchGit(b, full, nil, "fetch", "-q", "origin", "+refs/heads/main:refs/heads/main")
					cliRequests = append(cliRequests, float64(web.Requests()-requests))
				})
				s.time("cli-blobless", func() {
					// The blobless clone follows svc/target; for pkg/p000 it fetches and reads nothing.
					want := 0
					if strings.HasPrefix(tc.path, benchLargePath+"/") {
						want = 1
					}
					if want > 0 {
						benchCLIBloblessUpdate(b, blobless, benchLargePath, want)
					} else {
						benchGit(b, blobless, nil, "fetch", "-q", "--no-tags", "origin")
					}
				})
			}
			s.report(b, "cli-blobless", "resolve", "fetch", "apply")
			b.ReportMetric(benchMedian(written), "rows")
			b.ReportMetric(benchMedian(ferryRequests), "ferry-http-requests")
			b.ReportMetric(benchMedian(cliRequests), "cli-http-requests")
			if benchMax(written) != benchMedian(written) {
				b.Errorf("rows written per one-file pull vary: %v", written)
			}
			rows[tc.name] = benchMedian(written)
		})
	}
	if r1, r2 := rows["dir-1000"], rows["dir-100"]; r1 != 0 && r2 != 0 && r1 != r2 {
		b.Errorf("a one-file pull wrote %v rows in a 1,000-file directory and %v in a 100-file one: not O(1)", r1, r2)
	}
}

// ---------------------------------------------------------------------------------------
// 4. 1,000 scheduled bindings against an unchanged remote

// benchClock is a settable clock for the service.
type benchClock struct{ unix atomic.Int64 }

func (c *benchClock) now() time.Time      { return time.Unix(c.unix.Load(), 0).UTC() }
func (c *benchClock) set(t time.Time)     { c.unix.Store(t.Unix()) }
func (c *benchClock) add(d time.Duration) { c.unix.Add(int64(d / time.Second)) }

// benchCounter is a reverse proxy in front of an HTTP server that counts requests by
// method and path, e.g. "GET /repo.git/info/refs".
type benchCounter struct {
	*httptest.Server
	mu     sync.Mutex
	counts map[string]int
}

func newBenchCounter(tb testing.TB, target string) *benchCounter {
	tb.Helper()
	u, err := url.Parse(target)
	if err != nil {
		tb.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	c := &benchCounter{counts: map[string]int{}}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.counts[r.Method+" "+r.URL.Path]++
		c.mu.Unlock()
		proxy.ServeHTTP(w, r)
	}))
	tb.Cleanup(c.Close)
	return c
}

func (c *benchCounter) snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := make(map[string]int, len(c.counts))
	for k, v := range c.counts {
		m[k] = v
	}
	return m
}

// since returns the requests counted after snapshot before, by key, leaving out zeros.
func (c *benchCounter) since(before map[string]int) map[string]int {
	d := map[string]int{}
	for k, v := range c.snapshot() {
		if v-before[k] != 0 {
			d[k] = v - before[k]
		}
	}
	return d
}

// benchSchedule creates n pull bindings of url at ref on "* * * * *", due at due, each
// marked as having applied commit (through the store's run records, without Git), in
// directories prefix0000, prefix0001, …
func benchSchedule(tb testing.TB, db *sqlstore.DB, n int, prefix, url, ref, commit string, due time.Time) {
	tb.Helper()
	ctx := context.Background()
	for i := 0; i < n; i++ {
		b := &ferry.Binding{Namespace: "dev", Name: fmt.Sprintf("%s%04d", prefix, i), Directory: fmt.Sprintf("%s%04d", prefix, i),
			URL: url, Ref: ref, Direction: ferry.DirectionPull, Schedule: "* * * * *"}
		if err := b.Validate(); err != nil {
			tb.Fatal(err)
		}
		b.Status.NextRunAt = &due
		if err := db.CreateBinding(ctx, b); err != nil {
			tb.Fatal(err)
		}
		run, _, err := db.QueueRun(ctx, ferry.RunRequest{BindingID: b.ID, Kind: ferry.RunPull, Trigger: ferry.TriggerAPI, Actor: "bench"})
		if err != nil {
			tb.Fatal(err)
		}
		run, _, err = db.StartRun(ctx, run.ID)
		if err != nil {
			tb.Fatal(err)
		}
		run.Result, run.CommitAfter = ferry.ResultUpToDate, commit
		if err := db.FinishRun(ctx, run, false); err != nil {
			tb.Fatal(err)
		}
	}
}

// TestPollSharesRefListing: a poll over many due bindings lists each remote once, however
// many bindings and refs follow it, and queues pulls only for the bindings whose ref moved.
func TestPollSharesRefListing(t *testing.T) {
	eachDB(t, func(t *testing.T, newDB func() *sqlstore.DB) {
		ctx := context.Background()
		clock := &benchClock{}
		start := time.Now().UTC().Truncate(time.Minute).Add(time.Hour)
		clock.set(start)
		be := newBenchBackendOn(t, newDB(), t.TempDir(), benchOpts{now: clock.now})
		root := t.TempDir()
		config := gittest.NewRepoIn(t, root, "config.git", map[string]string{"a.yaml": "a: 1\n"})
		config.SetRef("refs/heads/release", config.Head())
		config.Commit("main moves on", map[string]string{"a.yaml": "a: 2\n"})
		other := gittest.NewRepoIn(t, root, "other.git", map[string]string{"b.yaml": "b: 1\n"})
		web := gittest.NewHTTPServer(t, root, gittest.HTTPOptions{})
		counter := newBenchCounter(t, web.URL)
		configURL, otherURL := counter.URL+"/config.git", counter.URL+"/other.git"
		benchSchedule(t, be.db, 40, "main", configURL, "main", config.Head(), start)
		benchSchedule(t, be.db, 10, "release", configURL, "release", config.Ref("refs/heads/release"), start)
		benchSchedule(t, be.db, 10, "other", otherURL, "main", other.Head(), start)

		poll := func(wantQueued int) {
			t.Helper()
			before, requests, queued := counter.snapshot(), web.Requests(), be.runs.count()
			if err := be.svc.Poll(ctx); err != nil {
				t.Fatal(err)
			}
			got := counter.since(before)
			want := map[string]int{
				"GET /config.git/info/refs": 1, "POST /config.git/git-upload-pack": 1, // one ls-refs
				"GET /other.git/info/refs": 1, "POST /other.git/git-upload-pack": 1,
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("a poll of 60 bindings on 2 remotes made the requests %v, want one ref listing per remote %v", got, want)
			}
			if n := web.Requests() - requests; n != 4 {
				t.Errorf("the server saw %d requests, want 4", n)
			}
			if n := be.runs.count() - queued; n != wantQueued {
				t.Errorf("the poll queued %d pulls, want %d", n, wantQueued)
			}
		}
		// Nothing moved: one listing per remote, nothing queued.
		poll(0)
		due, err := be.db.DueBindings(ctx, clock.now(), 1000)
		if err != nil || len(due) != 0 {
			t.Fatalf("after the poll %d bindings are still due (%v)", len(due), err)
		}
		// main moves: still one listing per remote; only the 40 bindings on main pull.
		config.Commit("main moves again", map[string]string{"a.yaml": "a: 3\n"})
		clock.add(time.Minute)
		poll(40)
	})
}

// TestPullRowsWrittenConstant: a pull of a one-file change writes as many rows in a
// directory of 1,000 files as in one of 10.
func TestPullRowsWrittenConstant(t *testing.T) {
	files := map[string]string{}
	for i := 0; i < 10; i++ {
		files[fmt.Sprintf("few/f%04d.yaml", i)] = benchContent("few", i)
	}
	for i := 0; i < 1000; i++ {
		files[fmt.Sprintf("many/f%04d.yaml", i)] = benchContent("many", i)
	}
	h := newHarness(t, openDB(t, sqlstore.Config{DataDir: t.TempDir()}), files, gitsync.Limits{})
	wantResult(t, h.bind("few", "few", "few"), ferry.ResultApplied)
	wantResult(t, h.bind("many", "many", "many"), ferry.ResultApplied)
	rows := map[string]int64{}
	for _, name := range []string{"few", "many"} {
		h.repo.Commit("one file", map[string]string{name + "/f0001.yaml": "changed in " + name + "\n"})
		before := h.db.RowsWritten()
		run := h.pull(name, false)
		wantResult(t, run, ferry.ResultApplied)
		if run.Modified != 1 || run.Added != 0 || run.Deleted != 0 {
			t.Fatalf("%s: %+v", name, run)
		}
		rows[name] = h.db.RowsWritten() - before
	}
	if rows["few"] != rows["many"] {
		t.Fatalf("a one-file pull wrote %d rows in a 10-file directory and %d in a 1,000-file one", rows["few"], rows["many"])
	}
}

// benchPollFixture is 1,000 bindings on "* * * * *" against one unchanged remote.
type benchPollFixture struct {
	dir     string // the back end's directory: db/ and git/
	be      *benchBackend
	clock   *benchClock
	web     *gittest.HTTPServer
	counter *benchCounter
	repo    string // the repository's path on the server
}

const benchPollBindings = 1000

func newBenchPollFixture(b *testing.B) *benchPollFixture {
	b.Helper()
	f := &benchPollFixture{dir: b.TempDir(), clock: &benchClock{}}
	start := time.Now().UTC().Truncate(time.Minute).Add(time.Minute)
	f.clock.set(start)
	f.be = newBenchBackend(b, f.dir, benchOpts{now: f.clock.now})
	repo := gittest.NewRepo(b, map[string]string{"config/a.yaml": "a: 1\n"})
	f.web = gittest.NewHTTPServer(b, repo.Root, gittest.HTTPOptions{})
	f.counter = newBenchCounter(b, f.web.URL)
	f.repo = "/" + repo.Name
	benchSchedule(b, f.be.db, benchPollBindings, "b", f.counter.URL+f.repo, "main", repo.Head(), start)
	return f
}

// BenchmarkPoll1000: one poll cycle over 1,000 due bindings of one unchanged remote.
// "cycle" measures svc.Poll in this process: CPU (getrusage, user+sys), wall time, the
// share of one core that a cycle a minute takes, the requests the server saw and the rows
// written. "process" runs a whole back end (River included, idle between cycles) on the same
// database in a child process and reports a cycle's CPU, River's idle CPU per minute, the
// resulting share of one core, and peak RSS.
func BenchmarkPoll1000(b *testing.B) {
	f := newBenchPollFixture(b)
	ctx := context.Background()
	b.Run("cycle", func(b *testing.B) {
		var cpu, wall, rows, listings, requests []float64
		for i := 0; i < b.N; i++ {
			before, reqs, queued, written := f.counter.snapshot(), f.web.Requests(), f.be.runs.count(), f.be.db.RowsWritten()
			c0, t0 := benchCPU(), time.Now()
			if err := f.be.svc.Poll(ctx); err != nil {
				b.Fatal(err)
			}
			wall = append(wall, float64(time.Since(t0))/float64(time.Millisecond))
			cpu = append(cpu, float64(benchCPU()-c0)/float64(time.Millisecond))
			rows = append(rows, float64(f.be.db.RowsWritten()-written))
			listings = append(listings, float64(f.counter.since(before)["GET "+f.repo+"/info/refs"]))
			requests = append(requests, float64(f.web.Requests()-reqs))
			if n := f.be.runs.count() - queued; n != 0 {
				b.Fatalf("a poll of an unchanged remote queued %d pulls", n)
			}
			if rows[i] < benchPollBindings {
				b.Fatalf("the poll wrote %v rows: were the %d bindings due?", rows[i], benchPollBindings)
			}
			f.clock.add(time.Minute)
		}
		b.ReportMetric(0, "ns/op")
		b.ReportMetric(benchMedian(cpu), "cpu-ms")
		b.ReportMetric(benchMedian(wall), "wall-ms")
		b.ReportMetric(benchMedian(cpu)/60000*100, "pct-core")
		b.ReportMetric(benchMedian(listings), "listings")
		b.ReportMetric(benchMedian(requests), "requests")
		b.ReportMetric(benchMedian(rows), "rows")
	})
	// The child process takes a while (River idles for benchChildIdle), so it runs once
	// however many iterations are asked for; its three cycles give the median.
	var child *benchChildResult
	b.Run("process", func(b *testing.B) {
		if child == nil {
			r := runBenchChild(b, "poll", "DIR="+f.dir, fmt.Sprintf("CLOCK=%d", f.clock.now().Unix()))
			f.clock.add(benchChildPollCycles*time.Minute + time.Minute)
			child = &r
		}
		cycle := benchMedian(child.CycleCPUMS)
		b.ReportMetric(0, "ns/op")
		b.ReportMetric(cycle, "cycle-cpu-ms")
		b.ReportMetric(benchMedian(child.CycleWallMS), "cycle-wall-ms")
		b.ReportMetric(child.IdleCPUMSPerMin, "idle-cpu-ms/min")
		b.ReportMetric((cycle+child.IdleCPUMSPerMin)/60000*100, "pct-core")
		b.ReportMetric(float64(child.HWMKB)/1024, "peak-MB")
	})
}

// ---------------------------------------------------------------------------------------
// Child processes

const (
	benchChildEnv        = "FERRY_GITSYNC_BENCH_CHILD"
	benchChildPollCycles = 3
	benchChildIdle       = 10 * time.Second
)

// benchChildResult is what a child process reports.
type benchChildResult struct {
	HWMKB           int64     `json:"hwm_kb"`
	GitMaxRSSKB     int64     `json:"git_max_rss_kb"`
	CPUMS           float64   `json:"cpu_ms"`
	WallMS          float64   `json:"wall_ms"`
	Added           int       `json:"added"`
	CycleCPUMS      []float64 `json:"cycle_cpu_ms"`
	CycleWallMS     []float64 `json:"cycle_wall_ms"`
	IdleCPUMSPerMin float64   `json:"idle_cpu_ms_per_min"`
}

// runBenchChild runs this test binary as TestBenchChildProcess in mode, with env entries
// (KEY=value, prefixed with the mode's variable), and returns what it reported.
func runBenchChild(b *testing.B, mode string, env ...string) benchChildResult {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestBenchChildProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), benchChildEnv+"="+mode)
	for _, kv := range env {
		cmd.Env = append(cmd.Env, benchChildEnv+"_"+kv)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		b.Fatalf("child %s: %v\n%s", mode, err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if js, ok := strings.CutPrefix(line, "bench-child "); ok {
			var r benchChildResult
			if err := json.Unmarshal([]byte(js), &r); err != nil {
				b.Fatal(err)
			}
			return r
		}
	}
	b.Fatalf("child %s reported nothing:\n%s", mode, out)
	return benchChildResult{}
}

// TestBenchChildProcess is the child process of the benchmarks that measure peak RSS and
// CPU; it does nothing in an ordinary test run.
func TestBenchChildProcess(t *testing.T) {
	mode := os.Getenv(benchChildEnv)
	if mode == "" {
		t.Skip("runs only as a benchmark's child process")
	}
	arg := func(name string) string { return os.Getenv(benchChildEnv + "_" + name) }
	ctx := context.Background()
	var r benchChildResult
	switch mode {
	case "first-pull":
		// A whole back end with River, from an empty database and cache to the first run
		// of a binding applied.
		be := newBenchBackend(t, arg("DIR"), benchOpts{river: true})
		c0, t0 := benchCPU(), time.Now()
		run := be.bind(t, "target", "target", arg("URL"), benchLargePath)
		r.WallMS = float64(time.Since(t0)) / float64(time.Millisecond)
		r.CPUMS = float64(benchCPU()-c0) / float64(time.Millisecond)
		if run.Result != ferry.ResultApplied {
			t.Fatalf("first pull: %+v", run)
		}
		r.Added = run.Added
	case "poll":
		// The benchmark's 1,000 bindings, next due at CLOCK. River runs as in the server,
		// polling every minute, but on a clock for which nothing is due so that the cycles
		// measured here are the only ones that do work; three cycles a minute apart, then
		// River idles for a while.
		due, err := strconv.ParseInt(arg("CLOCK"), 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		clock := &benchClock{}
		past := time.Unix(due, 0).Add(-time.Hour)
		be := newBenchBackend(t, arg("DIR"), benchOpts{river: true, now: clock.now, poll: "* * * * *",
			riverNow: func() time.Time { return past }})
		time.Sleep(time.Second) // River starts
		for i := 0; i < benchChildPollCycles; i++ {
			clock.set(time.Unix(due, 0).Add(time.Duration(i) * time.Minute))
			c0, t0 := benchCPU(), time.Now()
			if err := be.svc.Poll(ctx); err != nil {
				t.Fatal(err)
			}
			r.CycleWallMS = append(r.CycleWallMS, float64(time.Since(t0))/float64(time.Millisecond))
			r.CycleCPUMS = append(r.CycleCPUMS, float64(benchCPU()-c0)/float64(time.Millisecond))
		}
		c0 := benchCPU()
		time.Sleep(benchChildIdle)
		r.IdleCPUMSPerMin = float64(benchCPU()-c0) / float64(time.Millisecond) * float64(time.Minute/benchChildIdle)
	default:
		t.Fatalf("unknown child mode %q", mode)
	}
	r.HWMKB = benchVmHWM()
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru)
	r.GitMaxRSSKB = ru.Maxrss
	js, _ := json.Marshal(r)
	fmt.Printf("bench-child %s\n", js)
}
