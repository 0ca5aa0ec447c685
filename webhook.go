package ferry

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"time"
)

// The webhook modes of a binding. A binding without a webhook is polled only; one with a
// webhook is still polled on its schedule, which catches what a webhook missed.
const (
	WebhookManual  = "manual"  // the user pastes Ferry's URL and secret into the provider or a CI job
	WebhookManaged = "managed" // Ferry creates and removes the hook through a provider connection
	WebhookNone    = "none"    // on a change: remove the webhook
)

// ValidateWebhookMode returns EINVALID unless mode is manual or managed.
func ValidateWebhookMode(mode string) error {
	switch mode {
	case WebhookManual, WebhookManaged:
		return nil
	}
	return Errorf(EINVALID, "Webhook %q is not one of manual, managed or none.", clip(mode))
}

// Webhook is a binding's webhook as the API shows it: never its secret, which is shown once
// when it is issued.
type Webhook struct {
	BindingID int64     `json:"-"`
	Mode      string    `json:"mode"`
	URL       string    `json:"url"` // where the provider sends deliveries; set by the HTTP layer
	CreatedAt time.Time `json:"created_at"`
	RotatedAt time.Time `json:"rotated_at,omitzero"` // when the secret was last replaced; zero if never
}

// NewWebhookSecret returns a new random webhook secret: 32 bytes, base64url without padding.
func NewWebhookSecret() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// The verdicts of a webhook delivery.
const (
	VerdictQueued            = "queued"             // a push to the bound ref: a pull was queued (or joined one waiting)
	VerdictIgnored           = "ignored"            // verified, but not a push to the bound ref
	VerdictDuplicate         = "duplicate"          // a delivery ID seen before: nothing done
	VerdictPing              = "ping"               // a ping or test event
	VerdictRejectedSignature = "rejected_signature" // a missing or wrong signature, token or password
	VerdictInvalid           = "invalid"            // unreadable: wrong content type, too large, malformed, unknown sender
	VerdictFailed            = "failed"             // Ferry could not queue the pull; the provider may retry
)

// Delivery is one webhook request received for a binding, whatever became of it.
type Delivery struct {
	ID         int64     `json:"id"`
	BindingID  int64     `json:"-"`
	ReceivedAt time.Time `json:"received_at"`
	Provider   string    `json:"provider,omitempty"`    // github, gitlab, gitea, bitbucket-cloud, bitbucket-server, azure-devops
	Event      string    `json:"event,omitempty"`       // the provider's event name, such as push or "Push Hook"
	DeliveryID string    `json:"delivery_id,omitempty"` // the provider's ID of the delivery, for idempotency
	Ref        string    `json:"ref,omitempty"`         // for a push: the ref it moved that decided the verdict
	Commit     string    `json:"commit,omitempty"`      // and the commit it moved to
	Verdict    string    `json:"verdict"`
	Message    string    `json:"message,omitempty"`
	Run        int64     `json:"run,omitempty"` // the pull queued (or joined)
}

// WebhookService stores bindings' webhooks, their secrets sealed, and their deliveries.
type WebhookService interface {
	// PutWebhook gives binding w.BindingID a webhook in w.Mode whose secret is secret,
	// replacing the webhook it had (its RotatedAt is then set), and sets w's times. Returns
	// ENOTFOUND for an unknown binding.
	PutWebhook(ctx context.Context, w *Webhook, secret string) error

	// FindWebhook returns binding id's webhook. Returns ENOTFOUND if it has none.
	FindWebhook(ctx context.Context, bindingID int64) (*Webhook, error)

	// DeleteWebhook removes binding id's webhook. Returns ENOTFOUND if it has none.
	DeleteWebhook(ctx context.Context, bindingID int64) error

	// WebhookTarget returns, for the receiver only, the binding that binding id's webhook
	// delivers to, with its ID, namespace, name, ref and direction (not its status), and the
	// webhook's opened secret. Returns ENOTFOUND if the binding does not exist or has no
	// webhook.
	WebhookTarget(ctx context.Context, bindingID int64) (*Binding, string, error)

	// RecordDelivery stores d and sets its ID and time. With claim set, d.DeliveryID is
	// claimed for the binding: returns ECONFLICT, storing nothing, if a delivery claimed it
	// before (a replay).
	RecordDelivery(ctx context.Context, d *Delivery, claim bool) error

	// UpdateDelivery stores d's verdict, message and run; release drops its claim, so that
	// the provider's retry of the same delivery is handled afresh.
	UpdateDelivery(ctx context.Context, d *Delivery, release bool) error

	// ListDeliveries returns one page of a binding's deliveries, newest first. Returns
	// ENOTFOUND for an unknown binding.
	ListDeliveries(ctx context.Context, ns, binding string, page Page) ([]*Delivery, string, error)
}
