package ui

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/ferrygit/ferry"
	fhttp "github.com/ferrygit/ferry/http"
)

// registerCatalogPages registers the catalog pages of a namespace: its blueprints, a
// blueprint's entities, and an entity with its provenance and history.
func (s *Server) registerCatalogPages(mux *http.ServeMux) {
	s.page(mux, "GET /ns/{ns}/catalog", s.catalogPage)
	s.page(mux, "POST /ns/{ns}/catalog", s.createBlueprint)
	s.page(mux, "GET /ns/{ns}/catalog/{bp}", s.blueprintPage)
	s.page(mux, "POST /ns/{ns}/catalog/{bp}", s.addEntity)
	s.page(mux, "GET /ns/{ns}/catalog/{bp}/{id}", s.entityPage)
	s.page(mux, "POST /ns/{ns}/catalog/{bp}/{id}", s.editEntity)
	s.page(mux, "GET /ns/{ns}/catalog/{bp}/{id}/delete", s.deleteEntityPage)
	s.page(mux, "POST /ns/{ns}/catalog/{bp}/{id}/delete", s.deleteEntity)
}

// renderCatalog renders a catalog page as render does, with errMsg, if any, shown above it,
// and the namespaces highlighted in the navigation.
func (s *Server) renderCatalog(c *call, status int, name, title, errMsg string, data any) error {
	v := &view{Title: title, Data: data, Flash: c.r.URL.Query().Get("flash"), Error: errMsg, Section: "ns", User: c.user, CSRF: c.csrf}
	return s.write(c.w, status, name, v)
}

// failure is a refused form: the status of the page that shows it again, the API's
// message and, for an entity, every violation.
type failure struct {
	Status     int
	Message    string
	Violations []ferry.Violation
}

// formError returns the failure err describes. An internal error is returned as it is,
// to be shown as the error page.
func formError(err error) (*failure, error) {
	code := ferry.ErrorCode(err)
	if code == ferry.EINTERNAL {
		return nil, err
	}
	f := &failure{Status: status(code), Message: ferry.ErrorMessage(err)}
	var ee *ferry.EntityError
	if errorsAs(err, &ee) {
		f.Violations = ee.Violations
	}
	return f, nil
}

// canWriteCatalog reports whether c's user may write the catalog of ns: a hint for which
// forms to show; the API decides.
func canWriteCatalog(c *call, ns string) bool {
	p := &ferry.Principal{Kind: c.user.Kind, Permissions: c.user.Permissions, Namespace: c.user.Namespace, Roles: c.user.Roles}
	return p.Can(ferry.PermCatalogWrite, ns)
}

// decodeObject reads text, a JSON object typed into a form field called what, keeping
// numbers as written. Empty text is an empty object.
func decodeObject(what, text string, v any) error {
	if strings.TrimSpace(text) == "" {
		text = "{}"
	}
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.Decode(new(json.RawMessage)) != io.EOF {
		err = errors.New("more follows the object")
	}
	var typeErr *json.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &typeErr) && typeErr.Field == "":
		return ferry.Errorf(ferry.EINVALID, "%s must be a JSON object, not %s.", what, typeErr.Value)
	case errors.As(err, &typeErr):
		return ferry.Errorf(ferry.EINVALID, "%s: the field %s must be of type %s, not %s.", what, typeErr.Field, typeErr.Type, typeErr.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return ferry.Errorf(ferry.EINVALID, "%s have an %s.", what, strings.TrimPrefix(err.Error(), "json: "))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return ferry.Errorf(ferry.EINVALID, "%s are not valid JSON: the text ends in the middle of a value.", what)
	}
	return ferry.Errorf(ferry.EINVALID, "%s are not valid JSON: %s.", what, strings.TrimPrefix(err.Error(), "json: "))
}

