package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/git/gittest"
	ferryhttp "github.com/ferrygit/ferry/http"
)

// accessToken is the admin token of the servers the access tests start.
const accessToken = "access-cli-test-admin-token-01"

// startAccessServer runs a real 'ferry serve' on SQLite, or on PostgreSQL when pg is set,
// with namespaces dev and qa and a binding in dev that pulls from a local repository, and
// returns the admin's environment.
func startAccessServer(t *testing.T, pg bool) cliEnv {
	t.Helper()
	env := cliEnv{"FERRY_ADMIN_TOKEN": accessToken, "FERRY_ADMIN_PASSWORD": "the-admin-password-0123",
		"FERRY_ALLOW_HOSTS": "127.0.0.1", "FERRY_ALLOW_INSECURE_HTTP": "true", "FERRY_INSECURE_COOKIES": "true"}
	if pg {
		base := os.Getenv("FERRY_TEST_POSTGRES_URL")
		if base == "" {
			t.Skip("FERRY_TEST_POSTGRES_URL is not set")
		}
		env["FERRY_DATABASE_URL"] = pgSchemaURL(t, base)
	}
	srv := startServe(t, env, "--data-dir", t.TempDir())
	c := ferryhttp.NewClient(srv.url, accessToken)
	ctx := context.Background()
	for _, ns := range []string{"dev", "qa"} {
		if _, err := c.CreateNamespace(ctx, ns); err != nil {
			t.Fatal(err)
		}
	}
	repo := gittest.NewRepo(t, map[string]string{"app/config.yaml": "v: 0\n"})
	web := gittest.NewHTTPServer(t, repo.Root, gittest.HTTPOptions{})
	b, err := c.CreateBinding(ctx, "dev", ferryhttp.BindingRequest{Name: "payments", Directory: "/payments", URL: web.RepoURL(repo.Name), Ref: "main", Path: "/app"})
	if err != nil {
		t.Fatal(err)
	}
	waitRun(t, c, "dev", "payments", b.FirstRun.ID)
	return cliEnv{"FERRY_URL": srv.url, "FERRY_TOKEN": accessToken}
}

// wantFields fails unless out has a line "label: value" for each label and value pair of
// pairs, however the columns are aligned.
func wantFields(t *testing.T, out string, pairs ...string) {
	t.Helper()
	for i := 0; i+1 < len(pairs); i += 2 {
		re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(pairs[i]+":") + `\s+` + regexp.QuoteMeta(pairs[i+1]) + `$`)
		if !re.MatchString(out) {
			t.Errorf("output lacks %q: %q:\n%s", pairs[i], pairs[i+1], out)
		}
	}
}

var createdTokenID = regexp.MustCompile(`Created API token (\d+) `)

