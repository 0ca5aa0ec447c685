package ferry

import (
	"context"
	"strings"
	"time"
)

// GitAuth is what the git engine authenticates with. Secrets stay in memory: the engine hands
// them to Git through its environment or 0600 files that it removes afterwards.
type GitAuth struct {
	Username string // HTTP basic user name; for a token, any placeholder the provider accepts
	Password string // HTTP basic password or token
	// PrivateKey is an unencrypted private key in OpenSSH PEM form, for SSH remotes.
	PrivateKey []byte
	// KnownHosts pins SSH host keys, one "host[:port] keytype base64" line each ("[host]:port"
	// is accepted too). An SSH remote whose key is not pinned here is refused.
	KnownHosts []string
}

// RemoteRef is a branch or tag on a remote.
type RemoteRef struct {
	Name   string // full name: "refs/heads/main", "refs/tags/v1"
	Commit string // the commit it points to; for an annotated tag, the tag's target
	Tag    string // the annotated tag object's ID; "" for branches and lightweight tags
}

// RemoteInfo is what listing a remote's refs found.
type RemoteInfo struct {
	Refs    []RemoteRef  // branches and tags, sorted by name
	Head    string       // the full ref HEAD points to ("refs/heads/main"); "" if unknown
	HostKey *HostKeyInfo // the SSH host key presented; nil for HTTP
}

// Resolve finds ref among the remote's refs: a full name ("refs/heads/main") exactly, a short
// name as a branch first and then as a tag, or "HEAD" as what HEAD points to.
func (i *RemoteInfo) Resolve(ref string) (RemoteRef, bool) {
	if ref == "HEAD" {
		ref = i.Head
	}
	names := []string{ref}
	if !strings.HasPrefix(ref, "refs/") {
		names = []string{"refs/heads/" + ref, "refs/tags/" + ref}
	}
	for _, name := range names {
		for _, r := range i.Refs {
			if r.Name == name {
				return r, true
			}
		}
	}
	return RemoteRef{}, false
}

// DefaultBranch returns the short name of the branch HEAD points to, or "".
func (i *RemoteInfo) DefaultBranch() string {
	name, _ := strings.CutPrefix(i.Head, "refs/heads/")
	return name
}

// HostKeyInfo describes an SSH host key a server presented.
type HostKeyInfo struct {
	Type        string `json:"type"`        // "ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", …
	Fingerprint string `json:"fingerprint"` // "SHA256:" and the unpadded base64 of the key's SHA-256
	Known       bool   `json:"known"`       // whether GitAuth.KnownHosts pinned this key
}

// ModeSubmodule marks a TreeFile that is a Git submodule (a gitlink): its OID is a commit in
// another repository. Namespaces cannot hold one, so Mode.Validate rejects it.
const ModeSubmodule Mode = "submodule"

// TreeFile is a file in a Git tree.
type TreeFile struct {
	Path string // relative to the directory that was read, '/'-separated
	Mode Mode   // ModeFile, ModeExecutable, ModeSymlink or ModeSubmodule
	OID  string // the Git blob ID (a commit ID for a submodule)
	Size int64  // content size in bytes; 0 for a submodule
}

// CommitFile is one file of a commit being built.
type CommitFile struct {
	Path    string // relative to CommitRequest.Dir
	Mode    Mode   // ModeFile, ModeExecutable or ModeSymlink
	Content []byte
}

// Signature names who made a commit or tag, and when.
type Signature struct {
	Name  string
	Email string
	When  time.Time
}

// CommitRequest asks for a commit whose tree is Parent's with Dir replaced by Files.
type CommitRequest struct {
	Parent string       // the commit to build on; "" for a first commit
	Dir    string       // the directory to replace, "" for the whole tree
	Files  []CommitFile // the complete new content of Dir; an empty list removes Dir
	// Patch makes Files only the added and changed files of Dir: the rest stays as in
	// Parent, less the paths in Delete (relative to Dir). Parent must be set.
	Patch     bool
	Delete    []string
	Author    Signature
	Committer Signature // the zero Signature means Author
	Message   string
}

// TagRequest asks for an annotated tag object.
type TagRequest struct {
	Name    string // short name, checked with ValidateRefName
	Commit  string // the commit to tag
	Tagger  Signature
	Message string
}

// RefUpdate is one ref a push sets.
type RefUpdate struct {
	Ref    string // full name: "refs/heads/main", "refs/tags/v1"
	Object string // the commit or tag object to set it to
	// Expect, when set, is the object the remote ref must still point to ("" plus Force
	// means no condition). Without Force a push must be a fast-forward or create the ref.
	Expect string
	Force  bool // allow a non-fast-forward update (guarded by Expect when set)
}

