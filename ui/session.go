package ui

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/ferrygit/ferry"
	fhttp "github.com/ferrygit/ferry/http"
)

// registerSessionPages registers login and logout.
func (s *Server) registerSessionPages(mux *http.ServeMux) {
	mux.HandleFunc("GET /login", s.loginPage)
	mux.HandleFunc("POST /login", s.login)
	s.page(mux, "POST /logout", s.logout)
}

// loginView is the login page's data.
type loginView struct {
	Name string
	Next string
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	v := &view{Title: "Log in", Data: loginView{Next: safeNext(r.URL.Query().Get("next"))}}
	if err := s.write(w, http.StatusOK, "login", v); err != nil {
		s.logger().Error("ui: render login", "err", err)
	}
}

// safeNext returns next if it is a path on this server, "/" otherwise.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	if u, err := url.Parse(next); err != nil || u.Host != "" || u.Scheme != "" {
		return "/"
	}
	return next
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	name, next := r.PostForm.Get("name"), safeNext(r.PostForm.Get("next"))
	body, _ := json.Marshal(fhttp.LoginRequest{Name: name, Password: r.PostForm.Get("password")})
	req, _ := http.NewRequestWithContext(r.Context(), "POST", "/api/v1/session", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.RemoteAddr = r.RemoteAddr
	resp, _ := (&inProcess{api: s.API, remote: r.RemoteAddr}).RoundTrip(req)
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var e struct{ Error struct{ Message string } }
		json.NewDecoder(resp.Body).Decode(&e)
		if ra := resp.Header.Get("Retry-After"); ra != "" {
			w.Header().Set("Retry-After", ra)
		}
		v := &view{Title: "Log in", Error: e.Error.Message, Data: loginView{Name: name, Next: next}}
		if err := s.write(w, resp.StatusCode, "login", v); err != nil {
			s.logger().Error("ui: render login", "err", err)
		}
		return
	}
	for _, c := range resp.Cookies() {
		http.SetCookie(w, c)
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) logout(c *call) error {
	resp, err := c.client.HTTP.Do(mustRequest(c, "DELETE", "/api/v1/session"))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	for _, ck := range resp.Cookies() {
		http.SetCookie(c.w, ck)
	}
	http.Redirect(c.w, c.r, "/login", http.StatusSeeOther)
	return nil
}

// mustRequest builds an in-process API request carrying c's session.
func mustRequest(c *call, method, path string) *http.Request {
	req, err := http.NewRequestWithContext(c.ctx(), method, "http://ferry.internal"+path, nil)
	if err != nil {
		panic(err) // the paths are constants
	}
	for k, vs := range c.client.Header {
		req.Header[k] = vs
	}
	return req
}

// errNotAdmin is shown on pages only admins may see.
var errNotAdmin = ferry.Errorf(ferry.EFORBIDDEN, "Only an admin can see this page.")
