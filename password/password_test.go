package password

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ferrygit/ferry"
)

// cheap are parameters fast enough to hash many times under the race detector.
var cheap = params{memory: 64, time: 1, threads: 1, saltLen: 16, keyLen: 32}

func mustHash(t *testing.T, pw string, p params) string {
	t.Helper()
	encoded, err := hash(pw, p)
	if err != nil {
		t.Fatal(err)
	}
	return encoded
}

func mustVerify(t *testing.T, pw, encoded string) bool {
	t.Helper()
	ok, err := Verify(pw, encoded)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return ok
}

func TestHashRealParameters(t *testing.T) {
	encoded, err := Hash("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Split(encoded, "$")
	if len(fields) != 6 || !strings.HasPrefix(encoded, "$argon2id$v=19$m=65536,t=2,p=2$") ||
		len(fields[4]) != 22 || len(fields[5]) != 43 { // 16 and 32 bytes of unpadded base64
		t.Fatalf("Hash = %q, want $argon2id$v=19$m=65536,t=2,p=2$<16-byte salt>$<32-byte key>", encoded)
	}
	if !mustVerify(t, "correct horse battery staple", encoded) {
		t.Error("Verify rejects the password Hash hashed")
	}
	if mustVerify(t, "correct horse battery stapler", encoded) {
		t.Error("Verify accepts a wrong password")
	}
	if NeedsRehash(encoded) {
		t.Error("NeedsRehash is true for a hash Hash just made")
	}
}

func TestVerify(t *testing.T) {
	for _, pw := range []string{"", "password123456", "pässwörd with ünïcode ✓", strings.Repeat("x", MaxLength)} {
		encoded := mustHash(t, pw, cheap)
		if !mustVerify(t, pw, encoded) {
			t.Errorf("Verify(%.20q) = false for its own hash", pw)
		}
		for _, wrong := range []string{pw + "x", strings.ToUpper(pw) + "!", "other password"} {
			if mustVerify(t, wrong, encoded) {
				t.Errorf("Verify(%.20q) = true for the hash of %.20q", wrong, pw)
			}
		}
	}
}

func TestVerifyOtherParameters(t *testing.T) {
	// A hash made with other parameters (by an older Ferry, or imported) still verifies:
	// Verify reads them from the string.
	other := params{memory: 32, time: 3, threads: 4, saltLen: 8, keyLen: 64}
	encoded := mustHash(t, "s3cret password", other)
	if !strings.Contains(encoded, "$m=32,t=3,p=4$") {
		t.Fatalf("hash = %q", encoded)
	}
	if !mustVerify(t, "s3cret password", encoded) || mustVerify(t, "s3cret passwore", encoded) {
		t.Error("Verify does not honour the hash's parameters")
	}
}

// TestVerifyReference checks hashes from the Argon2 reference implementation's test vectors
// (phc-winner-argon2, src/test.c): Verify reads the format other implementations write.
func TestVerifyReference(t *testing.T) {
	for _, encoded := range []string{
		"$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4",
		"$argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHQ$bQk8UB/VmZZF4Oo79iDXuL5/0ttZwg2f/5U52iv1cDc",
	} {
		if !mustVerify(t, "password", encoded) {
			t.Errorf("Verify(password, %q) = false", encoded)
		}
		if mustVerify(t, "passwore", encoded) {
			t.Errorf("Verify(passwore, %q) = true", encoded)
		}
		if !NeedsRehash(encoded) {
			t.Errorf("NeedsRehash(%q) = false", encoded)
		}
	}
}

func TestSaltsDiffer(t *testing.T) {
	a, b := mustHash(t, "same password", cheap), mustHash(t, "same password", cheap)
	if a == b {
		t.Fatalf("two hashes of one password are both %q", a)
	}
	if strings.Split(a, "$")[4] == strings.Split(b, "$")[4] {
		t.Errorf("two hashes share the salt of %q", a)
	}
}

func TestVerifyMalformed(t *testing.T) {
	good := mustHash(t, "password", cheap)
	fields := strings.Split(good, "$")
	with := func(i int, v string) string {
		f := append([]string(nil), fields...)
		f[i] = v
		return strings.Join(f, "$")
	}
	tests := map[string]string{
		"empty":               "",
		"bcrypt":              "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
		"argon2i":             with(1, "argon2i"),
		"no leading $":        strings.TrimPrefix(good, "$"),
		"missing key":         strings.Join(fields[:5], "$"),
		"extra field":         good + "$x",
		"version 16":          with(2, "v=16"),
		"no version":          with(2, "m=64,t=1,p=1"),
		"huge m":              with(3, "m=1048577,t=1,p=1"),
		"m overflows uint32":  with(3, "m=4294967296,t=1,p=1"),
		"m too small":         with(3, "m=8,t=1,p=2"),
		"t zero":              with(3, "m=64,t=0,p=1"),
		"t eleven":            with(3, "m=64,t=11,p=1"),
		"p zero":              with(3, "m=64,t=1,p=0"),
		"p seventeen":         with(3, "m=1024,t=1,p=17"),
		"negative m":          with(3, "m=-64,t=1,p=1"),
		"params out of order": with(3, "t=1,m=64,p=1"),
		"missing p":           with(3, "m=64,t=1"),
		"extra param":         with(3, "m=64,t=1,p=1,k=2"),
		"bad salt base64":     with(4, "!!!!"),
		"padded salt":         with(4, fields[4]+"=="),
		"short salt":          with(4, "c2FsdA"),
		"empty key":           with(5, ""),
		"bad key base64":      with(5, fields[5][:42]+"*"),
		"key with newline":    with(5, fields[5][:20]+"\n"+fields[5][20:]),
		"short key":           with(5, "c2FsdHNhbHQ"),
	}
	for name, encoded := range tests {
		t.Run(name, func(t *testing.T) {
			ok, err := Verify("password", encoded)
			if err == nil || ok {
				t.Fatalf("Verify(%q) = %v, %v; want an error", encoded, ok, err)
			}
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("error %v does not wrap ErrMalformed", err)
			}
			if len(encoded) > 20 && strings.Contains(err.Error(), encoded) {
				t.Errorf("error %v repeats the hash", err)
			}
			if !NeedsRehash(encoded) {
				t.Error("NeedsRehash is false for a malformed hash")
			}
		})
	}
	if !mustVerify(t, "password", good) {
		t.Fatal("the unaltered hash does not verify")
	}
}

