package git

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/git/gittest"
)

// Benchmarks of the engine side by side with the plain git CLI doing the same minimal work,
// on the same repositories served by git http-backend on loopback:
//
//   - small: 500 files in 5 directories; the path read is d1 (100 files)
//   - large: 30,000 files, 200 commits; the path read is svc/target (1,000 files)
//
// Run with: go test ./git -run '^$' -bench . -benchtime 10x   (large ones skip under -short)
// Peak memory: BenchmarkPeakRSS runs the engine in a child process and reports its VmHWM.

type fixture struct {
	name  string
	repo  *gittest.Repo
	path  string // the directory a binding would sync
	files int    // files under path
}

var (
	fixtureOnce = map[string]*sync.Once{"small": {}, "large": {}}
	fixtures    = map[string]*fixture{}
	fixtureRoot string
)

func TestMain(m *testing.M) {
	if os.Getenv("FERRY_RSS_CHILD") != "" {
		os.Exit(rssChild())
	}
	code := m.Run()
	if fixtureRoot != "" {
		os.RemoveAll(fixtureRoot)
	}
	os.Exit(code)
}

// benchTB lets fixtures outlive one benchmark: they are removed by TestMain.
type benchTB struct{ testing.TB }

func (benchTB) Cleanup(func()) {}
func (benchTB) TempDir() string {
	d, err := os.MkdirTemp(fixtureRoot, "fx-")
	if err != nil {
		panic(err)
	}
	return d
}

// getFixture builds (once per process) the repository of the given size.
func getFixture(b *testing.B, size string) *fixture {
	b.Helper()
	if size == "large" && testing.Short() {
		b.Skip("the 30,000-file repository is skipped under -short")
	}
	fixtureOnce[size].Do(func() {
		if fixtureRoot == "" {
			var err error
			if fixtureRoot, err = os.MkdirTemp("", "ferry-gitbench-"); err != nil {
				b.Fatal(err)
			}
		}
		tb := benchTB{b}
		repo := gittest.NewRepoIn(tb, fixtureRoot, size+".git", nil)
		f := &fixture{name: size, repo: repo}
		if size == "small" {
			f.path, f.files = "d1", 100
			repo.FastImport(bytes.NewReader(importStream(5, 100, "d", 20)))
		} else {
			f.path, f.files = "svc/target", 1000
			repo.FastImport(bytes.NewReader(largeStream()))
		}
		for i := 0; i < 20; i++ {
			repo.Tag(fmt.Sprintf("v1.%d", i), repo.Head(), "")
		}
		fixtures[size] = f
	})
	f := fixtures[size]
	if f == nil {
		b.Fatal("fixture build failed earlier")
	}
	return f
}

// content is a file's deterministic content of about 300 bytes.
func content(path string, version int) string {
	return fmt.Sprintf("name: %s\nversion: %d\nspec:\n  description: %s\n", path, version, strings.Repeat(path+" ", 10))
}

// importStream makes dirs directories of n files each, in one commit, then commits more
// commits changing 5 files each.
func importStream(dirs, n int, prefix string, more int) []byte {
	var b bytes.Buffer
	var paths []string
	for d := 0; d < dirs; d++ {
		for i := 0; i < n; i++ {
			paths = append(paths, fmt.Sprintf("%s%d/f%04d.yaml", prefix, d, i))
		}
	}
	writeCommits(&b, paths, more)
	return b.Bytes()
}

func largeStream() []byte {
	var paths []string
	for i := 0; i < 1000; i++ {
		paths = append(paths, fmt.Sprintf("svc/target/f%04d.yaml", i))
	}
	for d := 0; d < 290; d++ {
		for i := 0; i < 100; i++ {
			paths = append(paths, fmt.Sprintf("pkg/p%03d/f%02d.yaml", d, i))
		}
	}
	var b bytes.Buffer
	writeCommits(&b, paths, 199)
	return b.Bytes()
}

func writeCommits(b *bytes.Buffer, paths []string, more int) {
	when := 1700000000
	fmt.Fprintf(b, "commit refs/heads/main\ncommitter Bench <b@example.com> %d +0000\ndata 7\ninitial\n", when)
	for _, p := range paths {
		c := content(p, 0)
		fmt.Fprintf(b, "M 100644 inline %s\ndata %d\n%s\n", p, len(c), c)
	}
	seed := uint32(1)
	for i := 1; i <= more; i++ {
		fmt.Fprintf(b, "\ncommit refs/heads/main\ncommitter Bench <b@example.com> %d +0000\ndata 6\nchange\n", when+i*60)
		for j := 0; j < 5; j++ {
			seed = seed*1664525 + 1013904223
			p := paths[int(seed>>8)%len(paths)]
			c := content(p, i)
			fmt.Fprintf(b, "M 100644 inline %s\ndata %d\n%s\n", p, len(c), c)
		}
	}
	b.WriteString("\n")
}

