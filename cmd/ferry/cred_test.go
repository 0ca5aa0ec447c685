package main

import (
	"encoding/json"
	"encoding/pem"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/sshkey"
)

// publicKeyLine finds the public key a command printed.
var publicKeyLine = regexp.MustCompile(`(?m)^(ssh-ed25519|ssh-rsa) AAAA\S+$`)

// wantPrintedKey checks that out shows a public key that parses and the fingerprint it
// has, and returns the fingerprint.
func wantPrintedKey(t *testing.T, out string) string {
	t.Helper()
	line := publicKeyLine.FindString(out)
	pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(line))
	if err != nil {
		t.Fatalf("no public key to paste in:\n%s", out)
	}
	fp := ssh.FingerprintSHA256(pub)
	if !strings.Contains(out, "Fingerprint: "+fp) {
		t.Fatalf("the fingerprint %s is not printed:\n%s", fp, out)
	}
	return fp
}

func TestCredCommands(t *testing.T) {
	env := startAPIServer(t)
	var shown []string
	run := func(stdin string, args ...string) string {
		t.Helper()
		r := runCLI(t, env, stdin, args...)
		shown = append(shown, r.stdout, r.stderr)
		if r.err != nil {
			shown = append(shown, r.err.Error())
			t.Fatalf("ferry %s: %v\n%s", strings.Join(args, " "), r.err, r.stderr)
		}
		return r.stdout
	}

	out := run("", "cred", "create", "deploy", "--generate", "ed25519")
	if !strings.HasPrefix(out, "Created ssh-key credential deploy.") {
		t.Errorf("create printed:\n%s", out)
	}
	genFP := wantPrintedKey(t, out)

	pair, _ := sshkey.Generate(sshkey.Ed25519)
	raw, _ := ssh.ParseRawPrivateKey(pair.PrivateKey)
	block, _ := ssh.MarshalPrivateKeyWithPassphrase(raw, "", []byte("cli-passphrase-9"))
	keyFile := writeTemp(t, string(pem.EncodeToMemory(block)))
	passFile := writeTemp(t, "cli-passphrase-9\n")
	out = run("", "cred", "create", "imported", "--import-key", keyFile, "--passphrase-file", passFile)
	if wantPrintedKey(t, out) != pair.Fingerprint {
		t.Errorf("the imported key is another key:\n%s", out)
	}
	run("cli-token-value-7\n", "cred", "create", "ci", "--token-file", "-", "--username", "nouser")
	run("", "cred", "create", "bb", "--basic", "--username", "me", "--password-file", writeTemp(t, "cli-password-8\n"))

	out = run("", "cred", "list")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[0], "NAME") || !strings.HasPrefix(lines[1], "bb ") ||
		!strings.Contains(out, "ed25519 generated "+genFP) || !strings.Contains(out, "user nouser") {
		t.Errorf("list printed:\n%s", out)
	}
	var list []ferry.Credential
	if err := json.Unmarshal([]byte(run("", "cred", "list", "--json")), &list); err != nil || len(list) != 4 {
		t.Errorf("list --json: %v, %v", list, err)
	}
	out = run("", "cred", "get", "deploy")
	if !strings.Contains(out, "Generated:    true") || !strings.Contains(out, genFP) || publicKeyLine.FindString(out) == "" {
		t.Errorf("get printed:\n%s", out)
	}

	out = run("", "cred", "rotate", "deploy")
	if newFP := wantPrintedKey(t, out); newFP == genFP {
		t.Error("rotate printed the old key")
	}
	out = run("cli-token-new-10", "cred", "update", "ci", "--token-file", "-")
	if out != "Updated credential ci.\n" {
		t.Errorf("update printed %q", out)
	}
	run("", "cred", "update", "bb", "--username", "you")
	if out := run("", "cred", "get", "bb"); !strings.Contains(out, "you") {
		t.Errorf("the username did not change:\n%s", out)
	}
	if out := run("", "cred", "rm", "bb"); out != "Deleted credential bb.\n" {
		t.Errorf("rm printed %q", out)
	}

	for _, tc := range []struct {
		args      []string
		stdin     string
		code      string
		fragments []string
	}{
		{[]string{"cred", "create", "deploy", "--generate", "ed25519"}, "", ferry.ECONFLICT, []string{"exists already", "(conflict)"}},
		{[]string{"cred", "create", "Bad_Name", "--generate", "ed25519"}, "", ferry.EINVALID, []string{"lowercase"}},
		{[]string{"cred", "create", "x", "--generate", "dsa"}, "", ferry.EINVALID, []string{"ed25519 or rsa-4096"}},
		{[]string{"cred", "create", "x", "--import-key", keyFile, "--passphrase-file", writeTemp(t, "wrong-passphrase-11")}, "", ferry.EINVALID, []string{"passphrase does not decrypt"}},
		{[]string{"cred", "create", "x", "--import-key", "-"}, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl", ferry.EINVALID, []string{"This is a public key"}},
		{[]string{"cred", "rotate", "imported"}, "", ferry.EINVALID, []string{"imported key", "ferry cred update imported --import-key"}},
		{[]string{"cred", "rotate", "ci"}, "", ferry.EINVALID, []string{"ferry cred update ci --token-file"}},
		{[]string{"cred", "get", "bb"}, "", ferry.ENOTFOUND, []string{"(not_found)"}},
		{[]string{"cred", "create", "x", "--token-file", "-", "--password-file", "-"}, "", "", []string{"only one secret"}},
		{[]string{"cred", "create", "x", "--token-file", "/nonexistent/token"}, "", "", []string{"no such file"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := runCLI(t, env, tc.stdin, tc.args...)
			shown = append(shown, r.stdout, r.stderr)
			wantFailure(t, r, tc.code, tc.fragments...)
			shown = append(shown, r.err.Error())
		})
	}
	if r := runCLI(t, env, "", "cred", "create", "x"); r.err != errUsage || !strings.Contains(r.stderr, "--generate, --import-key, --token-file, --basic or --github-app") {
		t.Errorf("create without a kind: %v\n%s", r.err, r.stderr)
	}

	all := strings.Join(shown, "\n")
	for _, secret := range []string{"cli-passphrase-9", "cli-token-value-7", "cli-password-8", "cli-token-new-10", "wrong-passphrase-11",
		strings.Split(string(pair.PrivateKey), "\n")[1]} {
		if strings.Contains(all, secret) {
			t.Errorf("the CLI showed the secret %q", secret)
		}
	}
}
