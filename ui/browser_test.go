package ui_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"golang.org/x/crypto/ssh"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/git/gittest"
	fhttp "github.com/ferrygit/ferry/http"
)

// TestBrowser walks the UI's flows in headless Chromium against one real ferry server, as
// people sharing a server would: each flow has a browser context of its own (its own
// cookies) and namespaces of its own. FERRY_SCREENSHOTS=1 also saves the main pages to
// docs/screenshots.
func TestBrowser(t *testing.T) {
	flows := []struct {
		name string
		run  func(t *testing.T, f *e2eServer, b *chromeTab)
	}{
		{"session", walkSession},
		{"keyboard", walkKeyboard},
		{"explorer", walkExplorer},
		{"git", walkGit},
		{"settings", walkSettings},
		{"catalog", walkCatalog},
	}
	c := startE2EChromium(t, time.Duration(len(flows))*e2eTimeout)
	f := newE2EServer(t)
	ran := 0
	for _, flow := range flows {
		t.Run(flow.name, func(t *testing.T) {
			ran++
			flow.run(t, f, c.tab(t, f.URL))
		})
	}
	if ran == len(flows) && !t.Failed() {
		e2eKnownUnseen(t)
	}
}

// walkSession walks logging in and out: a protected page sends the browser to the
// login page, a wrong password says so, the right one lands on the page asked for with a
// Secure, HttpOnly, SameSite=Strict session cookie — over http://127.0.0.1, without
// InsecureCookies — and logging out ends the session.
func walkSession(t *testing.T, f *e2eServer, b *chromeTab) {
	wrong := "not the password 31b8"
	b.secrets = append(b.secrets, wrong)

	b.open("/")
	b.wantPath("/login")
	if got := b.path(); got != "/login?next=%2F" {
		t.Errorf("a protected page sent the browser to %s, want /login?next=%%2F", got)
	}
	b.wantText("Log in to Ferry")
	b.screenshot("login")

	b.fill("#name", e2eUser)
	b.fill("#password", wrong)
	if status := b.click(`form[action="/login"] button[type=submit]`); status != http.StatusUnauthorized {
		t.Errorf("a wrong password answered %d, want 401", status)
	}
	b.wantPath("/login")
	b.wantText("The name or password is wrong.")
	if got := b.textOf(`[role=alert]`); !strings.Contains(got, "wrong") {
		t.Errorf("the message is not in an alert: %q", got)
	}
	if v := e2eEval[string](b, `document.getElementById("name").value`); v != e2eUser {
		t.Errorf("the name field holds %q after a failed login, want %q kept", v, e2eUser)
	}
	if v := e2eEval[string](b, `document.getElementById("password").value`); v != "" {
		t.Errorf("the password field holds %q after a failed login, want it empty", v)
	}

	b.fill("#password", e2ePassword)
	b.click(`form[action="/login"] button[type=submit]`)
	b.wantPath("/")
	b.wantText("Namespaces", "Create a namespace", e2eUser+" (admin)")

	var session *network.Cookie
	for _, c := range b.cookies() {
		if c.Name == "ferry_session" {
			session = c
		}
	}
	if session == nil {
		t.Fatal("no session cookie after logging in")
	}
	b.secrets = append(b.secrets, session.Value)
	if !session.Secure || !session.HTTPOnly || session.SameSite != network.CookieSameSiteStrict {
		t.Errorf("session cookie: Secure=%v HttpOnly=%v SameSite=%q, want Secure, HttpOnly, Strict", session.Secure, session.HTTPOnly, session.SameSite)
	}
	if js := e2eEval[string](b, `document.cookie`); strings.Contains(js, session.Value) {
		t.Error("the page's script can read the session cookie")
	}

	b.click(`form.logout button[type=submit]`)
	b.wantPath("/login")
	for _, c := range b.cookies() {
		if c.Name == "ferry_session" && c.Value != "" {
			t.Errorf("the session cookie is still set after logging out")
		}
	}
	b.open("/ns/session/revisions")
	if got := b.path(); got != "/login?next=%2Fns%2Fsession%2Frevisions" {
		t.Errorf("after logging out a protected page went to %s, want the login page with next", got)
	}
	// The old session is dead on the server too, not only gone from the browser.
	c := fhttp.NewClient(f.URL, "")
	c.Header = http.Header{"Cookie": {"ferry_session=" + session.Value}}
	if _, _, err := c.ListNamespaces(context.Background(), ferry.Page{Limit: 10}); err == nil {
		t.Error("the session still works through the API after logging out")
	}

	// Logging in again from there returns to the page asked for.
	b.fill("#name", e2eUser)
	b.fill("#password", e2ePassword)
	b.click(`form[action="/login"] button[type=submit]`)
	b.wantPath("/ns/session/revisions")
}