// createToken runs 'ferry token create args…' as env and returns the token and its ID.
func createToken(t *testing.T, env cliEnv, args ...string) (string, int64) {
	t.Helper()
	out := mustRunCLI(t, env, "", append([]string{"token", "create"}, args...)...)
	secrets := printedToken.FindAllString(out, -1)
	m := createdTokenID.FindStringSubmatch(out)
	if len(secrets) != 1 || m == nil {
		t.Fatalf("token create did not print one token and its ID:\n%s", out)
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	return secrets[0], id
}

// TestTokenForCI follows the story: an admin makes a token that may only trigger
// syncs in dev; it syncs dev and nothing else, is listed with its last use but never its
// secret, its actions are in the audit log, and once revoked it is refused as revoked.
func TestTokenForCI(t *testing.T) {
	for _, pg := range []bool{false, true} {
		t.Run(map[bool]string{false: "sqlite", true: "postgres"}[pg], func(t *testing.T) {
			testTokenForCI(t, startAccessServer(t, pg))
		})
	}
}

func testTokenForCI(t *testing.T, admin cliEnv) {
	before := time.Now()
	secret, id := createToken(t, admin, "--description", "GitLab CI sync for payments", "--lifetime", "P1Y",
		"--permission", "sync:trigger", "--namespace", "dev")
	ci := cliEnv{"FERRY_URL": admin["FERRY_URL"], "FERRY_TOKEN": secret}
	actor := fmt.Sprintf("token:%d", id)

	t.Run("whoami", func(t *testing.T) {
		out := mustRunCLI(t, ci, "", "whoami")
		wantFields(t, out, "Kind", "token", "ID", strconv.FormatInt(id, 10), "Name", "GitLab CI sync for payments",
			"Permissions", "sync:trigger", "Namespace", "dev")
		var s ferryhttp.SessionResponse
		if err := json.Unmarshal([]byte(mustRunCLI(t, ci, "", "whoami", "--json")), &s); err != nil {
			t.Fatal(err)
		}
		if want := before.AddDate(1, 0, 0); s.ExpiresAt.Before(want.Add(-time.Minute)) || s.ExpiresAt.After(want.Add(time.Hour)) {
			t.Errorf("expires at %s, want a year from now", s.ExpiresAt)
		}
		wantFields(t, mustRunCLI(t, admin, "", "whoami"), "Kind", "admin", "Permissions", "admin", "Namespace", "all", "Expires", "never")
	})

	t.Run("allowed", func(t *testing.T) {
		var runs []*ferry.Run
		if err := json.Unmarshal([]byte(mustRunCLI(t, ci, "", "sync", "dev", "--wait", "--json")), &runs); err != nil {
			t.Fatal(err)
		}
		if len(runs) != 1 || runs[0].Binding != "payments" || runs[0].Actor != actor || runs[0].State != ferry.RunDone {
			t.Fatalf("sync dev as the CI token = %+v", runs)
		}
	})

	t.Run("refused", func(t *testing.T) {
		for _, tc := range []struct {
			args      []string
			code      string
			fragments []string
		}{
			{[]string{"ns", "create", "x"}, ferry.EFORBIDDEN, []string{"limited to namespace \"dev\"", "namespaces:write", "(forbidden)"}},
			{[]string{"ns", "get", "qa"}, ferry.ENOTFOUND, []string{"\"qa\" does not exist", "(not_found)"}},
			{[]string{"sync", "qa"}, ferry.ENOTFOUND, []string{"(not_found)"}},
			{[]string{"ns", "get", "dev"}, ferry.EFORBIDDEN, []string{"namespaces:read", "(forbidden)"}},
			{[]string{"token", "create", "--description", "more", "--lifetime", "P1D", "--permission", "sync:trigger,namespaces:write", "--namespace", "dev"},
				ferry.EFORBIDDEN, []string{"tokens:manage", "(forbidden)"}},
		} {
			t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
				wantFailure(t, runCLI(t, ci, "", tc.args...), tc.code, tc.fragments...)
			})
		}
		// The admin sees qa, so the CI token's 404 hid a namespace that exists.
		mustRunCLI(t, admin, "", "ns", "get", "qa")
	})

	t.Run("list", func(t *testing.T) {
		out := mustRunCLI(t, admin, "", "token", "list")
		row := lineOf(out, strconv.FormatInt(id, 10)+" ")
		for _, want := range []string{"GitLab CI sync for payments", "sync:trigger", "dev", time.Now().UTC().Format("2006-01-02T")} {
			if !strings.Contains(row, want) {
				t.Errorf("token list row lacks %q:\n%s", want, out)
			}
		}
		if strings.Contains(row, "never") {
			t.Errorf("token list shows the used token as never used:\n%s", out)
		}
		header := strings.SplitN(out, "\n", 2)[0]
		for _, col := range []string{"ID", "DESCRIPTION", "PERMISSIONS", "NAMESPACE", "CREATED", "EXPIRES", "LAST USED", "REVOKED"} {
			if !strings.Contains(header, col) {
				t.Errorf("header lacks %s: %q", col, header)
			}
		}
		show := mustRunCLI(t, admin, "", "token", "show", strconv.FormatInt(id, 10))
		var tok ferry.Token
		if err := json.Unmarshal([]byte(mustRunCLI(t, admin, "", "token", "show", strconv.FormatInt(id, 10), "--json")), &tok); err != nil {
			t.Fatal(err)
		}
		if tok.LastUsedAt.IsZero() || tok.LastUsedAt.Before(before.Add(-time.Second)) || !regexp.MustCompile(`(?m)^Last used:\s+`+formatTime(tok.LastUsedAt)+`$`).MatchString(show) {
			t.Errorf("token show: last used %s\n%s", tok.LastUsedAt, show)
		}
		wantFields(t, show, "Created by", "admin", "Namespace", "dev")
		for _, o := range []string{out, show, mustRunCLI(t, admin, "", "token", "list", "--json")} {
			if strings.Contains(o, secret) || strings.Contains(o, "fy_") {
				t.Fatalf("a listing shows a token:\n%s", o)
			}
		}
	})

	t.Run("audit", func(t *testing.T) {
		var entries []*ferry.AuditEntry
		if err := json.Unmarshal([]byte(mustRunCLI(t, admin, "", "audit", "--actor", actor, "--json")), &entries); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range entries {
			got = append(got, fmt.Sprintf("%s %s %s %d", e.Action, e.Target, e.Result, e.Status))
			if e.Actor != actor || e.ActorName != "GitLab CI sync for payments" || e.RemoteAddr != "127.0.0.1" {
				t.Errorf("entry %+v", e)
			}
		}
		// Newest first; reads (ns get, whoami) are not audited.
		want := []string{
			"POST /api/v1/tokens /api/v1/tokens forbidden 403",
			"POST /api/v1/namespaces/{ns}/sync /api/v1/namespaces/qa/sync not_found 404",
			"POST /api/v1/namespaces /api/v1/namespaces forbidden 403",
			"POST /api/v1/namespaces/{ns}/sync /api/v1/namespaces/dev/sync ok 200",
		}
		if !slices.Equal(got, want) {
			t.Errorf("audit --actor %s:\n%s\nwant:\n%s", actor, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}

		out := mustRunCLI(t, admin, "", "audit", "--actor", actor, "--action", "POST /api/v1/namespaces/{ns}/sync", "--namespace", "dev", "--since", "1h")
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 2 || !strings.HasPrefix(lines[0], "TIME") || !strings.Contains(lines[1], actor) ||
			!strings.Contains(lines[1], "/api/v1/namespaces/dev/sync") || !strings.Contains(lines[1], "127.0.0.1") {
			t.Errorf("audit with every filter:\n%s", out)
		}
		for _, col := range []string{"TIME", "ACTOR", "ACTION", "TARGET", "STATUS", "RESULT", "ADDRESS"} {
			if !strings.Contains(lines[0], col) {
				t.Errorf("header lacks %s: %q", col, lines[0])
			}
		}
		future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
		if out := mustRunCLI(t, admin, "", "audit", "--actor", actor, "--since", future); strings.Count(out, "\n") != 1 {
			t.Errorf("audit --since the future:\n%s", out)
		}
		if out := mustRunCLI(t, admin, "", "audit", "--actor", actor, "--until", "1h"); strings.Count(out, "\n") != 1 {
			t.Errorf("audit --until an hour ago:\n%s", out)
		}

		// --limit follows pages up to the limit and says when there are more.
		r := runCLI(t, admin, "", "audit", "--limit", "3", "--json")
		var three []*ferry.AuditEntry
		if r.err != nil || json.Unmarshal([]byte(r.stdout), &three) != nil || len(three) != 3 || !strings.Contains(r.stderr, "there are more") {
			t.Errorf("audit --limit 3: %v, %d entries, stderr %q", r.err, len(three), r.stderr)
		}

		wantFailure(t, runCLI(t, admin, "", "audit", "--since", "yesterday"), "", "RFC 3339", "24h")
		wantFailure(t, runCLI(t, ci, "", "audit"), ferry.EFORBIDDEN, "admin", "(forbidden)")
	})

	t.Run("revoke", func(t *testing.T) {
		if out := mustRunCLI(t, admin, "", "token", "revoke", strconv.FormatInt(id, 10)); out != fmt.Sprintf("Revoked API token %d.\n", id) {
			t.Errorf("revoke printed %q", out)
		}
		wantFailure(t, runCLI(t, ci, "", "sync", "dev"), ferry.EUNAUTHORIZED, "revoked", "(unauthorized)")
		wantFailure(t, runCLI(t, ci, "", "whoami"), ferry.EUNAUTHORIZED, "revoked")
		if out := mustRunCLI(t, admin, "", "token", "list"); lineOf(out, strconv.FormatInt(id, 10)+" ") != "" {
			t.Errorf("token list shows a revoked token:\n%s", out)
		}
		out := mustRunCLI(t, admin, "", "token", "list", "--revoked")
		if row := lineOf(out, strconv.FormatInt(id, 10)+" "); !strings.HasSuffix(strings.TrimSpace(row), "Z") || strings.HasSuffix(strings.TrimSpace(row), "-") {
			t.Errorf("token list --revoked does not show when it was revoked:\n%s", out)
		}
		wantFailure(t, runCLI(t, admin, "", "token", "revoke", strconv.FormatInt(id, 10)), ferry.ENOTFOUND, "(not_found)")
	})
}

