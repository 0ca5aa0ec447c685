package http

import (
	"net/http"
	"strings"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/sshkey"
)

// registerKnownHostRoutes registers the routes that manage pinned SSH host keys.
func (s *Server) registerKnownHostRoutes(mux *http.ServeMux) {
	s.apiAnywhere(mux, "GET /api/v1/known-hosts", s.handleListKnownHosts, ferry.PermCredentials, ferry.PermBindingsManage)
	s.api(mux, "POST /api/v1/known-hosts", ferry.PermCredentials, s.handleAddKnownHost)
	s.api(mux, "DELETE /api/v1/known-hosts", ferry.PermCredentials, s.handleDeleteKnownHost)
}

// KnownHostRequest is the body of POST /api/v1/known-hosts: a Host and either its Key
// ("ssh-ed25519 AAAA…"), to pin as given, or the Fingerprint of the key the host presents,
// to pin what Ferry sees when it connects, if and only if the fingerprint matches.
type KnownHostRequest struct {
	Host        string `json:"host"`
	Key         string `json:"key,omitempty"`
	Fingerprint string `json:"fingerprint,omitempty"`
}

// knownHostsReady answers 503 and returns false when the server keeps no known hosts.
func (s *Server) knownHostsReady(w http.ResponseWriter, r *http.Request) bool {
	if s.KnownHosts == nil {
		s.writeError(w, r, ferry.Errorf(ferry.EUNAVAILABLE, "This server keeps no known hosts."))
		return false
	}
	return true
}

func (s *Server) handleListKnownHosts(w http.ResponseWriter, r *http.Request) {
	if !s.knownHostsReady(w, r) {
		return
	}
	items, err := s.KnownHosts.ListKnownHosts(r.Context(), r.URL.Query().Get("host"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeList(w, items, "")
}

func (s *Server) handleAddKnownHost(w http.ResponseWriter, r *http.Request) {
	if !s.knownHostsReady(w, r) {
		return
	}
	var req KnownHostRequest
	if err := decodeJSON(w, r, maxCredentialRequest, &req, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	k, err := s.knownHostFor(r, &req)
	if err == nil {
		err = s.KnownHosts.AddKnownHost(r.Context(), k)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, k)
}

// knownHostFor returns the key a request asks to pin: the one it gives, or the one the
// host presents whose fingerprint it gives.
func (s *Server) knownHostFor(r *http.Request, req *KnownHostRequest) (*ferry.KnownHost, error) {
	host, err := ferry.NormalizeSSHHost(req.Host)
	if err != nil {
		return nil, err
	}
	switch {
	case req.Key != "" && req.Fingerprint != "":
		return nil, ferry.Errorf(ferry.EINVALID, "Give either key (to pin it) or fingerprint (to pin the key the host presents), not both.")
	case req.Key != "":
		typ, key, err := sshkey.ParsePublicKey(req.Key)
		if err != nil {
			return nil, err
		}
		return &ferry.KnownHost{Host: host, KeyType: typ, Key: key, Source: ferry.KnownHostAdded}, nil
	case req.Fingerprint == "":
		return nil, ferry.Errorf(ferry.EINVALID, `Give the host's key ("key": "ssh-ed25519 AAAA…") or the fingerprint of the key it presents ("fingerprint": "SHA256:…").`)
	}
	if err := ferry.ValidateFingerprint(req.Fingerprint); err != nil {
		return nil, err
	}
	if s.ScanHostKeys == nil {
		return nil, ferry.Errorf(ferry.EUNAVAILABLE, "This server cannot connect to hosts to read their keys; pin the key itself instead.")
	}
	keys, err := s.ScanHostKeys(r.Context(), host)
	if ferry.ErrorCode(err) == ferry.EINTERNAL {
		return nil, ferry.Errorf(ferry.EUNAVAILABLE, "Cannot read the host keys of %s: %v.", host, err)
	} else if err != nil {
		return nil, err
	}
	var seen []string
	for _, k := range keys {
		if k.Fingerprint == req.Fingerprint {
			k.Host, k.Source = host, ferry.KnownHostTrusted
			return k, nil
		}
		seen = append(seen, k.Fingerprint+" ("+k.KeyType+")")
	}
	return nil, ferry.Errorf(ferry.ECONFLICT, "%s presents %s, not %s; nothing was pinned. Check the fingerprint with the host's administrator: a different key can mean someone is in the middle.",
		host, strings.Join(seen, ", "), req.Fingerprint)
}

func (s *Server) handleDeleteKnownHost(w http.ResponseWriter, r *http.Request) {
	if !s.knownHostsReady(w, r) {
		return
	}
	q := r.URL.Query()
	// An unencoded '+' of a fingerprint arrives as ' ', which base64 never holds.
	host, fp := q.Get("host"), strings.ReplaceAll(q.Get("fingerprint"), " ", "+")
	if host == "" {
		s.writeError(w, r, ferry.Errorf(ferry.EINVALID, "Parameter host is required: DELETE /api/v1/known-hosts?host=git.example.com[&fingerprint=SHA256:…]."))
		return
	}
	if fp != "" {
		if err := ferry.ValidateFingerprint(fp); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	if err := s.KnownHosts.DeleteKnownHost(r.Context(), host, fp); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
