package http

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/sshkey"
)

// maxCredentialRequest limits the body of a credential request: a private key is a few KiB.
const maxCredentialRequest = 256 << 10

// registerCredentialRoutes registers the routes that manage credentials.
func (s *Server) registerCredentialRoutes(mux *http.ServeMux) {
	s.apiAnywhere(mux, "POST /api/v1/credentials", s.handleCreateCredential, ferry.PermCredentials)
	s.apiAnywhere(mux, "GET /api/v1/credentials", s.handleListCredentials, ferry.PermCredentials, ferry.PermBindingsManage)
	s.apiAnywhere(mux, "GET /api/v1/credentials/{name}", s.handleGetCredential, ferry.PermCredentials, ferry.PermBindingsManage)
	s.api(mux, "PATCH /api/v1/credentials/{name}", ferry.PermCredentials, s.handleUpdateCredential)
	s.api(mux, "DELETE /api/v1/credentials/{name}", ferry.PermCredentials, s.handleDeleteCredential)
	s.api(mux, "POST /api/v1/credentials/{name}/rotate", ferry.PermCredentials, s.handleRotateCredential)
}

// CredentialRequest is the body of POST /api/v1/credentials. An ssh-key credential sets
// Generate or PrivateKey (with Passphrase if the key is encrypted); a token credential
// sets Token and optionally Username; a basic credential sets Username and Password; a
// github-app credential sets AppID, InstallationID and PrivateKey (the App's PEM key).
type CredentialRequest struct {
	Name           string           `json:"name"`
	Kind           string           `json:"kind"`
	Username       string           `json:"username,omitempty"`
	Generate       *GenerateRequest `json:"generate,omitempty"`
	PrivateKey     string           `json:"private_key,omitempty"`
	Passphrase     string           `json:"passphrase,omitempty"`
	Token          string           `json:"token,omitempty"`
	Password       string           `json:"password,omitempty"`
	AppID          string           `json:"app_id,omitempty"`
	InstallationID string           `json:"installation_id,omitempty"`
}

// GenerateRequest asks for a new key pair of Algorithm: ed25519 or rsa-4096.
type GenerateRequest struct {
	Algorithm string `json:"algorithm"`
}

// CredentialPatch is the body of PATCH /api/v1/credentials/{name}: the fields to replace.
// A token credential takes Username and Token, a basic one Username and Password, an
// imported ssh-key PrivateKey (with Passphrase if it is encrypted).
type CredentialPatch struct {
	Username   *string `json:"username,omitempty"`
	Token      *string `json:"token,omitempty"`
	Password   *string `json:"password,omitempty"`
	PrivateKey *string `json:"private_key,omitempty"`
	Passphrase *string `json:"passphrase,omitempty"`
}

// RotateRequest is the optional body of POST /api/v1/credentials/{name}/rotate: the
// algorithm of the new key, the old one's when empty.
type RotateRequest struct {
	Algorithm string `json:"algorithm,omitempty"`
}

// credentialsReady answers 503 and returns false when the server has no credential store.
func (s *Server) credentialsReady(w http.ResponseWriter, r *http.Request) bool {
	if s.Credentials == nil {
		s.writeError(w, r, ferry.Errorf(ferry.EUNAVAILABLE, "This server keeps no credentials."))
		return false
	}
	return true
}

