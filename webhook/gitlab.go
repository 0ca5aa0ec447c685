package webhook

import (
	"encoding/json"
	"net/http"
)

// gitlab reads GitLab's deliveries: the event in X-Gitlab-Event ("Push Hook", "Tag Push
// Hook", …), the secret token sent as is in X-Gitlab-Token. A retry keeps its
// Idempotency-Key; older GitLab sends only X-Gitlab-Event-UUID. The "Test" button sends a
// sample of the event chosen, such as a push.
type gitlab struct{}

func (gitlab) Detect(h http.Header, _ []byte) bool { return h.Get("X-Gitlab-Event") != "" }

func (gitlab) Verify(secret string, h http.Header, _ []byte) error {
	return verifyToken(secret, h.Get("X-Gitlab-Token"))
}

type gitlabPush struct {
	ObjectKind string `json:"object_kind"`
	Ref        string `json:"ref"`
	After      string `json:"after"`
	Project    struct {
		DefaultBranch string `json:"default_branch"`
	} `json:"project"`
}

func (gitlab) Parse(h http.Header, payload []byte) (*Event, error) {
	ev := &Event{Name: h.Get("X-Gitlab-Event"), Kind: KindOther, DeliveryID: h.Get("Idempotency-Key")}
	if ev.DeliveryID == "" {
		ev.DeliveryID = h.Get("X-Gitlab-Event-UUID")
	}
	if ev.Name != "Push Hook" && ev.Name != "Tag Push Hook" {
		return ev, nil
	}
	var p gitlabPush
	if err := json.Unmarshal(payload, &p); err != nil {
		return nil, invalidPayload("gitlab", ev.Name, err)
	}
	if p.Ref == "" {
		return nil, invalidPayload("gitlab", ev.Name, errNoRef)
	}
	ev.Kind = KindPush
	ev.Refs = []RefUpdate{{Ref: branchRef(p.Ref), After: p.After}}
	ev.DefaultBranch = branchRef(p.Project.DefaultBranch)
	return ev, nil
}
