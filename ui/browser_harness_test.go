package ui_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"golang.org/x/crypto/argon2"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/catalog"
	"github.com/ferrygit/ferry/git"
	"github.com/ferrygit/ferry/gitsync"
	fhttp "github.com/ferrygit/ferry/http"
	"github.com/ferrygit/ferry/jobs"
	"github.com/ferrygit/ferry/provider"
	"github.com/ferrygit/ferry/secretbox"
	"github.com/ferrygit/ferry/sqlstore"
	"github.com/ferrygit/ferry/sshkey"
	"github.com/ferrygit/ferry/ui"
)

// The browser tests drive Debian's Chromium over the DevTools protocol (chromedp) against a
// real ferry server on 127.0.0.1: SQLite in a temporary directory, the git engine, the sync
// service and its job queue, the API and the UI, wired as cmd/ferry's serve does.

const (
	// e2eAdminToken is the test server's admin API token, used by the test to write through
	// the API; it must never appear on a page.
	e2eAdminToken = "fy_browser-test-admin-token-9c41d7a2e5"
	// e2eUser and e2ePassword are the admin user the browser logs in as.
	e2eUser     = "ada"
	e2ePassword = "a long test password 4e7b1f"
	// e2eTimeout bounds each browser test.
	e2eTimeout = 60 * time.Second
)

// e2eChromiumPath returns the Chromium to drive: $FERRY_CHROMIUM, else /usr/bin/chromium. It
// skips the test when there is none, unless FERRY_TEST_BROWSER=required, when it fails it.
func e2eChromiumPath(t *testing.T) string {
	t.Helper()
	candidates := []string{os.Getenv("FERRY_CHROMIUM"), "/usr/bin/chromium"}
	for _, p := range candidates {
		if p == "" {
			continue
		}
		if p, err := exec.LookPath(p); err == nil {
			return p
		}
	}
	msg := "no Chromium for the browser tests: install Debian's (apt-get install -y chromium) or set FERRY_CHROMIUM to a Chromium binary"
	if os.Getenv("FERRY_TEST_BROWSER") == "required" {
		t.Fatal(msg + " (FERRY_TEST_BROWSER=required)")
	}
	t.Skip(msg)
	return ""
}

// e2eServer is a real ferry server on 127.0.0.1 with an admin user to log in as.
type e2eServer struct {
	URL  string
	DB   *sqlstore.DB
	API  *fhttp.Client // acts with the admin token
	Sync *gitsync.Service
	logs *e2eLog
}

