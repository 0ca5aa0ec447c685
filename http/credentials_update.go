package http

import (
	"net/http"
	"strings"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/sshkey"
)

func (s *Server) handleRotateCredential(w http.ResponseWriter, r *http.Request) {
	if !s.credentialsReady(w, r) {
		return
	}
	var req RotateRequest
	if err := decodeJSON(w, r, maxCredentialRequest, &req, true); err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := s.findCredential(r)
	if err == nil {
		err = rotatable(c)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	alg := req.Algorithm
	if alg == "" {
		alg = c.Algorithm
	}
	pair, err := sshkey.Generate(alg)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	setPair(c, pair)
	if err := s.Credentials.UpdateCredential(r.Context(), c); err != nil {
		s.writeError(w, r, err)
		return
	}
	c.Secret = nil
	writeJSON(w, http.StatusOK, c)
}

// rotatable returns EINVALID, saying what to do instead, unless c holds a key pair that
// Ferry generated and so can replace by itself.
func rotatable(c *ferry.Credential) error {
	switch {
	case c.Kind == ferry.CredentialToken:
		return ferry.Errorf(ferry.EINVALID, `Credential %q holds a token, which Ferry cannot make: create a new token with the provider and set it with PATCH /api/v1/credentials/%s {"token": …} (ferry cred update %s --token-file FILE).`, c.Name, c.Name, c.Name)
	case c.Kind == ferry.CredentialBasic:
		return ferry.Errorf(ferry.EINVALID, `Credential %q holds a password, which Ferry cannot make: set the new one with PATCH /api/v1/credentials/%s {"password": …} (ferry cred update %s --password-file FILE).`, c.Name, c.Name, c.Name)
	case c.Kind == ferry.CredentialGitHubApp:
		return ferry.Errorf(ferry.EINVALID, `Credential %q holds a GitHub App's key, which only GitHub makes: generate a new private key in the App's settings and set it with PATCH /api/v1/credentials/%s {"private_key": …} (ferry cred update %s --import-key FILE).`, c.Name, c.Name, c.Name)
	case !c.Generated:
		return ferry.Errorf(ferry.EINVALID, `Credential %q holds an imported key, which Ferry cannot replace by itself: import the new private key with PATCH /api/v1/credentials/%s {"private_key": …} (ferry cred update %s --import-key FILE).`, c.Name, c.Name, c.Name)
	}
	return nil
}

func (s *Server) handleUpdateCredential(w http.ResponseWriter, r *http.Request) {
	if !s.credentialsReady(w, r) {
		return
	}
	var p CredentialPatch
	if err := decodeJSON(w, r, maxCredentialRequest, &p, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := s.findCredential(r)
	if err == nil {
		err = applyPatch(c, &p)
	}
	if err == nil {
		err = s.Credentials.UpdateCredential(r.Context(), c)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	c.Secret = nil
	writeJSON(w, http.StatusOK, c)
}

// applyPatch changes c as p asks, checking that each field applies to c's kind.
func applyPatch(c *ferry.Credential, p *CredentialPatch) error {
	given := map[string]bool{"username": p.Username != nil, "token": p.Token != nil, "password": p.Password != nil,
		"private_key": p.PrivateKey != nil, "passphrase": p.Passphrase != nil}
	var allowed []string
	switch {
	case c.Kind == ferry.CredentialToken:
		allowed = []string{"username", "token"}
	case c.Kind == ferry.CredentialBasic:
		allowed = []string{"username", "password"}
	case c.Kind == ferry.CredentialGitHubApp:
		allowed = []string{"private_key"}
	case c.Generated:
		if given["private_key"] {
			return ferry.Errorf(ferry.EINVALID, "Credential %q holds a key Ferry generated; make a new one with POST /api/v1/credentials/%s/rotate (ferry cred rotate %s), or create another credential to import a key.", c.Name, c.Name, c.Name)
		}
		allowed = []string{}
	default:
		allowed = []string{"private_key", "passphrase"}
	}
	if err := onlyFields(given, c.Kind, allowed...); err != nil {
		return err
	}
	if len(allowed) == 0 || !anyGiven(given) {
		return ferry.Errorf(ferry.EINVALID, "Nothing to change: a %s credential takes %s.", c.Kind, fieldList(allowed))
	}
	if p.Username != nil {
		if err := checkUsername(*p.Username); err != nil {
			return err
		}
		if *p.Username == "" && c.Kind == ferry.CredentialBasic {
			return ferry.Errorf(ferry.EINVALID, "A basic credential needs a username.")
		}
		c.Username = *p.Username
	}
	switch {
	case p.Token != nil:
		if err := checkSecretValue("token", *p.Token); err != nil {
			return err
		}
		c.Secret = &ferry.CredentialSecret{Token: *p.Token}
	case p.Password != nil:
		if err := checkSecretValue("password", *p.Password); err != nil {
			return err
		}
		c.Secret = &ferry.CredentialSecret{Password: *p.Password}
	case p.PrivateKey != nil && c.Kind == ferry.CredentialGitHubApp:
		return setAppKey(c, *p.PrivateKey)
	case p.PrivateKey != nil:
		var pass []byte
		if p.Passphrase != nil {
			pass = []byte(*p.Passphrase)
		}
		pair, err := sshkey.Import([]byte(*p.PrivateKey), pass)
		if err != nil {
			return err
		}
		setPair(c, pair)
	case p.Passphrase != nil:
		return ferry.Errorf(ferry.EINVALID, "Field passphrase goes with private_key.")
	}
	return nil
}

func anyGiven(given map[string]bool) bool {
	for _, g := range given {
		if g {
			return true
		}
	}
	return false
}

func fieldList(fields []string) string {
	if len(fields) == 0 {
		return "no changes (rotate it instead)"
	}
	return strings.Join(fields, " and ")
}