func benchEngine(b *testing.B) *Engine {
	b.Helper()
	e, err := New(Config{Dir: b.TempDir(), Policy: loopback})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.Close() })
	return e
}

// cli runs the plain git CLI with gittest's hermetic environment.
func cli(b *testing.B, dir string, args ...string) string {
	b.Helper()
	out, err := gittest.GitCmd(dir, nil, args...)
	if err != nil {
		b.Fatalf("git %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// readPath reads every file under path at commit with the engine.
func readPath(b *testing.B, e *Engine, u *ferry.RemoteURL, commit, path string, want int) {
	b.Helper()
	ctx := context.Background()
	files, err := e.ReadTree(ctx, u, commit, path)
	if err != nil {
		b.Fatal(err)
	}
	oids := make([]string, len(files))
	for i, f := range files {
		oids[i] = f.OID
	}
	var n int
	if err := e.ReadBlobs(ctx, u, oids, func(string, []byte) error { n++; return nil }); err != nil {
		b.Fatal(err)
	}
	if n != want {
		b.Fatalf("read %d files, want %d", n, want)
	}
}

// cliReadPath reads every file under path at commit with ls-tree and one cat-file --batch.
func cliReadPath(b *testing.B, dir, commit, path string, want int) {
	b.Helper()
	out := cli(b, dir, "ls-tree", "-r", "-l", "-z", commit+":"+path)
	var oids bytes.Buffer
	n := 0
	for _, rec := range strings.Split(strings.TrimSuffix(out, "\x00"), "\x00") {
		f := strings.Fields(rec)
		oids.WriteString(f[2] + "\n")
		n++
	}
	cmd := exec.Command("git", "cat-file", "--batch")
	cmd.Dir, cmd.Env, cmd.Stdin = dir, gittest.Env(), &oids
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	r := bufio.NewReader(stdout)
	for i := 0; i < n; i++ {
		hdr, err := r.ReadString('\n')
		if err != nil {
			b.Fatal(err)
		}
		size, _ := strconv.Atoi(strings.Fields(hdr)[2])
		if _, err := io.CopyN(io.Discard, r, int64(size)+1); err != nil {
			b.Fatal(err)
		}
	}
	if err := cmd.Wait(); err != nil || n != want {
		b.Fatalf("cat-file: %v, %d files", err, n)
	}
}

func BenchmarkListRefs(b *testing.B) {
	for _, size := range []string{"small", "large"} {
		b.Run(size, func(b *testing.B) {
			f := getFixture(b, size)
			srv := gittest.NewHTTPServer(b, f.repo.Root, gittest.HTTPOptions{})
			url := srv.RepoURL(f.repo.Name)
			u := mustParse(b, url)
			e := benchEngine(b)
			b.Run("ferry", func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					if _, err := e.ListRefs(context.Background(), u, nil); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("cli", func(b *testing.B) {
				dir := b.TempDir()
				for i := 0; i < b.N; i++ {
					cli(b, dir, "ls-remote", url)
				}
			})
		})
	}
}

// BenchmarkFirstFetch: fetch a path into an empty cache and read its files. The CLI does a
// blobless, shallow, sparse partial clone and checks the path out.
func BenchmarkFirstFetch(b *testing.B) {
	for _, size := range []string{"small", "large"} {
		b.Run(size, func(b *testing.B) {
			f := getFixture(b, size)
			srv := gittest.NewHTTPServer(b, f.repo.Root, gittest.HTTPOptions{})
			url := srv.RepoURL(f.repo.Name)
			u := mustParse(b, url)
			b.Run("ferry", func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					e := benchEngine(b)
					b.StartTimer()
					commit, err := e.Fetch(context.Background(), u, nil, "main", []string{f.path})
					if err != nil {
						b.Fatal(err)
					}
					readPath(b, e, u, commit, f.path, f.files)
				}
			})
			b.Run("cli", func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					dst := filepath.Join(b.TempDir(), "clone")
					b.StartTimer()
					cli(b, "", "clone", "--quiet", "--filter=blob:none", "--depth=1", "--sparse", url, dst)
					cli(b, dst, "sparse-checkout", "set", f.path)
				}
			})
		})
	}
}

// BenchmarkReadFiles: read every file under the path from a local cache.
func BenchmarkReadFiles(b *testing.B) {
	for _, size := range []string{"small", "large"} {
		b.Run(size, func(b *testing.B) {
			f := getFixture(b, size)
			srv := gittest.NewHTTPServer(b, f.repo.Root, gittest.HTTPOptions{})
			u := mustParse(b, srv.RepoURL(f.repo.Name))
			e := benchEngine(b)
			commit, err := e.Fetch(context.Background(), u, nil, "main", []string{f.path})
			if err != nil {
				b.Fatal(err)
			}
			b.Run("ferry", func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					readPath(b, e, u, commit, f.path, f.files)
				}
			})
			b.Run("cli", func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					cliReadPath(b, e.cacheDir(u), commit, f.path, f.files)
				}
			})
		})
	}
}

