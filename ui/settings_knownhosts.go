package ui

import (
	"net/http"
	"strings"
)

// registerKnownHostPages registers the known-host page: the pinned keys, pinning a key,
// trusting what a host presents by its fingerprint, and unpinning.
func (s *Server) registerKnownHostPages(mux *http.ServeMux) {
	s.page(mux, "GET /settings/known-hosts", s.knownHostsPage)
	s.page(mux, "POST /settings/known-hosts/pin", s.pinKnownHost)
	s.page(mux, "POST /settings/known-hosts/trust", s.trustKnownHost)
	s.page(mux, "POST /settings/known-hosts/unpin", s.unpinKnownHost)
}

// hostForm is what a known-host form sent, to fill it in again after a failure. Which
// names the form: pin or trust.
type hostForm struct {
	Which, Host, Key, Fingerprint string
}

func (s *Server) knownHostsPage(c *call) error {
	q := c.r.URL.Query()
	// "?host=…&fingerprint=…" fills in the trust form, as a check's "Trust" link does.
	form := hostForm{Which: "pin", Host: q.Get("host"), Fingerprint: q.Get("fingerprint")}
	if form.Fingerprint != "" {
		form.Which = "trust"
	}
	return s.showKnownHosts(c, form, nil)
}

func (s *Server) showKnownHosts(c *call, form hostForm, failed error) error {
	items, err := c.client.ListKnownHosts(c.ctx(), "")
	data := map[string]any{"Hosts": items, "Form": form, "Listed": err == nil}
	return s.renderSettings(c, "known-hosts", "settings_known_hosts", "Known hosts", data, firstFailure(failed, err))
}

func (s *Server) pinKnownHost(c *call) error {
	f := hostForm{Which: "pin", Host: strings.TrimSpace(c.r.PostForm.Get("host")), Key: strings.TrimSpace(c.r.PostForm.Get("key"))}
	k, err := c.client.AddKnownHost(c.ctx(), f.Host, f.Key)
	if err != nil {
		return s.showKnownHosts(c, f, err)
	}
	return redirect(c, "/settings/known-hosts", "Pinned "+k.KeyType+" key "+k.Fingerprint+" for "+k.Host+".")
}

func (s *Server) trustKnownHost(c *call) error {
	f := hostForm{Which: "trust", Host: strings.TrimSpace(c.r.PostForm.Get("host")), Fingerprint: strings.TrimSpace(c.r.PostForm.Get("fingerprint"))}
	k, err := c.client.TrustKnownHost(c.ctx(), f.Host, f.Fingerprint)
	if err != nil {
		return s.showKnownHosts(c, f, err)
	}
	return redirect(c, "/settings/known-hosts", "Trusted "+k.KeyType+" key "+k.Fingerprint+" of "+k.Host+".")
}

func (s *Server) unpinKnownHost(c *call) error {
	host, fp := c.r.PostForm.Get("host"), c.r.PostForm.Get("fingerprint")
	if err := c.client.DeleteKnownHost(c.ctx(), host, fp); err != nil {
		return s.showKnownHosts(c, hostForm{Which: "pin"}, err)
	}
	return redirect(c, "/settings/known-hosts", "Unpinned "+fp+" of "+host+".")
}
