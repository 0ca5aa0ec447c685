package ui

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ferrygit/ferry"
	fhttp "github.com/ferrygit/ferry/http"
)

// registerBindingPages registers the Git version control pages of a namespace: its
// bindings with the form that links a directory to Git, and each binding's mirror info
// with what can be done to it.
func (s *Server) registerBindingPages(mux *http.ServeMux) {
	s.page(mux, "GET /ns/{ns}/git", s.bindingsPage)
	s.page(mux, "POST /ns/{ns}/git", s.createBinding)
	s.page(mux, "GET /ns/{ns}/git/{b}", s.bindingPage)
	s.page(mux, "POST /ns/{ns}/git/{b}", s.updateBinding)
	s.page(mux, "GET /ns/{ns}/git/{b}/delete", s.deleteBindingPage)
	s.page(mux, "POST /ns/{ns}/git/{b}/delete", s.deleteBinding)
	s.page(mux, "POST /ns/{ns}/git/{b}/check", s.checkBinding)
	s.page(mux, "POST /ns/{ns}/git/{b}/trust", s.trustHostKey)
	s.page(mux, "POST /ns/{ns}/git/{b}/pull", s.pullBinding)
	s.page(mux, "POST /ns/{ns}/git/{b}/push", s.pushBinding)
	s.page(mux, "POST /ns/{ns}/git/{b}/webhook/rotate", s.rotateWebhook)
}

// runsPageSize is how many runs, and how many webhook deliveries, a binding's page shows.
const runsPageSize = 20

// renderGit writes a page of the Git tab: with err's message and status when err is not
// nil, so that a form comes back with what went wrong and the values it had.
func (s *Server) renderGit(c *call, flash string, err error, name, title string, data any) error {
	if flash == "" {
		flash = c.r.URL.Query().Get("flash")
	}
	v := &view{Title: title, User: c.user, CSRF: c.csrf, Flash: flash, Section: "ns", Data: data}
	code := http.StatusOK
	if err != nil {
		code = status(ferry.ErrorCode(err))
		v.Error = ferry.ErrorMessage(err)
		if ferry.ErrorCode(err) == ferry.EINTERNAL {
			s.logger().Error("ui: internal error", "path", c.r.URL.Path, "err", err)
			v.Error = "Something went wrong on the server; the server log has the details."
		}
	}
	return s.write(c.w, code, name, v)
}

// gitPath returns the UI path of namespace ns's Git tab, or of binding b and more below it.
func gitPath(ns string, b ...string) string {
	p := "/ns/" + url.PathEscape(ns) + "/git"
	for _, seg := range b {
		p += "/" + url.PathEscape(seg)
	}
	return p
}

// bindingForm is what the create and edit forms hold, kept when a form comes back.
type bindingForm struct {
	Name, Directory, URL, Provider, Repository, Credential, Ref, Path string
	Direction, Schedule, Webhook, Glob                                string
	DeployKey                                                         bool
}

func readBindingForm(f url.Values) bindingForm {
	get := func(k string) string { return strings.TrimSpace(f.Get(k)) }
	return bindingForm{Name: get("name"), Directory: get("directory"), URL: get("url"), Provider: get("provider"),
		Repository: get("repository"), Credential: get("credential"), Ref: get("ref"), Path: get("path"),
		Direction: get("direction"), Schedule: get("schedule"), Webhook: get("webhook"), Glob: get("glob"),
		DeployKey: f.Get("deploy_key") != ""}
}

func (f bindingForm) request() fhttp.BindingRequest {
	req := fhttp.BindingRequest{Name: f.Name, Directory: f.Directory, URL: f.URL, Ref: f.Ref, Path: f.Path,
		Credential: f.Credential, Direction: f.Direction, Schedule: f.Schedule, Webhook: f.Webhook,
		Provider: f.Provider, Repository: f.Repository, DeployKey: f.DeployKey}
	if f.Provider == "" {
		req.Repository = "" // the repository select belongs to the provider choice
	}
	if f.Glob != "" {
		req.Entities = &ferry.EntitySpec{Glob: f.Glob}
	}
	return req
}