// walkKeyboard logs in with the keyboard only: Tab reaches the name and password
// fields, in that order, and Enter submits.
func walkKeyboard(t *testing.T, f *e2eServer, b *chromeTab) {
	b.open("/login")
	focused := func() string {
		return e2eEval[string](b, `(document.activeElement && (document.activeElement.id || document.activeElement.textContent.trim())) || ""`)
	}
	if got := focused(); got != "name" {
		t.Errorf("the login page opened with the focus on %q, want the name field", got)
	}
	// From the top of the page: the skip link, then Tab by Tab to the name field.
	b.do("focus the skip link", chromedp.Focus(chromedp.CSS(".skip")))
	var seen []string
	for i := 0; i < 5 && focused() != "name"; i++ {
		b.do("press Tab", chromedp.KeyEvent(kb.Tab))
		seen = append(seen, focused())
	}
	if focused() != "name" {
		t.Fatalf("Tab from the skip link never reached the name field; focus went %q", seen)
	}
	b.do("type the name", chromedp.KeyEvent(e2eUser))
	b.do("press Tab", chromedp.KeyEvent(kb.Tab))
	if got := focused(); got != "password" {
		t.Fatalf("Tab from the name field focused %q, want the password field", got)
	}
	b.do("type the password", chromedp.KeyEvent(e2ePassword))
	if _, err := chromedp.RunResponse(b.ctx, chromedp.KeyEvent(kb.Enter)); err != nil {
		b.fatalf("press Enter: %v", err)
	}
	b.checkPage()
	b.wantPath("/")
	b.wantText("Namespaces")

	// The namespace form works from the keyboard too: Tab to it, type, Enter.
	b.do("focus the skip link", chromedp.Focus(chromedp.CSS(".skip")))
	b.do("press Enter on the skip link", chromedp.KeyEvent(kb.Enter))
	for i := 0; i < 15 && focused() != "ns-name"; i++ {
		b.do("press Tab", chromedp.KeyEvent(kb.Tab))
	}
	if focused() != "ns-name" {
		t.Fatal("Tab never reached the namespace name field")
	}
	b.do("type a name", chromedp.KeyEvent("keys"))
	if _, err := chromedp.RunResponse(b.ctx, chromedp.KeyEvent(kb.Enter)); err != nil {
		b.fatalf("press Enter: %v", err)
	}
	b.checkPage()
	b.wantPath("/ns/keys/")
	b.wantText("Namespace keys created.")
}

