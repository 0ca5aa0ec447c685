package sqlstore_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/secretbox"
	"github.com/ferrygit/ferry/sqlstore"
	"github.com/ferrygit/ferry/sshkey"
)

// testBox seals the secrets of every contract test's database.
var testBox = mustBox(bytes.Repeat([]byte{0x42}, secretbox.KeySize))

func mustBox(key []byte) *secretbox.Box {
	b, err := secretbox.New(key)
	if err != nil {
		panic(err)
	}
	return b
}

// newSSHCredential returns a credential holding a new ed25519 key pair.
func newSSHCredential(t *testing.T, name string) *ferry.Credential {
	t.Helper()
	p, err := sshkey.Generate(sshkey.Ed25519)
	if err != nil {
		t.Fatal(err)
	}
	return &ferry.Credential{Name: name, Kind: ferry.CredentialSSHKey, PublicKey: p.PublicKey, Fingerprint: p.Fingerprint,
		Algorithm: p.Algorithm, Generated: true, Secret: &ferry.CredentialSecret{PrivateKey: p.PrivateKey}}
}

func TestCredentials(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		key := newSSHCredential(t, "deploy")
		if err := db.CreateCredential(ctx, key); err != nil {
			t.Fatal(err)
		}
		if key.ID == 0 || !key.CreatedAt.Equal(fixedNow) || !key.UpdatedAt.Equal(fixedNow) || !key.RotatedAt.IsZero() {
			t.Fatalf("created %+v", key)
		}
		token := &ferry.Credential{Name: "ci", Kind: ferry.CredentialToken, Username: "nouser", Secret: &ferry.CredentialSecret{Token: "glpat-secret-token-1"}}
		basic := &ferry.Credential{Name: "bb", Kind: ferry.CredentialBasic, Username: "me", Secret: &ferry.CredentialSecret{Password: "pa55-secret-word"}}
		for _, c := range []*ferry.Credential{token, basic} {
			if err := db.CreateCredential(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		wantCode(t, db.CreateCredential(ctx, newSSHCredential(t, "deploy")), ferry.ECONFLICT)
		wantCode(t, db.CreateCredential(ctx, &ferry.Credential{Name: "Bad", Kind: "token", Secret: &ferry.CredentialSecret{Token: "t"}}), ferry.EINVALID)
		wantCode(t, db.CreateCredential(ctx, &ferry.Credential{Name: "app", Kind: "github-app", Secret: &ferry.CredentialSecret{Token: "t"}}), ferry.EINVALID)

		got, err := db.FindCredential(ctx, "deploy")
		if err != nil || got.PublicKey != key.PublicKey || got.Fingerprint != key.Fingerprint || !got.Generated ||
			got.Algorithm != "ed25519" || got.Secret != nil || !got.CreatedAt.Equal(fixedNow) {
			t.Fatalf("find = %+v, %v", got, err)
		}
		_, err = db.FindCredential(ctx, "nope")
		wantCode(t, err, ferry.ENOTFOUND)

		for name, want := range map[string]*ferry.CredentialSecret{"deploy": key.Secret, "ci": token.Secret, "bb": basic.Secret} {
			s, err := db.CredentialSecret(ctx, name)
			if err != nil || !bytes.Equal(s.PrivateKey, want.PrivateKey) || s.Token != want.Token || s.Password != want.Password {
				t.Fatalf("secret of %s: %v", name, err)
			}
		}
		_, err = db.CredentialSecret(ctx, "nope")
		wantCode(t, err, ferry.ENOTFOUND)

		// Paging, in name order.
		var names []string
		page := ferry.Page{Limit: 2}
		for i := 0; i < 5; i++ {
			items, next, err := db.ListCredentials(ctx, page)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range items {
				if c.Secret != nil {
					t.Error("a listed credential carries its secret")
				}
				names = append(names, c.Name)
			}
			if next == "" {
				break
			}
			page.Cursor = next
		}
		if join(names) != "bb ci deploy" {
			t.Errorf("listed %q", join(names))
		}
	})
}

