// Package catalog keeps the catalog of entities: it validates blueprints and entities
// against their JSON Schemas and relations, enforces who owns an entity (a Git file or the
// API), and applies the entity files that pulls bring.
package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/schema"
)

// Store is the storage the catalog needs.
type Store interface {
	ferry.CatalogStore
	// EntitySources returns the provenance of those of keys that exist in ns.
	EntitySources(ctx context.Context, ns string, keys []ferry.EntityKey) (map[ferry.EntityKey]ferry.Provenance, error)
	// EntitiesAtPaths returns the entities of ns that git binding binding read from one
	// of paths, with their paths.
	EntitiesAtPaths(ctx context.Context, ns, binding string, paths []string) (map[ferry.EntityKey]string, error)
}

// Service is the catalog. Its zero value is not usable: set Store.
type Service struct {
	Store   Store
	Schemas *schema.Cache    // nil: a cache of 256 schemas
	Now     func() time.Time // nil: time.Now
	Logger  *slog.Logger
}

var _ ferry.EntitySyncer = (*Service)(nil)

// MaxBatch is the most entities one write may carry.
const MaxBatch = 1000

func (s *Service) schemas() *schema.Cache {
	if s.Schemas == nil {
		s.Schemas = schema.NewCache(256)
	}
	return s.Schemas
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC()
	}
	return s.Now().UTC()
}

// CreateBlueprint checks b and its schema and stores it.
func (s *Service) CreateBlueprint(ctx context.Context, b *ferry.Blueprint) error {
	if err := s.checkBlueprint(b); err != nil {
		return err
	}
	return s.Store.CreateBlueprint(ctx, b)
}

func (s *Service) checkBlueprint(b *ferry.Blueprint) error {
	if err := b.Validate(); err != nil {
		return err
	}
	if len(b.Schema) == 0 || string(b.Schema) == "null" {
		b.Schema = json.RawMessage(`{}`)
	}
	if _, err := s.schemas().Get(b.Schema); err != nil {
		return err
	}
	// The schema is for the properties object: a type that excludes objects would
	// refuse every entity.
	var top struct {
		Type any `json:"type"`
	}
	if json.Unmarshal(b.Schema, &top) == nil && top.Type != nil && !allowsObject(top.Type) {
		return ferry.Errorf(ferry.EINVALID, "The schema of blueprint %q is for an entity's properties, which are an object: its type must be \"object\" (or left out).", b.Identifier)
	}
	return nil
}

// allowsObject reports whether a JSON Schema type keyword's value admits objects.
func allowsObject(t any) bool {
	switch t := t.(type) {
	case string:
		return t == "object"
	case []any:
		for _, x := range t {
			if x == "object" {
				return true
			}
		}
	}
	return false
}

