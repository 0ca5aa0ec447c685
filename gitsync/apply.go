package gitsync

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/ferrygit/ferry"
)

// contentError is a pull whose content breaks a rule or a limit; nothing is applied.
type contentError struct{ msg string }

func (e *contentError) Error() string { return e.msg }

func rejectf(format string, args ...any) error {
	return &contentError{msg: fmt.Sprintf(format, args...)}
}

// maxApplyTries bounds how often apply starts again when the namespace changed under it.
const maxApplyTries = 3

// apply reads the tree under the binding's path, checks it, and writes what differs from the
// binding's directory as one revision.
func (p *pull) apply(ctx context.Context) (string, error) {
	files, err := p.s.Git.ReadTree(ctx, p.remote, p.run.CommitAfter, p.b.Path)
	if err != nil {
		return "", err
	}
	files, err = p.validate(files)
	if err != nil {
		return "", err
	}
	p.tree = files
	for try := 1; ; try++ {
		msg, err := p.applyOnce(ctx, files)
		if ferry.ErrorCode(err) == ferry.ECONFLICT && try < maxApplyTries {
			continue // the namespace moved between reading and writing it: diff again
		}
		return msg, err
	}
}

// applyOnce diffs the tree against the directory at the namespace's head and applies the
// difference based on that head.
func (p *pull) applyOnce(ctx context.Context, files []ferry.TreeFile) (string, error) {
	ns, err := p.s.Store.FindNamespace(ctx, p.b.Namespace)
	if err != nil {
		return "", err
	}
	current, err := p.currentFiles(ctx, ns)
	if err != nil {
		return "", err
	}
	cs := &ferry.ChangeSet{Namespace: ns.Name, Base: ns.Head, Actor: p.actor(), Source: ferry.SourcePull,
		Commit: p.run.CommitAfter, Binding: p.b.Name,
		Message: fmt.Sprintf("Pull %s of %s from %s", short(p.run.CommitAfter), p.ref, p.remote.Redacted())}
	need := map[string][]int{} // blob → the changes that take its content
	seen := make(map[string]bool, len(files))
	for _, f := range files {
		nsPath := joinPath(p.b.Directory, f.Path)
		seen[nsPath] = true
		if cur, ok := current[nsPath]; ok && cur.GitOID == f.OID && cur.Mode == f.Mode {
			continue
		}
		need[f.OID] = append(need[f.OID], len(cs.Changes))
		cs.Changes = append(cs.Changes, ferry.FileChange{Path: nsPath, Mode: f.Mode})
	}
	for p := range current {
		if !seen[p] {
			cs.Changes = append(cs.Changes, ferry.FileChange{Path: p, Delete: true})
		}
	}
	if len(cs.Changes) == 0 {
		p.run.Result, p.run.Revision = ferry.ResultUpToDate, ns.Head
		return "the directory already holds this commit's files", nil
	}
	conflicts, err := p.localChanges(ctx, ns, current, cs)
	if err != nil {
		return "", err
	}
	if p.dryRun != nil {
		*p.dryRun = planOf(cs, files, current, p.b.Directory)
		if len(conflicts) > 0 && !p.run.Force {
			p.dryRun.Conflict, p.dryRun.ConflictPaths = true, conflicts
			p.dryRun.Message = "The namespace changed these paths since the last sync, and the incoming commit changes them too."
		}
		return "dry run", nil
	}
	if len(conflicts) > 0 && !p.run.Force {
		p.run.ConflictPaths = conflicts
		return "", &ferry.GitError{Reason: ferry.ReasonConflict, Message: fmt.Sprintf(
			"The namespace changed %s since the last sync, and the incoming commit changes them too. Push first, or pull with force to take Git's version.",
			strings.Join(clipList(conflicts, 10), ", "))}
	}
	if err := p.readContents(ctx, cs, need); err != nil {
		return "", err
	}
	if err := cs.Validate(p.limits().MaxFileSize); err != nil {
		return "", rejectf("%s", ferry.ErrorMessage(err))
	}
	rev, created, err := p.s.Store.ApplyChanges(ctx, cs)
	if err != nil {
		return "", err
	}
	p.applied = cs
	p.run.Revision = rev.Number
	if !created {
		p.run.Result = ferry.ResultUpToDate
		return "nothing to change", nil
	}
	p.run.Added, p.run.Modified, p.run.Deleted = rev.Added, rev.Modified, rev.Deleted
	return fmt.Sprintf("revision %d: %d added, %d modified, %d deleted", rev.Number, rev.Added, rev.Modified, rev.Deleted), nil
}

// readContents fills in the content of the changes that write, reading each blob once.
func (p *pull) readContents(ctx context.Context, cs *ferry.ChangeSet, need map[string][]int) error {
	oids := make([]string, 0, len(need))
	for oid := range need {
		oids = append(oids, oid)
	}
	return p.s.Git.ReadBlobs(ctx, p.remote, oids, func(oid string, content []byte) error {
		for _, i := range need[oid] {
			c := &cs.Changes[i]
			c.Content = append([]byte(nil), content...)
			if c.Mode == ferry.ModeSymlink {
				if err := checkSymlink(c.Path, string(content), p.b.Directory); err != nil {
					return err
				}
			}
			if isLFSPointer(content) {
				p.warn("%s is a Git LFS pointer: Ferry stores the pointer, not the file it points to", c.Path)
			}
		}
		return nil
	})
}

