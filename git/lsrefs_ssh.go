package git

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os/user"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/ferrygit/ferry"
)

// sshUser is the user an SSH URL without one logs in as: like OpenSSH, the local user.
func sshUser(u *ferry.RemoteURL) string {
	if u.User != "" {
		return u.User
	}
	if cur, err := user.Current(); err == nil {
		return cur.Username
	}
	return "git"
}

// remotePath is the repository path Git asks the SSH server for: the URL's path, with the
// "/~" of "ssh://host/~/repo" dropped as Git does.
func remotePath(u *ferry.RemoteURL) string {
	if strings.HasPrefix(u.Path, "/~") {
		return u.Path[1:]
	}
	return u.Path
}

// shellQuote quotes s for the remote shell the way Git does (sq_quote_buf).
func shellQuote(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for _, r := range s {
		switch r {
		case '\'', '!':
			b.WriteString(`'\` + string(r) + `'`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// discoverSSH lists refs over SSH with golang.org/x/crypto/ssh: it runs the service on the
// server, reads the advertisement (protocol version 2 when the server accepts the
// GIT_PROTOCOL variable) and ends the session without fetching.
func (e *Engine) discoverSSH(ctx context.Context, u *ferry.RemoteURL, auth *ferry.GitAuth, service string) (*ferry.RemoteInfo, *target, error) {
	host, port := u.HostPort()
	conn, err := e.dialPinned(ctx, host, port)
	if err != nil {
		return nil, nil, err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	t := &target{url: u, ip: conn.RemoteAddr().(*net.TCPAddr).IP}

	var pins []pin
	var signers []ssh.Signer
	if auth != nil {
		pins = parseKnownHosts(auth.KnownHosts)
		if len(auth.PrivateKey) > 0 {
			s, err := ssh.ParsePrivateKey(auth.PrivateKey)
			if err != nil {
				return nil, nil, gitErr(ferry.ReasonAuthFailed, "The SSH private key cannot be used: it is malformed or protected by a passphrase.")
			}
			signers = append(signers, s)
		}
	}
	checker := newHostKeyChecker(host, port, pins)
	cfg := &ssh.ClientConfig{
		User:              sshUser(u),
		Auth:              []ssh.AuthMethod{ssh.PublicKeys(signers...)},
		HostKeyCallback:   checker.check,
		HostKeyAlgorithms: checker.algorithms(),
		Timeout:           30 * time.Second,
	}
	c, chans, reqs, err := ssh.NewClientConn(conn, net.JoinHostPort(host, port), cfg)
	if err != nil {
		return nil, nil, e.classifySSH(ctx, err, checker, u)
	}
	t.hostKey = checker.seen
	client := ssh.NewClient(c, chans, reqs)
	defer client.Close()
	sess, err := client.NewSession()
	if err != nil {
		return nil, nil, e.classifySSH(ctx, err, checker, u)
	}
	defer sess.Close()
	var stderr limitedBuffer
	stderr.max = 4096
	sess.Stderr = &stderr
	stdin, err := sess.StdinPipe()
	if err != nil {
		return nil, nil, gitErr(ferry.ReasonFailed, "Could not open an SSH session to "+u.Redacted()+".")
	}
	stdout, err := sess.StdoutPipe()
	if err != nil {
		return nil, nil, gitErr(ferry.ReasonFailed, "Could not open an SSH session to "+u.Redacted()+".")
	}
	if service == uploadPack {
		_ = sess.Setenv("GIT_PROTOCOL", "version=2") // servers may refuse; then they speak v0
	}
	if err := sess.Start(service + " " + shellQuote(remotePath(u))); err != nil {
		return nil, nil, e.classifySSH(ctx, err, checker, u)
	}
	p := newPktReader(io.LimitReader(stdout, maxAdvertisement))
	info, err := readV0(p)
	if errors.Is(err, errVersion2) {
		if err = skipV2Caps(p); err == nil {
			if _, err = stdin.Write(lsRefsRequest()); err == nil {
				info, err = readLsRefs(p)
				e.cfg.Logger.Debug("git ls-refs", "remote", u.Redacted(), "protocol", 2)
			}
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		sess.Wait()
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return nil, nil, classifyRemoteMessage(msg)
		}
		return nil, nil, protocolErr(u, err)
	}
	stdin.Write([]byte(flushPkt)) // no wants (v0) or no further command (v2): the server exits
	stdin.Close()
	info.HostKey = checker.seen
	return info, t, nil
}

// classifySSH classifies an SSH handshake or session error.
func (e *Engine) classifySSH(ctx context.Context, err error, checker *hostKeyChecker, u *ferry.RemoteURL) error {
	if checker.err != nil {
		return checker.err
	}
	if ctx.Err() != nil {
		return classifyNet(ctx.Err(), u.Host)
	}
	msg := err.Error()
	switch {
	case len(checker.pins) > 0 && strings.Contains(msg, "no common algorithm for host key"):
		return &ferry.GitError{Reason: ferry.ReasonHostKeyMismatch,
			Message: "The SSH server at " + u.Redacted() + " offers no host key of the pinned types; its key may have changed."}
	case strings.Contains(msg, "unable to authenticate"), strings.Contains(msg, "no supported methods remain"):
		return gitErr(ferry.ReasonAuthFailed, "The SSH server at "+u.Redacted()+" refused the key.")
	case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed), isTimeout(err):
		if isTimeout(err) {
			return gitErr(ferry.ReasonTimeout, "The SSH server at "+u.Redacted()+" took too long to answer.")
		}
		return gitErr(ferry.ReasonUnreachable, "The SSH server at "+u.Redacted()+" closed the connection.")
	case bytes.Contains([]byte(msg), []byte("handshake failed")):
		return gitErr(ferry.ReasonFailed, "The SSH handshake with "+u.Redacted()+" failed: "+msg)
	}
	var exit *ssh.ExitError
	if errors.As(err, &exit) {
		return classifyRemoteMessage(exit.Msg())
	}
	return gitErr(ferry.ReasonFailed, "SSH to "+u.Redacted()+" failed: "+msg)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
