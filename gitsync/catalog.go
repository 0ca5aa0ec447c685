package gitsync

import (
	"context"
	"fmt"
	"strings"

	"github.com/ferrygit/ferry"
)

// fullImport reports whether this pull hands the catalog every entity file of the binding,
// not only the changed ones: on its first pull (so files that were there before the
// binding count) and on a forced one (after a change of glob, say).
func (p *pull) fullImport() bool {
	return p.b.Entities != nil && p.s.Catalog != nil && p.dryRun == nil && p.tree != nil &&
		(p.run.CommitBefore == "" || p.run.Force) && p.run.Result != ferry.ResultFailed && p.run.Result != ferry.ResultStalled
}

// catalog hands the entity files the pull brought to the catalog: the changed files its
// glob selects (all of them on a full import) and the ones deleted. An invalid file or
// entity is a warning in the run log; the others apply.
func (p *pull) catalog(ctx context.Context) (string, error) {
	if p.b.Entities == nil || p.s.Catalog == nil || p.dryRun != nil {
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
		return "no entity files changed", nil
	}
	rep, err := p.s.Catalog.SyncEntities(ctx, sync)
	if err != nil {
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
	return fmt.Sprintf("%d entity files: %d entities read, %d deleted, %d failed", len(sync.Files), rep.Read, rep.Deleted, len(rep.Failures)), nil
}
