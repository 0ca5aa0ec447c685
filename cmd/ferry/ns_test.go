package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ferrygit/ferry"
)

func TestNSCommands(t *testing.T) {
	env := startAPIServer(t)
	if out := mustRunCLI(t, env, "", "ns", "create", "dev"); out != "Created namespace dev.\n" {
		t.Errorf("create printed %q", out)
	}
	mustRunCLI(t, env, "", "ns", "create", "qa")

	out := mustRunCLI(t, env, "", "ns", "list")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "NAME") || !strings.HasPrefix(lines[1], "dev ") || !strings.HasPrefix(lines[2], "qa ") {
		t.Errorf("list printed:\n%s", out)
	}
	if strings.Index(lines[0], "HEAD") != strings.Index(lines[1], "0") {
		t.Errorf("list columns are not aligned:\n%s", out)
	}

	var list []ferry.Namespace
	if err := json.Unmarshal([]byte(mustRunCLI(t, env, "", "ns", "list", "--json")), &list); err != nil || len(list) != 2 || list[0].Name != "dev" {
		t.Errorf("list --json = %v, %v", list, err)
	}
	out = mustRunCLI(t, env, "", "ns", "get", "dev")
	if !strings.Contains(out, "Name:") || !strings.Contains(out, "dev") || !strings.Contains(out, "Head revision:") {
		t.Errorf("get printed:\n%s", out)
	}
	var ns ferry.Namespace
	if err := json.Unmarshal([]byte(mustRunCLI(t, env, "", "ns", "get", "--json", "qa")), &ns); err != nil || ns.Name != "qa" {
		t.Errorf("get --json = %+v, %v", ns, err)
	}

	if out := mustRunCLI(t, env, "", "ns", "delete", "qa"); out != "Deleted namespace qa.\n" {
		t.Errorf("delete printed %q", out)
	}
	wantFailure(t, runCLI(t, env, "", "ns", "get", "qa"), ferry.ENOTFOUND, "(not_found)", "qa")
}

func TestNSBadInput(t *testing.T) {
	env := startAPIServer(t)
	mustRunCLI(t, env, "", "ns", "create", "dev")
	tests := []struct {
		args      []string
		code      string
		fragments []string
	}{
		{[]string{"ns", "create", "Bad_Name"}, ferry.EINVALID, []string{"lowercase", "(invalid)"}},
		{[]string{"ns", "create", strings.Repeat("a", 64)}, ferry.EINVALID, []string{"at most 63", "(invalid)"}},
		{[]string{"ns", "create", "dev"}, ferry.ECONFLICT, []string{"(conflict)"}},
		{[]string{"ns", "get", "nope"}, ferry.ENOTFOUND, []string{"(not_found)"}},
		{[]string{"ns", "delete", "nope"}, ferry.ENOTFOUND, []string{"(not_found)"}},
		{[]string{"ns", "get", "UP"}, ferry.EINVALID, []string{"(invalid)"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := runCLI(t, env, "", tt.args...)
			wantFailure(t, r, tt.code, tt.fragments...)
			if strings.HasPrefix(r.err.Error(), "ferry error") {
				t.Errorf("error %q is not in the CLI's form", r.err)
			}
		})
	}
}
