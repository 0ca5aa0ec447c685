package http

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/catalog"
)

// Catalog is the catalog service the API uses; *catalog.Service implements it.
type Catalog interface {
	CreateBlueprint(ctx context.Context, b *ferry.Blueprint) error
	UpdateBlueprint(ctx context.Context, b *ferry.Blueprint, force bool) error
	PutEntities(ctx context.Context, ns string, entities []*ferry.Entity, opts catalog.PutOptions) error
	PatchEntity(ctx context.Context, ns, bp, id string, p catalog.EntityPatch, opts catalog.PutOptions) (*ferry.Entity, error)
	GetEntity(ctx context.Context, ns, bp, id string) (*ferry.Entity, error)
	DeleteEntity(ctx context.Context, ns, bp, id string, force bool, source ferry.Provenance) error
}

// registerCatalogRoutes registers the routes of blueprints and entities.
func (s *Server) registerCatalogRoutes(mux *http.ServeMux) {
	const bp = "/api/v1/namespaces/{ns}/blueprints"
	api := func(mux *http.ServeMux, pattern string, perm ferry.Permission, h http.HandlerFunc) {
		s.api(mux, pattern, perm, s.catalogReady(h))
	}
	api(mux, "POST "+bp, ferry.PermCatalogWrite, s.handleCreateBlueprint)
	api(mux, "GET "+bp, ferry.PermCatalogRead, s.handleListBlueprints)
	api(mux, "GET "+bp+"/{bp}", ferry.PermCatalogRead, s.handleGetBlueprint)
	api(mux, "PUT "+bp+"/{bp}", ferry.PermCatalogWrite, s.handleUpdateBlueprint)
	api(mux, "DELETE "+bp+"/{bp}", ferry.PermCatalogWrite, s.handleDeleteBlueprint)
	api(mux, "POST "+bp+"/{bp}/entities", ferry.PermCatalogWrite, s.handlePutEntity)
	api(mux, "POST "+bp+"/{bp}/entities/bulk", ferry.PermCatalogWrite, s.handleBulkEntities)
	api(mux, "GET "+bp+"/{bp}/entities", ferry.PermCatalogRead, s.handleListEntities)
	api(mux, "GET "+bp+"/{bp}/entities/{id}", ferry.PermCatalogRead, s.handleGetEntity)
	api(mux, "PATCH "+bp+"/{bp}/entities/{id}", ferry.PermCatalogWrite, s.handlePatchEntity)
	api(mux, "DELETE "+bp+"/{bp}/entities/{id}", ferry.PermCatalogWrite, s.handleDeleteEntity)
	api(mux, "GET "+bp+"/{bp}/entities/{id}/history", ferry.PermCatalogRead, s.handleEntityHistory)
}

// catalogReady answers 503 instead of calling h when the server has no catalog.
func (s *Server) catalogReady(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.Catalog == nil || s.CatalogStore == nil {
			s.writeError(w, r, ferry.Errorf(ferry.EUNAVAILABLE, "This server has no catalog."))
			return
		}
		h(w, r)
	}
}

// BlueprintRequest is the body of POST …/blueprints and PUT …/blueprints/{bp}.
type BlueprintRequest struct {
	Identifier string                    `json:"identifier"`
	Title      string                    `json:"title,omitempty"`
	Schema     json.RawMessage           `json:"schema,omitempty"`
	Relations  map[string]ferry.Relation `json:"relations,omitempty"`
}

