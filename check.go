package ferry

import "context"

// CheckRequest asks whether Ferry can reach a repository: "check availability".
type CheckRequest struct {
	URL        string `json:"url"`
	Ref        string `json:"ref"`        // a branch or tag; "" checks the default branch
	Credential string `json:"credential"` // a credential's name; "" for anonymous access
}

// CheckResult says what a check found. When something failed, Reason is one of the
// GitError reasons and Message says what to do; the booleans tell how far it got.
type CheckResult struct {
	URL           string       `json:"url"` // redacted
	Reachable     bool         `json:"reachable"`
	Authenticated bool         `json:"authenticated"`
	RefExists     bool         `json:"ref_exists"`
	Ref           string       `json:"ref,omitempty"` // the full ref checked
	HeadCommit    string       `json:"head_commit,omitempty"`
	DefaultBranch string       `json:"default_branch,omitempty"`
	HostKey       *HostKeyInfo `json:"host_key,omitempty"`
	Reason        string       `json:"reason,omitempty"`
	Message       string       `json:"message,omitempty"`
	DurationMS    int64        `json:"duration_ms"`
}

// OK reports whether the check found the repository reachable, the credential accepted and
// the ref present.
func (r *CheckResult) OK() bool { return r.Reason == "" }

// Checker checks availability.
type Checker interface {
	// Check tries to list the remote's refs with the credential. Failures of the remote are
	// reported in the result, not as errors. Returns EINVALID for a malformed ref and
	// ENOTFOUND for an unknown credential.
	Check(ctx context.Context, req CheckRequest) (*CheckResult, error)
}