// pretty returns v as indented JSON.
func pretty(v any) string {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// prettyRaw returns raw JSON indented, or as it is when it does not parse.
func prettyRaw(raw json.RawMessage) string {
	var buf bytes.Buffer
	if json.Indent(&buf, raw, "", "  ") != nil {
		return string(raw)
	}
	return buf.String()
}

// catalogPath returns the UI path of a namespace's catalog followed by the escaped parts.
func catalogPath(ns string, parts ...string) string {
	p := "/ns/" + url.PathEscape(ns) + "/catalog"
	for _, part := range parts {
		p += "/" + url.PathEscape(part)
	}
	return p
}

// blueprintForm is what the form to create a blueprint holds.
type blueprintForm struct{ Identifier, Title, Schema, Relations string }

// catalogView is the data of a namespace's blueprint list.
type catalogView struct {
	NS         nsView
	Blueprints []*ferry.Blueprint
	CanWrite   bool
	Form       blueprintForm
}

func (s *Server) catalogPage(c *call) error {
	return s.showCatalog(c, http.StatusOK, "", blueprintForm{Schema: "{\n  \"type\": \"object\",\n  \"properties\": {}\n}"})
}

func (s *Server) showCatalog(c *call, status int, errMsg string, form blueprintForm) error {
	ns := c.r.PathValue("ns")
	items, err := c.client.ListBlueprints(c.ctx(), ns)
	if err != nil {
		return err
	}
	v := catalogView{NS: nsView{NS: ns, Tab: "catalog"}, Blueprints: items, CanWrite: canWriteCatalog(c, ns), Form: form}
	return s.renderCatalog(c, status, "catalog_list", ns+" catalog", errMsg, v)
}

func (s *Server) createBlueprint(c *call) error {
	ns, f := c.r.PathValue("ns"), c.r.PostForm
	form := blueprintForm{Identifier: strings.TrimSpace(f.Get("identifier")), Title: strings.TrimSpace(f.Get("title")), Schema: f.Get("schema"), Relations: f.Get("relations")}
	req := fhttp.BlueprintRequest{Identifier: form.Identifier, Title: form.Title}
	err := checkJSON("The schema", form.Schema)
	if err == nil {
		req.Schema = json.RawMessage(strings.TrimSpace(form.Schema))
		err = decodeRelations(form.Relations, &req.Relations)
	}
	if err == nil {
		_, err = c.client.CreateBlueprint(c.ctx(), ns, req)
	}
	if err != nil {
		fail, err := formError(err)
		if err != nil {
			return err
		}
		return s.showCatalog(c, fail.Status, fail.Message, form)
	}
	return redirect(c, catalogPath(ns, form.Identifier), "Blueprint "+form.Identifier+" created.")
}

// checkJSON returns EINVALID when text, typed into the form field what, is neither empty
// nor JSON.
func checkJSON(what, text string) error {
	if strings.TrimSpace(text) == "" {
		return nil
	}
	var v any
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return ferry.Errorf(ferry.EINVALID, "%s is not valid JSON: %s (at byte %d).", what, strings.TrimPrefix(err.Error(), "json: "), se.Offset)
		}
		return ferry.Errorf(ferry.EINVALID, "%s is not valid JSON: %s.", what, strings.TrimPrefix(err.Error(), "json: "))
	}
	return nil
}

// decodeRelations reads a blueprint's relations typed as a JSON object.
func decodeRelations(text string, out *map[string]ferry.Relation) error {
	if strings.TrimSpace(text) == "" {
		return nil
	}
	return decodeObject("The relations", text, out)
}

// schemaProp is a top-level property of a blueprint's schema.
type schemaProp struct {
	Name string
	Type string // the schema's "type" when it is one string
}

// schemaProps returns the top-level properties of schema, in the order it lists them.
func schemaProps(schema json.RawMessage) []schemaProp {
	var doc map[string]json.RawMessage
	if json.Unmarshal(schema, &doc) != nil {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(doc["properties"]))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil
	}
	var out []schemaProp
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return out
		}
		var sub struct {
			Type any `json:"type"`
		}
		if err := dec.Decode(&sub); err != nil {
			return out
		}
		typ, _ := sub.Type.(string)
		out = append(out, schemaProp{Name: t.(string), Type: typ})
	}
	return out
}

// maxColumns is how many properties the entities table shows; maxFilters how many
// property filters the blueprint page offers.
const (
	maxColumns = 4
	maxFilters = 8
)

// entityForm is what a form to add or edit an entity holds.
type entityForm struct {
	Identifier, Title, Properties, Relations string
	Force                                    bool
}

// relationRow is one relation of a blueprint.
type relationRow struct {
	Name string
	ferry.Relation
}

func relationRows(b *ferry.Blueprint) []relationRow {
	rows := make([]relationRow, 0, len(b.Relations))
	for name, r := range b.Relations {
		rows = append(rows, relationRow{Name: name, Relation: r})
	}
	slices.SortFunc(rows, func(a, b relationRow) int { return strings.Compare(a.Name, b.Name) })
	return rows
}

// filterField is one property filter of the entities table.
type filterField struct{ Name, Value string }

// entityRow is one row of the entities table.
type entityRow struct {
	Entity *ferry.Entity
	Values []string // of the columns
	Source string
}

