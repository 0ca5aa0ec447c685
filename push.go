package ferry

import "context"

// PushRequest asks to push a binding's directory to its branch as a commit.
type PushRequest struct {
	Message  string   `json:"message"`            // the commit message; a default names the revision
	Tag      *TagSpec `json:"tag,omitempty"`      // an annotated tag to create on the pushed commit
	Force    bool     `json:"force"`              // push over changes made upstream under the path
	DryRun   bool     `json:"dry_run"`            // only say what a push would do
	Revision int64    `json:"revision,omitempty"` // the namespace revision to push; 0 for the newest
	Trigger  string   `json:"-"`
	Actor    string   `json:"-"`
}

// TagSpec names an annotated tag.
type TagSpec struct {
	Name    string `json:"name"`
	Message string `json:"message"`
}

// Validate returns EINVALID for a request that could never run: a bad tag name (by Git's
// rules), an overlong message, a negative revision.
func (r *PushRequest) Validate() error {
	if len(r.Message) > MaxMessageLength {
		return Errorf(EINVALID, "The commit message is %d bytes long; at most %d are allowed.", len(r.Message), MaxMessageLength)
	}
	if r.Revision < 0 {
		return Errorf(EINVALID, "Revision %d is not a positive number.", r.Revision)
	}
	if r.Tag != nil {
		if err := ValidateRefName(r.Tag.Name); err != nil {
			return Errorf(EINVALID, "Tag name: %s", ErrorMessage(err))
		}
		if len(r.Tag.Message) > MaxMessageLength {
			return Errorf(EINVALID, "The tag message is %d bytes long; at most %d are allowed.", len(r.Tag.Message), MaxMessageLength)
		}
	}
	return nil
}

// PlanChange is one path a push or pull would change, on the side it would change.
type PlanChange struct {
	Path   string `json:"path"`
	Action string `json:"action"` // ActionAdded, ActionModified or ActionDeleted
	Size   int64  `json:"size"`   // the new size; for a deletion the old one
}

// SyncPlan is what a push or a pull would do: the answer of a dry run.
type SyncPlan struct {
	Kind          string       `json:"kind"`                    // RunPush or RunPull
	Ref           string       `json:"ref"`                     // the branch
	RemoteCommit  string       `json:"remote_commit,omitempty"` // the branch's head now; "" for an empty repository
	SyncedCommit  string       `json:"synced_commit,omitempty"` // the commit of the last pull or push
	Revision      int64        `json:"revision"`                // the namespace revision compared
	Changes       []PlanChange `json:"changes"`                 // on the remote (push) or in the namespace (pull)
	Added         int          `json:"added"`
	Modified      int          `json:"modified"`
	Deleted       int          `json:"deleted"`
	UpToDate      bool         `json:"up_to_date"`               // nothing would change
	Conflict      bool         `json:"conflict"`                 // the other side changed the same paths since the last sync
	ConflictPaths []string     `json:"conflict_paths,omitempty"` // those paths, as namespace paths
	Message       string       `json:"message,omitempty"`
}

// Pusher pushes bindings and plans pushes and pulls.
type Pusher interface {
	// Push queues a push of a binding's directory. Returns EINVALID for a bad request or a
	// pull-only binding, ENOTFOUND for an unknown binding or revision.
	Push(ctx context.Context, ns, name string, req PushRequest) (*Run, error)

	// PlanPush says what a push would do, without writing anything.
	PlanPush(ctx context.Context, ns, name string, req PushRequest) (*SyncPlan, error)

	// PlanPull says what a pull would change in the namespace, without writing anything.
	PlanPull(ctx context.Context, ns, name string, req PullRequest) (*SyncPlan, error)
}
