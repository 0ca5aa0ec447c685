// Package sshtest runs SSH servers on loopback for tests: they show their host keys and
// accept no one.
package sshtest

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"net"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"
)

// Server is an SSH server on 127.0.0.1 that completes key exchange with its host keys and
// then refuses every login.
type Server struct {
	Addr     string       // host:port
	HostKeys []ssh.Signer // the keys it presents

	ln net.Listener
	wg sync.WaitGroup
}

// NewServer starts a server with the given host keys, or with a new ed25519 and a new
// ECDSA P-256 key when none are given. It stops when the test ends.
func NewServer(t testing.TB, keys ...ssh.Signer) *Server {
	t.Helper()
	if len(keys) == 0 {
		keys = []ssh.Signer{NewEd25519(t), NewECDSA(t)}
	}
	cfg := &ssh.ServerConfig{
		PublicKeyCallback: func(ssh.ConnMetadata, ssh.PublicKey) (*ssh.Permissions, error) {
			return nil, errors.New("no one may log in")
		},
	}
	for _, k := range keys {
		cfg.AddHostKey(k)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Addr: ln.Addr().String(), HostKeys: keys, ln: ln}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer conn.Close()
				ssh.NewServerConn(conn, cfg) // fails once the client has seen the key and left
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); s.wg.Wait() })
	return s
}

// NewEd25519 returns a new ed25519 signer.
func NewEd25519(t testing.TB) ssh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return mustSigner(t, priv)
}

// NewECDSA returns a new ECDSA P-256 signer.
func NewECDSA(t testing.TB) ssh.Signer {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return mustSigner(t, priv)
}

func mustSigner(t testing.TB, key any) ssh.Signer {
	t.Helper()
	s, err := ssh.NewSignerFromKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Fingerprint returns the SHA256 fingerprint of a signer's public key.
func Fingerprint(s ssh.Signer) string { return ssh.FingerprintSHA256(s.PublicKey()) }
