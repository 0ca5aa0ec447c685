package ui_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/git"
	"github.com/ferrygit/ferry/git/gittest"
	"github.com/ferrygit/ferry/gitsync"
	fhttp "github.com/ferrygit/ferry/http"
	"github.com/ferrygit/ferry/jobs"
	"github.com/ferrygit/ferry/password"
	"github.com/ferrygit/ferry/provider"
	"github.com/ferrygit/ferry/provider/github"
	pt "github.com/ferrygit/ferry/provider/providertest"
	"github.com/ferrygit/ferry/secretbox"
	"github.com/ferrygit/ferry/sqlstore"
	"github.com/ferrygit/ferry/sshkey"
	"github.com/ferrygit/ferry/ui"
)

// gitAdminToken is the admin API token of every Git UI test server.
const gitAdminToken = "ferry-ui-git-test-token-51c2e8"

// gitFerry is a real Ferry serving the API and the UI on 127.0.0.1 — SQLite, the git
// engine, the sync service with the job queue working its runs, a GitHub provider served
// by a fake — in front of a real repository served by git http-backend. Namespace dev
// exists; user ada is an admin and vic a viewer of dev.
type gitFerry struct {
	t     *testing.T
	db    *sqlstore.DB
	svc   *gitsync.Service
	srv   *fhttp.Server
	api   *fhttp.Client // with the admin token
	repo  *gittest.Repo
	url   string // the repository's URL
	ghAPI *pt.Server
}

