package ferry_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/ferrygit/ferry"
)

func TestProviderValidate(t *testing.T) {
	tests := []struct {
		name    string
		p       ferry.Provider
		want    string // "" for valid, else a fragment of the message
		baseURL string // the normalised base URL, when valid
	}{
		{"github default", ferry.Provider{Name: "acme-gh", Kind: "github", Owner: "acme", Credential: "gh"}, "", "https://api.github.com"},
		{"github enterprise", ferry.Provider{Name: "ghe", Kind: "github", BaseURL: "https://GHE.example.com/api/v3/", Owner: "acme", Credential: "gh"}, "", "https://ghe.example.com/api/v3"},
		{"gitlab subgroup", ferry.Provider{Name: "gl", Kind: "gitlab", Owner: "acme/platform/config", Credential: "gl"}, "", "https://gitlab.com"},
		{"gitlab id", ferry.Provider{Name: "gl", Kind: "gitlab", Owner: "120836", Credential: "gl"}, "", "https://gitlab.com"},
		{"bitbucket cloud project", ferry.Provider{Name: "bb", Kind: "bitbucket-cloud", Owner: "acme", ProjectKey: "OPS", Credential: "bb"}, "", "https://api.bitbucket.org"},
		{"bitbucket server port", ferry.Provider{Name: "bbs", Kind: "bitbucket-server", BaseURL: "https://git.example.com:7990/bitbucket", Owner: "PRJ", Credential: "bb"}, "", "https://git.example.com:7990/bitbucket"},
		{"azure", ferry.Provider{Name: "az", Kind: "azure-devops", Owner: "fabrikam/Fabrikam Fiber", Credential: "az"}, "", "https://dev.azure.com"},
		{"gitea http", ferry.Provider{Name: "gt", Kind: "gitea", BaseURL: "http://gitea.internal:3000", Owner: "ops", Credential: "gt"}, "", "http://gitea.internal:3000"},
		{"default port dropped", ferry.Provider{Name: "gt", Kind: "gitea", BaseURL: "https://git.example.com:443", Owner: "ops", Credential: "gt"}, "", "https://git.example.com"},

		{"no name", ferry.Provider{Kind: "github", Owner: "a", Credential: "c"}, "Provider name", ""},
		{"bad name", ferry.Provider{Name: "Acme", Kind: "github", Owner: "a", Credential: "c"}, "Provider name", ""},
		{"no kind", ferry.Provider{Name: "p", Owner: "a", Credential: "c"}, "Kind is required", ""},
		{"unknown kind", ferry.Provider{Name: "p", Kind: "svn", Owner: "a", Credential: "c"}, `"svn" is not one of github, gitlab, bitbucket-cloud`, ""},
		{"self-hosted without URL", ferry.Provider{Name: "p", Kind: "bitbucket-server", Owner: "a", Credential: "c"}, "needs base_url", ""},
		{"no owner", ferry.Provider{Name: "p", Kind: "github", Credential: "c"}, "owner is required: the organization", ""},
		{"owner with slash", ferry.Provider{Name: "p", Kind: "gitea", BaseURL: "https://g.example.com", Owner: "a/b", Credential: "c"}, "single name", ""},
		{"owner with space", ferry.Provider{Name: "p", Kind: "github", Owner: "a b", Credential: "c"}, "single name", ""},
		{"owner with dot-dot", ferry.Provider{Name: "p", Kind: "gitlab", Owner: "a/../b", Credential: "c"}, "'..'", ""},
		{"owner with control", ferry.Provider{Name: "p", Kind: "github", Owner: "a\nb", Credential: "c"}, "control character", ""},
		{"owner with dash", ferry.Provider{Name: "p", Kind: "github", Owner: "-a", Credential: "c"}, "starts with '-'", ""},
		{"long owner", ferry.Provider{Name: "p", Kind: "github", Owner: strings.Repeat("a", 257), Credential: "c"}, "at most 256", ""},
		{"azure without project", ferry.Provider{Name: "p", Kind: "azure-devops", Owner: "fabrikam", Credential: "c"}, "organization/project", ""},
		{"azure too deep", ferry.Provider{Name: "p", Kind: "azure-devops", Owner: "a/b/c", Credential: "c"}, "organization/project", ""},
		{"project key elsewhere", ferry.Provider{Name: "p", Kind: "github", Owner: "a", ProjectKey: "K", Credential: "c"}, "only to bitbucket-cloud", ""},
		{"bad project key", ferry.Provider{Name: "p", Kind: "bitbucket-cloud", Owner: "a", ProjectKey: `K"`, Credential: "c"}, "Project key", ""},
		{"no credential", ferry.Provider{Name: "p", Kind: "github", Owner: "a"}, "credential is required", ""},
		{"bad credential", ferry.Provider{Name: "p", Kind: "github", Owner: "a", Credential: "Bad"}, "Credential name", ""},
		{"ssh URL", ferry.Provider{Name: "p", Kind: "gitea", BaseURL: "ssh://git@g.example.com", Owner: "a", Credential: "c"}, "https://", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.p.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if tt.p.BaseURL != tt.baseURL {
					t.Errorf("base URL = %q, want %q", tt.p.BaseURL, tt.baseURL)
				}
				return
			}
			if ferry.ErrorCode(err) != ferry.EINVALID || !strings.Contains(ferry.ErrorMessage(err), tt.want) {
				t.Fatalf("err = %v, want EINVALID with %q", err, tt.want)
			}
		})
	}
}