// BenchmarkIncrementalFetch: one file under the path changes; fetch it and read it. The CLI
// baselines: "cli-pull" is git pull --ff-only in a blobless sparse clone (fetch, then the
// checkout fetches the changed blob), "cli-fetch" a plain git fetch in a full clone.
func BenchmarkIncrementalFetch(b *testing.B) {
	for _, size := range []string{"small", "large"} {
		b.Run(size, func(b *testing.B) {
			f := getFixture(b, size)
			srv := gittest.NewHTTPServer(b, f.repo.Root, gittest.HTTPOptions{})
			url := srv.RepoURL(f.repo.Name)
			u := mustParse(b, url)
			n := 0
			change := func() {
				n++
				f.repo.Commit("bench", map[string]string{f.path + "/f0001.yaml": content("x", n)})
			}
			b.Run("ferry", func(b *testing.B) {
				e := benchEngine(b)
				if _, err := e.Fetch(context.Background(), u, nil, "main", []string{f.path}); err != nil {
					b.Fatal(err)
				}
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					change()
					b.StartTimer()
					commit, err := e.Fetch(context.Background(), u, nil, "main", []string{f.path})
					if err != nil {
						b.Fatal(err)
					}
					var got []byte
					err = e.ReadBlobs(context.Background(), u, []string{blobAt(b, e.cacheDir(u), commit, f.path+"/f0001.yaml")}, func(_ string, c []byte) error { got = append(got, c...); return nil })
					if err != nil || len(got) == 0 {
						b.Fatal(err)
					}
				}
			})
			b.Run("cli-pull", func(b *testing.B) {
				dst := filepath.Join(b.TempDir(), "clone")
				cli(b, "", "clone", "--quiet", "--filter=blob:none", "--depth=1", "--sparse", url, dst)
				cli(b, dst, "sparse-checkout", "set", f.path)
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					change()
					b.StartTimer()
					cli(b, dst, "pull", "--quiet", "--ff-only")
				}
			})
			b.Run("cli-fetch", func(b *testing.B) {
				dst := filepath.Join(b.TempDir(), "clone.git")
				cli(b, "", "clone", "--quiet", "--bare", url, dst)
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					change()
					b.StartTimer()
					cli(b, dst, "fetch", "--quiet", "origin", "+refs/heads/main:refs/heads/main")
				}
			})
		})
	}
}

// blobAt returns the blob ID of path at commit (not timed: the caller knows it from ReadTree).
func blobAt(b *testing.B, dir, commit, path string) string {
	b.StopTimer()
	defer b.StartTimer()
	return strings.TrimSpace(cli(b, dir, "rev-parse", commit+":"+path))
}

// BenchmarkPeakRSS runs, in a child process, what a pull of the large repository's whole
// tree does (list refs, fetch, read the tree and all 30,000 blobs) and reports the child's
// peak RSS (VmHWM) and the largest peak RSS among the git processes it ran.
func BenchmarkPeakRSS(b *testing.B) {
	f := getFixture(b, "large")
	srv := gittest.NewHTTPServer(b, f.repo.Root, gittest.HTTPOptions{})
	for i := 0; i < b.N; i++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "FERRY_RSS_CHILD="+srv.RepoURL(f.repo.Name), "FERRY_RSS_DIR="+b.TempDir())
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("child: %v\n%s", err, out)
		}
		var self, child int64
		if _, err := fmt.Sscanf(string(out), "rss-kb %d %d", &self, &child); err != nil {
			b.Fatalf("child printed %q", out)
		}
		b.ReportMetric(float64(self)/1024, "ferry-MB")
		b.ReportMetric(float64(child)/1024, "max-git-MB")
	}
}

// rssChild is the child process of BenchmarkPeakRSS.
func rssChild() int {
	fail := func(err error) int { fmt.Println("error:", err); return 1 }
	e, err := New(Config{Dir: os.Getenv("FERRY_RSS_DIR"), Policy: loopback})
	if err != nil {
		return fail(err)
	}
	u, err := ferry.ParseRemoteURL(os.Getenv("FERRY_RSS_CHILD"))
	if err != nil {
		return fail(err)
	}
	ctx := context.Background()
	commit, err := e.Fetch(ctx, u, nil, "main", []string{""})
	if err != nil {
		return fail(err)
	}
	files, err := e.ReadTree(ctx, u, commit, "")
	if err != nil {
		return fail(err)
	}
	oids := make([]string, len(files))
	for i, f := range files {
		oids[i] = f.OID
	}
	var total int64
	if err := e.ReadBlobs(ctx, u, oids, func(_ string, c []byte) error { total += int64(len(c)); return nil }); err != nil {
		return fail(err)
	}
	status, _ := os.ReadFile("/proc/self/status")
	var hwm int64
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			hwm, _ = strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru)
	fmt.Printf("rss-kb %d %d files %d bytes %d\n", hwm, ru.Maxrss, len(files), total)
	return 0
}