// newE2EServer starts a ferry server whose git engine may reach 127.0.0.1 over plain HTTP, and
// makes the admin user e2eUser. It stops when the test ends.
func newE2EServer(t *testing.T) *e2eServer {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	key, err := secretbox.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	box, err := secretbox.New(key)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlstore.Open(ctx, sqlstore.Config{DataDir: dir, Sealer: box})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })

	logs := &e2eLog{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	policy := ferry.URLPolicy{AllowHosts: []string{"127.0.0.1"}, AllowInsecureHTTP: true}
	engine, err := git.New(git.Config{Dir: filepath.Join(dir, "git"), Policy: policy, Timeout: 20 * time.Second, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}

	srv := fhttp.NewServer()
	srv.Namespaces, srv.Files = db, db
	srv.Credentials, srv.KnownHosts = db, db
	dial := sshkey.CheckedDialer(policy.CheckAddr)
	srv.ScanHostKeys = func(ctx context.Context, host string) ([]*ferry.KnownHost, error) {
		return sshkey.ScanHostKeys(ctx, host, dial)
	}
	secrets := &gitsync.Secrets{Credentials: db, KnownHosts: db}
	srv.Checker = &gitsync.Checker{Git: engine, Secrets: secrets, Policy: policy}
	syncer := &gitsync.Service{Store: db, Git: engine, Secrets: secrets, Policy: policy, Logger: logger}
	cat := &catalog.Service{Store: db, Logger: logger}
	syncer.Catalog = cat
	providers := &provider.Service{Store: db, Logger: logger,
		Registry: provider.NewRegistry(provider.RegistryConfig{Credentials: db, Policy: policy, Logger: logger}, nil)}
	queue, err := jobs.OpenSQLite(ctx, db.WritePool(), jobs.Config{Sync: syncer, Poll: "@every 1h", Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	syncer.Queue = queue
	srv.Bindings, srv.Runs, srv.Sync, srv.Pusher = db, db, syncer, syncer
	srv.Providers = providers
	srv.Webhooks = db
	srv.Binder = &gitsync.Binder{Sync: syncer, Store: db, Providers: providers, HookURL: srv.HookURL, Logger: logger}
	srv.Ready = db.Ping
	srv.AdminTokenHash = sha256.Sum256([]byte(e2eAdminToken))
	srv.Tokens, srv.Users, srv.Audit = db, db, db
	srv.Catalog, srv.CatalogStore = cat, db
	srv.Logger = logger
	// What users get: the session cookie is Secure, which Chromium accepts from
	// http://127.0.0.1, a potentially trustworthy origin.
	srv.InsecureCookies = false
	srv.UI = (&ui.Server{API: srv.Handler(), Logger: logger}).Handler()
	if err := queue.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := srv.Open("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stop, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Close(stop); err != nil {
			t.Error(err)
		}
		queue.Stop(stop)
		if strings.Contains(logs.String(), e2eAdminToken) || strings.Contains(logs.String(), e2ePassword) {
			t.Errorf("the server logged a secret:\n%s", logs.String())
		}
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	fs := &e2eServer{URL: srv.URL(), DB: db, API: fhttp.NewClient(srv.URL(), e2eAdminToken), Sync: syncer, logs: logs}
	if err := db.CreateUser(ctx, &ferry.User{Name: e2eUser, Admin: true}, e2eQuickHash(e2ePassword)); err != nil {
		t.Fatal(err)
	}
	return fs
}

// e2eQuickHash returns an argon2id hash of pw in the PHC format that the password package
// stores, at costs far below its own (1 MiB, one pass): under the race detector its
// 64 MiB hashes take seconds, and logging in verifies whatever costs a stored hash states.
func e2eQuickHash(pw string) string {
	salt := make([]byte, 16)
	rand.Read(salt)
	key := argon2.IDKey([]byte(pw), salt, 1, 1024, 1, 32)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=1024,t=1,p=1$%s$%s", argon2.Version, enc.EncodeToString(salt), enc.EncodeToString(key))
}

// e2eLog is a bytes.Buffer that the server's goroutines may write concurrently.
type e2eLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *e2eLog) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *e2eLog) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// e2eChromium is a headless Chromium that the subtests of one test share, each in a browser
// context of its own (its own cookies), so that it starts once.
type e2eChromium struct {
	ctx    context.Context
	stderr *e2eLog
}

// startE2EChromium starts Chromium with a fresh profile in t.TempDir(); it stops when t ends,
// or after limit.
func startE2EChromium(t *testing.T, limit time.Duration) *e2eChromium {
	t.Helper()
	exe := e2eChromiumPath(t)
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	t.Cleanup(cancel)
	c := &e2eChromium{stderr: &e2eLog{}}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-quic", true),
		chromedp.WindowSize(1280, 800),
		chromedp.CombinedOutput(c.stderr),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	browserCtx, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancelBrowser()
		if out := e2eChromiumNoise.ReplaceAllString(c.stderr.String(), ""); t.Failed() && strings.TrimSpace(out) != "" {
			t.Logf("chromium's output:\n%s", e2eClip(out, 4000))
		}
	})
	if err := chromedp.Do(browserCtx); err != nil {
		t.Fatalf("start chromium %s: %v", exe, err)
	}
	c.ctx = browserCtx
	return c
}

// e2eChromiumNoise matches the lines Chromium prints on every start in a container without a
// D-Bus, and the complaint of Debian's wrapper script about its memory check.
var e2eChromiumNoise = regexp.MustCompile(`(?m)^.*(dbus|unexpected operator).*\n?`)

// chromeTab is a tab of its own browser context pointed at a ferry server, at laptop size.
// Its methods fail the test on error, naming the page they were on.
type chromeTab struct {
	t    *testing.T
	ctx  context.Context
	base string
	// secrets must appear on no page; a page that shows one once on purpose (a new API
	// token) is checked with checkSecrets(allowed).
	secrets []string
}

// tab opens a tab in a new browser context, for a test bounded by e2eTimeout.
func (c *e2eChromium) tab(t *testing.T, base string) *chromeTab {
	t.Helper()
	tab, cancelTab := chromedp.NewContext(c.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancelTab)
	ctx, cancel := context.WithTimeout(tab, e2eTimeout)
	t.Cleanup(cancel)
	b := &chromeTab{t: t, ctx: ctx, base: base, secrets: []string{e2eAdminToken, e2ePassword}}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800)); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	return b
}

