package sqlstore_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/sqlstore"
)

func TestProviders(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		if err := db.CreateCredential(ctx, &ferry.Credential{Name: "gh-pat", Kind: ferry.CredentialToken, Secret: &ferry.CredentialSecret{Token: "ghp_store"}}); err != nil {
			t.Fatal(err)
		}
		p := &ferry.Provider{Name: "acme-gh", Kind: ferry.ProviderGitHub, Owner: "acme", Credential: "gh-pat"}
		if err := db.CreateProvider(ctx, p); err != nil {
			t.Fatal(err)
		}
		if p.ID == 0 || p.BaseURL != "https://api.github.com" || !p.CreatedAt.Equal(fixedNow) || p.Status.CheckedAt != nil {
			t.Fatalf("created %+v", p)
		}
		wantCode(t, db.CreateProvider(ctx, &ferry.Provider{Name: "acme-gh", Kind: "github", Owner: "x", Credential: "gh-pat"}), ferry.ECONFLICT)
		wantCode(t, db.CreateProvider(ctx, &ferry.Provider{Name: "other", Kind: "github", Owner: "x", Credential: "nope"}), ferry.ENOTFOUND)
		wantCode(t, db.CreateProvider(ctx, &ferry.Provider{Name: "Bad", Kind: "github", Owner: "x", Credential: "gh-pat"}), ferry.EINVALID)
		gl := &ferry.Provider{Name: "acme-gl", Kind: ferry.ProviderGitLab, BaseURL: "https://gitlab.example.com/", Owner: "acme/platform", Credential: "gh-pat"}
		if err := db.CreateProvider(ctx, gl); err != nil {
			t.Fatal(err)
		}

		got, err := db.FindProvider(ctx, "acme-gl")
		if err != nil || got.BaseURL != "https://gitlab.example.com" || got.Owner != "acme/platform" || got.Credential != "gh-pat" || got.Kind != "gitlab" {
			t.Fatalf("find = %+v, %v", got, err)
		}
		_, err = db.FindProvider(ctx, "nope")
		wantCode(t, err, ferry.ENOTFOUND)

		// A credential in use by a provider cannot be deleted.
		err = db.DeleteCredential(ctx, "gh-pat")
		wantCode(t, err, ferry.ECONFLICT)
		if !strings.Contains(ferry.ErrorMessage(err), "provider acme-gh") {
			t.Errorf("message = %q", ferry.ErrorMessage(err))
		}

		// Status.
		checked := fixedNow.Add(time.Minute)
		st := ferry.ProviderStatus{Valid: false, CheckedAt: &checked, Login: "octocat", Missing: []string{"admin:repo_hook"}, Message: "lacks admin:repo_hook"}
		if err := db.SetProviderStatus(ctx, "acme-gh", st); err != nil {
			t.Fatal(err)
		}
		got, _ = db.FindProvider(ctx, "acme-gh")
		if got.Status.Valid || !got.Status.CheckedAt.Equal(checked) || got.Status.Login != "octocat" || strings.Join(got.Status.Missing, ",") != "admin:repo_hook" || got.Status.Message != st.Message {
			t.Fatalf("status = %+v", got.Status)
		}
		wantCode(t, db.SetProviderStatus(ctx, "nope", st), ferry.ENOTFOUND)

		// Paging, in name order.
		items, next, err := db.ListProviders(ctx, ferry.Page{Limit: 1})
		if err != nil || len(items) != 1 || items[0].Name != "acme-gh" || next == "" {
			t.Fatalf("page 1 = %v, %q, %v", items, next, err)
		}
		items, next, err = db.ListProviders(ctx, ferry.Page{Limit: 1, Cursor: next})
		if err != nil || len(items) != 1 || items[0].Name != "acme-gl" || next != "" {
			t.Fatalf("page 2 = %v, %q, %v", items, next, err)
		}

		// Repository cache.
		l, err := db.FindRepositoryList(ctx, "acme-gh")
		if err != nil || l.FetchedAt != nil || len(l.Repositories) != 0 || l.Repositories == nil {
			t.Fatalf("empty cache = %+v, %v", l, err)
		}
		_, err = db.FindRepositoryList(ctx, "nope")
		wantCode(t, err, ferry.ENOTFOUND)
		fetched := fixedNow.Add(time.Hour)
		l = &ferry.RepositoryList{FetchedAt: &fetched, Pages: []ferry.RepositoryPage{
			{Page: "", Next: "2", ETag: `W/"1"`, Repositories: []ferry.Repository{{Name: "a", FullName: "acme/a", Private: true}}},
			{Page: "2", ETag: `W/"2"`, Repositories: []ferry.Repository{{Name: "b", FullName: "acme/b", CloneHTTPS: "https://github.com/acme/b.git"}}},
		}}
		for i := 0; i < 2; i++ { // the second save replaces the first
			if err := db.SaveRepositoryList(ctx, "acme-gh", l); err != nil {
				t.Fatal(err)
			}
		}
		got2, err := db.FindRepositoryList(ctx, "acme-gh")
		if err != nil || !got2.FetchedAt.Equal(fetched) || len(got2.Repositories) != 2 || got2.Repositories[1].CloneHTTPS != "https://github.com/acme/b.git" ||
			!got2.Repositories[0].Private || len(got2.Pages) != 2 || got2.Pages[1].ETag != `W/"2"` || got2.Pages[0].Next != "2" {
			t.Fatalf("cache = %+v, %v", got2, err)
		}
		wantCode(t, db.SaveRepositoryList(ctx, "nope", l), ferry.ENOTFOUND)

		// Deleting a provider removes its cache and its hold on the credential.
		for _, name := range []string{"acme-gh", "acme-gl"} {
			if err := db.DeleteProvider(ctx, name); err != nil {
				t.Fatal(err)
			}
		}
		wantCode(t, db.DeleteProvider(ctx, "acme-gh"), ferry.ENOTFOUND)
		if err := db.CreateProvider(ctx, &ferry.Provider{Name: "acme-gh", Kind: "github", Owner: "acme", Credential: "gh-pat"}); err != nil {
			t.Fatal(err)
		}
		if l, err := db.FindRepositoryList(ctx, "acme-gh"); err != nil || l.FetchedAt != nil {
			t.Errorf("a new provider of the same name has the old cache: %+v, %v", l, err)
		}
		if err := db.DeleteProvider(ctx, "acme-gh"); err != nil {
			t.Fatal(err)
		}
		if err := db.DeleteCredential(ctx, "gh-pat"); err != nil {
			t.Errorf("delete the credential after its providers: %v", err)
		}
	})
}

