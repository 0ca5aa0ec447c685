package webhook

import (
	"encoding/json"
	"net/http"
)

// github reads GitHub's deliveries: the event in X-GitHub-Event, the body signed with
// HMAC-SHA256 in X-Hub-Signature-256 ("sha256=<hex>"). Gitea and Gogs send X-GitHub-Event
// too, for compatibility, beside their own headers; those are theirs.
type github struct{}

func (github) Detect(h http.Header, _ []byte) bool {
	return h.Get("X-GitHub-Event") != "" && h.Get("X-Gitea-Event") == "" && h.Get("X-Gogs-Event") == ""
}

func (github) Verify(secret string, h http.Header, body []byte) error {
	return verifyHMAC(secret, body, h.Get("X-Hub-Signature-256"), "sha256=")
}

// githubPush is what Ferry reads of a push payload (Gitea's is the same shape).
type githubPush struct {
	Ref        string `json:"ref"`
	After      string `json:"after"`
	Repository struct {
		DefaultBranch string `json:"default_branch"`
	} `json:"repository"`
}

func (github) Parse(h http.Header, payload []byte) (*Event, error) {
	ev := &Event{Name: h.Get("X-GitHub-Event"), Kind: KindOther, DeliveryID: h.Get("X-GitHub-Delivery")}
	switch ev.Name {
	case "ping":
		ev.Kind = KindPing
	case "push":
		if err := parseGitHubPush(ev, payload); err != nil {
			return nil, invalidPayload("github", ev.Name, err)
		}
	}
	return ev, nil
}

// parseGitHubPush reads a GitHub-shaped push payload into ev.
func parseGitHubPush(ev *Event, payload []byte) error {
	var p githubPush
	if err := json.Unmarshal(payload, &p); err != nil {
		return err
	}
	if p.Ref == "" {
		return errNoRef
	}
	ev.Kind = KindPush
	ev.Refs = []RefUpdate{{Ref: p.Ref, After: p.After}}
	ev.DefaultBranch = branchRef(p.Repository.DefaultBranch)
	return nil
}
