package ui

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/ferrygit/ferry"
	fhttp "github.com/ferrygit/ferry/http"
)

// registerUserPages registers the user pages: the list (admins), a user's roles, password
// and deletion (admins), and changing one's own password (everyone).
func (s *Server) registerUserPages(mux *http.ServeMux) {
	s.page(mux, "GET /settings/users", s.usersPage)
	s.page(mux, "POST /settings/users", s.createUser)
	s.page(mux, "POST /settings/password", s.changeOwnPassword)
	s.page(mux, "GET /settings/users/{name}", s.userPage)
	s.page(mux, "POST /settings/users/{name}/roles", s.grantRole)
	s.page(mux, "POST /settings/users/{name}/roles/{ns}/revoke", s.revokeRole)
	s.page(mux, "POST /settings/users/{name}/password", s.setUserPassword)
	s.page(mux, "GET /settings/users/{name}/delete", s.deleteUserPage)
	s.page(mux, "POST /settings/users/{name}/delete", s.deleteUser)
}

// userForm is what the create form sent, without the password.
type userForm struct {
	Name  string
	Admin bool
}

func (s *Server) usersPage(c *call) error { return s.showUsers(c, userForm{}, nil) }

// showUsers renders the user list (for admins; others see why not) with the create form
// filled in with form, and the form that changes one's own password.
func (s *Server) showUsers(c *call, form userForm, failed error) error {
	users, err := c.client.ListUsers(c.ctx())
	data := map[string]any{"Users": users, "Form": form, "Listed": err == nil}
	return s.renderSettings(c, "users", "settings_users", "Users", data, firstFailure(failed, err))
}

func (s *Server) createUser(c *call) error {
	f := c.r.PostForm
	form := userForm{Name: strings.TrimSpace(f.Get("name")), Admin: f.Get("admin") != ""}
	u, err := c.client.CreateUser(c.ctx(), fhttp.UserRequest{Name: form.Name, Password: f.Get("password"), Admin: form.Admin})
	if err != nil {
		return s.showUsers(c, form, err)
	}
	return redirect(c, userPath(u.Name), "User "+u.Name+" created; grant them roles below.")
}

// userPath returns the UI path of user name.
func userPath(name string) string { return "/settings/users/" + url.PathEscape(name) }

// roleChoices are the namespace roles, with what each may do.
var roleChoices = []struct{ Value, Label string }{
	{ferry.RoleViewer, "viewer — reads the namespace"},
	{ferry.RoleEditor, "editor — also writes files and starts syncs"},
	{ferry.RoleMaintainer, "maintainer — also manages bindings, their credentials and tokens"},
}

func (s *Server) userPage(c *call) error {
	u, err := c.client.GetUser(c.ctx(), c.r.PathValue("name"))
	if err != nil {
		return err
	}
	return s.showUser(c, u, "", nil)
}

// showUser renders user u's page; ns is the namespace the grant form has selected.
func (s *Server) showUser(c *call, u *ferry.User, ns string, failed error) error {
	namespaces, _ := namespaceNames(c)
	data := map[string]any{"U": u, "Namespaces": namespaces, "Roles": roleChoices, "NS": ns, "Self": u.Name == c.user.Name}
	return s.renderSettings(c, "users", "settings_user", "User "+u.Name, data, failed)
}

// userAction runs do on the user the path names, then redirects to their page with flash,
// or renders the page again with what went wrong.
func (s *Server) userAction(c *call, ns string, do func(name string) error, flash string) error {
	name := c.r.PathValue("name")
	if err := do(name); err != nil {
		u, ferr := c.client.GetUser(c.ctx(), name)
		if ferr != nil {
			return err
		}
		return s.showUser(c, u, ns, err)
	}
	return redirect(c, userPath(name), flash)
}

func (s *Server) grantRole(c *call) error {
	ns, role := c.r.PostForm.Get("namespace"), c.r.PostForm.Get("role")
	return s.userAction(c, ns, func(name string) error {
		if ns == "" {
			return ferry.Errorf(ferry.EINVALID, "Choose the namespace to grant the role in.")
		}
		_, err := c.client.SetUserRole(c.ctx(), name, ns, role)
		return err
	}, "Granted "+role+" in "+ns+".")
}

func (s *Server) revokeRole(c *call) error {
	ns := c.r.PathValue("ns")
	return s.userAction(c, "", func(name string) error {
		_, err := c.client.SetUserRole(c.ctx(), name, ns, "")
		return err
	}, "The role in "+ns+" was taken away.")
}

func (s *Server) setUserPassword(c *call) error {
	name := c.r.PathValue("name")
	if name == c.user.Name {
		return s.changeOwnPassword(c)
	}
	return s.userAction(c, "", func(name string) error {
		return c.client.SetUserPassword(c.ctx(), name, fhttp.PasswordRequest{Password: c.r.PostForm.Get("password")})
	}, "Password of "+name+" changed; their sessions were ended.")
}

// changeOwnPassword changes the user's own password, which ends every session of theirs,
// this one too: the answer says so and links to the login page.
func (s *Server) changeOwnPassword(c *call) error {
	f := c.r.PostForm
	if f.Get("password") != f.Get("confirm_password") {
		return s.showUsers(c, userForm{}, ferry.Errorf(ferry.EINVALID, "The new password and its repetition differ; type them again."))
	}
	err := c.client.SetUserPassword(c.ctx(), c.user.Name, fhttp.PasswordRequest{Current: f.Get("current_password"), Password: f.Get("password")})
	if err != nil {
		return s.showUsers(c, userForm{}, err)
	}
	return s.write(c.w, http.StatusOK, "settings_password_changed", &view{Title: "Password changed", Section: "settings"})
}

// deleteUserQuestion asks before user name is deleted.
func deleteUserQuestion(name string) confirmation {
	return confirmation{Tab: "users", Heading: "Delete " + name,
		Question: "Delete user " + name + "?",
		Details:  []string{"Their sessions end at once; the audit log keeps what they did. The API tokens they made keep working until they expire or are revoked: revoke those under API tokens."},
		Action:   userPath(name) + "/delete", Button: "Delete the user", Danger: true, Back: userPath(name)}
}

func (s *Server) deleteUserPage(c *call) error {
	name := c.r.PathValue("name")
	if _, err := c.client.GetUser(c.ctx(), name); err != nil {
		return err
	}
	return s.confirmPage(c, deleteUserQuestion(name), nil)
}

func (s *Server) deleteUser(c *call) error {
	name := c.r.PathValue("name")
	if err := c.client.DeleteUser(c.ctx(), name); err != nil {
		return s.confirmPage(c, deleteUserQuestion(name), err)
	}
	return redirect(c, "/settings/users", "User "+name+" deleted.")
}
