package git

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/ferrygit/ferry"
)

// Push implements ferry.GitEngine with git push --atomic --porcelain from the cache.
func (e *Engine) Push(ctx context.Context, u *ferry.RemoteURL, auth *ferry.GitAuth, updates ...ferry.RefUpdate) error {
	start := time.Now()
	if len(updates) == 0 {
		return ferry.Errorf(ferry.EINVALID, "A push needs at least one ref to update.")
	}
	for _, up := range updates {
		if err := validatePushRef(up.Ref); err != nil {
			return err
		}
		if !isOID(up.Object) || (up.Expect != "" && !isOID(up.Expect)) {
			return ferry.Errorf(ferry.EINVALID, "Push of %s needs full object IDs.", up.Ref)
		}
	}
	ctx, cancel := e.opContext(ctx)
	defer cancel()
	return e.finish(ctx, "push", u, start, e.push(ctx, u, auth, updates))
}

func validatePushRef(ref string) error {
	for _, prefix := range []string{"refs/heads/", "refs/tags/"} {
		if name, ok := strings.CutPrefix(ref, prefix); ok {
			return ferry.ValidateRefName(name)
		}
	}
	return ferry.Errorf(ferry.EINVALID, "Ref %q must be a full branch (refs/heads/…) or tag (refs/tags/…) name.", ref)
}

func (e *Engine) push(ctx context.Context, u *ferry.RemoteURL, auth *ferry.GitAuth, updates []ferry.RefUpdate) error {
	info, t, err := e.discover(ctx, u, auth, receivePack)
	if err != nil {
		return err
	}
	cache, unlock := e.lock(u)
	defer unlock()
	if !cacheExists(cache) {
		return gitErr(ferry.ReasonRefNotFound, "Nothing to push: no commit was made for "+u.Redacted()+".")
	}
	remote, err := e.cliRemote(t, auth)
	if err != nil {
		return err
	}
	defer remote.cleanup()
	if err := e.fetchRemoteTips(ctx, cache, remote, info, updates); err != nil {
		return err
	}
	// No delta search (pack.window=0, --no-thin): it would read the remote tip's blobs as
	// delta bases, and a blobless cache may not have them. git-remote-http ignores --no-thin,
	// so the window setting is what holds there. The packs Ferry pushes are small.
	args := append(remote.args, "-c", "pack.window=0", "push", "--atomic", "--porcelain", "--no-verify", "--no-thin", "--quiet")
	var specs []string
	for _, up := range updates {
		spec := up.Object + ":" + up.Ref
		switch {
		case up.Expect != "":
			args = append(args, "--force-with-lease="+up.Ref+":"+up.Expect)
		case up.Force:
			spec = "+" + spec
		}
		specs = append(specs, spec)
	}
	args = append(append(args, "--", remote.url), specs...)
	out, err := e.run.run(ctx, &gitCmd{dir: cache, args: args, env: remote.env, redact: remote.redact})
	if err == nil {
		return nil
	}
	if perr := porcelainError(remote.redact.redact(string(out))); perr != nil {
		return perr
	}
	var re *runError
	if errors.As(err, &re) {
		if perr := porcelainError(re.stderr); perr != nil {
			return perr
		}
	}
	return classifyRun(err)
}

// porcelainError classifies the rejected refs in git push --porcelain output, or returns nil
// if none was rejected.
func porcelainError(out string) error {
	var conflicts, refused, failed []string
	for _, line := range strings.Split(out, "\n") {
		f := strings.SplitN(line, "\t", 3)
		if len(f) != 3 || f[0] != "!" {
			continue
		}
		_, ref, _ := strings.Cut(f[1], ":")
		summary := f[2]
		switch {
		case strings.Contains(summary, "atomic push failed"):
			// a ref refused only because another one was
		case strings.Contains(summary, "[remote rejected]"):
			refused = append(refused, ref+" "+strings.TrimPrefix(summary, "[remote rejected] "))
		case strings.Contains(summary, "[rejected]"):
			conflicts = append(conflicts, ref+" "+strings.TrimPrefix(summary, "[rejected] "))
		default:
			failed = append(failed, ref+" "+summary)
		}
	}
	switch {
	case len(conflicts) > 0:
		return gitErr(ferry.ReasonConflict, "The remote changed since it was fetched; nothing was pushed: "+strings.Join(conflicts, "; ")+".")
	case len(refused) > 0:
		return gitErr(ferry.ReasonPushRejected, "The remote refused the push; nothing was pushed: "+strings.Join(refused, "; ")+".")
	case len(failed) > 0:
		return gitErr(ferry.ReasonFailed, "The push failed; nothing was pushed: "+strings.Join(failed, "; ")+".")
	}
	return nil
}

// fetchRemoteTips fetches (commits and trees only) the remote's current objects for the refs
// being updated that the cache lacks. git push sends what the remote's refs do not reach, as
// far as the cache can tell; without those tips, or with a shallow tip whose history does
// not reach the parent of the new commit, it would try to send blobs the blobless cache
// never had. So this fetch is not shallow: it brings the commits between what the cache
// has and the remote tip, which is nothing when the push is a fast-forward.
func (e *Engine) fetchRemoteTips(ctx context.Context, cache string, remote *cliRemote, info *ferry.RemoteInfo, updates []ferry.RefUpdate) error {
	var specs []string
	for _, up := range updates {
		for _, r := range info.Refs {
			obj := r.Commit
			if r.Tag != "" {
				obj = r.Tag
			}
			if r.Name == up.Ref && obj != up.Object && readLooseRef(cache, r.Name) != obj && !e.hasCommit(ctx, cache, obj) {
				specs = append(specs, "+"+r.Name+":"+r.Name)
			}
		}
	}
	if len(specs) == 0 {
		return nil
	}
	args := append(remote.args, "-c", "remote.origin.url="+remote.url,
		"fetch", "--quiet", "--filter=blob:none", "--no-tags", "--no-write-fetch-head",
		"--no-auto-gc", "--no-auto-maintenance", "origin")
	_, err := e.run.run(ctx, &gitCmd{dir: cache, args: append(args, specs...), env: remote.env, redact: remote.redact})
	return classifyRun(err)
}