func TestNeedsRehash(t *testing.T) {
	for _, p := range []params{
		cheap,
		{memory: 32 * 1024, time: 3, threads: 2, saltLen: 16, keyLen: 32},
		current,
		{memory: 64 * 1024, time: 3, threads: 2, saltLen: 16, keyLen: 32},
		{memory: 64 * 1024, time: 2, threads: 1, saltLen: 16, keyLen: 32},
		{memory: 64 * 1024, time: 2, threads: 2, saltLen: 8, keyLen: 32},
		{memory: 64 * 1024, time: 2, threads: 2, saltLen: 16, keyLen: 16},
	} {
		// Build the string without hashing: NeedsRehash only reads it.
		encoded := fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", p.memory, p.time, p.threads,
			b64.EncodeToString(make([]byte, p.saltLen)), b64.EncodeToString(make([]byte, p.keyLen)))
		if _, _, _, err := decode(encoded); err != nil {
			t.Fatalf("decode(%q): %v", encoded, err)
		}
		if want := p != current; NeedsRehash(encoded) != want {
			t.Errorf("NeedsRehash(%q) = %v, want %v", encoded, !want, want)
		}
	}
}

func TestGenerate(t *testing.T) {
	for _, n := range []int{-1, 0, 1, 12, 20, 1000} {
		pw := Generate(n)
		if want := max(n, 0); len(pw) != want {
			t.Errorf("len(Generate(%d)) = %d, want %d", n, len(pw), want)
		}
		if i := strings.IndexFunc(pw, func(r rune) bool { return !strings.ContainsRune(alphabet, r) }); i >= 0 {
			t.Errorf("Generate(%d) = %q has %q, outside the alphabet", n, pw, pw[i])
		}
	}
	if strings.ContainsAny(alphabet, "0O1lI") {
		t.Errorf("the alphabet %q has an ambiguous character", alphabet)
	}
	// Every character turns up, and no two passwords repeat.
	seen, all := map[string]bool{}, ""
	for range 200 {
		pw := Generate(20)
		if seen[pw] {
			t.Fatalf("Generate(20) returned %q twice", pw)
		}
		seen[pw] = true
		all += pw
	}
	for _, c := range alphabet {
		if !strings.ContainsRune(all, c) {
			t.Errorf("%q never appears in 4000 generated characters", c)
		}
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		pw   string
		rule string // a fragment of the message; "" for a valid password
	}{
		{"", "required"},
		{"short", "5 characters long: use at least 12"},
		{strings.Repeat("a", 11), "11 characters long: use at least 12"},
		{strings.Repeat("ü", 11), "11 characters long"}, // 22 bytes, but 11 characters
		{strings.Repeat("a", 12), ""},
		{strings.Repeat("ü", 12), ""},
		{strings.Repeat("a", MaxLength), ""},
		{strings.Repeat("a", MaxLength+1), "1025 bytes long: use at most 1024"},
		{strings.Repeat("ü", 513), "1026 bytes long"},
	}
	for _, tt := range tests {
		err := Check(tt.pw)
		if tt.rule == "" {
			if err != nil {
				t.Errorf("Check(%.20q…) = %v, want nil", tt.pw, err)
			}
			continue
		}
		if ferry.ErrorCode(err) != ferry.EINVALID || !strings.Contains(ferry.ErrorMessage(err), tt.rule) {
			t.Errorf("Check(%.20q…) = %v, want EINVALID saying %q", tt.pw, err, tt.rule)
		}
	}
}

func BenchmarkHash(b *testing.B) {
	for b.Loop() {
		if _, err := Hash("correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}
