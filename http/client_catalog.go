package http

import (
	"context"
	"net/http"
	"net/url"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/catalog"
)

// blueprintPath returns the escaped API path of blueprint bp of namespace ns, followed by more.
func blueprintPath(ns, bp string, more ...string) string {
	return nsPath(ns, append([]string{"blueprints", bp}, more...)...)
}

// entityPath returns the escaped API path of entity id of blueprint bp of namespace ns,
// followed by more.
func entityPath(ns, bp, id string, more ...string) string {
	return blueprintPath(ns, bp, append([]string{"entities", id}, more...)...)
}

// trueParams returns the query parameters name=true of the names that are set.
func trueParams(set map[string]bool) url.Values {
	q := url.Values{}
	for name, on := range set {
		if on {
			q.Set(name, "true")
		}
	}
	return q
}

// err returns the error an error answer describes: *ferry.EntityError when it lists
// violations, so callers can show every one, and *ferry.Error otherwise.
func (d errorDetail) err() error {
	fe := &ferry.Error{Code: d.Code, Message: d.Message}
	if len(d.Violations) == 0 {
		return fe
	}
	return &ferry.EntityError{Err: fe, Violations: d.Violations}
}

// sendCatalog sends req with body v (nil for none) and decodes the answer into out
// (nil to discard it). An invalid entity's error is a *ferry.EntityError with every
// violation.
func (c *Client) sendCatalog(ctx context.Context, req request, v, out any) error {
	_, err := c.send(ctx, req, v, out)
	return err
}

// blueprint sends req with body v (nil for none) and decodes the blueprint in the answer.
func (c *Client) blueprint(ctx context.Context, req request, v any) (*ferry.Blueprint, error) {
	var b ferry.Blueprint
	if err := c.sendCatalog(ctx, req, v, &b); err != nil {
		return nil, err
	}
	return &b, nil
}

// CreateBlueprint creates blueprint req.Identifier in namespace ns. Returns EINVALID for
// a schema that does not compile and ECONFLICT if the identifier is taken.
func (c *Client) CreateBlueprint(ctx context.Context, ns string, req BlueprintRequest) (*ferry.Blueprint, error) {
	return c.blueprint(ctx, request{method: http.MethodPost, path: nsPath(ns, "blueprints")}, req)
}

// ListBlueprints returns every blueprint of namespace ns by identifier.
func (c *Client) ListBlueprints(ctx context.Context, ns string) ([]*ferry.Blueprint, error) {
	var out listResponse[*ferry.Blueprint]
	if err := c.sendCatalog(ctx, request{method: http.MethodGet, path: nsPath(ns, "blueprints")}, nil, &out); err != nil {
		return nil, err
	}
	return out.Items, nil
}

// GetBlueprint returns blueprint id of namespace ns.
func (c *Client) GetBlueprint(ctx context.Context, ns, id string) (*ferry.Blueprint, error) {
	return c.blueprint(ctx, request{method: http.MethodGet, path: blueprintPath(ns, id)}, nil)
}

// UpdateBlueprint replaces the title, schema and relations of blueprint req.Identifier.
// When entities would violate the change it returns an ECONFLICT *ferry.EntityError
// listing them, unless force, which marks them invalid.
func (c *Client) UpdateBlueprint(ctx context.Context, ns string, req BlueprintRequest, force bool) (*ferry.Blueprint, error) {
	return c.blueprint(ctx, request{method: http.MethodPut, path: blueprintPath(ns, req.Identifier), query: trueParams(map[string]bool{"force": force})}, req)
}

// DeleteBlueprint removes blueprint id of namespace ns; with cascade its entities too.
// Returns ECONFLICT while it has entities and cascade is false.
func (c *Client) DeleteBlueprint(ctx context.Context, ns, id string, cascade bool) error {
	return c.sendCatalog(ctx, request{method: http.MethodDelete, path: blueprintPath(ns, id), query: trueParams(map[string]bool{"cascade": cascade})}, nil, nil)
}

