package http_test

import (
	"bytes"
	"context"
	"net/http"
	"testing"

	"github.com/ferrygit/ferry"
	fhttp "github.com/ferrygit/ferry/http"
	"github.com/ferrygit/ferry/sshkey"
)

func TestRotateCredential(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	var sec secrets
	created, err := ts.Client.CreateCredential(ctx, fhttp.CredentialRequest{Name: "deploy", Kind: "ssh-key", Generate: &fhttp.GenerateRequest{Algorithm: "ed25519"}})
	if err != nil {
		t.Fatal(err)
	}
	old, _ := ts.DB.CredentialSecret(ctx, "deploy")
	sec.add(string(old.PrivateKey))

	resp := sec.call(t, ts, "POST", "/api/v1/credentials/deploy/rotate", nil)
	var rotated ferry.Credential
	decode(t, resp, &rotated)
	if resp.Status != http.StatusOK || rotated.PublicKey == created.PublicKey || rotated.Fingerprint == created.Fingerprint ||
		rotated.Algorithm != "ed25519" || rotated.RotatedAt.IsZero() || !rotated.CreatedAt.Equal(created.CreatedAt) {
		t.Fatalf("rotate = %d %s", resp.Status, resp.Body)
	}
	wantKeyPair(t, ts, &rotated)
	current, _ := ts.DB.CredentialSecret(ctx, "deploy")
	sec.add(string(current.PrivateKey))
	if bytes.Equal(current.PrivateKey, old.PrivateKey) {
		t.Fatal("the old private key is still the current one")
	}
	if got, _ := ts.Client.FindCredential(ctx, "deploy"); got.Fingerprint != rotated.Fingerprint {
		t.Errorf("after rotation the credential shows %s", got.Fingerprint)
	}

	// Another algorithm on request.
	rsa, err := ts.Client.RotateCredential(ctx, "deploy", sshkey.RSA4096)
	if err != nil || rsa.Algorithm != "rsa-4096" {
		t.Fatalf("rotate to rsa = %+v, %v", rsa, err)
	}

	// What Ferry did not make, it cannot rotate: each says what to do instead.
	pair := mustGenerate(t, sshkey.Ed25519)
	sec.add(string(pair.PrivateKey), "tok-rotate-secret", "pw-rotate-secret")
	for _, req := range []fhttp.CredentialRequest{
		{Name: "imported", Kind: "ssh-key", PrivateKey: string(pair.PrivateKey)},
		{Name: "ci", Kind: "token", Token: "tok-rotate-secret"},
		{Name: "bb", Kind: "basic", Username: "u", Password: "pw-rotate-secret"},
	} {
		if _, err := ts.Client.CreateCredential(ctx, req); err != nil {
			t.Fatal(err)
		}
	}
	wantError(t, sec.call(t, ts, "POST", "/api/v1/credentials/imported/rotate", nil), 400, ferry.EINVALID, "imported key", "PATCH /api/v1/credentials/imported", "private_key")
	wantError(t, sec.call(t, ts, "POST", "/api/v1/credentials/ci/rotate", nil), 400, ferry.EINVALID, "token", `PATCH /api/v1/credentials/ci {"token"`)
	wantError(t, sec.call(t, ts, "POST", "/api/v1/credentials/bb/rotate", nil), 400, ferry.EINVALID, "password", "PATCH")
	wantError(t, sec.call(t, ts, "POST", "/api/v1/credentials/nope/rotate", nil), 404, ferry.ENOTFOUND, "nope")
	wantError(t, sec.call(t, ts, "POST", "/api/v1/credentials/deploy/rotate", map[string]string{"algorithm": "dsa"}), 400, ferry.EINVALID, "rsa-4096")
	sec.check(t, ts)
}

