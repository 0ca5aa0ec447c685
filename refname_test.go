package ferry

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// gitAccepts asks the real git whether name is a valid branch name.
func gitAccepts(t testing.TB, name string) bool {
	t.Helper()
	cmd := exec.Command("git", "check-ref-format", "--branch", name)
	cmd.Dir = os.TempDir()
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "HOME=" + os.TempDir(), "GIT_CEILING_DIRECTORIES=/"}
	err := cmd.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("running git: %v", err)
	}
	return err == nil
}

func TestValidateRefName(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	tests := []struct {
		name     string
		ok       bool
		rule     string // a fragment of the message when refused
		stricter bool   // Ferry refuses what Git accepts
	}{
		{name: "main", ok: true},
		{name: "feature/login-page", ok: true},
		{name: "release-1.2.3", ok: true},
		{name: "v1.0", ok: true},
		{name: "a@b", ok: true},
		{name: "@a", ok: true},
		{name: "a/@", ok: true},
		{name: "é-branch", ok: true},
		{name: "a.lock.b", ok: true},
		{name: "a/-b", ok: true},
		{name: "HEAD/x", ok: true},
		{name: "refs/heads/x", ok: true},
		{name: "", rule: "required"},
		{name: "a b", rule: "spaces"},
		{name: "a\tb", rule: "control"},
		{name: "a\x7fb", rule: "control"},
		{name: "a..b", rule: "'..'"},
		{name: "..", rule: "'..'"},
		{name: ".", rule: "end with '.'"},
		{name: "a~b", rule: "~ ^ :"},
		{name: "a^", rule: "~ ^ :"},
		{name: "a:b", rule: "~ ^ :"},
		{name: "a?", rule: "~ ^ :"},
		{name: "a*", rule: "~ ^ :"},
		{name: "a[b", rule: "~ ^ :"},
		{name: `a\b`, rule: "~ ^ :"},
		{name: "-a", rule: "start with '-'"},
		{name: "--", rule: "start with '-'"},
		{name: "/a", rule: "start with '/'"},
		{name: "a/", rule: "end with '/'"},
		{name: "a.", rule: "end with '.'"},
		{name: "a//b", rule: "'//'"},
		{name: ".a", rule: "start with '.'"},
		{name: "a/.b", rule: "start with '.'"},
		{name: "a.lock", rule: ".lock"},
		{name: "foo.lock/b", rule: ".lock"},
		{name: ".lock", rule: "start with '.'"},
		{name: "x/.lock", rule: "start with '.'"},
		{name: "a@{b", rule: "'@{'"},
		{name: "@{-1}", rule: "'@{'"},
		{name: "HEAD", rule: "reserved"},
		{name: "@", rule: `"@" alone`, stricter: true},
		{name: "a\xffb", rule: "UTF-8", stricter: true},
		{name: strings.Repeat("a", MaxRefNameLength+1), rule: "bytes long", stricter: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateRefName(tt.name)
			if tt.ok != (err == nil) {
				t.Fatalf("ValidateRefName(%q) = %v, want ok=%v", tt.name, err, tt.ok)
			}
			if err != nil {
				if ErrorCode(err) != EINVALID || !strings.Contains(ErrorMessage(err), tt.rule) {
					t.Errorf("error %q does not name the rule %q", ErrorMessage(err), tt.rule)
				}
			}
			if tt.name == "" {
				return // git check-ref-format with an empty name prints usage
			}
			if git := gitAccepts(t, tt.name); git != tt.ok && !tt.stricter {
				t.Errorf("git check-ref-format --branch %q: accepted=%v, Ferry: %v", tt.name, git, err)
			} else if tt.stricter && !git {
				t.Errorf("case %q is marked stricter than Git, but Git refuses it too", tt.name)
			}
		})
	}
}

func TestValidateBranchRef(t *testing.T) {
	for _, ok := range []string{"main", "refs/heads/main", "refs/heads/feature/x", "refs"} {
		if err := ValidateBranchRef(ok); err != nil {
			t.Errorf("ValidateBranchRef(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "refs/tags/v1", "refs/remotes/origin/main", "refs/heads/", "refs/heads/a..b", "-main", "refs/heads/HEAD"} {
		if err := ValidateBranchRef(bad); ErrorCode(err) != EINVALID {
			t.Errorf("ValidateBranchRef(%q) = %v, want EINVALID", bad, err)
		}
	}
}

// FuzzValidateRefName checks ValidateRefName against the real git for every input, except
// where Ferry is knowingly stricter.
func FuzzValidateRefName(f *testing.F) {
	if _, err := exec.LookPath("git"); err != nil {
		f.Skip("git is not installed")
	}
	for _, s := range []string{"main", "a..b", "a.lock", "@", "@{", "a/.b", "-x", "x/", "é", "a b", "HEAD", "a//b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		err := ValidateRefName(name)
		if err != nil && ErrorCode(err) != EINVALID {
			t.Fatalf("code %q", ErrorCode(err))
		}
		stricter := name == "@" || !utf8Valid(name) || len(name) > MaxRefNameLength
		if name == "" || strings.ContainsRune(name, 0) {
			return // git cannot receive these as an argument
		}
		if git := gitAccepts(t, name); git != (err == nil) && !(stricter && git) {
			t.Fatalf("ValidateRefName(%q) = %v, but git accepted=%v", name, err, git)
		}
	})
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }
