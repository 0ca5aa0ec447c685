package http_test

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/ferrygit/ferry"
	fhttp "github.com/ferrygit/ferry/http"
	"github.com/ferrygit/ferry/sshkey"
)

// secrets collects every secret a test sends and every answer the server gives, and
// checks at the end that no answer and no log line shows a secret.
type secrets struct {
	values  []string
	answers []string
}

func (s *secrets) add(v ...string) { s.values = append(s.values, v...) }

// call sends a request and records its answer.
func (s *secrets) call(t *testing.T, ts *testServer, method, path string, body any) response {
	t.Helper()
	var b []byte
	if body != nil {
		var err error
		if b, err = json.Marshal(body); err != nil {
			t.Fatal(err)
		}
	}
	resp := ts.raw(t, method, path, b)
	s.answers = append(s.answers, string(resp.Body))
	return resp
}

// check fails the test if an answer or the server's log holds a secret, or a telling
// piece of one.
func (s *secrets) check(t *testing.T, ts *testServer) {
	t.Helper()
	shown := strings.Join(s.answers, "\n") + "\n" + ts.logs.String()
	for _, v := range s.values {
		for _, piece := range secretPieces(v) {
			if strings.Contains(shown, piece) {
				t.Errorf("a secret is shown (%.12q…) in the answers or the log", piece)
			}
		}
	}
}

// secretPieces returns v and, for a PEM key, each of its base64 lines.
func secretPieces(v string) []string {
	pieces := []string{v}
	for _, line := range strings.Split(v, "\n") {
		if len(line) >= 40 && !strings.HasPrefix(line, "-----") {
			pieces = append(pieces, line)
		}
	}
	return pieces
}