// walkExplorer walks a namespace: create it from the form, write files through the
// API, browse the tree, open a text file (line numbers) and a binary one, list the
// revisions, read a revision's diff against its parent, browse an old revision, and
// restore it.
func walkExplorer(t *testing.T, f *e2eServer, b *chromeTab) {
	ctx := context.Background()
	b.login()

	b.fill("#ns-name", "dev")
	b.click(`form[action="/namespaces"] button[type=submit]`)
	b.wantPath("/ns/dev/")
	b.wantText("Namespace dev created.", "This namespace has no files yet.")

	// The same name again: the API's message, as an alert, with the conflict's status.
	b.open("/")
	b.fill("#ns-name", "dev")
	if status := b.click(`form[action="/namespaces"] button[type=submit]`); status != http.StatusConflict {
		t.Errorf("creating a namespace twice answered %d, want 409", status)
	}
	if msg := b.textOf("[role=alert]"); !strings.Contains(msg, "dev") {
		t.Errorf("creating a namespace twice says %q, want a message naming it", msg)
	}

	v1 := "upstream: http://payments:8080\ntimeout: 5s\nretries: 2\n"
	v2 := "upstream: http://payments-v2:8080\ntimeout: 5s\nretries: 3\n"
	put := func(path, content, msg string) {
		t.Helper()
		if _, _, err := f.API.PutFile(ctx, "dev", path, []byte(content), fhttp.PutFileOptions{Message: msg}); err != nil {
			t.Fatal(err)
		}
	}
	put("services/payments.yaml", v1, "Add payments")                            // 1
	put("README.md", "# dev\n", "Add a README")                                  // 2
	put("services/payments.yaml", v2, "Payments v2")                             // 3
	put("logo.png", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "Add a logo") // 4

	b.open("/")
	b.wantText("dev")
	if row := b.row("dev"); len(row) < 2 || row[1] != "4" {
		t.Errorf("the namespaces list shows dev as %q, want head revision 4", row)
	}
	b.screenshot("namespaces")
	b.click(`a[href="/ns/dev/"]`)
	b.wantText("services/", "README.md", "logo.png")
	b.screenshot("explorer")

	b.click(`a[href="/ns/dev/tree/services"]`)
	b.wantPath("/ns/dev/tree/services")
	b.click(`a[href="/ns/dev/files/services/payments.yaml"]`)
	b.wantPath("/ns/dev/files/services/payments.yaml")
	lines := e2eEval[[]string](b, `Array.from(document.querySelectorAll("pre.lines span")).map(function (s) { return s.textContent; })`)
	if want := strings.Split(strings.TrimSuffix(v2, "\n"), "\n"); strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("the file page shows lines %q, want %q", lines, want)
	}
	numbers := e2eEval[[]string](b, `Array.from(document.querySelectorAll("pre.lines span")).map(function (s) {
		var st = getComputedStyle(s, "::before"); return st.display === "none" ? "" : st.content; })`)
	for i, n := range numbers {
		if n != "counter(line)" {
			t.Errorf("line %d shows no line number (::before content %q)", i+1, n)
		}
	}
	b.wantText("written by revision 3")
	b.screenshot("file")

	b.open("/ns/dev/files/logo.png")
	b.wantText("Binary file")
	if status := b.open("/ns/dev/files/services/missing.yaml"); status != http.StatusNotFound {
		t.Errorf("a missing file answered %d, want 404", status)
	}
	if msg := b.textOf("[role=alert]"); !strings.Contains(msg, "missing.yaml") {
		t.Errorf("a missing file says %q, want a message naming it", msg)
	}

	b.open("/ns/dev/")
	b.click(`nav.tabs a[href="/ns/dev/revisions"]`)
	b.wantPath("/ns/dev/revisions")
	b.wantText("Add payments", "Add a README", "Payments v2", "Add a logo")
	if rows := e2eEval[int](b, `document.querySelectorAll("tbody tr").length`); rows != 4 {
		t.Errorf("the revisions page lists %d revisions, want 4", rows)
	}
	b.screenshot("revisions")

	b.click(`a[href="/ns/dev/revisions/3"]`)
	b.wantPath("/ns/dev/revisions/3")
	b.wantText("Revision 3", "Payments v2", "services/payments.yaml")
	diff := e2eEval[[]string](b, `Array.from(document.querySelectorAll("pre.diff span")).map(function (s) { return s.className + " " + s.textContent; })`)
	for _, want := range []string{"del - upstream: http://payments:8080", "add + upstream: http://payments-v2:8080", "del - retries: 2", "add + retries: 3"} {
		if !e2eContains(diff, want) {
			t.Errorf("the diff of revision 3 lacks %q; it is %q", want, diff)
		}
	}
	b.screenshot("revision-diff")

	// An old revision's files, then restore it with a message.
	b.open("/ns/dev/revisions/1")
	b.click(`a[href="/ns/dev/?revision=1"]`)
	b.wantText("at revision 1", "services/")
	if strings.Contains(b.text(), "logo.png") {
		t.Error("the tree at revision 1 lists logo.png, added by revision 4")
	}
	b.open("/ns/dev/revisions/1")
	b.fill("#restore-msg", "Back to the first payments")
	b.click(`form[action="/ns/dev/revisions/1/restore"] button[type=submit]`)
	b.wantPath("/ns/dev/revisions")
	b.wantText("Restored revision 1 as revision 5.", "Back to the first payments")
	if got := b.textOf("[role=status]"); got != "Restored revision 1 as revision 5." {
		t.Errorf("the flash says %q", got)
	}
	file, err := f.API.GetFile(ctx, "dev", "services/payments.yaml", 0)
	if err != nil {
		t.Fatal(err)
	}
	if string(file.Content) != v1 {
		t.Errorf("after the restore the file holds %q, want %q", file.Content, v1)
	}
	if _, err := f.API.GetFile(ctx, "dev", "logo.png", 0); err == nil {
		t.Error("after restoring revision 1, logo.png is still there")
	}

	// Restoring it again from the list changes nothing, and says so.
	b.click(`button[aria-label="Restore revision 1"]`)
	b.wantText("The namespace already equals revision 1.")
}

