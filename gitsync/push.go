package gitsync

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ferrygit/ferry"
)

// Committer is who Ferry's commits and tags are committed by; the author is the user or
// token that asked.
var Committer = ferry.Signature{Name: "Ferry", Email: "ferry@localhost"}

// Push validates a push request and queues its run.
func (s *Service) Push(ctx context.Context, ns, name string, req ferry.PushRequest) (*ferry.Run, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	b, err := s.pushable(ctx, ns, name, req.Revision)
	if err != nil {
		return nil, err
	}
	if req.Trigger == "" {
		req.Trigger = ferry.TriggerAPI
	}
	rr := ferry.RunRequest{BindingID: b.ID, Kind: ferry.RunPush, Trigger: req.Trigger, Actor: req.Actor, Force: req.Force,
		PushMessage: req.Message, FromRevision: req.Revision}
	if req.Tag != nil {
		rr.Tag, rr.TagMessage = req.Tag.Name, req.Tag.Message
	}
	run, _, err := s.Store.QueueRun(ctx, rr)
	if err != nil {
		return nil, err
	}
	if err := s.Queue.EnqueueRun(ctx, run); err != nil {
		s.logger().Error("enqueue run", "run", run.ID, "err", err)
	}
	return run, nil
}

// pushable returns a binding that pushes, checking that the revision exists.
func (s *Service) pushable(ctx context.Context, ns, name string, rev int64) (*ferry.Binding, error) {
	b, err := s.Store.FindBinding(ctx, ns, name)
	if err != nil {
		return nil, err
	}
	if !b.Pushes() {
		return nil, ferry.Errorf(ferry.EINVALID, "Binding %q only pulls (direction %s); change its direction to push or both to push to Git.", b.Name, b.Direction)
	}
	if rev > 0 {
		if _, err := s.Store.FindRevision(ctx, ns, rev); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// PlanPush says what a push would do, without writing anything.
func (s *Service) PlanPush(ctx context.Context, ns, name string, req ferry.PushRequest) (*ferry.SyncPlan, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	b, err := s.pushable(ctx, ns, name, req.Revision)
	if err != nil {
		return nil, err
	}
	p := &push{pull: pull{s: s, b: b, run: &ferry.Run{Force: req.Force, FromRevision: req.Revision}}}
	plan, err := p.plan(ctx)
	if err != nil {
		return nil, planError(err)
	}
	return plan, nil
}

// planError turns a Git failure during a dry run into an error of the request.
func planError(err error) error {
	if ge := gitError(err); ge != nil {
		return ferry.Errorf(ge.Code(), "%s (%s)", ge.Message, ge.Reason)
	}
	return err
}

// push is one attempt of a push run.
type push struct {
	pull
	head   string // the branch's head; "" when the branch does not exist yet
	tagAt  string // the commit an existing tag of the requested name points to
	rev    int64  // the namespace revision pushed
	ours   map[string]*ferry.TreeEntry
	theirs map[string]ferry.TreeFile // the branch's files under the path, by namespace path
}

// executePush carries out one attempt of a push run.
func (p *push) do(ctx context.Context) error {
	plan, err := p.plan(ctx)
	if err == nil && plan.Conflict && !p.run.Force {
		p.run.ConflictPaths = plan.ConflictPaths
		err = &ferry.GitError{Reason: ferry.ReasonConflict, Message: plan.Message}
	}
	if err == nil {
		start := time.Now()
		var msg string
		msg, err = p.commitAndPush(ctx, plan)
		if err == nil {
			p.log("push", start, "ok", msg)
			return nil
		}
	}
	p.fail(err)
	if p.run.Error.Reason == ferry.ReasonConflict || p.run.Error.Reason == ferry.ReasonPushRejected {
		p.run.Result = ferry.ResultStalled
	}
	p.log("push", time.Now(), "failed", p.run.Error.Message)
	return err
}

// plan resolves the branch, reads both sides and compares them.
func (p *push) plan(ctx context.Context) (*ferry.SyncPlan, error) {
	if err := p.resolveBranch(ctx); err != nil {
		return nil, err
	}
	if err := p.readOurs(ctx); err != nil {
		return nil, err
	}
	if err := p.readTheirs(ctx); err != nil {
		return nil, err
	}
	plan := &ferry.SyncPlan{Kind: ferry.RunPush, Ref: p.ref, RemoteCommit: p.head, SyncedCommit: p.b.Status.LastCommit, Revision: p.rev, Changes: []ferry.PlanChange{}}
	for path, e := range p.ours {
		t, ok := p.theirs[path]
		switch {
		case !ok:
			plan.Changes = append(plan.Changes, ferry.PlanChange{Path: path, Action: ferry.ActionAdded, Size: e.Size})
			plan.Added++
		case t.OID != e.GitOID || t.Mode != e.Mode:
			plan.Changes = append(plan.Changes, ferry.PlanChange{Path: path, Action: ferry.ActionModified, Size: e.Size})
			plan.Modified++
		}
	}
	for path, t := range p.theirs {
		if _, ok := p.ours[path]; !ok {
			plan.Changes = append(plan.Changes, ferry.PlanChange{Path: path, Action: ferry.ActionDeleted, Size: t.Size})
			plan.Deleted++
		}
	}
	sort.Slice(plan.Changes, func(i, j int) bool { return plan.Changes[i].Path < plan.Changes[j].Path })
	plan.UpToDate = len(plan.Changes) == 0
	upstream, err := p.upstreamChanges(ctx)
	if err != nil {
		return nil, err
	}
	if len(upstream) > 0 && !plan.UpToDate {
		plan.Conflict, plan.ConflictPaths = true, upstream
		plan.Message = fmt.Sprintf("The branch changed under %q since the last sync (%s); a push would overwrite %s. Pull first, or push with force.",
			"/"+p.b.Path, orNone(short(p.b.Status.LastCommit)), strings.Join(clipList(upstream, 10), ", "))
	}
	return plan, nil
}

// resolveBranch lists the remote: the branch's head, and where an existing tag points.
func (p *push) resolveBranch(ctx context.Context) error {
	start := time.Now()
	remote, err := ferry.ParseRemoteURL(p.b.URL)
	if err != nil {
		return err
	}
	if err := p.s.Policy.Check(remote); err != nil {
		return &ferry.GitError{Reason: ferry.ReasonURLNotAllowed, Message: ferry.ErrorMessage(err)}
	}
	p.remote = remote
	if p.auth, err = p.s.Secrets.Auth(ctx, p.b.Credential); err != nil {
		return err
	}
	info, err := p.s.Git.ListRefs(ctx, remote, p.auth)
	if err != nil {
		return err
	}
	switch {
	case p.b.Ref == "" && info.Head != "":
		p.ref = info.Head
	case p.b.Ref == "":
		p.ref = "refs/heads/main" // an empty repository: its first branch
	case strings.HasPrefix(p.b.Ref, "refs/"):
		p.ref = p.b.Ref
	default:
		p.ref = "refs/heads/" + p.b.Ref
	}
	if found, ok := info.Resolve(p.ref); ok {
		p.head = found.Commit
	}
	if p.run.Tag != "" {
		if found, ok := info.Resolve("refs/tags/" + p.run.Tag); ok {
			p.tagAt = found.Commit
		}
	}
	p.run.CommitBefore = p.head
	p.log("resolve", start, "ok", fmt.Sprintf("%s is at %s", p.ref, orNone(short(p.head))))
	return nil
}

// readOurs lists the binding's directory at the revision pushed, by repository path.
func (p *push) readOurs(ctx context.Context) error {
	ns, err := p.s.Store.FindNamespace(ctx, p.b.Namespace)
	if err != nil {
		return err
	}
	p.rev = p.run.FromRevision
	if p.rev == 0 {
		p.rev = ns.Head
	}
	p.ours = map[string]*ferry.TreeEntry{}
	if p.rev == 0 {
		return nil
	}
	current, err := p.currentFiles(ctx, &ferry.Namespace{Name: ns.Name, Head: p.rev})
	if err != nil {
		return err
	}
	p.ours = current
	return nil
}

// readTheirs fetches the branch and lists its files under the path, by namespace path.
func (p *push) readTheirs(ctx context.Context) error {
	p.theirs = map[string]ferry.TreeFile{}
	if p.head == "" {
		return nil
	}
	start := time.Now()
	// Trees are enough: both sides compare by Git blob ID, and the commit reuses theirs.
	if _, err := p.s.Git.Fetch(ctx, p.remote, p.auth, p.head, nil); err != nil {
		return err
	}
	files, err := p.treeAt(ctx, p.head)
	if err != nil {
		return err
	}
	p.theirs = files
	p.log("fetch", start, "ok", "fetched "+short(p.head))
	return nil
}

// treeAt lists the files under the binding's path at a fetched commit, by namespace path;
// none when the path does not exist there.
func (p *push) treeAt(ctx context.Context, commit string) (map[string]ferry.TreeFile, error) {
	files, err := p.s.Git.ReadTree(ctx, p.remote, commit, p.b.Path)
	if ge := gitError(err); ge != nil && ge.Reason == ferry.ReasonPathNotFound {
		return map[string]ferry.TreeFile{}, nil
	} else if err != nil {
		return nil, err
	}
	out := make(map[string]ferry.TreeFile, len(files))
	for _, f := range files {
		if f.Mode != ferry.ModeSubmodule {
			out[joinPath(p.b.Directory, f.Path)] = f
		}
	}
	return out, nil
}

// upstreamChanges returns the namespace paths that changed under the binding's path on the
// branch since the last sync. Never synced, the branch's files that differ from ours count.
func (p *push) upstreamChanges(ctx context.Context) ([]string, error) {
	synced := p.b.Status.LastCommit
	if p.head == "" || p.head == synced {
		return nil, nil
	}
	base := map[string]ferry.TreeFile{}
	if synced != "" {
		if _, err := p.s.Git.Fetch(ctx, p.remote, p.auth, synced, nil); err != nil {
			if ge := gitError(err); ge == nil || ge.Reason != ferry.ReasonRefNotFound {
				return nil, err
			}
			// The synced commit is gone upstream (history rewritten): compare with ours.
			synced = ""
		} else if base, err = p.treeAt(ctx, synced); err != nil {
			return nil, err
		}
	}
	var changed []string
	for path, t := range p.theirs {
		if synced == "" {
			if e, ok := p.ours[path]; !ok || e.GitOID != t.OID || e.Mode != t.Mode {
				changed = append(changed, path)
			}
			continue
		}
		if b, ok := base[path]; !ok || b.OID != t.OID || b.Mode != t.Mode {
			changed = append(changed, path)
		}
	}
	for path := range base {
		if _, ok := p.theirs[path]; !ok {
			changed = append(changed, path)
		}
	}
	sort.Strings(changed)
	return changed, nil
}

// commitAndPush builds the commit (unless the branch holds our files already), the tag, and
// pushes both atomically.
func (p *push) commitAndPush(ctx context.Context, plan *ferry.SyncPlan) (string, error) {
	commit := p.head
	name := authorName(p.run.Actor)
	author := ferry.Signature{Name: name, Email: actorEmail(name), When: time.Now()}
	if author.Name == "" {
		author.Name, author.Email = Committer.Name, Committer.Email
	}
	committer := Committer
	committer.When = author.When
	var updates []ferry.RefUpdate
	if !plan.UpToDate || p.head == "" {
		msg := p.run.PushMessage
		if msg == "" {
			msg = fmt.Sprintf("Update %s from Ferry namespace %s, revision %d", "/"+p.b.Path, p.b.Namespace, p.rev)
		}
		req := ferry.CommitRequest{Parent: p.head, Dir: p.b.Path, Author: author, Committer: committer, Message: msg}
		var err error
		if req.Files, req.Delete, req.Patch, err = p.commitFiles(ctx, plan); err != nil {
			return "", err
		}
		commit, err = p.s.Git.CommitFiles(ctx, p.remote, req)
		if err != nil {
			return "", err
		}
		if commit != p.head {
			updates = append(updates, ferry.RefUpdate{Ref: p.ref, Object: commit, Expect: p.head})
		}
	}
	if p.run.Tag != "" {
		switch {
		case p.tagAt == commit:
			// The tag exists on this commit already.
		case p.tagAt != "":
			return "", &ferry.GitError{Reason: ferry.ReasonConflict, Message: fmt.Sprintf("Tag %q exists already, on %s; choose another name.", p.run.Tag, short(p.tagAt))}
		default:
			msg := p.run.TagMessage
			if msg == "" {
				msg = p.run.Tag
			}
			tag, err := p.s.Git.Tag(ctx, p.remote, ferry.TagRequest{Name: p.run.Tag, Commit: commit, Tagger: author, Message: msg})
			if err != nil {
				return "", err
			}
			updates = append(updates, ferry.RefUpdate{Ref: "refs/tags/" + p.run.Tag, Object: tag})
		}
	}
	p.run.CommitAfter, p.run.Revision = commit, p.rev
	p.run.Added, p.run.Modified, p.run.Deleted = plan.Added, plan.Modified, plan.Deleted
	if len(updates) == 0 {
		p.run.Result = ferry.ResultUpToDate
		return fmt.Sprintf("%s already holds revision %d's files", p.ref, p.rev), nil
	}
	if err := p.s.Git.Push(ctx, p.remote, p.auth, updates...); err != nil {
		return "", err
	}
	p.run.Result = ferry.ResultApplied
	if commit == p.head {
		p.run.Result = ferry.ResultUpToDate // only a tag was pushed
	}
	return fmt.Sprintf("pushed %s to %s%s", short(commit), p.ref, tagNote(p.run.Tag)), nil
}

// commitFiles reads the contents of the files to commit, with paths relative to the
// binding's path, in one query per 500 blobs. When the path exists at the head, only the
// added and modified files are read and the deleted ones listed (patch is true): the commit
// keeps the rest of the head's tree. Otherwise all of ours are.
func (p *push) commitFiles(ctx context.Context, plan *ferry.SyncPlan) (files []ferry.CommitFile, deleted []string, patch bool, err error) {
	rel := func(path string) string {
		if p.b.Directory != "" {
			return strings.TrimPrefix(path, p.b.Directory+"/")
		}
		return path
	}
	var paths []string
	if patch = p.head != "" && len(p.theirs) > 0; patch {
		for _, c := range plan.Changes {
			if c.Action == ferry.ActionDeleted {
				deleted = append(deleted, rel(c.Path))
			} else {
				paths = append(paths, c.Path)
			}
		}
	} else {
		for path := range p.ours {
			paths = append(paths, path)
		}
	}
	byBlob := map[string][]int{}
	files = make([]ferry.CommitFile, len(paths))
	ids := make([]string, 0, len(paths))
	for i, path := range paths {
		e := p.ours[path]
		files[i] = ferry.CommitFile{Path: rel(path), Mode: e.Mode}
		if len(byBlob[e.Blob]) == 0 {
			ids = append(ids, e.Blob)
		}
		byBlob[e.Blob] = append(byBlob[e.Blob], i)
	}
	err = p.s.Store.ReadBlobs(ctx, ids, func(id string, content []byte) error {
		for _, i := range byBlob[id] {
			files[i].Content = content
		}
		delete(byBlob, id)
		return nil
	})
	if err != nil {
		return nil, nil, false, err
	}
	if len(byBlob) > 0 {
		return nil, nil, false, fmt.Errorf("%d blobs of namespace %s are missing from the store", len(byBlob), p.b.Namespace)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, deleted, patch, nil
}

// authorName returns the commit author's name for a run's actor: a user's name ("user:ada"
// → "ada"), "Ferry token 12" for an API token, the actor as it is otherwise.
func authorName(actor string) string {
	if name, ok := strings.CutPrefix(actor, ferry.PrincipalUser+":"); ok {
		return name
	}
	if id, ok := strings.CutPrefix(actor, ferry.PrincipalToken+":"); ok {
		return "Ferry token " + id
	}
	return actor
}

func actorEmail(actor string) string {
	if strings.Contains(actor, "@") {
		return actor
	}
	return strings.ReplaceAll(actor, " ", ".") + "@ferry.invalid"
}

func tagNote(tag string) string {
	if tag == "" {
		return ""
	}
	return " with tag " + tag
}

func clipList(s []string, n int) []string {
	if len(s) <= n {
		return s
	}
	return append(s[:n:n], fmt.Sprintf("and %d more", len(s)-n))
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
