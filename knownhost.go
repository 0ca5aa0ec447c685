package ferry

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"net"
	"strconv"
	"strings"
	"time"
)

// The sources of a known host key.
const (
	KnownHostBuiltin = "builtin" // shipped with Ferry for a big provider; cannot be deleted
	KnownHostAdded   = "added"   // added with its full key
	KnownHostTrusted = "trusted" // pinned from what the host presented, on a user's explicit request
)

// KnownHost is a pinned SSH host key: connections to Host succeed only if it presents one
// of the keys pinned for it.
type KnownHost struct {
	Host        string    `json:"host"`     // lowercase host name or IP, with ":port" unless the port is 22
	KeyType     string    `json:"key_type"` // ssh-ed25519, ecdsa-sha2-nistp256, ssh-rsa, …
	Key         string    `json:"key"`      // the public key in base64, as in known_hosts
	Fingerprint string    `json:"fingerprint"`
	Source      string    `json:"source"`
	CreatedAt   time.Time `json:"created_at,omitzero"` // zero for built-in keys
}

// hostKeyTypes are the host key types Ferry pins. DSA is left out: OpenSSH dropped it.
var hostKeyTypes = map[string]bool{
	"ssh-ed25519":         true,
	"ecdsa-sha2-nistp256": true,
	"ecdsa-sha2-nistp384": true,
	"ecdsa-sha2-nistp521": true,
	"ssh-rsa":             true,
}

// Validate normalizes the host and checks the key: that it is base64 of an SSH public key
// of a supported type that matches KeyType (when set). It sets Host, KeyType and
// Fingerprint. Returns EINVALID naming what is wrong.
func (k *KnownHost) Validate() error {
	host, err := NormalizeSSHHost(k.Host)
	if err != nil {
		return err
	}
	blob, err := base64.StdEncoding.DecodeString(k.Key)
	if err != nil || len(blob) == 0 {
		return Errorf(EINVALID, "The key must be an SSH public key such as \"ssh-ed25519 AAAAC3Nz…\"; its second part is not base64.")
	}
	typ, ok := keyBlobType(blob)
	if !ok {
		return Errorf(EINVALID, "The key is not an SSH public key: its base64 does not start with a key type.")
	}
	if !hostKeyTypes[typ] {
		return Errorf(EINVALID, "Host key type %q is not supported; use ssh-ed25519, ecdsa-sha2-nistp256/384/521 or ssh-rsa.", clip(typ))
	}
	if k.KeyType != "" && k.KeyType != typ {
		return Errorf(EINVALID, "The key says it is %s but its base64 holds a %s key.", clip(k.KeyType), typ)
	}
	k.Host, k.KeyType, k.Fingerprint = host, typ, FingerprintSHA256(blob)
	return nil
}

// Line returns the key as one "host keytype base64" line, the form of OpenSSH's
// known_hosts file (except that another port than 22 reads "host:port").
func (k *KnownHost) Line() string { return k.Host + " " + k.KeyType + " " + k.Key }

// keyBlobType returns the type name an SSH public key blob starts with.
func keyBlobType(blob []byte) (string, bool) {
	if len(blob) < 4 {
		return "", false
	}
	n := binary.BigEndian.Uint32(blob)
	if n == 0 || n > 64 || int(n) > len(blob)-4 {
		return "", false
	}
	return string(blob[4 : 4+n]), true
}

// FingerprintSHA256 returns the fingerprint of an SSH public key blob as OpenSSH prints it:
// "SHA256:" and the unpadded base64 of its SHA-256.
func FingerprintSHA256(blob []byte) string {
	sum := sha256.Sum256(blob)
	return "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:])
}

// ValidateFingerprint returns EINVALID unless fp looks like "SHA256:" and 43 characters
// of unpadded base64.
func ValidateFingerprint(fp string) error {
	rest, ok := strings.CutPrefix(fp, "SHA256:")
	if b, err := base64.RawStdEncoding.DecodeString(rest); !ok || err != nil || len(b) != sha256.Size {
		return Errorf(EINVALID, "Fingerprint %q must look like SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU, as ssh prints it.", clip(fp))
	}
	return nil
}

// NormalizeSSHHost returns host ("name", "name:port" or "[ipv6]:port") lowercased, with the
// port dropped when it is 22. Returns EINVALID for anything else, such as a URL, a user
// part or a bad port.
func NormalizeSSHHost(host string) (string, error) {
	bad := func(why string) error {
		return Errorf(EINVALID, "Host %q %s; give a host name or IP address with an optional :port, such as git.example.com:2222.", clip(host), why)
	}
	if host == "" {
		return "", Errorf(EINVALID, "Host is required, such as git.example.com or git.example.com:2222.")
	}
	name, port := host, "22"
	if strings.Contains(host, "://") || strings.Contains(host, "@") || strings.Contains(host, "/") {
		return "", bad("is not a bare host")
	}
	if strings.HasPrefix(host, "[") || strings.Count(host, ":") == 1 {
		h, p, err := net.SplitHostPort(host)
		if err != nil {
			return "", bad("is malformed")
		}
		name, port = h, p
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 || port[0] == '0' {
		return "", bad("has a bad port")
	}
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	if ip := net.ParseIP(name); ip != nil {
		name = ip.String()
	} else if !validHostName(name) {
		return "", bad("is not a valid host name")
	}
	if port == "22" {
		if strings.Contains(name, ":") {
			return "[" + name + "]", nil
		}
		return name, nil
	}
	return net.JoinHostPort(name, port), nil
}

// validHostName reports whether name is a DNS name: labels of letters, digits and '-'.
func validHostName(name string) bool {
	if name == "" || len(name) > 253 {
		return false
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' && c != '_' {
				return false
			}
		}
	}
	return true
}

// KnownHostService keeps the pinned host keys.
type KnownHostService interface {
	// ListKnownHosts returns the built-in and stored keys ordered by host, of host only
	// when host is not "". Returns EINVALID for a malformed host.
	ListKnownHosts(ctx context.Context, host string) ([]*KnownHost, error)

	// AddKnownHost validates and stores a key and sets its CreatedAt. Returns EINVALID for
	// a bad host or key and ECONFLICT if the host has that key already.
	AddKnownHost(ctx context.Context, k *KnownHost) error

	// DeleteKnownHost removes the stored keys of host, or only the one with fingerprint
	// when it is not "". Returns ENOTFOUND if there is none and ECONFLICT for built-in keys.
	DeleteKnownHost(ctx context.Context, host, fingerprint string) error
}
