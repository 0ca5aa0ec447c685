package gittest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"
)

// SSHServer is an in-process SSH server on 127.0.0.1 that runs git-upload-pack and
// git-receive-pack on repositories under its root, for the given public keys only.
type SSHServer struct {
	Addr    string        // "127.0.0.1:port"
	Host    string        // "127.0.0.1"
	Port    string        // the port
	HostKey ssh.PublicKey // the server's ed25519 host key, to pin

	root     string
	git      string
	config   *ssh.ServerConfig
	listener net.Listener
	wg       sync.WaitGroup
}

// NewSSHServer starts a server for the repositories under root accepting only the given
// keys; it stops when the test ends.
func NewSSHServer(t testing.TB, root string, authorized ...ssh.PublicKey) *SSHServer {
	t.Helper()
	hostKey := NewEd25519Key(t)
	return NewSSHServerWithHostKey(t, root, hostKey.Signer, authorized...)
}

// NewSSHServerWithHostKey is NewSSHServer with a given host key, to test a changed key.
func NewSSHServerWithHostKey(t testing.TB, root string, hostKey ssh.Signer, authorized ...ssh.PublicKey) *SSHServer {
	t.Helper()
	s := &SSHServer{root: root, git: gitPath(t), HostKey: hostKey.PublicKey()}
	s.config = &ssh.ServerConfig{
		PublicKeyCallback: func(_ ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			for _, k := range authorized {
				if bytes.Equal(k.Marshal(), key.Marshal()) {
					return nil, nil
				}
			}
			return nil, errors.New("unknown public key")
		},
	}
	s.config.AddHostKey(hostKey)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.listener, s.Addr = l, l.Addr().String()
	s.Host, s.Port, _ = net.SplitHostPort(s.Addr)
	s.wg.Add(1)
	go s.serve()
	t.Cleanup(func() {
		l.Close()
		s.wg.Wait()
	})
	return s
}

// URL returns the ssh:// URL of the repository at name, logging in as "git".
func (s *SSHServer) URL(name string) string {
	return "ssh://git@" + s.Addr + "/" + name
}

// KnownHostsLine returns the line that pins the server's host key.
func (s *SSHServer) KnownHostsLine() string { return KnownHostsLine(s.Addr, s.HostKey) }

func (s *SSHServer) serve() {
	defer s.wg.Done()
	for {
		conn, err := s.listener.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.handleConn(conn)
		}()
	}
}

func (s *SSHServer) handleConn(conn net.Conn) {
	defer conn.Close()
	sc, chans, reqs, err := ssh.NewServerConn(conn, s.config)
	if err != nil {
		return
	}
	defer sc.Close()
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		if nc.ChannelType() != "session" {
			nc.Reject(ssh.UnknownChannelType, "only sessions")
			continue
		}
		ch, reqs, err := nc.Accept()
		if err != nil {
			continue
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.handleSession(ch, reqs)
		}()
	}
}

// handleSession accepts the GIT_PROTOCOL variable and one exec request.
func (s *SSHServer) handleSession(ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	var env []string
	for req := range reqs {
		switch req.Type {
		case "env":
			var kv struct{ Name, Value string }
			ok := ssh.Unmarshal(req.Payload, &kv) == nil && kv.Name == "GIT_PROTOCOL"
			if ok {
				env = append(env, "GIT_PROTOCOL="+kv.Value)
			}
			req.Reply(ok, nil)
		case "exec":
			var cmd struct{ Command string }
			if ssh.Unmarshal(req.Payload, &cmd) != nil {
				req.Reply(false, nil)
				return
			}
			req.Reply(true, nil)
			status := s.exec(ch, cmd.Command, env)
			ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{status}))
			return
		default:
			req.Reply(false, nil)
		}
	}
}

// exec runs an allowed git command and returns its exit status.
func (s *SSHServer) exec(ch ssh.Channel, command string, env []string) uint32 {
	service, arg, _ := strings.Cut(command, " ")
	switch service {
	case "git-upload-pack", "git-receive-pack":
	default:
		fmt.Fprintf(ch.Stderr(), "ERROR: only git-upload-pack and git-receive-pack are allowed\n")
		return 1
	}
	path, err := sqDequote(arg)
	if err != nil {
		fmt.Fprintf(ch.Stderr(), "ERROR: malformed command\n")
		return 1
	}
	dir, ok := s.resolve(path)
	if !ok {
		fmt.Fprintf(ch.Stderr(), "ERROR: Repository not found.\n")
		return 1
	}
	cmd := exec.Command(s.git, strings.TrimPrefix(service, "git-"), dir)
	cmd.Env = append(Env(), env...)
	cmd.Stdout, cmd.Stderr = ch, ch.Stderr()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return 1
	}
	if err := cmd.Start(); err != nil {
		return 1
	}
	go func() {
		io.Copy(stdin, ch)
		stdin.Close()
	}()
	if err := cmd.Wait(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return uint32(exit.ExitCode())
		}
		return 1
	}
	return 0
}

// resolve maps a requested path ("/repo.git", "~/repo.git", "repo.git") to a directory
// under root, refusing escapes through ".." or symbolic links and anything that is not an
// existing directory.
func (s *SSHServer) resolve(p string) (string, bool) {
	p = strings.TrimPrefix(strings.TrimPrefix(p, "~"), "/")
	if p == "" || strings.HasPrefix(p, "-") {
		return "", false
	}
	clean := filepath.Clean(p)
	if clean == ".." || strings.HasPrefix(clean, "../") || filepath.IsAbs(clean) {
		return "", false
	}
	root, err := filepath.EvalSymlinks(s.root)
	if err != nil {
		return "", false
	}
	dir, err := filepath.EvalSymlinks(filepath.Join(root, clean))
	if err != nil {
		return "", false
	}
	if rel, err := filepath.Rel(root, dir); err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return "", false
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return "", false
	}
	return dir, true
}

// sqDequote undoes Git's shell quoting of one argument: 'a'\”b' is a'b.
func sqDequote(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); {
		switch s[i] {
		case '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return "", errors.New("unterminated quote")
			}
			b.WriteString(s[i+1 : i+1+end])
			i += end + 2
		case '\\':
			if i+1 >= len(s) {
				return "", errors.New("trailing backslash")
			}
			b.WriteByte(s[i+1])
			i += 2
		case ' ', '\t', '\n', ';', '|', '&', '$', '`':
			return "", errors.New("unquoted special character")
		default:
			b.WriteByte(s[i])
			i++
		}
	}
	return b.String(), nil
}
