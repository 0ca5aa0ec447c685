package ferry

import (
	"net"
	"strings"
	"testing"
	"unicode"
)

func TestParseRemoteURL(t *testing.T) {
	tests := []struct {
		raw                          string
		scheme, user, host, port, pa string
		str                          string // String(); "" means raw
		redacted                     string // Redacted(); "" means String()
	}{
		{raw: "https://github.com/ferrygit/ferry.git", scheme: "https", host: "github.com", pa: "/ferrygit/ferry.git"},
		{raw: "HTTPS://GitHub.COM/Owner/Repo", scheme: "https", host: "github.com", pa: "/Owner/Repo", str: "https://github.com/Owner/Repo"},
		{raw: "https://github.com:443/o/r", scheme: "https", host: "github.com", port: "443", pa: "/o/r", str: "https://github.com/o/r"},
		{raw: "https://git.example.com:8443/o/r", scheme: "https", host: "git.example.com", port: "8443", pa: "/o/r"},
		{raw: "https://nouser@dev.azure.com/org/proj/_git/repo", scheme: "https", user: "nouser", host: "dev.azure.com", pa: "/org/proj/_git/repo", redacted: "https://***@dev.azure.com/org/proj/_git/repo"},
		{raw: "http://10.0.0.5/r.git", scheme: "http", host: "10.0.0.5", pa: "/r.git"},
		{raw: "https://[2001:db8::1]:8443/r.git", scheme: "https", host: "2001:db8::1", port: "8443", pa: "/r.git"},
		{raw: "https://dev.azure.com/org/My%20Project/_git/r", scheme: "https", host: "dev.azure.com", pa: "/org/My Project/_git/r"},
		{raw: "ssh://git@github.com/o/r.git", scheme: "ssh", user: "git", host: "github.com", pa: "/o/r.git"},
		{raw: "ssh://user@host:2222/path/service.git", scheme: "ssh", user: "user", host: "host", port: "2222", pa: "/path/service.git"},
		{raw: "ssh://git@host:22/~/repo.git", scheme: "ssh", user: "git", host: "host", port: "22", pa: "/~/repo.git", str: "ssh://git@host/~/repo.git"},
		{raw: "git+ssh://git@host/r", scheme: "ssh", user: "git", host: "host", pa: "/r", str: "ssh://git@host/r"},
		{raw: "git@github.com:owner/repo.git", scheme: "ssh", user: "git", host: "github.com", pa: "owner/repo.git"},
		{raw: "git@GitHub.com:/srv/repo.git", scheme: "ssh", user: "git", host: "github.com", pa: "/srv/repo.git", str: "ssh://git@github.com/srv/repo.git"},
		{raw: "host.example:repo", scheme: "ssh", host: "host.example", pa: "repo"},
		{raw: "git@[2001:db8::1]:repo.git", scheme: "ssh", user: "git", host: "2001:db8::1", pa: "repo.git"},
		{raw: "org-123@vs-ssh.visualstudio.com:v3/org/proj/repo", scheme: "ssh", user: "org-123", host: "vs-ssh.visualstudio.com", pa: "v3/org/proj/repo"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			u, err := ParseRemoteURL(tt.raw)
			if err != nil {
				t.Fatalf("ParseRemoteURL: %v", err)
			}
			got := [5]string{u.Scheme, u.User, u.Host, u.Port, u.Path}
			want := [5]string{tt.scheme, tt.user, tt.host, tt.port, tt.pa}
			if got != want {
				t.Errorf("parts = %q, want %q", got, want)
			}
			str := tt.str
			if str == "" {
				str = tt.raw
			}
			if u.String() != str {
				t.Errorf("String() = %q, want %q", u.String(), str)
			}
			red := tt.redacted
			if red == "" {
				red = str
			}
			if u.Redacted() != red {
				t.Errorf("Redacted() = %q, want %q", u.Redacted(), red)
			}
			// The canonical form parses to itself.
			again, err := ParseRemoteURL(u.String())
			if err != nil || again.String() != u.String() {
				t.Errorf("String() %q does not round-trip: %v %v", u.String(), again, err)
			}
		})
	}
}