func TestParseProviderURL(t *testing.T) {
	for _, tc := range []struct{ raw, want string }{
		{"https://api.github.com", ""},
		{"https://[::1]:8443/api", ""},
		{"", "must start with https://"},
		{"api.github.com", "must start with https://"},
		{"file:///etc/passwd", "must start with https://"},
		{"https://", "no host"},
		{"https://host:/x", "empty port"},
		{"https://host:99999", "invalid port"},
		{"https://user:s3cr3t-pw@host", "credential instead"},
		{"https://host/a?b=c", "query or fragment"},
		{"https://host/#frag", "query or fragment"},
		{"https://host/a/../b", `".." path segment`},
		{"https://ho st", "white space"},
		{"https://host/\x00", "control character"},
		{"https://-host", "invalid host name"},
	} {
		u, err := ferry.ParseProviderURL(tc.raw)
		if tc.want == "" {
			if err != nil || strings.HasSuffix(u.String(), "/") {
				t.Errorf("ParseProviderURL(%q) = %v, %v", tc.raw, u, err)
			}
			continue
		}
		if ferry.ErrorCode(err) != ferry.EINVALID || !strings.Contains(ferry.ErrorMessage(err), tc.want) {
			t.Errorf("ParseProviderURL(%q) = %v, want EINVALID with %q", tc.raw, err, tc.want)
		}
		if strings.Contains(ferry.ErrorMessage(err), "s3cr3t-pw") {
			t.Errorf("the message shows the password: %s", ferry.ErrorMessage(err))
		}
	}
}

func FuzzParseProviderURL(f *testing.F) {
	for _, s := range []string{"https://api.github.com", "http://10.0.0.1:3000/gitea/", "https://u:p@h", "https://h/%2e%2e/x", "https://[::1]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := ferry.ParseProviderURL(raw)
		if err != nil {
			if ferry.ErrorCode(err) != ferry.EINVALID {
				t.Fatalf("error %v is not EINVALID", err)
			}
			return
		}
		s := u.String()
		if u.Scheme != "https" && u.Scheme != "http" || u.Host == "" || u.User != "" || strings.HasSuffix(s, "/") {
			t.Fatalf("ParseProviderURL(%q) = %q", raw, s)
		}
		// The canonical form parses to itself.
		again, err := ferry.ParseProviderURL(s)
		if err != nil || again.String() != s {
			t.Fatalf("%q → %q → %v, %v", raw, s, again, err)
		}
	})
}

func TestValidateRepositoryName(t *testing.T) {
	for _, ok := range []string{"payments-config", "a", "Repo_1.x", strings.Repeat("a", 100)} {
		if err := ferry.ValidateRepositoryName(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", ".hidden", "-x", "a/b", "a b", "repo.git", "é", strings.Repeat("a", 101), "..", "a\n"} {
		if err := ferry.ValidateRepositoryName(bad); ferry.ErrorCode(err) != ferry.EINVALID {
			t.Errorf("%q: err = %v, want EINVALID", bad, err)
		}
	}
}

func rsaKey(t *testing.T, bits int) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestGitHubAppCredential(t *testing.T) {
	key := rsaKey(t, 2048)
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	pkcs8 := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	small := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey(t, 1024))})
	for _, tc := range []struct {
		name string
		c    ferry.Credential
		want string
	}{
		{"pkcs1", ferry.Credential{Name: "app", Kind: "github-app", AppID: "12345", InstallationID: "678", Secret: &ferry.CredentialSecret{PrivateKey: pkcs1}}, ""},
		{"pkcs8 and client id", ferry.Credential{Name: "app", Kind: "github-app", AppID: "Iv1.8a61f9b3a7aba766", InstallationID: "1", Secret: &ferry.CredentialSecret{PrivateKey: pkcs8}}, ""},
		{"small key", ferry.Credential{Name: "app", Kind: "github-app", AppID: "1", InstallationID: "1", Secret: &ferry.CredentialSecret{PrivateKey: small}}, "at least 2048"},
		{"bad app id", ferry.Credential{Name: "app", Kind: "github-app", AppID: "1 2", InstallationID: "1", Secret: &ferry.CredentialSecret{PrivateKey: pkcs1}}, "app_id"},
		{"zero installation", ferry.Credential{Name: "app", Kind: "github-app", AppID: "1", InstallationID: "0", Secret: &ferry.CredentialSecret{PrivateKey: pkcs1}}, "installation_id"},
		{"not a number", ferry.Credential{Name: "app", Kind: "github-app", AppID: "1", InstallationID: "x", Secret: &ferry.CredentialSecret{PrivateKey: pkcs1}}, "installation_id"},
		{"garbage key", ferry.Credential{Name: "app", Kind: "github-app", AppID: "1", InstallationID: "1", Secret: &ferry.CredentialSecret{PrivateKey: []byte("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n")}}, "does not parse"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.c.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if ferry.ErrorCode(err) != ferry.EINVALID || !strings.Contains(ferry.ErrorMessage(err), tc.want) {
				t.Fatalf("err = %v, want EINVALID with %q", err, tc.want)
			}
			if strings.Contains(ferry.ErrorMessage(err), "PRIVATE KEY") {
				t.Error("the message shows the key")
			}
		})
	}
}