func e2eClip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// fatalf fails the test with where the browser is and what the page says.
func (b *chromeTab) fatalf(format string, args ...any) {
	b.t.Helper()
	msg := fmt.Sprintf(format, args...)
	ctx, cancel := context.WithTimeout(b.ctx, 3*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	b.t.Fatalf("%s\n  at %s\n  page text:\n%s", msg, loc, e2eIndent(e2eClip(text, 3000)))
}

func e2eIndent(s string) string { return "    " + strings.ReplaceAll(s, "\n", "\n    ") }

// do runs actions that return nothing.
func (b *chromeTab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.fatalf("%s: %v", what, err)
	}
}

// e2eEval returns the value of a JavaScript expression in the page.
func e2eEval[T any](b *chromeTab, expr string) T {
	b.t.Helper()
	for attempt := 0; ; attempt++ {
		v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expr))
		if err == nil {
			return v
		}
		// A binding's page reloads itself when a run it follows ends; read the new page.
		if attempt < 10 && e2eReloaded.MatchString(err.Error()) {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		b.fatalf("evaluate %s: %v", e2eClip(expr, 200), err)
	}
}

// e2eReloaded matches the errors of an evaluation that the page's own reload cut short.
var e2eReloaded = regexp.MustCompile(`navigated or closed|context was destroyed|Cannot find context|uniqueContextId not found`)

// open navigates to path on the server and checks the page it lands on.
func (b *chromeTab) open(path string) int64 {
	b.t.Helper()
	resp, err := chromedp.Run(b.ctx, chromedp.NavigateResponse(b.base+path))
	if err != nil {
		b.fatalf("open %s: %v", path, err)
	}
	b.checkPage()
	return resp.Status
}

// click clicks the element sel and waits for the page it loads; it returns the status of
// the page loaded.
func (b *chromeTab) click(sel string) int64 {
	b.t.Helper()
	resp, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		b.fatalf("click %s: %v", sel, err)
	}
	b.checkPage()
	return resp.Status
}

// fill replaces the value of the field sel with value, as text typed into it (Input.insertText:
// one input event, not a key event per character, which is slow).
func (b *chromeTab) fill(sel, value string) {
	b.t.Helper()
	b.do("fill "+sel,
		chromedp.Focus(chromedp.CSS(sel), chromedp.NodeVisible),
		chromedp.Evaluate[chromedp.Void](`document.querySelector(`+e2eJS(sel)+`).value = ""`),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, input.InsertText, input.InsertTextParams{Text: value})
			return err
		}))
	if got := e2eEval[string](b, `document.querySelector(`+e2eJS(sel)+`).value`); got != value {
		b.fatalf("fill %s: it holds %q, want %q", sel, got, value)
	}
}

// text returns the page's visible text.
func (b *chromeTab) text() string {
	b.t.Helper()
	return e2eEval[string](b, `document.body.innerText`)
}

// path returns the page's path and query.
func (b *chromeTab) path() string {
	b.t.Helper()
	return e2eEval[string](b, `location.pathname + location.search`)
}

// wantPath checks that the browser is at path (its query ignored).
func (b *chromeTab) wantPath(path string) {
	b.t.Helper()
	got := e2eEval[string](b, `location.pathname`)
	if got != path {
		b.fatalf("at %s, want %s", got, path)
	}
}

// wantText checks that the page's visible text contains each of fragments.
func (b *chromeTab) wantText(fragments ...string) {
	b.t.Helper()
	text := b.text()
	for _, f := range fragments {
		if !strings.Contains(text, f) {
			b.fatalf("the page does not say %q", f)
		}
	}
}

// textOf returns the visible text of the first element sel.
func (b *chromeTab) textOf(sel string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](
		`(function(){ var e = document.querySelector(`+e2eJS(sel)+`); return e ? e.innerText : "<no element>"; })()`))
	if err != nil {
		b.fatalf("text of %s: %v", sel, err)
	}
	return v
}

// row returns the cells' text of the first table row whose first cell says first.
func (b *chromeTab) row(first string) []string {
	b.t.Helper()
	return e2eEval[[]string](b, `(function(){
		var rows = document.querySelectorAll("tbody tr");
		for (var i = 0; i < rows.length; i++) {
			var cells = Array.from(rows[i].cells).map(function (c) { return c.innerText.trim(); });
			if (cells[0] === `+e2eJS(first)+`) return cells;
		}
		return [];
	})()`)
}

