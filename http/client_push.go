package http

import (
	"context"
	"net/http"

	"github.com/ferrygit/ferry"
)

// Push queues a push of a binding's directory to its branch, as a commit with req's message
// and, when req.Tag is set, an annotated tag on it, and returns its run. req.DryRun is
// ignored: PlanPush does dry runs. With wait it returns the run once it is done, or as it is
// when the server's wait ends first, as Pull does. A request that could never run, such as
// one with a tag name Git refuses, is an EINVALID error naming the rule, and nothing is queued.
func (c *Client) Push(ctx context.Context, ns, name string, req ferry.PushRequest, wait bool) (*ferry.Run, error) {
	req.DryRun = false
	var run ferry.Run
	if _, err := c.send(ctx, request{method: http.MethodPost, path: bindingPath(ns, name, "push"), query: waitQuery(ctx, wait)}, req, &run); err != nil {
		return nil, err
	}
	return &run, nil
}

// PlanPush returns what a push of a binding with req would do, without writing anything:
// the paths it would add, modify and delete on the branch, and whether it would conflict.
func (c *Client) PlanPush(ctx context.Context, ns, name string, req ferry.PushRequest) (*ferry.SyncPlan, error) {
	req.DryRun = true
	var plan ferry.SyncPlan
	if _, err := c.send(ctx, request{method: http.MethodPost, path: bindingPath(ns, name, "push")}, req, &plan); err != nil {
		return nil, err
	}
	return &plan, nil
}

// PlanPull returns what a pull of a binding, forced when force is set, would change in the
// namespace, without changing anything.
func (c *Client) PlanPull(ctx context.Context, ns, name string, force bool) (*ferry.SyncPlan, error) {
	var plan ferry.SyncPlan
	if _, err := c.send(ctx, request{method: http.MethodPost, path: bindingPath(ns, name, "pull")}, pullBody{Force: force, DryRun: true}, &plan); err != nil {
		return nil, err
	}
	return &plan, nil
}
