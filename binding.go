package ferry

import (
	"context"
	"strings"
	"time"
)

// The directions a binding syncs in.
const (
	DirectionPull = "pull" // Git → namespace
	DirectionPush = "push" // namespace → Git
	DirectionBoth = "both"
)

// The states of a binding, as its status shows them.
const (
	StateIdle    = "idle"    // no run yet
	StateQueued  = "queued"  // a run waits for a worker
	StateRunning = "running" // a run is under way
	StateOK      = "ok"      // the last run succeeded
	StateFailed  = "failed"  // the last run failed in a way that a retry may fix; one is scheduled
	StateStalled = "stalled" // the last run failed in a way only the user can fix; no retry until the binding or its credential changes
)

// Binding links a namespace directory to a path at a ref of a Git repository ("git version
// control", "mirror").
type Binding struct {
	ID         int64  `json:"id"`
	Namespace  string `json:"namespace"`
	Name       string `json:"name"`
	Directory  string `json:"directory"`            // in the namespace: "" is the root
	URL        string `json:"url"`                  // the remote, as ParseRemoteURL reads it
	Ref        string `json:"ref"`                  // a branch ("main" or "refs/heads/main"); "" for the remote's default branch
	Path       string `json:"path"`                 // in the repository: "" is the root
	Credential string `json:"credential,omitempty"` // a credential's name; "" for a public remote
	Direction  string `json:"direction"`
	Schedule   string `json:"schedule,omitempty"` // a cron expression; "" for no polling
	// Provider and Repository name the provider connection and repository the binding was
	// made through, instead of a URL; URL is then resolved from the provider's list.
	Provider   string `json:"provider,omitempty"`
	Repository string `json:"repository,omitempty"`
	// HookID and DeployKeyID are the provider's ids of the webhook and deploy key Ferry
	// created for the binding; "" when there is none.
	HookID      string `json:"hook_id,omitempty"`
	DeployKeyID string `json:"deploy_key_id,omitempty"`
	// Entities, when set, makes every pull read the catalog entities in the files its glob
	// selects.
	Entities *EntitySpec `json:"entities,omitempty"`
	// ProviderError is the last failure creating or removing the webhook or deploy key at
	// the provider; "" once that succeeds.
	ProviderError string    `json:"provider_error,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`

	Status BindingStatus `json:"status"`
}

// BindingStatus is what a binding's runs have done: its "mirror info".
type BindingStatus struct {
	State               string     `json:"state"`
	LastRun             int64      `json:"last_run,omitempty"`
	LastCommit          string     `json:"last_commit,omitempty"`   // the commit last applied or pushed
	LastRevision        int64      `json:"last_revision,omitempty"` // the namespace revision that holds it
	LastSuccessAt       *time.Time `json:"last_success_at,omitempty"`
	NextRunAt           *time.Time `json:"next_run_at,omitempty"` // the next scheduled poll
	ConsecutiveFailures int        `json:"consecutive_failures"`
	LastError           *RunError  `json:"last_error,omitempty"`
	// Ahead: the directory changed in the namespace since the last sync. Behind: the branch
	// was last seen at another commit than the one synced.
	Ahead        bool   `json:"ahead"`
	Behind       bool   `json:"behind"`
	RemoteCommit string `json:"remote_commit,omitempty"` // the branch's head when last looked at
	// EntityCommit is the commit whose entity files the catalog holds, for a binding with
	// an entity glob; "" before the first import.
	EntityCommit string `json:"entity_commit,omitempty"`
}

// Validate returns EINVALID for a binding whose fields cannot work. It normalises the
// directory and path ("/services/" becomes "services") and the direction's default. The
// schedule is checked by the schedule package, above storage.
func (b *Binding) Validate() error {
	if err := ValidateNamespaceName(b.Name); err != nil {
		return Errorf(EINVALID, "Binding name: %s", ErrorMessage(err))
	}
	b.Directory, b.Path = CleanDir(b.Directory), CleanDir(b.Path)
	if err := ValidateDir(b.Directory); err != nil {
		return Errorf(EINVALID, "Directory: %s", ErrorMessage(err))
	}
	if err := ValidateDir(b.Path); err != nil {
		return Errorf(EINVALID, "Path: %s", ErrorMessage(err))
	}
	if b.Provider != "" || b.Repository != "" {
		if err := ValidateNamespaceName(b.Provider); err != nil {
			return Errorf(EINVALID, "Provider name: %s", ErrorMessage(err))
		}
		if err := ValidateRepositoryName(b.Repository); err != nil {
			return err
		}
	}
	if b.URL == "" && b.Provider != "" {
		// resolved from the provider's repository list before the binding is stored
	} else if b.URL == "" {
		return Errorf(EINVALID, "URL is required: the repository to sync with, such as https://github.com/acme/config.git or ssh://git@host/org/repo.git.")
	}
	if b.URL != "" {
		if _, err := ParseRemoteURL(b.URL); err != nil {
			return err
		}
	}
	if b.Ref != "" {
		if err := ValidateBranchRef(b.Ref); err != nil {
			return err
		}
	}
	if b.Credential != "" {
		if err := ValidateCredentialName(b.Credential); err != nil {
			return err
		}
	}
	if b.Entities != nil && b.Entities.Glob == "" {
		b.Entities = nil
	}
	if b.Entities != nil {
		if err := ValidateGlob(b.Entities.Glob); err != nil {
			return err
		}
	}
	if b.Direction == "" {
		b.Direction = DirectionPull
	}
	switch b.Direction {
	case DirectionPull, DirectionPush, DirectionBoth:
	default:
		return Errorf(EINVALID, "Direction %q is not one of pull, push, both.", clip(b.Direction))
	}
	return nil
}

