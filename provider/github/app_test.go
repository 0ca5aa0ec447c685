package github_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/provider/github"
	pt "github.com/ferrygit/ferry/provider/providertest"
)

// installationToken is the token in rest-create-installation-access-token.json.
const installationToken = "ghs_16C7e42F292c6912E7710c838347Ae178B4a"

// tokenExpiry is its expires_at.
var tokenExpiry = time.Date(2016, 7, 11, 22, 14, 10, 0, time.UTC)

// appEnv is a GitHub App credential connected to a fake GitHub that checks every App JWT.
type appEnv struct {
	*pt.Env
	mints atomic.Int32
}

func connectApp(t *testing.T, appID string) (*appEnv, *rsa.PrivateKey) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	cred := ferry.Credential{Name: "gh-app", Kind: ferry.CredentialGitHubApp, AppID: appID, InstallationID: "1",
		UpdatedAt: time.Date(2016, 7, 1, 0, 0, 0, 0, time.UTC)}
	env := &appEnv{Env: pt.Connect(t, github.New, ferry.ProviderGitHub, ferry.Provider{Name: "acme-app", Owner: "octocat"}, "", cred,
		ferry.CredentialSecret{PrivateKey: keyPEM})}
	env.Clock.Set(tokenExpiry.Add(-time.Hour)) // the recorded token is fresh
	env.Server.Handle("POST /app/installations/1/access_tokens", func(w http.ResponseWriter, r *http.Request) {
		env.mints.Add(1)
		checkJWT(t, r, &key.PublicKey, appID, env.Clock.Now())
		pt.Reply(201, pt.Fixture(t, "rest-create-installation-access-token.json"))(w, r)
	})
	return env, key
}

// checkJWT verifies the App JWT a request carries: RS256 signed with the App's key,
// issued by the App, issued a minute ago and good for at most 10 minutes.
func checkJWT(t *testing.T, r *http.Request, pub *rsa.PublicKey, appID string, now time.Time) {
	t.Helper()
	jwt, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	parts := strings.Split(jwt, ".")
	if !ok || len(parts) != 3 {
		t.Fatalf("%s %s: Authorization is not a bearer JWT: %q", r.Method, r.URL.Path, r.Header.Get("Authorization"))
	}
	var header struct{ Alg, Typ string }
	decodePart(t, parts[0], &header)
	if header.Alg != "RS256" || header.Typ != "JWT" {
		t.Errorf("JWT header = %+v", header)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig); err != nil {
		t.Errorf("the JWT's signature does not verify: %v", err)
	}
	var claims map[string]any
	decodePart(t, parts[1], &claims)
	iat, _ := claims["iat"].(float64)
	exp, _ := claims["exp"].(float64)
	if want := float64(now.Add(-time.Minute).Unix()); iat != want {
		t.Errorf("iat = %v, want %v (a minute ago, for clock drift)", iat, want)
	}
	if exp <= float64(now.Unix()) || exp-iat > 600 {
		t.Errorf("exp = %v with iat %v: expired or longer than 10 minutes", exp, iat)
	}
	var wantIss any = appID
	if appID == "1" {
		wantIss = float64(1) // a numeric App id is sent as a number
	}
	if claims["iss"] != wantIss {
		t.Errorf("iss = %#v, want %#v", claims["iss"], wantIss)
	}
}

func decodePart(t *testing.T, part string, v any) {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(part)
	if err != nil || json.Unmarshal(b, v) != nil {
		t.Fatalf("JWT part %q does not decode: %v", part, err)
	}
}

