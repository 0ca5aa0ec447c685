package webhook

import (
	"encoding/json"
	"net/http"
)

// azureDevOps reads Azure DevOps service-hook deliveries. They name neither their sender nor
// their event in a header: the body has publisherId ("tfs") and eventType ("git.push"), and
// its id identifies the delivery. They carry no signature; the subscription sends the
// secret as the password of HTTP basic authentication (any username, "ferry" by
// convention).
type azureDevOps struct{}

// azureEnvelope is what every service-hook payload has.
type azureEnvelope struct {
	ID          string `json:"id"`
	EventType   string `json:"eventType"`
	PublisherID string `json:"publisherId"`
}

// Detect decodes the body, so it checks first that no provider that names itself in a
// header sent it.
func (azureDevOps) Detect(h http.Header, payload []byte) bool {
	for _, name := range []string{"X-GitHub-Event", "X-Gitea-Event", "X-Gogs-Event", "X-Gitlab-Event", "X-Event-Key"} {
		if h.Get(name) != "" {
			return false
		}
	}
	var env azureEnvelope
	return json.Unmarshal(payload, &env) == nil && env.PublisherID != "" && env.EventType != ""
}

func (azureDevOps) Verify(secret string, h http.Header, _ []byte) error {
	if h.Get("Authorization") == "" {
		return ErrMissingSignature
	}
	_, password, ok := (&http.Request{Header: h}).BasicAuth()
	if !ok {
		return ErrBadSignature
	}
	return verifyToken(secret, password)
}

type azurePush struct {
	azureEnvelope
	Resource *struct {
		RefUpdates []struct {
			Name        string `json:"name"`
			NewObjectID string `json:"newObjectId"`
		} `json:"refUpdates"`
		Repository struct {
			DefaultBranch string `json:"defaultBranch"`
		} `json:"repository"`
	} `json:"resource"`
}

func (azureDevOps) Parse(_ http.Header, payload []byte) (*Event, error) {
	var p azurePush
	if err := json.Unmarshal(payload, &p); err != nil {
		return nil, invalidPayload("azure-devops", "service hook", err)
	}
	ev := &Event{Name: p.EventType, Kind: KindOther, DeliveryID: p.ID}
	switch {
	// The service-hook "Test" sends a sample of the subscribed event, which is handled as
	// that event. A test publisher is a ping; no published payload shows one, so this is
	// a guess that costs nothing when wrong.
	case p.PublisherID == "test" || p.EventType == "service.hook.test":
		ev.Kind = KindPing
	case p.EventType == "git.push":
		if p.Resource == nil {
			return nil, invalidPayload("azure-devops", ev.Name, errNoRef)
		}
		ev.Kind = KindPush
		for _, u := range p.Resource.RefUpdates {
			ev.Refs = append(ev.Refs, RefUpdate{Ref: u.Name, After: u.NewObjectID})
		}
		ev.DefaultBranch = branchRef(p.Resource.Repository.DefaultBranch)
	}
	return ev, nil
}
