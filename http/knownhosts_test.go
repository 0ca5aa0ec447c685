package http_test

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/ferrygit/ferry"
	fhttp "github.com/ferrygit/ferry/http"
	"github.com/ferrygit/ferry/sshkey"
	"github.com/ferrygit/ferry/sshkey/sshtest"
)

const githubEd25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"

func TestKnownHosts(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	all, err := ts.Client.ListKnownHosts(ctx, "")
	if err != nil || len(all) != len(ferry.BuiltinKnownHosts()) {
		t.Fatalf("list = %d, %v", len(all), err)
	}
	hosts := map[string]bool{}
	for _, k := range all {
		hosts[k.Host] = k.Source == ferry.KnownHostBuiltin
	}
	for _, h := range []string{"github.com", "gitlab.com", "bitbucket.org", "ssh.dev.azure.com"} {
		if !hosts[h] {
			t.Errorf("no built-in key for %s", h)
		}
	}

	resp := ts.raw(t, "POST", "/api/v1/known-hosts", []byte(`{"host":"Git.Example.com:2222","key":"`+githubEd25519+` comment"}`))
	var k ferry.KnownHost
	decode(t, resp, &k)
	if resp.Status != http.StatusCreated || k.Host != "git.example.com:2222" || k.KeyType != "ssh-ed25519" ||
		k.Source != ferry.KnownHostAdded || k.Fingerprint != "SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU" || k.CreatedAt.IsZero() {
		t.Fatalf("add = %d %s", resp.Status, resp.Body)
	}
	got, err := ts.Client.ListKnownHosts(ctx, "git.example.com:2222")
	if err != nil || len(got) != 1 || got[0].Key != strings.Fields(githubEd25519)[1] {
		t.Fatalf("list of the host = %+v, %v", got, err)
	}

	for _, tc := range []struct {
		name, body string
		status     int
		code, want string
	}{
		{"again", `{"host":"git.example.com:2222","key":"` + githubEd25519 + `"}`, 409, ferry.ECONFLICT, "pinned already"},
		{"a built-in key", `{"host":"github.com","key":"` + githubEd25519 + `"}`, 409, ferry.ECONFLICT, "built in already"},
		{"bad key", `{"host":"h.example","key":"ssh-ed25519 AAAAnot-a-key"}`, 400, ferry.EINVALID, "not an SSH public key"},
		{"pem", `{"host":"h.example","key":"-----BEGIN PUBLIC KEY-----"}`, 400, ferry.EINVALID, "PEM block"},
		{"dsa", `{"host":"h.example","key":"ssh-dss AAAAB3NzaC1kc3MAAACBAP1/U4EddRIpUt9KnC7s5Of2EbdSPO9EAMMeP4C2USZpRV1AIlH7WT2NWPq/xfW6MPbLm1Vs14E7gB00b/JmYLdrmVClpJ+f6AR7ECLCT7up1/63xhv4O1fnxqimFQ8E+4P208UewwI1VBNaFpEy9nXzrith1yrv8iIDGZ3RSAHHAAAAFQCXYFCPFSMLzLKSuYKi64QL8Fgc9QAAAIEA9+GghdabPd7LvKtcNrhXuXmUr7v6OuqC+VdMCz0HgmdRWVeOutRZT+ZxBxCBgLRJFnEj6EwoFhO3zwkyjMim4TwWeotUfI0o4KOuHiuzpnWRbqN/C/ohNWLx+2J6ASQ7zKTxvqhRkImog9/hWuWfBpKLZl6Ae1UlZAFMO/7PSSoAAACBAJQk3NLnCp1MGk+t2cWyO8UwEXYzVP+FWCBqxPhyBNiLPYmpMzGBMF2Ekq/bAdNSyB3j1R4N7hSZQ6SDxu4KqRPB0qOHhMtt3Vg/7SpVHKOCdaXgqmTQT7Rmd7k4zxhqCqGvvDKNdGSgmRtBVpMnh5NQvGB79GBYLShrxNrGcADk"}`, 400, ferry.EINVALID, "not supported"},
		{"no key or fingerprint", `{"host":"h.example"}`, 400, ferry.EINVALID, "Give the host's key"},
		{"both", `{"host":"h.example","key":"` + githubEd25519 + `","fingerprint":"SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU"}`, 400, ferry.EINVALID, "not both"},
		{"bad host", `{"host":"ssh://h.example","key":"` + githubEd25519 + `"}`, 400, ferry.EINVALID, "not a bare host"},
		{"bad port", `{"host":"h.example:99999","key":"` + githubEd25519 + `"}`, 400, ferry.EINVALID, "bad port"},
		{"bad fingerprint", `{"host":"h.example","fingerprint":"MD5:16:27:ac"}`, 400, ferry.EINVALID, "must look like SHA256:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, ts.raw(t, "POST", "/api/v1/known-hosts", []byte(tc.body)), tc.status, tc.code, tc.want)
		})
	}

	wantError(t, ts.raw(t, "DELETE", "/api/v1/known-hosts?host=github.com", nil), 409, ferry.ECONFLICT, "built into Ferry")
	wantError(t, ts.raw(t, "DELETE", "/api/v1/known-hosts", nil), 400, ferry.EINVALID, "host is required")
	wantError(t, ts.raw(t, "DELETE", "/api/v1/known-hosts?host=git.example.com:2222&fingerprint=bad", nil), 400, ferry.EINVALID, "SHA256")
	// An unencoded '+' in the fingerprint still finds the key.
	resp = ts.raw(t, "DELETE", "/api/v1/known-hosts?host=git.example.com:2222&fingerprint=SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU", nil)
	if resp.Status != http.StatusNoContent {
		t.Fatalf("delete = %d %s", resp.Status, resp.Body)
	}
	wantCode(t, ts.Client.DeleteKnownHost(ctx, "git.example.com:2222", ""), ferry.ENOTFOUND)
	if got, _ := ts.Client.ListKnownHosts(ctx, "git.example.com:2222"); len(got) != 0 {
		t.Errorf("after delete: %+v", got)
	}
}

