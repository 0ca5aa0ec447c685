package ferry_test

import (
	"strings"
	"testing"

	"github.com/ferrygit/ferry"
)

// TestBuiltinKnownHostFingerprints checks every built-in key against the SHA-256
// fingerprint its provider publishes (see knownhost_builtin.go for where).
func TestBuiltinKnownHostFingerprints(t *testing.T) {
	published := map[string]string{
		"github.com ssh-ed25519":            "SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU",
		"github.com ecdsa-sha2-nistp256":    "SHA256:p2QAMXNIC1TJYWeIOttrVc98/R1BUFWu3/LiyKgUfQM",
		"github.com ssh-rsa":                "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s",
		"gitlab.com ssh-ed25519":            "SHA256:eUXGGm1YGsMAS7vkcx6JOJdOGHPem5gQp4taiCfCLB8",
		"gitlab.com ecdsa-sha2-nistp256":    "SHA256:HbW3g8zUjNSksFbqTiUWPWg2Bq1x8xdGUrliXFzSnUw",
		"gitlab.com ssh-rsa":                "SHA256:ROQFvPThGrW4RuWLoL9tq9I9zJ42fK4XywyRtbOz/EQ",
		"bitbucket.org ssh-ed25519":         "SHA256:ybgmFkzwOSotHTHLJgHO0QN8L0xErw6vd0VhFA9m3SM",
		"bitbucket.org ecdsa-sha2-nistp256": "SHA256:FC73VB6C4OQLSCrjEayhMp9UMxS97caD/Yyi2bhW/J0",
		"bitbucket.org ssh-rsa":             "SHA256:46OSHA1Rmj8E8ERTC6xkNcmGOw9oFxYr0WF6zWW8l1E",
		"ssh.dev.azure.com ssh-rsa":         "SHA256:ohD8VZEXGWo6Ez8GSEJQ9WpafgLFsOfLOtGGQCQo6Og",
	}
	seen := map[string]bool{}
	for _, k := range ferry.BuiltinKnownHosts() {
		id := k.Host + " " + k.KeyType
		want, ok := published[id]
		if !ok {
			t.Errorf("built-in key %s has no published fingerprint to check", id)
			continue
		}
		if k.Fingerprint != want {
			t.Errorf("%s: fingerprint %s, the provider publishes %s", id, k.Fingerprint, want)
		}
		if k.Source != ferry.KnownHostBuiltin || !ferry.IsBuiltinKnownHost(k.Host) {
			t.Errorf("%s: source %q", id, k.Source)
		}
		seen[id] = true
	}
	for id := range published {
		if !seen[id] {
			t.Errorf("no built-in key for %s", id)
		}
	}
	if ferry.IsBuiltinKnownHost("git.example.com") {
		t.Error("git.example.com is built in")
	}
}

func TestNormalizeSSHHost(t *testing.T) {
	for in, want := range map[string]string{
		"github.com":           "github.com",
		"GitHub.COM":           "github.com",
		"github.com.":          "github.com",
		"github.com:22":        "github.com",
		"git.example.com:2222": "git.example.com:2222",
		"127.0.0.1:2222":       "127.0.0.1:2222",
		"[::1]:2222":           "[::1]:2222",
		"::1":                  "[::1]",
		"[::1]:22":             "[::1]",
		"host_with_underscore": "host_with_underscore",
	} {
		got, err := ferry.NormalizeSSHHost(in)
		if err != nil || got != want {
			t.Errorf("NormalizeSSHHost(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "ssh://github.com", "git@github.com", "github.com/x", "host:0", "host:65536",
		"host:x", "host:", "-host", "a..b", "ho st", "host:022", strings.Repeat("a", 64) + ".com"} {
		if _, err := ferry.NormalizeSSHHost(in); ferry.ErrorCode(err) != ferry.EINVALID {
			t.Errorf("NormalizeSSHHost(%q) = %v, want EINVALID", in, err)
		}
	}
}

func TestKnownHostValidate(t *testing.T) {
	const ed = "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
	k := &ferry.KnownHost{Host: "Git.Example.com:2222", Key: ed}
	if err := k.Validate(); err != nil {
		t.Fatal(err)
	}
	if k.Host != "git.example.com:2222" || k.KeyType != "ssh-ed25519" || k.Fingerprint != "SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU" {
		t.Errorf("validated %+v", k)
	}
	if line := k.Line(); line != "git.example.com:2222 ssh-ed25519 "+ed {
		t.Errorf("line %q", line)
	}
	for _, tc := range []struct{ typ, key, want string }{
		{"", "not base64!", "not base64"},
		{"", "AAAA", "not an SSH public key"},
		{"", "AAAAB3NzaC1kc3MAAAA=", "not supported"}, // ssh-dss
		{"ssh-rsa", ed, "holds a ssh-ed25519 key"},
	} {
		err := (&ferry.KnownHost{Host: "h", KeyType: tc.typ, Key: tc.key}).Validate()
		if ferry.ErrorCode(err) != ferry.EINVALID || !strings.Contains(ferry.ErrorMessage(err), tc.want) {
			t.Errorf("key %q: %v, want EINVALID with %q", tc.key, err, tc.want)
		}
	}
}

func TestValidateFingerprint(t *testing.T) {
	if err := ferry.ValidateFingerprint("SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU"); err != nil {
		t.Error(err)
	}
	for _, fp := range []string{"", "+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU", "SHA256:abc", "MD5:16:27:ac:a5",
		"SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU="} {
		if ferry.ErrorCode(ferry.ValidateFingerprint(fp)) != ferry.EINVALID {
			t.Errorf("fingerprint %q accepted", fp)
		}
	}
}
