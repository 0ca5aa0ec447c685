package ferry

import (
	"net"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxRemoteURLLength is the longest remote URL, in bytes, that Ferry accepts.
const MaxRemoteURLLength = 2048

// RemoteURL is a parsed Git remote URL. A parsed RemoteURL never holds a password.
type RemoteURL struct {
	Raw    string // as the user gave it
	Scheme string // "https", "http" or "ssh"; scp-style "user@host:path" is "ssh"
	User   string // user name only, "" if none
	Host   string // lowercase host name or IP address, without brackets
	Port   string // "" for the scheme's default
	Path   string // begins with '/', except for an scp-style path relative to the user's home
}

// ParseRemoteURL parses a remote URL: https://, http://, ssh:// or scp-style user@host:path.
// Returns EINVALID for anything else (file://, git://, ext::, local paths), for input with
// control characters or white space, for a host, user or path starting with '-', and for a
// URL carrying a password, which belongs in a credential instead.
// It does not apply a URLPolicy; see URLPolicy.Check.
func ParseRemoteURL(raw string) (*RemoteURL, error) {
	shown := RedactRawURL(raw)
	switch {
	case raw == "":
		return nil, Errorf(EINVALID, "Remote URL is required.")
	case len(raw) > MaxRemoteURLLength:
		return nil, Errorf(EINVALID, "Remote URL is %d bytes long; at most %d are allowed.", len(raw), MaxRemoteURLLength)
	case !utf8.ValidString(raw):
		return nil, Errorf(EINVALID, "Remote URL %q is not valid UTF-8.", clip(strings.ToValidUTF8(shown, "?")))
	case strings.IndexFunc(raw, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }) >= 0:
		return nil, Errorf(EINVALID, "Remote URL %q contains white space or a control character.", clip(strings.Map(printable, shown)))
	case strings.HasPrefix(raw, "-"):
		return nil, Errorf(EINVALID, "Remote URL %q starts with '-', which Git would read as an option.", clip(shown))
	}
	if i := strings.Index(raw, "::"); i > 0 && isTransportName(raw[:i]) {
		return nil, Errorf(EINVALID, "Remote URL %q uses Git's %q remote-helper syntax, which could run programs; use an https:// or ssh:// URL.", clip(shown), raw[:i]+"::")
	}
	parse := parseSCP
	if i := strings.Index(raw, "://"); i >= 0 {
		scheme := strings.ToLower(raw[:i])
		parse = func(raw, shown string) (*RemoteURL, error) { return parseSchemeURL(raw, shown, scheme) }
	}
	u, err := parse(raw, shown)
	if err == nil && len(u.String()) > MaxRemoteURLLength {
		return nil, Errorf(EINVALID, "Remote URL is %d bytes long once escaped; at most %d are allowed.", len(u.String()), MaxRemoteURLLength)
	}
	return u, err
}

// isTransportName reports whether s looks like a URL scheme or remote-helper name.
func isTransportName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return s != ""
}

func parseSchemeURL(raw, shown, scheme string) (*RemoteURL, error) {
	switch scheme {
	case "https", "http", "ssh":
	case "git+ssh", "ssh+git":
		scheme = "ssh"
	case "file":
		return nil, Errorf(EINVALID, "Remote URL %q is a local file:// URL; Ferry only talks to remote servers over https:// or ssh://.", clip(shown))
	case "git":
		return nil, Errorf(EINVALID, "Remote URL %q uses the git:// protocol, which is neither authenticated nor encrypted; use https:// or ssh://.", clip(shown))
	default:
		return nil, Errorf(EINVALID, "Remote URL %q has the unsupported scheme %q; use https:// or ssh://.", clip(shown), clip(scheme))
	}
	pu, err := url.Parse(raw)
	if err != nil {
		return nil, Errorf(EINVALID, "Remote URL %q is malformed.", clip(shown))
	}
	if pu.Opaque != "" || pu.Host == "" {
		return nil, Errorf(EINVALID, "Remote URL %q has no host.", clip(shown))
	}
	if pu.RawQuery != "" || pu.ForceQuery || pu.Fragment != "" || strings.Contains(raw, "#") {
		return nil, Errorf(EINVALID, "Remote URL %q has a query or fragment; a Git remote URL has neither.", clip(shown))
	}
	u := &RemoteURL{Raw: raw, Scheme: scheme, Path: pu.Path}
	if pu.User != nil {
		if _, ok := pu.User.Password(); ok {
			return nil, errEmbeddedPassword(shown)
		}
		u.User = pu.User.Username()
	}
	u.Host, u.Port = strings.ToLower(pu.Hostname()), pu.Port()
	if strings.HasSuffix(pu.Host, ":") {
		return nil, Errorf(EINVALID, "Remote URL %q has an empty port.", clip(shown))
	}
	if err := u.validate(shown); err != nil {
		return nil, err
	}
	return u, nil
}

