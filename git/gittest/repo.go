// Package gittest makes real Git remotes for tests: bare repositories in a temporary
// directory, served by the git CLI's smart HTTP backend and by an in-process SSH server that
// runs git-upload-pack and git-receive-pack.
package gittest

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// Repo is a bare repository on disk with a branch that tests commit to.
type Repo struct {
	t      testing.TB
	Root   string // the directory servers serve; Dir is inside it
	Name   string // the repository's path under Root, e.g. "repo.git"
	Dir    string // Root/Name
	Branch string // the branch Commit writes to: "main"
	clock  int64  // commit time, advanced by each commit so that IDs differ
}

// File is a file to commit with an explicit Git mode ("100644", "100755", "120000").
type File struct {
	Path, Content, Mode string
}

// NewRepo makes a bare repository "repo.git" in a fresh t.TempDir() and, unless files is
// empty, commits files to its main branch.
func NewRepo(t testing.TB, files map[string]string) *Repo {
	t.Helper()
	return NewRepoIn(t, t.TempDir(), "repo.git", files)
}

// NewRepoIn makes a bare repository at root/name, configured so that a partial clone and a
// push over smart HTTP work, and commits files to main unless files is empty.
func NewRepoIn(t testing.TB, root, name string, files map[string]string) *Repo {
	t.Helper()
	r := &Repo{t: t, Root: root, Name: name, Dir: filepath.Join(root, name), Branch: "main", clock: 1700000000}
	Git(t, root, "init", "--bare", "-q", "-b", "main", name)
	for _, kv := range [][2]string{
		{"uploadpack.allowFilter", "true"},
		{"uploadpack.allowAnySHA1InWant", "true"},
		{"http.receivepack", "true"},
		{"receive.advertisePushOptions", "true"},
	} {
		r.Git("config", kv[0], kv[1])
	}
	if len(files) > 0 {
		r.Commit("initial", files)
	}
	return r
}

// Git runs git in dir with a hermetic environment and returns its trimmed stdout; it fails
// the test on error.
func Git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	out, err := GitCmd(dir, nil, args...)
	if err != nil {
		t.Fatalf("git %s: %v", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(out)
}

// GitCmd runs git in dir with stdin and a hermetic environment (no system or global
// configuration) and returns its stdout; the error includes stderr.
func GitCmd(dir string, stdin io.Reader, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = Env()
	cmd.Stdin = stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// Env is the hermetic environment gittest runs git with.
func Env() []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + os.TempDir(),
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=/dev/null",
		"LC_ALL=C",
	}
}

// Git runs git in the repository.
func (r *Repo) Git(args ...string) string {
	r.t.Helper()
	return Git(r.t, r.Dir, args...)
}

// Commit writes files (path → content, mode 100644) and removes the paths in remove, on
// top of the branch, and returns the new commit.
func (r *Repo) Commit(msg string, files map[string]string, remove ...string) string {
	r.t.Helper()
	list := make([]File, 0, len(files))
	for p, c := range files {
		list = append(list, File{Path: p, Content: c, Mode: "100644"})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Path < list[j].Path })
	return r.CommitFiles(msg, list, remove...)
}

// CommitFiles is Commit with explicit modes.
func (r *Repo) CommitFiles(msg string, files []File, remove ...string) string {
	r.t.Helper()
	r.clock += 60
	var b bytes.Buffer
	ref := "refs/heads/" + r.Branch
	fmt.Fprintf(&b, "commit %s\nmark :1\ncommitter Test <test@example.com> %d +0000\ndata %d\n%s\n", ref, r.clock, len(msg), msg)
	if head := r.Ref(ref); head != "" {
		fmt.Fprintf(&b, "from %s\n", head)
	}
	for _, p := range remove {
		fmt.Fprintf(&b, "D %s\n", p)
	}
	for _, f := range files {
		fmt.Fprintf(&b, "M %s inline %s\ndata %d\n%s\n", f.Mode, f.Path, len(f.Content), f.Content)
	}
	b.WriteString("\n")
	r.FastImport(&b)
	return r.Ref(ref)
}

// FastImport feeds a git fast-import stream to the repository.
func (r *Repo) FastImport(stream io.Reader) {
	r.t.Helper()
	if _, err := GitCmd(r.Dir, stream, "fast-import", "--quiet", "--force"); err != nil {
		r.t.Fatalf("git fast-import: %v", err)
	}
}

// Ref returns the object ref points to, or "" if it does not exist.
func (r *Repo) Ref(ref string) string {
	out, err := GitCmd(r.Dir, nil, "rev-parse", "--verify", "--quiet", ref)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(out)
}

// Head returns the commit of the branch.
func (r *Repo) Head() string { return r.Ref("refs/heads/" + r.Branch) }

// SetRef points ref at object, for instance to move a branch back.
func (r *Repo) SetRef(ref, object string) {
	r.t.Helper()
	r.Git("update-ref", ref, object)
}

// Tag creates the tag name on commit: annotated when message is not empty, else lightweight.
func (r *Repo) Tag(name, commit, message string) {
	r.t.Helper()
	if message == "" {
		r.Git("tag", name, commit)
		return
	}
	r.Git("-c", "user.name=Test", "-c", "user.email=test@example.com", "tag", "-a", "-m", message, name, commit)
}

// File returns the content of path at commit.
func (r *Repo) File(commit, path string) string {
	r.t.Helper()
	out, err := GitCmd(r.Dir, nil, "cat-file", "blob", commit+":"+path)
	if err != nil {
		r.t.Fatalf("reading %s at %s: %v", path, commit, err)
	}
	return out
}