func TestGitHubAppCredential(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		key := rsaKeyPEM(t)
		c := &ferry.Credential{Name: "app", Kind: ferry.CredentialGitHubApp, AppID: "12345", InstallationID: "678",
			Fingerprint: "SHA256:abc", Algorithm: "rsa-2048", Secret: &ferry.CredentialSecret{PrivateKey: key}}
		if err := db.CreateCredential(ctx, c); err != nil {
			t.Fatal(err)
		}
		got, err := db.FindCredential(ctx, "app")
		if err != nil || got.AppID != "12345" || got.InstallationID != "678" || got.Fingerprint != "SHA256:abc" || got.Secret != nil {
			t.Fatalf("find = %+v, %v", got, err)
		}
		s, err := db.CredentialSecret(ctx, "app")
		if err != nil || string(s.PrivateKey) != string(key) {
			t.Fatalf("secret: %v", err)
		}
		raw, _ := sqlstore.RawCredentialSecret(db, "app")
		if strings.Contains(string(raw), "PRIVATE KEY") {
			t.Error("the App's key is stored in plain text")
		}
		got.InstallationID = "679"
		got.Secret = nil
		if err := db.UpdateCredential(ctx, got); err != nil || got.InstallationID != "679" {
			t.Fatalf("update = %+v, %v", got, err)
		}
	})
}

// rsaKeyPEM returns a new 2048-bit RSA key, PKCS #1 PEM, as GitHub hands App keys out.
func rsaKeyPEM(t *testing.T) []byte {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
}

