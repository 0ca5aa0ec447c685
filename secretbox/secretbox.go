// Package secretbox encrypts Ferry's secrets at rest with AES-256-GCM under a master key,
// loads that key, and checks at start that it is the key the database was sealed with.
package secretbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the length of a master key: 32 bytes, for AES-256.
const KeySize = 32

// format is the first byte of every sealed value; a later format changes it.
const format = 1

// DefaultKeyID is the key id of a Box made by New.
const DefaultKeyID = 1

// ErrWrongKey is wrapped by the errors of Open when a value was sealed under another key
// (or for another context) or has been altered, and by CheckKey's for a wrong master key.
var ErrWrongKey = errors.New("wrong secret key")

// errNotOpened is Open's error for a value that does not open.
var errNotOpened = fmt.Errorf("secretbox: the value was sealed with another key or for another context, or altered: %w", ErrWrongKey)

// Box seals and opens values with AES-256-GCM. A sealed value is:
//
//	format (1 byte) | key id (1 byte) | nonce (12 bytes) | ciphertext and tag
//
// with the format, key id and the caller's context as additional data, so a value opens
// only under the key and for the context it was sealed for. The key id lets a later
// release hold an old key beside a new one while it re-seals values.
type Box struct {
	id   byte
	aead cipher.AEAD
}

// New returns a Box that seals with key under DefaultKeyID. The key must be KeySize bytes.
func New(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secretbox: the key is %d bytes; it must be %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Box{id: DefaultKeyID, aead: aead}, nil
}

// Seal encrypts plaintext with a fresh random nonce, bound to context.
func (b *Box) Seal(plaintext, context []byte) ([]byte, error) {
	head := make([]byte, 2+b.aead.NonceSize(), 2+b.aead.NonceSize()+len(plaintext)+b.aead.Overhead())
	head[0], head[1] = format, b.id
	if _, err := rand.Read(head[2:]); err != nil {
		return nil, fmt.Errorf("secretbox: read random nonce: %w", err)
	}
	return b.aead.Seal(head, head[2:], plaintext, additional(head[:2], context)), nil
}

// Open decrypts a value Seal returned for the same context. Returns ErrWrongKey if it
// was sealed under another key or context or has been altered.
func (b *Box) Open(sealed, context []byte) ([]byte, error) {
	n := b.aead.NonceSize()
	if len(sealed) < 2+n+b.aead.Overhead() || sealed[0] != format {
		return nil, errors.New("secretbox: the value is not a sealed value of a known format")
	}
	if sealed[1] != b.id {
		return nil, fmt.Errorf("%w (it names key id %d; this server has key id %d)", errNotOpened, sealed[1], b.id)
	}
	plain, err := b.aead.Open(nil, sealed[2:2+n], sealed[2+n:], additional(sealed[:2], context))
	if err != nil {
		return nil, errNotOpened
	}
	return plain, nil
}

// additional is the additional data of a value: its header and its context.
func additional(head, context []byte) []byte {
	return append(append([]byte{}, head...), context...)
}

// ParseKey reads a master key written as base64 (standard or URL alphabet, padded or not)
// or hex of KeySize bytes. Its error never echoes the value.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if len(s) == 2*KeySize {
		if b, err := hex.DecodeString(s); err == nil {
			return b, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != KeySize {
				return nil, fmt.Errorf("the secret key decodes to %d bytes; it must be %d random bytes, base64 or hex (such as the output of 'openssl rand -base64 32')", len(b), KeySize)
			}
			return b, nil
		}
	}
	return nil, fmt.Errorf("the secret key is neither base64 nor hex; it must be %d random bytes, base64 or hex (such as the output of 'openssl rand -base64 32')", KeySize)
}

// NewKey returns a new random master key.
func NewKey() ([]byte, error) {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	return key, nil
}
