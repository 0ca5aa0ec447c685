package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ferrygit/ferry"
	ferryhttp "github.com/ferrygit/ferry/http"
)

// wantLines fails unless out contains each of want.
func wantLines(t *testing.T, out string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

func TestBindingCommands(t *testing.T) {
	env := startSyncServer(t)
	mustRunCLI(t, env, "", "ns", "create", "dev")
	mustRunCLI(t, env, "tok-123456", "cred", "create", "deploy", "--token-file", "-")

	out := mustRunCLI(t, env, "", "binding", "create", "dev", "payments", "--url", "ssh://git@git.example.com/org/payments.git",
		"--directory", "/services/payments", "--ref", "main", "--credential", "deploy", "--schedule", "*/5 * * * *")
	wantLines(t, out, "Created binding dev/payments: /services/payments ← ssh://git@git.example.com/org/payments.git main:/\n",
		"Queued its first pull: run 1. Follow it with 'ferry runs dev/payments 1'.")

	var created ferryhttp.BindingResponse
	out = mustRunCLI(t, env, "", "binding", "create", "dev/orders", "--url", "https://git.example.com/orders.git", "--directory", "services/orders", "--json")
	if err := json.Unmarshal([]byte(out), &created); err != nil || created.Binding == nil || created.Name != "orders" || created.FirstRun == nil {
		t.Fatalf("create --json = %+v, %v:\n%s", created, err, out)
	}
	out = mustRunCLI(t, env, "", "binding", "create", "dev", "out", "--url", "https://git.example.com/out.git", "--directory", "out", "--direction", "push")
	if out != "Created binding dev/out: /out → https://git.example.com/out.git (default branch):/\n" {
		t.Errorf("push binding: %q", out)
	}

	out = mustRunCLI(t, env, "", "binding", "list", "dev")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "NAME") || !strings.HasPrefix(lines[1], "orders ") || !strings.HasPrefix(lines[3], "payments ") {
		t.Fatalf("list:\n%s", out)
	}
	if strings.Index(lines[0], "STATE") != strings.Index(lines[3], "queued") {
		t.Errorf("list columns are not aligned:\n%s", out)
	}
	wantLines(t, lines[3], "/services/payments", "*/5 * * * *")
	var list []ferry.Binding
	if err := json.Unmarshal([]byte(mustRunCLI(t, env, "", "binding", "list", "dev", "--json")), &list); err != nil || len(list) != 3 {
		t.Fatalf("list --json = %v, %v", list, err)
	}

	out = mustRunCLI(t, env, "", "binding", "get", "dev/payments")
	wantLines(t, out, "Binding:", "dev/payments", "Credential:", "deploy", "State:", "queued", "Consecutive failures:")
	if next := lineOf(out, "Next run:"); !strings.HasSuffix(next, ":00Z") {
		t.Errorf("next run is not shown as a time: %q", next)
	}
	mustRunCLI(t, env, "", "pull", "dev/payments", "--wait")
	out = mustRunCLI(t, env, "", "binding", "get", "dev/payments")
	wantLines(t, out, "State:", " ok\n", "Last commit:", " c2\n", "Last run:", " 1\n")

	out = mustRunCLI(t, env, "", "binding", "update", "dev/payments", "--ref", "release", "--schedule", "", "--credential", "")
	wantLines(t, out, "Updated binding dev/payments: /services/payments ← ssh://git@git.example.com/org/payments.git release:/")
	var b ferry.Binding
	if err := json.Unmarshal([]byte(mustRunCLI(t, env, "", "binding", "get", "dev/payments", "--json")), &b); err != nil ||
		b.Ref != "release" || b.Schedule != "" || b.Credential != "" || b.URL != "ssh://git@git.example.com/org/payments.git" || b.Directory != "services/payments" {
		t.Fatalf("after update: %+v, %v", b, err)
	}

	out = mustRunCLI(t, env, "", "binding", "check", "dev/payments")
	wantLines(t, out, "ok: ", "c2", "default branch main")

	if out := mustRunCLI(t, env, "", "binding", "rm", "dev/orders"); out != "Deleted binding dev/orders.\n" {
		t.Errorf("rm printed %q", out)
	}
	wantFailure(t, runCLI(t, env, "", "binding", "get", "dev/orders"), ferry.ENOTFOUND, "(not_found)", "orders")
}

// lineOf returns the line of out that starts with prefix.
func lineOf(out, prefix string) string {
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, prefix) {
			return line
		}
	}
	return ""
}

