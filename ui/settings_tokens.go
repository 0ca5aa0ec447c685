package ui

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/ferrygit/ferry"
	fhttp "github.com/ferrygit/ferry/http"
)

// registerTokenPages registers the API token pages: the list, creating a token (shown
// once) and revoking one.
func (s *Server) registerTokenPages(mux *http.ServeMux) {
	s.page(mux, "GET /settings/tokens", s.tokensPage)
	s.page(mux, "POST /settings/tokens", s.createToken)
	s.page(mux, "POST /settings/tokens/{id}/revoke", s.revokeToken)
}

// permissionLabels says what each permission allows, for the create form's checkboxes.
var permissionLabels = map[ferry.Permission]string{
	ferry.PermNamespacesRead:  "read namespaces, files, revisions, bindings and runs",
	ferry.PermNamespacesWrite: "create and delete namespaces, write files",
	ferry.PermBindingsManage:  "create, change and delete bindings and their webhooks",
	ferry.PermSyncTrigger:     "start pulls and pushes",
	ferry.PermCredentials:     "manage Git credentials and known hosts",
	ferry.PermProviders:       "manage provider connections",
	ferry.PermCatalogRead:     "read the catalog",
	ferry.PermCatalogWrite:    "write blueprints and entities",
	ferry.PermTokensManage:    "create, list and revoke API tokens",
	ferry.PermAdmin:           "everything, including users and the audit log",
}

// permChoice is one permission checkbox.
type permChoice struct {
	Value   ferry.Permission
	Label   string
	Checked bool
}

// tokenForm is what the create form sent, to fill it in again after a failure.
type tokenForm struct {
	Description, Lifetime, Namespace string
	Permissions                      []permChoice
}

// newTokenForm returns the create form with checked ticked.
func newTokenForm(description, lifetime, namespace string, checked []ferry.Permission) tokenForm {
	f := tokenForm{Description: description, Lifetime: lifetime, Namespace: namespace}
	for _, p := range ferry.Permissions {
		f.Permissions = append(f.Permissions, permChoice{Value: p, Label: permissionLabels[p], Checked: permListed(checked, p)})
	}
	return f
}

func permListed(list []ferry.Permission, p ferry.Permission) bool {
	for _, x := range list {
		if x == p {
			return true
		}
	}
	return false
}

func (s *Server) tokensPage(c *call) error {
	return s.showTokens(c, newTokenForm("", "P90D", "", []ferry.Permission{ferry.PermNamespacesRead}), nil)
}

// showTokens renders the token list and the create form filled in with form.
func (s *Server) showTokens(c *call, form tokenForm, failed error) error {
	items, err := c.client.ListTokens(c.ctx(), true)
	namespaces, _ := namespaceNames(c)
	data := map[string]any{"Tokens": items, "Form": form, "Namespaces": namespaces, "Listed": err == nil}
	return s.renderSettings(c, "tokens", "settings_tokens", "API tokens", data, firstFailure(failed, err))
}

func (s *Server) createToken(c *call) error {
	f := c.r.PostForm
	var perms []ferry.Permission
	for _, p := range f["permission"] {
		perms = append(perms, ferry.Permission(p))
	}
	req := fhttp.TokenRequest{Description: strings.TrimSpace(f.Get("description")), Lifetime: strings.TrimSpace(f.Get("lifetime")),
		Permissions: perms, Namespace: f.Get("namespace")}
	t, err := c.client.CreateToken(c.ctx(), req)
	if err != nil {
		return s.showTokens(c, newTokenForm(req.Description, req.Lifetime, req.Namespace, perms), err)
	}
	// The token is on this page only: no cache may keep it.
	c.w.Header().Set("Cache-Control", "no-store")
	data := map[string]any{"Token": t, "Origin": requestOrigin(c.r), "Tabs": settingsTabs(c, "tokens")}
	return s.render(c, http.StatusCreated, "settings_token_created", "New API token", data)
}

// requestOrigin returns the scheme and host the browser reached the server at, for examples.
func requestOrigin(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (s *Server) revokeToken(c *call) error {
	v := c.r.PathValue("id")
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id < 1 {
		return ferry.Errorf(ferry.EINVALID, "Token ID %q is not a positive number.", v)
	}
	t, err := c.client.GetToken(c.ctx(), id)
	if err == nil {
		err = c.client.RevokeToken(c.ctx(), id)
	}
	if err != nil {
		return s.showTokens(c, newTokenForm("", "P90D", "", []ferry.Permission{ferry.PermNamespacesRead}), err)
	}
	return redirect(c, "/settings/tokens", "Token "+strconv.FormatInt(id, 10)+" ("+t.Description+") revoked: it is refused from now on.")
}
