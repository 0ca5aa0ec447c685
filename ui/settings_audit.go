package ui

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ferrygit/ferry"
)

// registerAuditPages registers the audit log page (admins).
func (s *Server) registerAuditPages(mux *http.ServeMux) {
	s.page(mux, "GET /settings/audit", s.auditPage)
}

// auditForm is the audit page's filter, as the GET query gave it.
type auditForm struct {
	Actor, Action, Namespace, Since, Until string
}

// localLayouts are the forms of a datetime-local input's value, read as UTC.
var localLayouts = []string{"2006-01-02T15:04", "2006-01-02T15:04:05", time.RFC3339}

// parseLocal reads a datetime-local value as UTC; field names it in the error.
func parseLocal(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	for _, layout := range localLayouts {
		if t, err := time.ParseInLocation(layout, v, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, ferry.Errorf(ferry.EINVALID, "%s %q is not a date and time such as 2026-11-22T09:00.", field, v)
}

func (s *Server) auditPage(c *call) error {
	q := c.r.URL.Query()
	form := auditForm{Actor: strings.TrimSpace(q.Get("actor")), Action: strings.TrimSpace(q.Get("action")),
		Namespace: strings.TrimSpace(q.Get("namespace")), Since: q.Get("since"), Until: q.Get("until")}
	f := ferry.AuditFilter{Actor: form.Actor, Action: form.Action, Namespace: form.Namespace,
		Page: ferry.Page{Limit: pageSize, Cursor: q.Get("cursor")}}
	since, err := parseLocal("Since", form.Since)
	until, uerr := parseLocal("Until", form.Until)
	f.Since, f.Until = since, until
	data := map[string]any{"Form": form, "Filtered": form != auditForm{}}
	if err = firstFailure(err, uerr); err == nil {
		var entries []*ferry.AuditEntry
		var next string
		entries, next, err = c.client.ListAudit(c.ctx(), f)
		data["Entries"], data["Listed"] = entries, err == nil
		if next != "" {
			nq := url.Values{}
			for k, v := range q {
				nq[k] = v
			}
			nq.Set("cursor", next)
			data["NextURL"] = "?" + nq.Encode()
		}
	}
	return s.renderSettings(c, "audit", "settings_audit", "Audit log", data, err)
}