// formOf returns the edit form of binding b with webhook wh.
func formOf(b *ferry.Binding, wh *fhttp.WebhookResponse) bindingForm {
	f := bindingForm{Name: b.Name, Directory: b.Directory, URL: b.URL, Provider: b.Provider, Repository: b.Repository,
		Credential: b.Credential, Ref: b.Ref, Path: b.Path, Direction: b.Direction, Schedule: b.Schedule, Webhook: ferry.WebhookNone}
	if b.Entities != nil {
		f.Glob = b.Entities.Glob
	}
	if wh != nil {
		f.Webhook = wh.Mode
	}
	return f
}

// update returns the change from binding b that form f asks for: only the fields it changes.
func (f bindingForm) update(b *ferry.Binding) ferry.BindingUpdate {
	var u ferry.BindingUpdate
	set := func(to **string, v, cur string) {
		if v != cur {
			*to = &v
		}
	}
	set(&u.Directory, f.Directory, b.Directory)
	set(&u.Ref, f.Ref, b.Ref)
	set(&u.Path, f.Path, b.Path)
	set(&u.Credential, f.Credential, b.Credential)
	set(&u.Direction, f.Direction, b.Direction)
	set(&u.Schedule, f.Schedule, b.Schedule)
	if b.Provider == "" {
		set(&u.URL, f.URL, b.URL)
	}
	glob := ""
	if b.Entities != nil {
		glob = b.Entities.Glob
	}
	if f.Glob != glob {
		u.Entities = &ferry.EntitySpec{Glob: f.Glob}
	}
	return u
}

// pickers are the lists the forms choose from. A list the user may not read, or this
// server does not keep, is nil with a note saying why; the form then takes a typed name.
type pickers struct {
	Credentials      []*ferry.Credential
	CredentialsNote  string
	Providers        []*ferry.Provider
	ProvidersNote    string
	Repositories     *ferry.RepositoryList // the chosen provider's, when one is chosen
	RepositoriesNote string
}

// loadPickers reads the credentials and, with providers set, the provider connections and
// the chosen provider's repository list (fetched from the provider when it was never
// fetched, or when refresh is set).
func loadPickers(c *call, providers bool, provider string, refresh bool) pickers {
	var p pickers
	var err error
	if p.Credentials, _, err = c.client.ListCredentials(c.ctx(), ferry.Page{Limit: ferry.MaxPageLimit}); err != nil {
		p.Credentials, p.CredentialsNote = nil, ferry.ErrorMessage(err)
	}
	if !providers {
		return p
	}
	if p.Providers, _, err = c.client.ListProviders(c.ctx(), ferry.Page{Limit: ferry.MaxPageLimit}); err != nil {
		p.Providers, p.ProvidersNote = nil, ferry.ErrorMessage(err)
	}
	if provider == "" || p.Providers == nil {
		return p
	}
	p.Repositories, err = c.client.ListRepositories(c.ctx(), provider, refresh)
	if err == nil && p.Repositories.FetchedAt == nil && !refresh {
		p.Repositories, err = c.client.ListRepositories(c.ctx(), provider, true)
	}
	if err != nil {
		p.Repositories, p.RepositoriesNote = nil, ferry.ErrorMessage(err)
	}
	return p
}

// cronPreset is a schedule offered as a hint, with its reading.
type cronPreset struct{ Expr, Text string }

var cronPresets = func() []cronPreset {
	var out []cronPreset
	for _, e := range []string{"*/5 * * * *", "0 * * * *", "30 3 * * *", "0 22 * * 1-5", "0 9 * * 1", "0 0 1 * *"} {
		out = append(out, cronPreset{e, cronText(e)})
	}
	return out
}()

// bindingView is a binding with what its pages show about it.
type bindingView struct{ *ferry.Binding }

// Remote names the repository: provider/repository, or the URL without any user name
// that might be a token.
func (b bindingView) Remote() string {
	if b.Provider != "" {
		return b.Provider + "/" + b.Repository
	}
	if u, err := ferry.ParseRemoteURL(b.URL); err == nil {
		return u.Redacted()
	}
	return b.URL
}

// ShownURL is the binding's URL without any user name that might be a token.
func (b bindingView) ShownURL() string {
	if u, err := ferry.ParseRemoteURL(b.URL); err == nil {
		return u.Redacted()
	}
	return ""
}

