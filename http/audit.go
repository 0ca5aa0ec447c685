package http

import (
	"context"
	"net"
	"net/http"
	"time"

	"github.com/ferrygit/ferry"
)

// registerAuditRoutes registers the route that reads the audit log.
func (s *Server) registerAuditRoutes(mux *http.ServeMux) {
	s.api(mux, "GET /api/v1/audit", ferry.PermAdmin, s.handleListAudit)
}

// audit records every state-changing request in the audit log before its answer is sent:
// when the handler writes the status, the entry is written first.
func (s *Server) audit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if safeMethod(r.Method) || s.Audit == nil {
			next.ServeHTTP(w, r)
			return
		}
		aw := &auditWriter{ResponseWriter: w, record: func(status int) {
			p := principalFrom(r.Context())
			s.record(r, &ferry.AuditEntry{Actor: p.Actor(), ActorName: p.Name, Status: status})
		}}
		next.ServeHTTP(aw, r)
		aw.done(http.StatusOK)
	})
}

// record completes e from r and stores it. A failure to store is logged as an error: the
// change it describes has been made.
func (s *Server) record(r *http.Request, e *ferry.AuditEntry) {
	e.Time = s.now()
	e.Action = r.Pattern
	if e.Action == "" {
		e.Action = r.Method + " " + r.URL.Path
	}
	e.Target = r.URL.Path
	e.Namespace = r.PathValue("ns")
	if e.Namespace == "" {
		e.Namespace = r.PathValue("namespace") // a role in a namespace
	}
	e.Result = "ok"
	if e.Status >= 400 {
		e.Result = codeOf(e.Status)
	}
	e.RemoteAddr = remoteHost(r)
	if err := s.Audit.RecordAudit(context.WithoutCancel(r.Context()), e); err != nil {
		s.logger().Error("could not record a request in the audit log", "action", e.Action, "actor", e.Actor, "status", e.Status, "err", err)
	}
}

// remoteHost returns the address r came from, without its port.
func remoteHost(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// auditWriter calls record once, with the status, before the first byte of the answer.
type auditWriter struct {
	http.ResponseWriter
	record   func(status int)
	recorded bool
}

func (w *auditWriter) done(status int) {
	if !w.recorded {
		w.recorded = true
		w.record(status)
	}
}

func (w *auditWriter) WriteHeader(status int) {
	w.done(status)
	w.ResponseWriter.WriteHeader(status)
}

func (w *auditWriter) Write(b []byte) (int, error) {
	w.done(http.StatusOK)
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *auditWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (s *Server) handleListAudit(w http.ResponseWriter, r *http.Request) {
	page, err := pageParams(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	f := ferry.AuditFilter{Actor: q.Get("actor"), Action: q.Get("action"), Namespace: q.Get("namespace"), Page: page}
	for _, t := range []struct {
		name string
		dst  *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		v := q.Get(t.name)
		if v == "" {
			continue
		}
		if *t.dst, err = time.Parse(time.RFC3339, v); err != nil {
			s.writeError(w, r, ferry.Errorf(ferry.EINVALID, "Parameter %s=%q is not an RFC 3339 time such as 2026-11-22T09:00:00Z.", t.name, clip(v)))
			return
		}
	}
	items, next, err := s.Audit.ListAudit(r.Context(), f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeList(w, items, next)
}
