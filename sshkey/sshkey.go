// Package sshkey generates and imports the SSH key pairs of Ferry's credentials, parses
// public keys, and reads the host keys an SSH server presents.
package sshkey

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/ferrygit/ferry"
)

// The algorithms Generate makes.
const (
	Ed25519 = "ed25519"
	RSA4096 = "rsa-4096"
)

// minRSABits is the smallest RSA key Import accepts.
const minRSABits = 2048

// maxPrivateKeySize limits an imported private key, in bytes.
const maxPrivateKeySize = 64 << 10

// Pair is a key pair: the private key, unencrypted, in OpenSSH PEM, and its public half.
type Pair struct {
	PrivateKey  []byte // never shown; stored only sealed
	PublicKey   string // the authorized_keys line, without a newline
	Fingerprint string // SHA256:…
	Algorithm   string // ed25519, rsa-4096, ecdsa-p256, …
}

// Generate makes a new key pair of algorithm Ed25519 or RSA4096. Returns EINVALID for any
// other algorithm.
func Generate(algorithm string) (*Pair, error) {
	var key crypto.Signer
	var err error
	switch algorithm {
	case Ed25519:
		_, key, err = ed25519.GenerateKey(rand.Reader)
	case RSA4096:
		key, err = rsa.GenerateKey(rand.Reader, 4096)
	case "":
		return nil, ferry.Errorf(ferry.EINVALID, "Algorithm is required: ed25519 or rsa-4096.")
	default:
		return nil, ferry.Errorf(ferry.EINVALID, "Algorithm %q cannot be generated; use ed25519 or rsa-4096.", clip(algorithm))
	}
	if err != nil {
		return nil, fmt.Errorf("generate %s key: %w", algorithm, err)
	}
	return pairOf(key)
}

// Import reads a private key in OpenSSH, PKCS#1, SEC 1 or PKCS#8 PEM, decrypting it with
// passphrase when it is encrypted, and returns it re-encoded unencrypted in OpenSSH PEM.
// Returns EINVALID with a message that says exactly what is wrong: a public key given
// instead, not a key at all, a missing or wrong passphrase, or an unsupported key. No
// message shows any part of the key or the passphrase.
func Import(privateKey, passphrase []byte) (*Pair, error) {
	if len(privateKey) > maxPrivateKeySize {
		return nil, ferry.Errorf(ferry.EINVALID, "The private key is larger than %d KiB; that is not an SSH private key.", maxPrivateKeySize>>10)
	}
	text := strings.TrimSpace(string(privateKey))
	if text == "" {
		return nil, ferry.Errorf(ferry.EINVALID, "The private key is empty.")
	}
	if isPublicKey(text) {
		return nil, ferry.Errorf(ferry.EINVALID, "This is a public key; import the private key instead (the file without .pub, starting with -----BEGIN OPENSSH PRIVATE KEY-----).")
	}
	block, _ := pem.Decode([]byte(text))
	if block == nil && strings.HasPrefix(text, "-----BEGIN ") {
		return nil, ferry.Errorf(ferry.EINVALID, "The private key's PEM block is damaged: its END line is missing or its base64 was cut or edited.")
	}
	if block == nil {
		return nil, ferry.Errorf(ferry.EINVALID, "The private key is not in PEM form: it must start with a line such as -----BEGIN OPENSSH PRIVATE KEY----- (as ssh-keygen writes it).")
	}
	switch block.Type {
	case "OPENSSH PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "PRIVATE KEY":
	case "ENCRYPTED PRIVATE KEY":
		return nil, ferry.Errorf(ferry.EINVALID, "Encrypted PKCS#8 keys are not supported; convert the key with 'ssh-keygen -p -f FILE' (which rewrites it in OpenSSH form) and import that.")
	case "DSA PRIVATE KEY":
		return nil, errUnsupported("DSA")
	default:
		return nil, ferry.Errorf(ferry.EINVALID, "The PEM block is a %q, not a private key; import the private key (-----BEGIN OPENSSH PRIVATE KEY-----).", clip(block.Type))
	}
	key, err := ssh.ParseRawPrivateKey([]byte(text))
	var missing *ssh.PassphraseMissingError
	if errors.As(err, &missing) {
		if len(passphrase) == 0 {
			return nil, ferry.Errorf(ferry.EINVALID, "The private key is encrypted; give its passphrase.")
		}
		key, err = ssh.ParseRawPrivateKeyWithPassphrase([]byte(text), passphrase)
		if errors.Is(err, x509.IncorrectPasswordError) {
			return nil, ferry.Errorf(ferry.EINVALID, "The passphrase does not decrypt the private key.")
		}
	}
	if err != nil {
		return nil, ferry.Errorf(ferry.EINVALID, "The private key cannot be read: %s.", strings.TrimPrefix(err.Error(), "ssh: "))
	}
	return pairOf(key)
}