// ScheduleText reads the schedule; "" for none.
func (b bindingView) ScheduleText() string {
	if b.Schedule == "" {
		return ""
	}
	return cronText(b.Schedule)
}

// CommitURL links commit sha at the provider that hosts the binding's repository; "" when
// Ferry does not know where such a page is.
func (b bindingView) CommitURL(sha string) string { return commitURL(b.URL, sha) }

// StateClass is the badge class of the binding's state.
func (b bindingView) StateClass() string { return stateClass(b.Status.State) }

func stateClass(state string) string {
	switch state {
	case ferry.StateOK, ferry.ResultApplied, ferry.ResultUpToDate:
		return "ok"
	case ferry.StateFailed, ferry.StateStalled:
		return "bad"
	case ferry.StateQueued, ferry.StateRunning, ferry.RunRetrying:
		return "warn"
	}
	return ""
}

// commitPages are the paths of a commit's page below a repository's, by host.
var commitPages = map[string]string{
	"github.com":    "/commit/",
	"gitlab.com":    "/-/commit/",
	"bitbucket.org": "/commits/",
}

// commitURL returns the web page of commit sha of the repository at remote, or "".
func commitURL(remote, sha string) string {
	u, err := ferry.ParseRemoteURL(remote)
	if err != nil {
		return ""
	}
	page, known := commitPages[u.Host]
	if !known || (len(sha) != 40 && len(sha) != 64) || strings.Trim(sha, "0123456789abcdef") != "" {
		return ""
	}
	parts := strings.Split(strings.TrimSuffix(strings.Trim(u.Path, "/"), ".git"), "/")
	if len(parts) < 2 || (u.Host != "gitlab.com" && len(parts) != 2) {
		return ""
	}
	for i, p := range parts {
		if p == "" || p == "." || p == ".." {
			return ""
		}
		parts[i] = url.PathEscape(p)
	}
	return "https://" + u.Host + "/" + strings.Join(parts, "/") + page + sha
}

// runView is a run with what the history shows about it.
type runView struct {
	*ferry.Run
	api string // the run's API path, which the page polls while it is under way
}

// Live reports whether the run is still under way.
func (r runView) Live() bool { return r.State != ferry.RunDone }

// APIURL is where ferry.js reads the run's state.
func (r runView) APIURL() string { return r.api }

// Outcome is the run's result, or its state while it has none.
func (r runView) Outcome() string {
	if r.Result != "" {
		return r.Result
	}
	return r.State
}

// OutcomeClass is the badge class of the outcome.
func (r runView) OutcomeClass() string { return stateClass(r.Outcome()) }

// Duration is how long the run took, for people.
func (r runView) Duration() string { return millis(r.DurationMS) }

func millis(ms int64) string {
	switch {
	case ms <= 0:
		return ""
	case ms < 1000:
		return fmt.Sprintf("%d ms", ms)
	case ms < 60_000:
		return fmt.Sprintf("%.1f s", float64(ms)/1000)
	}
	return fmt.Sprintf("%d min %d s", ms/60_000, ms%60_000/1000)
}

// checkItem is one line of "check availability": a tick, a cross with the reason, or not
// checked because an earlier step failed.
type checkItem struct {
	Name   string
	State  string // ok, bad or unchecked
	Detail string
	// HostKey is set on the host key line; Trust when the key is not pinned.
	HostKey *ferry.HostKeyInfo
	Trust   bool
}

