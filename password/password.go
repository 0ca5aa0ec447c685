// Package password hashes users' passwords with argon2id, stores them in the PHC string
// format, checks them against a minimum policy and generates one-time passwords.
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ferrygit/ferry"
	"golang.org/x/crypto/argon2"
)

// Policy bounds for Check.
const (
	MinLength = 12   // characters
	MaxLength = 1024 // bytes
)

// Limits on the parameters Verify accepts from a stored hash, so that a tampered hash
// cannot make one login cost gigabytes or minutes.
const (
	maxMemory  = 1 << 20 // KiB: 1 GiB
	maxTime    = 10
	maxThreads = 16
)

// ErrMalformed is returned by Verify when the encoded hash is not one Verify can read.
var ErrMalformed = errors.New("password: malformed hash")

// params are argon2id's cost parameters with the salt and key lengths.
type params struct {
	memory  uint32 // KiB
	time    uint32 // passes over the memory
	threads uint8
	saltLen int
	keyLen  int
}

// current are the parameters Hash uses: 64 MiB as in RFC 9106's second recommended option,
// but two passes and two lanes, so that one hash takes tens of milliseconds on two cores
// (three passes took over 100 ms). Changing them makes NeedsRehash true for older hashes.
var current = params{memory: 64 * 1024, time: 2, threads: 2, saltLen: 16, keyLen: 32}

var b64 = base64.RawStdEncoding.Strict()

// Hash returns an argon2id hash of pw in the PHC string format,
// $argon2id$v=19$m=65536,t=2,p=2$<salt>$<key>, with a random 16-byte salt and a 32-byte key.
func Hash(pw string) (string, error) { return hash(pw, current) }

func hash(pw string, p params) (string, error) {
	salt := make([]byte, p.saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password: reading a salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, p.time, p.memory, p.threads, uint32(p.keyLen))
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		p.memory, p.time, p.threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify reports whether pw matches encoded, comparing in constant time, with whatever
// parameters encoded states up to m=1048576 (1 GiB), t=10 and p=16. It returns an error
// wrapping ErrMalformed when encoded cannot be read; the error never repeats encoded.
func Verify(pw, encoded string) (bool, error) {
	p, salt, key, err := decode(encoded)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(pw), salt, p.time, p.memory, p.threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// NeedsRehash reports whether encoded was made with other parameters than Hash uses now, or
// cannot be read, so that a password just verified against it should be hashed again.
func NeedsRehash(encoded string) bool {
	p, _, _, err := decode(encoded)
	return err != nil || p != current
}

// decode parses $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<key>.
func decode(encoded string) (p params, salt, key []byte, err error) {
	fields := strings.Split(encoded, "$")
	if len(fields) != 6 || fields[0] != "" || fields[1] != "argon2id" {
		return p, nil, nil, fmt.Errorf("%w: not $argon2id$v=…$m=…,t=…,p=…$salt$key", ErrMalformed)
	}
	if fields[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, fmt.Errorf("%w: version is not %d", ErrMalformed, argon2.Version)
	}
	costs := strings.Split(fields[3], ",")
	if len(costs) != 3 {
		return p, nil, nil, fmt.Errorf("%w: parameters are not m=…,t=…,p=…", ErrMalformed)
	}
	m, errM := number(costs[0], "m=", maxMemory)
	t, errT := number(costs[1], "t=", maxTime)
	l, errP := number(costs[2], "p=", maxThreads)
	if err := errors.Join(errM, errT, errP); err != nil {
		return p, nil, nil, err
	}
	if m < 8*l {
		return p, nil, nil, fmt.Errorf("%w: m is less than 8 KiB per lane", ErrMalformed)
	}
	if salt = unbase64(fields[4]); len(salt) < 8 || len(salt) > 64 {
		return p, nil, nil, fmt.Errorf("%w: salt is not 8 to 64 bytes of unpadded base64", ErrMalformed)
	}
	if key = unbase64(fields[5]); len(key) < 16 || len(key) > 64 {
		return p, nil, nil, fmt.Errorf("%w: key is not 16 to 64 bytes of unpadded base64", ErrMalformed)
	}
	p = params{memory: m, time: t, threads: uint8(l), saltLen: len(salt), keyLen: len(key)}
	return p, salt, key, nil
}

// unbase64 decodes unpadded standard base64, returning nil unless s is the one encoding of its
// bytes (the decoder alone would skip line breaks).
func unbase64(s string) []byte {
	b, err := b64.DecodeString(s)
	if err != nil || b64.EncodeToString(b) != s {
		return nil
	}
	return b
}

// number parses the parameter "<prefix><n>" with 1 <= n <= max.
func number(s, prefix string, max uint32) (uint32, error) {
	digits, ok := strings.CutPrefix(s, prefix)
	n, err := strconv.ParseUint(digits, 10, 32)
	if !ok || err != nil || n < 1 || n > uint64(max) {
		return 0, fmt.Errorf("%w: %s is not a number from 1 to %d", ErrMalformed, strings.TrimSuffix(prefix, "="), max)
	}
	return uint32(n), nil
}

// alphabet has no characters easily mistaken for others: no 0, O, 1, l or I.
const alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// Generate returns a random password of n characters (none if n <= 0) from an alphabet
// without 0, O, 1, l or I, for one-time passwords a person types: 20 characters give
// 116 bits.
func Generate(n int) string {
	if n <= 0 {
		return ""
	}
	const limit = 256 - 256%len(alphabet) // bytes at or above it would bias the choice
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/2)
	for len(out) < n {
		rand.Read(buf) // never fails: crypto/rand crashes the program instead
		for _, b := range buf {
			if int(b) < limit && len(out) < n {
				out = append(out, alphabet[int(b)%len(alphabet)])
			}
		}
	}
	return string(out)
}

// Check returns EINVALID unless pw has at least MinLength characters and at most MaxLength
// bytes.
func Check(pw string) error {
	switch n := utf8.RuneCountInString(pw); {
	case n == 0:
		return ferry.Errorf(ferry.EINVALID, "A password is required: use at least %d characters, for example a few unrelated words.", MinLength)
	case n < MinLength:
		return ferry.Errorf(ferry.EINVALID, "The password is %d characters long: use at least %d, for example a few unrelated words.", n, MinLength)
	case len(pw) > MaxLength:
		return ferry.Errorf(ferry.EINVALID, "The password is %d bytes long: use at most %d.", len(pw), MaxLength)
	}
	return nil
}