func (s *Server) handleCreateBlueprint(w http.ResponseWriter, r *http.Request) {
	var req BlueprintRequest
	if err := decodeJSON(w, r, s.maxRequestSize(), &req, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	b := &ferry.Blueprint{Namespace: r.PathValue("ns"), Identifier: req.Identifier, Title: req.Title, Schema: req.Schema, Relations: req.Relations}
	if err := s.Catalog.CreateBlueprint(r.Context(), b); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", r.URL.Path+"/"+url.PathEscape(b.Identifier))
	writeJSON(w, http.StatusCreated, b)
}

func (s *Server) handleListBlueprints(w http.ResponseWriter, r *http.Request) {
	items, err := s.CatalogStore.ListBlueprints(r.Context(), r.PathValue("ns"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeList(w, items, "")
}

func (s *Server) handleGetBlueprint(w http.ResponseWriter, r *http.Request) {
	b, err := s.CatalogStore.FindBlueprint(r.Context(), r.PathValue("ns"), r.PathValue("bp"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, b)
}

func (s *Server) handleUpdateBlueprint(w http.ResponseWriter, r *http.Request) {
	var req BlueprintRequest
	if err := decodeJSON(w, r, s.maxRequestSize(), &req, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	force, err := boolParam(r, "force")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	id := r.PathValue("bp")
	if req.Identifier != "" && req.Identifier != id {
		s.writeError(w, r, ferry.Errorf(ferry.EINVALID, "The body names blueprint %q but the path %q; a blueprint cannot be renamed.", clip(req.Identifier), clip(id)))
		return
	}
	b := &ferry.Blueprint{Namespace: r.PathValue("ns"), Identifier: id, Title: req.Title, Schema: req.Schema, Relations: req.Relations}
	if err := s.Catalog.UpdateBlueprint(r.Context(), b, force); err != nil {
		s.writeError(w, r, err)
		return
	}
	stored, err := s.CatalogStore.FindBlueprint(r.Context(), b.Namespace, id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, stored)
}

func (s *Server) handleDeleteBlueprint(w http.ResponseWriter, r *http.Request) {
	cascade, err := boolParam(r, "cascade")
	if err == nil {
		err = s.CatalogStore.DeleteBlueprint(r.Context(), r.PathValue("ns"), r.PathValue("bp"), cascade)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// EntityRequest is an entity as the API takes it; the blueprint comes from the path.
type EntityRequest struct {
	Blueprint  string                     `json:"blueprint,omitempty"`
	Identifier string                     `json:"identifier"`
	Title      string                     `json:"title,omitempty"`
	Properties map[string]any             `json:"properties"`
	Relations  map[string]json.RawMessage `json:"relations,omitempty"`
}

func (req *EntityRequest) entity(bp string) (*ferry.Entity, error) {
	if req.Blueprint != "" && req.Blueprint != bp {
		return nil, ferry.Errorf(ferry.EINVALID, "Entity %q names blueprint %q, but is sent to blueprint %q.", clip(req.Identifier), clip(req.Blueprint), bp)
	}
	return &ferry.Entity{Blueprint: bp, Identifier: req.Identifier, Title: req.Title, Properties: req.Properties, Relations: req.Relations}, nil
}

// writeOptions reads ?upsert= and ?force= and the request's principal into PutOptions.
func writeOptions(r *http.Request) (catalog.PutOptions, error) {
	upsert, err := boolParam(r, "upsert")
	if err != nil {
		return catalog.PutOptions{}, err
	}
	force, err := boolParam(r, "force")
	return catalog.PutOptions{Upsert: upsert, Force: force, Source: ferry.Provenance{Source: ferry.SourceAPI, Actor: actorFrom(r.Context())}}, err
}

func (s *Server) handlePutEntity(w http.ResponseWriter, r *http.Request) {
	var req EntityRequest
	if err := decodeJSON(w, r, s.maxRequestSize(), &req, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	opts, err := writeOptions(r)
	var e *ferry.Entity
	if err == nil {
		e, err = req.entity(r.PathValue("bp"))
	}
	if err == nil {
		err = s.Catalog.PutEntities(r.Context(), r.PathValue("ns"), []*ferry.Entity{e}, opts)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", r.URL.Path+"/"+url.PathEscape(e.Identifier))
	writeJSON(w, http.StatusOK, e)
}

// BulkRequest is the body of POST …/entities/bulk: up to catalog.MaxBatch entities,
// written all or nothing.
type BulkRequest struct {
	Entities []EntityRequest `json:"entities"`
}

// BulkResponse answers a bulk write.
type BulkResponse struct {
	Written int `json:"written"`
}

func (s *Server) handleBulkEntities(w http.ResponseWriter, r *http.Request) {
	var req BulkRequest
	if err := decodeJSON(w, r, s.maxRequestSize(), &req, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	opts, err := writeOptions(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	entities := make([]*ferry.Entity, len(req.Entities))
	for i := range req.Entities {
		if entities[i], err = req.Entities[i].entity(r.PathValue("bp")); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	if err := s.Catalog.PutEntities(r.Context(), r.PathValue("ns"), entities, opts); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, BulkResponse{Written: len(entities)})
}

func (s *Server) handleListEntities(w http.ResponseWriter, r *http.Request) {
	page, err := pageParams(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	f := ferry.EntityFilter{Blueprint: r.PathValue("bp"), Search: r.URL.Query().Get("search"), Page: page}
	for key, vals := range r.URL.Query() {
		name, ok := strings.CutPrefix(key, "property.")
		if !ok {
			continue
		}
		if err := ferry.ValidateIdentifier("Property name", name); err != nil {
			s.writeError(w, r, err)
			return
		}
		if f.Properties == nil {
			f.Properties = map[string]string{}
		}
		f.Properties[name] = vals[0]
	}
	items, next, err := s.CatalogStore.ListEntities(r.Context(), r.PathValue("ns"), f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeList(w, items, next)
}

func (s *Server) handleGetEntity(w http.ResponseWriter, r *http.Request) {
	e, err := s.Catalog.GetEntity(r.Context(), r.PathValue("ns"), r.PathValue("bp"), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, e)
}

func (s *Server) handlePatchEntity(w http.ResponseWriter, r *http.Request) {
	var p catalog.EntityPatch
	if err := decodeJSON(w, r, s.maxRequestSize(), &p, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	opts, err := writeOptions(r)
	var e *ferry.Entity
	if err == nil {
		e, err = s.Catalog.PatchEntity(r.Context(), r.PathValue("ns"), r.PathValue("bp"), r.PathValue("id"), p, opts)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, e)
}

func (s *Server) handleDeleteEntity(w http.ResponseWriter, r *http.Request) {
	force, err := boolParam(r, "force")
	if err == nil {
		err = s.Catalog.DeleteEntity(r.Context(), r.PathValue("ns"), r.PathValue("bp"), r.PathValue("id"), force,
			ferry.Provenance{Source: ferry.SourceAPI, Actor: actorFrom(r.Context())})
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleEntityHistory(w http.ResponseWriter, r *http.Request) {
	page, err := pageParams(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	items, next, err := s.CatalogStore.EntityHistory(r.Context(), r.PathValue("ns"), r.PathValue("bp"), r.PathValue("id"), page)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeList(w, items, next)
}
