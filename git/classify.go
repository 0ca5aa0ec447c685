package git

import (
	"context"
	"crypto/x509"
	"errors"
	"net"
	"os"
	"strings"
	"syscall"

	"github.com/ferrygit/ferry"
)

func gitErr(reason, msg string) *ferry.GitError {
	return &ferry.GitError{Reason: reason, Message: msg}
}

// classifyNet turns a connection error into a GitError; host is the redacted remote host.
func classifyNet(err error, host string) error {
	var ge *ferry.GitError
	if errors.As(err, &ge) {
		return ge
	}
	if errors.Is(err, context.Canceled) {
		return context.Canceled
	}
	var dns *net.DNSError
	var netErr net.Error
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var certErr x509.CertificateInvalidError
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded):
		return gitErr(ferry.ReasonTimeout, "Connecting to "+host+" took too long; the operation timed out.")
	case errors.As(err, &dns):
		return gitErr(ferry.ReasonUnreachable, "Could not resolve the host name "+host+".")
	case errors.Is(err, syscall.ECONNREFUSED):
		return gitErr(ferry.ReasonUnreachable, host+" refused the connection; check the host and port.")
	case errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH):
		return gitErr(ferry.ReasonUnreachable, "There is no route to "+host+".")
	case errors.As(err, &unknownCA), errors.As(err, &hostErr), errors.As(err, &certErr):
		return gitErr(ferry.ReasonFailed, "The TLS certificate of "+host+" is not valid: "+err.Error())
	case errors.As(err, &netErr) && netErr.Timeout():
		return gitErr(ferry.ReasonTimeout, "Connecting to "+host+" took too long; the operation timed out.")
	}
	return gitErr(ferry.ReasonUnreachable, "Could not talk to "+host+": "+err.Error())
}

// stderrRules classify a git command's stderr, first match wins. Patterns are lowercase.
var stderrRules = []struct {
	reason   string
	patterns []string
	message  string
}{
	{ferry.ReasonHostKeyMismatch, []string{"remote host identification has changed", "has changed and you have requested strict"}, "The SSH host key of the server differs from the pinned one."},
	{ferry.ReasonHostKeyUnknown, []string{"host key is known for", "no matching host key", "host key verification failed"}, "The SSH host key of the server is not pinned."},
	{ferry.ReasonAuthFailed, []string{"permission denied", "authentication failed", "could not read username", "could not read password", "returned error: 401", "returned error: 403", "http basic: access denied", "invalid credentials", "access denied"}, "The server refused the credentials."},
	{ferry.ReasonRepoNotFound, []string{"repository not found", "does not appear to be a git repository", "returned error: 404", "not found", "no such repository", "not a git repository"}, "There is no repository at this URL, or the credential has no access to it."},
	{ferry.ReasonRefNotFound, []string{"couldn't find remote ref", "not our ref", "no such ref", "bad object", "unadvertised object"}, "The ref does not exist on the remote."},
	{ferry.ReasonURLNotAllowed, []string{"returned error: 301", "returned error: 302", "returned error: 303", "returned error: 307", "returned error: 308", "transport '", "is not allowed"}, "The remote redirected or used a protocol that the URL policy does not allow."},
	{ferry.ReasonFailed, []string{"could not fetch", "lazy fetching disabled", "unpacker error", "pack-objects died", "failed to push some refs"}, "Git could not complete the operation."},
	{ferry.ReasonTimeout, []string{"timed out", "operation too slow"}, "The remote took too long to answer."},
	{ferry.ReasonUnreachable, []string{"could not resolve", "connection refused", "failed to connect", "no route to host", "network is unreachable", "connection reset", "could not read from remote repository", "the remote end hung up", "returned error: 5"}, "Could not connect to the remote."},
}

// classifyRun turns a failed git command that talked to a remote into a GitError.
func classifyRun(err error) error {
	var re *runError
	if !errors.As(err, &re) {
		return err
	}
	if errors.Is(re.err, context.DeadlineExceeded) {
		return gitErr(ferry.ReasonTimeout, "The git operation timed out.")
	}
	if errors.Is(re.err, context.Canceled) {
		return context.Canceled
	}
	low := strings.ToLower(re.stderr)
	for _, rule := range stderrRules {
		for _, p := range rule.patterns {
			if strings.Contains(low, p) {
				return gitErr(rule.reason, rule.message+detail(re.stderr))
			}
		}
	}
	return gitErr(ferry.ReasonFailed, "git failed"+detail(re.stderr))
}

// detail returns " Git said: …" with the last meaningful line of stderr, or "".
func detail(stderr string) string {
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		l = strings.TrimPrefix(strings.TrimPrefix(l, "fatal: "), "error: ")
		if l != "" && !strings.HasPrefix(l, "Please make sure") && !strings.HasPrefix(l, "and the repository exists") {
			if len(l) > 300 {
				l = l[:300] + "…"
			}
			return " Git said: " + l
		}
	}
	return ""
}

// localFailure wraps a failed local command (one that does not contact a remote).
func localFailure(what string, err error) error {
	var re *runError
	if errors.As(err, &re) {
		if errors.Is(re.err, context.DeadlineExceeded) {
			return gitErr(ferry.ReasonTimeout, what+" timed out.")
		}
		if errors.Is(re.err, context.Canceled) {
			return context.Canceled
		}
		return gitErr(ferry.ReasonFailed, what+" failed."+detail(re.stderr))
	}
	return err
}