// pairOf encodes a parsed private key and its public half.
func pairOf(key any) (*Pair, error) {
	var alg string
	switch k := key.(type) {
	case *ed25519.PrivateKey:
		key, alg = *k, Ed25519
	case ed25519.PrivateKey:
		alg = Ed25519
	case *rsa.PrivateKey:
		if bits := k.N.BitLen(); bits < minRSABits {
			return nil, ferry.Errorf(ferry.EINVALID, "The RSA key has %d bits; at least %d are needed (4096 is better, ed25519 best).", bits, minRSABits)
		}
		alg = fmt.Sprintf("rsa-%d", k.N.BitLen())
	case *ecdsa.PrivateKey:
		alg = "ecdsa-p" + strings.TrimPrefix(k.Curve.Params().Name, "P-")
	default:
		return nil, errUnsupported(fmt.Sprintf("%T", key))
	}
	block, err := ssh.MarshalPrivateKey(key.(crypto.PrivateKey), "")
	if err != nil {
		return nil, ferry.Errorf(ferry.EINVALID, "The private key cannot be stored: %s.", strings.TrimPrefix(err.Error(), "ssh: "))
	}
	signer, err := ssh.NewSignerFromKey(key)
	if err != nil {
		return nil, ferry.Errorf(ferry.EINVALID, "The private key cannot sign: %s.", strings.TrimPrefix(err.Error(), "ssh: "))
	}
	pub := signer.PublicKey()
	return &Pair{
		PrivateKey:  pem.EncodeToMemory(block),
		PublicKey:   strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub))),
		Fingerprint: ssh.FingerprintSHA256(pub),
		Algorithm:   alg,
	}, nil
}

func errUnsupported(what string) error {
	return ferry.Errorf(ferry.EINVALID, "%s keys are not supported; use an ed25519, ECDSA or RSA (at least %d bits) key.", clip(what), minRSABits)
}

// isPublicKey reports whether text looks like a public key: an authorized_keys line, an
// RFC 4716 block or a PEM public key.
func isPublicKey(text string) bool {
	if strings.HasPrefix(text, "---- BEGIN SSH2 PUBLIC KEY") || strings.HasPrefix(text, "-----BEGIN PUBLIC KEY") ||
		strings.HasPrefix(text, "-----BEGIN RSA PUBLIC KEY") {
		return true
	}
	_, _, _, _, err := ssh.ParseAuthorizedKey([]byte(text))
	return err == nil
}

// Signer returns a signer for a private key that Generate or Import encoded.
func Signer(privateKey []byte) (ssh.Signer, error) {
	return ssh.ParsePrivateKey(privateKey)
}

// ParsePublicKey reads an SSH public key as "TYPE BASE64 [comment]" (an authorized_keys
// line, or the key part of a known_hosts line) and returns its type and base64. Returns
// EINVALID naming what is wrong.
func ParsePublicKey(line string) (keyType, key string, err error) {
	line = strings.TrimSpace(line)
	if line == "" {
		return "", "", ferry.Errorf(ferry.EINVALID, "The key is empty; give it as \"ssh-ed25519 AAAAC3Nz…\".")
	}
	if strings.HasPrefix(line, "-----BEGIN") {
		return "", "", ferry.Errorf(ferry.EINVALID, "This is a PEM block; give the public key as \"ssh-ed25519 AAAAC3Nz…\", as in a known_hosts file.")
	}
	pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(line))
	if err != nil {
		return "", "", ferry.Errorf(ferry.EINVALID, "The key is not an SSH public key such as \"ssh-ed25519 AAAAC3Nz…\": %s.", strings.TrimPrefix(err.Error(), "ssh: "))
	}
	if _, ok := pub.(ssh.CryptoPublicKey); !ok {
		return "", "", ferry.Errorf(ferry.EINVALID, "Key type %q is not supported for a host key.", pub.Type())
	}
	f := strings.Fields(strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub))))
	return f[0], f[1], nil
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
