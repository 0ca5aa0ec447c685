package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/ferrygit/ferry"
)

// syncEnv starts a server with namespace dev and bindings: good (/services/payments),
// orders (/services/orders), stalled (/services/bad, whose credential is refused), slow
// (/slow, whose runs never end) and out (/out, push only).
func syncEnv(t *testing.T) cliEnv {
	t.Helper()
	env := startSyncServer(t)
	mustRunCLI(t, env, "", "ns", "create", "dev")
	for _, b := range [][]string{
		{"good", "/services/payments", "https://git.example.com/good.git"},
		{"orders", "/services/orders", "https://git.example.com/orders.git"},
		{"stalled", "/services/bad", "https://git.example.com/stalled.git"},
		{"slow", "/slow", "https://git.example.com/slow.git"},
	} {
		mustRunCLI(t, env, "", "binding", "create", "dev", b[0], "--directory", b[1], "--url", b[2])
	}
	mustRunCLI(t, env, "", "binding", "create", "dev", "out", "--directory", "/out", "--url", "https://git.example.com/out.git", "--direction", "push")
	return env
}

func TestPullCommand(t *testing.T) {
	env := syncEnv(t)
	out := mustRunCLI(t, env, "", "pull", "dev/good")
	if out != "Run 1 of dev/good: queued (api by admin)\n" {
		t.Errorf("pull printed %q", out)
	}
	out = mustRunCLI(t, env, "", "pull", "dev/good", "--wait")
	wantLines(t, out, "Run 1 of dev/good: applied (api by admin)\n", "c1 → c2\n", "files:   2 added, 1 modified, 0 deleted\n",
		"steps:\n", "    resolve  ok  0s  main is at c2\n", "(attempt 1)")

	var run ferry.Run
	out = mustRunCLI(t, env, "", "pull", "dev/good", "--force", "--json")
	if err := json.Unmarshal([]byte(out), &run); err != nil || !run.Force || run.State != ferry.RunQueued || run.Binding != "good" {
		t.Fatalf("pull --force --json = %+v, %v", run, err)
	}

	r := runCLI(t, env, "", "pull", "dev/stalled", "--wait")
	wantFailure(t, r, "", "run 3 of dev/stalled stalled")
	wantLines(t, r.stdout, "stalled (api by admin)", "error:", "auth_failed: The credential was refused.", "steps:")
	if strings.Contains(r.stdout, "files:") {
		t.Errorf("a stalled run shows file counts:\n%s", r.stdout)
	}
	r = runCLI(t, env, "", "pull", "dev/stalled", "--wait", "--json")
	wantFailure(t, r, "", "stalled")
	if err := json.Unmarshal([]byte(r.stdout), &run); err != nil || run.Result != ferry.ResultStalled {
		t.Fatalf("stalled --json = %+v, %v", run, err)
	}

	r = runCLI(t, env, "", "pull", "dev/slow", "--wait", "--timeout", "1s")
	wantFailure(t, r, "", "is still running", "ferry runs dev/slow")
	wantLines(t, r.stdout, "Run 4 of dev/slow: running")

	wantFailure(t, runCLI(t, env, "", "pull", "dev/out"), ferry.EINVALID, "only pushes", "(invalid)")
	wantFailure(t, runCLI(t, env, "", "pull", "dev/nope"), ferry.ENOTFOUND, "(not_found)")
	wantFailure(t, runCLI(t, env, "", "pull", "dev"), "", "NAMESPACE/BINDING")
}

