package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ferrygit/ferry"
)

// pushEnv starts a push server with namespace dev and bindings out (/out, push only), in
// (/in, pull only), conflict (/conflict, two-way; pushes and pulls conflict), stalled
// (/stalled, push only, its credential is refused), slow (/slow, push only, runs never
// end) and empty (/empty, push only, to an empty repository with nothing to push).
func pushEnv(t *testing.T) (cliEnv, fakePusher) {
	t.Helper()
	env, p := startPushServer(t)
	mustRunCLI(t, env, "", "ns", "create", "dev")
	for _, b := range [][]string{
		{"out", "push", "https://git.example.com/out.git"},
		{"in", "pull", "https://git.example.com/in.git"},
		{"conflict", "both", "https://git.example.com/conflict.git"},
		{"stalled", "push", "https://git.example.com/stalled.git"},
		{"slow", "push", "https://git.example.com/slow.git"},
		{"empty", "push", "https://git.example.com/empty.git"},
	} {
		mustRunCLI(t, env, "", "binding", "create", "dev", b[0], "--directory", "/"+b[0], "--url", b[2], "--direction", b[1])
	}
	return env, p
}

// planOutput is what a dry run of dev/out prints.
const planOutput = `Dry run of a push of dev/out: nothing was changed.
  branch:        refs/heads/main
  remote commit: c2
  synced commit: c1
  revision:      7
  changes to the branch:
    + a.yaml (120 bytes)
    ~ b.yaml
    - c.yaml
  1 added, 1 modified, 1 deleted
`

func TestPushCommand(t *testing.T) {
	env, p := pushEnv(t)

	out := mustRunCLI(t, env, "", "push", "dev/out", "--tag", "v1.4.0", "--tag-message", "Payments 1.4", "--message", "Release payments 1.4", "--revision", "3")
	wantLines(t, out, "Run 3 of dev/out: queued (api by admin)\n", "  tag: v1.4.0\n")
	want := ferry.PushRequest{Message: "Release payments 1.4", Tag: &ferry.TagSpec{Name: "v1.4.0", Message: "Payments 1.4"}, Revision: 3,
		Trigger: ferry.TriggerAPI, Actor: "admin"}
	if got := p.lastPush(t); got.Message != want.Message || got.Tag == nil || *got.Tag != *want.Tag || got.Revision != 3 || got.Force || got.DryRun ||
		got.Trigger != want.Trigger || got.Actor != want.Actor {
		t.Errorf("the server pushed %+v, want %+v", got, want)
	}

	out = mustRunCLI(t, env, "", "push", "dev/out", "--wait")
	wantLines(t, out, "Run 4 of dev/out: applied (api by admin)\n", "c1 → c2\n", "files:   2 added, 1 modified, 0 deleted\n", "steps:\n", "resolve  ok")
	if got := p.lastPush(t); got.Tag != nil || got.Message != "" {
		t.Errorf("a push without flags sent %+v", got)
	}

	var run ferry.Run
	out = mustRunCLI(t, env, "", "push", "dev/out", "--force", "--json")
	if err := json.Unmarshal([]byte(out), &run); err != nil || run.Kind != ferry.RunPush || !run.Force || run.State != ferry.RunQueued || run.Binding != "out" {
		t.Fatalf("push --force --json = %+v, %v:\n%s", run, err, out)
	}

	// A run that ends other than applied or up to date fails the command, after printing it.
	r := runCLI(t, env, "", "push", "dev/conflict", "--tag", "v2")
	wantFailure(t, r, "", "dev/conflict stalled (conflict)")
	wantLines(t, r.stdout, ": stalled (api by admin)", "tag:", "v2", "error:", "conflict: The branch changed b.yaml")
	r = runCLI(t, env, "", "push", "dev/stalled", "--wait", "--json")
	wantFailure(t, r, "", "dev/stalled stalled (auth_failed)")
	if err := json.Unmarshal([]byte(r.stdout), &run); err != nil || run.Result != ferry.ResultStalled {
		t.Fatalf("stalled --json = %+v, %v", run, err)
	}
	r = runCLI(t, env, "", "push", "dev/slow", "--wait", "--timeout", "1s")
	wantFailure(t, r, "", "is still running", "ferry runs dev/slow")

	// Errors of the request: the server's message, nothing queued.
	before, _ := p.calls()
	wantFailure(t, runCLI(t, env, "", "push", "dev/out", "--tag", "a..b"), ferry.EINVALID, "Tag name", "may not contain '..'", "(invalid)")
	wantFailure(t, runCLI(t, env, "", "push", "dev/out", "--tag", ""), ferry.EINVALID, "Tag name", "required")
	wantFailure(t, runCLI(t, env, "", "push", "dev/out", "--tag", "v 1", "--dry-run"), ferry.EINVALID, "spaces")
	wantFailure(t, runCLI(t, env, "", "push", "dev/out", "--revision", "-2"), ferry.EINVALID, "-2")
	if after, _ := p.calls(); after != before {
		t.Errorf("bad requests reached the pusher %d times", after-before)
	}
	wantFailure(t, runCLI(t, env, "", "push", "dev/in"), ferry.EINVALID, "only pulls")
	wantFailure(t, runCLI(t, env, "", "push", "dev/nope"), ferry.ENOTFOUND, "(not_found)")
	wantFailure(t, runCLI(t, env, "", "push", "dev"), "", "NAMESPACE/BINDING")
	r = runCLI(t, env, "", "push", "dev/out", "--tag-message", "m")
	if r.err != errUsage || !strings.Contains(r.stderr, "--tag-message needs --tag") {
		t.Errorf("--tag-message without --tag: %v, %q", r.err, r.stderr)
	}
	if r = runCLI(t, env, "", "push", "dev/out", "--wait", "--timeout", "20m"); r.err != errUsage {
		t.Errorf("--timeout 20m: %v", r.err)
	}
}

