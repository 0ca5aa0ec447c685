package git

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ferrygit/ferry"
)

// fetchDepth limits fetches to the tip commit: a pull needs one snapshot, and a push builds
// on the tip. Deeper history is never read.
const fetchDepth = "--depth=1"

// Fetch implements ferry.GitEngine.
func (e *Engine) Fetch(ctx context.Context, u *ferry.RemoteURL, auth *ferry.GitAuth, ref string, paths []string) (string, error) {
	start := time.Now()
	if err := validateFetchRef(ref); err != nil {
		return "", err
	}
	for _, p := range paths {
		if p != "" {
			if err := ferry.ValidatePath(p); err != nil {
				return "", err
			}
		}
	}
	ctx, cancel := e.opContext(ctx)
	defer cancel()
	commit, err := e.fetch(ctx, u, auth, ref, paths)
	if err = e.finish(ctx, "fetch", u, start, err); err != nil {
		return "", err
	}
	return commit, nil
}

// validateFetchRef accepts a commit ID, a short branch or tag name, or a full refs/heads/
// or refs/tags/ name.
func validateFetchRef(ref string) error {
	if isOID(ref) {
		return nil
	}
	for _, prefix := range []string{"refs/heads/", "refs/tags/"} {
		if name, ok := strings.CutPrefix(ref, prefix); ok {
			return ferry.ValidateRefName(name)
		}
	}
	if strings.HasPrefix(ref, "refs/") {
		return ferry.Errorf(ferry.EINVALID, "Ref %q is neither a branch (refs/heads/…) nor a tag (refs/tags/…).", ref)
	}
	return ferry.ValidateRefName(ref)
}

func (e *Engine) fetch(ctx context.Context, u *ferry.RemoteURL, auth *ferry.GitAuth, ref string, paths []string) (string, error) {
	if err := e.checkURL(u); err != nil {
		return "", err
	}
	dir, unlock := e.lock(u)
	defer unlock()
	if err := e.ensureCache(ctx, dir); err != nil {
		return "", err
	}
	// Straight to the git CLI, pinned to a checked address: listing refs first would cost
	// round trips. In-process discovery runs only when git fails, to explain the failure
	// precisely (host key, auth) or to follow a redirect the policy allows.
	t, err := e.pinnedTarget(ctx, u)
	if err != nil {
		return "", err
	}
	commit, err := e.fetchFrom(ctx, dir, t, auth, ref, paths)
	if err == nil || !needsDiscovery(err) {
		return commit, err
	}
	_, found, derr := e.discover(ctx, u, auth, uploadPack)
	if derr != nil {
		return "", derr
	}
	if found.url.String() != u.String() { // redirected to an allowed URL
		return e.fetchFrom(ctx, dir, found, auth, ref, paths)
	}
	return "", err
}

// needsDiscovery reports whether a failed fetch is worth explaining with in-process
// discovery: not for a missing path or a timeout. A missing ref is checked, because Git
// reports one also when the server is not a Git server at all.
func needsDiscovery(err error) bool {
	r := reason(err)
	return r != "" && r != ferry.ReasonPathNotFound && r != ferry.ReasonTimeout
}

// pinnedTarget resolves u's host and checks its addresses, without contacting it.
func (e *Engine) pinnedTarget(ctx context.Context, u *ferry.RemoteURL) (*target, error) {
	ips, err := e.resolve(ctx, u.Host)
	if err != nil {
		return nil, err
	}
	ip := ips[0]
	for _, a := range ips { // SSH can take one address: prefer IPv4, which every host can reach
		if a.To4() != nil {
			ip = a
			break
		}
	}
	return &target{url: u, ip: ip, ips: ips}, nil
}

// fetchFrom fetches ref's tip (commits and trees, shallow) and then the blobs under paths
// that the cache lacks, into dir; the caller holds dir's lock.
func (e *Engine) fetchFrom(ctx context.Context, dir string, t *target, auth *ferry.GitAuth, ref string, paths []string) (string, error) {
	remote, err := e.cliRemote(t, auth)
	if err != nil {
		return "", err
	}
	defer remote.cleanup()
	commit, err := e.fetchTip(ctx, dir, remote, ref)
	if err != nil || len(paths) == 0 {
		return commit, err
	}
	missing, err := e.missingBlobs(ctx, dir, commit, paths)
	if err != nil || len(missing) == 0 {
		return commit, err
	}
	args := append(remote.args, "-c", "remote.origin.url="+remote.url, "-c", "fetch.negotiationAlgorithm=noop",
		"fetch", "--quiet", "--stdin", "--filter=blob:none", "--no-tags", "--no-write-fetch-head",
		"--no-auto-gc", "--no-auto-maintenance", "origin")
	stdin := strings.NewReader(strings.Join(missing, "\n") + "\n")
	if _, err := e.run.run(ctx, &gitCmd{dir: dir, args: args, env: remote.env, stdin: stdin, redact: remote.redact}); err != nil {
		return "", classifyRun(err)
	}
	return commit, nil
}