// TestTokenCommands covers creating tokens with several permissions, JSON output and the
// errors of bad input.
func TestTokenCommands(t *testing.T) {
	admin := startAccessServer(t, false)

	var resp ferryhttp.TokenResponse
	out := mustRunCLI(t, admin, "", "token", "create", "--description", "reader", "--lifetime", "P2W",
		"--permission", "namespaces:read,catalog:read", "--permission", "sync:trigger", "--json")
	if err := json.Unmarshal([]byte(out), &resp); err != nil || resp.Token == nil {
		t.Fatalf("token create --json: %v\n%s", err, out)
	}
	if !printedToken.MatchString(resp.Secret) || resp.Namespace != "" || resp.CreatedBy != "admin" ||
		!slices.Equal(resp.Permissions, []ferry.Permission{ferry.PermNamespacesRead, ferry.PermCatalogRead, ferry.PermSyncTrigger}) {
		t.Errorf("token create --json = %s", out)
	}
	if d := time.Until(resp.ExpiresAt); d < 13*24*time.Hour || d > 15*24*time.Hour {
		t.Errorf("P2W expires in %s", d)
	}
	reader := cliEnv{"FERRY_URL": admin["FERRY_URL"], "FERRY_TOKEN": resp.Secret}
	if out := mustRunCLI(t, reader, "", "ns", "list"); !strings.Contains(out, "dev") || !strings.Contains(out, "qa") {
		t.Errorf("a token for all namespaces lists:\n%s", out)
	}
	wantFailure(t, runCLI(t, reader, "", "ns", "delete", "qa"), ferry.EFORBIDDEN, "namespaces:write")
	if out := mustRunCLI(t, admin, "", "token", "list"); !strings.Contains(lineOf(out, strconv.FormatInt(resp.ID, 10)+" "), "all") {
		t.Errorf("a token for all namespaces is not listed as such:\n%s", out)
	}

	for _, tc := range []struct {
		name      string
		args      []string
		code      string
		fragments []string
	}{
		{"no description", []string{"--lifetime", "P1D", "--permission", "sync:trigger"}, ferry.EINVALID, []string{"description", "(invalid)"}},
		{"unknown permission", []string{"--description", "d", "--lifetime", "P1D", "--permission", "everything"}, ferry.EINVALID, []string{"everything", "sync:trigger"}},
		{"no permission", []string{"--description", "d", "--lifetime", "P1D"}, ferry.EINVALID, []string{"Permissions are required"}},
		{"too long", []string{"--description", "d", "--lifetime", "P2Y", "--permission", "sync:trigger"}, ferry.EINVALID, []string{"longer than this server allows"}},
		{"unknown namespace", []string{"--description", "d", "--lifetime", "P1D", "--permission", "sync:trigger", "--namespace", "nope"}, ferry.ENOTFOUND, []string{"nope"}},
		{"argument", []string{"extra"}, "", []string{"usage"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantFailure(t, runCLI(t, admin, "", append([]string{"token", "create"}, tc.args...)...), tc.code, tc.fragments...)
		})
	}
	wantFailure(t, runCLI(t, admin, "", "token", "show", "abc"), "", "whole number")
	wantFailure(t, runCLI(t, admin, "", "token", "show", "999"), ferry.ENOTFOUND, "(not_found)")
	wantFailure(t, runCLI(t, admin, "", "token", "revoke", "0"), "", "whole number")
}

// TestTokenBadLifetime: lifetimes that are not ISO-8601 durations are refused before the
// server is asked (its URL does not answer), with examples of what to write.
func TestTokenBadLifetime(t *testing.T) {
	env := cliEnv{"FERRY_URL": "http://127.0.0.1:1", "FERRY_TOKEN": "unused-token"}
	for _, lifetime := range []string{"1y", "P", "PT", "365d", "P1.5Y", "-P1Y", "P0D", ""} {
		t.Run(lifetime, func(t *testing.T) {
			r := runCLI(t, env, "", "token", "create", "--description", "d", "--lifetime", lifetime, "--permission", "sync:trigger")
			wantFailure(t, r, ferry.EINVALID, "(invalid)")
			if msg := r.err.Error(); !regexp.MustCompile(`\bP(1Y|T12H|T1H|T30M)\b`).MatchString(msg) {
				t.Errorf("error %q gives no example", msg)
			}
			if lifetime != "" && lifetime != "P0D" && !strings.Contains(r.err.Error(), "ISO-8601") {
				t.Errorf("error %q does not say ISO-8601", r.err)
			}
		})
	}
}
