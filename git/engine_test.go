package git

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/git/gittest"
)

var testFiles = map[string]string{
	"dir/a.txt":     "alpha\n",
	"dir/sub/b.txt": "bravo\n",
	"other/c.txt":   "charlie\n",
	"README.md":     "# test\n",
}

func TestListRefs(t *testing.T) {
	r := newRemote(t, testFiles)
	head := r.repo.Head()
	r.repo.Tag("v1", head, "release 1")
	r.repo.Tag("light", head, "")
	r.repo.SetRef("refs/heads/feature/x", head)
	r.repo.SetRef("refs/pull/1/head", head) // not a branch or tag: left out
	tagObj := r.repo.Ref("refs/tags/v1")
	e, _ := newEngine(t, Config{Policy: loopback})
	r.each(t, func(t *testing.T, u *ferry.RemoteURL, auth *ferry.GitAuth) {
		info, err := e.ListRefs(testContext(t), u, auth)
		if err != nil {
			t.Fatal(err)
		}
		want := []ferry.RemoteRef{
			{Name: "refs/heads/feature/x", Commit: head},
			{Name: "refs/heads/main", Commit: head},
			{Name: "refs/tags/light", Commit: head},
			{Name: "refs/tags/v1", Commit: head, Tag: tagObj},
		}
		if len(info.Refs) != len(want) {
			t.Fatalf("refs = %+v, want %+v", info.Refs, want)
		}
		for i := range want {
			if info.Refs[i] != want[i] {
				t.Errorf("ref %d = %+v, want %+v", i, info.Refs[i], want[i])
			}
		}
		if info.Head != "refs/heads/main" || info.DefaultBranch() != "main" {
			t.Errorf("Head = %q", info.Head)
		}
		if u.Scheme == "ssh" {
			want := &ferry.HostKeyInfo{Type: "ssh-ed25519", Fingerprint: ssh.FingerprintSHA256(r.ssh.HostKey), Known: true}
			if info.HostKey == nil || *info.HostKey != *want {
				t.Errorf("HostKey = %+v, want %+v", info.HostKey, want)
			}
		} else if info.HostKey != nil {
			t.Errorf("HostKey over HTTP = %+v", info.HostKey)
		}
	})
}

func TestListRefsEmptyRepository(t *testing.T) {
	r := newRemote(t, nil)
	e, _ := newEngine(t, Config{Policy: loopback})
	r.each(t, func(t *testing.T, u *ferry.RemoteURL, auth *ferry.GitAuth) {
		info, err := e.ListRefs(testContext(t), u, auth)
		if err != nil {
			t.Fatal(err)
		}
		if len(info.Refs) != 0 {
			t.Errorf("refs of an empty repository: %+v", info.Refs)
		}
		if _, err := e.Fetch(testContext(t), u, auth, "main", nil); reason(err) != ferry.ReasonRefNotFound {
			t.Errorf("Fetch from an empty repository: %v", err)
		}
	})
}