func parseSCP(raw, shown string) (*RemoteURL, error) {
	local := Errorf(EINVALID, "Remote URL %q looks like a local path; give an https://, ssh:// or user@host:path URL.", clip(shown))
	userHost, path, ok := strings.Cut(raw, ":")
	if strings.HasPrefix(raw, "[") || strings.Contains(raw, "@[") {
		// user@[ipv6]:path
		end := strings.Index(raw, "]:")
		if end < 0 {
			return nil, local
		}
		userHost, path, ok = raw[:end+1], raw[end+2:], true
	}
	if !ok || strings.Contains(userHost, "/") || userHost == "" {
		return nil, local
	}
	u := &RemoteURL{Raw: raw, Scheme: "ssh", Path: path}
	if user, host, found := strings.Cut(userHost, "@"); found {
		u.User, userHost = user, host
		if user == "" {
			return nil, Errorf(EINVALID, "Remote URL %q has an empty user name before '@'.", clip(shown))
		}
		if strings.Contains(host, "@") {
			return nil, Errorf(EINVALID, "Remote URL %q has more than one '@' before the path.", clip(shown))
		}
	}
	if strings.HasPrefix(userHost, "[") && strings.HasSuffix(userHost, "]") {
		userHost = userHost[1 : len(userHost)-1]
	}
	u.Host = strings.ToLower(userHost)
	if u.Path == "" {
		return nil, Errorf(EINVALID, "Remote URL %q has no repository path after ':'.", clip(shown))
	}
	if strings.HasPrefix(u.Path, ":") {
		return nil, Errorf(EINVALID, "Remote URL %q has a path starting with ':'.", clip(shown))
	}
	if err := u.validate(shown); err != nil {
		return nil, err
	}
	return u, nil
}

func errEmbeddedPassword(shown string) error {
	return Errorf(EINVALID, "Remote URL %q contains a password or token; remove it from the URL and store it as a credential instead.", clip(shown))
}

// validate checks the parsed parts shared by both syntaxes.
func (u *RemoteURL) validate(shown string) error {
	if u.Host == "" {
		return Errorf(EINVALID, "Remote URL %q has no host.", clip(shown))
	}
	if strings.HasPrefix(u.Host, "-") {
		return Errorf(EINVALID, "Remote URL %q has a host starting with '-', which could be read as an option.", clip(shown))
	}
	if net.ParseIP(u.Host) == nil && !validHostname(u.Host) {
		return Errorf(EINVALID, "Remote URL %q has the invalid host name %q.", clip(shown), clip(u.Host))
	}
	if strings.HasPrefix(u.User, "-") {
		return Errorf(EINVALID, "Remote URL %q has a user name starting with '-', which could be read as an option.", clip(shown))
	}
	for i := 0; i < len(u.User); i++ {
		if c := u.User[i]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("._~+-", c) >= 0) {
			return Errorf(EINVALID, "Remote URL %q has a user name with characters other than letters, digits and ._~+-; put the user name in a credential instead.", clip(shown))
		}
	}
	if u.Port != "" {
		n, err := strconv.Atoi(u.Port)
		if err != nil || n < 1 || n > 65535 {
			return Errorf(EINVALID, "Remote URL %q has the invalid port %q.", clip(shown), clip(u.Port))
		}
		u.Port = strconv.Itoa(n)
	}
	p := strings.TrimPrefix(u.Path, "/")
	if p == "" {
		return Errorf(EINVALID, "Remote URL %q has no repository path.", clip(shown))
	}
	if strings.HasPrefix(p, "-") {
		return Errorf(EINVALID, "Remote URL %q has a path starting with '-', which could be read as an option.", clip(shown))
	}
	if strings.IndexFunc(u.Path, unicode.IsControl) >= 0 || !utf8.ValidString(u.Path) {
		return Errorf(EINVALID, "Remote URL %q has a control character or invalid UTF-8 in its path.", clip(strings.Map(printable, shown)))
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "." || seg == ".." {
			return Errorf(EINVALID, "Remote URL %q has a %q path segment.", clip(shown), seg)
		}
	}
	return nil
}

