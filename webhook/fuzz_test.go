package webhook_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/webhook"
	"github.com/ferrygit/ferry/webhook/webhooktest"
)

// fuzzParse fuzzes one provider's parser with the event the fixture's headers name, seeded
// with every real payload of that provider. Whatever the body, Parse returns an event or
// an EINVALID error, never panics, and a push it reads names refs in full.
func fuzzParse(f *testing.F, provider string) {
	var header http.Header
	for _, file := range webhooktest.Files(f) {
		if !strings.HasPrefix(file, provider+"/") {
			continue
		}
		d := webhooktest.Load(f, file, secret)
		f.Add(d.Header.Get(eventHeader(d)), string(d.Body))
		if header == nil {
			header = d.Header
		}
	}
	f.Add("", `{"ref": "refs/heads/main", "after": null}`)
	f.Add("push", `{"push": {"changes": [{"new": null, "old": null}]}, "changes": [{}], "resource": {"refUpdates": [{}]}}`)
	p, _ := webhook.Lookup(provider)
	f.Fuzz(func(t *testing.T, event, body string) {
		h := header.Clone()
		if name := eventHeaderName(provider); name != "" {
			h.Set(name, event)
		}
		p.Detect(h, []byte(body))
		ev, err := p.Parse(h, []byte(body))
		if err != nil {
			if ferry.ErrorCode(err) != ferry.EINVALID {
				t.Fatalf("error %v is not EINVALID", err)
			}
			return
		}
		switch ev.Kind {
		case webhook.KindPush, webhook.KindPing, webhook.KindOther:
		default:
			t.Fatalf("kind %q", ev.Kind)
		}
		if ev.Kind != webhook.KindPush && len(ev.Refs) > 0 {
			t.Fatalf("a %s event with refs %v", ev.Kind, ev.Refs)
		}
		if ev.DefaultBranch != "" && !strings.HasPrefix(ev.DefaultBranch, "refs/") {
			t.Fatalf("default branch %q is not in full", ev.DefaultBranch)
		}
		ev.Match("main")
		ev.Match("")
	})
}

// eventHeaderName is the header that names the event, "" for Azure DevOps.
func eventHeaderName(provider string) string {
	return map[string]string{"github": "X-GitHub-Event", "gitea": "X-Gitea-Event", "gitlab": "X-Gitlab-Event",
		"bitbucket-cloud": "X-Event-Key", "bitbucket-server": "X-Event-Key"}[provider]
}

func eventHeader(d *webhooktest.Delivery) string {
	if d.Meta.EventHeader == nil {
		return ""
	}
	return d.Meta.EventHeader.Name
}

func FuzzParseGitHub(f *testing.F)          { fuzzParse(f, "github") }
func FuzzParseGitea(f *testing.F)           { fuzzParse(f, "gitea") }
func FuzzParseGitLab(f *testing.F)          { fuzzParse(f, "gitlab") }
func FuzzParseBitbucketCloud(f *testing.F)  { fuzzParse(f, "bitbucket-cloud") }
func FuzzParseBitbucketServer(f *testing.F) { fuzzParse(f, "bitbucket-server") }
func FuzzParseAzureDevOps(f *testing.F)     { fuzzParse(f, "azure-devops") }

// FuzzIdentify: whatever the headers and body, at most one provider recognises a request.
func FuzzIdentify(f *testing.F) {
	for _, file := range webhooktest.Files(f) {
		d := webhooktest.Load(f, file, secret)
		var names []string
		for name := range d.Header {
			names = append(names, name)
		}
		f.Add(strings.Join(names, ","), string(d.Body))
	}
	f.Fuzz(func(t *testing.T, names, body string) {
		h := http.Header{}
		for _, name := range strings.Split(names, ",") {
			if name != "" {
				h.Set(name, "x")
			}
		}
		n := 0
		for _, name := range webhook.Providers() {
			if p, _ := webhook.Lookup(name); p.Detect(h, []byte(body)) {
				n++
			}
		}
		if n > 1 {
			t.Fatalf("%d providers recognise headers %q", n, names)
		}
	})
}
