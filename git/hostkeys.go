package git

import (
	"bytes"
	"encoding/base64"
	"net"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/ferrygit/ferry"
)

// hostPattern is how Ferry names an SSH server in known_hosts lines and as OpenSSH's
// HostKeyAlias: "host" for port 22, "[host]:port" otherwise.
func hostPattern(host, port string) string {
	host = strings.ToLower(strings.Trim(host, "[]"))
	if port == "" || port == "22" {
		return host
	}
	return "[" + host + "]:" + port
}

// pin is one pinned host key.
type pin struct {
	pattern string // as hostPattern returns it
	key     ssh.PublicKey
}

// parseKnownHosts parses "host[:port] keytype base64 [comment]" lines ("[host]:port" and
// comma-separated host lists are accepted). Lines it cannot use are skipped: hashed
// entries, markers such as @cert-authority, comments and malformed keys.
func parseKnownHosts(lines []string) []pin {
	var pins []pin
	for _, line := range lines {
		for _, l := range strings.Split(line, "\n") {
			f := strings.Fields(l)
			if len(f) < 3 || strings.HasPrefix(f[0], "#") || strings.HasPrefix(f[0], "@") || strings.HasPrefix(f[0], "|") {
				continue
			}
			raw, err := base64.StdEncoding.DecodeString(f[2])
			if err != nil {
				continue
			}
			key, err := ssh.ParsePublicKey(raw)
			if err != nil || key.Type() != f[1] {
				continue
			}
			for _, h := range strings.Split(f[0], ",") {
				pins = append(pins, pin{pattern: normalizeHost(h), key: key})
			}
		}
	}
	return pins
}

// normalizeHost turns "host", "host:port" or "[host]:port" into hostPattern's form.
func normalizeHost(h string) string {
	if host, port, err := net.SplitHostPort(h); err == nil {
		return hostPattern(host, port)
	}
	return hostPattern(h, "")
}

// hostKeyInfo describes key.
func hostKeyInfo(key ssh.PublicKey, known bool) *ferry.HostKeyInfo {
	return &ferry.HostKeyInfo{Type: key.Type(), Fingerprint: ssh.FingerprintSHA256(key), Known: known}
}

// hostKeyChecker checks the key a server presents against the pins for its pattern and
// remembers what it saw.
type hostKeyChecker struct {
	pattern string
	pins    []pin // only those for pattern
	seen    *ferry.HostKeyInfo
	err     *ferry.GitError
}

func newHostKeyChecker(host, port string, all []pin) *hostKeyChecker {
	c := &hostKeyChecker{pattern: hostPattern(host, port)}
	for _, p := range all {
		if p.pattern == c.pattern {
			c.pins = append(c.pins, p)
		}
	}
	return c
}

// check is an ssh.HostKeyCallback. It never trusts an unpinned key.
func (c *hostKeyChecker) check(_ string, _ net.Addr, key ssh.PublicKey) error {
	for _, p := range c.pins {
		if bytes.Equal(p.key.Marshal(), key.Marshal()) {
			c.seen = hostKeyInfo(key, true)
			return nil
		}
	}
	c.seen = hostKeyInfo(key, false)
	if len(c.pins) == 0 {
		c.err = &ferry.GitError{Reason: ferry.ReasonHostKeyUnknown, HostKey: c.seen,
			Message: "The SSH host key of " + c.pattern + " is not pinned; it presented " + c.seen.Type + " " + c.seen.Fingerprint + ". Add it to the known hosts if you trust it."}
	} else {
		c.err = &ferry.GitError{Reason: ferry.ReasonHostKeyMismatch, HostKey: c.seen,
			Message: "The SSH host key of " + c.pattern + " is " + c.seen.Type + " " + c.seen.Fingerprint + ", which is not the pinned key. The server may have been replaced, or someone is intercepting the connection."}
	}
	return c.err
}

// algorithms returns the host key algorithms to offer: those of the pinned keys, so that a
// server with several keys presents a pinned one; nil (all) when nothing is pinned.
func (c *hostKeyChecker) algorithms() []string {
	var algos []string
	for _, p := range c.pins {
		switch t := p.key.Type(); t {
		case ssh.KeyAlgoRSA:
			algos = append(algos, ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA)
		default:
			algos = append(algos, t)
		}
	}
	return algos
}

// knownHostsFile renders pins as an OpenSSH known_hosts file.
func knownHostsFile(pins []pin) []byte {
	var b bytes.Buffer
	for _, p := range pins {
		b.WriteString(p.pattern + " " + p.key.Type() + " " + base64.StdEncoding.EncodeToString(p.key.Marshal()) + "\n")
	}
	return b.Bytes()
}