func mustGenerate(t *testing.T, alg string) *sshkey.Pair {
	t.Helper()
	p, err := sshkey.Generate(alg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// encryptedKey returns p's private key encrypted with passphrase, in OpenSSH form.
func encryptedKey(t *testing.T, p *sshkey.Pair, passphrase string) string {
	t.Helper()
	raw, err := ssh.ParseRawPrivateKey(p.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKeyWithPassphrase(raw, "", []byte(passphrase))
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(block))
}

// wantKeyPair checks that an ssh-key credential's public key parses, has the stated
// fingerprint and belongs to the private key the server keeps.
func wantKeyPair(t *testing.T, ts *testServer, c *ferry.Credential) {
	t.Helper()
	pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(c.PublicKey))
	if err != nil {
		t.Fatalf("public key %q: %v", c.PublicKey, err)
	}
	if fp := ssh.FingerprintSHA256(pub); fp != c.Fingerprint {
		t.Errorf("fingerprint %s, the public key's is %s", c.Fingerprint, fp)
	}
	secret, err := ts.DB.CredentialSecret(context.Background(), c.Name)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := sshkey.Signer(secret.PrivateKey)
	if err != nil || string(signer.PublicKey().Marshal()) != string(pub.Marshal()) {
		t.Fatalf("the stored private key does not belong to the public key (%v)", err)
	}
}

func TestCreateCredentials(t *testing.T) {
	ts := newTestServer(t)
	var sec secrets
	imported := mustGenerate(t, sshkey.Ed25519)
	encrypted := mustGenerate(t, sshkey.Ed25519)
	encPEM := encryptedKey(t, encrypted, "open sesame 42")
	sec.add(string(imported.PrivateKey), encPEM, "open sesame 42", "glpat-TOKEN-value-0001", "basic-PASSWORD-0002")

	for _, tc := range []struct {
		body               fhttp.CredentialRequest
		alg, keyType, user string
		generated          bool
		fingerprint        string
	}{
		{body: fhttp.CredentialRequest{Name: "gen-ed", Kind: "ssh-key", Generate: &fhttp.GenerateRequest{Algorithm: "ed25519"}}, alg: "ed25519", keyType: "ssh-ed25519", generated: true},
		{body: fhttp.CredentialRequest{Name: "gen-rsa", Kind: "ssh-key", Generate: &fhttp.GenerateRequest{Algorithm: "rsa-4096"}}, alg: "rsa-4096", keyType: "ssh-rsa", generated: true},
		{body: fhttp.CredentialRequest{Name: "imported", Kind: "ssh-key", PrivateKey: string(imported.PrivateKey)}, alg: "ed25519", keyType: "ssh-ed25519", fingerprint: imported.Fingerprint},
		{body: fhttp.CredentialRequest{Name: "encrypted", Kind: "ssh-key", PrivateKey: encPEM, Passphrase: "open sesame 42"}, alg: "ed25519", keyType: "ssh-ed25519", fingerprint: encrypted.Fingerprint},
		{body: fhttp.CredentialRequest{Name: "ci", Kind: "token", Username: "nouser", Token: "glpat-TOKEN-value-0001"}, user: "nouser"},
		{body: fhttp.CredentialRequest{Name: "bb", Kind: "basic", Username: "me", Password: "basic-PASSWORD-0002"}, user: "me"},
	} {
		t.Run(tc.body.Name, func(t *testing.T) {
			resp := sec.call(t, ts, "POST", "/api/v1/credentials", tc.body)
			if resp.Status != http.StatusCreated || resp.Header.Get("Location") != "/api/v1/credentials/"+tc.body.Name {
				t.Fatalf("create = %d %v %s", resp.Status, resp.Header, resp.Body)
			}
			var c ferry.Credential
			decode(t, resp, &c)
			if c.Name != tc.body.Name || c.Kind != tc.body.Kind || c.Username != tc.user || c.Generated != tc.generated || c.Algorithm != tc.alg {
				t.Errorf("created %+v", c)
			}
			if tc.keyType != "" {
				if !strings.HasPrefix(c.PublicKey, tc.keyType+" ") {
					t.Errorf("public key %q is not %s", c.PublicKey, tc.keyType)
				}
				wantKeyPair(t, ts, &c)
			}
			if tc.fingerprint != "" && c.Fingerprint != tc.fingerprint {
				t.Errorf("imported key's fingerprint %s, want %s", c.Fingerprint, tc.fingerprint)
			}
		})
	}
	ctx := context.Background()
	if s, _ := ts.DB.CredentialSecret(ctx, "ci"); s.Token != "glpat-TOKEN-value-0001" {
		t.Error("the token was not stored")
	}
	if s, _ := ts.DB.CredentialSecret(ctx, "bb"); s.Password != "basic-PASSWORD-0002" {
		t.Error("the password was not stored")
	}

	// Read back: one, and all in pages.
	resp := sec.call(t, ts, "GET", "/api/v1/credentials/ci", nil)
	var one map[string]any
	decode(t, resp, &one)
	if resp.Status != 200 || one["name"] != "ci" || one["kind"] != "token" || one["id"] != nil || one["token"] != nil {
		t.Errorf("get = %d %s", resp.Status, resp.Body)
	}
	var names []string
	for path := "/api/v1/credentials?limit=4"; ; {
		resp := sec.call(t, ts, "GET", path, nil)
		var page struct {
			Items []ferry.Credential
			Next  string
		}
		decode(t, resp, &page)
		for _, c := range page.Items {
			names = append(names, c.Name)
		}
		if page.Next == "" {
			break
		}
		path = "/api/v1/credentials?limit=4&cursor=" + page.Next
	}
	if strings.Join(names, " ") != "bb ci encrypted gen-ed gen-rsa imported" {
		t.Errorf("listed %v", names)
	}
	// The client sees the same.
	list, _, err := ts.Client.ListCredentials(ctx, ferry.Page{})
	if err != nil || len(list) != 6 {
		t.Errorf("client list = %d, %v", len(list), err)
	}
	sec.check(t, ts)
}

func TestCreateCredentialBadInput(t *testing.T) {
	ts := newTestServer(t)
	var sec secrets
	pair := mustGenerate(t, sshkey.Ed25519)
	enc := encryptedKey(t, pair, "right-passphrase")
	sec.add(string(pair.PrivateKey), enc, "right-passphrase", "wrong-passphrase", "tok-secret-77", "pw-secret-88")
	if resp := sec.call(t, ts, "POST", "/api/v1/credentials", fhttp.CredentialRequest{Name: "deploy", Kind: "token", Token: "tok-secret-77"}); resp.Status != 201 {
		t.Fatalf("create = %d %s", resp.Status, resp.Body)
	}
	gen := &fhttp.GenerateRequest{Algorithm: "ed25519"}
	for _, tc := range []struct {
		name   string
		body   any
		status int
		code   string
		want   string
	}{
		{"duplicate", fhttp.CredentialRequest{Name: "deploy", Kind: "ssh-key", Generate: gen}, 409, ferry.ECONFLICT, `"deploy" exists already`},
		{"no name", fhttp.CredentialRequest{Kind: "ssh-key", Generate: gen}, 400, ferry.EINVALID, "Credential name"},
		{"bad name", fhttp.CredentialRequest{Name: "Deploy_Key", Kind: "ssh-key", Generate: gen}, 400, ferry.EINVALID, "lowercase"},
		{"long name", fhttp.CredentialRequest{Name: strings.Repeat("a", 64), Kind: "ssh-key", Generate: gen}, 400, ferry.EINVALID, "at most 63"},
		{"no kind", fhttp.CredentialRequest{Name: "a"}, 400, ferry.EINVALID, "Kind is required"},
		{"unknown kind", fhttp.CredentialRequest{Name: "a", Kind: "gpg"}, 400, ferry.EINVALID, `"gpg" is not one of`},
		{"github app without key", fhttp.CredentialRequest{Name: "a", Kind: "github-app", AppID: "1", InstallationID: "2"}, 400, ferry.EINVALID, "needs private_key"},
		{"github app with an ssh key", fhttp.CredentialRequest{Name: "a", Kind: "github-app", AppID: "1", InstallationID: "2", PrivateKey: string(pair.PrivateKey)}, 400, ferry.EINVALID, "not an RSA private key"},
		{"github app with a token", fhttp.CredentialRequest{Name: "a", Kind: "github-app", Token: "tok-secret-77"}, 400, ferry.EINVALID, "Field token does not apply"},
		{"ssh-key without material", fhttp.CredentialRequest{Name: "a", Kind: "ssh-key"}, 400, ferry.EINVALID, "needs"},
		{"both generate and import", fhttp.CredentialRequest{Name: "a", Kind: "ssh-key", Generate: gen, PrivateKey: string(pair.PrivateKey)}, 400, ferry.EINVALID, "not both"},
		{"unknown algorithm", fhttp.CredentialRequest{Name: "a", Kind: "ssh-key", Generate: &fhttp.GenerateRequest{Algorithm: "dsa"}}, 400, ferry.EINVALID, "ed25519 or rsa-4096"},
		{"no algorithm", fhttp.CredentialRequest{Name: "a", Kind: "ssh-key", Generate: &fhttp.GenerateRequest{}}, 400, ferry.EINVALID, "Algorithm is required"},
		{"wrong passphrase", fhttp.CredentialRequest{Name: "a", Kind: "ssh-key", PrivateKey: enc, Passphrase: "wrong-passphrase"}, 400, ferry.EINVALID, "passphrase does not decrypt"},
		{"missing passphrase", fhttp.CredentialRequest{Name: "a", Kind: "ssh-key", PrivateKey: enc}, 400, ferry.EINVALID, "give its passphrase"},
		{"garbage key", fhttp.CredentialRequest{Name: "a", Kind: "ssh-key", PrivateKey: "garbage"}, 400, ferry.EINVALID, "not in PEM form"},
		{"public key", fhttp.CredentialRequest{Name: "a", Kind: "ssh-key", PrivateKey: pair.PublicKey}, 400, ferry.EINVALID, "This is a public key"},
		{"username on ssh-key", fhttp.CredentialRequest{Name: "a", Kind: "ssh-key", Generate: gen, Username: "git"}, 400, ferry.EINVALID, "part of the repository URL"},
		{"passphrase on generate", fhttp.CredentialRequest{Name: "a", Kind: "ssh-key", Generate: gen, Passphrase: "x"}, 400, ferry.EINVALID, "goes with private_key"},
		{"token without token", fhttp.CredentialRequest{Name: "a", Kind: "token", Username: "u"}, 400, ferry.EINVALID, "token is required"},
		{"token with password", fhttp.CredentialRequest{Name: "a", Kind: "token", Token: "tok-secret-77", Password: "pw-secret-88"}, 400, ferry.EINVALID, "Field password does not apply"},
		{"token with a line break", fhttp.CredentialRequest{Name: "a", Kind: "token", Token: "tok\nsecret"}, 400, ferry.EINVALID, "line break"},
		{"token with a trailing newline", fhttp.CredentialRequest{Name: "a", Kind: "token", Token: "tok-secret-77\n"}, 400, ferry.EINVALID, "white space"},
		{"basic without username", fhttp.CredentialRequest{Name: "a", Kind: "basic", Password: "pw-secret-88"}, 400, ferry.EINVALID, "needs a username"},
		{"basic without password", fhttp.CredentialRequest{Name: "a", Kind: "basic", Username: "u"}, 400, ferry.EINVALID, "password is required"},
		{"basic with generate", fhttp.CredentialRequest{Name: "a", Kind: "basic", Username: "u", Password: "pw-secret-88", Generate: gen}, 400, ferry.EINVALID, "Field generate does not apply"},
		{"username with a colon", fhttp.CredentialRequest{Name: "a", Kind: "basic", Username: "u:x", Password: "pw-secret-88"}, 400, ferry.EINVALID, "without ':'"},
		{"unknown field", map[string]string{"name": "a", "kind": "token", "secret": "tok-secret-77"}, 400, ferry.EINVALID, `unknown field "secret"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, sec.call(t, ts, "POST", "/api/v1/credentials", tc.body), tc.status, tc.code, tc.want)
		})
	}
	if _, err := ts.Client.FindCredential(context.Background(), "a"); ferry.ErrorCode(err) != ferry.ENOTFOUND {
		t.Errorf("a refused credential was stored: %v", err)
	}
	sec.check(t, ts)
}
