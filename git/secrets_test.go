package git

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/git/gittest"
)

// wrapper writes a script that appends its arguments to log and runs prog.
func wrapper(t *testing.T, prog, log string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "wrap-"+prog)
	script := "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '" + log + "'\nexec " + prog + " \"$@\"\n"
	if err := os.WriteFile(path, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestNoSecretsLeak runs successful and failing operations with a password, a token and
// private keys, and checks that none of them appears in the captured logs (at debug
// level), in any error, or in the argv of any git or ssh process.
func TestNoSecretsLeak(t *testing.T) {
	r := newRemote(t, testFiles)
	argv := filepath.Join(t.TempDir(), "argv.log")
	e, logs := newEngine(t, Config{Policy: loopback, Git: wrapper(t, "git", argv), SSH: wrapper(t, "ssh", argv)})
	ctx := testContext(t)
	const wrongPassword = "wrong-Secret-777xyz"
	other := gittest.NewEd25519Key(t)
	var errs []error
	try := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}

	// Successful work over HTTP, the user name taken from the URL.
	withUser := mustParse(t, strings.Replace(r.http.RepoURL(r.repo.Name), "http://", "http://ferry@", 1))
	httpAuth := &ferry.GitAuth{Password: testPassword}
	parent, err := e.Fetch(ctx, withUser, httpAuth, "main", []string{"dir"})
	if err != nil {
		t.Fatal(err)
	}
	sig := ferry.Signature{Name: "Ferry", Email: "ferry@example.com", When: time.Unix(1700000000, 0)}
	commit, err := e.CommitFiles(ctx, withUser, ferry.CommitRequest{Parent: parent, Dir: "dir", Author: sig, Message: "m",
		Files: []ferry.CommitFile{{Path: "a.txt", Content: []byte("new")}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Push(ctx, withUser, httpAuth, ferry.RefUpdate{Ref: "refs/heads/main", Object: commit}); err != nil {
		t.Fatal(err)
	}
	// Failures over HTTP: wrong password, in discovery and in the CLI.
	_, err = e.ListRefs(ctx, r.httpURL, &ferry.GitAuth{Username: "ferry", Password: wrongPassword})
	try(err)
	_, err = e.Fetch(ctx, r.httpURL, &ferry.GitAuth{Username: "ferry", Password: wrongPassword}, "main", nil)
	try(err)
	cli, err := e.cliRemote(&target{url: r.httpURL, ip: []byte{127, 0, 0, 1}}, &ferry.GitAuth{Username: "ferry", Password: wrongPassword})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.run.run(ctx, &gitCmd{dir: t.TempDir(), args: append(cli.args, "ls-remote", cli.url), env: cli.env, redact: cli.redact})
	try(classifyRun(err))
	cli.cleanup()
	// SSH: success, then a refused key and an unknown host key.
	if _, err := e.Fetch(ctx, r.sshURL, r.sshAuth, "main", []string{"dir"}); err != nil {
		t.Fatal(err)
	}
	_, err = e.Fetch(ctx, r.sshURL, &ferry.GitAuth{PrivateKey: other.PEM, KnownHosts: r.sshAuth.KnownHosts}, "main", nil)
	try(err)
	_, err = e.ListRefs(ctx, r.sshURL, &ferry.GitAuth{PrivateKey: other.PEM})
	try(err)
	if len(errs) != 5 {
		t.Fatalf("%d of the 5 failing operations failed: %v", len(errs), errs)
	}

	secrets := map[string]string{
		"password":       testPassword,
		"wrong password": wrongPassword,
		"basic header":   base64.StdEncoding.EncodeToString([]byte("ferry:" + testPassword)),
		"wrong header":   base64.StdEncoding.EncodeToString([]byte("ferry:" + wrongPassword)),
	}
	for i, pem := range [][]byte{r.key.PEM, other.PEM} {
		for j, line := range strings.Split(string(pem), "\n") {
			if len(line) > 16 && !strings.HasPrefix(line, "-----") {
				secrets["key "+string(rune('A'+i))+" line "+string(rune('0'+j))] = line
			}
		}
	}
	argvLog, err := os.ReadFile(argv)
	if err != nil {
		t.Fatal(err)
	}
	places := map[string]string{"logs": logs.String(), "argv": string(argvLog)}
	for i, err := range errs {
		places["error "+string(rune('0'+i))] = err.Error()
	}
	// The places are not empty: the check below could fail.
	if !strings.Contains(places["logs"], "fetch") || !strings.Contains(places["argv"], "fetch") || !strings.Contains(places["argv"], "BatchMode=yes") {
		t.Fatalf("the logs or the argv log are missing expected entries:\n%s\n%s", places["logs"], places["argv"])
	}
	for where, text := range places {
		for what, secret := range secrets {
			if strings.Contains(text, secret) {
				t.Errorf("the %s contain the %s", where, what)
			}
		}
	}
	if strings.Contains(places["logs"], "ferry@127.0.0.1") {
		t.Error("the logs contain the user name of an http URL")
	}
	if entries, _ := os.ReadDir(e.tmp); len(entries) != 0 {
		t.Errorf("temporary secret directories left behind: %v", entries)
	}
}

func TestRedactor(t *testing.T) {
	red := newRedactor(&ferry.GitAuth{Username: "bob", Password: "hunter2-long"})
	tests := []struct{ in, want string }{
		{"fatal: Authentication failed for 'https://bob:hunter2-long@h/r'", "fatal: Authentication failed for 'https://***@h/r'"},
		{"password hunter2-long here", "password *** here"},
		{"Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("bob:hunter2-long")), "Authorization: ***"},
		{"header authorization: Bearer abc.def", "header authorization: ***"},
		{"https://x-access-token:ghs_16C7e42F292c6912E7710c838347Ae178B4a@github.com/o/r", "https://***@github.com/o/r"},
		{"token ghp_0123456789abcdefghijABCDEFGHIJ012345 leaked", "token *** leaked"},
		{"glpat-abcdefghij0123456789 leaked", "*** leaked"},
		{"ssh://git@github.com/o/r", "ssh://git@github.com/o/r"},
		{"ssh://git:pw@github.com/o/r", "ssh://***@github.com/o/r"},
		{"nothing to hide", "nothing to hide"},
	}
	for _, tt := range tests {
		if got := red.redact(tt.in); got != tt.want {
			t.Errorf("redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := newRedactor(nil).redact("a b"); got != "a b" {
		t.Errorf("nil auth: %q", got)
	}
}