// validHostname reports whether h is a DNS name: labels of letters, digits, '-' and '_',
// optionally ending with '.'.
func validHostname(h string) bool {
	h = strings.TrimSuffix(h, ".")
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// SCP reports whether u is in scp-style syntax with a path relative to the user's home,
// which has no equivalent ssh:// spelling without "~".
func (u *RemoteURL) SCP() bool { return u.Scheme == "ssh" && !strings.HasPrefix(u.Path, "/") }

// HostPort returns the host and port to connect to, filling in the scheme's default port.
func (u *RemoteURL) HostPort() (host, port string) {
	port = u.Port
	if port == "" {
		port = defaultPorts[u.Scheme]
	}
	return u.Host, port
}

var defaultPorts = map[string]string{"https": "443", "http": "80", "ssh": "22"}

// String returns u's canonical form: lowercase scheme and host, no default port, the path as
// parsed; scp-style for a home-relative SSH path. It never contains a password.
func (u *RemoteURL) String() string { return u.format(u.User) }

// Redacted returns String with the user name of an http(s) URL, which may be a token,
// replaced by "***". SSH user names (such as "git") are kept.
func (u *RemoteURL) Redacted() string {
	user := u.User
	if user != "" && u.Scheme != "ssh" {
		user = "***"
	}
	return u.format(user)
}

func (u *RemoteURL) format(user string) string {
	host := u.Host
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if user != "" {
		host = user + "@" + host
	}
	if u.SCP() {
		return host + ":" + u.Path
	}
	port := u.Port
	if port == defaultPorts[u.Scheme] {
		port = ""
	}
	if port != "" {
		host += ":" + port
	}
	return u.Scheme + "://" + host + (&url.URL{Path: u.Path}).EscapedPath()
}

// RedactRawURL replaces the user information in every "scheme://userinfo@" of s with "***",
// for quoting input that did not parse. An ssh:// user without a password is kept.
func RedactRawURL(s string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, "://")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		start := i
		for start > 0 && isTransportName(s[start-1:i]) {
			start--
		}
		scheme := strings.ToLower(s[start:i])
		b.WriteString(s[:i+3])
		s = s[i+3:]
		end := strings.IndexAny(s, "/?#\x20\t\r\n\"'<>")
		if end < 0 {
			end = len(s)
		}
		if at := strings.LastIndex(s[:end], "@"); at >= 0 {
			userinfo := s[:at]
			if strings.Contains(userinfo, ":") || !strings.Contains(scheme, "ssh") {
				userinfo = "***"
			}
			b.WriteString(userinfo + "@")
			s = s[at+1:]
		}
	}
}

// URLPolicy says which remotes Ferry may contact. Link-local and cloud-metadata addresses are
// always refused; loopback, private, CGNAT and unspecified addresses only when AllowHosts
// permits the host or address.
type URLPolicy struct {
	// AllowInsecureHTTP permits http:// remotes (operator flag --allow-insecure-http).
	AllowInsecureHTTP bool
	// AllowHosts lists CIDRs ("10.0.0.0/8"), addresses ("10.1.2.3"), host names
	// ("git.internal") and wildcards ("*.corp.example", any subdomain but not the name
	// itself) that may resolve to loopback or private addresses.
	AllowHosts []string
}

// Validate returns EINVALID if an AllowHosts entry is neither a CIDR, an address, a host
// name nor a "*.domain" wildcard.
func (p URLPolicy) Validate() error {
	for _, h := range p.AllowHosts {
		if _, _, err := net.ParseCIDR(h); err == nil || net.ParseIP(h) != nil {
			continue
		}
		if validHostname(strings.ToLower(strings.TrimPrefix(h, "*."))) {
			continue
		}
		return Errorf(EINVALID, "Allowed host %q is not a CIDR, an IP address, a host name or a *.domain wildcard.", clip(h))
	}
	return nil
}

