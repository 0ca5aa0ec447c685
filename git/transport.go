package git

import (
	"context"
	"encoding/base64"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ferrygit/ferry"
)

// ListRefs implements ferry.GitEngine, in-process.
func (e *Engine) ListRefs(ctx context.Context, u *ferry.RemoteURL, auth *ferry.GitAuth) (*ferry.RemoteInfo, error) {
	start := time.Now()
	ctx, cancel := e.opContext(ctx)
	defer cancel()
	info, _, err := e.discover(ctx, u, auth, uploadPack)
	if err = e.finish(ctx, "ls-refs", u, start, err); err != nil {
		return nil, err
	}
	return info, nil
}

// discover checks u against the policy and lists its refs for service in-process; the
// target it returns is where the git CLI may go next.
func (e *Engine) discover(ctx context.Context, u *ferry.RemoteURL, auth *ferry.GitAuth, service string) (*ferry.RemoteInfo, *target, error) {
	if err := e.checkURL(u); err != nil {
		return nil, nil, err
	}
	if u.Scheme == "ssh" {
		return e.discoverSSH(ctx, u, auth, service)
	}
	return e.discoverHTTP(ctx, u, auth, service)
}

// cliRemote is how one git CLI command reaches a remote.
type cliRemote struct {
	url     string   // the URL for git's command line; its host is the checked address for SSH
	args    []string // -c options: the pinned address, CA file
	env     []string // the Authorization header or GIT_SSH_COMMAND
	redact  *redactor
	cleanup func() // removes the secret files
}

// cliRemote prepares the git CLI to reach t with auth: pinned to t's checked address, with
// secrets in the environment or in 0600 files of a private directory.
func (e *Engine) cliRemote(t *target, auth *ferry.GitAuth) (*cliRemote, error) {
	r := &cliRemote{redact: newRedactor(auth), cleanup: func() {}}
	u := t.url
	host, port := u.HostPort()
	ip := bracketIP(t.ip)
	if u.Scheme != "ssh" {
		ips := []string{ip}
		if len(t.ips) > 1 {
			ips = ips[:0]
			for _, a := range t.ips {
				ips = append(ips, bracketIP(a))
			}
		}
		r.url = httpBase(u)
		r.args = []string{"-c", "http.curloptResolve=" + host + ":" + port + ":" + strings.Join(ips, ",")}
		if e.cfg.CAFile != "" {
			r.args = append(r.args, "-c", "http.sslCAInfo="+e.cfg.CAFile)
		}
		if auth != nil && (auth.Username != "" || auth.Password != "") {
			user := auth.Username
			if user == "" {
				user = u.User
			}
			basic := base64.StdEncoding.EncodeToString([]byte(user + ":" + auth.Password))
			r.env = configEnv("http.extraHeader", "Authorization: Basic "+basic)
		}
		return r, nil
	}

	dir, cleanup, err := e.secretDir()
	if err != nil {
		return nil, err
	}
	r.cleanup = cleanup
	var pins []pin
	if auth != nil {
		pins = parseKnownHosts(auth.KnownHosts)
	}
	known := filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(known, knownHostsFile(pins), 0o600); err != nil {
		cleanup()
		return nil, err
	}
	identity := "-o IdentityFile=none"
	if auth != nil && len(auth.PrivateKey) > 0 {
		key := filepath.Join(dir, "id")
		if err := os.WriteFile(key, auth.PrivateKey, 0o600); err != nil {
			cleanup()
			return nil, err
		}
		identity = "-i " + shellQuote(key)
	}
	opts := []string{
		e.cfg.SSH, "-F /dev/null", identity,
		"-o IdentitiesOnly=yes", "-o IdentityAgent=none",
		"-o BatchMode=yes", "-o StrictHostKeyChecking=yes", "-o CheckHostIP=no", "-o UpdateHostKeys=no",
		"-o UserKnownHostsFile=" + shellQuote(known), "-o GlobalKnownHostsFile=/dev/null",
		"-o HostKeyAlias=" + shellQuote(hostPattern(host, port)),
		"-o ProxyCommand=none", "-o ControlMaster=no", "-o ControlPath=none",
		"-o ForwardAgent=no", "-o ClearAllForwardings=yes", "-o PermitLocalCommand=no",
		"-o ConnectTimeout=30", "-o LogLevel=ERROR",
	}
	r.env = []string{"GIT_SSH_COMMAND=" + strings.Join(opts, " ")}
	userAt := ""
	if u.User != "" {
		userAt = u.User + "@"
	}
	if u.SCP() { // scp-style has no port
		r.url = userAt + ip + ":" + u.Path
	} else {
		r.url = "ssh://" + userAt + net.JoinHostPort(t.ip.String(), port) + u.Path
	}
	return r, nil
}

// bracketIP formats ip for curl's resolve list and scp-style URLs: IPv6 in brackets.
func bracketIP(ip net.IP) string {
	if ip.To4() == nil {
		return "[" + ip.String() + "]"
	}
	return ip.String()
}
