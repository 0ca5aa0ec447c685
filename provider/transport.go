package provider

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"time"

	"github.com/ferrygit/ferry"
)

// DefaultTimeout bounds one API call.
const DefaultTimeout = 30 * time.Second

// NewHTTPClient returns the HTTP client provider APIs are called through: every address a
// host resolves to is checked against policy when connecting (as the git engine does), no
// proxy is used (it would connect to hosts the policy never saw), and a redirect is
// followed only on the same scheme, host and port, so no header holding a credential
// reaches another server. tlsConfig may be nil.
func NewHTTPClient(policy ferry.URLPolicy, tlsConfig *tls.Config, resolver *net.Resolver) *http.Client {
	if tlsConfig == nil {
		tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if resolver == nil {
		resolver = net.DefaultResolver
	}
	d := &dialer{policy: policy, resolver: resolver}
	return &http.Client{
		Timeout: DefaultTimeout,
		Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         d.dial,
			TLSClientConfig:     tlsConfig,
			ForceAttemptHTTP2:   true,
			MaxIdleConnsPerHost: 4,
			IdleConnTimeout:     60 * time.Second,
			TLSHandshakeTimeout: 15 * time.Second,
		},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return ferry.Errorf(ferry.EUNAVAILABLE, "The provider redirected more than 5 times.")
			}
			if !sameOrigin(req.URL, via[0].URL) {
				return ferry.Errorf(ferry.EUNAVAILABLE, "The provider redirected to another server (%s); Ferry does not follow it with the credential.", req.URL.Host)
			}
			return nil
		},
	}
}

// dialer connects only to addresses the URL policy allows.
type dialer struct {
	policy   ferry.URLPolicy
	resolver *net.Resolver
}

func (d *dialer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	var ips []net.IP
	if ip := net.ParseIP(host); ip != nil {
		ips = []net.IP{ip}
	} else {
		addrs, err := d.resolver.LookupIPAddr(ctx, host)
		if err != nil {
			return nil, err
		}
		for _, a := range addrs {
			ips = append(ips, a.IP)
		}
	}
	if len(ips) == 0 {
		return nil, ferry.Errorf(ferry.EUNAVAILABLE, "The host name %s has no address.", host)
	}
	for _, ip := range ips {
		if err := d.policy.CheckAddr(host, ip); err != nil {
			return nil, err
		}
	}
	var nd net.Dialer
	var first error
	for _, ip := range ips {
		conn, err := nd.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
		if err == nil {
			return conn, nil
		}
		if first == nil {
			first = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, first
}
