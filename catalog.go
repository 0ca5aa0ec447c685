package ferry

import (
	"context"
	"encoding/json"
	"time"
)

// Blueprint describes a kind of catalog entity in a namespace: the JSON Schema (draft
// 2020-12) its properties must satisfy and the relations it has to other blueprints.
type Blueprint struct {
	Namespace  string              `json:"namespace"`
	Identifier string              `json:"identifier"`
	Title      string              `json:"title,omitempty"`
	Schema     json.RawMessage     `json:"schema"` // for the entity's properties; {} accepts any object
	Relations  map[string]Relation `json:"relations,omitempty"`
	CreatedAt  time.Time           `json:"created_at"`
	UpdatedAt  time.Time           `json:"updated_at"`
}

// Relation is a named link from an entity to entities of the Target blueprint.
type Relation struct {
	Target   string `json:"target"`
	Many     bool   `json:"many,omitempty"`     // a list of identifiers instead of one
	Required bool   `json:"required,omitempty"` // an entity must set it
}

// ValidateIdentifier returns EINVALID unless id is 1–255 letters, digits, '-', '_', '.' or
// '@', other than "." and "..": the identifiers of blueprints and entities. what names it
// in the message.
func ValidateIdentifier(what, id string) error {
	ok := id != "" && len(id) <= 255 && id != "." && id != ".." // "." and ".." cannot be URL path segments
	for i := 0; ok && i < len(id); i++ {
		c := id[i]
		ok = isAlnum(c) || c == '-' || c == '_' || c == '.' || c == '@'
	}
	if !ok {
		return Errorf(EINVALID, "%s %q is not valid: use 1–255 letters, digits, '-', '_', '.' or '@' (not just '.' or '..').", what, clip(id))
	}
	return nil
}

// Validate returns EINVALID for a blueprint whose identifier, title or relations are not
// valid. The schema is compiled above storage, by the catalog service.
func (b *Blueprint) Validate() error {
	if err := ValidateIdentifier("Blueprint identifier", b.Identifier); err != nil {
		return err
	}
	if len(b.Title) > 255 {
		return Errorf(EINVALID, "The title of blueprint %q is longer than 255 bytes.", b.Identifier)
	}
	for name, r := range b.Relations {
		if err := ValidateIdentifier("Relation name", name); err != nil {
			return err
		}
		if err := ValidateIdentifier("The target of relation "+name, r.Target); err != nil {
			return err
		}
	}
	return nil
}

// SourceGit is the source of entity data read from a file of a binding's repository; data
// written through the API by a token or user has SourceAPI.
const SourceGit = "git"

// Provenance says where an entity's current data came from, and when.
type Provenance struct {
	Source     string    `json:"source"`               // api or git
	Actor      string    `json:"actor,omitempty"`      // api: "token:12", "user:alice", "admin"
	Binding    string    `json:"binding,omitempty"`    // git: the binding's name
	Repository string    `json:"repository,omitempty"` // git: the remote URL, without credentials
	Path       string    `json:"path,omitempty"`       // git: the file's path in the namespace
	Commit     string    `json:"commit,omitempty"`     // git: the commit it was read at
	At         time.Time `json:"at"`
}

// Entity is one item of the catalog: an instance of a blueprint.
type Entity struct {
	Namespace  string                     `json:"namespace"`
	Blueprint  string                     `json:"blueprint"`
	Identifier string                     `json:"identifier"`
	Title      string                     `json:"title,omitempty"`
	Properties map[string]any             `json:"properties"`
	Relations  map[string]json.RawMessage `json:"relations,omitempty"` // name → "id" or ["id", …]
	// Invalid is set when the blueprint changed (with force) in a way this entity violates;
	// Violations says how. Dangling lists relations whose target does not exist.
	Invalid    bool        `json:"invalid,omitempty"`
	Violations []Violation `json:"violations,omitempty"`
	Dangling   []string    `json:"dangling,omitempty"`
	Source     Provenance  `json:"provenance"`
	CreatedAt  time.Time   `json:"created_at"`
	UpdatedAt  time.Time   `json:"updated_at"`
}

// Violation is one way a document fails its schema.
type Violation struct {
	Entity  string `json:"entity,omitempty"` // in a batch: the blueprint/identifier it concerns
	Pointer string `json:"pointer"`          // JSON pointer into the entity, such as /properties/url
	Message string `json:"message"`
}

// EntityChange is one change of an entity, for its history.
type EntityChange struct {
	ID     int64      `json:"id"`
	Action string     `json:"action"` // created, updated or deleted
	Entity *Entity    `json:"entity,omitempty"`
	Source Provenance `json:"provenance"`
	At     time.Time  `json:"at"`
}