func (s *Server) handleCreateCredential(w http.ResponseWriter, r *http.Request) {
	if !s.credentialsReady(w, r) {
		return
	}
	var req CredentialRequest
	if err := decodeJSON(w, r, maxCredentialRequest, &req, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := newCredential(&req)
	if err == nil {
		err = s.Credentials.CreateCredential(r.Context(), c)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", apiPrefix+"/credentials/"+url.PathEscape(c.Name))
	c.Secret = nil
	writeJSON(w, http.StatusCreated, c)
}

// newCredential checks a create request field by field and makes the credential it asks
// for, generating or importing its key pair.
func newCredential(req *CredentialRequest) (*ferry.Credential, error) {
	if err := ferry.ValidateCredentialName(req.Name); err != nil {
		return nil, err
	}
	if err := ferry.ValidateCredentialKind(req.Kind); err != nil {
		return nil, err
	}
	c := &ferry.Credential{Name: req.Name, Kind: req.Kind, Username: req.Username, Secret: &ferry.CredentialSecret{}}
	given := map[string]bool{"username": req.Username != "", "generate": req.Generate != nil,
		"private_key": req.PrivateKey != "", "passphrase": req.Passphrase != "", "token": req.Token != "", "password": req.Password != "",
		"app_id": req.AppID != "", "installation_id": req.InstallationID != ""}
	switch req.Kind {
	case ferry.CredentialSSHKey:
		if err := onlyFields(given, req.Kind, "generate", "private_key", "passphrase"); err != nil {
			return nil, err
		}
		var pair *sshkey.Pair
		var err error
		switch {
		case req.Generate != nil && req.PrivateKey != "":
			return nil, ferry.Errorf(ferry.EINVALID, "Give either generate or private_key, not both.")
		case req.Generate != nil:
			if req.Passphrase != "" {
				return nil, ferry.Errorf(ferry.EINVALID, "Field passphrase goes with private_key; a generated key has none.")
			}
			pair, err = sshkey.Generate(req.Generate.Algorithm)
			c.Generated = true
		case req.PrivateKey != "":
			pair, err = sshkey.Import([]byte(req.PrivateKey), []byte(req.Passphrase))
		default:
			return nil, ferry.Errorf(ferry.EINVALID, `An ssh-key credential needs "generate": {"algorithm": "ed25519"} (or "rsa-4096"), or a "private_key" to import.`)
		}
		if err != nil {
			return nil, err
		}
		setPair(c, pair)
	case ferry.CredentialToken:
		if err := onlyFields(given, req.Kind, "username", "token"); err != nil {
			return nil, err
		}
		if err := checkSecretValue("token", req.Token); err != nil {
			return nil, err
		}
		c.Secret.Token = req.Token
	case ferry.CredentialBasic:
		if err := onlyFields(given, req.Kind, "username", "password"); err != nil {
			return nil, err
		}
		if req.Username == "" {
			return nil, ferry.Errorf(ferry.EINVALID, "A basic credential needs a username.")
		}
		if err := checkSecretValue("password", req.Password); err != nil {
			return nil, err
		}
		c.Secret.Password = req.Password
	case ferry.CredentialGitHubApp:
		if err := onlyFields(given, req.Kind, "app_id", "installation_id", "private_key"); err != nil {
			return nil, err
		}
		c.AppID, c.InstallationID = req.AppID, req.InstallationID
		if err := setAppKey(c, req.PrivateKey); err != nil {
			return nil, err
		}
	}
	if err := checkUsername(req.Username); err != nil {
		return nil, err
	}
	return c, c.Validate()
}

// setPair puts a key pair into an ssh-key credential.
func setPair(c *ferry.Credential, p *sshkey.Pair) {
	c.PublicKey, c.Fingerprint, c.Algorithm = p.PublicKey, p.Fingerprint, p.Algorithm
	c.Secret = &ferry.CredentialSecret{PrivateKey: p.PrivateKey}
}

// setAppKey puts a GitHub App's PEM private key into a github-app credential, with the
// SHA-256 fingerprint GitHub shows beside the App's keys.
func setAppKey(c *ferry.Credential, pemKey string) error {
	if pemKey == "" {
		return ferry.Errorf(ferry.EINVALID, "A github-app credential needs private_key: the .pem file generated in the App's settings.")
	}
	key, err := ferry.ParseRSAPrivateKey([]byte(pemKey))
	if err != nil {
		return err
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(der)
	c.Fingerprint = "SHA256:" + base64.StdEncoding.EncodeToString(sum[:])
	c.Algorithm = fmt.Sprintf("rsa-%d", key.N.BitLen())
	c.Secret = &ferry.CredentialSecret{PrivateKey: []byte(pemKey)}
	return nil
}

// onlyFields returns EINVALID naming the first given field that is not allowed for kind.
func onlyFields(given map[string]bool, kind string, allowed ...string) error {
	for _, f := range []string{"username", "generate", "private_key", "passphrase", "token", "password", "app_id", "installation_id"} {
		if !given[f] || contains(allowed, f) {
			continue
		}
		if f == "username" && kind == ferry.CredentialSSHKey {
			return ferry.Errorf(ferry.EINVALID, "Field username does not apply to an ssh-key credential: the SSH user is part of the repository URL (git@host:…).")
		}
		return ferry.Errorf(ferry.EINVALID, "Field %s does not apply to a %s credential; it takes %s.", f, kind, strings.Join(allowed, ", "))
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// checkSecretValue returns EINVALID, without showing the value, unless v is a non-empty
// secret of at most ferry.MaxSecretLength bytes without line breaks or control characters.
func checkSecretValue(field, v string) error {
	switch {
	case v == "":
		return ferry.Errorf(ferry.EINVALID, "Field %s is required.", field)
	case len(v) > ferry.MaxSecretLength:
		return ferry.Errorf(ferry.EINVALID, "Field %s is longer than %d bytes.", field, ferry.MaxSecretLength)
	case strings.TrimSpace(v) != v:
		return ferry.Errorf(ferry.EINVALID, "Field %s starts or ends with white space; remove it (a file's last line break, perhaps).", field)
	case strings.ContainsFunc(v, isControl):
		return ferry.Errorf(ferry.EINVALID, "Field %s contains a line break or another control character.", field)
	}
	return nil
}

// checkUsername returns EINVALID for a username Git could not send.
func checkUsername(u string) error {
	if len(u) > 256 || strings.ContainsFunc(u, isControl) || strings.Contains(u, ":") {
		return ferry.Errorf(ferry.EINVALID, "Username must be at most 256 characters, without ':' or control characters.")
	}
	return nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// credentialParam returns the {name} path parameter. Returns EINVALID for a bad name.
func credentialParam(r *http.Request) (string, error) {
	name := r.PathValue("name")
	return name, ferry.ValidateCredentialName(name)
}

func (s *Server) handleListCredentials(w http.ResponseWriter, r *http.Request) {
	if !s.credentialsReady(w, r) {
		return
	}
	page, err := pageParams(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	items, next, err := s.Credentials.ListCredentials(r.Context(), page)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeList(w, items, next)
}

func (s *Server) handleGetCredential(w http.ResponseWriter, r *http.Request) {
	if !s.credentialsReady(w, r) {
		return
	}
	c, err := s.findCredential(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

// findCredential returns the credential the {name} path parameter names.
func (s *Server) findCredential(r *http.Request) (*ferry.Credential, error) {
	name, err := credentialParam(r)
	if err != nil {
		return nil, err
	}
	return s.Credentials.FindCredential(r.Context(), name)
}

func (s *Server) handleDeleteCredential(w http.ResponseWriter, r *http.Request) {
	if !s.credentialsReady(w, r) {
		return
	}
	name, err := credentialParam(r)
	if err == nil {
		err = s.Credentials.DeleteCredential(r.Context(), name)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