// Check returns EINVALID if u may not be contacted under p: an http:// URL without
// AllowInsecureHTTP, a cloud-metadata host name, or an address or "localhost" name in a
// blocked range. Host names are checked again, address by address, when connecting
// (see CheckAddr), because DNS answers can change.
func (p URLPolicy) Check(u *RemoteURL) error {
	if u == nil {
		return Errorf(EINVALID, "Remote URL is required.")
	}
	switch u.Scheme {
	case "https", "ssh":
	case "http":
		if !p.AllowInsecureHTTP {
			return Errorf(EINVALID, "Remote URL %q uses unencrypted http://; use https://, or ask the operator to start Ferry with --allow-insecure-http.", clip(u.Redacted()))
		}
	default:
		return Errorf(EINVALID, "Remote URL %q has the unsupported scheme %q.", clip(u.Redacted()), u.Scheme)
	}
	host := canonicalHost(u.Host)
	if metadataHosts[host] {
		return errBlocked(u.Host, "is a cloud metadata service")
	}
	if ip := net.ParseIP(host); ip != nil {
		return p.CheckAddr(host, ip)
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return p.CheckAddr(host, net.IPv4(127, 0, 0, 1))
	}
	return nil
}

// CheckAddr returns EINVALID if Ferry may not connect to ip, an address that host resolved
// to (host may also be the address itself).
func (p URLPolicy) CheckAddr(host string, ip net.IP) error {
	host = canonicalHost(host)
	if ip == nil {
		return errBlocked(host, "did not resolve to an IP address")
	}
	if ip4 := ip.To4(); ip4 != nil {
		ip = ip4
	}
	if metadataHosts[host] || metadataIPs[ip.String()] {
		return errBlocked(host, "is a cloud metadata service")
	}
	for _, n := range alwaysBlocked {
		if n.net.Contains(ip) {
			return errBlocked(host, "resolves to "+ip.String()+", "+n.why)
		}
	}
	for _, n := range blockedUnlessAllowed {
		if n.net.Contains(ip) {
			if p.allows(host, ip) {
				return nil
			}
			return Errorf(EINVALID, "Host %q resolves to %s, %s; the operator can permit it with --allow-hosts.", clip(host), ip, n.why)
		}
	}
	return nil
}

// allows reports whether an AllowHosts entry names host or contains ip.
func (p URLPolicy) allows(host string, ip net.IP) bool {
	for _, h := range p.AllowHosts {
		if _, n, err := net.ParseCIDR(h); err == nil {
			if n.Contains(ip) {
				return true
			}
			continue
		}
		if a := net.ParseIP(h); a != nil {
			if a.Equal(ip) {
				return true
			}
			continue
		}
		h = canonicalHost(h)
		if h == host || strings.HasPrefix(h, "*.") && strings.HasSuffix(host, h[1:]) {
			return true
		}
	}
	return false
}

func canonicalHost(h string) string {
	return strings.TrimSuffix(strings.ToLower(strings.Trim(h, "[]")), ".")
}

func errBlocked(host, why string) error {
	return Errorf(EINVALID, "Host %q %s; Ferry never connects to it.", clip(host), why)
}

var (
	metadataHosts = map[string]bool{"metadata.google.internal": true, "metadata": true, "instance-data": true, "instance-data.ec2.internal": true}
	metadataIPs   = map[string]bool{"169.254.169.254": true, "fd00:ec2::254": true, "100.100.100.200": true}
)

type blockedNet struct {
	net *net.IPNet
	why string
}

func mustNets(why string, cidrs ...string) []blockedNet {
	var out []blockedNet
	for _, c := range cidrs {
		_, n, err := net.ParseCIDR(c)
		if err != nil {
			panic(err)
		}
		out = append(out, blockedNet{n, why})
	}
	return out
}

var (
	alwaysBlocked = append(append(
		mustNets("a link-local address", "169.254.0.0/16", "fe80::/10"),
		mustNets("a multicast address", "224.0.0.0/4", "ff00::/8")...),
		mustNets("the broadcast address", "255.255.255.255/32")...)
	blockedUnlessAllowed = append(append(append(append(
		mustNets("a loopback address", "127.0.0.0/8", "::1/128"),
		mustNets("a private address", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")...),
		mustNets("an unspecified address", "0.0.0.0/8", "::/128")...),
		mustNets("a carrier-grade NAT address", "100.64.0.0/10")...),
		mustNets("an IPv4-translated or IPv4-compatible address", "64:ff9b::/96", "64:ff9b:1::/48", "::/96")...)
)
