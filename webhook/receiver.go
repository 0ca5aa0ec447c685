package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/ferrygit/ferry"
)

// MaxBodySize is the largest delivery a Receiver reads: 25 MiB, GitHub's cap on payloads.
const MaxBodySize = 25 << 20

// ErrNoWebhook is returned by Receive for a binding that does not exist or takes no
// webhooks; it says no more, so that the receiver's URL tells strangers nothing.
var ErrNoWebhook = ferry.Errorf(ferry.ENOTFOUND, "No webhook is served here.")

// Receiver handles webhook deliveries: it records each one and queues a pull of the binding
// for a verified push to the binding's ref.
type Receiver struct {
	Webhooks ferry.WebhookService
	Sync     ferry.SyncService
	Logger   *slog.Logger
	MaxBody  int64 // the largest body read; MaxBodySize when 0
}

func (rc *Receiver) logger() *slog.Logger {
	if rc.Logger == nil {
		return slog.Default()
	}
	return rc.Logger
}

// Receive handles a delivery r for binding id and returns it as recorded, its verdict
// saying what became of it. Returns ErrNoWebhook for a binding that does not exist or has
// no webhook, and an internal error when the delivery could not be recorded; a delivery
// whose pull could not be queued comes back with VerdictFailed, to be retried.
func (rc *Receiver) Receive(r *http.Request, bindingID int64) (*ferry.Delivery, error) {
	ctx := r.Context()
	b, secret, err := rc.Webhooks.WebhookTarget(ctx, bindingID)
	if ferry.ErrorCode(err) == ferry.ENOTFOUND {
		return nil, ErrNoWebhook
	} else if err != nil {
		return nil, err
	}
	d := &ferry.Delivery{BindingID: b.ID}
	body, payload, msg := rc.read(r)
	// The body is in: finish even if the sender stops waiting, so that what was done is
	// recorded and a retry is recognised.
	ctx = context.WithoutCancel(ctx)
	if msg != "" {
		d.Provider = Identify(r.Header, nil)
		return rc.refuse(ctx, d, ferry.VerdictInvalid, msg)
	}
	d.Provider = Identify(r.Header, payload)
	p, ok := providers[d.Provider]
	if !ok {
		return rc.refuse(ctx, d, ferry.VerdictInvalid, "Ferry cannot tell which provider sent this delivery: it expects the headers of GitHub, "+
			"GitLab, Gitea, Bitbucket or an Azure DevOps service hook's body.")
	}
	if err := p.Verify(secret, r.Header, body); err != nil {
		if ev, err := p.Parse(r.Header, payload); err == nil { // to record what it claimed to be
			d.Event, d.DeliveryID = clip(ev.Name), clip(ev.DeliveryID)
		}
		return rc.refuse(ctx, d, ferry.VerdictRejectedSignature, ferry.ErrorMessage(err))
	}
	ev, err := p.Parse(r.Header, payload)
	if err != nil {
		return rc.refuse(ctx, d, ferry.VerdictInvalid, ferry.ErrorMessage(err))
	}
	if ev.Kind != KindPush && !json.Valid(payload) { // Parse read the whole of a push
		return rc.refuse(ctx, d, ferry.VerdictInvalid, fmt.Sprintf("%s: the payload is not valid JSON.", d.Provider))
	}
	d.Event, d.DeliveryID = clip(ev.Name), clip(ev.DeliveryID)
	return rc.decide(ctx, b, ev, d)
}

// read reads r's body, at most the limit, and the JSON payload in it; msg says what is
// wrong with it, or is "".
func (rc *Receiver) read(r *http.Request) (body, payload []byte, msg string) {
	limit := rc.MaxBody
	if limit <= 0 {
		limit = MaxBodySize
	}
	media, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (media != "application/json" && media != "application/x-www-form-urlencoded") {
		return nil, nil, fmt.Sprintf("Content-Type %q is not accepted: configure the webhook to send application/json.", clip(r.Header.Get("Content-Type")))
	}
	tooLarge := fmt.Sprintf("The delivery is larger than the limit of %s.", ferry.HumanBytes(limit))
	if r.ContentLength > limit {
		return nil, nil, tooLarge
	}
	body, err = io.ReadAll(io.LimitReader(r.Body, limit+1))
	switch {
	case err != nil:
		return nil, nil, "Could not read the delivery: the upload was interrupted."
	case int64(len(body)) > limit:
		return nil, nil, tooLarge
	case media == "application/json":
		return body, body, ""
	}
	form, err := url.ParseQuery(string(body))
	if err != nil || form.Get("payload") == "" {
		return nil, nil, "The form-encoded delivery has no payload field."
	}
	return body, []byte(form.Get("payload")), ""
}

// refuse records a delivery that was not acted on, and logs why: never with its secret,
// signature or body.
func (rc *Receiver) refuse(ctx context.Context, d *ferry.Delivery, verdict, msg string) (*ferry.Delivery, error) {
	d.Verdict, d.Message = verdict, clean(msg, 1000)
	rc.logger().Warn("webhook delivery refused", "binding_id", d.BindingID, "provider", d.Provider, "event", d.Event,
		"delivery", d.DeliveryID, "verdict", verdict, "reason", msg)
	if err := rc.Webhooks.RecordDelivery(ctx, d, false); err != nil {
		return nil, err
	}
	return d, nil
}

