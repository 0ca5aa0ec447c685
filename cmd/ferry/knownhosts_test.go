package main

import (
	"strings"
	"testing"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/sshkey/sshtest"
)

func TestKnownHostsCommands(t *testing.T) {
	env := startAPIServer(t)
	out := mustRunCLI(t, env, "", "known-hosts", "list")
	for _, want := range []string{"HOST", "github.com", "SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU", "builtin", "ssh.dev.azure.com"} {
		if !strings.Contains(out, want) {
			t.Errorf("list lacks %q:\n%s", want, out)
		}
	}
	// The key in two arguments, as pasted from a known_hosts line.
	out = mustRunCLI(t, env, "", "known-hosts", "add", "git.example.com:2222", "ssh-ed25519", "AAAAC3NzaC1lZDI1NTE5AAAAIAfuCHKVTjquxvt6CM6tdG4SLp1Btn/nOeHHE5UOzRdf")
	if out != "Pinned ssh-ed25519 key SHA256:eUXGGm1YGsMAS7vkcx6JOJdOGHPem5gQp4taiCfCLB8 for git.example.com:2222.\n" {
		t.Errorf("add printed %q", out)
	}
	if out := mustRunCLI(t, env, "", "known-hosts", "list", "--host", "git.example.com:2222"); len(strings.Split(strings.TrimSpace(out), "\n")) != 2 || !strings.Contains(out, "added") {
		t.Errorf("list --host printed:\n%s", out)
	}

	srv := sshtest.NewServer(t)
	fp := sshtest.Fingerprint(srv.HostKeys[1])
	if out := mustRunCLI(t, env, "", "known-hosts", "trust", srv.Addr, fp); !strings.Contains(out, "Trusted ecdsa-sha2-nistp256 key "+fp) {
		t.Errorf("trust printed %q", out)
	}
	wrong := sshtest.Fingerprint(sshtest.NewEd25519(t))
	wantFailure(t, runCLI(t, env, "", "known-hosts", "trust", srv.Addr, wrong), ferry.ECONFLICT, wrong, sshtest.Fingerprint(srv.HostKeys[0]), "(conflict)")

	wantFailure(t, runCLI(t, env, "", "known-hosts", "add", "h.example", "ssh-ed25519", "AAAAbad"), ferry.EINVALID, "not an SSH public key")
	wantFailure(t, runCLI(t, env, "", "known-hosts", "rm", "github.com"), ferry.ECONFLICT, "built into Ferry")
	if out := mustRunCLI(t, env, "", "known-hosts", "rm", srv.Addr, fp); !strings.Contains(out, "Removed key") {
		t.Errorf("rm printed %q", out)
	}
	mustRunCLI(t, env, "", "known-hosts", "rm", "git.example.com:2222")
	wantFailure(t, runCLI(t, env, "", "known-hosts", "rm", "git.example.com:2222"), ferry.ENOTFOUND, "(not_found)")
}
