package ui

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/ferrygit/ferry"
	fhttp "github.com/ferrygit/ferry/http"
)

// registerCredentialPages registers the credential pages: the list with its add forms,
// the public key of a new or rotated key pair, replacing a secret, rotation and deletion.
func (s *Server) registerCredentialPages(mux *http.ServeMux) {
	s.page(mux, "GET /settings/credentials", s.credentialsPage)
	s.page(mux, "POST /settings/credentials", s.createCredential)
	s.page(mux, "GET /settings/credentials/{name}/edit", s.editCredentialPage)
	s.page(mux, "POST /settings/credentials/{name}/edit", s.updateCredential)
	s.page(mux, "GET /settings/credentials/{name}/rotate", s.rotateCredentialPage)
	s.page(mux, "POST /settings/credentials/{name}/rotate", s.rotateCredential)
	s.page(mux, "GET /settings/credentials/{name}/delete", s.deleteCredentialPage)
	s.page(mux, "POST /settings/credentials/{name}/delete", s.deleteCredential)
}

// credForm is what an add form sent, without its secrets, to fill the form again after
// a failure. Which names the form: generate, import, token, basic or github-app.
type credForm struct {
	Which, Name, Algorithm, Username, AppID, InstallationID string
}

// usedByScan is how many namespaces the credential list reads the bindings of to say
// what uses each credential.
const usedByScan = 100

func (s *Server) credentialsPage(c *call) error {
	return s.showCredentials(c, credForm{Which: "generate", Algorithm: "ed25519"}, nil)
}

// showCredentials renders the credential list with the add forms, form filled in, and
// what failed, if anything.
func (s *Server) showCredentials(c *call, form credForm, failed error) error {
	items, next, err := c.client.ListCredentials(c.ctx(), ferry.Page{Limit: pageSize, Cursor: c.r.URL.Query().Get("cursor")})
	data := map[string]any{"Credentials": items, "Next": next, "Form": form, "Algorithms": []string{"ed25519", "rsa-4096"}, "Listed": err == nil}
	if err == nil && len(items) > 0 {
		data["UsedBy"], data["UsedByPartial"] = credentialUsers(c)
	}
	return s.renderSettings(c, "credentials", "settings_credentials", "Credentials", data, firstFailure(failed, err))
}

// credentialUsers returns, by credential name, the providers and bindings that use it, as
// far as the user can see, and whether only part of the namespaces could be read.
func credentialUsers(c *call) (map[string][]string, bool) {
	users := map[string][]string{}
	if ps, _, err := c.client.ListProviders(c.ctx(), ferry.Page{Limit: ferry.MaxPageLimit}); err == nil {
		for _, p := range ps {
			users[p.Credential] = append(users[p.Credential], "provider "+p.Name)
		}
	}
	names, err := namespaceNames(c)
	partial := err != nil || len(names) > usedByScan
	if len(names) > usedByScan {
		names = names[:usedByScan]
	}
	for _, ns := range names {
		bs, next, err := c.client.ListBindings(c.ctx(), ns, ferry.Page{Limit: ferry.MaxPageLimit})
		if ferry.ErrorCode(err) == ferry.EUNAVAILABLE {
			break // this server keeps no bindings
		}
		partial = partial || err != nil || next != ""
		for _, b := range bs {
			if b.Credential != "" {
				users[b.Credential] = append(users[b.Credential], "binding "+b.Namespace+"/"+b.Name)
			}
		}
	}
	return users, partial
}

// pastedKey returns a pasted private key with the browser's CRLF line breaks made LF.
func pastedKey(v string) string { return strings.ReplaceAll(v, "\r\n", "\n") }

func (s *Server) createCredential(c *call) error {
	f := c.r.PostForm
	form := credForm{Which: f.Get("form"), Name: strings.TrimSpace(f.Get("name")), Algorithm: f.Get("algorithm"),
		Username: f.Get("username"), AppID: strings.TrimSpace(f.Get("app_id")), InstallationID: strings.TrimSpace(f.Get("installation_id"))}
	req := fhttp.CredentialRequest{Name: form.Name}
	switch form.Which {
	case "generate":
		req.Kind, req.Generate = ferry.CredentialSSHKey, &fhttp.GenerateRequest{Algorithm: form.Algorithm}
	case "import":
		req.Kind, req.PrivateKey, req.Passphrase = ferry.CredentialSSHKey, pastedKey(f.Get("private_key")), f.Get("passphrase")
	case "token":
		req.Kind, req.Username, req.Token = ferry.CredentialToken, form.Username, f.Get("token")
	case "basic":
		req.Kind, req.Username, req.Password = ferry.CredentialBasic, form.Username, f.Get("password")
	case "github-app":
		req.Kind, req.AppID, req.InstallationID, req.PrivateKey = ferry.CredentialGitHubApp, form.AppID, form.InstallationID, pastedKey(f.Get("private_key"))
	default:
		return ferry.Errorf(ferry.EINVALID, "The form does not say what kind of credential to add; reload the page and try again.")
	}
	if form.Algorithm == "" {
		form.Algorithm = "ed25519"
	}
	cred, err := c.client.CreateCredential(c.ctx(), req)
	if err != nil {
		return s.showCredentials(c, form, err)
	}
	if cred.Kind == ferry.CredentialSSHKey {
		return s.showPublicKey(c, http.StatusCreated, cred, "")
	}
	return redirect(c, "/settings/credentials", "Credential "+cred.Name+" added.")
}