// UpdateBlueprint replaces blueprint b's title, schema and relations. When existing
// entities would violate the change it is refused (ECONFLICT naming them), unless force,
// which marks them invalid.
func (s *Service) UpdateBlueprint(ctx context.Context, b *ferry.Blueprint, force bool) error {
	if err := s.checkBlueprint(b); err != nil {
		return err
	}
	if _, err := s.Store.FindBlueprint(ctx, b.Namespace, b.Identifier); err != nil {
		return err
	}
	invalid := map[string][]ferry.Violation{}
	f := ferry.EntityFilter{Blueprint: b.Identifier, Page: ferry.Page{Limit: ferry.MaxPageLimit}}
	for {
		items, next, err := s.Store.ListEntities(ctx, b.Namespace, f)
		if err != nil {
			return err
		}
		for _, e := range items {
			if v, err := s.violations(b, e); err != nil {
				return err
			} else if len(v) > 0 {
				invalid[e.Identifier] = v
			}
		}
		if next == "" {
			break
		}
		f.Page.Cursor = next
	}
	if len(invalid) > 0 && !force {
		ids := make([]string, 0, len(invalid))
		for id := range invalid {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		var all []ferry.Violation
		for _, id := range ids {
			for _, v := range invalid[id] {
				v.Entity = b.Identifier + "/" + id
				all = append(all, v)
			}
		}
		return &ferry.EntityError{Err: ferry.Errorf(ferry.ECONFLICT,
			"The change would make %d entities of blueprint %q invalid: %s. Fix them first, or change it with ?force=true to mark them invalid.",
			len(ids), b.Identifier, strings.Join(clipList(ids, 20), ", ")), Violations: all}
	}
	return s.Store.UpdateBlueprint(ctx, b, invalid)
}

// PutOptions say how entities are written.
type PutOptions struct {
	Upsert bool             // replace an entity that exists; otherwise that is ECONFLICT
	Force  bool             // overwrite entities kept in Git through the API
	Source ferry.Provenance // where the data comes from; At is set when zero
}

// PutEntities validates entities (of namespace ns) against their blueprints and writes
// them in one transaction: all or none. Every violation of every entity is returned in one
// EntityError. Entities kept in Git are refused unless opts.Force. Each entity's Dangling
// lists relations whose target does not exist.
func (s *Service) PutEntities(ctx context.Context, ns string, entities []*ferry.Entity, opts PutOptions) error {
	if len(entities) == 0 {
		return ferry.Errorf(ferry.EINVALID, "No entities to write.")
	}
	if len(entities) > MaxBatch {
		return ferry.Errorf(ferry.EINVALID, "%d entities in one request; send at most %d.", len(entities), MaxBatch)
	}
	if opts.Source.At.IsZero() {
		opts.Source.At = s.now()
	}
	blueprints := map[string]*ferry.Blueprint{}
	seen := map[ferry.EntityKey]bool{}
	var all []ferry.Violation
	for _, e := range entities {
		e.Namespace, e.Source = ns, opts.Source
		e.Invalid, e.Violations, e.Dangling = false, nil, nil
		key := ferry.EntityKey{Blueprint: e.Blueprint, Identifier: e.Identifier}
		v, err := s.check(ctx, ns, e, blueprints)
		if err != nil {
			return err
		}
		if seen[key] {
			v = append(v, ferry.Violation{Pointer: "/identifier", Message: "the batch holds this entity twice"})
		}
		seen[key] = true
		for _, x := range v {
			x.Entity = e.Blueprint + "/" + e.Identifier
			all = append(all, x)
		}
	}
	if len(all) > 0 {
		return invalidEntities(entities, all)
	}
	if opts.Source.Source != ferry.SourceGit && !opts.Force {
		if err := s.checkOwner(ctx, ns, entities); err != nil {
			return err
		}
	}
	if err := s.dangling(ctx, ns, entities, blueprints); err != nil {
		return err
	}
	return s.Store.PutEntities(ctx, entities, opts.Upsert)
}

// invalidEntities returns the EntityError for violations v of entities.
func invalidEntities(entities []*ferry.Entity, v []ferry.Violation) error {
	parts := make([]string, 0, min(len(v), 10))
	for _, x := range v[:min(len(v), 10)] {
		where := x.Pointer
		if len(entities) > 1 {
			where = x.Entity + " " + x.Pointer
		}
		parts = append(parts, where+": "+strings.TrimSuffix(x.Message, "."))
	}
	more := ""
	if len(v) > 10 {
		more = fmt.Sprintf(" (and %d more)", len(v)-10)
	}
	what := "The entity is"
	if len(entities) > 1 {
		what = "Entities are"
	}
	return &ferry.EntityError{Err: ferry.Errorf(ferry.EINVALID, "%s not valid: %s%s.", what, strings.Join(parts, "; "), more), Violations: v}
}

// check returns what is wrong with e's identifier, title, properties and relations.
func (s *Service) check(ctx context.Context, ns string, e *ferry.Entity, blueprints map[string]*ferry.Blueprint) ([]ferry.Violation, error) {
	if err := ferry.ValidateIdentifier("Blueprint", e.Blueprint); err != nil {
		return []ferry.Violation{{Pointer: "/blueprint", Message: ferry.ErrorMessage(err)}}, nil
	}
	if err := ferry.ValidateIdentifier("Identifier", e.Identifier); err != nil {
		return []ferry.Violation{{Pointer: "/identifier", Message: ferry.ErrorMessage(err)}}, nil
	}
	b, ok := blueprints[e.Blueprint]
	if !ok {
		var err error
		if b, err = s.Store.FindBlueprint(ctx, ns, e.Blueprint); err != nil {
			return nil, err
		}
		blueprints[e.Blueprint] = b
	}
	var v []ferry.Violation
	if len(e.Title) > 255 {
		v = append(v, ferry.Violation{Pointer: "/title", Message: "longer than 255 bytes"})
	}
	if e.Properties == nil {
		e.Properties = map[string]any{}
	}
	more, err := s.violations(b, e)
	return append(v, more...), err
}

// violations returns how e breaks blueprint b's schema and relations.
func (s *Service) violations(b *ferry.Blueprint, e *ferry.Entity) ([]ferry.Violation, error) {
	sch, err := s.schemas().Get(b.Schema)
	if err != nil {
		return nil, err
	}
	v := sch.Validate(e.Properties)
	names := make([]string, 0, len(b.Relations))
	for name := range b.Relations {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		r := b.Relations[name]
		raw, ok := e.Relations[name]
		if (!ok || isNull(raw)) && r.Required {
			v = append(v, ferry.Violation{Pointer: "/relations/" + name, Message: fmt.Sprintf("relation %q to %s is required", name, r.Target)})
		}
		if ok && !isNull(raw) {
			if _, err := targets(raw, r.Many); err != nil {
				v = append(v, ferry.Violation{Pointer: "/relations/" + name, Message: err.Error()})
			}
		}
	}
	for name := range e.Relations {
		if _, ok := b.Relations[name]; !ok {
			v = append(v, ferry.Violation{Pointer: "/relations/" + name, Message: fmt.Sprintf("blueprint %q has no relation %q", b.Identifier, name)})
		}
	}
	return v, nil
}

func isNull(raw json.RawMessage) bool { return len(raw) == 0 || string(raw) == "null" }

// targets reads a relation's value: one identifier, or a list of them when many.
func targets(raw json.RawMessage, many bool) ([]string, error) {
	if many {
		var ids []string
		if err := json.Unmarshal(raw, &ids); err != nil {
			return nil, fmt.Errorf("must be a list of entity identifiers")
		}
		for _, id := range ids {
			if ferry.ValidateIdentifier("Identifier", id) != nil {
				return nil, fmt.Errorf("%q is not an entity identifier", id)
			}
		}
		return ids, nil
	}
	var id string
	if err := json.Unmarshal(raw, &id); err != nil {
		return nil, fmt.Errorf("must be one entity identifier (a string)")
	}
	if ferry.ValidateIdentifier("Identifier", id) != nil {
		return nil, fmt.Errorf("%q is not an entity identifier", id)
	}
	return []string{id}, nil
}

// checkOwner refuses API writes to entities kept in Git.
func (s *Service) checkOwner(ctx context.Context, ns string, entities []*ferry.Entity) error {
	keys := make([]ferry.EntityKey, len(entities))
	for i, e := range entities {
		keys[i] = ferry.EntityKey{Blueprint: e.Blueprint, Identifier: e.Identifier}
	}
	sources, err := s.Store.EntitySources(ctx, ns, keys)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if p, ok := sources[k]; ok && p.Source == ferry.SourceGit {
			return gitOwned(k, p)
		}
	}
	return nil
}