// The reasons a git operation fails, as GitError.Reason. They are stable: clients and run
// records match on them.
const (
	ReasonUnreachable     = "unreachable"       // DNS, connection refused, no route, server error
	ReasonTimeout         = "timeout"           // the operation's deadline passed
	ReasonAuthFailed      = "auth_failed"       // credentials missing or refused
	ReasonHostKeyUnknown  = "host_key_unknown"  // the SSH host key is not pinned; HostKey tells it
	ReasonHostKeyMismatch = "host_key_mismatch" // the SSH host key differs from the pinned one
	ReasonRefNotFound     = "ref_not_found"     // the branch, tag or commit does not exist
	ReasonRepoNotFound    = "repo_not_found"    // no repository at the URL (or no access to it)
	ReasonURLNotAllowed   = "url_not_allowed"   // the URL policy refused the URL, an address or a redirect
	ReasonPathNotFound    = "path_not_found"    // the path does not exist at the commit, or is not a directory
	ReasonConflict        = "conflict"          // a push was not a fast-forward, or Expect did not hold
	ReasonPushRejected    = "push_rejected"     // the remote refused a push (protected branch, hook)
	ReasonFailed          = "failed"            // anything else; Message has the redacted detail
)

// GitError is a classified failure of a git operation. Its Message is safe to show to users:
// URLs and secrets are redacted. Match it with errors.As.
type GitError struct {
	Reason  string       // one of the Reason constants
	Message string       // what went wrong and, where possible, what to do
	HostKey *HostKeyInfo // for host_key_unknown and host_key_mismatch: the key presented
}

// Error implements the error interface.
func (e *GitError) Error() string { return "git: " + e.Reason + ": " + e.Message }

// Unwrap returns an *Error with the code that fits Reason, so that ErrorCode and ErrorMessage
// work on a GitError: ENOTFOUND for missing refs, repositories and paths, ECONFLICT for
// conflicts and refused pushes, EUNAVAILABLE for network failures, EINVALID otherwise.
func (e *GitError) Unwrap() error { return &Error{Code: e.Code(), Message: e.Message} }

// Code returns the Error code that fits e.Reason.
func (e *GitError) Code() string {
	switch e.Reason {
	case ReasonRefNotFound, ReasonRepoNotFound, ReasonPathNotFound:
		return ENOTFOUND
	case ReasonConflict, ReasonPushRejected:
		return ECONFLICT
	case ReasonUnreachable, ReasonTimeout, ReasonFailed:
		return EUNAVAILABLE
	}
	return EINVALID
}

// Transient reports whether retrying later may help (network failures and timeouts), as
// opposed to failures that wait for a user to fix a URL, credential, host key or ref.
func (e *GitError) Transient() bool {
	return e.Reason == ReasonUnreachable || e.Reason == ReasonTimeout || e.Reason == ReasonFailed
}

// GitEngine talks to Git remotes and keeps a bare cache per remote. Every method that
// contacts a remote checks the URL policy when connecting, and returns a *GitError with one
// of the Reason constants for a failure there, EINVALID for bad arguments, and the context's
// error if ctx is cancelled.
type GitEngine interface {
	// ListRefs lists the remote's branches and tags and where HEAD points. It is cheap enough
	// to poll. Reasons: url_not_allowed, unreachable, timeout, auth_failed, host_key_unknown,
	// host_key_mismatch, repo_not_found, failed.
	ListRefs(ctx context.Context, remote *RemoteURL, auth *GitAuth) (*RemoteInfo, error)

	// Fetch fetches ref into the remote's cache, the commit and trees of its tip only (no
	// history) and only the blobs under paths ("" is the whole tree; none fetches no
	// blobs), and returns the commit. ref is a branch or tag, by short or full name, or a
	// commit ID: passing the commit ListRefs reported spares a ref listing, and fetches
	// nothing when the cache already has it. A short name is a branch first, then a tag.
	// Reasons: those of ListRefs, ref_not_found, path_not_found.
	Fetch(ctx context.Context, remote *RemoteURL, auth *GitAuth, ref string, paths []string) (commit string, err error)

	// ReadTree lists the files below dir ("" for the root) at a fetched commit, with paths
	// relative to dir. Reasons: ref_not_found if the commit is not in the cache,
	// path_not_found, failed (for instance blobs that Fetch was not asked for).
	ReadTree(ctx context.Context, remote *RemoteURL, commit, dir string) ([]TreeFile, error)

	// ReadBlobs calls fn with each blob's content, in the order of oids; content is only
	// valid during the call. It stops at fn's first error and returns it. Reasons: failed
	// for a blob missing from the cache.
	ReadBlobs(ctx context.Context, remote *RemoteURL, oids []string, fn func(oid string, content []byte) error) error

	// CommitFiles writes a commit into the remote's cache (not to the remote) and returns
	// its ID. If the new tree equals Parent's, it makes no commit and returns Parent.
	// Returns EINVALID for bad paths, modes or signatures; reasons: ref_not_found if Parent
	// is not in the cache, failed.
	CommitFiles(ctx context.Context, remote *RemoteURL, req CommitRequest) (string, error)

	// Tag writes an annotated tag object into the remote's cache and returns its ID.
	// Returns EINVALID for a bad name or signature; reasons: ref_not_found, failed.
	Tag(ctx context.Context, remote *RemoteURL, req TagRequest) (string, error)

	// Push sets the refs on the remote atomically: all or none. Reasons: those of ListRefs,
	// conflict (not a fast-forward, Expect did not hold, or a tag exists), push_rejected.
	Push(ctx context.Context, remote *RemoteURL, auth *GitAuth, updates ...RefUpdate) error
}