func TestSyncCommand(t *testing.T) {
	env := syncEnv(t)
	out := mustRunCLI(t, env, "", "sync", "dev/services/payments", "--wait")
	if strings.Count(out, "Run ") != 1 {
		t.Errorf("sync of one binding printed:\n%s", out)
	}
	wantLines(t, out, "Run 1 of dev/good: applied (api by admin)", "c1 → c2")
	if strings.Contains(out, "steps:") {
		t.Errorf("sync printed the step log:\n%s", out)
	}

	out = mustRunCLI(t, env, "", "sync", "dev/services/orders", "--force")
	if out != "Run 2 of dev/orders: queued (api by admin, forced)\n" {
		t.Errorf("sync --force printed %q", out)
	}

	// A failed run anywhere under the directory makes the command fail, after every run
	// was printed.
	r := runCLI(t, env, "", "sync", "dev/services", "--wait")
	wantFailure(t, r, "", "dev/stalled stalled")
	if strings.Count(r.stdout, "Run ") != 3 || strings.Contains(r.err.Error(), "dev/good") {
		t.Errorf("sync /services: err %v, stdout:\n%s", r.err, r.stdout)
	}
	wantLines(t, r.stdout, "dev/good: applied", "dev/orders: applied", "dev/stalled: stalled")

	var runs []ferry.Run
	out = mustRunCLI(t, env, "", "sync", "dev", "--json")
	if err := json.Unmarshal([]byte(out), &runs); err != nil || len(runs) != 4 {
		t.Fatalf("sync dev --json = %v, %v:\n%s", runs, err, out)
	}
	if out := mustRunCLI(t, env, "", "sync", "dev/nowhere/"); out != "No binding of dev pulls into /nowhere.\n" {
		t.Errorf("sync of an unbound directory printed %q", out)
	}
	if out := mustRunCLI(t, env, "", "sync", "dev/nowhere", "--json"); strings.TrimSpace(out) != "[]" {
		t.Errorf("sync --json of an unbound directory printed %q", out)
	}
	wantFailure(t, runCLI(t, env, "", "sync", "nope"), ferry.ENOTFOUND, "(not_found)")
	wantFailure(t, runCLI(t, env, "", "sync", "dev/../x"), ferry.EINVALID, "(invalid)")
}

func TestRunsCommand(t *testing.T) {
	env := syncEnv(t)
	for range 3 {
		mustRunCLI(t, env, "", "pull", "dev/good", "--wait")
	}
	mustRunCLI(t, env, "", "pull", "dev/good")

	// Runs 2 to 4 are the other bindings' first pulls: good has 1, 5, 6 and the queued 7.
	out := mustRunCLI(t, env, "", "runs", "dev/good")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[0], "ID ") || !strings.HasPrefix(lines[1], "7 ") || !strings.HasPrefix(lines[4], "1 ") {
		t.Fatalf("runs, newest first:\n%s", out)
	}
	for _, col := range []string{"TRIGGER", "STARTED", "DURATION", "RESULT", "COMMITS", "COUNTS"} {
		if !strings.Contains(lines[0], col) {
			t.Errorf("header lacks %s: %s", col, lines[0])
		}
	}
	wantLines(t, lines[1], " api ", " - ", " queued ", "+0 ~0 -0")
	wantLines(t, lines[2], " api ", " applied ", " c1→c2 ", "+2 ~1 -0")
	if strings.Index(lines[0], "RESULT") != strings.Index(lines[2], "applied") {
		t.Errorf("columns are not aligned:\n%s", out)
	}

	out = mustRunCLI(t, env, "", "runs", "dev/good", "--limit", "2")
	if n := strings.Count(out, "\n"); n != 3 {
		t.Errorf("--limit 2 printed %d lines:\n%s", n, out)
	}
	var runs []ferry.Run
	if err := json.Unmarshal([]byte(mustRunCLI(t, env, "", "runs", "dev/good", "--json")), &runs); err != nil || len(runs) != 4 || runs[0].ID != 7 {
		t.Fatalf("runs --json = %v, %v", runs, err)
	}

	out = mustRunCLI(t, env, "", "runs", "dev/good", "5")
	wantLines(t, out, "Run 5 of dev/good: applied (api by admin)", "c1 → c2", "steps:", "resolve")
	var run ferry.Run
	if err := json.Unmarshal([]byte(mustRunCLI(t, env, "", "runs", "dev/good", "5", "--json")), &run); err != nil || run.ID != 5 || len(run.Steps) != 1 {
		t.Fatalf("runs ID --json = %+v, %v", run, err)
	}

	wantFailure(t, runCLI(t, env, "", "runs", "dev/good", "99"), ferry.ENOTFOUND, "(not_found)", "99")
	wantFailure(t, runCLI(t, env, "", "runs", "dev/good", "2"), ferry.ENOTFOUND, "(not_found)") // orders' run
	wantFailure(t, runCLI(t, env, "", "runs", "dev/nope"), ferry.ENOTFOUND, "(not_found)")
	for _, id := range []string{"0", "x", "-3"} {
		wantFailure(t, runCLI(t, env, "", "runs", "dev/good", "--", id), "", fmt.Sprintf("run ID %q", id))
	}
}
