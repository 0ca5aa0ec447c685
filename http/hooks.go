package http

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/webhook"
)

// registerHookRoutes registers the webhook receiver, which takes no API token (deliveries
// prove themselves with the binding's secret), and the API routes of webhooks.
func (s *Server) registerHookRoutes(mux *http.ServeMux) {
	s.hooks = &webhook.Receiver{Webhooks: s.Webhooks, Sync: s.Sync, Logger: s.logger()}
	mux.HandleFunc("POST /hooks/{id}", s.handleHook)
	s.api(mux, "POST /api/v1/namespaces/{ns}/bindings/{b}/webhook/rotate", ferry.PermBindingsManage, s.handleRotateWebhook)
	s.api(mux, "GET /api/v1/namespaces/{ns}/bindings/{b}/deliveries", ferry.PermNamespacesRead, s.handleListDeliveries)
}

// WebhookResponse is a binding's webhook as the API shows it. Secret is set only on the
// answer that issued it: the binding's create, the change that turned the webhook on, and
// a rotation.
type WebhookResponse struct {
	*ferry.Webhook
	Secret string `json:"secret,omitempty"`
}

// HookResponse is the answer to a webhook delivery that was not refused.
type HookResponse struct {
	Verdict  string `json:"verdict"` // queued, ignored, duplicate or ping
	Message  string `json:"message"`
	Ignored  string `json:"ignored,omitempty"` // why, when ignored
	Delivery int64  `json:"delivery"`
	Run      int64  `json:"run,omitempty"`
}

// hookStatuses maps the verdicts of deliveries that were not refused to their statuses.
var hookStatuses = map[string]int{
	ferry.VerdictQueued:    http.StatusAccepted,
	ferry.VerdictIgnored:   http.StatusOK,
	ferry.VerdictDuplicate: http.StatusOK,
	ferry.VerdictPing:      http.StatusOK,
}

// hookErrors maps the verdicts of refused deliveries to error codes.
var hookErrors = map[string]string{
	ferry.VerdictRejectedSignature: ferry.EUNAUTHORIZED,
	ferry.VerdictInvalid:           ferry.EINVALID,
	ferry.VerdictFailed:            ferry.EUNAVAILABLE, // 503: providers retry
}