func TestPushDryRunCommand(t *testing.T) {
	env, p := pushEnv(t)
	if out := mustRunCLI(t, env, "", "push", "dev/out", "--dry-run", "--tag", "v1"); out != planOutput {
		t.Errorf("push --dry-run printed:\n%s\nwant:\n%s", out, planOutput)
	}
	if pushes, plans := p.calls(); pushes != 0 || plans != 1 {
		t.Errorf("a dry run made %d pushes and %d plans", pushes, plans)
	}

	r := runCLI(t, env, "", "push", "dev/conflict", "--dry-run")
	wantFailure(t, r, "", "the push would conflict", "1 path changed", "--force")
	wantLines(t, r.stdout, "Dry run of a push of dev/conflict", "+ a.yaml (120 bytes)",
		"\nconflict: these paths changed on both sides: b.yaml\n")
	out := mustRunCLI(t, env, "", "push", "dev/conflict", "--dry-run", "--force")
	if strings.Contains(out, "\nconflict:") {
		t.Errorf("a forced dry run shows a conflict:\n%s", out)
	}

	out = mustRunCLI(t, env, "", "push", "dev/empty", "--dry-run")
	wantLines(t, out, "remote commit: none (the branch does not exist yet)\n", "synced commit: none\n",
		"  0 added, 0 modified, 0 deleted: up to date, the branch would not change\n")
	if strings.Contains(out, "changes to") {
		t.Errorf("an empty plan lists changes:\n%s", out)
	}

	var plan ferry.SyncPlan
	r = runCLI(t, env, "", "push", "dev/conflict", "--dry-run", "--json")
	wantFailure(t, r, "", "would conflict")
	if err := json.Unmarshal([]byte(r.stdout), &plan); err != nil || plan.Kind != ferry.RunPush || !plan.Conflict || len(plan.Changes) != 3 {
		t.Fatalf("push --dry-run --json = %+v, %v", plan, err)
	}
	out = mustRunCLI(t, env, "", "push", "dev/empty", "--dry-run", "--json")
	if !strings.Contains(out, `"changes": []`) {
		t.Errorf("an empty plan's changes are not []:\n%s", out)
	}
	if pushes, _ := p.calls(); pushes != 0 {
		t.Errorf("dry runs pushed %d times", pushes)
	}
	wantFailure(t, runCLI(t, env, "", "push", "dev/in", "--dry-run"), ferry.EINVALID, "only pulls")
}

func TestPullDryRunCommand(t *testing.T) {
	env, p := pushEnv(t)
	runs := mustRunCLI(t, env, "", "runs", "dev/in")

	out := mustRunCLI(t, env, "", "pull", "dev/in", "--dry-run")
	want := strings.Replace(strings.Replace(planOutput, "push of dev/out", "pull of dev/in", 1), "changes to the branch", "changes to the namespace", 1)
	if out != want {
		t.Errorf("pull --dry-run printed:\n%s\nwant:\n%s", out, want)
	}
	if after := mustRunCLI(t, env, "", "runs", "dev/in"); after != runs {
		t.Errorf("a pull dry run queued a run:\n%s", after)
	}

	r := runCLI(t, env, "", "pull", "dev/conflict", "--dry-run")
	wantFailure(t, r, "", "the pull would conflict", "--force")
	wantLines(t, r.stdout, "Dry run of a pull of dev/conflict", "conflict: these paths changed on both sides: b.yaml\n")
	mustRunCLI(t, env, "", "pull", "dev/conflict", "--dry-run", "--force")

	var plan ferry.SyncPlan
	out = mustRunCLI(t, env, "", "pull", "dev/in", "--dry-run", "--json")
	if err := json.Unmarshal([]byte(out), &plan); err != nil || plan.Kind != ferry.RunPull || plan.Added != 1 {
		t.Fatalf("pull --dry-run --json = %+v, %v", plan, err)
	}
	wantFailure(t, runCLI(t, env, "", "pull", "dev/out", "--dry-run"), ferry.EINVALID, "only pushes")
	wantFailure(t, runCLI(t, env, "", "pull", "dev/nope", "--dry-run"), ferry.ENOTFOUND, "(not_found)")
	if _, plans := p.calls(); plans != 6 {
		t.Errorf("the pusher planned %d times, want 6", plans)
	}
}

// TestPushWithoutPusher checks the commands against a server that cannot push.
func TestPushWithoutPusher(t *testing.T) {
	env := syncEnv(t)
	wantFailure(t, runCLI(t, env, "", "push", "dev/out"), ferry.EUNAVAILABLE, "(unavailable)")
	wantFailure(t, runCLI(t, env, "", "pull", "dev/good", "--dry-run"), ferry.EUNAVAILABLE, "(unavailable)")
}