// blueprintView is the data of a blueprint's page.
type blueprintView struct {
	NS         nsView
	Blueprint  *ferry.Blueprint
	Schema     string // indented
	Relations  []relationRow
	Columns    []string
	Rows       []entityRow
	Search     string
	Filters    []filterField
	Filtered   bool   // a search or filter narrows the table
	NextURL    string // the query of the next page, "" on the last
	CanWrite   bool
	Form       entityForm
	Violations []ferry.Violation
}

func (s *Server) blueprintPage(c *call) error {
	return s.showBlueprint(c, http.StatusOK, nil, entityForm{Properties: "{}"})
}

func (s *Server) showBlueprint(c *call, status int, fail *failure, form entityForm) error {
	ns, id := c.r.PathValue("ns"), c.r.PathValue("bp")
	b, err := c.client.GetBlueprint(c.ctx(), ns, id)
	if err != nil {
		return err
	}
	q := c.r.URL.Query()
	v := blueprintView{NS: nsView{NS: ns, Tab: "catalog"}, Blueprint: b, Schema: prettyRaw(b.Schema), Relations: relationRows(b),
		Search: strings.TrimSpace(q.Get("search")), CanWrite: canWriteCatalog(c, ns), Form: form}
	props := schemaProps(b.Schema)
	filters := map[string]string{}
	for key, vals := range q {
		if name, ok := strings.CutPrefix(key, "property."); ok && strings.TrimSpace(vals[0]) != "" {
			filters[name] = strings.TrimSpace(vals[0])
		}
	}
	for _, p := range props {
		if len(v.Columns) < maxColumns {
			v.Columns = append(v.Columns, p.Name)
		}
		if p.Type != "object" && p.Type != "array" && len(v.Filters) < maxFilters {
			v.Filters = append(v.Filters, filterField{Name: p.Name, Value: filters[p.Name]})
		}
	}
	for _, name := range sortedKeys(filters) {
		if !slices.ContainsFunc(v.Filters, func(f filterField) bool { return f.Name == name }) {
			v.Filters = append(v.Filters, filterField{Name: name, Value: filters[name]})
		}
	}
	v.Filtered = v.Search != "" || len(filters) > 0
	items, next, err := c.client.ListEntities(c.ctx(), ns, id, v.Search, filters, ferry.Page{Limit: pageSize, Cursor: q.Get("cursor")})
	if err != nil {
		return err
	}
	for _, e := range items {
		row := entityRow{Entity: e, Source: sourceText(e.Source)}
		for _, col := range v.Columns {
			row.Values = append(row.Values, cellText(e.Properties[col]))
		}
		v.Rows = append(v.Rows, row)
	}
	if next != "" {
		nq := url.Values{"cursor": {next}}
		if v.Search != "" {
			nq.Set("search", v.Search)
		}
		for name, val := range filters {
			nq.Set("property."+name, val)
		}
		v.NextURL = "?" + nq.Encode()
	}
	errMsg := ""
	if fail != nil {
		errMsg, v.Violations = fail.Message, fail.Violations
	}
	return s.renderCatalog(c, status, "catalog_blueprint", b.Identifier+" · "+ns+" catalog", errMsg, v)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// sourceText says in a few words where data came from: "git path@commit" or "api actor".
func sourceText(p ferry.Provenance) string {
	if p.Source == ferry.SourceGit {
		commit := p.Commit
		if len(commit) > 7 {
			commit = commit[:7]
		}
		return "git " + p.Path + "@" + commit
	}
	return strings.TrimSpace(p.Source + " " + p.Actor)
}

// maxCell is the longest property value a table cell shows.
const maxCell = 80

// cellText returns a property value for a table cell: strings as they are, other values
// as compact JSON, long ones cut.
func cellText(v any) string {
	var s string
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		s = v
	default:
		b, _ := json.Marshal(v)
		s = string(b)
	}
	if r := []rune(s); len(r) > maxCell {
		s = string(r[:maxCell-1]) + "…"
	}
	return s
}

// entityRequest reads an entity typed into form; identifier is the entity's when editing.
func entityRequest(form entityForm) (fhttp.EntityRequest, error) {
	req := fhttp.EntityRequest{Identifier: form.Identifier, Title: form.Title}
	if err := decodeObject("The properties", form.Properties, &req.Properties); err != nil {
		return req, err
	}
	if strings.TrimSpace(form.Relations) != "" {
		if err := decodeObject("The relations", form.Relations, &req.Relations); err != nil {
			return req, err
		}
	}
	return req, nil
}

