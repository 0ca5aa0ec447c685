package git

import (
	"encoding/base64"
	"regexp"
	"strings"

	"github.com/ferrygit/ferry"
)

// redactor removes secrets from text before it is logged or returned: the exact secret
// strings it was given, the user information of URLs, Authorization headers and
// well-known token shapes.
type redactor struct {
	secrets []string
}

// newRedactor returns a redactor for the secrets of auth (which may be nil).
func newRedactor(auth *ferry.GitAuth) *redactor {
	r := &redactor{}
	if auth == nil {
		return r
	}
	r.add(auth.Password)
	if auth.Password != "" || auth.Username != "" {
		r.add(base64.StdEncoding.EncodeToString([]byte(auth.Username + ":" + auth.Password)))
	}
	for _, line := range strings.Split(string(auth.PrivateKey), "\n") {
		if line = strings.TrimSpace(line); len(line) >= 16 && !strings.HasPrefix(line, "-----") {
			r.add(line)
		}
	}
	return r
}

func (r *redactor) add(s string) {
	if len(s) >= 4 { // shorter strings would redact ordinary words; they are not secrets worth the name
		r.secrets = append(r.secrets, s)
	}
}

var (
	urlUserinfo = regexp.MustCompile(`(?i)\b([a-z][a-z0-9+.-]*://)([^/@\s'"<>]*)@`)
	authHeader  = regexp.MustCompile(`(?i)(authorization:\s*)(\S+\s+)?\S+`)
	tokenShapes = regexp.MustCompile(`\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_-]{16,}|x-access-token:[^@\s]+)`)
)

// redact returns s without secrets.
func (r *redactor) redact(s string) string {
	for _, sec := range r.secrets {
		s = strings.ReplaceAll(s, sec, "***")
	}
	s = urlUserinfo.ReplaceAllStringFunc(s, func(m string) string {
		sub := urlUserinfo.FindStringSubmatch(m)
		if strings.HasPrefix(strings.ToLower(sub[1]), "ssh") && !strings.Contains(sub[2], ":") {
			return m // ssh://git@host: the user is not a secret
		}
		return sub[1] + "***@"
	})
	s = authHeader.ReplaceAllString(s, "${1}***")
	return tokenShapes.ReplaceAllString(s, "***")
}

// redactAll redacts each string.
func (r *redactor) redactAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = r.redact(s)
	}
	return out
}
