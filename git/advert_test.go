package git

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func pkts(lines ...string) []byte {
	var b []byte
	for _, l := range lines {
		switch l {
		case "0000", "0001", "0002":
			b = append(b, l...)
		default:
			b = appendPkt(b, l)
		}
	}
	return b
}

const (
	oidA = "1111111111111111111111111111111111111111"
	oidB = "2222222222222222222222222222222222222222"
	oidC = "3333333333333333333333333333333333333333"
)

func TestReadV0(t *testing.T) {
	in := pkts("# service=git-upload-pack\n", "0000",
		oidA+" HEAD\x00multi_ack symref=HEAD:refs/heads/trunk agent=git/2\n",
		oidA+" refs/heads/trunk\n",
		oidB+" refs/pull/1/head\n",
		oidC+" refs/tags/v1\n",
		oidA+" refs/tags/v1^{}\n",
		oidB+" refs/tags/light\n",
		"0000")
	info, err := readV0(newPktReader(bytes.NewReader(in)))
	if err != nil {
		t.Fatal(err)
	}
	if info.Head != "refs/heads/trunk" || len(info.Refs) != 3 {
		t.Fatalf("info = %+v", info)
	}
	if r, _ := info.Resolve("v1"); r.Commit != oidA || r.Tag != oidC {
		t.Errorf("v1 = %+v", r)
	}
	if r, _ := info.Resolve("light"); r.Commit != oidB || r.Tag != "" {
		t.Errorf("light = %+v", r)
	}
}

func TestReadV0Edges(t *testing.T) {
	empty := pkts(strings.Repeat("0", 40)+" capabilities^{}\x00agent=git/2\n", "0000")
	if info, err := readV0(newPktReader(bytes.NewReader(empty))); err != nil || len(info.Refs) != 0 {
		t.Errorf("empty repository: %+v, %v", info, err)
	}
	if _, err := readV0(newPktReader(bytes.NewReader(pkts("version 2\n", "agent=git/2\n", "0000")))); !errors.Is(err, errVersion2) {
		t.Errorf("version 2: %v", err)
	}
	bad := []struct {
		name string
		in   []byte
	}{
		{"truncated", pkts(oidA + " refs/heads/main\n")},
		{"bad oid", pkts("zzzz refs/heads/main\n", "0000")},
		{"no space", pkts(oidA+"\n", "0000")},
		{"bad header", []byte("zz12abcd")},
		{"short length", []byte("0003")},
		{"cut data", []byte("0010abc")},
		{"server error", pkts("ERR access denied\n")},
	}
	for _, tt := range bad {
		if _, err := readV0(newPktReader(bytes.NewReader(tt.in))); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
	var re *remoteError
	if _, err := readV0(newPktReader(bytes.NewReader(pkts("ERR access denied\n")))); !errors.As(err, &re) || re.msg != "access denied" {
		t.Errorf("ERR packet: %v", err)
	}
}

func TestReadLsRefs(t *testing.T) {
	in := pkts(oidA+" HEAD symref-target:refs/heads/main\n",
		oidA+" refs/heads/main\n",
		oidC+" refs/tags/v1 peeled:"+oidB+"\n",
		"0000")
	info, err := readLsRefs(newPktReader(bytes.NewReader(in)))
	if err != nil {
		t.Fatal(err)
	}
	if info.Head != "refs/heads/main" || len(info.Refs) != 2 {
		t.Fatalf("info = %+v", info)
	}
	if r, _ := info.Resolve("v1"); r.Commit != oidB || r.Tag != oidC {
		t.Errorf("v1 = %+v", r)
	}
	if _, err := readLsRefs(newPktReader(bytes.NewReader(pkts(oidA + " refs/heads/main\n")))); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated: %v", err)
	}
	req := string(lsRefsRequest())
	for _, want := range []string{"0014command=ls-refs\n0001", "ref-prefix refs/heads/\n", "symrefs\n", "peel\n"} {
		if !strings.Contains(req, want) {
			t.Errorf("ls-refs request %q lacks %q", req, want)
		}
	}
	if !strings.HasSuffix(req, "0000") {
		t.Error("ls-refs request does not end with a flush")
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"/srv/repo.git":  "'/srv/repo.git'",
		"it's":           `'it'\''s'`,
		"a!b":            `'a'\!'b'`,
		"$(touch x); ls": "'$(touch x); ls'",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestParseKnownHosts(t *testing.T) {
	line := "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
	pins := parseKnownHosts([]string{
		"github.com " + line,
		"git.example.com:2222 " + line + " comment",
		"[Git.Example.org]:22 " + line,
		"a.example,b.example:2200 " + line,
		"# comment",
		"|1|hashed= " + line,
		"@cert-authority * " + line,
		"bad.example ssh-ed25519 !!!notbase64",
		"typo.example ssh-rsa " + strings.Fields(line)[1], // type does not match the key
	})
	var got []string
	for _, p := range pins {
		got = append(got, p.pattern)
	}
	want := "github.com [git.example.com]:2222 git.example.org a.example [b.example]:2200"
	if strings.Join(got, " ") != want {
		t.Errorf("patterns = %q, want %q", got, want)
	}
	if f := string(knownHostsFile(pins[:1])); f != "github.com "+line+"\n" {
		t.Errorf("known_hosts file = %q", f)
	}
}
