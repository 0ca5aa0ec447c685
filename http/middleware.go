package http

import (
	"net/http"
	"strings"
	"time"

	"github.com/ferrygit/ferry"
)

// apiPrefix starts the path of every API route; requests below it need a token.
const apiPrefix = "/api/v1"

func isAPI(path string) bool {
	return path == apiPrefix || strings.HasPrefix(path, apiPrefix+"/")
}

// observe logs every request and records it in the metrics. It reads r.Pattern, which the
// mux sets on the request it is given, so nothing between here and the mux may replace r.
func (s *Server) observe(next http.Handler) http.Handler {
	m := newMetrics(s.Metrics)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		elapsed := time.Since(start)
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		m.observe(route, rec.Status(), elapsed)
		// Only the pattern and the path: query values and headers may hold secrets.
		s.logger().Info("request", "method", r.Method, "route", route, "path", r.URL.Path,
			"status", rec.Status(), "duration", elapsed)
	})
}

// statusRecorder remembers the status a handler answered with.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (rec *statusRecorder) WriteHeader(status int) {
	if rec.status == 0 {
		rec.status = status
	}
	rec.ResponseWriter.WriteHeader(status)
}

func (rec *statusRecorder) Write(b []byte) (int, error) {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	return rec.ResponseWriter.Write(b)
}

// Status returns the status written so far, 200 if the handler wrote nothing.
func (rec *statusRecorder) Status() int {
	if rec.status == 0 {
		return http.StatusOK
	}
	return rec.status
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (rec *statusRecorder) Unwrap() http.ResponseWriter { return rec.ResponseWriter }

// secureHeaders sets the headers every response carries.
func secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(w, r)
	})
}

// checkAPIPath answers 400 for an API path with an empty, '.' or '..' segment, which the
// mux would otherwise clean and redirect. Dot segments are looked for in the decoded path,
// so "%2e%2e" is caught; empty ones in the path as sent, so an encoded '/' ("%2F") is left
// for the handler's own, more precise check. A single trailing '/' is allowed.
func checkAPIPath(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isAPI(r.URL.Path) {
			msg := badSegment(r.URL.Path, false)
			if msg == "" {
				msg = badSegment(r.URL.EscapedPath(), true)
			}
			if msg != "" {
				writeJSON(w, http.StatusBadRequest, errorBody(ferry.EINVALID, msg))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// badSegment describes what is wrong with path's segments, or returns "" if nothing is.
func badSegment(path string, empty bool) string {
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	for i, seg := range segs {
		switch {
		case empty && seg == "" && i < len(segs)-1:
			return "The URL path has an empty segment ('//'); remove the extra '/'."
		case seg == "." || seg == "..":
			return "The URL path has a '" + seg + "' segment (perhaps encoded); paths may not step outside or around directories."
		}
	}
	return ""
}
