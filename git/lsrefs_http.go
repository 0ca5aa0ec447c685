package git

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"

	"github.com/ferrygit/ferry"
)

// target is where the git CLI should go after in-process discovery: the URL after any
// redirect and the address that passed the policy.
type target struct {
	url     *ferry.RemoteURL
	ip      net.IP   // the address to connect to
	ips     []net.IP // all checked addresses, when known; HTTPS lets curl try each
	hostKey *ferry.HostKeyInfo
}

const (
	uploadPack  = "git-upload-pack"
	receivePack = "git-receive-pack"
)

// maxAdvertisement bounds the size of a ref advertisement Ferry reads.
const maxAdvertisement = 64 << 20

// discoverHTTP lists refs over smart HTTP: GET info/refs asking for protocol version 2,
// then, if the server speaks it, POST an ls-refs command; otherwise it reads the version 0
// advertisement from the first answer.
func (e *Engine) discoverHTTP(ctx context.Context, u *ferry.RemoteURL, auth *ferry.GitAuth, service string) (*ferry.RemoteInfo, *target, error) {
	base := httpBase(u)
	t := &target{url: u}
	trace := &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) {
		if a, ok := info.Conn.RemoteAddr().(*net.TCPAddr); ok {
			t.ip = a.IP
		}
	}}
	ctx = httptrace.WithClientTrace(ctx, trace)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/info/refs?service="+service, nil)
	if err != nil {
		return nil, nil, gitErr(ferry.ReasonFailed, "Could not build the request for "+u.Redacted()+".")
	}
	if service == uploadPack {
		req.Header.Set("Git-Protocol", "version=2")
	}
	e.setAuth(req, u, auth)
	resp, err := e.client.Do(req)
	if err != nil {
		return nil, nil, classifyNet(err, u.Host)
	}
	defer resp.Body.Close()
	if err := httpStatus(resp, u); err != nil {
		return nil, nil, err
	}
	if final := resp.Request.URL; final.String() != req.URL.String() {
		redirected, err := redirectedRemote(final, u)
		if err != nil {
			return nil, nil, err
		}
		t.url, base = redirected, httpBase(redirected)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/x-"+service+"-advertisement" {
		return nil, nil, gitErr(ferry.ReasonRepoNotFound, "The server at "+u.Redacted()+" did not answer as a Git server (it sent "+clipType(ct)+"); check the URL.")
	}
	p := newPktReader(io.LimitReader(resp.Body, maxAdvertisement))
	info, err := readV0(p)
	if errors.Is(err, errVersion2) {
		if err := skipV2Caps(p); err != nil {
			return nil, nil, protocolErr(u, err)
		}
		info, err = e.lsRefsHTTP(ctx, base, u, auth)
		e.cfg.Logger.Debug("git ls-refs", "remote", u.Redacted(), "protocol", 2)
	}
	if err != nil {
		var ge *ferry.GitError
		if errors.As(err, &ge) {
			return nil, nil, err
		}
		return nil, nil, protocolErr(u, err)
	}
	return info, t, nil
}

// lsRefsHTTP sends a version 2 ls-refs command.
func (e *Engine) lsRefsHTTP(ctx context.Context, base string, u *ferry.RemoteURL, auth *ferry.GitAuth) (*ferry.RemoteInfo, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/"+uploadPack, bytes.NewReader(lsRefsRequest()))
	if err != nil {
		return nil, gitErr(ferry.ReasonFailed, "Could not build the request for "+u.Redacted()+".")
	}
	req.Header.Set("Content-Type", "application/x-git-upload-pack-request")
	req.Header.Set("Accept", "application/x-git-upload-pack-result")
	req.Header.Set("Git-Protocol", "version=2")
	e.setAuth(req, u, auth)
	resp, err := e.client.Do(req)
	if err != nil {
		return nil, classifyNet(err, u.Host)
	}
	defer resp.Body.Close()
	if err := httpStatus(resp, u); err != nil {
		return nil, err
	}
	return readLsRefs(newPktReader(io.LimitReader(resp.Body, maxAdvertisement)))
}