// EntityFilter selects entities of a blueprint.
type EntityFilter struct {
	Blueprint  string            // required
	Search     string            // a substring of the identifier or the title, case-insensitive
	Properties map[string]string // property name → value its JSON text or string equals
	Page       Page
}

// CatalogStore stores blueprints and entities. Validation against schemas and relations
// happens above it.
type CatalogStore interface {
	// CreateBlueprint stores b. Returns ENOTFOUND for an unknown namespace and ECONFLICT if
	// the identifier is taken.
	CreateBlueprint(ctx context.Context, b *Blueprint) error
	// FindBlueprint returns blueprint id of namespace ns. Returns ENOTFOUND.
	FindBlueprint(ctx context.Context, ns, id string) (*Blueprint, error)
	// ListBlueprints returns the blueprints of ns by identifier.
	ListBlueprints(ctx context.Context, ns string) ([]*Blueprint, error)
	// UpdateBlueprint replaces b's title, schema and relations and marks the entities named
	// in invalid (identifier → violations) invalid, the others valid, in one transaction.
	UpdateBlueprint(ctx context.Context, b *Blueprint, invalid map[string][]Violation) error
	// DeleteBlueprint removes blueprint id of ns; with cascade its entities too. Returns
	// ECONFLICT while it has entities and cascade is false.
	DeleteBlueprint(ctx context.Context, ns, id string, cascade bool) error

	// PutEntities creates or replaces entities (all of one namespace) in one transaction
	// and records a change for each that changed. With upsert false an existing identifier
	// is ECONFLICT. Entities whose data is unchanged are not written again.
	PutEntities(ctx context.Context, entities []*Entity, upsert bool) error
	// FindEntity returns entity id of blueprint bp in ns. Returns ENOTFOUND.
	FindEntity(ctx context.Context, ns, bp, id string) (*Entity, error)
	// ListEntities returns one page of the entities f selects, by identifier.
	ListEntities(ctx context.Context, ns string, f EntityFilter) ([]*Entity, string, error)
	// DeleteEntities removes the entities of ns named blueprint/identifier in keys,
	// recording a change for each with source. Unknown ones are skipped.
	DeleteEntities(ctx context.Context, ns string, keys []EntityKey, source Provenance) error
	// EntityHistory returns entity id's changes, newest first.
	EntityHistory(ctx context.Context, ns, bp, id string, page Page) ([]*EntityChange, string, error)
	// EntitiesFromBinding returns the keys and paths of the entities of ns whose source is
	// git binding b.
	EntitiesFromBinding(ctx context.Context, ns, binding string) (map[EntityKey]string, error)
	// EntitiesExist reports which of keys exist in ns.
	EntitiesExist(ctx context.Context, ns string, keys []EntityKey) (map[EntityKey]bool, error)
}

// EntityKey names an entity within a namespace.
type EntityKey struct {
	Blueprint  string
	Identifier string
}

// EntityError is an entity write refused for its content: an EINVALID error that lists
// every violation, each with the entity it belongs to (in a batch) and a JSON pointer.
type EntityError struct {
	Err        *Error
	Violations []Violation
}

func (e *EntityError) Error() string { return e.Err.Error() }

// Unwrap lets ErrorCode and ErrorMessage read the code and message.
func (e *EntityError) Unwrap() error { return e.Err }

// EntityFile is a file of a binding's repository that its entity glob selects.
type EntityFile struct {
	Path    string // in the namespace
	Content []byte
}

// EntitySync is what one pull brings to the catalog: the selected files it wrote and the
// paths it deleted, or, when Full, every selected file of the commit (a first import).
type EntitySync struct {
	Namespace  string
	Binding    string
	Repository string // the remote URL, redacted
	Commit     string
	Files      []EntityFile
	Deleted    []string // namespace paths of selected files the pull deleted
	Full       bool     // Files are all the binding's entity files: entities from other paths go
}

// EntitySyncReport says what a pull did to the catalog, for the run log.
type EntitySyncReport struct {
	Read       int             // entities read from the files (unchanged ones included)
	Deleted    int             // entities whose file, or whose entry in its file, went
	Reasserted []string        // entities written through the API with force that Git now overrides
	Failures   []EntityFailure // entities (or whole files) that were not applied
}

// EntityFailure is an entity file, or one entity in it, that a pull could not apply.
type EntityFailure struct {
	Path    string `json:"path"`
	Entity  string `json:"entity,omitempty"` // blueprint/identifier, when known
	Message string `json:"message"`
}

// EntitySyncer applies what pulls bring to the catalog.
type EntitySyncer interface {
	SyncEntities(ctx context.Context, s *EntitySync) (*EntitySyncReport, error)
}