// decide acts on a verified event: it records a ping or an ignored event, or queues a pull
// for a push to the binding's ref. A delivery ID seen before is a duplicate: nothing is done.
func (rc *Receiver) decide(ctx context.Context, b *ferry.Binding, ev *Event, d *ferry.Delivery) (*ferry.Delivery, error) {
	switch ev.Kind {
	case KindPing:
		d.Verdict, d.Message = ferry.VerdictPing, "Ping received: the webhook reaches Ferry and is signed with the right secret."
	case KindPush:
		u, why, ok := ev.Match(b.Ref)
		d.Ref, d.Commit = clip(u.Ref), clip(u.After)
		switch {
		case !ok:
			d.Verdict, d.Message = ferry.VerdictIgnored, why
		case !b.Pulls():
			d.Verdict, d.Message = ferry.VerdictIgnored, fmt.Sprintf("Binding %q only pushes; a push to Git starts no pull.", b.Name)
		default:
			d.Verdict, d.Message = ferry.VerdictQueued, why
		}
	default:
		d.Verdict, d.Message = ferry.VerdictIgnored, fmt.Sprintf("Event %q is not a push; only pushes start pulls.", clip(ev.Name))
	}
	d.Message = clean(d.Message, 1000)
	if err := rc.Webhooks.RecordDelivery(ctx, d, true); ferry.ErrorCode(err) == ferry.ECONFLICT {
		d.Verdict, d.Message, d.Ref, d.Commit = ferry.VerdictDuplicate, fmt.Sprintf("Delivery %q was received before; nothing was done again.", d.DeliveryID), "", ""
		return d, rc.Webhooks.RecordDelivery(ctx, d, false)
	} else if err != nil {
		return nil, err
	}
	if d.Verdict != ferry.VerdictQueued {
		return d, nil
	}
	return rc.queue(ctx, b, d)
}

// queue queues a pull of b for a recorded delivery and records the run. When it cannot, the
// delivery fails and gives up its delivery ID, so that the provider's retry is handled.
func (rc *Receiver) queue(ctx context.Context, b *ferry.Binding, d *ferry.Delivery) (*ferry.Delivery, error) {
	run, err := rc.Sync.Pull(ctx, b.Namespace, b.Name, ferry.PullRequest{Trigger: ferry.TriggerWebhook, Actor: "webhook:" + d.Provider})
	release := false
	switch code := ferry.ErrorCode(err); code {
	case "":
		d.Run = run.ID
		d.Message += fmt.Sprintf(" Pull run %d.", run.ID)
	case ferry.EINVALID, ferry.ENOTFOUND:
		d.Verdict, d.Message = ferry.VerdictIgnored, ferry.ErrorMessage(err)
	default:
		rc.logger().Error("webhook: queue a pull", "binding_id", b.ID, "provider", d.Provider, "delivery", d.DeliveryID, "err", err)
		d.Verdict, d.Message, release = ferry.VerdictFailed, "Ferry could not queue the pull: "+ferry.ErrorMessage(err), true
	}
	d.Message = clean(d.Message, 1000)
	if err := rc.Webhooks.UpdateDelivery(ctx, d, release); err != nil {
		return nil, err
	}
	return d, nil
}

// Match returns the update of a push that moved the branch a binding follows: ref is the
// binding's ("main", "refs/heads/main", or "" for the remote's default branch). The string
// says why it matched, or why nothing did. When the binding follows the default branch and
// the payload does not name it, any branch matches: the pull finds out, at the cost of a
// no-op run.
func (ev *Event) Match(ref string) (RefUpdate, string, bool) {
	want := branchRef(ref)
	if want == "" {
		want = ev.DefaultBranch
	}
	var other RefUpdate
	for _, u := range ev.Refs {
		switch {
		case !strings.HasPrefix(u.Ref, "refs/heads/"):
			if other.Ref == "" {
				other = u
			}
		case u.Ref == want:
			return u, fmt.Sprintf("Push to %s.", u.Ref), true
		case want == "":
			return u, fmt.Sprintf("Push to %s; the payload does not say which branch is the default, so Ferry pulls to find out.", u.Ref), true
		case other.Ref == "":
			other = u
		}
	}
	switch {
	case other.Ref == "":
		return other, "The push moved no ref.", false
	case strings.HasPrefix(other.Ref, "refs/tags/"):
		return other, fmt.Sprintf("Push to tag %s; the binding follows %s.", other.Ref, describeRef(want)), false
	}
	return other, fmt.Sprintf("Push to %s; the binding follows %s.", other.Ref, describeRef(want)), false
}

func describeRef(ref string) string {
	if ref == "" {
		return "the default branch"
	}
	return ref
}

// clip shortens what a sender chose to at most 200 bytes of valid UTF-8 without NULs, which
// every database stores and every log shows.
func clip(s string) string { return clean(s, 200) }

// clean returns s as valid UTF-8 without NULs, cut to at most max bytes at a rune boundary.
func clean(s string, max int) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
	if len(s) <= max {
		return s
	}
	for max > 0 && !utf8.RuneStart(s[max]) {
		max--
	}
	return s[:max]
}
