package sshkey_test

import (
	"context"
	"errors"
	"net"
	"sort"
	"strings"
	"testing"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/sshkey"
	"github.com/ferrygit/ferry/sshkey/sshtest"
)

func TestScanHostKeys(t *testing.T) {
	srv := sshtest.NewServer(t)
	var d net.Dialer
	keys, err := sshkey.ScanHostKeys(context.Background(), srv.Addr, d.DialContext)
	if err != nil {
		t.Fatal(err)
	}
	var got, want []string
	for _, k := range keys {
		if k.Host != srv.Addr || k.Key == "" {
			t.Errorf("key %+v", k)
		}
		got = append(got, k.KeyType+" "+k.Fingerprint)
	}
	for _, s := range srv.HostKeys {
		want = append(want, s.PublicKey().Type()+" "+sshtest.Fingerprint(s))
	}
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("scanned %v, the server has %v", got, want)
	}
}

func TestScanHostKeysFailures(t *testing.T) {
	ctx := context.Background()
	var d net.Dialer
	// A port nothing listens on.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := ln.Addr().String()
	ln.Close()
	_, err := sshkey.ScanHostKeys(ctx, closed, d.DialContext)
	if ferry.ErrorCode(err) != ferry.EUNAVAILABLE || !strings.Contains(ferry.ErrorMessage(err), "Cannot connect") {
		t.Errorf("closed port: %v", err)
	}
	// Something that is not an SSH server.
	ln, _ = net.Listen("tcp", "127.0.0.1:0")
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"))
			c.Close()
		}
	}()
	_, err = sshkey.ScanHostKeys(ctx, ln.Addr().String(), d.DialContext)
	if ferry.ErrorCode(err) != ferry.EUNAVAILABLE || !strings.Contains(ferry.ErrorMessage(err), "host key") {
		t.Errorf("not ssh: %v", err)
	}
	// A dialer that refuses by policy passes its verdict on.
	refuse := func(context.Context, string, string) (net.Conn, error) {
		return nil, ferry.Errorf(ferry.EINVALID, "Host is blocked by policy.")
	}
	_, err = sshkey.ScanHostKeys(ctx, "git.example.com", refuse)
	if ferry.ErrorCode(err) != ferry.EINVALID || !strings.Contains(ferry.ErrorMessage(err), "policy") {
		t.Errorf("policy: %v", err)
	}
}

func TestCheckedDialer(t *testing.T) {
	srv := sshtest.NewServer(t)
	_, port, _ := net.SplitHostPort(srv.Addr)
	blocked := errors.New("loopback is blocked")
	var checked []string
	deny := sshkey.CheckedDialer(func(host string, ip net.IP) error {
		checked = append(checked, host+"="+ip.String())
		return blocked
	})
	if _, err := deny(context.Background(), "tcp", net.JoinHostPort("localhost", port)); !errors.Is(err, blocked) {
		t.Fatalf("denied dial: %v", err)
	}
	if len(checked) == 0 || !strings.HasPrefix(checked[0], "localhost=") {
		t.Errorf("checked %v", checked)
	}
	allow := sshkey.CheckedDialer(func(string, net.IP) error { return nil })
	keys, err := sshkey.ScanHostKeys(context.Background(), srv.Addr, allow)
	if err != nil || len(keys) != 2 {
		t.Fatalf("allowed scan: %v, %v", keys, err)
	}
}