func TestAppInstallationToken(t *testing.T) {
	ctx := context.Background()
	env, _ := connectApp(t, "1")
	env.Server.Handle("GET /installation/repositories", pt.Reply(200, pt.Fixture(t, "rest-list-installation-repos.json")))
	for i := 0; i < 3; i++ {
		page, err := env.Client.ListRepositories(ctx, "", "")
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Repositories) != 1 || page.Repositories[0].FullName != "octocat/Hello-World" {
			t.Fatalf("repositories = %+v", page.Repositories)
		}
	}
	if n := env.mints.Load(); n != 1 {
		t.Errorf("%d tokens minted for 3 calls, want 1: the token is cached", n)
	}
	for _, r := range env.Server.Requests() {
		if r.Path == "/installation/repositories" {
			pt.WantRequest(t, r, "GET", "/installation/repositories", url.Values{"per_page": {"100"}})
			if got := r.Header.Get("Authorization"); got != "Bearer "+installationToken {
				t.Errorf("Authorization = %q, want the installation token", got)
			}
		}
	}
	mint := env.Server.Requests()[0]
	if mint.Header.Get("Accept") != "application/vnd.github+json" || mint.Header.Get("X-GitHub-Api-Version") != github.APIVersion {
		t.Errorf("mint headers = %v", mint.Header)
	}

	// Five minutes before it expires the token is replaced.
	env.Clock.Set(tokenExpiry.Add(-4 * time.Minute))
	env.Server.Handle("POST /app/installations/1/access_tokens", func(w http.ResponseWriter, r *http.Request) {
		env.mints.Add(1)
		pt.Reply(201, pt.Edit(t, pt.Fixture(t, "rest-create-installation-access-token.json"), func(v any) any {
			v.(map[string]any)["expires_at"] = tokenExpiry.Add(time.Hour).Format(time.RFC3339)
			return v
		}))(w, r)
	})
	for i := 0; i < 2; i++ {
		if _, err := env.Client.ListRepositories(ctx, "", ""); err != nil {
			t.Fatal(err)
		}
	}
	if n := env.mints.Load(); n != 2 {
		t.Errorf("%d tokens minted, want 2: one refresh before expiry, then cached", n)
	}
}

func TestAppOnlyOwnersRepositories(t *testing.T) {
	env, _ := connectApp(t, "Iv1.8a61f9b3a7aba766")
	env.Provider.Owner = "someone-else"
	env.Server.Handle("GET /installation/repositories", pt.Reply(200, pt.Fixture(t, "rest-list-installation-repos.json")))
	c, err := env.Registry.Connect(context.Background(), env.Provider)
	if err != nil {
		t.Fatal(err)
	}
	page, err := c.ListRepositories(context.Background(), "", "")
	if err != nil || len(page.Repositories) != 0 {
		t.Errorf("repositories of another owner = %+v, %v", page, err)
	}
}

func TestAppValidate(t *testing.T) {
	ctx := context.Background()
	env, key := connectApp(t, "1")
	env.Server.Handle("GET /app", func(w http.ResponseWriter, r *http.Request) {
		checkJWT(t, r, &key.PublicKey, "1", env.Clock.Now())
		pt.Reply(200, pt.Fixture(t, "rest-get-app.json"))(w, r)
	})
	// The recorded installation grants issues:write and contents:read only.
	st, err := env.Client.Validate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"administration:write", "metadata:read", "repository_hooks:write"}
	if st.Valid || st.Login != "octoapp" || strings.Join(st.Missing, ",") != strings.Join(want, ",") ||
		!strings.Contains(st.Message, "lacks administration:write, metadata:read, repository_hooks:write") {
		t.Errorf("status = %+v, want missing %v", st, want)
	}

	env.Server.Handle("POST /app/installations/1/access_tokens", pt.Reply(201, pt.Edit(t, pt.Fixture(t, "rest-create-installation-access-token.json"), func(v any) any {
		v.(map[string]any)["permissions"] = map[string]any{"administration": "write", "contents": "write", "metadata": "read", "repository_hooks": "admin"}
		return v
	})))
	st, err = env.Client.Validate(ctx)
	if err != nil || !st.Valid || len(st.Missing) != 0 {
		t.Errorf("status = %+v, %v; want valid", st, err)
	}

	env.Server.Handle("POST /app/installations/1/access_tokens", pt.Reply(404, []byte(`{"message":"Not Found"}`)))
	st, err = env.Client.Validate(ctx)
	if err != nil || st.Valid || !strings.Contains(st.Message, "no installation 1") {
		t.Errorf("status = %+v, %v; want an unknown installation", st, err)
	}
	env.Server.Handle("GET /app", pt.Reply(401, []byte(`{"message":"A JSON web token could not be decoded"}`)))
	st, err = env.Client.Validate(ctx)
	if err != nil || st.Valid || !strings.Contains(st.Message, "refused the credential") {
		t.Errorf("status = %+v, %v; want a refused key", st, err)
	}
}