// showPublicKey renders the public key of a new, imported or rotated key pair, to paste
// into the provider; note says what happened to the old one, if there was one.
func (s *Server) showPublicKey(c *call, status int, cred *ferry.Credential, note string) error {
	data := map[string]any{"Cred": cred, "Note": note, "Tabs": settingsTabs(c, "credentials")}
	return s.render(c, status, "settings_credential_key", "Public key of "+cred.Name, data)
}

func (s *Server) editCredentialPage(c *call) error {
	cred, err := c.client.FindCredential(c.ctx(), c.r.PathValue("name"))
	if err != nil {
		return err
	}
	return s.showEditCredential(c, cred, cred.Username, nil)
}

// showEditCredential renders the form that replaces cred's secret, username filled in.
func (s *Server) showEditCredential(c *call, cred *ferry.Credential, username string, failed error) error {
	data := map[string]any{"Cred": cred, "Username": username}
	return s.renderSettings(c, "credentials", "settings_credential_edit", "Change "+cred.Name, data, failed)
}

func (s *Server) updateCredential(c *call) error {
	name, f := c.r.PathValue("name"), c.r.PostForm
	cred, err := c.client.FindCredential(c.ctx(), name)
	if err != nil {
		return err
	}
	var p fhttp.CredentialPatch
	username := f.Get("username")
	set := func(dst **string, v string) {
		if v != "" {
			*dst = &v
		}
	}
	switch cred.Kind {
	case ferry.CredentialToken:
		p.Username = &username
		set(&p.Token, f.Get("token"))
	case ferry.CredentialBasic:
		p.Username = &username
		set(&p.Password, f.Get("password"))
	default:
		set(&p.PrivateKey, pastedKey(f.Get("private_key")))
		set(&p.Passphrase, f.Get("passphrase"))
	}
	updated, err := c.client.UpdateCredential(c.ctx(), name, p)
	if err != nil {
		return s.showEditCredential(c, cred, username, err)
	}
	if updated.Kind == ferry.CredentialSSHKey {
		return s.showPublicKey(c, http.StatusOK, updated, "The key was replaced: the old key no longer works for Ferry; remove it from the provider.")
	}
	return redirect(c, "/settings/credentials", "Credential "+name+" changed.")
}

// credentialPath returns the UI path of credential name followed by action.
func credentialPath(name, action string) string {
	return "/settings/credentials/" + url.PathEscape(name) + "/" + action
}

// rotateQuestion asks before credential name's key pair is replaced.
func rotateQuestion(name string) confirmation {
	return confirmation{Tab: "credentials", Heading: "Rotate " + name,
		Question: "Replace the key pair of credential " + name + " with a new one?",
		Details:  []string{"The old key stops working for Ferry at once: add the new public key to the provider (and remove the old one) before the next sync, or it fails."},
		Action:   credentialPath(name, "rotate"), Button: "Rotate the key", Back: "/settings/credentials",
		Choices: []string{"ed25519", "rsa-4096"}}
}

func (s *Server) rotateCredentialPage(c *call) error {
	name := c.r.PathValue("name")
	if _, err := c.client.FindCredential(c.ctx(), name); err != nil {
		return err
	}
	return s.confirmPage(c, rotateQuestion(name), nil)
}

func (s *Server) rotateCredential(c *call) error {
	name := c.r.PathValue("name")
	cred, err := c.client.RotateCredential(c.ctx(), name, c.r.PostForm.Get("algorithm"))
	if err != nil {
		return s.confirmPage(c, rotateQuestion(name), err)
	}
	return s.showPublicKey(c, http.StatusOK, cred, "The key was rotated: the old key no longer works. Replace the deploy key at the provider with this one.")
}

// deleteQuestion asks before credential name is deleted.
func deleteQuestion(name string) confirmation {
	return confirmation{Tab: "credentials", Heading: "Delete " + name,
		Question: "Delete credential " + name + "?",
		Details:  []string{"Its secret is erased and cannot be recovered. A credential that bindings or providers use cannot be deleted."},
		Action:   credentialPath(name, "delete"), Button: "Delete the credential", Danger: true, Back: "/settings/credentials"}
}

func (s *Server) deleteCredentialPage(c *call) error {
	name := c.r.PathValue("name")
	if _, err := c.client.FindCredential(c.ctx(), name); err != nil {
		return err
	}
	return s.confirmPage(c, deleteQuestion(name), nil)
}

func (s *Server) deleteCredential(c *call) error {
	name := c.r.PathValue("name")
	if err := c.client.DeleteCredential(c.ctx(), name); err != nil {
		return s.confirmPage(c, deleteQuestion(name), err)
	}
	return redirect(c, "/settings/credentials", "Credential "+name+" deleted.")
}