func newGitFerry(t *testing.T, files map[string]string) *gitFerry {
	t.Helper()
	ctx := context.Background()
	box, err := secretbox.New(bytes.Repeat([]byte{0x42}, secretbox.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlstore.Open(ctx, sqlstore.Config{DataDir: t.TempDir(), Sealer: box})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	policy := ferry.URLPolicy{AllowHosts: []string{"127.0.0.1"}, AllowInsecureHTTP: true}
	engine, err := git.New(git.Config{Dir: t.TempDir(), Policy: policy, Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	secrets := &gitsync.Secrets{Credentials: db, KnownHosts: db}
	svc := &gitsync.Service{Store: db, Git: engine, Secrets: secrets, Policy: policy}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc.Logger = quiet
	queue, err := jobs.OpenSQLite(ctx, db.WritePool(), jobs.Config{Sync: svc, Poll: "@every 1h", Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	svc.Queue = queue
	if err := queue.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stop, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		queue.Stop(stop)
	})
	reg := provider.NewRegistry(provider.RegistryConfig{Credentials: db, Policy: pt.Policy},
		map[string]provider.Constructor{ferry.ProviderGitHub: github.New})
	providers := &provider.Service{Store: db, Registry: reg}

	srv := fhttp.NewServer()
	srv.Namespaces, srv.Files, srv.Ready = db, db, db.Ping
	srv.Credentials, srv.KnownHosts = db, db
	var dialer net.Dialer
	srv.ScanHostKeys = func(ctx context.Context, host string) ([]*ferry.KnownHost, error) {
		return sshkey.ScanHostKeys(ctx, host, dialer.DialContext)
	}
	srv.Checker = &gitsync.Checker{Git: engine, Secrets: secrets, Policy: policy}
	srv.Bindings, srv.Runs, srv.Sync, srv.Pusher = db, db, svc, svc
	srv.Providers, srv.Webhooks = providers, db
	srv.Binder = &gitsync.Binder{Sync: svc, Store: db, Providers: providers, HookURL: srv.HookURL}
	srv.Tokens, srv.Users, srv.Audit = db, db, db
	srv.AdminTokenHash = sha256.Sum256([]byte(gitAdminToken))
	srv.InsecureCookies = true
	logs := &bytes.Buffer{} // written only by the server's goroutines until Close
	var logMu sync.Mutex
	srv.Logger = slog.New(slog.NewTextHandler(lockedWriter{&logMu, logs}, nil))
	srv.UI = (&ui.Server{API: srv.Handler(), Logger: srv.Logger}).Handler()
	if err := srv.Open("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Close(ctx)
		logMu.Lock()
		defer logMu.Unlock()
		if t.Failed() {
			t.Logf("server log:\n%s", logs)
		}
		if strings.Contains(logs.String(), gitAdminToken) {
			t.Error("the server logged the admin token")
		}
	})

	if err := db.CreateNamespace(ctx, &ferry.Namespace{Name: "dev"}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []struct {
		name  string
		admin bool
	}{{"ada", true}, {"vic", false}} {
		hash, err := password.Hash(u.name + "-password-for-tests")
		if err != nil {
			t.Fatal(err)
		}
		if err := db.CreateUser(ctx, &ferry.User{Name: u.name, Admin: u.admin}, hash); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.SetUserRole(ctx, "vic", "dev", ferry.RoleViewer); err != nil {
		t.Fatal(err)
	}
	repo := gittest.NewRepo(t, files)
	web := gittest.NewHTTPServer(t, repo.Root, gittest.HTTPOptions{})
	return &gitFerry{t: t, db: db, svc: svc, srv: srv, api: fhttp.NewClient(srv.URL(), gitAdminToken),
		repo: repo, url: web.RepoURL(repo.Name)}
}

// lockedWriter serialises writes to w.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// waitRun waits for run id to end and returns it.
func (f *gitFerry) waitRun(id int64) *ferry.Run {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	run, err := f.svc.WaitRun(ctx, id)
	if err != nil {
		f.t.Fatal(err)
	}
	if run.State != ferry.RunDone {
		f.t.Fatalf("run %d did not end: %+v", id, run)
	}
	return run
}

// lastRun returns the newest run of binding name of dev, waited for.
func (f *gitFerry) lastRun(name string) *ferry.Run {
	f.t.Helper()
	runs, _, err := f.db.ListRuns(context.Background(), "dev", name, ferry.Page{Limit: 1})
	if err != nil || len(runs) == 0 {
		f.t.Fatalf("runs of %s: %v %v", name, runs, err)
	}
	return f.waitRun(runs[0].ID)
}

// browser is a person using the UI: a cookie jar, and redirects left to the test.
type browser struct {
	t    *testing.T
	base string
	hc   *http.Client
}

// page is an answer of the UI.
type page struct {
	Status   int
	Location string
	HTML     string
}

// login logs user name in through the login form.
func (f *gitFerry) login(name string) *browser {
	f.t.Helper()
	jar, _ := cookiejar.New(nil)
	b := &browser{t: f.t, base: f.srv.URL(), hc: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	p := b.post("/login", url.Values{"name": {name}, "password": {name + "-password-for-tests"}, "next": {"/"}})
	if p.Status != http.StatusSeeOther {
		f.t.Fatalf("login %s: %d\n%s", name, p.Status, text(p.HTML))
	}
	return b
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.hc.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return page{Status: resp.StatusCode, Location: resp.Header.Get("Location"), HTML: string(body)}
}

func (b *browser) get(path string) page {
	b.t.Helper()
	req, err := http.NewRequest("GET", b.base+path, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) page {
	b.t.Helper()
	req, err := http.NewRequest("POST", b.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// open GETs path and wants 200.
func (b *browser) open(path string) page {
	b.t.Helper()
	p := b.get(path)
	if p.Status != http.StatusOK {
		b.t.Fatalf("GET %s: %d\n%s", path, p.Status, text(p.HTML))
	}
	return p
}

// submit posts form to path with the CSRF token of the page at from, and wants status.
func (b *browser) submit(from, path string, form url.Values, status int) page {
	b.t.Helper()
	form.Set("csrf", csrfOf(b.t, b.open(from)))
	p := b.post(path, form)
	if p.Status != status {
		b.t.Fatalf("POST %s: %d, want %d\n%s", path, p.Status, status, text(p.HTML))
	}
	return p
}

// follow submits like submit, wants a redirect and opens where it leads.
func (b *browser) follow(from, path string, form url.Values) page {
	b.t.Helper()
	p := b.submit(from, path, form, http.StatusSeeOther)
	return b.open(p.Location)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, p page) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(p.HTML)
	if m == nil {
		t.Fatalf("no CSRF token on the page:\n%s", p.HTML)
	}
	return html.UnescapeString(m[1])
}

var (
	blockTags  = regexp.MustCompile(`(?s)<(script|style)[^>]*>.*?</(script|style)>|</?(p|div|br|li|ul|ol|dt|dd|dl|tr|td|th|table|h[1-6]|option|select|label|section|details|summary|form|nav|header|main|fieldset|legend)\b[^>]*>`)
	inlineTags = regexp.MustCompile(`<[^>]*>`)
	spaces     = regexp.MustCompile(`\s+`)
)

// text is what a person reads on the page: the HTML without its tags (a block's end
// separates words, an inline element's does not), white space collapsed.
func text(h string) string {
	h = inlineTags.ReplaceAllString(blockTags.ReplaceAllString(h, " "), "")
	return strings.TrimSpace(spaces.ReplaceAllString(html.UnescapeString(h), " "))
}

// wantText fails unless the page's text holds every one of want.
func wantText(t *testing.T, p page, want ...string) {
	t.Helper()
	got := text(p.HTML)
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("page lacks %q; it reads:\n%s", w, got)
		}
	}
}

// noText fails if the page's HTML holds any of s.
func noText(t *testing.T, p page, s ...string) {
	t.Helper()
	for _, w := range s {
		if strings.Contains(html.UnescapeString(p.HTML), w) {
			t.Errorf("page holds %q; it should not:\n%s", w, text(p.HTML))
		}
	}
}

var inputTag = regexp.MustCompile(`<input[^>]*>`)
var valueAttr = regexp.MustCompile(`\bvalue="([^"]*)"`)

// field returns the value of the page's input with name, and whether there is one.
func field(p page, name string) (string, bool) {
	for _, tag := range inputTag.FindAllString(p.HTML, -1) {
		if strings.Contains(tag, ` name="`+name+`"`) {
			m := valueAttr.FindStringSubmatch(tag)
			if m == nil {
				return "", true
			}
			return html.UnescapeString(m[1]), true
		}
	}
	return "", false
}

// wantField fails unless the page has an input name with value.
func wantField(t *testing.T, p page, name, value string) {
	t.Helper()
	if got, ok := field(p, name); !ok || got != value {
		t.Errorf("input %s = %q (present: %v), want %q", name, got, ok, value)
	}
}

// selected returns the value of the selected option of the page's select with name.
func selected(p page, name string) string {
	sel := regexp.MustCompile(`(?s)<select[^>]* name="` + regexp.QuoteMeta(name) + `"[^>]*>(.*?)</select>`).FindStringSubmatch(p.HTML)
	if sel == nil {
		return ""
	}
	if m := regexp.MustCompile(`<option value="([^"]*)" selected`).FindStringSubmatch(sel[1]); m != nil {
		return html.UnescapeString(m[1])
	}
	return ""
}

// alert returns the error message the page shows.
func alert(p page) string {
	m := regexp.MustCompile(`(?s)<p class="error" role="alert">(.*?)</p>`).FindStringSubmatch(p.HTML)
	if m == nil {
		return ""
	}
	return text(m[1])
}

var flashRun = regexp.MustCompile(`queued as run (\d+)`)

// queuedRun returns the run a redirect's flash message names.
func queuedRun(t *testing.T, p page) int64 {
	t.Helper()
	m := flashRun.FindStringSubmatch(text(p.HTML))
	if m == nil {
		t.Fatalf("no queued run on the page:\n%s", text(p.HTML))
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	return id
}

func short(sha string) string { return sha[:12] }

func TestGitLinkPullPushAndTag(t *testing.T) {
	f := newGitFerry(t, map[string]string{"gateway/payments.yaml": "upstream: a\n", "gateway/orders.yaml": "upstream: b\n", "README.md": "not synced\n"})
	ada := f.login("ada")
	first := f.repo.Head()

	list := ada.open("/ns/dev/git")
	wantText(t, list, "Link a directory to Git", "No directory of this namespace is linked to Git yet", "every weekday at 22:00")
	if selected(list, "direction") != "pull" {
		t.Errorf("direction defaults to %q", selected(list, "direction"))
	}

	// Bad input: the form comes back with the API's message and the values typed.
	form := url.Values{"name": {"Payments!"}, "directory": {"/services/payments"}, "url": {f.url}, "ref": {"main"},
		"path": {"/gateway"}, "direction": {"both"}, "schedule": {"0 22 * * 1-5"}, "webhook": {"none"}, "glob": {""}}
	p := ada.submit("/ns/dev/git", "/ns/dev/git", form, http.StatusBadRequest)
	if a := alert(p); !strings.HasPrefix(a, "Binding name:") {
		t.Errorf("alert = %q, want the API's message about the name", a)
	}
	wantField(t, p, "name", "Payments!")
	wantField(t, p, "url", f.url)
	wantField(t, p, "schedule", "0 22 * * 1-5")
	wantField(t, p, "path", "/gateway")
	if selected(p, "direction") != "both" {
		t.Errorf("direction after the error = %q", selected(p, "direction"))
	}
	form.Set("name", "payments")
	form.Set("schedule", "every weekday")
	p = ada.submit("/ns/dev/git", "/ns/dev/git", form, http.StatusBadRequest)
	if a := alert(p); !strings.Contains(a, `Schedule "every weekday"`) || !strings.Contains(a, "5") {
		t.Errorf("alert = %q, want the API's message about the schedule", a)
	}
	wantField(t, p, "schedule", "every weekday")

	// Created: the first pull is queued, the schedule read back.
	form.Set("schedule", "0 22 * * 1-5")
	p = ada.follow("/ns/dev/git", "/ns/dev/git", form)
	wantText(t, p, "Binding payments created.", "Schedule: every weekday at 22:00 (UTC).")
	wantResult(t, f.waitRun(queuedRun(t, p)), ferry.ResultApplied)

	p = ada.open("/ns/dev/git/payments")
	wantText(t, p, "State ok", "Last commit "+first, "0 22 * * 1-5 — every weekday at 22:00 (UTC)",
		"Consecutive failures 0", "Last error none", "Ahead / behind in step", "Next run")
	wantText(t, p, "none → "+short(first), "+2 ~0 −0", "revision 1", "resolve", "fetch", "apply")
	noText(t, p, "data-run-url") // nothing is under way
	if list := ada.open("/ns/dev/git"); !strings.Contains(text(list.HTML), "payments /services/payments "+f.url+" at /gateway main both ok "+short(first)) {
		t.Errorf("list row:\n%s", text(list.HTML))
	}
	files := ada.open("/ns/dev/tree/services/payments")
	wantText(t, files, "payments.yaml", "orders.yaml")

	// Check availability: a tick for each check.
	p = ada.submit("/ns/dev/git/payments", "/ns/dev/git/payments/check", url.Values{}, http.StatusOK)
	wantText(t, p, "✓ Reachable passed", "✓ Authenticated passed", "✓ Ref exists passed: refs/heads/main",
		"✓ Head commit passed: "+first, "– Host key: not SSH")
	noText(t, p, "✗")

	// A dry run of a pull shows the change; the pull applies it.
	second := f.repo.Commit("Add billing", map[string]string{"gateway/billing.yaml": "upstream: c\n"})
	p = ada.submit("/ns/dev/git/payments", "/ns/dev/git/payments/pull", url.Values{"action": {"plan"}}, http.StatusOK)
	wantText(t, p, "Dry run: pull from Git", "Branch head "+second, "Last synced commit "+first,
		"+1 added", "added services/payments/billing.yaml", "Conflict no")
	p = ada.follow("/ns/dev/git/payments", "/ns/dev/git/payments/pull", url.Values{"action": {"pull"}})
	wantText(t, p, "Pull queued as run")
	pulled := f.waitRun(queuedRun(t, p))
	wantResult(t, pulled, ferry.ResultApplied)
	if pulled.Trigger != ferry.TriggerUI || pulled.Actor != "user:ada" {
		t.Errorf("a pull from the UI: trigger %q, actor %q; want ui, user:ada", pulled.Trigger, pulled.Actor)
	}
	p = ada.open("/ns/dev/git/payments")
	wantText(t, p, short(first)+" → "+short(second), "+1 ~0 −0", "Last commit "+second)

	// Push: a dry run, a bad tag name, then push and tag.
	if _, _, err := f.api.PutFile(context.Background(), "dev", "services/payments/refunds.yaml", []byte("upstream: d\n"), fhttp.PutFileOptions{Message: "Add refunds"}); err != nil {
		t.Fatal(err)
	}
	p = ada.submit("/ns/dev/git/payments", "/ns/dev/git/payments/push", url.Values{"action": {"plan"}, "message": {"Add refunds"}}, http.StatusOK)
	wantText(t, p, "Dry run: push to Git", "added services/payments/refunds.yaml", "Branch head "+second, "Push now")
	wantField(t, p, "message", "Add refunds")

	bad := url.Values{"tagged": {"1"}, "action": {"push"}, "message": {"Release 1"}, "tag": {"v1..0"}, "tag_message": {"First release"}}
	p = ada.submit("/ns/dev/git/payments", "/ns/dev/git/payments/push", bad, http.StatusBadRequest)
	if a := alert(p); !strings.HasPrefix(a, "Tag name:") || !strings.Contains(a, "..") {
		t.Errorf("alert = %q, want the API's rule about the tag name", a)
	}
	wantField(t, p, "tag", "v1..0")
	wantField(t, p, "tag_message", "First release")
	if !regexp.MustCompile(`<input id="tag-name"[^>]*data-tag-check[^>]*aria-describedby="tag-name-msg" aria-invalid="true">`).MatchString(p.HTML) ||
		!regexp.MustCompile(`<p id="tag-name-msg"[^>]*>Tag name:`).MatchString(p.HTML) {
		t.Error("the tag input is not marked invalid with its message beside it")
	}
	if f.repo.Head() != second {
		t.Fatal("a refused push changed the branch")
	}

	good := url.Values{"tagged": {"1"}, "action": {"push"}, "message": {"Release 1"}, "tag": {"v1.0.0"}, "tag_message": {"First release"}}
	p = ada.follow("/ns/dev/git/payments", "/ns/dev/git/payments/push", good)
	wantText(t, p, "Push with tag v1.0.0 queued as run")
	run := f.waitRun(queuedRun(t, p))
	wantResult(t, run, ferry.ResultApplied)
	head := f.repo.Head()
	if f.repo.Ref("refs/tags/v1.0.0") == "" || f.repo.File(head, "gateway/refunds.yaml") != "upstream: d\n" {
		t.Fatalf("after push and tag: head %s, tag %q", head, f.repo.Ref("refs/tags/v1.0.0"))
	}
	p = ada.open("/ns/dev/git/payments")
	wantText(t, p, "push tag v1.0.0", short(second)+" → "+short(head), "Message: Release 1", "Tag message: First release", "Last commit "+head)
}

func wantResult(t *testing.T, run *ferry.Run, result string) {
	t.Helper()
	if run.Result != result {
		t.Fatalf("run %d: result %q (%+v), want %q; steps: %+v", run.ID, run.Result, run.Error, result, run.Steps)
	}
}

func TestGitEditAndDelete(t *testing.T) {
	f := newGitFerry(t, map[string]string{"a.yaml": "a: 1\n"})
	ada := f.login("ada")
	if _, err := f.api.CreateBinding(context.Background(), "dev", fhttp.BindingRequest{Name: "cfg", Directory: "/cfg", URL: f.url, Ref: "main"}); err != nil {
		t.Fatal(err)
	}
	f.lastRun("cfg")

	p := ada.open("/ns/dev/git/cfg")
	wantField(t, p, "url", f.url)
	wantField(t, p, "directory", "cfg")
	form := url.Values{"url": {f.url}, "directory": {"cfg"}, "credential": {""}, "ref": {"main"}, "path": {""},
		"direction": {"pull"}, "schedule": {"61 * * * *"}, "webhook": {"none"}, "glob": {""}}
	p = ada.submit("/ns/dev/git/cfg", "/ns/dev/git/cfg", form, http.StatusBadRequest)
	if a := alert(p); !strings.Contains(a, `Schedule "61 * * * *" is not a valid cron expression`) {
		t.Errorf("alert = %q", a)
	}
	wantField(t, p, "schedule", "61 * * * *")

	form.Set("schedule", "*/5 * * * *")
	p = ada.follow("/ns/dev/git/cfg", "/ns/dev/git/cfg", form)
	wantText(t, p, "Settings saved. Schedule: every 5 minutes (UTC).", "*/5 * * * * — every 5 minutes (UTC)")
	if b, _ := f.db.FindBinding(context.Background(), "dev", "cfg"); b.Schedule != "*/5 * * * *" || b.Status.NextRunAt == nil {
		t.Fatalf("binding after the edit: %+v", b)
	}
	p = ada.follow("/ns/dev/git/cfg", "/ns/dev/git/cfg", form)
	wantText(t, p, "Nothing changed.")

	// Turning a manual webhook on shows its secret, once.
	form.Set("webhook", "manual")
	p = ada.submit("/ns/dev/git/cfg", "/ns/dev/git/cfg", form, http.StatusOK)
	wantText(t, p, "Settings saved.", "Webhook of cfg", "it is shown this once")
	secret := secretCode.FindStringSubmatch(p.HTML)
	if secret == nil {
		t.Fatal("no secret shown")
	}
	p = ada.open("/ns/dev/git/cfg")
	noText(t, p, secret[1])
	if selected(p, "webhook") != "manual" {
		t.Errorf("webhook select = %q", selected(p, "webhook"))
	}

	p = ada.open("/ns/dev/git/cfg/delete")
	wantText(t, p, "Delete binding cfg?", "Its files stay in the namespace")
	p = ada.follow("/ns/dev/git/cfg/delete", "/ns/dev/git/cfg/delete", url.Values{})
	wantText(t, p, "Binding cfg deleted", "No directory of this namespace is linked to Git yet")
	if p := ada.get("/ns/dev/git/cfg"); p.Status != http.StatusNotFound {
		t.Errorf("deleted binding's page: %d", p.Status)
	}
	wantText(t, ada.open("/ns/dev/tree/cfg"), "a.yaml")
}

var (
	secretCode = regexp.MustCompile(`<code id="hook-secret">([^<]+)</code>`)
	hookCode   = regexp.MustCompile(`<code id="hook-url">([^<]+)</code>`)
)

func TestGitManualWebhookSecretShownOnce(t *testing.T) {
	f := newGitFerry(t, map[string]string{"a.yaml": "a: 1\n"})
	ada := f.login("ada")
	form := url.Values{"name": {"hooked"}, "directory": {"/hooked"}, "url": {f.url}, "ref": {"main"}, "direction": {"pull"}, "webhook": {"manual"}}
	p := ada.submit("/ns/dev/git", "/ns/dev/git", form, http.StatusOK)
	wantText(t, p, "Binding hooked created.", "it is shown this once", "Its first pull is queued as run")
	secret, hook := secretCode.FindStringSubmatch(p.HTML), hookCode.FindStringSubmatch(p.HTML)
	if secret == nil || hook == nil || len(secret[1]) < 40 {
		t.Fatalf("no secret or hook URL on the page:\n%s", p.HTML)
	}
	if !strings.Contains(p.HTML, `data-copy="#hook-secret"`) || !strings.Contains(p.HTML, `data-copy="#hook-url"`) {
		t.Error("no copy buttons for the secret and the URL")
	}
	if !strings.HasPrefix(hook[1], f.srv.URL()+"/hooks/") {
		t.Errorf("hook URL = %q", hook[1])
	}
	f.lastRun("hooked")

	// Never again: not on the binding's page nor the list.
	p = ada.open("/ns/dev/git/hooked")
	noText(t, p, secret[1])
	wantText(t, p, "Mode manual; deliveries go to "+hook[1], "No deliveries yet.")
	noText(t, ada.open("/ns/dev/git"), secret[1])

	// A delivery signed with the secret queues a pull, and is listed.
	f.repo.Commit("Change a", map[string]string{"a.yaml": "a: 2\n"})
	body := `{"ref":"refs/heads/main"}`
	mac := hmac.New(sha256.New, []byte(secret[1]))
	mac.Write([]byte(body))
	req, _ := http.NewRequest("POST", hook[1], strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "push")
	req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("delivery: %d", resp.StatusCode)
	}
	run := f.lastRun("hooked")
	wantResult(t, run, ferry.ResultApplied)
	p = ada.open("/ns/dev/git/hooked")
	wantText(t, p, "github push refs/heads/main", "queued", "run "+strconv.FormatInt(run.ID, 10))

	// Rotating shows the new secret once.
	p = ada.submit("/ns/dev/git/hooked", "/ns/dev/git/hooked/webhook/rotate", url.Values{}, http.StatusOK)
	wantText(t, p, "The webhook has a new secret", "it is shown this once")
	rotated := secretCode.FindStringSubmatch(p.HTML)
	if rotated == nil || rotated[1] == secret[1] {
		t.Fatalf("rotated secret: %v", rotated)
	}
	p = ada.open("/ns/dev/git/hooked")
	noText(t, p, rotated[1], secret[1])
	wantText(t, p, "secret last replaced")
}

const ghRepos = `[{"name":"payments-config","full_name":"acme/payments-config","default_branch":"main","private":true,
 "clone_url":"%s","ssh_url":"ssh://git@127.0.0.1/acme/payments-config.git"},
 {"name":"other","full_name":"acme/other","clone_url":"http://127.0.0.1:1/acme/other.git"}]`

func TestGitProviderRepositoryPicker(t *testing.T) {
	f := newGitFerry(t, map[string]string{"svc/a.yaml": "a: 1\n"})
	ctx := context.Background()
	gh := pt.NewServer(t)
	gh.Handle("GET /orgs/acme/repos", pt.Reply(http.StatusOK, []byte(strings.Replace(ghRepos, "%s", f.url, 1))))
	if err := f.db.CreateCredential(ctx, &ferry.Credential{Name: "gh-token", Kind: ferry.CredentialToken, Secret: &ferry.CredentialSecret{Token: "t0k-ui"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.api.CreateProvider(ctx, fhttp.ProviderRequest{Name: "acme-gh", Kind: ferry.ProviderGitHub, BaseURL: gh.URL, Owner: "acme", Credential: "gh-token"}); err != nil {
		t.Fatal(err)
	}
	ada := f.login("ada")
	p := ada.open("/ns/dev/git")
	wantText(t, p, "acme-gh (github, acme)", "gh-token (token)")

	// Choosing the provider shows its repositories, the values typed kept.
	form := url.Values{"step": {"repositories"}, "name": {"cfg"}, "directory": {"/cfg"}, "provider": {"acme-gh"}, "path": {"svc"},
		"direction": {"pull"}, "webhook": {"none"}, "schedule": {"0 * * * *"}}
	p = ada.submit("/ns/dev/git", "/ns/dev/git", form, http.StatusOK)
	wantText(t, p, "Repository of acme-gh", "acme/payments-config (private) · main", "acme/other", "The list was fetched just now")
	wantField(t, p, "name", "cfg")
	wantField(t, p, "path", "svc")
	if selected(p, "provider") != "acme-gh" {
		t.Errorf("provider select = %q", selected(p, "provider"))
	}
	if a := alert(p); a != "" {
		t.Errorf("alert %q", a)
	}
	if n, _, _ := f.db.ListBindings(ctx, "dev", ferry.Page{}); len(n) != 0 {
		t.Fatal("listing the repositories made a binding")
	}

	form.Del("step")
	form.Set("repository", "payments-config")
	p = ada.follow("/ns/dev/git", "/ns/dev/git", form)
	wantText(t, p, "Binding cfg created.", "Schedule: every hour (UTC).")
	wantResult(t, f.waitRun(queuedRun(t, p)), ferry.ResultApplied)
	p = ada.open("/ns/dev/git/cfg")
	wantText(t, p, "acme-gh / payments-config ("+f.url+")", "Made through provider acme-gh", "State ok")
	wantText(t, ada.open("/ns/dev/tree/cfg"), "a.yaml")

	// A managed webhook is made at the provider; its secret went there, not to the page.
	gh.Handle("POST /repos/acme/payments-config/hooks", pt.Reply(http.StatusCreated, []byte(`{"id":4711}`)))
	form.Set("name", "managed")
	form.Set("directory", "/managed")
	form.Set("webhook", "managed")
	p = ada.follow("/ns/dev/git", "/ns/dev/git", form)
	wantText(t, p, "Binding managed created. Ferry made its webhook at acme-gh.", "Mode managed", "Managed by Ferry at provider acme-gh")
	noText(t, p, "hook-secret", "shown this once")
	f.waitRun(queuedRun(t, p))
}

func TestGitCheckTrustsUnknownHostKey(t *testing.T) {
	f := newGitFerry(t, map[string]string{"a.yaml": "a: 1\n"})
	ctx := context.Background()
	pair, err := sshkey.Generate(sshkey.Ed25519)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.db.CreateCredential(ctx, &ferry.Credential{Name: "deploy", Kind: ferry.CredentialSSHKey, PublicKey: pair.PublicKey,
		Fingerprint: pair.Fingerprint, Algorithm: pair.Algorithm, Generated: true, Secret: &ferry.CredentialSecret{PrivateKey: pair.PrivateKey}}); err != nil {
		t.Fatal(err)
	}
	pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(pair.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	sshd := gittest.NewSSHServer(t, f.repo.Root, pub)
	fingerprint := ssh.FingerprintSHA256(sshd.HostKey)

	ada := f.login("ada")
	if got := selected(ada.open("/ns/dev/git"), "credential"); got != "" {
		t.Errorf("credential preselected: %q", got)
	}
	wantText(t, ada.open("/ns/dev/git"), "deploy (ssh-key, "+pair.Fingerprint+")")
	form := url.Values{"name": {"ssh"}, "directory": {"/ssh"}, "url": {sshd.URL(f.repo.Name)}, "credential": {"deploy"}, "ref": {"main"}, "direction": {"pull"}, "webhook": {"none"}}
	p := ada.follow("/ns/dev/git", "/ns/dev/git", form)
	wantResult(t, f.waitRun(queuedRun(t, p)), ferry.ResultStalled)
	p = ada.open("/ns/dev/git/ssh")
	wantText(t, p, "State stalled", "Last error host_key_unknown")

	p = ada.submit("/ns/dev/git/ssh", "/ns/dev/git/ssh/check", url.Values{}, http.StatusOK)
	wantText(t, p, "host_key_unknown", "✗ Host key failed: ssh-ed25519 "+fingerprint+" — not pinned", "Trust")
	if fp, _ := field(p, "fingerprint"); fp != fingerprint {
		t.Fatalf("trust form's fingerprint = %q, want %q", fp, fingerprint)
	}
	p = ada.submit("/ns/dev/git/ssh", "/ns/dev/git/ssh/trust", url.Values{"fingerprint": {fingerprint}}, http.StatusOK)
	wantText(t, p, "Pinned the host key "+fingerprint+" of "+sshd.Addr, "✓ Reachable passed", "✓ Authenticated passed",
		"✓ Ref exists passed", "✓ Host key passed: ssh-ed25519 "+fingerprint+" — pinned")
	noText(t, p, "✗")

	// A fingerprint the host does not present pins nothing, and says so.
	p = ada.submit("/ns/dev/git/ssh", "/ns/dev/git/ssh/trust", url.Values{"fingerprint": {"SHA256:" + strings.Repeat("A", 43)}}, http.StatusConflict)
	if a := alert(p); !strings.Contains(a, "nothing was pinned") {
		t.Errorf("alert = %q", a)
	}

	// A key the remote does not accept: the step that failed, with its reason; the rest
	// not checked.
	other, err := sshkey.Generate(sshkey.Ed25519)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.db.CreateCredential(ctx, &ferry.Credential{Name: "stranger", Kind: ferry.CredentialSSHKey, PublicKey: other.PublicKey,
		Fingerprint: other.Fingerprint, Algorithm: other.Algorithm, Generated: true, Secret: &ferry.CredentialSecret{PrivateKey: other.PrivateKey}}); err != nil {
		t.Fatal(err)
	}
	form.Set("credential", "stranger")
	p = ada.follow("/ns/dev/git/ssh", "/ns/dev/git/ssh", form)
	wantText(t, p, "Settings saved.", "Credential stranger")
	p = ada.submit("/ns/dev/git/ssh", "/ns/dev/git/ssh/check", url.Values{}, http.StatusOK)
	wantText(t, p, "✓ Reachable passed", "✗ Authenticated failed: auth_failed", "– Ref exists: not checked: an earlier step failed",
		"– Host key: not checked: an earlier step failed")
}

func TestGitViewerSeesButCannotAct(t *testing.T) {
	f := newGitFerry(t, map[string]string{"a.yaml": "a: 1\n"})
	if _, err := f.api.CreateBinding(context.Background(), "dev", fhttp.BindingRequest{Name: "cfg", Directory: "/cfg", URL: f.url, Ref: "main", Direction: ferry.DirectionBoth}); err != nil {
		t.Fatal(err)
	}
	f.lastRun("cfg")
	vic := f.login("vic")
	p := vic.open("/ns/dev/git")
	wantText(t, p, "cfg /cfg", "You lack permission credentials:manage.")
	if _, ok := field(p, "credential"); !ok {
		t.Error("without the credentials list, the form takes a typed credential name")
	}
	wantText(t, vic.open("/ns/dev/git/cfg"), "State ok", "Run history", "applied")

	for _, tc := range []struct {
		name, path string
		form       url.Values
		want       string
	}{
		{"create", "/ns/dev/git", url.Values{"name": {"x"}, "directory": {"/x"}, "url": {f.url}, "direction": {"pull"}, "webhook": {"none"}}, `You lack permission bindings:manage in namespace "dev".`},
		{"pull", "/ns/dev/git/cfg/pull", url.Values{"action": {"pull"}}, `You lack permission sync:trigger in namespace "dev".`},
		{"dry run", "/ns/dev/git/cfg/pull", url.Values{"action": {"plan"}}, `You lack permission sync:trigger in namespace "dev".`},
		{"push and tag", "/ns/dev/git/cfg/push", url.Values{"action": {"push"}, "tagged": {"1"}, "tag": {"v1"}}, `You lack permission sync:trigger in namespace "dev".`},
		{"edit", "/ns/dev/git/cfg", url.Values{"url": {f.url}, "directory": {"cfg"}, "ref": {"main"}, "direction": {"pull"}, "webhook": {"none"}}, `You lack permission bindings:manage in namespace "dev".`},
		{"delete", "/ns/dev/git/cfg/delete", url.Values{}, `You lack permission bindings:manage in namespace "dev".`},
		{"rotate", "/ns/dev/git/cfg/webhook/rotate", url.Values{}, `You lack permission bindings:manage in namespace "dev".`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			from := "/ns/dev/git/cfg"
			p := vic.submit(from, tc.path, tc.form, http.StatusForbidden)
			if a := alert(p); a != tc.want {
				t.Errorf("alert = %q, want %q", a, tc.want)
			}
		})
	}
	if runs, _, _ := f.db.ListRuns(context.Background(), "dev", "cfg", ferry.Page{}); len(runs) != 1 {
		t.Errorf("the viewer's forms made runs: %d", len(runs))
	}
	if b, err := f.db.FindBinding(context.Background(), "dev", "cfg"); err != nil || b.Direction != ferry.DirectionBoth {
		t.Errorf("the viewer's forms changed the binding: %+v %v", b, err)
	}
}

func TestGitPagesNeedLoginAndCSRF(t *testing.T) {
	f := newGitFerry(t, nil)
	anon := &browser{t: t, base: f.srv.URL(), hc: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	if p := anon.get("/ns/dev/git"); p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, "/login?next=") {
		t.Errorf("anonymous GET: %d %s", p.Status, p.Location)
	}
	ada := f.login("ada")
	p := ada.post("/ns/dev/git", url.Values{"name": {"x"}, "url": {"https://example.com/x.git"}, "csrf": {"forged"}})
	if p.Status != http.StatusForbidden || !strings.Contains(alert(p), "reload the page") {
		t.Errorf("forged CSRF: %d %q", p.Status, alert(p))
	}
	if p := ada.get("/ns/dev/git/missing"); p.Status != http.StatusNotFound {
		t.Errorf("missing binding: %d", p.Status)
	}
}

// TestGitCommitLinksAndLiveRuns: the last commit links to the provider's commit page when
// Ferry knows where it is, and a run under way is a row ferry.js follows through the API.
func TestGitCommitLinksAndLiveRuns(t *testing.T) {
	f := newGitFerry(t, nil)
	ctx := context.Background()
	sha := strings.Repeat("0123456789", 4)
	remotes := map[string]string{
		"gh":   "https://github.com/acme/config.git",
		"gl":   "https://gitlab.com/group/sub/config.git",
		"bb":   "git@bitbucket.org:team/config.git",
		"self": "https://git.example.com/acme/config.git",
	}
	for name, remote := range remotes {
		b := &ferry.Binding{Namespace: "dev", Name: name, Directory: name, URL: remote}
		if err := b.Validate(); err != nil {
			t.Fatal(err)
		}
		if err := f.db.CreateBinding(ctx, b); err != nil {
			t.Fatal(err)
		}
		run, _, err := f.db.QueueRun(ctx, ferry.RunRequest{BindingID: b.ID, Kind: ferry.RunPull, Trigger: ferry.TriggerAPI, Actor: "user:ada"})
		if err != nil {
			t.Fatal(err)
		}
		run, _, err = f.db.StartRun(ctx, run.ID)
		if err != nil {
			t.Fatal(err)
		}
		run.Result, run.CommitAfter = ferry.ResultApplied, sha
		run.Steps = []ferry.RunStep{{Name: "fetch", Result: "ok", Message: "fetched 1 commit"}}
		if err := f.db.FinishRun(ctx, run, false); err != nil {
			t.Fatal(err)
		}
	}
	ada := f.login("ada")
	list := ada.open("/ns/dev/git")
	for _, link := range []string{
		`href="https://github.com/acme/config/commit/` + sha + `"`,
		`href="https://gitlab.com/group/sub/config/-/commit/` + sha + `"`,
		`href="https://bitbucket.org/team/config/commits/` + sha + `"`,
	} {
		if !strings.Contains(list.HTML, link) {
			t.Errorf("the list lacks the link %s", link)
		}
	}
	if strings.Contains(list.HTML, `href="https://git.example.com`) {
		t.Error("a commit on an unknown host is linked")
	}

	// A run waiting in the queue: its row names the API URL the page's script polls.
	b, _ := f.db.FindBinding(ctx, "dev", "gh")
	queued, _, err := f.db.QueueRun(ctx, ferry.RunRequest{BindingID: b.ID, Kind: ferry.RunPull, Trigger: ferry.TriggerAPI, Actor: "user:ada"})
	if err != nil {
		t.Fatal(err)
	}
	p := ada.open("/ns/dev/git/gh")
	api := "/api/v1/namespaces/dev/bindings/gh/runs/" + strconv.FormatInt(queued.ID, 10)
	row := regexp.MustCompile(`<tr id="run-(\d+)" data-run-url="([^"]+)">`).FindAllStringSubmatch(p.HTML, -1)
	if len(row) != 1 || row[0][2] != api {
		t.Fatalf("live rows: %q, want one for %s", row, api)
	}
	if !strings.Contains(p.HTML, `data-field="state">queued</span>`) {
		t.Error("the live row has no state cell for the script to update")
	}
	wantText(t, p, "Last commit "+sha, "1 step fetch ok", "fetched 1 commit")
	got := ada.open(api)
	if !strings.Contains(got.HTML, `"state":"queued"`) {
		t.Errorf("GET %s with the session cookie: %s", api, got.HTML)
	}
	// A page answering a form is not reloaded by the script, so it names no live rows.
	p = ada.submit("/ns/dev/git/gh", "/ns/dev/git/gh", url.Values{"url": {remotes["gh"]}, "directory": {"gh"}, "direction": {"pull"}, "schedule": {"x"}, "webhook": {"none"}}, http.StatusBadRequest)
	if strings.Contains(p.HTML, "data-run-url") {
		t.Error("a page answering a POST has live rows")
	}
}
