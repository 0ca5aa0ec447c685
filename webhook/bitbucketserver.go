package webhook

import (
	"encoding/json"
	"net/http"
)

// bitbucketServer reads Bitbucket Data Center's (formerly Server's) deliveries: the event in
// X-Event-Key, the delivery in X-Request-Id, the body signed with HMAC-SHA256 in
// X-Hub-Signature ("sha256=<hex>"). "Test connection" sends diagnostics:ping.
type bitbucketServer struct{}

func (bitbucketServer) Detect(h http.Header, _ []byte) bool {
	return h.Get("X-Event-Key") != "" && h.Get("X-Request-UUID") == "" && h.Get("X-Hook-UUID") == ""
}

func (bitbucketServer) Verify(secret string, h http.Header, body []byte) error {
	return verifyHMAC(secret, body, h.Get("X-Hub-Signature"), "sha256=")
}

type bitbucketServerPush struct {
	Changes *[]struct {
		RefID  string `json:"refId"`
		ToHash string `json:"toHash"`
	} `json:"changes"`
}

func (bitbucketServer) Parse(h http.Header, payload []byte) (*Event, error) {
	ev := &Event{Name: h.Get("X-Event-Key"), Kind: KindOther, DeliveryID: h.Get("X-Request-Id")}
	switch ev.Name {
	case "diagnostics:ping":
		ev.Kind = KindPing
	case "repo:refs_changed":
		var p bitbucketServerPush
		if err := json.Unmarshal(payload, &p); err != nil {
			return nil, invalidPayload("bitbucket-server", ev.Name, err)
		}
		if p.Changes == nil {
			return nil, invalidPayload("bitbucket-server", ev.Name, errNoRef)
		}
		ev.Kind = KindPush
		for _, c := range *p.Changes {
			if c.RefID != "" {
				ev.Refs = append(ev.Refs, RefUpdate{Ref: c.RefID, After: c.ToHash})
			}
		}
	}
	return ev, nil
}