// PutEntity writes one entity of blueprint bp and returns it as stored, with its
// dangling relations. Without upsert an existing identifier is ECONFLICT; without force
// an entity kept in Git is ECONFLICT. An entity that breaks its blueprint is an EINVALID
// *ferry.EntityError listing every violation.
func (c *Client) PutEntity(ctx context.Context, ns, bp string, e EntityRequest, upsert, force bool) (*ferry.Entity, error) {
	var out ferry.Entity
	req := request{method: http.MethodPost, path: blueprintPath(ns, bp, "entities"), query: trueParams(map[string]bool{"upsert": upsert, "force": force})}
	if err := c.sendCatalog(ctx, req, e, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// BulkEntities writes up to catalog.MaxBatch entities of blueprint bp, all or none, and
// returns how many it wrote. Errors are those of PutEntity; violations name the entity
// they belong to.
func (c *Client) BulkEntities(ctx context.Context, ns, bp string, entities []EntityRequest, upsert, force bool) (int, error) {
	var out BulkResponse
	req := request{method: http.MethodPost, path: blueprintPath(ns, bp, "entities", "bulk"), query: trueParams(map[string]bool{"upsert": upsert, "force": force})}
	if err := c.sendCatalog(ctx, req, BulkRequest{Entities: entities}, &out); err != nil {
		return 0, err
	}
	return out.Written, nil
}

// ListEntities returns one page of the entities of blueprint bp, by identifier, whose
// identifier or title contains search (any when "") and whose properties equal props,
// and the cursor of the next page, "" after the last.
func (c *Client) ListEntities(ctx context.Context, ns, bp, search string, props map[string]string, page ferry.Page) ([]*ferry.Entity, string, error) {
	q := pageQuery(page)
	if search != "" {
		q.Set("search", search)
	}
	for k, v := range props {
		q.Set("property."+k, v)
	}
	var out listResponse[*ferry.Entity]
	if err := c.sendCatalog(ctx, request{method: http.MethodGet, path: blueprintPath(ns, bp, "entities"), query: q}, nil, &out); err != nil {
		return nil, "", err
	}
	return out.Items, out.Next, nil
}

// GetEntity returns entity id of blueprint bp with its dangling relations.
func (c *Client) GetEntity(ctx context.Context, ns, bp, id string) (*ferry.Entity, error) {
	var out ferry.Entity
	if err := c.sendCatalog(ctx, request{method: http.MethodGet, path: entityPath(ns, bp, id)}, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// PatchEntity merges p into entity id of blueprint bp (JSON merge patch: null removes)
// and returns the result. Errors are those of PutEntity.
func (c *Client) PatchEntity(ctx context.Context, ns, bp, id string, p catalog.EntityPatch, force bool) (*ferry.Entity, error) {
	var out ferry.Entity
	req := request{method: http.MethodPatch, path: entityPath(ns, bp, id), query: trueParams(map[string]bool{"force": force})}
	if err := c.sendCatalog(ctx, req, p, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteEntity removes entity id of blueprint bp; one kept in Git only with force.
func (c *Client) DeleteEntity(ctx context.Context, ns, bp, id string, force bool) error {
	return c.sendCatalog(ctx, request{method: http.MethodDelete, path: entityPath(ns, bp, id), query: trueParams(map[string]bool{"force": force})}, nil, nil)
}

// EntityHistory returns one page of entity id's changes, newest first, and the cursor of
// the next page, "" after the last.
func (c *Client) EntityHistory(ctx context.Context, ns, bp, id string, page ferry.Page) ([]*ferry.EntityChange, string, error) {
	var out listResponse[*ferry.EntityChange]
	if err := c.sendCatalog(ctx, request{method: http.MethodGet, path: entityPath(ns, bp, id, "history"), query: pageQuery(page)}, nil, &out); err != nil {
		return nil, "", err
	}
	return out.Items, out.Next, nil
}
