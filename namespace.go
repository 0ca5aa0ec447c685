package ferry

import (
	"context"
	"time"
)

// Namespace is an isolated tree of files with its own revisions, bindings, catalog and token
// scope ("node" in API-gateway terms).
type Namespace struct {
	ID        int64     `json:"-"`
	Name      string    `json:"name"`
	Head      int64     `json:"head_revision"` // number of the newest revision; 0 before the first
	CreatedAt time.Time `json:"created_at"`
}

// Validate returns EINVALID when the namespace's fields break the naming rules.
func (n *Namespace) Validate() error { return ValidateNamespaceName(n.Name) }

// ValidateNamespaceName returns EINVALID unless name is 1–63 lowercase letters, digits and
// '-', starting and ending with a letter or digit.
func ValidateNamespaceName(name string) error {
	if name == "" {
		return Errorf(EINVALID, "Namespace name is required.")
	}
	if len(name) > 63 {
		return Errorf(EINVALID, "Namespace name %q is %d characters long; at most 63 are allowed.", clip(name), len(name))
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return Errorf(EINVALID, "Namespace name %q may contain only lowercase letters, digits and '-'.", clip(name))
		}
	}
	if name[0] == '-' || name[len(name)-1] == '-' {
		return Errorf(EINVALID, "Namespace name %q must start and end with a letter or digit.", name)
	}
	return nil
}

// NamespaceService manages namespaces.
type NamespaceService interface {
	// CreateNamespace stores a new namespace and sets its ID and CreatedAt.
	// Returns EINVALID for a bad name and ECONFLICT if the name is taken.
	CreateNamespace(ctx context.Context, ns *Namespace) error

	// FindNamespace returns the namespace called name. Returns ENOTFOUND if there is none.
	FindNamespace(ctx context.Context, name string) (*Namespace, error)

	// ListNamespaces returns namespaces ordered by name, one page at a time.
	// Returns EINVALID for a malformed cursor.
	ListNamespaces(ctx context.Context, page Page) ([]*Namespace, string, error)

	// DeleteNamespace removes a namespace with all its files and revisions.
	// Returns ENOTFOUND if it does not exist.
	DeleteNamespace(ctx context.Context, name string) error
}

// clip shortens s for use inside an error message.
func clip(s string) string {
	const max = 80
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}
