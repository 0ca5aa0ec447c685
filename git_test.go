package ferry

import (
	"errors"
	"fmt"
	"testing"
)

func TestRemoteInfoResolve(t *testing.T) {
	info := &RemoteInfo{
		Head: "refs/heads/main",
		Refs: []RemoteRef{
			{Name: "refs/heads/main", Commit: "c1"},
			{Name: "refs/heads/v1", Commit: "c2"},
			{Name: "refs/tags/v1", Commit: "c3", Tag: "t3"},
			{Name: "refs/tags/only-tag", Commit: "c4"},
		},
	}
	tests := []struct{ ref, want string }{
		{"main", "refs/heads/main"},
		{"refs/heads/main", "refs/heads/main"},
		{"HEAD", "refs/heads/main"},
		{"v1", "refs/heads/v1"}, // a branch wins over a tag, as in Git
		{"refs/tags/v1", "refs/tags/v1"},
		{"only-tag", "refs/tags/only-tag"},
		{"missing", ""},
		{"refs/heads/only-tag", ""},
	}
	for _, tt := range tests {
		r, ok := info.Resolve(tt.ref)
		if ok != (tt.want != "") || r.Name != tt.want {
			t.Errorf("Resolve(%q) = %+v, %v; want %q", tt.ref, r, ok, tt.want)
		}
	}
	if got := info.DefaultBranch(); got != "main" {
		t.Errorf("DefaultBranch() = %q", got)
	}
	if _, ok := (&RemoteInfo{}).Resolve("HEAD"); ok {
		t.Error("Resolve(HEAD) without a HEAD found something")
	}
}

func TestGitError(t *testing.T) {
	codes := map[string]string{
		ReasonUnreachable: EUNAVAILABLE, ReasonTimeout: EUNAVAILABLE, ReasonFailed: EUNAVAILABLE,
		ReasonAuthFailed: EINVALID, ReasonHostKeyUnknown: EINVALID, ReasonHostKeyMismatch: EINVALID,
		ReasonURLNotAllowed: EINVALID, ReasonRefNotFound: ENOTFOUND, ReasonRepoNotFound: ENOTFOUND,
		ReasonPathNotFound: ENOTFOUND, ReasonConflict: ECONFLICT, ReasonPushRejected: ECONFLICT,
	}
	for reason, code := range codes {
		err := fmt.Errorf("pull: %w", &GitError{Reason: reason, Message: "it broke"})
		var ge *GitError
		if !errors.As(err, &ge) || ge.Reason != reason {
			t.Errorf("errors.As did not find the GitError for %s", reason)
		}
		if ErrorCode(err) != code || ErrorMessage(err) != "it broke" {
			t.Errorf("%s: ErrorCode = %q, ErrorMessage = %q; want %q", reason, ErrorCode(err), ErrorMessage(err), code)
		}
		transient := reason == ReasonUnreachable || reason == ReasonTimeout || reason == ReasonFailed
		if ge.Transient() != transient {
			t.Errorf("%s: Transient() = %v", reason, ge.Transient())
		}
	}
	if ModeSubmodule.Validate() == nil {
		t.Error("a namespace accepts ModeSubmodule")
	}
}
