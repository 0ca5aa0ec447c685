package gitsync

import (
	"context"
	"strings"
	"time"

	"github.com/ferrygit/ferry"
)

// Checker implements ferry.Checker with a git engine.
type Checker struct {
	Git     ferry.GitEngine
	Secrets *Secrets
	Policy  ferry.URLPolicy
	Now     func() time.Time // nil: time.Now
}

var _ ferry.Checker = (*Checker)(nil)

// Check lists the remote's refs with the credential and reports how far it got.
func (c *Checker) Check(ctx context.Context, req ferry.CheckRequest) (*ferry.CheckResult, error) {
	now := c.Now
	if now == nil {
		now = time.Now
	}
	start := now()
	res := &ferry.CheckResult{URL: ferry.RedactRawURL(req.URL)}
	defer func() { res.DurationMS = now().Sub(start).Milliseconds() }()

	if req.Ref != "" {
		if err := validateCheckRef(req.Ref); err != nil {
			return nil, err
		}
	}
	remote, err := ferry.ParseRemoteURL(req.URL)
	if err == nil {
		res.URL = remote.Redacted()
		err = c.Policy.Check(remote)
	}
	if err != nil {
		res.Reason, res.Message = ferry.ReasonURLNotAllowed, ferry.ErrorMessage(err)
		return res, nil
	}
	auth, err := c.Secrets.Auth(ctx, req.Credential)
	if err != nil {
		return nil, err
	}
	info, err := c.Git.ListRefs(ctx, remote, auth)
	if err != nil {
		ge := gitError(err)
		if ge == nil {
			return nil, err
		}
		res.Reason, res.Message, res.HostKey = ge.Reason, ge.Message, ge.HostKey
		switch ge.Reason {
		case ferry.ReasonAuthFailed, ferry.ReasonRepoNotFound, ferry.ReasonHostKeyUnknown, ferry.ReasonHostKeyMismatch:
			res.Reachable = true
		}
		return res, nil
	}
	res.Reachable, res.Authenticated, res.HostKey = true, true, info.HostKey
	res.DefaultBranch = info.DefaultBranch()
	ref := req.Ref
	if ref == "" {
		ref = "HEAD"
	}
	found, ok := info.Resolve(ref)
	if !ok {
		res.Reason = ferry.ReasonRefNotFound
		res.Message = refNotFoundMessage(req.Ref, info)
		return res, nil
	}
	res.RefExists, res.Ref, res.HeadCommit = true, found.Name, found.Commit
	return res, nil
}

// validateCheckRef accepts a branch or tag, short or full.
func validateCheckRef(ref string) error {
	for _, prefix := range []string{"refs/heads/", "refs/tags/"} {
		if name, ok := strings.CutPrefix(ref, prefix); ok {
			return ferry.ValidateRefName(name)
		}
	}
	return ferry.ValidateRefName(ref)
}

// refNotFoundMessage says which ref is missing and which branches there are.
func refNotFoundMessage(ref string, info *ferry.RemoteInfo) string {
	if ref == "" {
		return "The repository has no default branch yet: it is empty. Push a first commit, or name a branch."
	}
	var branches []string
	for _, r := range info.Refs {
		if name, ok := strings.CutPrefix(r.Name, "refs/heads/"); ok && len(branches) < 10 {
			branches = append(branches, name)
		}
	}
	if len(branches) == 0 {
		return "Ref \"" + ref + "\" does not exist: the repository has no branches yet."
	}
	return "Ref \"" + ref + "\" does not exist; the repository's branches include: " + strings.Join(branches, ", ") + "."
}
