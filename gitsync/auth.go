// Package gitsync runs what a binding does with Git: checks, pulls and pushes. It joins the
// git engine, the stored credentials and known hosts, and the namespace's files.
package gitsync

import (
	"context"
	"errors"

	"github.com/ferrygit/ferry"
)

// defaultTokenUser is the HTTP user name sent with a token credential that names none: Git
// hosts that take tokens over basic auth accept any non-empty name.
const defaultTokenUser = "x-access-token"

// Secrets is what gitsync reads credentials and pinned host keys from.
type Secrets struct {
	Credentials ferry.CredentialService
	KnownHosts  ferry.KnownHostService
}

// Auth returns the GitAuth for a credential ("" for none) with every pinned host key.
// Returns ENOTFOUND for an unknown credential.
func (s *Secrets) Auth(ctx context.Context, credential string) (*ferry.GitAuth, error) {
	auth := &ferry.GitAuth{}
	hosts, err := s.KnownHosts.ListKnownHosts(ctx, "")
	if err != nil {
		return nil, err
	}
	for _, h := range hosts {
		auth.KnownHosts = append(auth.KnownHosts, h.Line())
	}
	if credential == "" {
		return auth, nil
	}
	c, err := s.Credentials.FindCredential(ctx, credential)
	if err != nil {
		return nil, err
	}
	secret, err := s.Credentials.CredentialSecret(ctx, credential)
	if err != nil {
		return nil, err
	}
	switch c.Kind {
	case ferry.CredentialSSHKey:
		auth.PrivateKey = secret.PrivateKey
	case ferry.CredentialToken:
		auth.Username, auth.Password = c.Username, secret.Token
		if auth.Username == "" {
			auth.Username = defaultTokenUser
		}
	case ferry.CredentialBasic:
		auth.Username, auth.Password = c.Username, secret.Password
	default:
		return nil, ferry.Errorf(ferry.EINVALID, "Credential %q is of kind %q, which Ferry cannot use for Git yet.", c.Name, c.Kind)
	}
	return auth, nil
}

// gitError returns err's *GitError, or nil.
func gitError(err error) *ferry.GitError {
	var ge *ferry.GitError
	if errors.As(err, &ge) {
		return ge
	}
	return nil
}