func TestParseRemoteURLRejects(t *testing.T) {
	tests := []struct {
		raw, want string // want: a fragment of the message
	}{
		{"", "required"},
		{"file:///srv/repo.git", "local file://"},
		{"FILE:///srv/repo.git", "local file://"},
		{"git://github.com/o/r.git", "neither authenticated nor encrypted"},
		{"ext::sh -c touch% /tmp/pwned", "white space"},
		{"ext::ssh", "remote-helper"},
		{"fd::17", "remote-helper"},
		{"ftp://host/r", "unsupported scheme"},
		{"/srv/repo.git", "local path"},
		{"./repo", "local path"},
		{"../repo:x", "local path"},
		{"repo", "local path"},
		{"~/repo.git", "local path"},
		{"-oProxyCommand=touch /tmp/x", "white space"},
		{"-uhost:repo", "starts with '-'"},
		{"ssh://-oProxyCommand=x/r", "host starting with '-'"},
		{"git@-oProxyCommand=x:r", "host starting with '-'"},
		{"ssh://-user@host/r", "user name starting with '-'"},
		{"-user@host:r", "starts with '-'"},
		{"git@host:-r", "path starting with '-'"},
		{"ssh://git@host/-r", "path starting with '-'"},
		{"https://user:hunter2@github.com/o/r", "password or token"},
		{"https://:ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/o/r", "password or token"},
		{"ssh://git:pw@host/r", "password or token"},
		{"https://github.com/o/r\n", "control character"},
		{"https://github.com/o/r x", "white space"},
		{"https://github.com/o/\x00r", "control character"},
		{"https://github.com/o/r%0a", "control character"},
		{"https://github.com/o/r?x=1", "query or fragment"},
		{"https://github.com/o/r#frag", "query or fragment"},
		{"https://github.com", "no repository path"},
		{"https://github.com/", "no repository path"},
		{"https:///o/r", "no host"},
		{"https://github.com:0/o/r", "invalid port"},
		{"https://github.com:99999/o/r", "invalid port"},
		{"https://github.com:/o/r", "empty port"},
		{"https://git_hub!.com/o/r", "invalid host name"},
		{"https://h.example/a/../b", `".."`},
		{"https://h.example/a/%2e%2e/b", `".."`},
		{"git@host:", "no repository path"},
		{"@host:r", "empty user"},
		{"a@b@host:r", "more than one '@'"},
		{"git@[::1:r", "local path"},
		{"https://" + strings.Repeat("a", MaxRemoteURLLength) + "/r", "bytes long"},
		{"https://h\xffost/r", "UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			u, err := ParseRemoteURL(tt.raw)
			if err == nil {
				t.Fatalf("ParseRemoteURL(%q) = %+v, want an error", tt.raw, u)
			}
			if ErrorCode(err) != EINVALID {
				t.Errorf("code = %q, want %q", ErrorCode(err), EINVALID)
			}
			if msg := ErrorMessage(err); !strings.Contains(msg, tt.want) {
				t.Errorf("message %q does not mention %q", msg, tt.want)
			}
			for _, secret := range []string{"hunter2", "ghp_abcdefghij", ":pw@"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q leaks %q", err, secret)
				}
			}
		})
	}
}

func TestRedactRawURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://user:pass@host/r", "https://***@host/r"},
		{"https://token@host/r", "https://***@host/r"},
		{"ssh://git@host/r", "ssh://git@host/r"},
		{"ssh://git:pw@host/r", "ssh://***@host/r"},
		{"fatal: unable to access 'https://x:y@h/r/': 403", "fatal: unable to access 'https://***@h/r/': 403"},
		{"no url here", "no url here"},
		{"https://host/a@b", "https://host/a@b"},
	}
	for _, tt := range tests {
		if got := RedactRawURL(tt.in); got != tt.want {
			t.Errorf("RedactRawURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestURLPolicyCheck(t *testing.T) {
	tests := []struct {
		name   string
		policy URLPolicy
		raw    string
		ok     bool
		want   string // fragment of the message when refused
	}{
		{"https public", URLPolicy{}, "https://github.com/o/r", true, ""},
		{"ssh public", URLPolicy{}, "git@github.com:o/r", true, ""},
		{"http refused", URLPolicy{}, "http://git.example.com/r", false, "--allow-insecure-http"},
		{"http allowed", URLPolicy{AllowInsecureHTTP: true}, "http://git.example.com/r", true, ""},
		{"loopback", URLPolicy{}, "https://127.0.0.1/r", false, "loopback"},
		{"loopback v6", URLPolicy{}, "https://[::1]/r", false, "loopback"},
		{"localhost name", URLPolicy{}, "https://localhost/r", false, "loopback"},
		{"localhost subdomain", URLPolicy{}, "ssh://git@git.localhost/r", false, "loopback"},
		{"loopback allowed by CIDR", URLPolicy{AllowHosts: []string{"127.0.0.0/8"}}, "https://127.0.0.1/r", true, ""},
		{"localhost allowed by name", URLPolicy{AllowHosts: []string{"localhost"}}, "https://localhost/r", true, ""},
		{"private 10", URLPolicy{}, "https://10.1.2.3/r", false, "private"},
		{"private 172", URLPolicy{}, "https://172.20.0.1/r", false, "private"},
		{"172.32 is public", URLPolicy{}, "https://172.32.0.1/r", true, ""},
		{"private 192", URLPolicy{}, "git@192.168.1.10:r", false, "private"},
		{"private allowed by IP", URLPolicy{AllowHosts: []string{"192.168.1.10"}}, "git@192.168.1.10:r", true, ""},
		{"ULA", URLPolicy{}, "https://[fd12::1]/r", false, "private"},
		{"CGNAT", URLPolicy{}, "https://100.64.1.1/r", false, "carrier-grade"},
		{"unspecified", URLPolicy{}, "https://0.0.0.0/r", false, "unspecified"},
		{"link-local", URLPolicy{}, "https://169.254.10.10/r", false, "link-local"},
		{"link-local despite allow", URLPolicy{AllowHosts: []string{"0.0.0.0/0"}}, "https://169.254.10.10/r", false, "link-local"},
		{"link-local v6", URLPolicy{AllowHosts: []string{"::/0"}}, "https://[fe80::1]/r", false, "link-local"},
		{"metadata IP", URLPolicy{AllowHosts: []string{"169.254.169.254"}}, "https://169.254.169.254/r", false, "metadata"},
		{"metadata v6", URLPolicy{AllowHosts: []string{"fd00::/8"}}, "https://[fd00:ec2::254]/r", false, "metadata"},
		{"metadata name", URLPolicy{AllowHosts: []string{"metadata.google.internal"}}, "https://metadata.google.internal/r", false, "metadata"},
		{"metadata name dot", URLPolicy{}, "https://metadata.google.internal./r", false, "metadata"},
		{"mapped v4", URLPolicy{}, "https://[::ffff:169.254.169.254]/r", false, "metadata"},
		{"mapped loopback", URLPolicy{}, "https://[::ffff:127.0.0.1]/r", false, "loopback"},
		{"NAT64 embedding", URLPolicy{}, "https://[64:ff9b::a9fe:a9fe]/r", false, "IPv4-translated"},
		{"multicast", URLPolicy{AllowHosts: []string{"0.0.0.0/0"}}, "https://224.0.0.1/r", false, "multicast"},
		{"private name ok at save time", URLPolicy{}, "https://git.internal.example/r", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := ParseRemoteURL(tt.raw)
			if err != nil {
				t.Fatal(err)
			}
			err = tt.policy.Check(u)
			if tt.ok {
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Check allowed it")
			}
			if ErrorCode(err) != EINVALID || !strings.Contains(ErrorMessage(err), tt.want) {
				t.Errorf("err = %v, want EINVALID mentioning %q", err, tt.want)
			}
		})
	}
}

func TestURLPolicyCheckAddr(t *testing.T) {
	p := URLPolicy{AllowHosts: []string{"git.corp.example", "*.dev.example", "10.9.0.0/16"}}
	tests := []struct {
		host string
		ip   string
		ok   bool
	}{
		{"github.com", "140.82.121.3", true},
		{"github.com", "2606:50c0:8000::153", true},
		{"evil.example", "127.0.0.1", false},           // DNS pointing at loopback
		{"evil.example", "169.254.169.254", false},     // DNS pointing at metadata
		{"git.corp.example", "10.1.1.1", true},         // allowed by name
		{"GIT.corp.example.", "10.1.1.1", true},        // case and trailing dot
		{"other.corp.example", "10.1.1.1", false},      // not the allowed name
		{"a.dev.example", "192.168.0.1", true},         // wildcard
		{"a.b.dev.example", "192.168.0.1", true},       // wildcard, deeper
		{"dev.example", "192.168.0.1", false},          // wildcard does not cover the apex
		{"xdev.example", "192.168.0.1", false},         // nor a lookalike
		{"anything", "10.9.3.4", true},                 // allowed by CIDR
		{"git.corp.example", "169.254.169.254", false}, // never metadata
		{"git.corp.example", "fe80::1", false},         // never link-local
		{"metadata.google.internal", "8.8.8.8", false},
	}
	for _, tt := range tests {
		err := p.CheckAddr(tt.host, net.ParseIP(tt.ip))
		if (err == nil) != tt.ok {
			t.Errorf("CheckAddr(%q, %s) = %v, want ok=%v", tt.host, tt.ip, err, tt.ok)
		}
		if err != nil && ErrorCode(err) != EINVALID {
			t.Errorf("CheckAddr(%q, %s) code = %q", tt.host, tt.ip, ErrorCode(err))
		}
	}
	if err := p.CheckAddr("x", nil); err == nil {
		t.Error("CheckAddr with no IP allowed it")
	}
}

func TestURLPolicyValidate(t *testing.T) {
	good := URLPolicy{AllowHosts: []string{"10.0.0.0/8", "fd00::/8", "10.1.2.3", "git.example.com", "*.corp.example"}}
	if err := good.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	for _, bad := range []string{"10.0.0.0/33", "not a host", "*", "http://x", ""} {
		if err := (URLPolicy{AllowHosts: []string{bad}}).Validate(); ErrorCode(err) != EINVALID {
			t.Errorf("Validate(%q) = %v, want EINVALID", bad, err)
		}
	}
}

func FuzzParseRemoteURL(f *testing.F) {
	for _, s := range []string{
		"https://github.com/o/r.git", "git@github.com:o/r.git", "ssh://git@h:2222/~/r",
		"https://u:p@h/r", "ext::sh", "file:///x", "-oProxyCommand=x", "git@[::1]:r",
		"https://[::1]:1/r", "http://h/%2e%2e/r", "h:r", "a@b:c:d",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := ParseRemoteURL(raw)
		if err != nil {
			if ErrorCode(err) != EINVALID {
				t.Fatalf("code %q for %q", ErrorCode(err), raw)
			}
			return
		}
		s := u.String()
		for _, part := range []string{u.Host, u.User, strings.TrimPrefix(u.Path, "/")} {
			if strings.HasPrefix(part, "-") {
				t.Fatalf("%q: part %q starts with '-'", raw, part)
			}
		}
		if strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }) >= 0 {
			t.Fatalf("%q: String() %q has a control character or space", raw, s)
		}
		if u.Scheme != "https" && u.Scheme != "http" && u.Scheme != "ssh" {
			t.Fatalf("%q: scheme %q", raw, u.Scheme)
		}
		again, err := ParseRemoteURL(s)
		if err != nil {
			t.Fatalf("%q: String() %q does not parse: %v", raw, s, err)
		}
		if again.String() != s {
			t.Fatalf("%q: String() not stable: %q then %q", raw, s, again.String())
		}
		if strings.ContainsAny(u.User, ":@/") {
			t.Fatalf("%q: user %q may hold a password", raw, u.User)
		}
	})
}
