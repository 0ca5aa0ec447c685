package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ferrygit/ferry"
)

func TestFileCommands(t *testing.T) {
	env := startAPIServer(t)
	mustRunCLI(t, env, "", "ns", "create", "dev")

	out := mustRunCLI(t, env, "", "file", "put", "dev", "svc/a.yaml", writeTemp(t, "a: 1\n"), "--message", "add a")
	if out != "Wrote svc/a.yaml in dev: revision 1.\n" {
		t.Errorf("put printed %q", out)
	}
	out = mustRunCLI(t, env, "a: 2\n", "file", "put", "--message=from stdin", "dev", "svc/a.yaml", "-")
	if out != "Wrote svc/a.yaml in dev: revision 2.\n" {
		t.Errorf("put from stdin printed %q", out)
	}
	out = mustRunCLI(t, env, "a: 2\n", "file", "put", "dev", "svc/a.yaml")
	if out != "svc/a.yaml is unchanged; dev stays at revision 2.\n" {
		t.Errorf("unchanged put printed %q", out)
	}
	var rev ferry.Revision
	out = mustRunCLI(t, env, "#!/bin/sh\n", "file", "put", "dev", "bin/run.sh", "--mode", "executable", "--json")
	if err := json.Unmarshal([]byte(out), &rev); err != nil || rev.Number != 3 || rev.Added != 1 {
		t.Errorf("put --json = %+v, %v: %s", rev, err, out)
	}

	if out := mustRunCLI(t, env, "", "file", "get", "dev", "svc/a.yaml"); out != "a: 2\n" {
		t.Errorf("get printed %q", out)
	}
	if out := mustRunCLI(t, env, "", "file", "get", "dev", "svc/a.yaml", "--revision", "1"); out != "a: 1\n" {
		t.Errorf("get --revision 1 printed %q", out)
	}

	out = mustRunCLI(t, env, "", "file", "ls", "dev")
	want := "MODE  SIZE  PATH\ndir   -     bin/\ndir   -     svc/\n"
	if out != want {
		t.Errorf("ls printed:\n%s\nwant:\n%s", out, want)
	}
	out = mustRunCLI(t, env, "", "file", "ls", "dev", "-r")
	if !strings.Contains(out, "executable  10    bin/run.sh\n") || !strings.Contains(out, "file        5     svc/a.yaml\n") {
		t.Errorf("ls -r printed:\n%s", out)
	}
	var entries []ferry.TreeEntry
	if err := json.Unmarshal([]byte(mustRunCLI(t, env, "", "file", "ls", "dev", "svc", "--json")), &entries); err != nil || len(entries) != 1 || entries[0].Path != "svc/a.yaml" {
		t.Errorf("ls svc --json = %v, %v", entries, err)
	}

	if out := mustRunCLI(t, env, "", "file", "rm", "dev", "svc/a.yaml", "--message", "bye"); out != "Deleted svc/a.yaml from dev: revision 4.\n" {
		t.Errorf("rm printed %q", out)
	}
	wantFailure(t, runCLI(t, env, "", "file", "get", "dev", "svc/a.yaml"), ferry.ENOTFOUND, "(not_found)")
}

func TestFileBadInput(t *testing.T) {
	env := startAPIServer(t)
	mustRunCLI(t, env, "", "ns", "create", "dev")
	tests := []struct {
		args      []string
		code      string
		fragments []string
	}{
		{[]string{"file", "put", "nope", "a.yaml"}, ferry.ENOTFOUND, []string{"nope", "(not_found)"}},
		{[]string{"file", "get", "nope", "a.yaml"}, ferry.ENOTFOUND, []string{"(not_found)"}},
		{[]string{"file", "ls", "nope"}, ferry.ENOTFOUND, []string{"(not_found)"}},
		{[]string{"file", "rm", "dev", "missing.yaml"}, ferry.ENOTFOUND, []string{"(not_found)"}},
		{[]string{"file", "put", "Bad", "a.yaml"}, ferry.EINVALID, []string{"(invalid)"}},
		{[]string{"file", "put", "dev", "../etc/passwd"}, ferry.EINVALID, []string{"..", "(invalid)"}},
		{[]string{"file", "put", "dev", ".git/config"}, ferry.EINVALID, []string{".git", "(invalid)"}},
		{[]string{"file", "put", "dev", "/abs"}, ferry.EINVALID, []string{"(invalid)"}},
		{[]string{"file", "put", "dev", "x", "--mode", "fifo"}, ferry.EINVALID, []string{"fifo", "(invalid)"}},
		{[]string{"file", "get", "dev", "a", "--revision", "-3"}, ferry.EINVALID, []string{"(invalid)"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			wantFailure(t, runCLI(t, env, "content", tt.args...), tt.code, tt.fragments...)
		})
	}
	r := runCLI(t, env, "", "file", "put", "dev", "a.yaml", "/no/such/file")
	wantFailure(t, r, "", "no such file")
	if out := mustRunCLI(t, env, "", "ns", "get", "dev"); !strings.Contains(out, "Head revision:  0") {
		t.Errorf("bad input changed the namespace:\n%s", out)
	}
}