func e2eJS(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}

// checkPage checks what every page must do: no secret the test knows is anywhere in its
// HTML, each form control a person fills in has a label, and at laptop size the page does
// not scroll sideways.
func (b *chromeTab) checkPage() {
	b.t.Helper()
	b.checkSecrets(nil)
	unlabelled := e2eEval[[]string](b, `(function(){
		var out = [];
		document.querySelectorAll("input, select, textarea").forEach(function (el) {
			var type = (el.getAttribute("type") || "").toLowerCase();
			if (type === "hidden" || type === "submit" || type === "button" || type === "reset" || type === "image") return;
			var labelled = (el.id && document.querySelector('label[for="' + CSS.escape(el.id) + '"]')) ||
				el.closest("label") || el.getAttribute("aria-labelledby");
			if (!labelled) out.push(el.outerHTML);
		});
		return out;
	})()`)
	if len(unlabelled) > 0 {
		b.fatalf("form controls without a <label>:\n%s", e2eIndent(strings.Join(unlabelled, "\n")))
	}
	b.checkLayout()
}

// checkLayout checks that at laptop size (1280 px) the page does not scroll sideways and
// no visible block's content spills out of it over its neighbours.
func (b *chromeTab) checkLayout() {
	b.t.Helper()
	problems := e2eEval[[]string](b, `(function(){
		var out = [];
		if (document.documentElement.scrollWidth > window.innerWidth) {
			out.push("wide: the page is " + document.documentElement.scrollWidth + " px wide in a " + window.innerWidth + " px window");
		}
		document.querySelectorAll("main *").forEach(function (el) {
			var cs = getComputedStyle(el);
			if (cs.overflowX !== "visible" || cs.display.indexOf("inline") === 0 || el.clientWidth === 0 || !el.checkVisibility()) return;
			if (el.scrollWidth > el.clientWidth + 1) {
				out.push("spill: " + el.outerHTML.slice(0, 120).replace(/\s+/g, " ") + "… is " + el.scrollWidth + " px wide in " + el.clientWidth + " px");
			}
		});
		return out;
	})()`)
	if len(problems) == 0 {
		return
	}
	path := e2eEval[string](b, `location.pathname`)
	var unknown []string
	for _, p := range problems {
		if kind, _, _ := strings.Cut(p, ":"); !e2eKnown(b.t, kind, path) {
			unknown = append(unknown, p)
		}
	}
	if len(unknown) > 0 {
		b.fatalf("the layout breaks at 1280 px:\n%s", e2eIndent(strings.Join(unknown, "\n")))
	}
}

// e2eKnownBug is a UI bug reported to the pages' owners and not yet fixed in their files.
// A check that meets it logs it instead of failing; TestBrowser fails when a known bug is
// met no more, so that its entry goes once the bug is fixed.
type e2eKnownBug struct {
	kind string         // the check that finds it: wide, spill, or a name a walk checks
	path *regexp.Regexp // the pages it is on
	what string
}

var e2eKnownBugs = []*e2eKnownBug{}

var (
	e2eKnownMu   sync.Mutex
	e2eKnownSeen = map[*e2eKnownBug]bool{}
)

// e2eKnown reports whether a problem of kind on page path is a known bug, and logs it.
func e2eKnown(t *testing.T, kind, path string) bool {
	t.Helper()
	for _, k := range e2eKnownBugs {
		if k.kind == kind && k.path.MatchString(path) {
			e2eKnownMu.Lock()
			seen := e2eKnownSeen[k]
			e2eKnownSeen[k] = true
			e2eKnownMu.Unlock()
			if !seen {
				t.Logf("known UI bug, not failing the test: %s", k.what)
			}
			return true
		}
	}
	return false
}

// e2eKnownUnseen fails t for each known bug that no walk met: fixed, so its entry must go.
func e2eKnownUnseen(t *testing.T) {
	t.Helper()
	e2eKnownMu.Lock()
	defer e2eKnownMu.Unlock()
	for _, k := range e2eKnownBugs {
		if !e2eKnownSeen[k] {
			t.Errorf("the known UI bug %q was not met: if it is fixed, remove it from e2eKnownBugs", k.what)
		}
	}
}

