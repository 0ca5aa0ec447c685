package sshkey_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/sshkey"
)

// checkPair checks that a pair's public key parses, matches its private key and has the
// fingerprint it claims.
func checkPair(t *testing.T, p *sshkey.Pair, alg string) {
	t.Helper()
	pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(p.PublicKey))
	if err != nil {
		t.Fatalf("public key %q does not parse: %v", p.PublicKey, err)
	}
	if got := ssh.FingerprintSHA256(pub); got != p.Fingerprint || !strings.HasPrefix(got, "SHA256:") {
		t.Errorf("fingerprint %s, the public key's is %s", p.Fingerprint, got)
	}
	if p.Algorithm != alg {
		t.Errorf("algorithm %q, want %q", p.Algorithm, alg)
	}
	if !bytes.HasPrefix(p.PrivateKey, []byte("-----BEGIN OPENSSH PRIVATE KEY-----")) {
		t.Errorf("private key is not OpenSSH PEM: %.40q", p.PrivateKey)
	}
	signer, err := sshkey.Signer(p.PrivateKey)
	if err != nil {
		t.Fatalf("the stored private key does not parse unencrypted: %v", err)
	}
	if !bytes.Equal(signer.PublicKey().Marshal(), pub.Marshal()) {
		t.Error("the private key does not belong to the public key")
	}
}

func TestGenerate(t *testing.T) {
	for alg, typ := range map[string]string{sshkey.Ed25519: "ssh-ed25519", sshkey.RSA4096: "ssh-rsa"} {
		t.Run(alg, func(t *testing.T) {
			p, err := sshkey.Generate(alg)
			if err != nil {
				t.Fatal(err)
			}
			checkPair(t, p, alg)
			if !strings.HasPrefix(p.PublicKey, typ+" ") {
				t.Errorf("public key %q is not %s", p.PublicKey, typ)
			}
			q, _ := sshkey.Generate(alg)
			if q.Fingerprint == p.Fingerprint {
				t.Error("two generated keys are the same")
			}
		})
	}
	for _, alg := range []string{"", "dsa", "rsa-1024", "ED25519"} {
		if _, err := sshkey.Generate(alg); ferry.ErrorCode(err) != ferry.EINVALID {
			t.Errorf("Generate(%q) = %v, want EINVALID", alg, err)
		}
	}
}

func TestImport(t *testing.T) {
	gen, err := sshkey.Generate(sshkey.Ed25519)
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := sshkey.Signer(gen.PrivateKey)
	raw, _ := ssh.ParseRawPrivateKey(gen.PrivateKey)
	encrypted := pem.EncodeToMemory(must(ssh.MarshalPrivateKeyWithPassphrase(raw, "comment", []byte("correct horse"))))

	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)})
	//lint:ignore SA1019 legacy encrypted PEM is what older ssh-keygen wrote; Ferry must read it.
	legacyBlock, _ := x509.EncryptPEMBlock(rand.Reader, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey), []byte("pw"), x509.PEMCipherAES128) //nolint:staticcheck
	legacy := pem.EncodeToMemory(legacyBlock)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	ecDER, _ := x509.MarshalPKCS8PrivateKey(ecKey)
	pkcs8 := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ecDER})
	block, _ := pem.Decode(gen.PrivateKey)
	truncated := pem.EncodeToMemory(&pem.Block{Type: block.Type, Bytes: block.Bytes[:100]})
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	smallPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(small)})

	t.Run("ok", func(t *testing.T) {
		for _, tc := range []struct {
			name       string
			key        []byte
			passphrase string
			alg        string
		}{
			{"openssh", gen.PrivateKey, "", "ed25519"},
			{"openssh with a needless passphrase", gen.PrivateKey, "unused", "ed25519"},
			{"openssh encrypted", encrypted, "correct horse", "ed25519"},
			{"pkcs1 rsa", pkcs1, "", "rsa-2048"},
			{"legacy encrypted pem", legacy, "pw", "rsa-2048"},
			{"pkcs8 ecdsa", pkcs8, "", "ecdsa-p384"},
			{"with spaces around", append(append([]byte("\n  "), gen.PrivateKey...), "\n\n"...), "", "ed25519"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				p, err := sshkey.Import(tc.key, []byte(tc.passphrase))
				if err != nil {
					t.Fatal(err)
				}
				checkPair(t, p, tc.alg)
			})
		}
		p, _ := sshkey.Import(encrypted, []byte("correct horse"))
		if p.Fingerprint != ssh.FingerprintSHA256(signer.PublicKey()) {
			t.Error("the decrypted key is another key")
		}
	})

	for _, tc := range []struct {
		name, key, passphrase, want string
	}{
		{"empty", "", "", "empty"},
		{"garbage", "hello, this is not a key", "", "not in PEM form"},
		{"public key", gen.PublicKey, "", "This is a public key"},
		{"public key with comment", gen.PublicKey + " me@host\n", "", "This is a public key"},
		{"pem public key", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "", "This is a public key"},
		{"certificate", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "", `"CERTIFICATE", not a private key`},
		{"missing passphrase", string(encrypted), "", "encrypted; give its passphrase"},
		{"wrong passphrase", string(encrypted), "wrong horse", "passphrase does not decrypt"},
		{"wrong legacy passphrase", string(legacy), "wrong", "passphrase does not decrypt"},
		{"cut", string(gen.PrivateKey[:len(gen.PrivateKey)/2]), "", "PEM block is damaged"},
		{"truncated", string(truncated), "", "cannot be read"},
		{"small rsa", string(smallPEM), "", "1024 bits"},
		{"dsa", "-----BEGIN DSA PRIVATE KEY-----\nAAAA\n-----END DSA PRIVATE KEY-----\n", "", "DSA keys are not supported"},
		{"huge", strings.Repeat("A", 70<<10), "", "larger than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := sshkey.Import([]byte(tc.key), []byte(tc.passphrase))
			if ferry.ErrorCode(err) != ferry.EINVALID || !strings.Contains(ferry.ErrorMessage(err), tc.want) {
				t.Fatalf("err = %v, want EINVALID with %q", err, tc.want)
			}
			msg := ferry.ErrorMessage(err)
			if tc.passphrase != "" && strings.Contains(msg, tc.passphrase) {
				t.Errorf("message shows the passphrase: %s", msg)
			}
			if len(tc.key) > 100 && strings.Contains(msg, tc.key[40:80]) {
				t.Errorf("message shows the key: %s", msg)
			}
		})
	}
}

func TestParsePublicKey(t *testing.T) {
	const ed = "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
	typ, key, err := sshkey.ParsePublicKey("  ssh-ed25519 " + ed + " a comment\n")
	if err != nil || typ != "ssh-ed25519" || key != ed {
		t.Fatalf("= %q %q %v", typ, key, err)
	}
	for in, want := range map[string]string{
		"":                                 "empty",
		"ssh-ed25519":                      "not an SSH public key",
		"ssh-ed25519 AAAA":                 "not an SSH public key",
		"ssh-rsa " + ed:                    "not an SSH public key",
		"-----BEGIN PUBLIC KEY-----\nAA\n": "PEM block",
	} {
		if _, _, err := sshkey.ParsePublicKey(in); ferry.ErrorCode(err) != ferry.EINVALID || !strings.Contains(ferry.ErrorMessage(err), want) {
			t.Errorf("ParsePublicKey(%q) = %v, want EINVALID with %q", in, err, want)
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