// A provider that bindings were made through cannot be deleted: the refusal names up to 10
// of them as namespace/name and changes nothing.
func TestDeleteProviderInUse(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		if err := db.CreateCredential(ctx, &ferry.Credential{Name: "gh-pat", Kind: ferry.CredentialToken, Secret: &ferry.CredentialSecret{Token: "ghp_store"}}); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"acme-gh", "other-gh"} {
			if err := db.CreateProvider(ctx, &ferry.Provider{Name: name, Kind: ferry.ProviderGitHub, Owner: "acme", Credential: "gh-pat"}); err != nil {
				t.Fatal(err)
			}
		}
		mustCreateNamespace(t, db, "dev")
		mustCreateNamespace(t, db, "prod")
		var names []string
		for i := range 12 {
			ns := "dev"
			if i%2 == 1 {
				ns = "prod"
			}
			b := newBinding(ns, fmt.Sprintf("b%02d", i), fmt.Sprintf("/d%02d", i))
			b.Provider, b.Repository = "acme-gh", fmt.Sprintf("repo%02d", i)
			if err := db.CreateBinding(ctx, b); err != nil {
				t.Fatal(err)
			}
			names = append(names, ns+"/"+b.Name)
		}
		if err := db.CreateBinding(ctx, newBinding("dev", "plain", "/plain")); err != nil {
			t.Fatal(err)
		}
		slices.Sort(names)

		err := db.DeleteProvider(ctx, "acme-gh")
		wantCode(t, err, ferry.ECONFLICT)
		msg := ferry.ErrorMessage(err)
		for _, n := range names[:10] {
			if !strings.Contains(msg, n) {
				t.Errorf("message %q does not name %s", msg, n)
			}
		}
		for _, n := range append(names[10:], "dev/plain") {
			if strings.Contains(msg, n) {
				t.Errorf("message %q names %s", msg, n)
			}
		}
		if !strings.Contains(msg, "2 more") {
			t.Errorf("message %q does not count the rest", msg)
		}
		if _, err := db.FindProvider(ctx, "acme-gh"); err != nil {
			t.Fatalf("the refused delete removed the provider: %v", err)
		}
		wantCode(t, db.DeleteCredential(ctx, "gh-pat"), ferry.ECONFLICT)

		// Another provider, which no binding uses, goes.
		if err := db.DeleteProvider(ctx, "other-gh"); err != nil {
			t.Fatal(err)
		}

		// Once its bindings are gone, so does the provider.
		for _, n := range names {
			ns, name, _ := strings.Cut(n, "/")
			if err := db.DeleteBinding(ctx, ns, name); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.DeleteProvider(ctx, "acme-gh"); err != nil {
			t.Fatal(err)
		}
		wantCode(t, db.DeleteProvider(ctx, "acme-gh"), ferry.ENOTFOUND)
	})
}

// A binding is made through a provider that exists, and a provider deleted at the same
// moment as a binding is made through it never leaves that binding behind: either the
// binding is refused or the deletion is.
func TestBindingThroughProviderRacesDeletion(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		if err := db.CreateCredential(ctx, &ferry.Credential{Name: "gh-pat", Kind: ferry.CredentialToken, Secret: &ferry.CredentialSecret{Token: "ghp_race"}}); err != nil {
			t.Fatal(err)
		}
		mustCreateNamespace(t, db, "dev")
		b := newBinding("dev", "ghost", "/ghost")
		b.Provider, b.Repository = "nope", "repo"
		wantCode(t, db.CreateBinding(ctx, b), ferry.ENOTFOUND)

		for i := range 40 {
			name := fmt.Sprintf("p%02d", i)
			if err := db.CreateProvider(ctx, &ferry.Provider{Name: name, Kind: ferry.ProviderGitHub, Owner: "acme", Credential: "gh-pat"}); err != nil {
				t.Fatal(err)
			}
			b := newBinding("dev", "b"+name, "/"+name)
			b.Provider, b.Repository = name, "repo"
			var bindErr, delErr error
			var wg sync.WaitGroup
			wg.Add(2)
			go func() { defer wg.Done(); bindErr = db.CreateBinding(ctx, b) }()
			go func() { defer wg.Done(); delErr = db.DeleteProvider(ctx, name) }()
			wg.Wait()
			_, findErr := db.FindProvider(ctx, name)
			switch {
			case bindErr == nil && delErr == nil:
				t.Fatalf("round %d: the binding was made and its provider deleted", i)
			case bindErr == nil:
				wantCode(t, delErr, ferry.ECONFLICT)
				if findErr != nil {
					t.Fatalf("round %d: the provider of a binding is gone: %v", i, findErr)
				}
			case delErr == nil:
				wantCode(t, bindErr, ferry.ENOTFOUND)
			default:
				t.Fatalf("round %d: both failed: %v; %v", i, bindErr, delErr)
			}
		}
	})
}
