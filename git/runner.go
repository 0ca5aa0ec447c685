package git

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// runner runs every git command Ferry starts, with one hardened environment: no prompts, no
// system or global configuration, no hooks, only the protocols the URL policy permits, a
// private empty HOME, and stderr captured and redacted.
type runner struct {
	git       string // path of the git binary
	home      string // private, empty HOME
	allowHTTP bool   // whether protocol.http.allow=always
	log       *slog.Logger
}

// gitCmd is one git invocation.
type gitCmd struct {
	dir    string    // working directory, usually a bare cache
	args   []string  // after the hardening -c options; never a secret
	env    []string  // extra KEY=VALUE entries; secrets go here or in 0600 files
	stdin  io.Reader // nil for none
	stdout io.Writer // nil to capture into the result
	redact *redactor // for stderr and logged arguments; nil for no secrets
}

// runError is a git command that failed; stderr is already redacted.
type runError struct {
	args   []string // redacted
	code   int      // exit code, -1 if it did not exit normally
	stderr string
	err    error // the underlying error (a context error when the deadline passed)
}

func (e *runError) Error() string {
	msg := strings.TrimSpace(e.stderr)
	if msg == "" && e.err != nil {
		msg = e.err.Error()
	}
	return fmt.Sprintf("git %s: exit %d: %s", strings.Join(e.args, " "), e.code, msg)
}

func (e *runError) Unwrap() error { return e.err }

// maxStderr bounds how much stderr a command may leave in memory.
const maxStderr = 64 << 10

// run runs c and returns its stdout when c.stdout is nil, also when it fails.
func (r *runner) run(ctx context.Context, c *gitCmd) ([]byte, error) {
	red := c.redact
	if red == nil {
		red = &redactor{}
	}
	args := append(r.baseArgs(), c.args...)
	cmd := exec.CommandContext(ctx, r.git, args...)
	cmd.Dir = c.dir
	cmd.Env = append(r.baseEnv(), c.env...)
	cmd.Stdin = c.stdin
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var stdout bytes.Buffer
	if c.stdout != nil {
		cmd.Stdout = c.stdout
	} else {
		cmd.Stdout = &stdout
	}
	stderr := &limitedBuffer{max: maxStderr}
	cmd.Stderr = stderr
	start := time.Now()
	err := cmd.Run()
	shown := red.redactAll(c.args)
	if err == nil {
		r.log.Debug("git", "args", shown, "took", time.Since(start))
		return stdout.Bytes(), nil
	}
	re := &runError{args: shown, code: -1, stderr: red.redact(stderr.String()), err: err}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		re.code = exit.ExitCode()
	}
	if ctx.Err() != nil {
		re.err = ctx.Err()
	}
	r.log.Debug("git failed", "args", shown, "took", time.Since(start), "exit", re.code, "stderr", re.stderr)
	return stdout.Bytes(), re
}

// baseArgs are the -c options every command gets.
func (r *runner) baseArgs() []string {
	httpAllow := "never"
	if r.allowHTTP {
		httpAllow = "always"
	}
	return []string{
		"-c", "core.hooksPath=/dev/null",
		"-c", "core.fsmonitor=false",
		"-c", "core.askPass=",
		"-c", "credential.helper=",
		"-c", "protocol.allow=never",
		"-c", "protocol.https.allow=always",
		"-c", "protocol.ssh.allow=always",
		"-c", "protocol.http.allow=" + httpAllow,
		"-c", "protocol.version=2",
		"-c", "http.followRedirects=false",
		"-c", "transfer.credentialsInUrl=die",
		"-c", "submodule.recurse=false",
		"-c", "fetch.recurseSubmodules=false",
		"-c", "gc.auto=0",
		"-c", "maintenance.auto=false",
	}
}

// baseEnv is the whole environment of every command: nothing is inherited but PATH.
func (r *runner) baseEnv() []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + r.home,
		"XDG_CONFIG_HOME=" + r.home,
		"LC_ALL=C",
		"LANG=C",
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_TERMINAL_PROMPT=0",
		"GIT_ASKPASS=",
		"SSH_ASKPASS=",
		"SSH_ASKPASS_REQUIRE=never",
		"GIT_PROTOCOL=version=2",
		"GIT_NO_REPLACE_OBJECTS=1",
		"GIT_NO_LAZY_FETCH=1",
		"GIT_SSH_VARIANT=ssh",
	}
}

// configEnv passes configuration through GIT_CONFIG_COUNT/KEY/VALUE, which keeps values
// such as an Authorization header out of argv.
func configEnv(kv ...string) []string {
	env := []string{"GIT_CONFIG_COUNT=" + strconv.Itoa(len(kv)/2)}
	for i := 0; i+1 < len(kv); i += 2 {
		n := strconv.Itoa(i / 2)
		env = append(env, "GIT_CONFIG_KEY_"+n+"="+kv[i], "GIT_CONFIG_VALUE_"+n+"="+kv[i+1])
	}
	return env
}

// limitedBuffer keeps the first max bytes written to it.
type limitedBuffer struct {
	buf bytes.Buffer
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *limitedBuffer) String() string { return b.buf.String() }