// fetchTip fetches the commit ref names (depth 1, no blobs) unless the cache has it, and
// returns it. A short name is tried as a branch, then as a tag. A commit ID is fetched
// directly, which spares Git the ref listing.
func (e *Engine) fetchTip(ctx context.Context, dir string, remote *cliRemote, ref string) (string, error) {
	var specs []string
	switch {
	case isOID(ref):
		if e.hasCommit(ctx, dir, ref) {
			return ref, nil
		}
		specs = []string{"+" + ref + ":" + lastFetchedRef}
	case strings.HasPrefix(ref, "refs/"):
		specs = []string{"+" + ref + ":" + ref}
	default:
		specs = []string{"+refs/heads/" + ref + ":refs/heads/" + ref, "+refs/tags/" + ref + ":refs/tags/" + ref}
	}
	var err error
	var spec string
	// A first fetch takes no blobs; the path's come next. Later fetches take the changed blobs
	// up to 64 KiB in the same round trip: a few outside the path, bounded by the diff, cost
	// less than a second round trip.
	filter := "--filter=blob:none"
	if _, err := os.Stat(filepath.Join(dir, "shallow")); err == nil {
		filter = "--filter=blob:limit=65536"
	}
	for _, spec = range specs {
		args := append(remote.args, "-c", "remote.origin.url="+remote.url,
			"fetch", "--quiet", filter, fetchDepth, "--no-tags", "--no-auto-gc",
			"--no-auto-maintenance", "origin", spec)
		if _, err = e.run.run(ctx, &gitCmd{dir: dir, args: args, env: remote.env, redact: remote.redact}); err == nil {
			break
		}
		if err = classifyRun(err); reason(err) != ferry.ReasonRefNotFound {
			break
		}
	}
	switch {
	case err == nil:
	case isOID(ref) && (reason(err) == ferry.ReasonFailed || reason(err) == ferry.ReasonRefNotFound):
		return "", gitErr(ferry.ReasonRefNotFound, "The commit "+ref+" is not available from the remote.")
	case reason(err) == ferry.ReasonRefNotFound:
		return "", gitErr(ferry.ReasonRefNotFound, "The ref "+ref+" does not exist on the remote.")
	default:
		return "", err
	}
	oid := readFetchHead(dir)
	if oid == "" {
		return "", gitErr(ferry.ReasonFailed, "git fetch did not record what it fetched.")
	}
	if strings.Contains(spec, "refs/tags/") || isOID(ref) {
		return e.peel(ctx, dir, oid) // an annotated tag points to a tag object
	}
	return oid, nil
}

// lastFetchedRef keeps the last commit fetched by ID, so that it serves as a "have" later.
const lastFetchedRef = "refs/ferry/fetched"

// reason returns the GitError reason of err, or "".
func reason(err error) string {
	var ge *ferry.GitError
	if errors.As(err, &ge) {
		return ge.Reason
	}
	return ""
}

// peel returns the commit an object (a commit or a tag) points to.
func (e *Engine) peel(ctx context.Context, dir, oid string) (string, error) {
	out, err := e.run.run(ctx, &gitCmd{dir: dir, args: []string{"rev-parse", "--verify", "--quiet", oid + "^{commit}"}})
	if err != nil {
		return "", gitErr(ferry.ReasonRefNotFound, "The object "+oid+" is not a commit or is not in the cache.")
	}
	return strings.TrimSpace(string(out)), nil
}

// missingBlobs lists the blobs under paths at commit that the cache lacks. Returns
// path_not_found for a path that does not exist.
func (e *Engine) missingBlobs(ctx context.Context, dir, commit string, paths []string) ([]string, error) {
	args := []string{"rev-list", "--objects", "--missing=print", "--no-object-names", "--end-of-options"}
	for _, p := range paths {
		if p == "" {
			args = append(args, commit+"^{tree}")
		} else {
			args = append(args, commit+":"+p)
		}
	}
	out, err := e.run.run(ctx, &gitCmd{dir: dir, args: args})
	if err != nil {
		if re, ok := err.(*runError); ok && strings.Contains(re.stderr, "does not exist in") {
			return nil, gitErr(ferry.ReasonPathNotFound, "A path to fetch does not exist at commit "+commit+". Git said: "+strings.TrimSpace(strings.TrimPrefix(re.stderr, "fatal: ")))
		}
		return nil, localFailure("Listing the objects to fetch", err)
	}
	var missing []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if oid, ok := strings.CutPrefix(sc.Text(), "?"); ok && isOID(oid) {
			missing = append(missing, oid)
		}
	}
	return missing, nil
}

// readLooseRef returns the object a loose ref file in dir names, or "".
func readLooseRef(dir, ref string) string {
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(ref)))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// readFetchHead returns the object of FETCH_HEAD's first line, or "".
func readFetchHead(dir string) string {
	oid, _, _ := strings.Cut(fetchHeadLine(dir), "\t")
	if !isOID(oid) {
		return ""
	}
	return oid
}

// fetchHeadLine returns FETCH_HEAD's first line, or "".
func fetchHeadLine(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, "FETCH_HEAD"))
	if err != nil {
		return ""
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return line
}