// scanWith returns a Server setting that reads host keys with a plain dialer, as tests on
// loopback need; ferry serve dials through its URL policy.
func scanWith(s *fhttp.Server) {
	var d net.Dialer
	s.ScanHostKeys = func(ctx context.Context, host string) ([]*ferry.KnownHost, error) {
		return sshkey.ScanHostKeys(ctx, host, d.DialContext)
	}
}

func TestTrustOnFirstUse(t *testing.T) {
	ts := newTestServer(t, scanWith)
	ctx := context.Background()
	srv := sshtest.NewServer(t)
	ed, ec := srv.HostKeys[0], srv.HostKeys[1]

	// A fingerprint the host does not present: nothing is pinned, and both are named.
	wrong := sshtest.Fingerprint(sshtest.NewEd25519(t))
	_, err := ts.Client.TrustKnownHost(ctx, srv.Addr, wrong)
	wantCode(t, err, ferry.ECONFLICT)
	for _, want := range []string{wrong, sshtest.Fingerprint(ed), sshtest.Fingerprint(ec), "nothing was pinned"} {
		if !strings.Contains(ferry.ErrorMessage(err), want) {
			t.Errorf("mismatch message %q lacks %q", ferry.ErrorMessage(err), want)
		}
	}
	if got, _ := ts.Client.ListKnownHosts(ctx, srv.Addr); len(got) != 0 {
		t.Fatalf("a mismatch pinned %+v", got)
	}

	// The right fingerprint pins exactly the key the host presents, even if it is not the
	// key type the host prefers.
	for _, signer := range []ssh.Signer{ec, ed} {
		k, err := ts.Client.TrustKnownHost(ctx, srv.Addr, sshtest.Fingerprint(signer))
		if err != nil {
			t.Fatal(err)
		}
		wantKey := strings.Fields(string(ssh.MarshalAuthorizedKey(signer.PublicKey())))[1]
		if k.Source != ferry.KnownHostTrusted || k.Key != wantKey || k.KeyType != signer.PublicKey().Type() || k.Host != srv.Addr {
			t.Errorf("trusted %+v", k)
		}
	}
	got, _ := ts.Client.ListKnownHosts(ctx, srv.Addr)
	if len(got) != 2 {
		t.Fatalf("pinned %+v", got)
	}
	_, err = ts.Client.TrustKnownHost(ctx, srv.Addr, sshtest.Fingerprint(ed))
	wantCode(t, err, ferry.ECONFLICT)

	// A host that does not answer.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := ln.Addr().String()
	ln.Close()
	_, err = ts.Client.TrustKnownHost(ctx, closed, wrong)
	wantCode(t, err, ferry.EUNAVAILABLE)

	// A server that cannot scan says so.
	plain := newTestServer(t)
	wantError(t, plain.raw(t, "POST", "/api/v1/known-hosts", []byte(`{"host":"`+srv.Addr+`","fingerprint":"`+wrong+`"}`)),
		503, ferry.EUNAVAILABLE, "pin the key itself")
}