func gitOwned(k ferry.EntityKey, p ferry.Provenance) error {
	return ferry.Errorf(ferry.ECONFLICT, "Entity %s/%s is kept in Git (%s of binding %q): change it there, or write with ?force=true (the next pull puts Git's version back).",
		k.Blueprint, k.Identifier, p.Path, p.Binding)
}

// dangling sets each entity's Dangling to the relations whose targets exist neither in
// the namespace nor in the batch.
func (s *Service) dangling(ctx context.Context, ns string, entities []*ferry.Entity, blueprints map[string]*ferry.Blueprint) error {
	inBatch := map[ferry.EntityKey]bool{}
	for _, e := range entities {
		inBatch[ferry.EntityKey{Blueprint: e.Blueprint, Identifier: e.Identifier}] = true
	}
	type ref struct {
		e    *ferry.Entity
		name string
		key  ferry.EntityKey
	}
	var refs []ref
	var keys []ferry.EntityKey
	for _, e := range entities {
		b := blueprints[e.Blueprint]
		for name, raw := range e.Relations {
			r, ok := b.Relations[name]
			if !ok || isNull(raw) {
				continue
			}
			ids, _ := targets(raw, r.Many)
			for _, id := range ids {
				k := ferry.EntityKey{Blueprint: r.Target, Identifier: id}
				refs = append(refs, ref{e, name, k})
				if !inBatch[k] {
					keys = append(keys, k)
				}
			}
		}
	}
	if len(refs) == 0 {
		return nil
	}
	exist := map[ferry.EntityKey]bool{}
	if len(keys) > 0 {
		var err error
		if exist, err = s.Store.EntitiesExist(ctx, ns, keys); err != nil {
			return err
		}
	}
	for _, r := range refs {
		if !inBatch[r.key] && !exist[r.key] {
			r.e.Dangling = append(r.e.Dangling, r.name+":"+r.key.Identifier)
		}
	}
	return nil
}