// checkItems lays out what a check of remote found, naming the reason on the first step
// that failed.
func checkItems(remote string, r *ferry.CheckResult) []checkItem {
	reason := r.Reason + ": " + r.Message
	failed := false
	step := func(name string, ok bool, detail string) checkItem {
		switch {
		case ok:
			return checkItem{Name: name, State: "ok", Detail: detail}
		case failed:
			return checkItem{Name: name, State: "unchecked", Detail: "not checked: an earlier step failed"}
		}
		failed = true
		return checkItem{Name: name, State: "bad", Detail: reason}
	}
	ref := r.Ref
	if r.DefaultBranch != "" {
		ref += " (the default branch is " + r.DefaultBranch + ")"
	}
	items := []checkItem{
		step("Reachable", r.Reachable, fmt.Sprintf("answered in %d ms", r.DurationMS)),
		step("Authenticated", r.Authenticated, "the credential was accepted"),
		step("Ref exists", r.RefExists, ref),
	}
	head := checkItem{Name: "Head commit", State: "unchecked", Detail: "none"}
	if r.HeadCommit != "" {
		head = checkItem{Name: "Head commit", State: "ok", Detail: r.HeadCommit}
	}
	items = append(items, head)
	hk := checkItem{Name: "Host key", State: "unchecked", Detail: "not SSH: there is no host key to pin"}
	switch {
	case r.HostKey == nil && isSSH(remote) && failed:
		hk.Detail = "not checked: an earlier step failed"
	case r.HostKey == nil && isSSH(remote):
		hk.Detail = "not reported"
	case r.HostKey != nil && r.HostKey.Known:
		hk = checkItem{Name: "Host key", State: "ok", Detail: "pinned", HostKey: r.HostKey}
	case r.HostKey != nil && r.Reason == ferry.ReasonHostKeyMismatch:
		hk = checkItem{Name: "Host key", State: "bad", Detail: "does not match the key pinned for this host: if its operator changed the key, remove the old one under Configuration, Known hosts, first", HostKey: r.HostKey}
	case r.HostKey != nil:
		hk = checkItem{Name: "Host key", State: "bad", Detail: "not pinned: compare the fingerprint with the one the host's operator publishes, then trust it", HostKey: r.HostKey, Trust: true}
	}
	items = append(items, hk)
	if !r.OK() && !failed {
		items = append(items, checkItem{Name: "Result", State: "bad", Detail: reason})
	}
	return items
}

// isSSH reports whether remote is an SSH URL.
func isSSH(remote string) bool {
	u, err := ferry.ParseRemoteURL(remote)
	return err == nil && u.Scheme == "ssh"
}

// pushForm is what the push and the push-and-tag forms hold.
type pushForm struct {
	Message, Tag, TagMessage string
	Force                    bool
	TagError                 string // what is wrong with Tag, shown beside it
}

// bindingData is what a binding's page shows.
type bindingData struct {
	NS             nsView
	B              bindingView
	Webhook        *fhttp.WebhookResponse
	Runs           []runView
	RunsNext       string
	Deliveries     []*ferry.Delivery
	DeliveriesNext string
	Live           bool        // the page was fetched with GET, so it may reload itself
	Check          []checkItem // after "check availability"
	Edit           bindingForm
	Pickers        pickers
	PullForce      bool
	Push, Tag      pushForm
	Presets        []cronPreset
}

// loadBinding reads what binding {b}'s page shows.
func (s *Server) loadBinding(c *call) (*bindingData, error) {
	ns, name := c.r.PathValue("ns"), c.r.PathValue("b")
	b, err := c.client.FindBinding(c.ctx(), ns, name)
	if err != nil {
		return nil, err
	}
	wh, err := c.client.FindWebhook(c.ctx(), ns, name)
	if err != nil {
		return nil, err
	}
	q := c.r.URL.Query()
	runs, runsNext, err := c.client.ListRuns(c.ctx(), ns, name, ferry.Page{Limit: runsPageSize, Cursor: q.Get("runs")})
	if err != nil {
		return nil, err
	}
	deliveries, deliveriesNext, err := c.client.ListDeliveries(c.ctx(), ns, name, ferry.Page{Limit: runsPageSize, Cursor: q.Get("deliveries")})
	if err != nil {
		return nil, err
	}
	d := &bindingData{NS: nsView{NS: ns, Tab: "git"}, B: bindingView{b}, Webhook: wh, RunsNext: runsNext,
		Deliveries: deliveries, DeliveriesNext: deliveriesNext, Live: c.r.Method == http.MethodGet,
		Edit: formOf(b, wh), Pickers: loadPickers(c, false, "", false), Presets: cronPresets}
	for _, r := range runs {
		api := "/api/v1/namespaces/" + url.PathEscape(ns) + "/bindings/" + url.PathEscape(name) + "/runs/" + strconv.FormatInt(r.ID, 10)
		d.Runs = append(d.Runs, runView{Run: r, api: api})
	}
	return d, nil
}