func TestBindingCheckFails(t *testing.T) {
	env := startSyncServer(t)
	mustRunCLI(t, env, "", "ns", "create", "dev")
	mustRunCLI(t, env, "", "binding", "create", "dev", "bad", "--url", "https://git.example.com/stalled.git")
	r := runCLI(t, env, "", "binding", "check", "dev/bad")
	if r.err != errCheckFailed || !strings.HasPrefix(r.stdout, "auth_failed: ") {
		t.Fatalf("check of a refusing remote: err %v, stdout:\n%s", r.err, r.stdout)
	}
	r = runCLI(t, env, "", "binding", "check", "dev/bad", "--json")
	if r.err != errCheckFailed || !strings.Contains(r.stdout, `"reason": "auth_failed"`) {
		t.Fatalf("check --json: err %v, stdout:\n%s", r.err, r.stdout)
	}
}

func TestBindingBadInput(t *testing.T) {
	env := startSyncServer(t)
	mustRunCLI(t, env, "", "ns", "create", "dev")
	mustRunCLI(t, env, "", "binding", "create", "dev", "payments", "--url", "https://git.example.com/p.git", "--directory", "services/payments")
	tests := []struct {
		args      []string
		code      string
		fragments []string
	}{
		{[]string{"binding", "create", "dev", "x", "--url", "file:///x"}, ferry.EINVALID, []string{"file://", "(invalid)"}},
		{[]string{"binding", "create", "dev", "x", "--directory", "x"}, ferry.EINVALID, []string{"URL is required"}},
		{[]string{"binding", "create", "dev", "Bad_Name", "--url", "https://git.example.com/p.git"}, ferry.EINVALID, []string{"Binding name"}},
		{[]string{"binding", "create", "dev", "x", "--url", "https://git.example.com/p.git", "--directory", "x", "--credential", "nobody"}, ferry.ENOTFOUND, []string{"nobody"}},
		{[]string{"binding", "create", "dev", "x", "--url", "https://git.example.com/p.git", "--directory", "/services"}, ferry.ECONFLICT, []string{"overlaps"}},
		{[]string{"binding", "create", "dev", "x", "--url", "https://git.example.com/p.git", "--directory", "x", "--schedule", "often"}, ferry.EINVALID, []string{"Schedule"}},
		{[]string{"binding", "create", "nope", "x", "--url", "https://git.example.com/p.git"}, ferry.ENOTFOUND, []string{"nope"}},
		{[]string{"binding", "create", "dev"}, "", []string{`"dev" does not name a binding`}},
		{[]string{"binding", "get", "dev"}, "", []string{"NAMESPACE/BINDING"}},
		{[]string{"binding", "get", "dev/a/b"}, "", []string{"NAMESPACE/BINDING"}},
		{[]string{"binding", "get", "dev/nope"}, ferry.ENOTFOUND, []string{"(not_found)"}},
		{[]string{"binding", "update", "dev/payments", "--url", "ext::sh"}, ferry.EINVALID, []string{"(invalid)"}},
		{[]string{"binding", "update", "dev/nope", "--ref", "main"}, ferry.ENOTFOUND, []string{"(not_found)"}},
		{[]string{"binding", "rm", "dev/nope"}, ferry.ENOTFOUND, []string{"(not_found)"}},
		{[]string{"binding", "check", "dev/nope"}, ferry.ENOTFOUND, []string{"(not_found)"}},
		{[]string{"binding", "list", "nope"}, ferry.ENOTFOUND, []string{"(not_found)"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			wantFailure(t, runCLI(t, env, "", tt.args...), tt.code, tt.fragments...)
		})
	}
}

func TestSyncUsageErrors(t *testing.T) {
	env := startSyncServer(t)
	tests := []struct {
		args   []string
		stderr string
	}{
		{[]string{"binding"}, "Usage: ferry binding"},
		{[]string{"binding", "update", "dev/payments"}, "nothing to change"},
		{[]string{"binding", "list"}, "expected 1 argument, got 0"},
		{[]string{"binding", "create", "a", "b", "c"}, "expected 1 to 2 arguments"},
		{[]string{"pull"}, "Usage: ferry pull NS/BINDING"},
		{[]string{"pull", "dev/a", "--wait", "--timeout", "0s"}, "--timeout must be"},
		{[]string{"pull", "dev/a", "--nope"}, "flag provided but not defined"},
		{[]string{"sync", "a", "b"}, "expected 1 argument, got 2"},
		{[]string{"runs"}, "Usage: ferry runs NS/BINDING"},
		{[]string{"runs", "dev/a", "--limit", "0"}, "--limit must be"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := runCLI(t, env, "", tt.args...)
			if r.err != errUsage {
				t.Errorf("err = %v, want errUsage", r.err)
			}
			if !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, r.stderr)
			}
		})
	}
	for _, args := range [][]string{{"pull", "-h"}, {"sync", "-h"}, {"runs", "-h"}, {"binding", "create", "-h"}} {
		r := runCLI(t, env, "", args...)
		if r.err != nil || !strings.Contains(r.stderr, "-json") {
			t.Errorf("%v: err %v, stderr:\n%s", args, r.err, r.stderr)
		}
	}
}
