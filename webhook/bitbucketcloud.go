package webhook

import (
	"encoding/json"
	"net/http"
)

// bitbucketCloud reads Bitbucket Cloud's deliveries: the event in X-Event-Key, the delivery
// in X-Request-UUID, the webhook in X-Hook-UUID (Bitbucket Data Center sends neither), the
// body signed with HMAC-SHA256 in X-Hub-Signature ("sha256=<hex>") when the webhook has a
// secret — which Ferry requires.
type bitbucketCloud struct{}

func (bitbucketCloud) Detect(h http.Header, _ []byte) bool {
	return h.Get("X-Event-Key") != "" && (h.Get("X-Request-UUID") != "" || h.Get("X-Hook-UUID") != "")
}

func (bitbucketCloud) Verify(secret string, h http.Header, body []byte) error {
	return verifyHMAC(secret, body, h.Get("X-Hub-Signature"), "sha256=")
}

// bitbucketRef is one side of a change of a repo:push.
type bitbucketRef struct {
	Type   string `json:"type"` // branch, tag (annotated_tag, bookmark, named_branch: not Git branches)
	Name   string `json:"name"`
	Target struct {
		Hash string `json:"hash"`
	} `json:"target"`
}

type bitbucketPush struct {
	Push *struct {
		Changes []struct {
			New *bitbucketRef `json:"new"` // null when the push deleted the ref
			Old *bitbucketRef `json:"old"` // null when the push created it
		} `json:"changes"`
	} `json:"push"`
}

func (bitbucketCloud) Parse(h http.Header, payload []byte) (*Event, error) {
	ev := &Event{Name: h.Get("X-Event-Key"), Kind: KindOther, DeliveryID: h.Get("X-Request-UUID")}
	switch ev.Name {
	case "diagnostics:ping":
		ev.Kind = KindPing
	case "repo:push":
		var p bitbucketPush
		if err := json.Unmarshal(payload, &p); err != nil {
			return nil, invalidPayload("bitbucket-cloud", ev.Name, err)
		}
		if p.Push == nil {
			return nil, invalidPayload("bitbucket-cloud", ev.Name, errNoRef)
		}
		ev.Kind = KindPush
		for _, c := range p.Push.Changes {
			side, after := c.New, ""
			if side == nil {
				side = c.Old
			} else {
				after = side.Target.Hash
			}
			if side == nil {
				continue
			}
			ref := side.Name
			switch side.Type {
			case "branch":
				ref = "refs/heads/" + ref
			case "tag", "annotated_tag":
				ref = "refs/tags/" + ref
			}
			ev.Refs = append(ev.Refs, RefUpdate{Ref: ref, After: after})
		}
	}
	return ev, nil
}