// renderBinding renders binding {b}'s page with d, and err's message when it is not nil.
func (s *Server) renderBinding(c *call, flash string, err error, d *bindingData) error {
	return s.renderGit(c, flash, err, "git_binding", d.NS.NS+"/"+d.B.Name+" · Git", d)
}

// bindingsData is what the Git tab of a namespace shows.
type bindingsData struct {
	NS       nsView
	Bindings []bindingView
	Next     string
	Form     bindingForm
	Pickers  pickers
	Presets  []cronPreset
}

func (s *Server) bindingsPage(c *call) error {
	f := bindingForm{Direction: ferry.DirectionPull, Webhook: ferry.WebhookNone, Provider: c.r.URL.Query().Get("provider")}
	return s.renderBindings(c, nil, f, false)
}

// renderBindings renders the Git tab with the form holding f, and err's message when it is
// not nil.
func (s *Server) renderBindings(c *call, err error, f bindingForm, refresh bool) error {
	ns := c.r.PathValue("ns")
	items, next, lerr := c.client.ListBindings(c.ctx(), ns, ferry.Page{Limit: pageSize, Cursor: c.r.URL.Query().Get("cursor")})
	if lerr != nil {
		return lerr
	}
	d := &bindingsData{NS: nsView{NS: ns, Tab: "git"}, Next: next, Form: f, Presets: cronPresets,
		Pickers: loadPickers(c, true, f.Provider, refresh)}
	for _, b := range items {
		d.Bindings = append(d.Bindings, bindingView{b})
	}
	return s.renderGit(c, "", err, "git_list", ns+" · Git", d)
}

// secretData is the page that shows a webhook's secret, once.
type secretData struct {
	NS       nsView
	Binding  string
	Webhook  *fhttp.WebhookResponse
	FirstRun *ferry.Run // when the binding was just made: its first pull, if one was queued
}

// createBinding makes a binding from the form. Its step button instead shows the form again
// with the chosen provider's repositories ("repositories", or "refresh" to fetch them anew).
func (s *Server) createBinding(c *call) error {
	ns := c.r.PathValue("ns")
	f := readBindingForm(c.r.PostForm)
	if step := c.r.PostForm.Get("step"); step != "" {
		return s.renderBindings(c, nil, f, step == "refresh")
	}
	resp, err := c.client.CreateBinding(c.ctx(), ns, f.request())
	if err != nil {
		return s.renderBindings(c, err, f, false)
	}
	// A managed webhook's secret went to the provider; only a manual one is for the user.
	if resp.Webhook != nil && resp.Webhook.Secret != "" && resp.Webhook.Mode == ferry.WebhookManual {
		d := &secretData{NS: nsView{NS: ns, Tab: "git"}, Binding: resp.Name, Webhook: resp.Webhook, FirstRun: resp.FirstRun}
		return s.renderGit(c, "Binding "+resp.Name+" created.", nil, "git_secret", ns+"/"+resp.Name+" · webhook", d)
	}
	return redirect(c, gitPath(ns, resp.Name), createdMessage(resp))
}

// createdMessage says what creating a binding did.
func createdMessage(resp *fhttp.BindingResponse) string {
	msg := "Binding " + resp.Name + " created."
	if resp.Webhook != nil && resp.Webhook.Mode == ferry.WebhookManaged {
		msg += " Ferry made its webhook at " + resp.Provider + "."
	}
	if resp.Schedule != "" {
		msg += " Schedule: " + cronText(resp.Schedule) + " (UTC)."
	}
	if resp.FirstRun != nil {
		msg += fmt.Sprintf(" Its first pull is queued as run %d.", resp.FirstRun.ID)
	}
	return msg
}

func (s *Server) bindingPage(c *call) error {
	d, err := s.loadBinding(c)
	if err != nil {
		return err
	}
	return s.renderBinding(c, "", nil, d)
}

