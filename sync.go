package ferry

import "context"

// PullRequest says who asks for a pull and how.
type PullRequest struct {
	Force   bool   `json:"force"` // pull even when the remote commit is the one applied
	Trigger string `json:"-"`     // TriggerAPI, TriggerUI, TriggerWebhook, TriggerSchedule
	Actor   string `json:"-"`
}

// SyncService manages bindings and the runs that carry them out. Reads of bindings and runs
// go to BindingService and RunService; what changes them, and may start Git work, comes here.
type SyncService interface {
	// CreateBinding validates and stores a binding (schedule, URL policy and all) and, when
	// it pulls, queues its first pull, which it returns (nil otherwise). Returns EINVALID,
	// ENOTFOUND for an unknown namespace or credential, ECONFLICT for a taken name or an
	// overlapping directory.
	CreateBinding(ctx context.Context, b *Binding, actor string) (*Run, error)

	// UpdateBinding applies u to a binding and returns it. Errors as CreateBinding.
	UpdateBinding(ctx context.Context, ns, name string, u BindingUpdate) (*Binding, error)

	// DeleteBinding removes a binding with its runs. Returns ENOTFOUND if there is none.
	DeleteBinding(ctx context.Context, ns, name string) error

	// CheckBinding runs "check availability" for a binding's URL, ref and credential.
	CheckBinding(ctx context.Context, ns, name string) (*CheckResult, error)

	// Pull queues a pull of a binding, or returns the one already waiting (coalesced).
	// Returns ENOTFOUND for an unknown binding and EINVALID for a push-only binding.
	Pull(ctx context.Context, ns, name string, req PullRequest) (*Run, error)

	// Sync queues a pull of every pulling binding at or under dir ("" for all) of a
	// namespace, as CI does after a merge. Returns ENOTFOUND for an unknown namespace.
	Sync(ctx context.Context, ns, dir string, req PullRequest) ([]*Run, error)

	// WaitRun waits until run id is done, or ctx ends, and returns it.
	WaitRun(ctx context.Context, id int64) (*Run, error)
}