// readAll reads the files under dir at commit into path → content.
func readAll(t *testing.T, e *Engine, u *ferry.RemoteURL, commit, dir string) map[string]string {
	t.Helper()
	ctx := testContext(t)
	files, err := e.ReadTree(ctx, u, commit, dir)
	if err != nil {
		t.Fatalf("ReadTree(%q): %v", dir, err)
	}
	byOID := map[string][]string{}
	var oids []string
	for _, f := range files {
		if f.Mode == ferry.ModeSubmodule {
			continue
		}
		byOID[f.OID] = append(byOID[f.OID], f.Path)
		oids = append(oids, f.OID)
	}
	got := map[string]string{}
	err = e.ReadBlobs(ctx, u, oids, func(oid string, content []byte) error {
		for _, p := range byOID[oid] {
			got[p] = string(content)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("ReadBlobs: %v", err)
	}
	return got
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestFetchAndRead(t *testing.T) {
	r := newRemote(t, testFiles)
	r.repo.CommitFiles("modes", []gittest.File{
		{Path: "dir/run.sh", Content: "#!/bin/sh\n", Mode: "100755"},
		{Path: "dir/link", Content: "a.txt", Mode: "120000"},
	})
	head := r.repo.Head()
	e, _ := newEngine(t, Config{Policy: loopback})
	r.each(t, func(t *testing.T, u *ferry.RemoteURL, auth *ferry.GitAuth) {
		ctx := testContext(t)
		commit, err := e.Fetch(ctx, u, auth, "main", []string{"dir"})
		if err != nil {
			t.Fatal(err)
		}
		if commit != head {
			t.Fatalf("Fetch = %s, want %s", commit, head)
		}
		files, err := e.ReadTree(ctx, u, commit, "dir")
		if err != nil {
			t.Fatal(err)
		}
		modes := map[string]ferry.Mode{}
		for _, f := range files {
			modes[f.Path] = f.Mode
			if f.Size <= 0 || !isOID(f.OID) {
				t.Errorf("file %+v", f)
			}
		}
		wantModes := map[string]ferry.Mode{"a.txt": ferry.ModeFile, "sub/b.txt": ferry.ModeFile, "run.sh": ferry.ModeExecutable, "link": ferry.ModeSymlink}
		if len(modes) != len(wantModes) {
			t.Errorf("ReadTree = %+v", files)
		}
		for p, m := range wantModes {
			if modes[p] != m {
				t.Errorf("mode of %s = %q, want %q", p, modes[p], m)
			}
		}
		want := map[string]string{"a.txt": "alpha\n", "sub/b.txt": "bravo\n", "run.sh": "#!/bin/sh\n", "link": "a.txt"}
		if got := readAll(t, e, u, commit, "dir"); !equalMaps(got, want) {
			t.Errorf("content = %q, want %q", got, want)
		}
		// Only the blobs under dir were fetched.
		if _, err := e.ReadTree(ctx, u, commit, "other"); reason(err) != ferry.ReasonFailed {
			t.Errorf("ReadTree(other), never fetched: %v", err)
		}
		if _, err := e.ReadTree(ctx, u, commit, "nope"); reason(err) != ferry.ReasonPathNotFound {
			t.Errorf("ReadTree(nope): %v", err)
		}
		if _, err := e.ReadTree(ctx, u, commit, "dir/a.txt"); reason(err) != ferry.ReasonPathNotFound {
			t.Errorf("ReadTree(a file): %v", err)
		}
		if _, err := e.ReadTree(ctx, u, strings.Repeat("1", 40), "dir"); reason(err) != ferry.ReasonRefNotFound {
			t.Errorf("ReadTree(unknown commit): %v", err)
		}
		if _, err := e.ReadTree(ctx, u, "HEAD", "dir"); ferry.ErrorCode(err) != ferry.EINVALID {
			t.Errorf("ReadTree(HEAD): %v", err)
		}
		if _, err := e.ReadTree(ctx, u, commit, "../x"); ferry.ErrorCode(err) != ferry.EINVALID {
			t.Errorf("ReadTree(../x): %v", err)
		}
		if _, err := e.Fetch(ctx, u, auth, "main", []string{"nope"}); reason(err) != ferry.ReasonPathNotFound {
			t.Errorf("Fetch of a missing path: %v", err)
		}
		// The whole tree, then everything reads.
		if _, err := e.Fetch(ctx, u, auth, "refs/heads/main", []string{""}); err != nil {
			t.Fatal(err)
		}
		if got := readAll(t, e, u, commit, ""); got["other/c.txt"] != "charlie\n" || len(got) != 6 {
			t.Errorf("whole tree = %q", got)
		}
	})
}

func TestReadBlobs(t *testing.T) {
	r := newRemote(t, testFiles)
	e, _ := newEngine(t, Config{Policy: loopback})
	ctx := testContext(t)
	commit, err := e.Fetch(ctx, r.httpURL, r.httpAuth, "main", []string{""})
	if err != nil {
		t.Fatal(err)
	}
	files, _ := e.ReadTree(ctx, r.httpURL, commit, "")
	var oids []string
	for _, f := range files {
		oids = append(oids, f.OID)
	}
	stop := errors.New("stop")
	calls := 0
	err = e.ReadBlobs(ctx, r.httpURL, oids, func(string, []byte) error { calls++; return stop })
	if err != stop || calls != 1 {
		t.Errorf("ReadBlobs stopping early = %v after %d calls; want fn's error after 1", err, calls)
	}
	if err := e.ReadBlobs(ctx, r.httpURL, []string{strings.Repeat("2", 40)}, func(string, []byte) error { return nil }); reason(err) != ferry.ReasonFailed {
		t.Errorf("ReadBlobs of a missing blob: %v", err)
	}
	if err := e.ReadBlobs(ctx, r.httpURL, []string{"HEAD:dir/a.txt"}, func(string, []byte) error { return nil }); ferry.ErrorCode(err) != ferry.EINVALID {
		t.Errorf("ReadBlobs of a revision expression: %v", err)
	}
	// A later read after the early stop still works: the process was not left behind.
	n := 0
	if err := e.ReadBlobs(ctx, r.httpURL, oids, func(string, []byte) error { n++; return nil }); err != nil || n != len(oids) {
		t.Errorf("ReadBlobs = %v, %d calls", err, n)
	}
}

func TestFetchIncremental(t *testing.T) {
	r := newRemote(t, testFiles)
	e, _ := newEngine(t, Config{Policy: loopback})
	r.each(t, func(t *testing.T, u *ferry.RemoteURL, auth *ferry.GitAuth) {
		ctx := testContext(t)
		first, err := e.Fetch(ctx, u, auth, "main", []string{"dir"})
		if err != nil {
			t.Fatal(err)
		}
		firstA := r.repo.File(first, "dir/a.txt")
		second := r.repo.Commit("change "+u.Scheme, map[string]string{"dir/a.txt": "alpha 2 " + u.Scheme + "\n", "other/c.txt": "changed outside\n"}, "dir/sub/b.txt")
		got, err := e.Fetch(ctx, u, auth, "main", []string{"dir"})
		if err != nil {
			t.Fatal(err)
		}
		if got != second || got == first {
			t.Fatalf("Fetch = %s, want the new commit %s", got, second)
		}
		if files := readAll(t, e, u, got, "dir"); !equalMaps(files, map[string]string{"a.txt": "alpha 2 " + u.Scheme + "\n"}) {
			t.Errorf("after the change: %q", files)
		}
		// The old commit is still readable from the cache.
		if files := readAll(t, e, u, first, "dir"); files["a.txt"] != firstA {
			t.Errorf("old commit: %q", files)
		}
		// Moving the branch back is followed (a forced update on the remote).
		r.repo.SetRef("refs/heads/main", first)
		if got, err := e.Fetch(ctx, u, auth, "main", []string{"dir"}); err != nil || got != first {
			t.Errorf("Fetch after moving main back = %s, %v; want %s", got, err, first)
		}
		r.repo.SetRef("refs/heads/main", second)
	})
}

func TestFetchTagsAndCommits(t *testing.T) {
	r := newRemote(t, testFiles)
	first := r.repo.Head()
	r.repo.Tag("v1", first, "release 1")
	second := r.repo.Commit("second", map[string]string{"dir/a.txt": "new\n"})
	r.repo.Tag("v2", second, "")
	e, _ := newEngine(t, Config{Policy: loopback})
	r.each(t, func(t *testing.T, u *ferry.RemoteURL, auth *ferry.GitAuth) {
		ctx := testContext(t)
		for ref, want := range map[string]string{"v1": first, "refs/tags/v1": first, "v2": second, first: first, "main": second} {
			got, err := e.Fetch(ctx, u, auth, ref, []string{"dir"})
			if err != nil || got != want {
				t.Errorf("Fetch(%s) = %s, %v; want %s", ref, got, err, want)
			}
		}
		if got := readAll(t, e, u, first, "dir"); got["a.txt"] != "alpha\n" {
			t.Errorf("dir at v1 = %q", got)
		}
		for _, bad := range []string{"a..b", "-x", "refs/remotes/origin/main", "HEAD~1", "main:dir"} {
			if _, err := e.Fetch(ctx, u, auth, bad, nil); ferry.ErrorCode(err) != ferry.EINVALID {
				t.Errorf("Fetch(%q) = %v, want EINVALID", bad, err)
			}
		}
		if _, err := e.Fetch(ctx, u, auth, "main", []string{"../etc"}); ferry.ErrorCode(err) != ferry.EINVALID {
			t.Errorf("Fetch of path ../etc = %v, want EINVALID", err)
		}
	})
}

func TestCommitTagPush(t *testing.T) {
	r := newRemote(t, testFiles)
	e, _ := newEngine(t, Config{Policy: loopback})
	when := time.Date(2025, 3, 1, 12, 0, 0, 0, time.FixedZone("", 3600))
	sig := ferry.Signature{Name: "Ferry Bot", Email: "bot@ferry.example", When: when}
	r.each(t, func(t *testing.T, u *ferry.RemoteURL, auth *ferry.GitAuth) {
		ctx := testContext(t)
		parent, err := e.Fetch(ctx, u, auth, "main", []string{"dir"})
		if err != nil {
			t.Fatal(err)
		}
		commit, err := e.CommitFiles(ctx, u, ferry.CommitRequest{
			Parent: parent, Dir: "dir", Author: sig, Message: "Push from " + u.Scheme + "\n",
			Files: []ferry.CommitFile{
				{Path: "a.txt", Content: []byte("alpha from " + u.Scheme + "\n")},
				{Path: "new/\"quoted\" name.txt", Content: []byte("q\n")},
				{Path: "run.sh", Mode: ferry.ModeExecutable, Content: []byte("#!/bin/sh\n")},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		tag, err := e.Tag(ctx, u, ferry.TagRequest{Name: "release-" + u.Scheme, Commit: commit, Tagger: sig, Message: "Release"})
		if err != nil {
			t.Fatal(err)
		}
		err = e.Push(ctx, u, auth,
			ferry.RefUpdate{Ref: "refs/heads/main", Object: commit},
			ferry.RefUpdate{Ref: "refs/tags/release-" + u.Scheme, Object: tag})
		if err != nil {
			t.Fatal(err)
		}
		if r.repo.Head() != commit {
			t.Fatalf("remote main = %s, want %s", r.repo.Head(), commit)
		}
		if got := r.repo.Ref("refs/tags/release-" + u.Scheme); got != tag {
			t.Errorf("remote tag = %s, want %s", got, tag)
		}
		if got := r.repo.File(commit, "dir/a.txt"); got != "alpha from "+u.Scheme+"\n" {
			t.Errorf("dir/a.txt = %q", got)
		}
		if got := r.repo.File(commit, "other/c.txt"); got != "charlie\n" {
			t.Errorf("a file outside dir changed: %q", got)
		}
		if out := r.repo.Git("ls-tree", "-r", "--name-only", commit, "--", "dir"); strings.Contains(out, "sub/b.txt") {
			t.Errorf("dir/sub/b.txt should have been removed:\n%s", out)
		}
		if out := r.repo.Git("log", "-1", "--format=%an <%ae> %ad%n%s", "--date=iso", commit); !strings.Contains(out, "Ferry Bot <bot@ferry.example> 2025-03-01 12:00:00 +0100") {
			t.Errorf("commit = %q", out)
		}
		// Committing the same content again makes no commit.
		again, err := e.CommitFiles(ctx, u, ferry.CommitRequest{
			Parent: commit, Dir: "dir", Author: sig, Message: "noop",
			Files: []ferry.CommitFile{
				{Path: "a.txt", Content: []byte("alpha from " + u.Scheme + "\n")},
				{Path: "new/\"quoted\" name.txt", Content: []byte("q\n")},
				{Path: "run.sh", Mode: ferry.ModeExecutable, Content: []byte("#!/bin/sh\n")},
			},
		})
		if err != nil || again != commit {
			t.Errorf("unchanged CommitFiles = %s, %v; want the parent %s", again, err, commit)
		}
	})
}

func TestPushConflicts(t *testing.T) {
	r := newRemote(t, testFiles)
	e, _ := newEngine(t, Config{Policy: loopback})
	sig := ferry.Signature{Name: "Ferry", Email: "ferry@example.com", When: time.Unix(1700000000, 0)}
	r.each(t, func(t *testing.T, u *ferry.RemoteURL, auth *ferry.GitAuth) {
		ctx := testContext(t)
		parent, err := e.Fetch(ctx, u, auth, "main", []string{"dir"})
		if err != nil {
			t.Fatal(err)
		}
		commit, err := e.CommitFiles(ctx, u, ferry.CommitRequest{Parent: parent, Dir: "dir", Author: sig, Message: "mine",
			Files: []ferry.CommitFile{{Path: "a.txt", Content: []byte("mine " + u.Scheme)}}})
		if err != nil {
			t.Fatal(err)
		}
		theirs := r.repo.Commit("theirs "+u.Scheme, map[string]string{"dir/a.txt": "theirs " + u.Scheme})
		main := ferry.RefUpdate{Ref: "refs/heads/main", Object: commit}
		if err := e.Push(ctx, u, auth, main); reason(err) != ferry.ReasonConflict {
			t.Fatalf("non-fast-forward push: %v", err)
		}
		withLease := main
		withLease.Expect = parent
		if err := e.Push(ctx, u, auth, withLease); reason(err) != ferry.ReasonConflict {
			t.Errorf("push expecting the old head: %v", err)
		}
		// Atomic: a good tag update is not applied when the branch is refused.
		tag := ferry.RefUpdate{Ref: "refs/tags/atomic-" + u.Scheme, Object: commit}
		if err := e.Push(ctx, u, auth, main, tag); reason(err) != ferry.ReasonConflict {
			t.Errorf("atomic push: %v", err)
		}
		if r.repo.Ref(tag.Ref) != "" {
			t.Error("the tag was pushed although the branch was refused")
		}
		if r.repo.Head() != theirs {
			t.Fatalf("the remote head moved to %s", r.repo.Head())
		}
		withLease.Expect = theirs
		if err := e.Push(ctx, u, auth, withLease, tag); err != nil {
			t.Fatalf("push expecting the current head: %v", err)
		}
		if r.repo.Head() != commit || r.repo.Ref(tag.Ref) != commit {
			t.Fatal("the leased push did not land")
		}
		// An existing tag is not moved.
		tag.Object = parent
		if err := e.Push(ctx, u, auth, tag); reason(err) != ferry.ReasonConflict {
			t.Errorf("moving an existing tag: %v", err)
		}
		// Force overwrites what someone else pushed since.
		r.repo.Commit("theirs again "+u.Scheme, map[string]string{"dir/a.txt": "theirs again " + u.Scheme})
		forced, err := e.CommitFiles(ctx, u, ferry.CommitRequest{Parent: parent, Dir: "dir", Author: sig, Message: "forced",
			Files: []ferry.CommitFile{{Path: "a.txt", Content: []byte("forced " + u.Scheme)}}})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Push(ctx, u, auth, ferry.RefUpdate{Ref: "refs/heads/main", Object: forced, Force: true}); err != nil {
			t.Errorf("forced push: %v", err)
		}
		if r.repo.Head() != forced {
			t.Error("the forced push did not land")
		}
		if err := e.Push(ctx, u, auth, ferry.RefUpdate{Ref: "HEAD", Object: commit}); ferry.ErrorCode(err) != ferry.EINVALID {
			t.Errorf("push to HEAD: %v", err)
		}
	})
}

func TestCommitFilesValidation(t *testing.T) {
	sig := ferry.Signature{Name: "a", Email: "a@b"}
	bad := []ferry.CommitRequest{
		{Parent: "main", Author: sig},
		{Dir: "../x", Author: sig},
		{Author: ferry.Signature{Name: "a"}},
		{Author: ferry.Signature{Name: "a <evil>", Email: "e"}},
		{Author: ferry.Signature{Name: "a", Email: "e\nparent 1234"}},
		{Author: sig, Files: []ferry.CommitFile{{Path: "/abs"}}},
		{Author: sig, Files: []ferry.CommitFile{{Path: "a\nb"}}},
		{Author: sig, Files: []ferry.CommitFile{{Path: ".git/config"}}},
		{Author: sig, Files: []ferry.CommitFile{{Path: "a"}, {Path: "a"}}},
		{Author: sig, Files: []ferry.CommitFile{{Path: "m", Mode: ferry.ModeSubmodule}}},
	}
	for i, req := range bad {
		if _, err := fastImportStream(req); ferry.ErrorCode(err) != ferry.EINVALID {
			t.Errorf("request %d: %v, want EINVALID", i, err)
		}
	}
	stream, err := fastImportStream(ferry.CommitRequest{Author: sig, Message: "m", Files: []ferry.CommitFile{{Path: `we"ird\name`, Content: []byte("x")}}})
	if err != nil || !bytes.Contains(stream, []byte(`M 100644 inline "we\"ird\\name"`)) {
		t.Errorf("stream = %q, %v", stream, err)
	}
}

func TestTagValidation(t *testing.T) {
	r := newRemote(t, testFiles)
	e, _ := newEngine(t, Config{Policy: loopback})
	ctx := testContext(t)
	commit, err := e.Fetch(ctx, r.httpURL, r.httpAuth, "main", nil)
	if err != nil {
		t.Fatal(err)
	}
	sig := ferry.Signature{Name: "a", Email: "a@b"}
	for _, name := range []string{"", "a..b", "-v1", "v1.lock", "v 1", "@{x}"} {
		if _, err := e.Tag(ctx, r.httpURL, ferry.TagRequest{Name: name, Commit: commit, Tagger: sig}); ferry.ErrorCode(err) != ferry.EINVALID {
			t.Errorf("Tag(%q) = %v, want EINVALID", name, err)
		}
	}
	if _, err := e.Tag(ctx, r.httpURL, ferry.TagRequest{Name: "v1", Commit: strings.Repeat("3", 40), Tagger: sig}); reason(err) != ferry.ReasonRefNotFound {
		t.Errorf("Tag of an unknown commit: %v", err)
	}
}

func TestFetchByCommitUsesCache(t *testing.T) {
	r := newRemote(t, testFiles)
	e, _ := newEngine(t, Config{Policy: loopback})
	ctx := testContext(t)
	info, err := e.ListRefs(ctx, r.httpURL, r.httpAuth)
	if err != nil {
		t.Fatal(err)
	}
	head, _ := info.Resolve("main")
	if got, err := e.Fetch(ctx, r.httpURL, r.httpAuth, head.Commit, []string{"dir"}); err != nil || got != head.Commit {
		t.Fatalf("Fetch(commit) = %s, %v", got, err)
	}
	before := r.http.Requests()
	if got, err := e.Fetch(ctx, r.httpURL, r.httpAuth, head.Commit, []string{"dir"}); err != nil || got != head.Commit {
		t.Fatalf("second Fetch(commit) = %s, %v", got, err)
	}
	if n := r.http.Requests() - before; n != 0 {
		t.Errorf("fetching a cached commit made %d requests", n)
	}
}

func TestConcurrentFetches(t *testing.T) {
	r := newRemote(t, testFiles)
	e, _ := newEngine(t, Config{Policy: loopback})
	ctx := testContext(t)
	var wg sync.WaitGroup
	results := make([]string, 4)
	errs := make([]error, 4)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u, auth := r.httpURL, r.httpAuth
			if i%2 == 1 {
				u, auth = r.sshURL, r.sshAuth
			}
			paths := []string{"dir", "other"}[i%2 : i%2+1]
			results[i], errs[i] = e.Fetch(ctx, u, auth, "main", paths)
		}()
	}
	wg.Wait()
	for i := range results {
		if errs[i] != nil || results[i] != r.repo.Head() {
			t.Errorf("fetch %d = %s, %v", i, results[i], errs[i])
		}
	}
	if got := readAll(t, e, r.httpURL, r.repo.Head(), "dir"); got["a.txt"] != "alpha\n" {
		t.Errorf("dir = %q", got)
	}
}
