package webhook_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrygit/ferry/webhook"
	"github.com/ferrygit/ferry/webhook/webhooktest"
)

const secret = "s3cret-Ferry-webhook_0123456789abcdefghijklmno"

// TestGitHubSignatureTestVector checks GitHub's published check value for
// X-Hub-Signature-256.
func TestGitHubSignatureTestVector(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(webhooktest.Dir(t), "github", "signature-test-vector.json"))
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Secret, Payload string
		ExpectedHeader  map[string]string `json:"expected_header"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	gh, _ := webhook.Lookup("github")
	h := http.Header{"X-Hub-Signature-256": {v.ExpectedHeader["X-Hub-Signature-256"]}}
	if err := gh.Verify(v.Secret, h, []byte(v.Payload)); err != nil {
		t.Fatalf("the official test vector does not verify: %v", err)
	}
	if err := gh.Verify(v.Secret+" ", h, []byte(v.Payload)); !errors.Is(err, webhook.ErrBadSignature) {
		t.Fatalf("another secret: %v", err)
	}
	if err := gh.Verify(v.Secret, h, []byte(v.Payload+"\n")); !errors.Is(err, webhook.ErrBadSignature) {
		t.Fatalf("another body: %v", err)
	}
}

// fixtureEvents is what each real payload reports: kind, the refs moved (ref@after) and the
// default branch the payload names.
var fixtureEvents = map[string]string{
	"azure-devops/webhook-git.pullrequest.created.json":             "other",
	"azure-devops/webhook-git.pullrequest.updated.json":             "other",
	"azure-devops/webhook-git.push.json":                            "push refs/heads/main@33b55f7cb7e7e245323987634f960cf4a6e6bc74 default=refs/heads/main",
	"azure-devops/webhook-git.repo.deleted.json":                    "other",
	"bitbucket-cloud/webhook-pullrequest-created.json":              "other",
	"bitbucket-cloud/webhook-pullrequest-updated.json":              "other",
	"bitbucket-cloud/webhook-repo-push-branch-created.json":         "push refs/heads/develop@141977fedf5cf35aa290ac87d4b5177ac4cd9de1",
	"bitbucket-cloud/webhook-repo-push-tag-created.json":            "push refs/tags/feature/x@%s",
	"bitbucket-cloud/webhook-repo-push.json":                        "push refs/heads/name-of-branch@709d658dc5b6d6afcd46049c2f332ee3f515a67d",
	"bitbucket-server/webhook-pr-from_ref_updated.json":             "other",
	"bitbucket-server/webhook-pr-modified.json":                     "other",
	"bitbucket-server/webhook-pr-opened.json":                       "other",
	"bitbucket-server/webhook-repo-refs_changed-branch-delete.json": "push refs/heads/feature/wip@0000000000000000000000000000000000000000",
	"bitbucket-server/webhook-repo-refs_changed-branch-update.json": "push refs/heads/master@823b2230a56056231c9425d63758fa87078a66b4",
	"bitbucket-server/webhook-repo-refs_changed-tag-create.json":    "push refs/tags/v1.1.0@823b2230a56056231c9425d63758fa87078a66b4",
	"gitea/webhook-create-branch.json":                              "other",
	"gitea/webhook-create-tag.json":                                 "other",
	"gitea/webhook-delete-branch.json":                              "other",
	"gitea/webhook-pull_request-opened.json":                        "other",
	"gitea/webhook-pull_request-synchronized.json":                  "other",
	"gitea/webhook-push-docs-example.json":                          "push refs/heads/develop@bffeb74224043ba2feb48d137756c8a9331c449a default=refs/heads/master",
	"gitea/webhook-push.json":                                       "push refs/heads/master@67b56589a45103f891bdee7c0546e5d40bc02001 default=refs/heads/master",
	"gitea/webhook-repository-created.json":                         "other",
	"github/webhook-installation-created.json":                      "other",
	"github/webhook-ping-app.json":                                  "ping",
	"github/webhook-ping.json":                                      "ping",
	"github/webhook-pull_request-opened.json":                       "other",
	"github/webhook-pull_request-synchronize.json":                  "other",
	"github/webhook-push-branch-created.json":                       "push refs/heads/master@6113728f27ae82c7b1a177c8d03f9e96e0adf246 default=refs/heads/master",
	"github/webhook-push-branch-update.json":                        "push refs/heads/master@199eddf46df50de8d02e99bf1c5fdb4101338224 default=refs/heads/master",
	"github/webhook-push-tag.json":                                  "push refs/tags/simple-tag@0000000000000000000000000000000000000000 default=refs/heads/master",
	"github/webhook-repository-deleted.json":                        "other",
	"gitlab/system-hook-project-destroy.json":                       "other",
	"gitlab/webhook-merge-request-open.json":                        "other",
	"gitlab/webhook-merge-request-update.json":                      "other",
	"gitlab/webhook-push.json":                                      "push refs/heads/master@da1560886d4f094c3e6c9ef40349f7d38b5d27d7 default=refs/heads/master",
	"gitlab/webhook-tag-push.json":                                  "push refs/tags/v1.0.0@82b3d5ae55f7080f1e6022629cdb57bfae7cccc7 default=refs/heads/master",
}

// summary renders an event as fixtureEvents does.
func summary(ev *webhook.Event) string {
	parts := []string{ev.Kind}
	for _, u := range ev.Refs {
		parts = append(parts, u.Ref+"@"+u.After)
	}
	if ev.DefaultBranch != "" {
		parts = append(parts, "default="+ev.DefaultBranch)
	}
	return strings.Join(parts, " ")
}

// TestFixtures delivers every real payload signed as its provider signs it: exactly its
// provider recognises it, verifies it, and reads from it what the payload says.
func TestFixtures(t *testing.T) {
	files := webhooktest.Files(t)
	if len(files) != len(fixtureEvents) {
		t.Errorf("%d fixtures, %d expectations", len(files), len(fixtureEvents))
	}
	for _, file := range files {
		t.Run(file, func(t *testing.T) {
			d := webhooktest.Load(t, file, secret)
			var detected []string
			for _, name := range webhook.Providers() {
				if p, _ := webhook.Lookup(name); p.Detect(d.Header, d.Body) {
					detected = append(detected, name)
				}
			}
			if len(detected) != 1 || detected[0] != d.Provider || webhook.Identify(d.Header, d.Body) != d.Provider {
				t.Fatalf("detected by %v, want only %s", detected, d.Provider)
			}
			p, _ := webhook.Lookup(d.Provider)
			if err := p.Verify(secret, d.Header, d.Body); err != nil {
				t.Fatalf("verify: %v", err)
			}
			ev, err := p.Parse(d.Header, d.Body)
			if err != nil {
				t.Fatal(err)
			}
			want := fixtureEvents[file]
			if strings.Contains(want, "%s") { // a tag whose commit the test reads from the payload
				want = fmt.Sprintf(want, ev.Refs[0].After)
			}
			if got := summary(ev); got != want {
				t.Errorf("event = %q, want %q", got, want)
			}
			wantID := d.DeliveryID()
			if d.Provider == "azure-devops" {
				var body struct{ ID string }
				json.Unmarshal(d.Body, &body)
				wantID = body.ID
			}
			if ev.DeliveryID != wantID || (wantID == "" && d.Meta.DeliveryIDHeader != nil) {
				t.Errorf("delivery ID = %q, want %q", ev.DeliveryID, wantID)
			}
			if ev.Name == "" {
				t.Error("no event name")
			}
		})
	}
}

// TestVerifyRefuses: a wrong secret, a changed body, a missing or malformed signature are
// each refused, for every provider.
func TestVerifyRefuses(t *testing.T) {
	for _, file := range []string{
		"github/webhook-push-branch-update.json", "gitea/webhook-push.json", "gitlab/webhook-push.json",
		"bitbucket-cloud/webhook-repo-push.json", "bitbucket-server/webhook-repo-refs_changed-branch-update.json",
		"azure-devops/webhook-git.push.json",
	} {
		d := webhooktest.Load(t, file, secret)
		p, _ := webhook.Lookup(d.Provider)
		t.Run(d.Provider, func(t *testing.T) {
			if err := p.Verify("another secret", d.Header, d.Body); !errors.Is(err, webhook.ErrBadSignature) {
				t.Errorf("wrong secret: %v", err)
			}
			if err := p.Verify(secret[:len(secret)-1], d.Header, d.Body); !errors.Is(err, webhook.ErrBadSignature) {
				t.Errorf("a prefix of the secret: %v", err)
			}
			if d.Provider != "gitlab" && d.Provider != "azure-devops" { // they sign no body
				if err := p.Verify(secret, d.Header, append([]byte(" "), d.Body...)); !errors.Is(err, webhook.ErrBadSignature) {
					t.Errorf("changed body: %v", err)
				}
			}
			stripped := d.Header.Clone()
			for _, name := range d.SignatureHeaders() {
				stripped.Del(name)
			}
			if err := p.Verify(secret, stripped, d.Body); !errors.Is(err, webhook.ErrMissingSignature) {
				t.Errorf("no signature: %v", err)
			}
			mangled := d.Header.Clone()
			for _, name := range d.SignatureHeaders() {
				mangled.Set(name, "sha256=zz"+mangled.Get(name))
			}
			if err := p.Verify(secret, mangled, d.Body); !errors.Is(err, webhook.ErrBadSignature) {
				t.Errorf("malformed signature: %v", err)
			}
		})
	}
}

func TestParseRefusesMalformedPushes(t *testing.T) {
	for _, tc := range []struct {
		file, body string
	}{
		{"github/webhook-push-branch-update.json", `{"ref": 7}`},
		{"github/webhook-push-branch-update.json", `{"after": "abc"}`},
		{"gitea/webhook-push.json", `[]`},
		{"gitlab/webhook-push.json", `{"ref": ""}`},
		{"bitbucket-cloud/webhook-repo-push.json", `{"push": {"changes": {}}}`},
		{"bitbucket-cloud/webhook-repo-push.json", `{}`},
		{"bitbucket-server/webhook-repo-refs_changed-branch-update.json", `{"changes": "x"}`},
		{"azure-devops/webhook-git.push.json", `{"eventType": "git.push", "publisherId": "tfs"}`},
	} {
		d := webhooktest.Load(t, tc.file, secret)
		p, _ := webhook.Lookup(d.Provider)
		if ev, err := p.Parse(d.Header, []byte(tc.body)); err == nil {
			t.Errorf("%s: %s parsed as %+v", d.Provider, tc.body, ev)
		} else if !strings.HasPrefix(err.Error(), "ferry error: code=invalid message="+d.Provider+":") {
			t.Errorf("%s: error %v", d.Provider, err)
		}
	}
}

func TestIdentifyUnknown(t *testing.T) {
	for name, h := range map[string]http.Header{
		"no headers":       {},
		"azure, no event":  {},
		"github and gitea": {"X-Github-Event": {"push"}, "X-Gitea-Event": {"push"}},
	} {
		got := webhook.Identify(h, []byte(`{"publisherId": "tfs"}`))
		want := ""
		if name == "github and gitea" {
			want = "gitea" // Gitea sends GitHub's headers too
		}
		if got != want {
			t.Errorf("%s: identified %q, want %q", name, got, want)
		}
	}
}

func TestGitLabIdempotencyKey(t *testing.T) {
	d := webhooktest.Load(t, "gitlab/webhook-push.json", secret)
	gl, _ := webhook.Lookup("gitlab")
	d.Header.Set("Idempotency-Key", "3a427872-00df-429c-9bc9-a9475de2efe4")
	ev, err := gl.Parse(d.Header, d.Body)
	if err != nil || ev.DeliveryID != "3a427872-00df-429c-9bc9-a9475de2efe4" {
		t.Fatalf("delivery ID %q, %v: want the Idempotency-Key, stable across retries", ev.DeliveryID, err)
	}
}

func TestMatch(t *testing.T) {
	main := webhook.RefUpdate{Ref: "refs/heads/main", After: "c1"}
	dev := webhook.RefUpdate{Ref: "refs/heads/dev", After: "c2"}
	tag := webhook.RefUpdate{Ref: "refs/tags/v1", After: "c3"}
	for _, tc := range []struct {
		name     string
		refs     []webhook.RefUpdate
		def      string
		bound    string
		match    bool
		ref, why string
	}{
		{"short name", []webhook.RefUpdate{main}, "", "main", true, "refs/heads/main", "Push to refs/heads/main."},
		{"full name", []webhook.RefUpdate{main}, "", "refs/heads/main", true, "refs/heads/main", ""},
		{"other branch", []webhook.RefUpdate{dev}, "", "main", false, "refs/heads/dev", "Push to refs/heads/dev; the binding follows refs/heads/main."},
		{"tag", []webhook.RefUpdate{tag}, "", "main", false, "refs/tags/v1", "Push to tag refs/tags/v1; the binding follows refs/heads/main."},
		{"tag named like the branch", []webhook.RefUpdate{{Ref: "refs/tags/main"}}, "", "main", false, "refs/tags/main", ""},
		{"one of several", []webhook.RefUpdate{tag, dev, main}, "", "main", true, "refs/heads/main", ""},
		{"default branch named", []webhook.RefUpdate{main}, "refs/heads/main", "", true, "refs/heads/main", ""},
		{"not the default branch", []webhook.RefUpdate{dev}, "refs/heads/main", "", false, "refs/heads/dev", ""},
		{"default branch unknown", []webhook.RefUpdate{dev}, "", "", true, "refs/heads/dev", ""},
		{"default branch unknown, a tag", []webhook.RefUpdate{tag}, "", "", false, "refs/tags/v1", "Push to tag refs/tags/v1; the binding follows the default branch."},
		{"no refs", nil, "", "main", false, "", "The push moved no ref."},
	} {
		ev := &webhook.Event{Kind: webhook.KindPush, Refs: tc.refs, DefaultBranch: tc.def}
		u, why, ok := ev.Match(tc.bound)
		if ok != tc.match || u.Ref != tc.ref || (tc.why != "" && why != tc.why) {
			t.Errorf("%s: Match(%q) = %q, %q, %v; want %q, %q, %v", tc.name, tc.bound, u.Ref, why, ok, tc.ref, tc.why, tc.match)
		}
	}
}
