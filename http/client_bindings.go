package http

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/ferrygit/ferry"
)

// bindingPath returns the escaped API path of binding name of namespace ns, followed by more.
func bindingPath(ns, name string, more ...string) string {
	return nsPath(ns, append([]string{"bindings", name}, more...)...)
}

// send sends req with v as its JSON body, unless v is nil, and decodes the answer into out.
func (c *Client) send(ctx context.Context, req request, v, out any) (int, error) {
	if v != nil {
		body, err := jsonBody(v)
		if err != nil {
			return 0, err
		}
		req.body, req.json = body, true
	}
	return c.call(ctx, req, out)
}

// CreateBinding creates a binding in namespace ns and returns it with its first pull, when
// one was queued.
func (c *Client) CreateBinding(ctx context.Context, ns string, req BindingRequest) (*BindingResponse, error) {
	var out BindingResponse
	if _, err := c.send(ctx, request{method: http.MethodPost, path: nsPath(ns, "bindings")}, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// CreateNamespaceWithMirror creates namespace name and its first binding in one call: both
// or neither.
func (c *Client) CreateNamespaceWithMirror(ctx context.Context, name string, mirror BindingRequest) (*MirroredNamespace, error) {
	var out MirroredNamespace
	body := createNamespaceRequest{Name: name, Mirror: &mirror}
	if _, err := c.send(ctx, request{method: http.MethodPost, path: "/namespaces"}, body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListBindings returns one page of namespace ns's bindings, by name, and the cursor of the
// next page.
func (c *Client) ListBindings(ctx context.Context, ns string, page ferry.Page) ([]*ferry.Binding, string, error) {
	return list[*ferry.Binding](ctx, c, nsPath(ns, "bindings"), pageQuery(page))
}

// FindBinding returns a binding with its status.
func (c *Client) FindBinding(ctx context.Context, ns, name string) (*ferry.Binding, error) {
	var b ferry.Binding
	if _, err := c.call(ctx, request{method: http.MethodGet, path: bindingPath(ns, name)}, &b); err != nil {
		return nil, err
	}
	return &b, nil
}

// UpdateBinding changes the fields u sets and returns the binding.
func (c *Client) UpdateBinding(ctx context.Context, ns, name string, u ferry.BindingUpdate) (*ferry.Binding, error) {
	var b ferry.Binding
	if _, err := c.send(ctx, request{method: http.MethodPatch, path: bindingPath(ns, name)}, u, &b); err != nil {
		return nil, err
	}
	return &b, nil
}

// DeleteBinding removes a binding with its runs.
func (c *Client) DeleteBinding(ctx context.Context, ns, name string) error {
	_, err := c.call(ctx, request{method: http.MethodDelete, path: bindingPath(ns, name)}, nil)
	return err
}

// CheckBinding checks that the server can reach a binding's repository and ref with its
// credential. A failure of the remote is in the result, not an error.
func (c *Client) CheckBinding(ctx context.Context, ns, name string) (*ferry.CheckResult, error) {
	var res ferry.CheckResult
	if _, err := c.call(ctx, request{method: http.MethodPost, path: bindingPath(ns, name, "check")}, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// Pull queues a pull of a binding, forced to apply even an unchanged commit when force is
// set, and returns its run. With wait it returns the run once it is done, or as it is when
// the server's wait ends first: up to ctx's deadline (at most MaxWaitTimeout seconds) when
// ctx has one, else DefaultWaitTimeout seconds. The run's State tells which.
func (c *Client) Pull(ctx context.Context, ns, name string, force, wait bool) (*ferry.Run, error) {
	req := request{method: http.MethodPost, path: bindingPath(ns, name, "pull"), query: waitQuery(ctx, wait)}
	var run ferry.Run
	if _, err := c.send(ctx, req, ferry.PullRequest{Force: force}, &run); err != nil {
		return nil, err
	}
	return &run, nil
}

// Sync queues a pull of every pulling binding of namespace ns at or under dir ("" for all),
// as CI does after a merge, and returns the runs; force and wait work as for Pull.
func (c *Client) Sync(ctx context.Context, ns, dir string, force, wait bool) ([]*ferry.Run, error) {
	q := waitQuery(ctx, wait)
	if dir != "" {
		q.Set("directory", dir)
	}
	if force {
		q.Set("force", "true")
	}
	var out listResponse[*ferry.Run]
	if _, err := c.call(ctx, request{method: http.MethodPost, path: nsPath(ns, "sync"), query: q}, &out); err != nil {
		return nil, err
	}
	return out.Items, nil
}

// waitQuery returns the query of a request that waits for its runs when wait is set: the
// server waits until a second before ctx's deadline, so that it answers before the client
// gives up.
func waitQuery(ctx context.Context, wait bool) url.Values {
	q := url.Values{}
	if !wait {
		return q
	}
	q.Set("wait", "true")
	if d, ok := ctx.Deadline(); ok {
		secs := int(time.Until(d)/time.Second) - 1
		q.Set("timeout", strconv.Itoa(min(max(secs, 1), MaxWaitTimeout)))
	}
	return q
}

// ListRuns returns one page of a binding's runs, newest first, and the cursor of the next.
func (c *Client) ListRuns(ctx context.Context, ns, name string, page ferry.Page) ([]*ferry.Run, string, error) {
	return list[*ferry.Run](ctx, c, bindingPath(ns, name, "runs"), pageQuery(page))
}

// FindRun returns run id of a binding with its step log.
func (c *Client) FindRun(ctx context.Context, ns, name string, id int64) (*ferry.Run, error) {
	var run ferry.Run
	if _, err := c.call(ctx, request{method: http.MethodGet, path: bindingPath(ns, name, "runs", itoa(id))}, &run); err != nil {
		return nil, err
	}
	return &run, nil
}
