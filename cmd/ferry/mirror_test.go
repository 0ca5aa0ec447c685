package main

import (
	"strings"
	"testing"

	"github.com/ferrygit/ferry/git/gittest"
)

// TestMirrorEndToEnd walks the README's mirror flow against a real 'ferry serve' (River
// queue, git engine) and a real repository over smart HTTP.
func TestMirrorEndToEnd(t *testing.T) {
	env, srv := checkServer(t)
	repo := gittest.NewRepo(t, map[string]string{"gateway/routes.yaml": "routes: 1\n", "README.md": "not mirrored"})
	web := gittest.NewHTTPServer(t, repo.Root, gittest.HTTPOptions{})

	mustRunCLI(t, env, "", "ns", "create", "dev")
	out := mustRunCLI(t, env, "", "binding", "create", "dev", "payments", "--url", web.RepoURL(repo.Name),
		"--ref", "main", "--path", "/gateway", "--directory", "/services/payments", "--schedule", "*/5 * * * *")
	if !strings.Contains(out, "payments") {
		t.Fatalf("binding create printed:\n%s", out)
	}
	// The first pull was queued on creation; a pull with --wait comes after it.
	out = mustRunCLI(t, env, "", "pull", "dev/payments", "--wait")
	if !strings.Contains(out, "up_to_date") && !strings.Contains(out, "applied") {
		t.Fatalf("pull printed:\n%s", out)
	}
	if got := mustRunCLI(t, env, "", "file", "get", "dev", "services/payments/routes.yaml"); got != "routes: 1\n" {
		t.Fatalf("mirrored file = %q", got)
	}
	if r := runCLI(t, env, "", "file", "get", "dev", "services/payments/README.md"); r.err == nil {
		t.Fatal("a file outside the binding's path was mirrored")
	}

	repo.Commit("more routes", map[string]string{"gateway/routes.yaml": "routes: 2\n"})
	out = mustRunCLI(t, env, "", "sync", "dev/services", "--wait")
	if !strings.Contains(out, "applied") {
		t.Fatalf("sync printed:\n%s", out)
	}
	if got := mustRunCLI(t, env, "", "file", "get", "dev", "services/payments/routes.yaml"); got != "routes: 2\n" {
		t.Fatalf("after sync = %q", got)
	}
	out = mustRunCLI(t, env, "", "binding", "get", "dev/payments")
	if !strings.Contains(out, repo.Head()[:12]) || !strings.Contains(out, "ok") {
		t.Fatalf("mirror info lacks the commit or state:\n%s", out)
	}
	out = mustRunCLI(t, env, "", "runs", "dev/payments")
	if strings.Count(out, "applied")+strings.Count(out, "up_to_date") < 3 {
		t.Fatalf("run history:\n%s", out)
	}

	// A stalled pull exits non-zero and says why.
	mustRunCLI(t, env, "", "binding", "create", "dev", "broken", "--url", web.RepoURL(repo.Name), "--ref", "nope", "--directory", "/broken")
	r := runCLI(t, env, "", "pull", "dev/broken", "--wait")
	if r.err == nil || !strings.Contains(r.stdout, "ref_not_found") {
		t.Fatalf("stalled pull: err %v\n%s", r.err, r.stdout)
	}
	assertNoSecrets(t, srv.stderr.String())
}

// TestPushEndToEnd edits a mirrored file through the CLI and pushes it back with a tag,
// through a real 'ferry serve' and a real repository.
func TestPushEndToEnd(t *testing.T) {
	env, _ := checkServer(t)
	repo := gittest.NewRepo(t, map[string]string{"gateway/routes.yaml": "routes: 1\n", "README.md": "theirs"})
	web := gittest.NewHTTPServer(t, repo.Root, gittest.HTTPOptions{})
	mustRunCLI(t, env, "", "ns", "create", "dev")
	mustRunCLI(t, env, "", "binding", "create", "dev", "gw", "--url", web.RepoURL(repo.Name), "--path", "/gateway",
		"--directory", "/gw", "--direction", "both")
	mustRunCLI(t, env, "", "pull", "dev/gw", "--wait")
	mustRunCLI(t, env, "routes: 2\n", "file", "put", "dev", "gw/routes.yaml", "-")

	before := repo.Head()
	out := mustRunCLI(t, env, "", "push", "dev/gw", "--dry-run")
	if !strings.Contains(out, "gw/routes.yaml") {
		t.Fatalf("dry run:\n%s", out)
	}
	if repo.Head() != before {
		t.Fatal("a dry run pushed")
	}
	out = mustRunCLI(t, env, "", "push", "dev/gw", "--tag", "v1.0.0", "--message", "Release 1.0", "--wait")
	if !strings.Contains(out, "applied") {
		t.Fatalf("push:\n%s", out)
	}
	head := repo.Head()
	if head == before || repo.File(head, "gateway/routes.yaml") != "routes: 2\n" || repo.File(head, "README.md") != "theirs" {
		t.Fatalf("the push did not land as expected: head %s", head)
	}
	if !strings.Contains(repo.Git("cat-file", "-p", "refs/tags/v1.0.0"), "object "+head) {
		t.Fatal("the tag does not point at the pushed commit")
	}
	r := runCLI(t, env, "", "push", "dev/gw", "--tag", "bad..name")
	if r.err == nil || !strings.Contains(r.err.Error(), "(invalid)") {
		t.Fatalf("bad tag name: %v", r.err)
	}
}
