package ferry

import (
	"context"
	"time"
)

// The kinds of run.
const (
	RunPull  = "pull"
	RunPush  = "push"
	RunCheck = "check"
)

// What started a run.
const (
	TriggerSchedule = "schedule"
	TriggerAPI      = "api"
	TriggerWebhook  = "webhook"
	TriggerUI       = "ui"
	TriggerRetry    = "retry"
)

// The results of a finished run.
const (
	ResultApplied  = "applied"    // a new revision was made (pull) or commit pushed (push)
	ResultUpToDate = "up_to_date" // nothing to do: the remote commit was the one applied
	ResultFailed   = "failed"     // a transient failure; retried with backoff
	ResultStalled  = "stalled"    // a failure only the user can fix; not retried
)

// Run is one check, pull or push of a binding.
type Run struct {
	ID           int64      `json:"id"`
	Namespace    string     `json:"namespace"`
	Binding      string     `json:"binding"`
	BindingID    int64      `json:"-"`
	Kind         string     `json:"kind"`
	Trigger      string     `json:"trigger"`
	Actor        string     `json:"actor"`
	Force        bool       `json:"force"`
	State        string     `json:"state"`            // queued, running, retrying or done
	Result       string     `json:"result,omitempty"` // set when done
	Error        *RunError  `json:"error,omitempty"`
	QueuedAt     time.Time  `json:"queued_at"`
	StartedAt    *time.Time `json:"started_at,omitempty"`
	FinishedAt   *time.Time `json:"finished_at,omitempty"`
	DurationMS   int64      `json:"duration_ms"`
	Attempt      int        `json:"attempt"`
	CommitBefore string     `json:"commit_before,omitempty"`
	CommitAfter  string     `json:"commit_after,omitempty"`
	Revision     int64      `json:"revision,omitempty"` // the revision a pull made
	Added        int        `json:"added"`
	Modified     int        `json:"modified"`
	Deleted      int        `json:"deleted"`
	Steps        []RunStep  `json:"steps"`

	// For pushes: what was asked.
	PushMessage  string `json:"push_message,omitempty"`
	Tag          string `json:"tag,omitempty"`
	TagMessage   string `json:"tag_message,omitempty"`
	FromRevision int64  `json:"from_revision,omitempty"` // the namespace revision to push; 0 for the newest
	// ConflictPaths lists, for a push or pull refused with reason conflict, the paths both
	// sides changed.
	ConflictPaths []string `json:"conflict_paths,omitempty"`
}

// ReasonConflictRun is the reason of a push or pull refused because both sides changed the
// same paths since the last sync; GitError's ReasonConflict has the same value.
const ReasonConflictRun = ReasonConflict

// The states of a run.
const (
	RunQueued   = "queued"
	RunRunning  = "running"
	RunRetrying = "retrying" // an attempt failed in a way a retry may fix; the next waits for its backoff
	RunDone     = "done"
)

// RunError is why a run failed: a stable reason (a GitError reason, or content_rejected,
// internal) and a message for people.
type RunError struct {
	Reason  string `json:"reason"`
	Message string `json:"message"`
}

// ReasonContentRejected is the reason of a pull whose content broke a rule or a limit.
const ReasonContentRejected = "content_rejected"

// RunStep is one step of a run's log.
type RunStep struct {
	Name       string    `json:"name"` // resolve, fetch, read, validate, apply, …
	StartedAt  time.Time `json:"started_at"`
	DurationMS int64     `json:"duration_ms"`
	Result     string    `json:"result"` // ok, skipped, failed, warning
	Message    string    `json:"message,omitempty"`
	Attempt    int       `json:"attempt"`
}

// RunRequest asks for a run of a binding.
type RunRequest struct {
	BindingID int64
	Kind      string
	Trigger   string
	Actor     string
	Force     bool
	// For pushes.
	PushMessage  string
	Tag          string
	TagMessage   string
	FromRevision int64
}

// RunService stores runs.
type RunService interface {
	// FindRun returns a run of a binding. Returns ENOTFOUND if there is none.
	FindRun(ctx context.Context, ns, binding string, id int64) (*Run, error)

	// ListRuns returns one page of a binding's runs, newest first. Returns ENOTFOUND for an
	// unknown binding.
	ListRuns(ctx context.Context, ns, binding string, page Page) ([]*Run, string, error)
}
