package catalog

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/schema"
)

// document is an entity as an entity file holds it.
type document struct {
	Blueprint  string                     `json:"blueprint"`
	Identifier string                     `json:"identifier"`
	Title      string                     `json:"title"`
	Properties map[string]any             `json:"properties"`
	Relations  map[string]json.RawMessage `json:"relations"`
}

// SyncEntities applies what a pull brought: the entities in its entity files are
// validated one by one and upserted with the commit as their provenance (Git wins over
// API writes, and the report says so), entities whose file or entry went are deleted, and
// an invalid file or entity fails alone — the report names it — while the rest apply.
// Only the files the pull changed are read, so the work follows the change, not the
// repository.
func (s *Service) SyncEntities(ctx context.Context, sync *ferry.EntitySync) (*ferry.EntitySyncReport, error) {
	rep := &ferry.EntitySyncReport{}
	source := ferry.Provenance{Source: ferry.SourceGit, Binding: sync.Binding, Repository: sync.Repository, Commit: sync.Commit, At: s.now()}
	// The binding's entities that this sync can touch: all of them on a full import, else
	// those of the files it read or deleted — so the work follows the change.
	var owned map[ferry.EntityKey]string
	var err error
	if sync.Full {
		owned, err = s.Store.EntitiesFromBinding(ctx, sync.Namespace, sync.Binding)
	} else {
		paths := slices.Clone(sync.Deleted)
		for _, f := range sync.Files {
			paths = append(paths, f.Path)
		}
		owned, err = s.Store.EntitiesAtPaths(ctx, sync.Namespace, sync.Binding, paths)
	}
	if err != nil {
		return nil, err
	}
	read := map[string]bool{} // paths read, whatever they held
	produced := map[ferry.EntityKey]string{}
	failed := map[ferry.EntityKey]bool{}
	var put []*ferry.Entity
	blueprints := map[string]*ferry.Blueprint{}
	for _, f := range sync.Files {
		read[f.Path] = true
		docs, err := schema.DecodeDocument(f.Path, f.Content)
		if err != nil {
			rep.Failures = append(rep.Failures, ferry.EntityFailure{Path: f.Path, Message: ferry.ErrorMessage(err)})
			for k, p := range owned {
				if p == f.Path {
					failed[k] = true // keep what the file held before
				}
			}
			continue
		}
		for i, raw := range docs {
			e, err := entityOf(raw)
			name := e.Blueprint + "/" + e.Identifier
			if err != nil {
				rep.Failures = append(rep.Failures, ferry.EntityFailure{Path: f.Path, Entity: name, Message: fmt.Sprintf("entry %d: %s", i+1, err)})
				continue
			}
			k := ferry.EntityKey{Blueprint: e.Blueprint, Identifier: e.Identifier}
			if other, dup := produced[k]; dup {
				rep.Failures = append(rep.Failures, ferry.EntityFailure{Path: f.Path, Entity: name, Message: "also defined in " + other + "; the first one counts"})
				continue
			}
			e.Namespace = sync.Namespace
			v, err := s.check(ctx, sync.Namespace, e, blueprints)
			if ferry.ErrorCode(err) == ferry.ENOTFOUND {
				v, err = []ferry.Violation{{Pointer: "/blueprint", Message: ferry.ErrorMessage(err)}}, nil
			}
			if err != nil {
				return nil, err
			}
			produced[k] = f.Path
			if len(v) > 0 {
				failed[k] = true
				rep.Failures = append(rep.Failures, ferry.EntityFailure{Path: f.Path, Entity: name, Message: violationText(v)})
				continue
			}
			src := source
			src.Path = f.Path
			e.Source = src
			put = append(put, e)
		}
	}
	rep.Read = len(put)

	// Gone: entities of this binding whose file was deleted, whose file no longer holds
	// them, or, on a full import, whose file is not among the binding's files any more.
	deleted := map[string]bool{}
	for _, p := range sync.Deleted {
		deleted[p] = true
	}
	var gone []ferry.EntityKey
	for k, p := range owned {
		if _, still := produced[k]; still || failed[k] {
			continue
		}
		if deleted[p] || read[p] || sync.Full {
			gone = append(gone, k)
		}
	}
	slices.SortFunc(gone, func(a, b ferry.EntityKey) int {
		if a.Blueprint != b.Blueprint {
			return compare(a.Blueprint, b.Blueprint)
		}
		return compare(a.Identifier, b.Identifier)
	})

	if len(put) > 0 {
		keys := make([]ferry.EntityKey, len(put))
		for i, e := range put {
			keys[i] = ferry.EntityKey{Blueprint: e.Blueprint, Identifier: e.Identifier}
		}
		sources, err := s.Store.EntitySources(ctx, sync.Namespace, keys)
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			if p, ok := sources[k]; ok && p.Source != ferry.SourceGit {
				rep.Reasserted = append(rep.Reasserted, k.Blueprint+"/"+k.Identifier)
			}
		}
		if err := s.dangling(ctx, sync.Namespace, put, blueprints); err != nil {
			return nil, err
		}
		for start := 0; start < len(put); start += MaxBatch {
			if err := s.Store.PutEntities(ctx, put[start:min(start+MaxBatch, len(put))], true); err != nil {
				return nil, err
			}
		}
	}
	if len(gone) > 0 {
		if err := s.Store.DeleteEntities(ctx, sync.Namespace, gone, source); err != nil {
			return nil, err
		}
		rep.Deleted = len(gone)
	}
	return rep, nil
}

func compare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// entityOf reads one entry of an entity file.
func entityOf(raw map[string]any) (*ferry.Entity, error) {
	b, err := json.Marshal(raw)
	if err != nil {
		return &ferry.Entity{}, err
	}
	var d document
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields() // a typo such as "propreties" is an error, as through the API
	if err := dec.Decode(&d); err != nil {
		return &ferry.Entity{Blueprint: d.Blueprint, Identifier: d.Identifier}, fmt.Errorf("not an entity: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	e := &ferry.Entity{Blueprint: d.Blueprint, Identifier: d.Identifier, Title: d.Title, Properties: d.Properties, Relations: d.Relations}
	if d.Blueprint == "" {
		return e, fmt.Errorf("the blueprint field is missing")
	}
	return e, nil
}

// violationText joins violations for the run log.
func violationText(v []ferry.Violation) string {
	s := ""
	for i, x := range v {
		if i > 0 {
			s += "; "
		}
		s += x.Pointer + ": " + x.Message
	}
	return s
}