// walkGit walks the Git version control of a directory against a real remote, served over
// SSH to one key: generate that key in the UI, link the directory (with a manual
// webhook), see the first pull stall on the unknown host key, check availability and trust
// the key, pull, push and tag with nothing edited, a bad tag name, a dry run and a push of
// an edited file, a signed webhook delivery, the run history and its step log; then a
// wrong credential's check.
func walkGit(t *testing.T, f *e2eServer, b *chromeTab) {
	ctx := context.Background()
	payments := "upstream: http://payments:8080\n"
	repo := gittest.NewRepo(t, map[string]string{
		"gateway/services/payments.yaml": payments,
		"gateway/routes.yaml":            "routes: []\n",
		"README.md":                      "# config\n",
	})
	if _, err := f.API.CreateNamespace(ctx, "web"); err != nil {
		t.Fatal(err)
	}
	b.login()

	// Generate an SSH key; the page shows its public key, never the private one.
	b.open("/settings/credentials")
	b.openDetails(`details.form:has(#gen-name)`)
	b.fill("#gen-name", "deploy")
	b.selectOption("#gen-alg", "ed25519")
	b.click(`form:has(#gen-name) button[type=submit]`)
	pub := strings.TrimSpace(b.textOf("#public-key"))
	key, _, _, _, err := ssh.ParseAuthorizedKey([]byte(pub))
	if err != nil {
		b.fatalf("the page's public key %q does not parse: %v", pub, err)
	}
	if key.Type() != ssh.KeyAlgoED25519 {
		t.Errorf("generated a %s key, want ed25519", key.Type())
	}
	b.wantText(ssh.FingerprintSHA256(key), "deploy key")
	secret, err := f.DB.CredentialSecret(ctx, "deploy")
	if err != nil {
		t.Fatal(err)
	}
	b.secrets = append(b.secrets, e2ePEMBody(secret.PrivateKey))
	b.checkPage()
	b.screenshot("credential-key")

	// The remote accepts that key only.
	sshd := gittest.NewSSHServer(t, repo.Root, key)

	// Link /gateway to the repository's gateway directory, with a manual webhook.
	b.open("/ns/web/git")
	b.wantText("No directory of this namespace is linked to Git yet.")
	b.fill("#b-name", "gateway")
	b.fill("#b-dir", "gateway")
	b.fill("#b-url", sshd.URL(repo.Name))
	b.selectOption("#b-cred", "deploy")
	b.fill("#b-ref", "main")
	b.fill("#b-path", "gateway")
	b.selectOption("#b-direction", "both")
	b.fill("#b-schedule", "0 22 * * 1-5")
	b.selectOption("#b-webhook", "manual")
	b.do("scroll to the form", chromedp.Evaluate[chromedp.Void](`document.getElementById("link").scrollIntoView()`))
	b.screenshot("git-link")
	b.click(`form[action="/ns/web/git#link"] button[type=submit]:not([name])`)
	b.wantText("Binding gateway created.", "shown this once")
	hookURL, hookSecret := b.textOf("#hook-url"), b.textOf("#hook-secret")
	if !strings.HasPrefix(hookURL, f.URL+"/") || len(hookSecret) < 20 {
		t.Fatalf("the webhook page shows URL %q and secret %q", hookURL, hookSecret)
	}
	b.secrets = append(b.secrets, hookSecret)
	b.click(`a[href="/ns/web/git/gateway"]`)
	b.wantPath("/ns/web/git/gateway")
	b.wantText("every weekday at 22:00")

	// Its first pull stalls: the SSH host key is not pinned.
	first := e2eFirstRun(t, f, "web", "gateway")
	if got := b.waitRun(first); got != "stalled" {
		t.Errorf("the first pull ended %q, want stalled on the unknown host key", got)
	}
	b.wantText("host_key_unknown")

	// Check availability names the host key with a Trust button; trusting pins it and checks
	// again, all ticks.
	b.click(`form[action="/ns/web/git/gateway/check"] button`)
	fp := ssh.FingerprintSHA256(sshd.HostKey)
	b.wantText("Host key", fp, "not pinned")
	b.click(`form[action="/ns/web/git/gateway/trust"] button`)
	b.wantText("Pinned the host key " + fp)
	findings := e2eEval[[]string](b, `Array.from(document.querySelectorAll("ul.checks li")).map(function (li) { return li.className + " " + li.innerText.replace(/\s+/g, " ").replace(/ :/g, ":").trim(); })`)
	for _, want := range []string{"ok ✓ Reachable", "ok ✓ Authenticated", "ok ✓ Ref exists", "ok ✓ Head commit passed: " + repo.Head(), "ok ✓ Host key passed: "} {
		if !e2eHasPrefix(findings, want) {
			t.Errorf("the check shows %q, want a line starting %q", findings, want)
		}
	}
	b.screenshot("git-check")

	// Pull: the directory gets the repository's gateway files as one revision.
	b.click(`form[action="/ns/web/git/gateway/pull"] button[value=pull]`)
	pull := e2eFlashRun(b, "Pull queued as run ")
	if got := b.waitRun(pull); got != "applied" {
		t.Fatalf("the pull ended %q, want applied", got)
	}
	b.wantText(repo.Head())
	if file, err := f.API.GetFile(ctx, "web", "gateway/services/payments.yaml", 0); err != nil || string(file.Content) != payments {
		t.Fatalf("after the pull the namespace has payments.yaml = %v, %v", file, err)
	}

	// A bad tag name is refused as it is typed, and by the server if sent anyway.
	b.fill("#tag-name", "v1..0")
	b.do("type", chromedp.Evaluate[chromedp.Void](`document.getElementById("tag-name").dispatchEvent(new Event("input"))`))
	if msg := b.textOf("#tag-name-msg"); !strings.Contains(msg, "Not a valid Git tag name") {
		t.Errorf("typing a bad tag name says %q", msg)
	}
	if e2eEval[bool](b, `document.getElementById("tag-name").checkValidity()`) {
		t.Error("the tag field accepts v1..0")
	}
	b.do("send the form anyway", chromedp.Evaluate[chromedp.Void](`document.getElementById("tag-name").form.noValidate = true`))
	if status := b.click(`form:has(#tag-name) button[value=push]`); status != http.StatusBadRequest {
		t.Errorf("pushing with tag v1..0 answered %d, want 400", status)
	}
	if msg := b.textOf("#tag-name-msg"); !strings.Contains(msg, "v1..0") {
		t.Errorf("the server's refusal of tag v1..0 says %q beside the field, want a message naming it", msg)
	}
	if v := e2eEval[string](b, `document.getElementById("tag-name").value`); v != "v1..0" {
		t.Errorf("the tag field came back holding %q, want what was typed", v)
	}

	// Push and tag with nothing edited: the tag goes on the branch's commit.
	b.open("/ns/web/git/gateway")
	b.fill("#tag-name", "v1.0.0")
	b.fill("#tag-msg", "First release")
	b.click(`form:has(#tag-name) button[value=push]`)
	tagRun := e2eFlashRun(b, "Push with tag v1.0.0 queued as run ")
	outcome := b.waitRun(tagRun)
	if tagged := repo.Ref("refs/tags/v1.0.0"); tagged == "" {
		t.Errorf("after push and tag (run %s) the remote has no tag v1.0.0", outcome)
	} else if c := repo.Git("rev-list", "-n", "1", "v1.0.0"); c != repo.Head() {
		t.Errorf("tag v1.0.0 is on %s, want the branch head %s", c, repo.Head())
	}

	// Edit a file; a dry run of the push shows the change first, then push it.
	edited := "upstream: http://payments-v3:8080\n"
	if _, _, err := f.API.PutFile(ctx, "web", "gateway/services/payments.yaml", []byte(edited), fhttp.PutFileOptions{Message: "Payments v3"}); err != nil {
		t.Fatal(err)
	}
	b.open("/ns/web/git/gateway")
	b.wantText("ahead")
	b.fill("#push-msg", "Payments v3 from Ferry")
	b.click(`form:has(#push-msg) button[value=plan]`)
	b.wantText("Dry run: push to Git", "Nothing was written.", "services/payments.yaml", "~1 modified")
	b.screenshot("git-dry-run")
	b.click(`form[action="/ns/web/git/gateway/push"] button[value=push]`)
	push := e2eFlashRun(b, "Push queued as run ")
	if got := b.waitRun(push); got != "applied" {
		t.Fatalf("the push ended %q, want applied", got)
	}
	if got := repo.File(repo.Head(), "gateway/services/payments.yaml"); got != edited {
		t.Errorf("after the push the remote's payments.yaml is %q, want %q", got, edited)
	}
	if got := repo.Git("log", "-1", "--format=%an|%s"); !strings.Contains(got, e2eUser+"|Payments v3 from Ferry") {
		t.Errorf("the pushed commit is %q, want author %s and the message typed", got, e2eUser)
	}

	// A signed webhook delivery from the remote's side: listed with its verdict and run.
	repo.Commit("Routes", map[string]string{"gateway/routes.yaml": "routes: [payments]\n"})
	body := `{"ref":"refs/heads/main","after":"` + repo.Head() + `"}`
	mac := hmac.New(sha256.New, []byte(hookSecret))
	mac.Write([]byte(body))
	req, _ := http.NewRequest("POST", hookURL, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "push")
	req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("the signed delivery answered %s", resp.Status)
	}
	hookRun := e2eLatestRun(t, f, "web", "gateway")
	b.open("/ns/web/git/gateway")
	if got := b.waitRun(hookRun); got != "applied" {
		t.Errorf("the webhook's pull ended %q, want applied", got)
	}
	b.wantText("queued", "run "+fmt.Sprint(hookRun))

	// The run history: every run with its trigger, and a step log that opens.
	b.open("/ns/web/git/gateway")
	for _, id := range []int64{first, pull, tagRun, push, hookRun} {
		if row := b.textOf(fmt.Sprintf("#run-%d", id)); row == "<no element>" {
			t.Errorf("the run history lacks run %d", id)
		}
	}
	b.wantText("tag v1.0.0", "webhook")
	b.screenshot("git-binding")
	b.do("open the step log", chromedp.Click(chromedp.CSS(fmt.Sprintf("#run-%d details summary", pull))))
	if steps := b.textOf(fmt.Sprintf("#run-%d ol.steps", pull)); !strings.Contains(steps, "fetch") {
		t.Errorf("the pull's step log shows %q, want its steps", steps)
	}
	b.checkLayout()
	b.do("scroll to the runs", chromedp.Evaluate[chromedp.Void](`document.getElementById("runs").scrollIntoView()`))
	b.screenshot("git-runs")

	// A credential the remote does not accept: the check says which step failed and why.
	if _, err := f.API.CreateCredential(ctx, fhttp.CredentialRequest{Name: "stranger", Kind: ferry.CredentialSSHKey,
		Generate: &fhttp.GenerateRequest{Algorithm: "ed25519"}}); err != nil {
		t.Fatal(err)
	}
	b.open("/ns/web/git")
	b.fill("#b-name", "stranger")
	b.fill("#b-dir", "other")
	b.fill("#b-url", sshd.URL(repo.Name))
	b.selectOption("#b-cred", "stranger")
	b.click(`form[action="/ns/web/git#link"] button[type=submit]:not([name])`)
	b.wantPath("/ns/web/git/stranger")
	if got := b.waitRun(e2eFlashRun(b, "Binding stranger created. Its first pull is queued as run ")); got != "stalled" {
		t.Errorf("the first pull with a credential the remote refuses ended %q, want stalled", got)
	}
	b.wantText("auth_failed")
	b.click(`form[action="/ns/web/git/stranger/check"] button`)
	findings = e2eEval[[]string](b, `Array.from(document.querySelectorAll("ul.checks li")).map(function (li) { return li.className + " " + li.innerText.replace(/\s+/g, " ").replace(/ :/g, ":").trim(); })`)
	if !e2eHasPrefix(findings, "ok ✓ Reachable") || !e2eHasPrefix(findings, "bad ✗ Authenticated failed: auth_failed") {
		t.Errorf("checking with a credential the remote refuses shows %q, want Reachable ✓ and Authenticated ✗ auth_failed", findings)
	}
	if !e2eHasPrefix(findings, "unchecked – Host key: not checked") {
		t.Errorf("checking an ssh:// remote that refuses the key shows %q, want the host key not checked", findings)
	}
}