func TestUpdateCredential(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	var sec secrets
	first, second := mustGenerate(t, sshkey.Ed25519), mustGenerate(t, sshkey.Ed25519)
	encSecond := encryptedKey(t, second, "second-passphrase")
	sec.add(string(first.PrivateKey), encSecond, "second-passphrase", "tok-old-1111", "tok-new-2222", "pw-old-3333", "pw-new-4444")
	for _, req := range []fhttp.CredentialRequest{
		{Name: "ci", Kind: "token", Username: "nouser", Token: "tok-old-1111"},
		{Name: "bb", Kind: "basic", Username: "me", Password: "pw-old-3333"},
		{Name: "imported", Kind: "ssh-key", PrivateKey: string(first.PrivateKey)},
		{Name: "gen", Kind: "ssh-key", Generate: &fhttp.GenerateRequest{Algorithm: "ed25519"}},
	} {
		if _, err := ts.Client.CreateCredential(ctx, req); err != nil {
			t.Fatal(err)
		}
	}
	str := func(s string) *string { return &s }

	resp := sec.call(t, ts, "PATCH", "/api/v1/credentials/ci", fhttp.CredentialPatch{Token: str("tok-new-2222")})
	var c ferry.Credential
	decode(t, resp, &c)
	if resp.Status != 200 || c.Username != "nouser" || c.RotatedAt.IsZero() {
		t.Fatalf("patch token = %d %s", resp.Status, resp.Body)
	}
	if s, _ := ts.DB.CredentialSecret(ctx, "ci"); s.Token != "tok-new-2222" {
		t.Error("the token was not replaced")
	}
	resp = sec.call(t, ts, "PATCH", "/api/v1/credentials/ci", fhttp.CredentialPatch{Username: str("x-access-token")})
	decode(t, resp, &c)
	if s, _ := ts.DB.CredentialSecret(ctx, "ci"); resp.Status != 200 || c.Username != "x-access-token" || s.Token != "tok-new-2222" {
		t.Fatalf("patch username = %d %s", resp.Status, resp.Body)
	}
	if _, err := ts.Client.UpdateCredential(ctx, "bb", fhttp.CredentialPatch{Password: str("pw-new-4444")}); err != nil {
		t.Fatal(err)
	}
	if s, _ := ts.DB.CredentialSecret(ctx, "bb"); s.Password != "pw-new-4444" {
		t.Error("the password was not replaced")
	}
	upd, err := ts.Client.UpdateCredential(ctx, "imported", fhttp.CredentialPatch{PrivateKey: &encSecond, Passphrase: str("second-passphrase")})
	if err != nil || upd.Fingerprint != second.Fingerprint || upd.Generated {
		t.Fatalf("re-import = %+v, %v", upd, err)
	}
	wantKeyPair(t, ts, upd)

	for _, tc := range []struct {
		name, path string
		patch      fhttp.CredentialPatch
		want       string
	}{
		{"nothing", "/api/v1/credentials/ci", fhttp.CredentialPatch{}, "Nothing to change"},
		{"password on a token", "/api/v1/credentials/ci", fhttp.CredentialPatch{Password: str("pw-new-4444")}, "Field password does not apply"},
		{"token on basic", "/api/v1/credentials/bb", fhttp.CredentialPatch{Token: str("tok-new-2222")}, "Field token does not apply"},
		{"empty basic username", "/api/v1/credentials/bb", fhttp.CredentialPatch{Username: str("")}, "needs a username"},
		{"empty token", "/api/v1/credentials/ci", fhttp.CredentialPatch{Token: str("")}, "token is required"},
		{"key on a generated credential", "/api/v1/credentials/gen", fhttp.CredentialPatch{PrivateKey: &encSecond}, "/rotate"},
		{"nothing on a generated credential", "/api/v1/credentials/gen", fhttp.CredentialPatch{}, "rotate it instead"},
		{"wrong passphrase", "/api/v1/credentials/imported", fhttp.CredentialPatch{PrivateKey: &encSecond, Passphrase: str("first-passphrase")}, "passphrase does not decrypt"},
		{"passphrase alone", "/api/v1/credentials/imported", fhttp.CredentialPatch{Passphrase: str("second-passphrase")}, "goes with private_key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, sec.call(t, ts, "PATCH", tc.path, tc.patch), 400, ferry.EINVALID, tc.want)
		})
	}
	wantError(t, sec.call(t, ts, "PATCH", "/api/v1/credentials/nope", fhttp.CredentialPatch{Token: str("tok-new-2222")}), 404, ferry.ENOTFOUND)
	// A refused change changed nothing.
	if s, _ := ts.DB.CredentialSecret(ctx, "imported"); !bytes.Contains(s.PrivateKey, []byte("OPENSSH")) {
		t.Error("a refused change lost the key")
	}
	if got, _ := ts.Client.FindCredential(ctx, "imported"); got.Fingerprint != second.Fingerprint {
		t.Errorf("a refused change changed the key to %s", got.Fingerprint)
	}
	sec.check(t, ts)
}

// inUse is the credential store with every credential in use, as bindings will make them.
type inUse struct{ ferry.CredentialService }

func (inUse) DeleteCredential(_ context.Context, name string) error {
	return ferry.Errorf(ferry.ECONFLICT, "Credential %q is in use by binding dev:/.", name)
}

func TestDeleteCredential(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	if _, err := ts.Client.CreateCredential(ctx, fhttp.CredentialRequest{Name: "ci", Kind: "token", Token: "t0ken-value"}); err != nil {
		t.Fatal(err)
	}
	resp := ts.raw(t, "DELETE", "/api/v1/credentials/ci", nil)
	if resp.Status != http.StatusNoContent || len(resp.Body) != 0 {
		t.Fatalf("delete = %d %s", resp.Status, resp.Body)
	}
	wantError(t, ts.raw(t, "GET", "/api/v1/credentials/ci", nil), 404, ferry.ENOTFOUND, `"ci"`)
	wantError(t, ts.raw(t, "DELETE", "/api/v1/credentials/ci", nil), 404, ferry.ENOTFOUND)
	wantError(t, ts.raw(t, "DELETE", "/api/v1/credentials/Bad_Name", nil), 400, ferry.EINVALID, "Credential name")

	used := newTestServer(t, func(s *fhttp.Server) { s.Credentials = inUse{s.Credentials} })
	wantCode(t, used.Client.DeleteCredential(ctx, "ci"), ferry.ECONFLICT)

	none := newTestServer(t, func(s *fhttp.Server) { s.Credentials = nil })
	wantError(t, none.raw(t, "GET", "/api/v1/credentials", nil), 503, ferry.EUNAVAILABLE, "no credentials")
}
