package ferry_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/ferrygit/ferry"
)

func TestCredentialValidate(t *testing.T) {
	key := &ferry.CredentialSecret{PrivateKey: []byte("pem")}
	tests := []struct {
		name string
		c    ferry.Credential
		want string // "" for valid, else a fragment of the message
	}{
		{"ssh key", ferry.Credential{Name: "deploy", Kind: "ssh-key", PublicKey: "ssh-ed25519 AAAA", Fingerprint: "SHA256:x", Secret: key}, ""},
		{"token", ferry.Credential{Name: "ci", Kind: "token", Secret: &ferry.CredentialSecret{Token: "t"}}, ""},
		{"basic", ferry.Credential{Name: "b", Kind: "basic", Username: "u", Secret: &ferry.CredentialSecret{Password: "p"}}, ""},
		{"bad name", ferry.Credential{Name: "Deploy", Kind: "token", Secret: &ferry.CredentialSecret{Token: "t"}}, "Credential name"},
		{"no name", ferry.Credential{Kind: "token", Secret: &ferry.CredentialSecret{Token: "t"}}, "required"},
		{"no kind", ferry.Credential{Name: "a", Secret: key}, "Kind is required"},
		{"unknown kind", ferry.Credential{Name: "a", Kind: "password", Secret: key}, `"password" is not one of`},
		{"github app without ids", ferry.Credential{Name: "a", Kind: "github-app", Secret: key}, "app_id"},
		{"github app without installation", ferry.Credential{Name: "a", Kind: "github-app", AppID: "42", Secret: key}, "installation_id"},
		{"github app with a bad key", ferry.Credential{Name: "a", Kind: "github-app", AppID: "Iv1.abc", InstallationID: "7", Secret: key}, "not PEM"},
		{"no secret", ferry.Credential{Name: "a", Kind: "token"}, "no secret"},
		{"empty token", ferry.Credential{Name: "a", Kind: "token", Secret: &ferry.CredentialSecret{}}, "needs a token"},
		{"basic without user", ferry.Credential{Name: "a", Kind: "basic", Secret: &ferry.CredentialSecret{Password: "p"}}, "username and a password"},
		{"key without public", ferry.Credential{Name: "a", Kind: "ssh-key", Secret: key}, "key pair"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.c.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if ferry.ErrorCode(err) != ferry.EINVALID || !strings.Contains(ferry.ErrorMessage(err), tt.want) {
				t.Fatalf("err = %v, want EINVALID with %q", err, tt.want)
			}
		})
	}
}

// TestCredentialSecretNeverShown checks that no ordinary way of printing a credential or its
// secret shows the secret, while MarshalBinary round-trips it.
func TestCredentialSecretNeverShown(t *testing.T) {
	secret := &ferry.CredentialSecret{PrivateKey: []byte("PRIVATE-KEY-BYTES"), Token: "tok-3141", Password: "pw-2718"}
	c := &ferry.Credential{Name: "x", Kind: "token", Secret: secret}
	j, _ := json.Marshal(c)
	js, _ := json.Marshal(secret)
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "secret", secret, "value", *secret, "credential", c)
	shown := strings.Join([]string{string(j), string(js), logs.String(),
		fmt.Sprintf("%v %+v %s %#v", secret, *secret, secret, *secret), fmt.Sprintf("%+v", c)}, "\n")
	for _, s := range []string{"PRIVATE-KEY-BYTES", "tok-3141", "pw-2718", "UFJJVkFURS1LRVktQllURVM"} {
		if strings.Contains(shown, s) {
			t.Errorf("%s shown in:\n%s", s, shown)
		}
	}

	b, err := secret.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var back ferry.CredentialSecret
	if err := back.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if string(back.PrivateKey) != "PRIVATE-KEY-BYTES" || back.Token != "tok-3141" || back.Password != "pw-2718" {
		t.Errorf("round trip lost the secret")
	}
}
