package ui

import (
	"net/http"

	"github.com/ferrygit/ferry"
)

// registerSettingsPages registers the configuration pages: credentials, known hosts,
// providers, API tokens, users and the audit log.
func (s *Server) registerSettingsPages(mux *http.ServeMux) {
	s.page(mux, "GET /settings", func(c *call) error { return redirect(c, "/settings/credentials", "") })
	s.registerCredentialPages(mux)
	s.registerKnownHostPages(mux)
	s.registerProviderPages(mux)
	s.registerTokenPages(mux)
	s.registerUserPages(mux)
	s.registerAuditPages(mux)
}

// settingsTab is one entry of the configuration pages' sub-navigation.
type settingsTab struct {
	ID, Label, Path string
	Current         bool
}

// settingsTabs returns the sub-navigation with tab current marked. The audit log is
// listed for admins only; the users page is for everyone, as it changes their password.
func settingsTabs(c *call, current string) []settingsTab {
	tabs := []settingsTab{
		{ID: "credentials", Label: "Credentials", Path: "/settings/credentials"},
		{ID: "known-hosts", Label: "Known hosts", Path: "/settings/known-hosts"},
		{ID: "providers", Label: "Providers", Path: "/settings/providers"},
		{ID: "tokens", Label: "API tokens", Path: "/settings/tokens"},
		{ID: "users", Label: "Users", Path: "/settings/users"},
	}
	if c.user.Admin {
		tabs = append(tabs, settingsTab{ID: "audit", Label: "Audit log", Path: "/settings/audit"})
	}
	for i := range tabs {
		tabs[i].Current = tabs[i].ID == current
	}
	return tabs
}

// renderSettings renders configuration page name, under tab, with data (to which it adds
// the tabs). When failed is not nil the page carries its message and the status of its
// code, so a form comes back with what went wrong and the navigation stays usable.
func (s *Server) renderSettings(c *call, tab, name, title string, data map[string]any, failed error) error {
	data["Tabs"] = settingsTabs(c, tab)
	if failed == nil {
		return s.render(c, http.StatusOK, name, title, data)
	}
	v := &view{Title: title, User: c.user, CSRF: c.csrf, Section: "settings", Data: data, Error: s.settingsMessage(c, failed)}
	return s.write(c.w, status(ferry.ErrorCode(failed)), name, v)
}

// settingsMessage returns err's message for a person; internal errors are logged and shown as a
// generic message, as fail does.
func (s *Server) settingsMessage(c *call, err error) string {
	if ferry.ErrorCode(err) == ferry.EINTERNAL {
		s.logger().Error("ui: internal error", "path", c.r.URL.Path, "err", err)
		return "Something went wrong on the server; the server log has the details."
	}
	return ferry.ErrorMessage(err)
}

// firstFailure returns the first error that is not nil.
func firstFailure(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// confirmation is the data of the page that asks before something is deleted or replaced.
type confirmation struct {
	Tab      string
	Heading  string
	Question string
	Details  []string // what else the person should know
	Action   string   // the path the form posts to
	Button   string
	Danger   bool
	Back     string   // the path of the page to go back to
	Choices  []string // when not empty, a select named "algorithm" offers these
}

// confirmPage renders c's confirmation page; failed, when not nil, says why the last try failed.
func (s *Server) confirmPage(c *call, q confirmation, failed error) error {
	return s.renderSettings(c, q.Tab, "settings_confirm", q.Heading, map[string]any{"Q": q}, failed)
}

// listLimit caps the lists the pages read in full for their selects (namespaces,
// credentials).
const listLimit = 1000

// namespaceNames returns the names of up to listLimit namespaces the user sees.
func namespaceNames(c *call) ([]string, error) {
	var names []string
	page := ferry.Page{Limit: ferry.MaxPageLimit}
	for len(names) < listLimit {
		items, next, err := c.client.ListNamespaces(c.ctx(), page)
		if err != nil {
			return names, err
		}
		for _, n := range items {
			names = append(names, n.Name)
		}
		if next == "" {
			break
		}
		page.Cursor = next
	}
	return names, nil
}