// e2ePEMBody returns the first line of a PEM block's base64 body: a fragment that a page
// showing the key would show.
func e2ePEMBody(pem []byte) string {
	lines := strings.Split(string(pem), "\n")
	if len(lines) < 2 {
		return string(pem)
	}
	return lines[1]
}

func e2eHasPrefix(list []string, prefix string) bool {
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

// e2eFlashRun returns the run number at the end of the page's flash, which starts with prefix.
func e2eFlashRun(b *chromeTab, prefix string) int64 {
	b.t.Helper()
	flash := b.textOf("[role=status]")
	rest, ok := strings.CutPrefix(flash, prefix)
	if !ok {
		b.fatalf("the flash says %q, want %q…", flash, prefix)
	}
	id, err := strconv.ParseInt(strings.TrimSuffix(rest, "."), 10, 64)
	if err != nil {
		b.fatalf("no run number in the flash %q", flash)
	}
	return id
}

// e2eFirstRun returns the oldest run of binding name, and e2eLatestRun the newest.
func e2eFirstRun(t *testing.T, f *e2eServer, ns, name string) int64 {
	t.Helper()
	runs := e2eListRuns(t, f, ns, name)
	return runs[len(runs)-1].ID
}

func e2eLatestRun(t *testing.T, f *e2eServer, ns, name string) int64 {
	t.Helper()
	return e2eListRuns(t, f, ns, name)[0].ID
}

func e2eListRuns(t *testing.T, f *e2eServer, ns, name string) []*ferry.Run {
	t.Helper()
	runs, _, err := f.API.ListRuns(context.Background(), ns, name, ferry.Page{Limit: 100})
	if err != nil || len(runs) == 0 {
		t.Fatalf("runs of %s/%s: %v, %v", ns, name, runs, err)
	}
	return runs
}

// walkSettings walks the configuration a person hands to CI: create an API token limited to
// one namespace (shown once, with a curl example), use it as curl would, see it listed
// without its secret, revoke it; add an access-token credential whose secret is never shown;
// find both in the audit log.
func walkSettings(t *testing.T, f *e2eServer, b *chromeTab) {
	ctx := context.Background()
	for _, ns := range []string{"ci", "private"} {
		if _, err := f.API.CreateNamespace(ctx, ns); err != nil {
			t.Fatal(err)
		}
	}
	b.login()
	b.click(`header nav a[href="/settings/credentials"]`)
	b.click(`nav.tabs a[href="/settings/tokens"]`)
	b.wantPath("/settings/tokens")

	b.fill("#tk-desc", "CI sync for ci")
	b.fill("#tk-life", "P30D")
	b.do("tick sync:trigger", chromedp.Click(chromedp.CSS(`#perm-sync\:trigger`)))
	b.selectOption("#tk-ns", "ci")
	if status := b.click(`form[action="/settings/tokens"] button[type=submit]`); status != http.StatusCreated {
		t.Errorf("creating a token answered %d, want 201", status)
	}
	token := strings.TrimSpace(b.textOf("#new-token"))
	if !strings.HasPrefix(token, "fy_") || len(token) < 30 {
		b.fatalf("the new token is %q", token)
	}
	b.wantText("shown this once", "namespaces:read, sync:trigger", "curl -H")
	if example := b.textOf("#curl-example"); !strings.Contains(example, f.URL+"/api/v1/session") {
		t.Errorf("the curl example %q does not name this server", example)
	}
	b.checkSecrets([]string{token})
	b.secrets = append(b.secrets, token)

	// What CI does with it: curl -H "Authorization: Bearer $FERRY_TOKEN" …
	call := func(path string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", f.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body strings.Builder
		io.Copy(&body, resp.Body)
		return resp.StatusCode, body.String()
	}
	if status, body := call("/api/v1/session"); status != http.StatusOK || !strings.Contains(body, `"namespace":"ci"`) || !strings.Contains(body, `"kind":"token"`) {
		t.Errorf("GET /api/v1/session with the token: %d %s", status, body)
	}
	if status, body := call("/api/v1/namespaces/ci/revisions"); status != http.StatusOK {
		t.Errorf("the token reads its namespace: %d %s", status, body)
	}
	if status, _ := call("/api/v1/namespaces/private/revisions"); status != http.StatusNotFound {
		t.Errorf("the token reads another namespace: %d, want 404", status)
	}

	b.click(`a[href="/settings/tokens"]`)
	row := b.row("CI sync for ci")
	if len(row) == 0 {
		// The first cell is the ID; find the row by its description instead.
		row = e2eEval[[]string](b, `(function(){
			var r = Array.from(document.querySelectorAll("tbody tr")).find(function (r) { return r.innerText.indexOf("CI sync for ci") >= 0; });
			return r ? Array.from(r.cells).map(function (c) { return c.innerText.trim(); }) : [];
		})()`)
	}
	if len(row) < 8 || row[3] != "ci" || !strings.Contains(row[7], "active") || !strings.Contains(row[6], "ago") && !strings.Contains(row[6], "just now") {
		t.Errorf("the token's row is %q, want namespace ci, active, last used just now", row)
	}
	b.screenshot("settings-tokens")
	id := row[0]
	b.click(`button[aria-label="Revoke token ` + id + `"]`)
	b.wantText("Token " + id + " (CI sync for ci) revoked")
	if status, _ := call("/api/v1/session"); status != http.StatusUnauthorized {
		t.Errorf("the revoked token answered %d, want 401", status)
	}

	// An access token for HTTPS Git hosts: its secret goes in and never comes out.
	glSecret := "glpat-browser-test-7f3a9c1e"
	b.secrets = append(b.secrets, glSecret)
	b.open("/settings/credentials")
	b.openDetails(`details.form:has(#tok-name)`)
	b.fill("#tok-name", "gitlab")
	b.fill("#tok-user", "oauth2")
	b.fill("#tok-secret", glSecret)
	b.click(`form:has(#tok-name) button[type=submit]`)
	b.open("/settings/credentials")
	if row := b.row("gitlab"); len(row) < 4 || !strings.HasPrefix(row[1], "token") || row[3] != "oauth2" {
		t.Errorf("the credential's row is %q, want kind token and username oauth2", row)
	}
	b.screenshot("settings-credentials")

	// The audit log names who did each of these.
	b.click(`nav.tabs a[href="/settings/audit"]`)
	b.wantText("POST /api/v1/tokens", "POST /api/v1/credentials", "user:"+e2eUser)
	b.screenshot("settings-audit")
	// Clicking an actor filters the log by it.
	b.click(`td a[href^="/settings/audit?actor="]`)
	if v := e2eEval[string](b, `document.getElementById("au-actor").value`); v != "user:"+e2eUser && !e2eKnown(t, "audit-filter-links", "/settings/audit") {
		t.Errorf("clicking the actor user:%s filters by actor %q", e2eUser, v)
	} else if v == "user:"+e2eUser {
		b.wantText("POST /api/v1/tokens")
	}
}

// walkCatalog walks a namespace's catalog: create a blueprint from the form (a bad schema
// first), add an entity that breaks the schema (every violation listed, the form kept) and
// then one that fits, search and filter the entities, and read an entity's properties,
// relations, provenance and history.
func walkCatalog(t *testing.T, f *e2eServer, b *chromeTab) {
	ctx := context.Background()
	if _, err := f.API.CreateNamespace(ctx, "shop"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.API.CreateBlueprint(ctx, "shop", fhttp.BlueprintRequest{Identifier: "team", Title: "Team"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.API.PutEntity(ctx, "shop", "team", fhttp.EntityRequest{Identifier: "payments", Title: "Payments"}, true, false); err != nil {
		t.Fatal(err)
	}
	b.login()
	b.open("/ns/shop/")
	b.click(`nav.tabs a[href="/ns/shop/catalog"]`)
	b.wantText("team")

	schema := `{"type": "object", "properties": {"language": {"type": "string", "enum": ["go", "java"]}, "tier": {"type": "integer", "minimum": 1}}, "required": ["language"]}`
	b.fill("#bp-identifier", "service")
	b.fill("#bp-title", "Service")
	b.fill("#bp-schema", `{"type": "object", "properties": {"tier": {"type": "integr"}}}`)
	if status := b.click(`form[action="/ns/shop/catalog"] button[type=submit]`); status != http.StatusBadRequest {
		t.Errorf("a bad schema answered %d, want 400", status)
	}
	if msg := b.textOf("[role=alert]"); msg == "<no element>" || msg == "" {
		t.Error("a bad schema shows no message")
	}
	if v := e2eEval[string](b, `document.getElementById("bp-identifier").value`); v != "service" {
		t.Errorf("after a bad schema the form holds identifier %q, want it kept", v)
	}
	b.fill("#bp-schema", schema)
	b.fill("#bp-relations", `{"team": {"target": "team"}}`)
	b.click(`form[action="/ns/shop/catalog"] button[type=submit]`)
	b.wantPath("/ns/shop/catalog/service")

	for _, e := range []fhttp.EntityRequest{
		{Identifier: "checkout", Title: "Checkout", Properties: map[string]any{"language": "go", "tier": 1}, Relations: map[string]json.RawMessage{"team": json.RawMessage(`"payments"`)}},
		{Identifier: "ledger", Title: "Ledger", Properties: map[string]any{"language": "java", "tier": 2}, Relations: map[string]json.RawMessage{"team": json.RawMessage(`"payments"`)}},
	} {
		if _, err := f.API.PutEntity(ctx, "shop", "service", e, true, false); err != nil {
			t.Fatal(err)
		}
	}

	// An entity that breaks the schema twice: both violations, by pointer; the form kept.
	b.open("/ns/shop/catalog/service")
	b.fill("#e-identifier", "search")
	b.fill("#e-properties", `{"language": "rust", "tier": 0}`)
	b.fill("#e-relations", `{"team": "payments"}`)
	if status := b.click(`form[action="/ns/shop/catalog/service#add"] button[type=submit]`); status != http.StatusBadRequest {
		t.Errorf("an invalid entity answered %d, want 400", status)
	}
	violations := b.textOf(".violations")
	for _, want := range []string{"/properties/language", "/properties/tier"} {
		if !strings.Contains(violations, want) {
			t.Errorf("the violations %q do not name %s", violations, want)
		}
	}
	if v := e2eEval[string](b, `document.getElementById("e-properties").value`); !strings.Contains(v, "rust") {
		t.Errorf("after the violations the properties field holds %q, want what was typed", v)
	}
	b.fill("#e-properties", `{"language": "go", "tier": 3}`)
	b.click(`form[action="/ns/shop/catalog/service#add"] button[type=submit]`)
	b.open("/ns/shop/catalog/service")
	for _, id := range []string{"checkout", "ledger", "search"} {
		if row := b.row(id); len(row) == 0 {
			t.Errorf("the entities table lacks %s", id)
		}
	}
	b.screenshot("catalog-entities")

	// Search by identifier or title, and filter by a property.
	b.fill("#search", "led")
	b.click(`form[role=search] button[type=submit]`)
	if ids := e2eEval[[]string](b, `Array.from(document.querySelectorAll("table.entities tbody tr td:first-child")).map(function (c) { return c.innerText.trim(); })`); strings.Join(ids, ",") != "ledger" {
		t.Errorf("searching for \"led\" lists %q, want ledger", ids)
	}
	if e2eEval[bool](b, `!!document.getElementById("property-language")`) {
		b.fill("#search", "")
		b.fill("#property-language", "go")
		b.click(`form[role=search] button[type=submit]`)
		if ids := e2eEval[[]string](b, `Array.from(document.querySelectorAll("table.entities tbody tr td:first-child")).map(function (c) { return c.innerText.trim(); })`); strings.Join(ids, ",") != "checkout,search" {
			t.Errorf("filtering language = go lists %q, want checkout and search", ids)
		}
	} else {
		t.Error("the entities page has no filter for the property language")
	}

	// An entity's page.
	b.open("/ns/shop/catalog/service/checkout")
	b.wantText("Checkout", "language", "go", "tier", "Provenance", "API", "History")
	b.click(`a[href="/ns/shop/catalog/team/payments"]`)
	b.wantText("Payments")
	b.open("/ns/shop/catalog/service/checkout")
	b.screenshot("catalog-entity")
}