// Pulls reports whether the binding brings Git's content into the namespace.
func (b *Binding) Pulls() bool { return b.Direction == DirectionPull || b.Direction == DirectionBoth }

// Pushes reports whether the binding sends the namespace's content to Git.
func (b *Binding) Pushes() bool { return b.Direction == DirectionPush || b.Direction == DirectionBoth }

// DirsOverlap reports whether two namespace directories ("" is the root) are the same or one
// holds the other.
func DirsOverlap(a, b string) bool {
	if a == "" || b == "" || a == b {
		return true
	}
	return strings.HasPrefix(a, b+"/") || strings.HasPrefix(b, a+"/")
}

// BindingUpdate is a partial change of a binding: nil fields stay as they are.
type BindingUpdate struct {
	Directory  *string `json:"directory"`
	URL        *string `json:"url"`
	Ref        *string `json:"ref"`
	Path       *string `json:"path"`
	Credential *string `json:"credential"`
	Direction  *string `json:"direction"`
	Schedule   *string `json:"schedule"`
	// Provider and Repository move a binding to another repository of a provider; with
	// Provider "" the binding is no longer made through a provider and needs URL.
	Provider   *string `json:"provider"`
	Repository *string `json:"repository"`
	// Entities replaces the entity glob; an empty glob turns reading entities off.
	Entities *EntitySpec `json:"entities"`
}

// ChangesRepository reports whether u moves a binding made through a provider, b, to
// another provider, repository or URL.
func (u *BindingUpdate) ChangesRepository(b *Binding) bool {
	return u.Provider != nil && *u.Provider != b.Provider || u.Repository != nil && *u.Repository != b.Repository ||
		b.Provider != "" && u.URL != nil && *u.URL != b.URL
}

// Apply sets the fields u carries on b.
func (u *BindingUpdate) Apply(b *Binding) {
	for _, f := range []struct {
		from *string
		to   *string
	}{{u.Directory, &b.Directory}, {u.URL, &b.URL}, {u.Ref, &b.Ref}, {u.Path, &b.Path}, {u.Credential, &b.Credential}, {u.Direction, &b.Direction}, {u.Schedule, &b.Schedule}, {u.Provider, &b.Provider}, {u.Repository, &b.Repository}} {
		if f.from != nil {
			*f.to = *f.from
		}
	}
	if u.Entities != nil {
		e := *u.Entities
		b.Entities = &e
	}
}

// BindingService stores bindings.
type BindingService interface {
	// CreateBinding stores a validated binding and sets its ID and times. Returns ENOTFOUND
	// for an unknown namespace or credential, ECONFLICT if the name is taken or the
	// directory overlaps another binding's.
	CreateBinding(ctx context.Context, b *Binding) error

	// FindBinding returns a binding with its status. Returns ENOTFOUND if there is none.
	FindBinding(ctx context.Context, ns, name string) (*Binding, error)

	// FindBindingByID returns a binding with its status. Returns ENOTFOUND if there is none.
	FindBindingByID(ctx context.Context, id int64) (*Binding, error)

	// ListBindings returns one page of a namespace's bindings, ordered by name. Returns
	// ENOTFOUND for an unknown namespace.
	ListBindings(ctx context.Context, ns string, page Page) ([]*Binding, string, error)

	// UpdateBinding stores b's configuration (not its status); a change makes a stalled
	// binding idle again. Returns ENOTFOUND and ECONFLICT as CreateBinding does.
	UpdateBinding(ctx context.Context, b *Binding) error

	// DeleteBinding removes a binding and its runs. Returns ENOTFOUND if there is none.
	DeleteBinding(ctx context.Context, ns, name string) error
}

// BindOptions are what a binding made through a provider asks of it.
type BindOptions struct {
	// Webhook is manual, managed (Ferry creates the hook at the provider) or none; "" is
	// managed for a binding that names a provider and none otherwise.
	Webhook string
	// DeployKey registers the binding's generated SSH credential as a deploy key of the
	// repository: read-only for pull, read-write for push and both.
	DeployKey bool
	Actor     string
}