func readEntityForm(c *call, id string) entityForm {
	f := c.r.PostForm
	form := entityForm{Identifier: id, Title: strings.TrimSpace(f.Get("title")), Properties: f.Get("properties"), Relations: f.Get("relations"), Force: f.Get("force") != ""}
	if id == "" {
		form.Identifier = strings.TrimSpace(f.Get("identifier"))
	}
	return form
}

func (s *Server) addEntity(c *call) error {
	ns, bp := c.r.PathValue("ns"), c.r.PathValue("bp")
	form := readEntityForm(c, "")
	req, err := entityRequest(form)
	var e *ferry.Entity
	if err == nil {
		e, err = c.client.PutEntity(c.ctx(), ns, bp, req, false, false)
	}
	if err != nil {
		fail, err := formError(err)
		if err != nil {
			return err
		}
		return s.showBlueprint(c, fail.Status, fail, form)
	}
	return redirect(c, catalogPath(ns, bp, e.Identifier), "Entity "+e.Identifier+" added."+danglingNote(e))
}

// danglingNote says which relations of e point at entities that do not exist.
func danglingNote(e *ferry.Entity) string {
	if len(e.Dangling) == 0 {
		return ""
	}
	return " Relations to entities that do not exist (yet): " + strings.Join(e.Dangling, ", ") + "."
}

// propertyRow is one property on an entity's page; Block when it is an object or a list,
// shown as indented JSON.
type propertyRow struct {
	Name, Text string
	Block      bool
}

// relationTarget is one entity a relation points at.
type relationTarget struct {
	ID       string
	Dangling bool
}

// relationLinks is one relation of an entity; Target is "" when the blueprint no longer
// has the relation, and Raw then shows the value.
type relationLinks struct {
	Name, Target, Raw string
	Targets           []relationTarget
}

// historyRow is one change in an entity's history.
type historyRow struct {
	*ferry.EntityChange
	Source string
}

// entityView is the data of an entity's page.
type entityView struct {
	NS          nsView
	Blueprint   *ferry.Blueprint
	Entity      *ferry.Entity
	Properties  []propertyRow
	Relations   []relationLinks
	GitOwned    bool
	FileURL     string // the entity's file in the namespace explorer, when it is kept in Git
	History     []historyRow
	HistoryNext string
	CanWrite    bool
	Form        entityForm
	Violations  []ferry.Violation // of a refused edit
}

// historyPage is how many changes an entity's page lists.
const historyPage = 20

func (s *Server) entityPage(c *call) error {
	return s.showEntity(c, http.StatusOK, nil, nil)
}

// showEntity renders an entity's page; form, when not nil, is a refused edit shown again.
func (s *Server) showEntity(c *call, status int, fail *failure, form *entityForm) error {
	v, err := s.entityView(c)
	if err != nil {
		return err
	}
	if form != nil {
		v.Form = *form
	}
	errMsg := ""
	if fail != nil {
		errMsg, v.Violations = fail.Message, fail.Violations
	}
	return s.renderCatalog(c, status, "catalog_entity", v.Entity.Identifier+" · "+v.Blueprint.Identifier, errMsg, v)
}

func (s *Server) entityView(c *call) (*entityView, error) {
	ns, bp, id := c.r.PathValue("ns"), c.r.PathValue("bp"), c.r.PathValue("id")
	e, err := c.client.GetEntity(c.ctx(), ns, bp, id)
	if err != nil {
		return nil, err
	}
	b, err := c.client.GetBlueprint(c.ctx(), ns, bp)
	if err != nil {
		return nil, err
	}
	changes, next, err := c.client.EntityHistory(c.ctx(), ns, bp, id, ferry.Page{Limit: historyPage, Cursor: c.r.URL.Query().Get("history")})
	if err != nil {
		return nil, err
	}
	v := &entityView{NS: nsView{NS: ns, Tab: "catalog"}, Blueprint: b, Entity: e, Properties: propertyRows(b, e), Relations: relationLinksOf(b, e),
		GitOwned: e.Source.Source == ferry.SourceGit, CanWrite: canWriteCatalog(c, ns)}
	if v.GitOwned && e.Source.Path != "" {
		v.FileURL = "/ns/" + url.PathEscape(ns) + "/files/" + escapePath(strings.TrimPrefix(e.Source.Path, "/"))
	}
	for _, ch := range changes {
		v.History = append(v.History, historyRow{EntityChange: ch, Source: sourceText(ch.Source)})
	}
	if next != "" {
		v.HistoryNext = "?" + url.Values{"history": {next}}.Encode()
	}
	v.Form = entityForm{Identifier: e.Identifier, Title: e.Title, Properties: pretty(e.Properties)}
	if len(e.Relations) > 0 {
		v.Form.Relations = pretty(e.Relations)
	}
	return v, nil
}