// checkSecrets checks that the page's HTML holds none of the test's secrets but those in
// allowed, and no stack trace.
func (b *chromeTab) checkSecrets(allowed []string) {
	b.t.Helper()
	html := e2eEval[string](b, `document.documentElement.outerHTML`)
	for _, s := range b.secrets {
		if s == "" || e2eContains(allowed, s) {
			continue
		}
		if strings.Contains(html, s) {
			b.fatalf("the page shows a secret (%s…)", s[:min(6, len(s))])
		}
	}
	if m := e2eStackTrace.FindString(html); m != "" {
		b.fatalf("the page shows what looks like a stack trace (%q)", m)
	}
}

// e2eStackTrace matches the first line of a Go goroutine dump.
var e2eStackTrace = regexp.MustCompile(`goroutine \d+ \[[a-z ]+\]:`)

func e2eContains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// cookies returns the browser's cookies for the server.
func (b *chromeTab) cookies() []*network.Cookie {
	b.t.Helper()
	res, err := chromedp.Run(b.ctx, func(ctx context.Context, t *chromedp.Target) (network.GetCookiesResult, error) {
		return cdp.Call(ctx, t, network.GetCookies, network.GetCookiesParams{URLs: []string{b.base + "/"}})
	})
	if err != nil {
		b.fatalf("read cookies: %v", err)
	}
	return res.Cookies
}

// login logs in through the login page as e2eUser and lands on the page it leads to.
func (b *chromeTab) login() {
	b.t.Helper()
	b.open("/login")
	b.fill("#name", e2eUser)
	b.fill("#password", e2ePassword)
	b.click(`form[action="/login"] button[type=submit]`)
	if strings.HasPrefix(b.path(), "/login") {
		b.fatalf("still on the login page after logging in")
	}
	for _, c := range b.cookies() {
		if c.Name == "ferry_session" {
			b.secrets = append(b.secrets, c.Value)
		}
	}
}

// screenshot saves the viewport as docs/screenshots/name.png when FERRY_SCREENSHOTS=1.
func (b *chromeTab) screenshot(name string) {
	b.t.Helper()
	if os.Getenv("FERRY_SCREENSHOTS") != "1" {
		return
	}
	png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.fatalf("screenshot %s: %v", name, err)
	}
	dir := filepath.Join("..", "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// selectOption chooses value in the select sel, as a person picking it would.
func (b *chromeTab) selectOption(sel, value string) {
	b.t.Helper()
	ok := e2eEval[bool](b, `(function(){
		var s = document.querySelector(`+e2eJS(sel)+`);
		if (!s || !Array.from(s.options).some(function (o) { return o.value === `+e2eJS(value)+`; })) return false;
		s.value = `+e2eJS(value)+`;
		s.dispatchEvent(new Event("change", {bubbles: true}));
		return true;
	})()`)
	if !ok {
		b.fatalf("select %s has no option %q", sel, value)
	}
}

// openDetails opens the <details> sel by clicking its summary, unless it is open.
func (b *chromeTab) openDetails(sel string) {
	b.t.Helper()
	if e2eEval[bool](b, `document.querySelector(`+e2eJS(sel)+`).open`) {
		return
	}
	b.do("open "+sel, chromedp.Click(chromedp.CSS(sel+" > summary")))
	if !e2eEval[bool](b, `document.querySelector(`+e2eJS(sel)+`).open`) {
		b.fatalf("clicking the summary of %s did not open it", sel)
	}
}

// waitRun waits until the row of run id on a binding's page shows how the run ended: the
// page's script follows a run under way and reloads the page when it ends. It returns the
// outcome the row shows.
func (b *chromeTab) waitRun(id int64) string {
	b.t.Helper()
	expr := `(function(){
		var row = document.getElementById("run-` + fmt.Sprint(id) + `");
		if (document.readyState !== "complete" || !row || row.hasAttribute("data-run-url")) return "";
		return row.cells[3].querySelector(".badge").textContent.trim();
	})()`
	deadline := time.Now().Add(30 * time.Second)
	for {
		// Errors are expected while the page reloads itself.
		out, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](expr))
		if err == nil && out != "" && out != "queued" && out != "running" && out != "done" {
			b.checkPage()
			return out
		}
		if time.Now().After(deadline) {
			b.fatalf("run %d did not end on the page within 30 s (last: %q, %v)", id, out, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
