package webhook

import "net/http"

// gitea reads Gitea's (and Forgejo's and Gogs') deliveries: the event in X-Gitea-Event, the
// body signed with HMAC-SHA256 as bare hex in X-Gitea-Signature (X-Gogs-Signature from
// Gogs). Push payloads have GitHub's shape. Gitea's "Test delivery" sends a push.
type gitea struct{}

func (gitea) Detect(h http.Header, _ []byte) bool {
	return h.Get("X-Gitea-Event") != "" || h.Get("X-Gogs-Event") != ""
}

func (gitea) Verify(secret string, h http.Header, body []byte) error {
	sig := h.Get("X-Gitea-Signature")
	if sig == "" {
		sig = h.Get("X-Gogs-Signature")
	}
	return verifyHMAC(secret, body, sig, "")
}

func (gitea) Parse(h http.Header, payload []byte) (*Event, error) {
	ev := &Event{Name: h.Get("X-Gitea-Event"), Kind: KindOther, DeliveryID: h.Get("X-Gitea-Delivery")}
	if ev.Name == "" {
		ev.Name, ev.DeliveryID = h.Get("X-Gogs-Event"), h.Get("X-Gogs-Delivery")
	}
	if ev.Name == "push" {
		if err := parseGitHubPush(ev, payload); err != nil {
			return nil, invalidPayload("gitea", ev.Name, err)
		}
	}
	return ev, nil
}
