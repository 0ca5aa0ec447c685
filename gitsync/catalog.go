package gitsync

import (
	"context"
	"fmt"
	"strings"

	"github.com/ferrygit/ferry"
)

// readsEntities reports whether this pull hands entity files to the catalog.
func (p *pull) readsEntities() bool {
	return p.b.Entities != nil && p.s.Catalog != nil && p.dryRun == nil
}

// entitiesBehind reports whether the catalog does not hold the entities of the binding's
// last synced commit: before the first import, after a change of glob, or when a pull's
// catalog step did not finish.
func (p *pull) entitiesBehind() bool {
	return p.readsEntities() && p.b.Status.EntityCommit != p.b.Status.LastCommit
}

// fullImport reports whether this pull hands the catalog every entity file of the binding,
// not only the changed ones: on its first pull (so files that were there before the
// binding count), on a forced one, when the catalog is behind the files, and when apply
// found the files there already (a retry of a pull whose catalog step failed).
func (p *pull) fullImport() bool {
	return p.readsEntities() && p.tree != nil && p.run.Result != ferry.ResultFailed && p.run.Result != ferry.ResultStalled &&
		(p.run.CommitBefore == "" || p.run.Force || p.entitiesBehind() || p.applied == nil)
}

// catalog hands the entity files the pull brought to the catalog: the changed files its
// glob selects (all of them on a full import) and the ones deleted. An invalid file or
// entity is a warning in the run log; the others apply.
func (p *pull) catalog(ctx context.Context) (string, error) {
	switch {
	case p.dryRun != nil:
		return "a dry run reads no entities", nil
	case !p.readsEntities():
		return "no entity glob", nil
	}
	sync := &ferry.EntitySync{Namespace: p.b.Namespace, Binding: p.b.Name, Repository: p.remote.Redacted(), Commit: p.run.CommitAfter, Full: p.fullImport()}
	selected := func(nsPath string) bool {
		rel := strings.TrimPrefix(nsPath, p.b.Directory+"/")
		if p.b.Directory == "" {
			rel = nsPath
		}
		return ferry.MatchGlob(p.b.Entities.Glob, rel)
	}
	if sync.Full {
		need := map[string][]string{}
		for _, f := range p.tree {
			if path := joinPath(p.b.Directory, f.Path); f.Mode != ferry.ModeSymlink && selected(path) {
				need[f.OID] = append(need[f.OID], path)
			}
		}
		oids := make([]string, 0, len(need))
		for oid := range need {
			oids = append(oids, oid)
		}
		err := p.s.Git.ReadBlobs(ctx, p.remote, oids, func(oid string, content []byte) error {
			for _, path := range need[oid] {
				sync.Files = append(sync.Files, ferry.EntityFile{Path: path, Content: append([]byte(nil), content...)})
			}
			return nil
		})
		if err != nil {
			return "", err
		}
	} else if p.applied != nil {
		for _, c := range p.applied.Changes {
			switch {
			case !selected(c.Path) || c.Mode == ferry.ModeSymlink:
			case c.Delete:
				sync.Deleted = append(sync.Deleted, c.Path)
			default:
				sync.Files = append(sync.Files, ferry.EntityFile{Path: c.Path, Content: c.Content})
			}
		}
	}
	if len(sync.Files) == 0 && len(sync.Deleted) == 0 && !sync.Full {
		return "no entity files changed", p.s.Store.SetBindingEntityCommit(ctx, p.b.ID, p.run.CommitAfter)
	}
	rep, err := p.s.Catalog.SyncEntities(ctx, sync)
	if err != nil {
		return "", err
	}
	if err := p.s.Store.SetBindingEntityCommit(ctx, p.b.ID, p.run.CommitAfter); err != nil {
		return "", err
	}
	for _, f := range rep.Failures {
		what := f.Path
		if f.Entity != "" && f.Entity != "/" {
			what += " (" + f.Entity + ")"
		}
		p.warn("entity %s not applied: %s", what, f.Message)
	}
	for _, e := range rep.Reasserted {
		p.warn("entity %s was written through the API; Git's version is back", e)
	}
	return fmt.Sprintf("%s: %s read, %d deleted, %d failed", plural(len(sync.Files), "entity file"), plural(rep.Read, "entity"), rep.Deleted, len(rep.Failures)), nil
}

// plural returns "1 entity" or "3 entities", "1 entity file" or "2 entity files".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	if strings.HasSuffix(noun, "y") {
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(noun, "y"))
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
