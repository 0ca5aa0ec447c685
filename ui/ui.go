// Package ui serves Ferry's web UI: server-rendered pages (html/template, assets embedded in
// the binary) that act through the API as the logged-in user. Every page calls the API
// in-process with the user's session cookie, so the UI can do exactly what the user may do
// through the API — the same permission checks, validation and audit log — and no more.
package ui

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/ferrygit/ferry"
	fhttp "github.com/ferrygit/ferry/http"
)

//go:embed templates static
var files embed.FS

// Server serves the UI. Set API before the first call to Handler.
type Server struct {
	API    http.Handler // the API handler, called in-process
	Logger *slog.Logger

	once  sync.Once
	mux   *http.ServeMux
	pages map[string]*template.Template
}

// sessionCookie is the API's session cookie, which the UI passes on.
const sessionCookie = "ferry_session"

func (s *Server) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.Default()
	}
	return s.Logger
}

// Handler returns the UI's handler, built on the first call.
func (s *Server) Handler() http.Handler {
	s.once.Do(func() {
		s.pages = map[string]*template.Template{}
		s.mux = http.NewServeMux()
		static, _ := fs.Sub(files, "static")
		s.mux.Handle("GET /static/", http.StripPrefix("/static/", cacheStatic(http.FileServerFS(static))))
		s.registerSessionPages(s.mux)
		s.registerNamespacePages(s.mux)
		s.registerBindingPages(s.mux)
		s.registerSettingsPages(s.mux)
		s.registerCatalogPages(s.mux)
	})
	return s.mux
}

func cacheStatic(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		h.ServeHTTP(w, r)
	})
}

// call is one request to a page: the user it acts as and a client that acts as them.
type call struct {
	w      http.ResponseWriter
	r      *http.Request
	client *fhttp.Client
	user   *fhttp.SessionResponse
	csrf   string
}

// ctx returns the request's context.
func (c *call) ctx() context.Context { return c.r.Context() }

// pageFunc handles a page; an error is rendered as a message the user can act on.
type pageFunc func(c *call) error

// page registers a page that needs a logged-in user. A request without a session is sent
// to the login page. A POST must carry the session's CSRF token in the form.
func (s *Server) page(mux *http.ServeMux, pattern string, h pageFunc) {
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		c, err := s.newCall(w, r)
		if err != nil {
			if ferry.ErrorCode(err) == ferry.EUNAUTHORIZED {
				http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			s.fail(w, r, nil, err)
			return
		}
		if r.Method == http.MethodPost {
			if err := r.ParseForm(); err != nil {
				s.fail(w, r, c, ferry.Errorf(ferry.EINVALID, "The form could not be read."))
				return
			}
			if r.PostForm.Get("csrf") == "" || r.PostForm.Get("csrf") != c.csrf {
				s.fail(w, r, c, ferry.Errorf(ferry.EFORBIDDEN, "The form has expired or did not come from this page; reload the page and try again."))
				return
			}
		}
		if err := h(c); err != nil {
			s.fail(w, r, c, err)
		}
	})
}

// newCall finds the user of r's session and a client acting as them.
func (s *Server) newCall(w http.ResponseWriter, r *http.Request) (*call, error) {
	cookie, err := r.Cookie(sessionCookie)
	if err != nil || cookie.Value == "" {
		return nil, ferry.Errorf(ferry.EUNAUTHORIZED, "Log in first.")
	}
	c := &call{w: w, r: r, client: s.client(r, http.Header{"Cookie": {sessionCookie + "=" + cookie.Value}})}
	if c.user, err = c.client.WhoAmI(r.Context()); err != nil {
		return nil, err
	}
	if c.user.Kind != ferry.PrincipalUser {
		return nil, ferry.Errorf(ferry.EUNAUTHORIZED, "Log in first.")
	}
	c.csrf = c.user.CSRFToken
	c.client.Header.Set("X-CSRF-Token", c.csrf)
	return c, nil
}