// escapePath escapes each segment of a slash-separated path.
func escapePath(p string) string {
	parts := strings.Split(p, "/")
	for i := range parts {
		parts[i] = url.PathEscape(parts[i])
	}
	return strings.Join(parts, "/")
}

// propertyRows returns e's properties in the order of b's schema, then the others by name.
func propertyRows(b *ferry.Blueprint, e *ferry.Entity) []propertyRow {
	var names []string
	for _, p := range schemaProps(b.Schema) {
		if _, ok := e.Properties[p.Name]; ok {
			names = append(names, p.Name)
		}
	}
	for _, name := range sortedKeys(e.Properties) {
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	rows := make([]propertyRow, 0, len(names))
	for _, name := range names {
		switch val := e.Properties[name].(type) {
		case string:
			rows = append(rows, propertyRow{Name: name, Text: val})
		case map[string]any, []any:
			rows = append(rows, propertyRow{Name: name, Text: pretty(val), Block: true})
		default:
			b, _ := json.Marshal(val)
			rows = append(rows, propertyRow{Name: name, Text: string(b)})
		}
	}
	return rows
}

// relationLinksOf returns e's relations by name with the entities they point at, marking
// those that do not exist.
func relationLinksOf(b *ferry.Blueprint, e *ferry.Entity) []relationLinks {
	var out []relationLinks
	for _, name := range sortedKeys(e.Relations) {
		raw := e.Relations[name]
		if isNullJSON(raw) {
			continue
		}
		l := relationLinks{Name: name, Target: b.Relations[name].Target}
		var ids []string
		var one string
		switch {
		case json.Unmarshal(raw, &one) == nil:
			ids = []string{one}
		case json.Unmarshal(raw, &ids) == nil:
		default:
			l.Target = ""
		}
		if l.Target == "" {
			l.Raw = string(raw)
		}
		for _, id := range ids {
			l.Targets = append(l.Targets, relationTarget{ID: id, Dangling: slices.Contains(e.Dangling, name+":"+id)})
		}
		out = append(out, l)
	}
	return out
}

func isNullJSON(raw json.RawMessage) bool {
	return len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null"
}

func (s *Server) editEntity(c *call) error {
	ns, bp, id := c.r.PathValue("ns"), c.r.PathValue("bp"), c.r.PathValue("id")
	form := readEntityForm(c, id)
	req, err := entityRequest(form)
	if err == nil {
		_, err = c.client.PutEntity(c.ctx(), ns, bp, req, true, form.Force)
	}
	if err != nil {
		fail, err := formError(err)
		if err != nil {
			return err
		}
		return s.showEntity(c, fail.Status, fail, &form)
	}
	return redirect(c, catalogPath(ns, bp, id), "Entity "+id+" saved.")
}

// deleteView is the data of the page that confirms an entity's deletion.
type deleteView struct {
	NS       nsView
	Entity   *ferry.Entity
	GitOwned bool
}

func (s *Server) deleteEntityPage(c *call) error {
	return s.showDelete(c, http.StatusOK, "")
}

func (s *Server) showDelete(c *call, status int, errMsg string) error {
	ns, bp, id := c.r.PathValue("ns"), c.r.PathValue("bp"), c.r.PathValue("id")
	e, err := c.client.GetEntity(c.ctx(), ns, bp, id)
	if err != nil {
		return err
	}
	v := deleteView{NS: nsView{NS: ns, Tab: "catalog"}, Entity: e, GitOwned: e.Source.Source == ferry.SourceGit}
	return s.renderCatalog(c, status, "catalog_delete", "Delete "+id, errMsg, v)
}

func (s *Server) deleteEntity(c *call) error {
	ns, bp, id := c.r.PathValue("ns"), c.r.PathValue("bp"), c.r.PathValue("id")
	err := c.client.DeleteEntity(c.ctx(), ns, bp, id, c.r.PostForm.Get("force") != "")
	if ferry.ErrorCode(err) == ferry.ENOTFOUND {
		return err // nothing left to confirm
	}
	if err != nil {
		fail, err := formError(err)
		if err != nil {
			return err
		}
		return s.showDelete(c, fail.Status, fail.Message)
	}
	return redirect(c, catalogPath(ns, bp), "Entity "+id+" deleted.")
}