// handleHook receives a webhook delivery for the binding whose ID the path names.
func (s *Server) handleHook(w http.ResponseWriter, r *http.Request) {
	if s.Webhooks == nil || s.Bindings == nil || s.Sync == nil {
		s.writeError(w, r, ferry.Errorf(ferry.EUNAVAILABLE, "This server takes no webhooks."))
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		s.writeError(w, r, webhook.ErrNoWebhook)
		return
	}
	d, err := s.hooks.Receive(r, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if code, refused := hookErrors[d.Verdict]; refused {
		s.writeError(w, r, &ferry.Error{Code: code, Message: d.Message})
		return
	}
	resp := HookResponse{Verdict: d.Verdict, Message: d.Message, Delivery: d.ID, Run: d.Run}
	if d.Verdict == ferry.VerdictIgnored {
		resp.Ignored = d.Message
	}
	writeJSON(w, hookStatuses[d.Verdict], resp)
}

// webhooksReady answers 503 and returns false when the server keeps no webhooks.
func (s *Server) webhooksReady(w http.ResponseWriter, r *http.Request) bool {
	if s.Webhooks == nil || s.Bindings == nil {
		s.writeError(w, r, ferry.Errorf(ferry.EUNAVAILABLE, "This server takes no webhooks."))
		return false
	}
	return true
}

// handleRotateWebhook issues a new secret for a binding's webhook; the old one stops working.
func (s *Server) handleRotateWebhook(w http.ResponseWriter, r *http.Request) {
	if !s.webhooksReady(w, r) {
		return
	}
	ns, name, err := bindingParams(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	b, err := s.Bindings.FindBinding(r.Context(), ns, name)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	old, err := s.Webhooks.FindWebhook(r.Context(), b.ID)
	if ferry.ErrorCode(err) == ferry.ENOTFOUND {
		err = ferry.Errorf(ferry.ENOTFOUND, "Binding %q has no webhook; set \"webhook\":\"manual\" on it first.", name)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if b.HookID != "" {
		s.writeError(w, r, ferry.Errorf(ferry.EINVALID, "Binding %q has a webhook Ferry manages at provider %q; its secret cannot be rotated here.", name, b.Provider))
		return
	}
	resp, err := s.issueWebhook(r.Context(), b.ID, old.Mode)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) handleListDeliveries(w http.ResponseWriter, r *http.Request) {
	if !s.webhooksReady(w, r) {
		return
	}
	ns, name, err := bindingParams(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	page, err := pageParams(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	items, next, err := s.Webhooks.ListDeliveries(r.Context(), ns, name, page)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeList(w, items, next)
}

// checkWebhookMode returns EINVALID unless mode is one a binding request may ask for: "" or
// none (no webhook), or manual.
func checkWebhookMode(mode string) error {
	switch mode {
	case "", ferry.WebhookNone, ferry.WebhookManual:
		return nil
	case ferry.WebhookManaged:
		return ferry.Errorf(ferry.EINVALID, "Webhook managed needs a binding made through a provider connection; use manual to paste the URL and secret into the provider yourself.")
	}
	return ferry.ValidateWebhookMode(mode)
}

// setWebhook gives binding b the webhook mode asks for. Turning a webhook on, or changing
// its mode, issues a secret, which the answer shows; asking again for the mode it has
// changes nothing. "" and none remove it.
func (s *Server) setWebhook(ctx context.Context, b *ferry.Binding, mode string) (*WebhookResponse, error) {
	if err := checkWebhookMode(mode); err != nil {
		return nil, err
	}
	if s.Webhooks == nil {
		return nil, ferry.Errorf(ferry.EUNAVAILABLE, "This server takes no webhooks.")
	}
	if mode == "" || mode == ferry.WebhookNone {
		if err := s.Webhooks.DeleteWebhook(ctx, b.ID); err != nil && ferry.ErrorCode(err) != ferry.ENOTFOUND {
			return nil, err
		}
		return nil, nil
	}
	old, err := s.findWebhook(ctx, b.ID)
	if err != nil || (old != nil && old.Mode == mode) {
		return old, err
	}
	return s.issueWebhook(ctx, b.ID, mode)
}

// issueWebhook stores a webhook with a new secret and returns it with the secret.
func (s *Server) issueWebhook(ctx context.Context, bindingID int64, mode string) (*WebhookResponse, error) {
	secret := ferry.NewWebhookSecret()
	wh := &ferry.Webhook{BindingID: bindingID, Mode: mode}
	if err := s.Webhooks.PutWebhook(ctx, wh, secret); err != nil {
		return nil, err
	}
	wh.URL = s.hookURL(bindingID)
	return &WebhookResponse{Webhook: wh, Secret: secret}, nil
}

// findWebhook returns a binding's webhook without its secret, or nil if it has none or the
// server keeps no webhooks.
func (s *Server) findWebhook(ctx context.Context, bindingID int64) (*WebhookResponse, error) {
	if s.Webhooks == nil {
		return nil, nil
	}
	wh, err := s.Webhooks.FindWebhook(ctx, bindingID)
	if ferry.ErrorCode(err) == ferry.ENOTFOUND {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	wh.URL = s.hookURL(bindingID)
	return &WebhookResponse{Webhook: wh}, nil
}

// Binder makes bindings through provider connections: gitsync.Binder.
type Binder interface {
	CreateBinding(ctx context.Context, b *ferry.Binding, opts ferry.BindOptions) (*ferry.Run, string, error)
	UpdateBinding(ctx context.Context, ns, name string, u ferry.BindingUpdate) (*ferry.Binding, error)
	DeleteBinding(ctx context.Context, ns, name string) error
}

// HookURL returns the URL at which providers deliver a binding's webhooks.
func (s *Server) HookURL(bindingID int64) string { return s.hookURL(bindingID) }

// hookURL returns the URL at which providers deliver a binding's webhooks.
func (s *Server) hookURL(bindingID int64) string {
	base := s.PublicURL
	if base == "" {
		base = s.URL()
	}
	return strings.TrimSuffix(base, "/") + "/hooks/" + strconv.FormatInt(bindingID, 10)
}