// updateBinding saves the edit form: the fields it changes, then the webhook's mode.
func (s *Server) updateBinding(c *call) error {
	d, err := s.loadBinding(c)
	if err != nil {
		return err
	}
	ns, name := d.NS.NS, d.B.Name
	f := readBindingForm(c.r.PostForm)
	f.Name, f.Provider, f.Repository = name, d.B.Provider, d.B.Repository
	if f.Webhook == "" || d.Edit.Webhook == ferry.WebhookManaged {
		f.Webhook = d.Edit.Webhook
	}
	var b *ferry.Binding
	if u := f.update(d.B.Binding); u != (ferry.BindingUpdate{}) {
		if b, err = c.client.UpdateBinding(c.ctx(), ns, name, u); err != nil {
			d.Edit = f
			return s.renderBinding(c, "", err, d)
		}
	}
	if f.Webhook != d.Edit.Webhook {
		resp, err := c.client.SetWebhook(c.ctx(), ns, name, f.Webhook)
		if err != nil {
			d.Edit = f
			return s.renderBinding(c, "", err, d)
		}
		if resp.Webhook != nil && resp.Webhook.Secret != "" {
			sd := &secretData{NS: d.NS, Binding: name, Webhook: resp.Webhook}
			return s.renderGit(c, "Settings saved.", nil, "git_secret", ns+"/"+name+" · webhook", sd)
		}
		b = resp.Binding
	}
	msg := "Nothing changed."
	if b != nil {
		msg = "Settings saved."
		if b.Schedule != "" {
			msg += " Schedule: " + cronText(b.Schedule) + " (UTC)."
		}
	}
	return redirect(c, gitPath(ns, name), msg)
}

func (s *Server) deleteBindingPage(c *call) error {
	ns, name := c.r.PathValue("ns"), c.r.PathValue("b")
	b, err := c.client.FindBinding(c.ctx(), ns, name)
	if err != nil {
		return err
	}
	return s.renderGit(c, "", nil, "git_delete", "Delete "+ns+"/"+name, map[string]any{"NS": nsView{NS: ns, Tab: "git"}, "B": bindingView{b}})
}

func (s *Server) deleteBinding(c *call) error {
	ns, name := c.r.PathValue("ns"), c.r.PathValue("b")
	if err := c.client.DeleteBinding(c.ctx(), ns, name); err != nil {
		return err
	}
	return redirect(c, gitPath(ns), "Binding "+name+" deleted; the files it brought stay in the namespace.")
}

// checkBinding runs "check availability" and shows each step's finding.
func (s *Server) checkBinding(c *call) error {
	d, err := s.loadBinding(c)
	if err != nil {
		return err
	}
	res, err := c.client.CheckBinding(c.ctx(), d.NS.NS, d.B.Name)
	if err != nil {
		return s.renderBinding(c, "", err, d)
	}
	d.Check = checkItems(d.B.URL, res)
	return s.renderBinding(c, "", nil, d)
}

// trustHostKey pins the key with the form's fingerprint that the binding's SSH host
// presents, then checks again.
func (s *Server) trustHostKey(c *call) error {
	d, err := s.loadBinding(c)
	if err != nil {
		return err
	}
	host, err := sshHost(d.B.URL)
	if err == nil {
		_, err = c.client.TrustKnownHost(c.ctx(), host, c.r.PostForm.Get("fingerprint"))
	}
	if err != nil {
		return s.renderBinding(c, "", err, d)
	}
	flash := "Pinned the host key " + c.r.PostForm.Get("fingerprint") + " of " + host + "."
	res, err := c.client.CheckBinding(c.ctx(), d.NS.NS, d.B.Name)
	if err != nil {
		return s.renderBinding(c, flash, err, d)
	}
	d.Check = checkItems(d.B.URL, res)
	return s.renderBinding(c, flash, nil, d)
}

// sshHost returns the host of an SSH remote as known hosts name it: "name", or
// "name:port" when the port is not 22.
func sshHost(remote string) (string, error) {
	u, err := ferry.ParseRemoteURL(remote)
	if err != nil {
		return "", err
	}
	if u.Scheme != "ssh" {
		return "", ferry.Errorf(ferry.EINVALID, "The binding's URL is not an SSH URL, so it has no host key to trust.")
	}
	host, port := u.HostPort()
	if port != "22" {
		return net.JoinHostPort(host, port), nil
	}
	return host, nil
}

