package ferry_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ferrygit/ferry"
)

func TestValidatePath(t *testing.T) {
	for _, ok := range []string{"a", "a/b.yaml", "services/payments/route.yaml", ".hidden", "a/.gitignore", "a..b", "ünïcode/文件", "with space", strings.Repeat("a", ferry.MaxPathLength)} {
		if err := ferry.ValidatePath(ok); err != nil {
			t.Errorf("ValidatePath(%q) = %v, want nil", ok, err)
		}
	}
	for _, tc := range []struct{ path, want string }{
		{"", "required"},
		{"/etc/passwd", "absolute"},
		{"a/", "ends with '/'"},
		{"a//b", "empty segment"},
		{"..", "\"..\" segment"},
		{"a/../b", "\"..\" segment"},
		{"./a", "\".\" segment"},
		{".git/config", "'.git'"},
		{"a/.GIT/x", "'.git'"},
		{"a\x00b", "control character"},
		{"a\nb", "control character"},
		{"a\x7fb", "control character"},
		{"\xff\xfe", "UTF-8"},
		{strings.Repeat("a", ferry.MaxPathLength+1), "at most 4096"},
	} {
		err := ferry.ValidatePath(tc.path)
		if ferry.ErrorCode(err) != ferry.EINVALID || !strings.Contains(ferry.ErrorMessage(err), tc.want) {
			t.Errorf("ValidatePath(%q) = %v, want EINVALID mentioning %q", clip(tc.path), err, tc.want)
		}
	}
}

func clip(s string) string {
	if len(s) > 20 {
		return s[:20] + "…"
	}
	return s
}

// FuzzValidatePath checks that any path ValidatePath accepts is one a Git tree can hold
// and that stays inside its namespace.
func FuzzValidatePath(f *testing.F) {
	for _, seed := range []string{"a/b", "../x", "a//b", "/a", ".git", "a\x00", "ü/文"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, p string) {
		err := ferry.ValidatePath(p)
		if err != nil {
			if ferry.ErrorCode(err) != ferry.EINVALID || ferry.ErrorMessage(err) == "" {
				t.Fatalf("ValidatePath(%q) = %v: want an EINVALID with a message", p, err)
			}
			return
		}
		if p == "" || len(p) > ferry.MaxPathLength || !utf8.ValidString(p) || strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") {
			t.Fatalf("accepted %q", p)
		}
		for _, seg := range strings.Split(p, "/") {
			if seg == "" || seg == "." || seg == ".." || strings.EqualFold(seg, ".git") || strings.ContainsAny(seg, "\x00\n\r") {
				t.Fatalf("accepted %q with segment %q", p, seg)
			}
		}
	})
}

func TestValidateNamespaceName(t *testing.T) {
	for _, ok := range []string{"a", "dev", "team-a-prod", "0", strings.Repeat("x", 63)} {
		if err := ferry.ValidateNamespaceName(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "Dev", "a_b", "a.b", "-a", "a-", "a b", "ü", strings.Repeat("x", 64)} {
		if code := ferry.ErrorCode(ferry.ValidateNamespaceName(bad)); code != ferry.EINVALID {
			t.Errorf("%q: code %q, want invalid", bad, code)
		}
	}
}

func TestChangeSetValidate(t *testing.T) {
	file := func(p, c string) ferry.FileChange { return ferry.FileChange{Path: p, Content: []byte(c)} }
	for _, tc := range []struct {
		name    string
		changes []ferry.FileChange
		message string
		want    string
	}{
		{"empty", nil, "", "at least one file"},
		{"bad path", []ferry.FileChange{file("ok", "x"), file("a/../b", "x")}, "", "\"..\" segment"},
		{"repeated", []ferry.FileChange{file("a", "1"), {Path: "a", Delete: true}}, "", "more than once"},
		{"bad mode", []ferry.FileChange{{Path: "a", Mode: "0755"}}, "", "not one of file, executable, symlink"},
		{"too large", []ferry.FileChange{file("big", "12345")}, "", "limit is 4 bytes"},
		{"long message", []ferry.FileChange{file("a", "1")}, strings.Repeat("m", ferry.MaxMessageLength+1), "Message"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs := &ferry.ChangeSet{Namespace: "dev", Changes: tc.changes, Message: tc.message}
			err := cs.Validate(4)
			if ferry.ErrorCode(err) != ferry.EINVALID || !strings.Contains(ferry.ErrorMessage(err), tc.want) {
				t.Fatalf("Validate = %v, want EINVALID mentioning %q", err, tc.want)
			}
		})
	}
	cs := &ferry.ChangeSet{Namespace: "dev", Changes: []ferry.FileChange{file("a", "1234"), {Path: "b", Delete: true}}}
	if err := cs.Validate(4); err != nil || cs.Source != ferry.SourceAPI {
		t.Fatalf("Validate = %v, source %q", err, cs.Source)
	}
}

func TestErrorCode(t *testing.T) {
	wrapped := fmt.Errorf("context: %w", ferry.Errorf(ferry.ENOTFOUND, "Namespace %q does not exist.", "x"))
	if ferry.ErrorCode(wrapped) != ferry.ENOTFOUND || ferry.ErrorMessage(wrapped) != `Namespace "x" does not exist.` {
		t.Fatalf("wrapped: %q %q", ferry.ErrorCode(wrapped), ferry.ErrorMessage(wrapped))
	}
	plain := errors.New("pq: password authentication failed for secret")
	if ferry.ErrorCode(plain) != ferry.EINTERNAL || strings.Contains(ferry.ErrorMessage(plain), "secret") {
		t.Fatalf("plain: %q %q", ferry.ErrorCode(plain), ferry.ErrorMessage(plain))
	}
	if ferry.ErrorCode(nil) != "" || ferry.ErrorMessage(nil) != "" {
		t.Fatal("nil error has a code or message")
	}
}

func TestHumanBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 bytes", 37: "37 bytes", 1024: "1 KiB", 10 << 20: "10 MiB", 1 << 30: "1 GiB", 1500: "1500 bytes"} {
		if got := ferry.HumanBytes(n); got != want {
			t.Errorf("HumanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
