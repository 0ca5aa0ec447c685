package sshkey

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/ferrygit/ferry"
)

// DialFunc opens a TCP connection, like net.Dialer.DialContext.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// scanAlgorithms are the host key algorithms ScanHostKeys asks for, one handshake each, so
// a server that holds several keys shows them all.
var scanAlgorithms = []string{
	ssh.KeyAlgoED25519,
	ssh.KeyAlgoECDSA256,
	ssh.KeyAlgoECDSA384,
	ssh.KeyAlgoECDSA521,
	ssh.KeyAlgoRSASHA512,
}

// scanTimeout bounds one handshake when ctx has no earlier deadline.
const scanTimeout = 15 * time.Second

// errCaptured aborts a handshake once the host key has been seen.
var errCaptured = errors.New("host key captured")

// ScanHostKeys connects to host (a ferry.NormalizeSSHHost form: "name", "name:port",
// "[ipv6]:port") once for each host key algorithm and returns the keys the server
// presents. It never authenticates: each handshake stops as soon as the server has shown
// its key. dial opens the connections; it is where a URL policy refuses addresses.
// Returns EUNAVAILABLE when the host cannot be reached or presents no key.
func ScanHostKeys(ctx context.Context, host string, dial DialFunc) ([]*ferry.KnownHost, error) {
	addr := host
	if _, _, err := net.SplitHostPort(host); err != nil {
		addr = net.JoinHostPort(strings.Trim(host, "[]"), "22")
	}
	var keys []*ferry.KnownHost
	seen := map[string]bool{}
	var lastErr error
	for _, alg := range scanAlgorithms {
		key, err := hostKey(ctx, addr, alg, dial)
		var connErr *connectError
		if errors.As(err, &connErr) {
			if code := ferry.ErrorCode(connErr.err); code != ferry.EINTERNAL {
				return nil, connErr.err // the dialer's own verdict, such as a URL policy's
			}
			return nil, ferry.Errorf(ferry.EUNAVAILABLE, "Cannot connect to %s: %s.", host, connErr.err)
		}
		if err != nil {
			lastErr = err
			continue
		}
		k := &ferry.KnownHost{Host: host, KeyType: key.Type(), Key: strings.Fields(string(ssh.MarshalAuthorizedKey(key)))[1]}
		if err := k.Validate(); err != nil || seen[k.Fingerprint] {
			continue
		}
		seen[k.Fingerprint] = true
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, ferry.Errorf(ferry.EUNAVAILABLE, "%s did not complete an SSH handshake far enough to show a host key: %v.", host, lastErr)
	}
	return keys, nil
}

// connectError is a failure to open the TCP connection, as opposed to one of the handshake.
type connectError struct{ err error }

func (e *connectError) Error() string { return e.err.Error() }

// hostKey runs one handshake offering only algorithm alg and returns the key the server
// presents.
func hostKey(ctx context.Context, addr, alg string, dial DialFunc) (ssh.PublicKey, error) {
	ctx, cancel := context.WithTimeout(ctx, scanTimeout)
	defer cancel()
	conn, err := dial(ctx, "tcp", addr)
	if err != nil {
		return nil, &connectError{err}
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if deadline, ok := ctx.Deadline(); ok {
		conn.SetDeadline(deadline)
	}
	var key ssh.PublicKey
	cfg := &ssh.ClientConfig{
		User:              "ferry",
		HostKeyAlgorithms: []string{alg},
		HostKeyCallback: func(_ string, _ net.Addr, k ssh.PublicKey) error {
			key = k
			return errCaptured
		},
	}
	_, _, _, err = ssh.NewClientConn(conn, addr, cfg)
	if key != nil {
		return key, nil
	}
	if err == nil {
		err = errors.New("no host key")
	}
	return nil, fmt.Errorf("%s: %w", alg, err)
}

// CheckedDialer returns a DialFunc that resolves the host itself, asks check about each
// address, and connects to the first address check allows, so that what was checked is
// what is dialed. When check refuses every address, it returns check's first error.
func CheckedDialer(check func(host string, ip net.IP) error) DialFunc {
	var d net.Dialer
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		ips, err := net.DefaultResolver.LookupIPAddr(ctx, host)
		if err != nil {
			return nil, err
		}
		var refused error
		for _, ip := range ips {
			if err := check(host, ip.IP); err != nil {
				if refused == nil {
					refused = err
				}
				continue
			}
			return d.DialContext(ctx, network, net.JoinHostPort(ip.IP.String(), port))
		}
		if refused == nil {
			refused = fmt.Errorf("%s has no address", host)
		}
		return nil, refused
	}
}