// pullBinding queues a pull, or with action "plan" shows what one would change.
func (s *Server) pullBinding(c *call) error {
	ns, name := c.r.PathValue("ns"), c.r.PathValue("b")
	force := c.r.PostForm.Get("force") != ""
	var err error
	if c.r.PostForm.Get("action") == "plan" {
		var plan *ferry.SyncPlan
		if plan, err = c.client.PlanPull(c.ctx(), ns, name, force); err == nil {
			return s.renderPlan(c, plan, pushForm{Force: force}, false)
		}
	} else {
		var run *ferry.Run
		if run, err = c.client.Pull(c.ctx(), ns, name, force, false); err == nil {
			return redirect(c, gitPath(ns, name), fmt.Sprintf("Pull queued as run %d.", run.ID))
		}
	}
	d, lerr := s.loadBinding(c)
	if lerr != nil {
		return err
	}
	d.PullForce = force
	return s.renderBinding(c, "", err, d)
}

// pushBinding queues a push (with a tag when the form is the push-and-tag one), or with
// action "plan" shows what one would change.
func (s *Server) pushBinding(c *call) error {
	ns, name := c.r.PathValue("ns"), c.r.PathValue("b")
	pf := pushForm{Message: strings.TrimSpace(c.r.PostForm.Get("message")), Tag: strings.TrimSpace(c.r.PostForm.Get("tag")),
		TagMessage: strings.TrimSpace(c.r.PostForm.Get("tag_message")), Force: c.r.PostForm.Get("force") != ""}
	tagged := c.r.PostForm.Get("tagged") != ""
	req := ferry.PushRequest{Message: pf.Message, Force: pf.Force}
	var err error
	if tagged && pf.Tag == "" {
		err = ferry.Errorf(ferry.EINVALID, "Tag name is required to push and tag; use Push to Git for a commit without a tag.")
	} else if tagged {
		req.Tag = &ferry.TagSpec{Name: pf.Tag, Message: pf.TagMessage}
	}
	if err == nil && c.r.PostForm.Get("action") == "plan" {
		var plan *ferry.SyncPlan
		if plan, err = c.client.PlanPush(c.ctx(), ns, name, req); err == nil {
			return s.renderPlan(c, plan, pf, tagged)
		}
	} else if err == nil {
		var run *ferry.Run
		if run, err = c.client.Push(c.ctx(), ns, name, req, false); err == nil {
			what := "Push"
			if tagged {
				what = "Push with tag " + pf.Tag
			}
			return redirect(c, gitPath(ns, name), fmt.Sprintf("%s queued as run %d.", what, run.ID))
		}
	}
	d, lerr := s.loadBinding(c)
	if lerr != nil {
		return err
	}
	if !tagged {
		d.Push = pf
		return s.renderBinding(c, "", err, d)
	}
	if strings.HasPrefix(ferry.ErrorMessage(err), "Tag name") {
		pf.TagError = ferry.ErrorMessage(err)
	}
	d.Tag = pf
	return s.renderBinding(c, "", err, d)
}

// planData is the page of a dry run.
type planData struct {
	NS     nsView
	B      string
	Plan   *ferry.SyncPlan
	Push   pushForm // what to push when the plan is followed
	Tagged bool
}

func (s *Server) renderPlan(c *call, plan *ferry.SyncPlan, pf pushForm, tagged bool) error {
	ns, name := c.r.PathValue("ns"), c.r.PathValue("b")
	d := &planData{NS: nsView{NS: ns, Tab: "git"}, B: name, Plan: plan, Push: pf, Tagged: tagged}
	return s.renderGit(c, "", nil, "git_plan", "Dry run of "+ns+"/"+name, d)
}

// rotateWebhook issues a new webhook secret and shows it, once.
func (s *Server) rotateWebhook(c *call) error {
	ns, name := c.r.PathValue("ns"), c.r.PathValue("b")
	wh, err := c.client.RotateWebhook(c.ctx(), ns, name)
	if err != nil {
		d, lerr := s.loadBinding(c)
		if lerr != nil {
			return err
		}
		return s.renderBinding(c, "", err, d)
	}
	d := &secretData{NS: nsView{NS: ns, Tab: "git"}, Binding: name, Webhook: wh}
	return s.renderGit(c, "The webhook has a new secret; the old one no longer works.", nil, "git_secret", ns+"/"+name+" · webhook", d)
}
