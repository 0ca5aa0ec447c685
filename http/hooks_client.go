package http

import (
	"context"
	"net/http"

	"github.com/ferrygit/ferry"
)

// SetWebhook turns a binding's webhook on ("manual") or off ("none") and returns the
// binding with it: with its secret when this call issued one.
func (c *Client) SetWebhook(ctx context.Context, ns, name, mode string) (*BindingResponse, error) {
	var out BindingResponse
	body := map[string]string{"webhook": mode}
	if _, err := c.send(ctx, request{method: http.MethodPatch, path: bindingPath(ns, name)}, body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// FindWebhook returns a binding's webhook, without its secret; nil if it has none.
func (c *Client) FindWebhook(ctx context.Context, ns, name string) (*WebhookResponse, error) {
	var out BindingResponse
	if _, err := c.call(ctx, request{method: http.MethodGet, path: bindingPath(ns, name)}, &out); err != nil {
		return nil, err
	}
	return out.Webhook, nil
}

// RotateWebhook issues a new secret for a binding's webhook and returns the webhook with it.
func (c *Client) RotateWebhook(ctx context.Context, ns, name string) (*WebhookResponse, error) {
	var out WebhookResponse
	if _, err := c.call(ctx, request{method: http.MethodPost, path: bindingPath(ns, name, "webhook", "rotate")}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListDeliveries returns one page of a binding's webhook deliveries, newest first, and the
// cursor of the next.
func (c *Client) ListDeliveries(ctx context.Context, ns, name string, page ferry.Page) ([]*ferry.Delivery, string, error) {
	return list[*ferry.Delivery](ctx, c, bindingPath(ns, name, "deliveries"), pageQuery(page))
}