// EntityPatch is a merge of an entity: a title, and properties and relations merged as
// JSON merge patches (RFC 7386: null removes).
type EntityPatch struct {
	Title      *string                    `json:"title"`
	Properties map[string]any             `json:"properties"`
	Relations  map[string]json.RawMessage `json:"relations"`
}

// PatchEntity merges p into entity bp/id of ns and writes it as PutEntities does.
func (s *Service) PatchEntity(ctx context.Context, ns, bp, id string, p EntityPatch, opts PutOptions) (*ferry.Entity, error) {
	e, err := s.Store.FindEntity(ctx, ns, bp, id)
	if err != nil {
		return nil, err
	}
	if p.Title != nil {
		e.Title = *p.Title
	}
	e.Properties = mergePatch(e.Properties, p.Properties)
	for name, raw := range p.Relations {
		if isNull(raw) {
			delete(e.Relations, name)
			continue
		}
		if e.Relations == nil {
			e.Relations = map[string]json.RawMessage{}
		}
		e.Relations[name] = raw
	}
	opts.Upsert = true
	if err := s.PutEntities(ctx, ns, []*ferry.Entity{e}, opts); err != nil {
		return nil, err
	}
	return e, nil
}

// mergePatch applies the JSON merge patch p to doc.
func mergePatch(doc, p map[string]any) map[string]any {
	if doc == nil {
		doc = map[string]any{}
	}
	for k, v := range p {
		switch v := v.(type) {
		case nil:
			delete(doc, k)
		case map[string]any:
			sub, _ := doc[k].(map[string]any)
			doc[k] = mergePatch(sub, v)
		default:
			doc[k] = v
		}
	}
	return doc
}

// GetEntity returns entity bp/id of ns with its dangling relations.
func (s *Service) GetEntity(ctx context.Context, ns, bp, id string) (*ferry.Entity, error) {
	e, err := s.Store.FindEntity(ctx, ns, bp, id)
	if err != nil {
		return nil, err
	}
	b, err := s.Store.FindBlueprint(ctx, ns, bp)
	if err != nil {
		return nil, err
	}
	e.Dangling = nil
	if err := s.dangling(ctx, ns, []*ferry.Entity{e}, map[string]*ferry.Blueprint{bp: b}); err != nil {
		return nil, err
	}
	return e, nil
}

// DeleteEntity removes entity bp/id of ns; one kept in Git only with force.
func (s *Service) DeleteEntity(ctx context.Context, ns, bp, id string, force bool, source ferry.Provenance) error {
	e, err := s.Store.FindEntity(ctx, ns, bp, id)
	if err != nil {
		return err
	}
	k := ferry.EntityKey{Blueprint: bp, Identifier: id}
	if e.Source.Source == ferry.SourceGit && !force {
		return gitOwned(k, e.Source)
	}
	if source.At.IsZero() {
		source.At = s.now()
	}
	return s.Store.DeleteEntities(ctx, ns, []ferry.EntityKey{k}, source)
}

func clipList(list []string, n int) []string {
	if len(list) <= n {
		return list
	}
	return append(slices.Clone(list[:n]), fmt.Sprintf("and %d more", len(list)-n))
}