// client returns an API client that calls the API in-process with header, as if from r's
// address.
func (s *Server) client(r *http.Request, header http.Header) *fhttp.Client {
	c := fhttp.NewClient("http://ferry.internal", "")
	c.Header = header
	c.HTTP = &http.Client{Transport: &inProcess{api: s.API, remote: r.RemoteAddr},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return c
}

// inProcess is a RoundTripper that hands requests to the API handler directly.
type inProcess struct {
	api    http.Handler
	remote string
}

func (t *inProcess) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(fhttp.FromUI(req.Context()))
	if req.Body == nil {
		req.Body = http.NoBody // as a server's requests always have one
	}
	req.RemoteAddr = t.remote
	req.RequestURI = req.URL.RequestURI()
	rec := httptest.NewRecorder()
	t.api.ServeHTTP(rec, req)
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

// view is what every template gets.
type view struct {
	Title   string
	User    *fhttp.SessionResponse
	CSRF    string
	Flash   string // a message about what was just done
	Error   string // a message about what went wrong, to act on
	Section string // the navigation entry to highlight
	Data    any
}

// render writes page name with data.
func (s *Server) render(c *call, status int, name, title string, data any) error {
	v := &view{Title: title, Data: data, Flash: c.r.URL.Query().Get("flash"), Section: strings.SplitN(name, "_", 2)[0],
		User: c.user, CSRF: c.csrf}
	return s.write(c.w, status, name, v)
}

func (s *Server) write(w http.ResponseWriter, status int, name string, v *view) error {
	t, err := s.template(name)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Referrer-Policy", "same-origin")
	w.WriteHeader(status)
	_, err = w.Write(buf.Bytes())
	return err
}

var templatesMu sync.Mutex

// template returns page name parsed with the layout, once.
func (s *Server) template(name string) (*template.Template, error) {
	templatesMu.Lock()
	defer templatesMu.Unlock()
	if t, ok := s.pages[name]; ok {
		return t, nil
	}
	t, err := template.New(name).Funcs(funcs).ParseFS(files, "templates/layout.html", "templates/"+name+".html")
	if err != nil {
		return nil, err
	}
	s.pages[name] = t
	return t, nil
}

// fail renders err as a page: its message, which the API made for people, with the status
// of its code. Internal errors are logged and shown as a generic message.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, c *call, err error) {
	code := ferry.ErrorCode(err)
	msg := ferry.ErrorMessage(err)
	if code == ferry.EINTERNAL {
		s.logger().Error("ui: internal error", "path", r.URL.Path, "err", err)
		msg = "Something went wrong on the server; the server log has the details."
	}
	v := &view{Title: "Error", Error: msg}
	if c != nil {
		v.User, v.CSRF = c.user, c.csrf
	}
	if werr := s.write(w, status(code), "error", v); werr != nil {
		s.logger().Error("ui: render error page", "err", werr)
	}
}

// status maps an error code to the status of the page that shows it.
func status(code string) int {
	switch code {
	case ferry.EINVALID:
		return http.StatusBadRequest
	case ferry.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case ferry.EFORBIDDEN:
		return http.StatusForbidden
	case ferry.ENOTFOUND:
		return http.StatusNotFound
	case ferry.ECONFLICT:
		return http.StatusConflict
	case ferry.ERATELIMITED:
		return http.StatusTooManyRequests
	case ferry.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// redirect sends the browser to path with a flash message after a successful form.
func redirect(c *call, path, flash string) error {
	if flash != "" {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		path += sep + "flash=" + url.QueryEscape(flash)
	}
	http.Redirect(c.w, c.r, path, http.StatusSeeOther)
	return nil
}

// errorsAs is errors.As, for page files that test for *ferry.EntityError and the like.
var errorsAs = errors.As

// funcs are the template functions.
var funcs = template.FuncMap{
	"ago": func(t any) string {
		var tm time.Time
		switch v := t.(type) {
		case time.Time:
			tm = v
		case *time.Time:
			if v == nil {
				return "never"
			}
			tm = *v
		}
		if tm.IsZero() {
			return "never"
		}
		d := time.Since(tm)
		switch {
		case d < 0:
			return "in " + roundDuration(-d)
		case d < 10*time.Second:
			return "just now"
		}
		return roundDuration(d) + " ago"
	},
	"when": func(t any) string {
		switch v := t.(type) {
		case time.Time:
			if v.IsZero() {
				return ""
			}
			return v.UTC().Format("2006-01-02 15:04:05 UTC")
		case *time.Time:
			if v == nil || v.IsZero() {
				return ""
			}
			return v.UTC().Format("2006-01-02 15:04:05 UTC")
		}
		return ""
	},
	"short": func(s string) string {
		if len(s) > 12 {
			return s[:12]
		}
		return s
	},
	"bytes":       func(n int64) string { return ferry.HumanBytes(n) },
	"pathEscape":  url.PathEscape,
	"queryEscape": url.QueryEscape,
	"join":        strings.Join,
	"split": func(s, sep string) []string {
		if s == "" {
			return nil
		}
		return strings.Split(s, sep)
	},
	"base": func(p string) string {
		if i := strings.LastIndex(p, "/"); i >= 0 {
			return p[i+1:]
		}
		return p
	},
	"dict": func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[fmt.Sprint(kv[i])] = kv[i+1]
		}
		return m
	},
	"add": func(a, b int) int { return a + b },
}

func roundDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h", int(d.Hours()))
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}
