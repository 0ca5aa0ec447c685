package gittest

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/pem"
	"net"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// Key is an SSH key pair for tests.
type Key struct {
	Signer        ssh.Signer
	Public        ssh.PublicKey
	PEM           []byte // the private key, unencrypted, in OpenSSH PEM form
	AuthorizedKey string // the public key in authorized_keys form, without a newline
}

// NewEd25519Key generates an ed25519 key pair.
func NewEd25519Key(t testing.TB) *Key {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return newKey(t, priv)
}

// NewRSAKey generates an RSA key pair of bits bits (2048 keeps tests fast).
func NewRSAKey(t testing.TB, bits int) *Key {
	t.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	return newKey(t, priv)
}

func newKey(t testing.TB, priv any) *Key {
	t.Helper()
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "gittest")
	if err != nil {
		t.Fatal(err)
	}
	return &Key{
		Signer:        signer,
		Public:        signer.PublicKey(),
		PEM:           pem.EncodeToMemory(block),
		AuthorizedKey: strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey()))),
	}
}

// KnownHostsLine returns a "host[:port] keytype base64" line pinning key for hostport
// ("127.0.0.1:2222", or a bare host for port 22).
func KnownHostsLine(hostport string, key ssh.PublicKey) string {
	pattern := hostport
	if host, port, err := net.SplitHostPort(hostport); err == nil {
		pattern = "[" + host + "]:" + port
		if port == "22" {
			pattern = host
		}
	}
	return pattern + " " + key.Type() + " " + base64.StdEncoding.EncodeToString(key.Marshal())
}