// TestCredentialsSealedAtRest reads the raw column: it must hold neither the plaintext nor
// anything that opens for another credential or under another key.
func TestCredentialsSealedAtRest(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		key := newSSHCredential(t, "deploy")
		token := &ferry.Credential{Name: "ci", Kind: ferry.CredentialToken, Secret: &ferry.CredentialSecret{Token: "ghp_plaintext_token_value"}}
		for _, c := range []*ferry.Credential{key, token} {
			if err := db.CreateCredential(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		raw, err := sqlstore.RawCredentialSecret(db, "ci")
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(raw, []byte("ghp_plaintext_token_value")) || bytes.Contains(raw, []byte("token")) {
			t.Fatalf("the stored secret shows its plaintext: %q", raw)
		}
		if _, err := testBox.Open(raw, []byte("credential/ci")); err != nil {
			t.Fatalf("the stored secret is not sealed with the box: %v", err)
		}
		raw, _ = sqlstore.RawCredentialSecret(db, "deploy")
		if bytes.Contains(raw, []byte("OPENSSH")) || bytes.Contains(raw, key.Secret.PrivateKey[40:80]) {
			t.Fatal("the stored private key is in plaintext")
		}

		// A sealed secret moved to another row does not open there.
		if err := sqlstore.SwapCredentialSecrets(db, "ci", "deploy"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.CredentialSecret(ctx, "ci"); !errors.Is(err, secretbox.ErrWrongKey) {
			t.Fatalf("a swapped secret opened: %v", err)
		}
	})
}

func TestCredentialUpdateAndRotate(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		old := newSSHCredential(t, "deploy")
		if err := db.CreateCredential(ctx, old); err != nil {
			t.Fatal(err)
		}
		oldKey := old.Secret.PrivateKey

		fresh := newSSHCredential(t, "deploy")
		if err := db.UpdateCredential(ctx, fresh); err != nil {
			t.Fatal(err)
		}
		if fresh.Fingerprint == old.Fingerprint || !fresh.RotatedAt.Equal(fixedNow) || !fresh.CreatedAt.Equal(fixedNow) || fresh.ID != old.ID {
			t.Fatalf("rotated %+v", fresh)
		}
		got, _ := db.FindCredential(ctx, "deploy")
		if got.PublicKey != fresh.PublicKey || got.Fingerprint != fresh.Fingerprint {
			t.Fatalf("after rotation find = %+v", got)
		}
		s, err := db.CredentialSecret(ctx, "deploy")
		if err != nil || bytes.Equal(s.PrivateKey, oldKey) || !bytes.Equal(s.PrivateKey, fresh.Secret.PrivateKey) {
			t.Fatalf("after rotation the secret is not the new key: %v", err)
		}
		signer, err := sshkey.Signer(s.PrivateKey)
		if err != nil || !strings.HasPrefix(fresh.PublicKey, signer.PublicKey().Type()) {
			t.Fatalf("the current private key does not match the public key: %v", err)
		}

		// A username change keeps the secret and the rotation time.
		tok := &ferry.Credential{Name: "ci", Kind: ferry.CredentialToken, Username: "a", Secret: &ferry.CredentialSecret{Token: "t1"}}
		if err := db.CreateCredential(ctx, tok); err != nil {
			t.Fatal(err)
		}
		upd := &ferry.Credential{Name: "ci", Kind: ferry.CredentialToken, Username: "b"}
		if err := db.UpdateCredential(ctx, upd); err != nil {
			t.Fatal(err)
		}
		if upd.Username != "b" || !upd.RotatedAt.IsZero() {
			t.Errorf("updated %+v", upd)
		}
		if s, _ := db.CredentialSecret(ctx, "ci"); s.Token != "t1" {
			t.Errorf("a username change lost the token")
		}
		wantCode(t, db.UpdateCredential(ctx, &ferry.Credential{Name: "ci", Kind: ferry.CredentialBasic}), ferry.ECONFLICT)
		wantCode(t, db.UpdateCredential(ctx, &ferry.Credential{Name: "nope", Kind: ferry.CredentialToken}), ferry.ENOTFOUND)
	})
}

func TestCredentialDelete(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		if err := db.CreateCredential(ctx, newSSHCredential(t, "deploy")); err != nil {
			t.Fatal(err)
		}
		for _, r := range []string{"binding dev:/config", "binding qa:/"} {
			if err := sqlstore.AddCredentialRef(db, "deploy", r); err != nil {
				t.Fatal(err)
			}
		}
		err := db.DeleteCredential(ctx, "deploy")
		wantCode(t, err, ferry.ECONFLICT)
		if msg := ferry.ErrorMessage(err); !strings.Contains(msg, "binding dev:/config, binding qa:/") {
			t.Errorf("in-use message %q does not say what uses it", msg)
		}
		if _, err := db.FindCredential(ctx, "deploy"); err != nil {
			t.Fatalf("a refused delete deleted: %v", err)
		}
		if err := sqlstore.RemoveCredentialRefs(db, "deploy"); err != nil {
			t.Fatal(err)
		}
		if err := db.DeleteCredential(ctx, "deploy"); err != nil {
			t.Fatal(err)
		}
		_, err = db.FindCredential(ctx, "deploy")
		wantCode(t, err, ferry.ENOTFOUND)
		wantCode(t, db.DeleteCredential(ctx, "deploy"), ferry.ENOTFOUND)
		// The name is free again.
		if err := db.CreateCredential(ctx, newSSHCredential(t, "deploy")); err != nil {
			t.Fatal(err)
		}
	})
}

// TestWrongMasterKey reopens a database with another key: the start-up check refuses it
// with a clear error, and no secret opens as garbage.
func TestWrongMasterKey(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	right := mustBox(bytes.Repeat([]byte{1}, 32))
	wrong := mustBox(bytes.Repeat([]byte{2}, 32))
	open := func(box *secretbox.Box) *sqlstore.DB {
		db, err := sqlstore.Open(ctx, sqlstore.Config{DataDir: dir, Sealer: box, Now: func() time.Time { return fixedNow }})
		if err != nil {
			t.Fatal(err)
		}
		return db
	}
	db := open(right)
	if err := secretbox.CheckKey(ctx, db, right); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateCredential(ctx, &ferry.Credential{Name: "ci", Kind: "token", Secret: &ferry.CredentialSecret{Token: "t"}}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db = open(wrong)
	defer db.Close()
	err := secretbox.CheckKey(ctx, db, wrong)
	if !errors.Is(err, secretbox.ErrWrongKey) || !strings.Contains(err.Error(), "original key") {
		t.Fatalf("check with the wrong key: %v", err)
	}
	if s, err := db.CredentialSecret(ctx, "ci"); !errors.Is(err, secretbox.ErrWrongKey) || s != nil {
		t.Fatalf("secret under the wrong key: %v", err)
	}
}

func TestCredentialsWithoutSealer(t *testing.T) {
	db, err := sqlstore.Open(context.Background(), sqlstore.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.CreateCredential(context.Background(), &ferry.Credential{Name: "ci", Kind: "token", Secret: &ferry.CredentialSecret{Token: "t"}})
	wantCode(t, err, ferry.EUNAVAILABLE)
}