// httpBase is the URL that smart HTTP paths are appended to.
func httpBase(u *ferry.RemoteURL) string {
	host, _ := u.HostPort()
	if u.Port != "" {
		host = net.JoinHostPort(u.Host, u.Port)
	} else if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return u.Scheme + "://" + host + strings.TrimSuffix((&url.URL{Path: u.Path}).EscapedPath(), "/")
}

// setAuth adds HTTP basic authentication, preemptively, when auth has any.
func (e *Engine) setAuth(req *http.Request, u *ferry.RemoteURL, auth *ferry.GitAuth) {
	if auth == nil || (auth.Username == "" && auth.Password == "") {
		return
	}
	user := auth.Username
	if user == "" {
		user = u.User
	}
	req.SetBasicAuth(user, auth.Password)
}

// httpStatus classifies a non-200 answer.
func httpStatus(resp *http.Response, u *ferry.RemoteURL) error {
	switch c := resp.StatusCode; {
	case c == http.StatusOK:
		return nil
	case c == http.StatusUnauthorized || c == http.StatusForbidden:
		return gitErr(ferry.ReasonAuthFailed, fmt.Sprintf("The server refused the credentials for %s (HTTP %d).", u.Redacted(), c))
	case c == http.StatusNotFound || c == http.StatusGone:
		return gitErr(ferry.ReasonRepoNotFound, fmt.Sprintf("There is no repository at %s, or the credential has no access to it (HTTP %d).", u.Redacted(), c))
	case c >= 300 && c < 400:
		return gitErr(ferry.ReasonURLNotAllowed, fmt.Sprintf("The server at %s redirected without a usable location (HTTP %d).", u.Redacted(), c))
	case c >= 500:
		return gitErr(ferry.ReasonUnreachable, fmt.Sprintf("The server at %s is failing (HTTP %d).", u.Redacted(), c))
	}
	return gitErr(ferry.ReasonFailed, fmt.Sprintf("The server at %s answered HTTP %d.", u.Redacted(), resp.StatusCode))
}

// checkRedirect lets the HTTP client follow a redirect only to a URL the policy allows;
// the address is checked again when connecting.
func (e *Engine) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 5 {
		return gitErr(ferry.ReasonURLNotAllowed, "The server redirected more than 5 times.")
	}
	u, err := redirectedRemote(req.URL, nil)
	if err != nil {
		return err
	}
	if err := e.cfg.Policy.Check(u); err != nil {
		return gitErr(ferry.ReasonURLNotAllowed, "The server redirected to "+u.Redacted()+", which is not allowed: "+ferry.ErrorMessage(err))
	}
	return nil
}

// redirectedRemote turns the URL a smart HTTP request ended at back into a remote URL.
func redirectedRemote(final *url.URL, orig *ferry.RemoteURL) (*ferry.RemoteURL, error) {
	c := *final
	c.RawQuery, c.User = "", nil
	for _, suffix := range []string{"/info/refs", "/" + uploadPack, "/" + receivePack} {
		c.Path = strings.TrimSuffix(c.Path, suffix)
		c.RawPath = ""
	}
	u, err := ferry.ParseRemoteURL(c.String())
	if err != nil {
		return nil, gitErr(ferry.ReasonURLNotAllowed, "The server redirected to a URL Ferry cannot use: "+ferry.ErrorMessage(err))
	}
	if orig != nil {
		u.User = orig.User
	}
	return u, nil
}

func protocolErr(u *ferry.RemoteURL, err error) error {
	var re *remoteError
	if errors.As(err, &re) {
		return classifyRemoteMessage(re.msg)
	}
	return gitErr(ferry.ReasonFailed, "The server at "+u.Redacted()+" sent a malformed answer: "+err.Error())
}

// classifyRemoteMessage classifies an error message a Git server sent.
func classifyRemoteMessage(msg string) error {
	return classifyRun(&runError{stderr: msg, code: 1})
}

func clipType(ct string) string {
	if ct == "" {
		return "no content type"
	}
	if len(ct) > 60 {
		ct = ct[:60]
	}
	return fmt.Sprintf("%q", ct)
}