// currentFiles returns the files under the binding's directory at the namespace's head.
func (p *pull) currentFiles(ctx context.Context, ns *ferry.Namespace) (map[string]*ferry.TreeEntry, error) {
	out := map[string]*ferry.TreeEntry{}
	if ns.Head == 0 {
		return out, nil
	}
	q := ferry.TreeQuery{Dir: p.b.Directory, Recursive: true, Revision: ns.Head, Page: ferry.Page{Limit: ferry.MaxPageLimit}}
	for {
		entries, next, err := p.s.Store.ListTree(ctx, ns.Name, q)
		if ferry.ErrorCode(err) == ferry.ENOTFOUND && q.Page.Cursor == "" {
			return out, nil // the directory does not exist yet
		} else if ferry.ErrorCode(err) == ferry.EINVALID && q.Page.Cursor == "" {
			return nil, rejectf("%q is a file in namespace %q; the binding's directory cannot be created there.", "/"+p.b.Directory, ns.Name)
		} else if err != nil {
			return nil, err
		}
		for _, e := range entries {
			out[e.Path] = e
		}
		if next == "" {
			return out, nil
		}
		q.Page.Cursor = next
	}
}

func (p *pull) actor() string {
	if p.run.Actor != "" {
		return p.run.Actor
	}
	return "binding:" + p.b.Name
}

func (p *pull) limits() Limits {
	l := p.s.Limits
	if l.MaxFileSize <= 0 {
		l.MaxFileSize = DefaultLimits.MaxFileSize
	}
	if l.MaxFiles <= 0 {
		l.MaxFiles = DefaultLimits.MaxFiles
	}
	if l.MaxTotalSize <= 0 {
		l.MaxTotalSize = DefaultLimits.MaxTotalSize
	}
	return l
}

// joinPath joins a namespace directory ("" for the root) and a relative path.
func joinPath(dir, rel string) string {
	if dir == "" {
		return rel
	}
	return dir + "/" + rel
}

// checkSymlink refuses a symlink whose target leaves the binding's directory.
func checkSymlink(link, target, dir string) error {
	if target == "" || strings.HasPrefix(target, "/") || strings.ContainsRune(target, 0) {
		return rejectf("Symlink %q points to %q, outside the binding's directory; only relative links inside it are accepted.", link, target)
	}
	resolved := path.Clean(path.Join(path.Dir(link), target))
	if resolved == ".." || strings.HasPrefix(resolved, "../") || (dir != "" && resolved != dir && !strings.HasPrefix(resolved, dir+"/")) {
		return rejectf("Symlink %q points to %q, outside the binding's directory %q.", link, target, "/"+dir)
	}
	return nil
}

// isLFSPointer reports whether content is a Git LFS pointer file.
func isLFSPointer(content []byte) bool {
	return len(content) < 1024 && strings.HasPrefix(string(content), "version https://git-lfs.github.com/spec/")
}

// localChanges returns, for a two-way binding, the paths of cs that the namespace changed
// since the last sync: a pull would overwrite them.
func (p *pull) localChanges(ctx context.Context, ns *ferry.Namespace, current map[string]*ferry.TreeEntry, cs *ferry.ChangeSet) ([]string, error) {
	last := p.b.Status.LastRevision
	if p.b.Direction != ferry.DirectionBoth || last == 0 || last >= ns.Head {
		return nil, nil
	}
	synced, err := p.currentFiles(ctx, &ferry.Namespace{Name: ns.Name, Head: last})
	if err != nil {
		return nil, err
	}
	var changed []string
	for _, c := range cs.Changes {
		was, had := synced[c.Path]
		now, has := current[c.Path]
		if had != has || (had && (was.Blob != now.Blob || was.Mode != now.Mode)) {
			changed = append(changed, c.Path)
		}
	}
	return changed, nil
}

// planOf describes a pull's change set as a plan.
func planOf(cs *ferry.ChangeSet, files []ferry.TreeFile, current map[string]*ferry.TreeEntry, dir string) ferry.SyncPlan {
	sizes := make(map[string]int64, len(files))
	for _, f := range files {
		sizes[joinPath(dir, f.Path)] = f.Size
	}
	plan := ferry.SyncPlan{Kind: ferry.RunPull, Changes: []ferry.PlanChange{}}
	for _, c := range cs.Changes {
		pc := ferry.PlanChange{Path: c.Path, Size: sizes[c.Path]}
		switch cur, ok := current[c.Path]; {
		case c.Delete:
			pc.Action, pc.Size = ferry.ActionDeleted, cur.Size
			plan.Deleted++
		case ok:
			pc.Action = ferry.ActionModified
			plan.Modified++
		default:
			pc.Action = ferry.ActionAdded
			plan.Added++
		}
		plan.Changes = append(plan.Changes, pc)
	}
	return plan
}
