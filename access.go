package ferry

import (
	"context"
	"slices"
	"strings"
	"time"
)

// Permission is one thing an API token or a user may do, checked at the API.
type Permission string

// The permissions. A permission held for a namespace applies to that namespace only; the
// global ones (credentials, providers, tokens, admin) are held for all namespaces or none.
const (
	PermNamespacesRead  Permission = "namespaces:read"  // read namespaces, files, revisions, bindings, runs
	PermNamespacesWrite Permission = "namespaces:write" // create and delete namespaces, write files
	PermBindingsManage  Permission = "bindings:manage"  // create, change and delete bindings and their webhooks
	PermSyncTrigger     Permission = "sync:trigger"     // start pulls and pushes
	PermCredentials     Permission = "credentials:manage"
	PermProviders       Permission = "providers:manage"
	PermCatalogRead     Permission = "catalog:read"
	PermCatalogWrite    Permission = "catalog:write"
	PermTokensManage    Permission = "tokens:manage" // create, list and revoke API tokens
	PermAdmin           Permission = "admin"         // everything, including users and the audit log
)

// Permissions lists every permission, in the order the API documents them.
var Permissions = []Permission{
	PermNamespacesRead, PermNamespacesWrite, PermBindingsManage, PermSyncTrigger,
	PermCredentials, PermProviders, PermCatalogRead, PermCatalogWrite, PermTokensManage, PermAdmin,
}

// ValidatePermissions returns EINVALID unless perms is a non-empty list of known
// permissions without repeats.
func ValidatePermissions(perms []Permission) error {
	if len(perms) == 0 {
		return Errorf(EINVALID, "Permissions are required: one or more of %s.", permissionList())
	}
	for i, p := range perms {
		if !slices.Contains(Permissions, p) {
			return Errorf(EINVALID, "Permission %q is not one of %s.", clip(string(p)), permissionList())
		}
		if slices.Contains(perms[:i], p) {
			return Errorf(EINVALID, "Permission %q is listed twice.", p)
		}
	}
	return nil
}

func permissionList() string {
	s := make([]string, len(Permissions))
	for i, p := range Permissions {
		s[i] = string(p)
	}
	return strings.Join(s, ", ")
}

// The roles a user holds in a namespace, and the global admin role.
const (
	RoleViewer     = "viewer"     // reads the namespace
	RoleEditor     = "editor"     // and writes its files and triggers syncs
	RoleMaintainer = "maintainer" // and manages its bindings, the credentials they use and tokens for it
	RoleAdmin      = "admin"      // everything, everywhere
)

// RolePermissions returns the permissions role grants, or nil for an unknown role.
func RolePermissions(role string) []Permission {
	viewer := []Permission{PermNamespacesRead, PermCatalogRead}
	editor := slices.Concat(viewer, []Permission{PermNamespacesWrite, PermSyncTrigger, PermCatalogWrite})
	switch role {
	case RoleViewer:
		return viewer
	case RoleEditor:
		return editor
	case RoleMaintainer:
		return slices.Concat(editor, []Permission{PermBindingsManage, PermCredentials, PermTokensManage})
	case RoleAdmin:
		return slices.Clone(Permissions)
	}
	return nil
}

// ValidateRole returns EINVALID unless role is viewer, editor or maintainer (namespace
// roles; admin is global and given with User.Admin).
func ValidateRole(role string) error {
	switch role {
	case RoleViewer, RoleEditor, RoleMaintainer:
		return nil
	}
	return Errorf(EINVALID, "Role %q is not one of viewer, editor or maintainer (admin is global: --role admin without a namespace).", clip(role))
}

// Principal is who a request acts as: an API token, a logged-in user or the bootstrap
// admin token. It answers what the request may do.
type Principal struct {
	Kind        string       // "token", "user" or "admin"
	ID          int64        // the token's or user's ID; 0 for the bootstrap admin token
	Name        string       // the token's description or the user's name
	Permissions []Permission // held for every namespace (a token limited to one: for that one)
	Namespace   string       // a token limited to one namespace; "" for all
	Roles       map[string]string
	ExpiresAt   time.Time // a token's expiry; zero for none
}

// The kinds of principal.
const (
	PrincipalToken = "token"
	PrincipalUser  = "user"
	PrincipalAdmin = "admin"
)

// Actor returns how p is named in the audit log: "token:12", "user:alice" or "admin".
func (p *Principal) Actor() string {
	switch p.Kind {
	case PrincipalToken:
		return "token:" + itoa(p.ID)
	case PrincipalUser:
		return "user:" + p.Name
	}
	return p.Kind
}

// IsAdmin reports whether p holds the admin permission.
func (p *Principal) IsAdmin() bool { return slices.Contains(p.Permissions, PermAdmin) }

// Sees reports whether p may know namespace ns exists: a token limited to another
// namespace, or a user without a role in it, may not.
func (p *Principal) Sees(ns string) bool {
	if p.IsAdmin() {
		return true
	}
	if p.Namespace != "" {
		return p.Namespace == ns
	}
	if p.Kind == PrincipalUser {
		_, ok := p.Roles[ns]
		return ok
	}
	return true
}

// Can reports whether p holds perm in namespace ns ("" for a global permission, which a
// principal limited to one namespace never holds).
func (p *Principal) Can(perm Permission, ns string) bool {
	if p.IsAdmin() {
		return true
	}
	if ns == "" && p.Namespace != "" {
		return false
	}
	if ns != "" && !p.Sees(ns) {
		return false
	}
	if slices.Contains(p.Permissions, perm) {
		return true
	}
	return ns != "" && slices.Contains(RolePermissions(p.Roles[ns]), perm)
}

// Holds reports whether p may hand on every permission in perms for namespace ns ("" for
// all): a token can never grant more than its creator holds.
func (p *Principal) Holds(perms []Permission, ns string) bool {
	for _, perm := range perms {
		if !p.Can(perm, ns) {
			return false
		}
	}
	return true
}

// TokenPrefix starts every API token, so that tokens are recognisable (by people and by
// secret scanners).
const TokenPrefix = "fy_"

// Token is an API token as stored and listed: never the token itself, which is shown once
// when it is made, and stored only as its SHA-256.
type Token struct {
	ID          int64        `json:"id"`
	Description string       `json:"description"`
	Permissions []Permission `json:"permissions"`
	Namespace   string       `json:"namespace,omitempty"` // "" for all namespaces
	CreatedBy   string       `json:"created_by"`          // the creator's actor name
	CreatedAt   time.Time    `json:"created_at"`
	ExpiresAt   time.Time    `json:"expires_at"`
	LastUsedAt  time.Time    `json:"last_used_at,omitzero"`
	RevokedAt   time.Time    `json:"revoked_at,omitzero"`
}

// TokenService stores API tokens by the SHA-256 of the token.
type TokenService interface {
	// CreateToken stores t with the token's hash and sets t.ID and t.CreatedAt.
	CreateToken(ctx context.Context, t *Token, hash [32]byte) error

	// FindTokenByHash returns the token whose hash is hash, revoked and expired ones
	// included. Returns ENOTFOUND if there is none.
	FindTokenByHash(ctx context.Context, hash [32]byte) (*Token, error)

	// FindToken returns token id. Returns ENOTFOUND if there is none.
	FindToken(ctx context.Context, id int64) (*Token, error)

	// ListTokens returns tokens by ID, newest first, revoked ones only when asked.
	ListTokens(ctx context.Context, includeRevoked bool) ([]*Token, error)

	// RevokeToken marks token id revoked now. Returns ENOTFOUND if there is none or it
	// was revoked already.
	RevokeToken(ctx context.Context, id int64) error

	// TouchToken records that token id was used at t (at most once a minute is written).
	TouchToken(ctx context.Context, id int64, t time.Time) error
}

// User is a person who logs in to the UI: a global admin, or roles per namespace.
type User struct {
	ID        int64             `json:"id"`
	Name      string            `json:"name"`
	Admin     bool              `json:"admin"`
	Roles     map[string]string `json:"roles,omitempty"` // namespace → viewer, editor or maintainer
	CreatedAt time.Time         `json:"created_at"`
}

// ValidateUserName returns EINVALID unless name is 1–64 letters, digits, '.', '_', '-' or
// '@', starting with a letter or digit.
func ValidateUserName(name string) error {
	ok := name != "" && len(name) <= 64 && isAlnum(name[0])
	for i := 0; ok && i < len(name); i++ {
		c := name[i]
		ok = isAlnum(c) || c == '.' || c == '_' || c == '-' || c == '@'
	}
	if !ok {
		return Errorf(EINVALID, "User name %q is not valid: use 1–64 letters, digits, '.', '_', '-' or '@', starting with a letter or digit.", clip(name))
	}
	return nil
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// Session is a logged-in user's session, found by the SHA-256 of its cookie.
type Session struct {
	ID        int64
	UserID    int64
	CreatedAt time.Time
	ExpiresAt time.Time
}

// UserService stores users, their roles, password hashes and sessions.
type UserService interface {
	// CreateUser stores u with passwordHash and sets u.ID and u.CreatedAt. Returns
	// ECONFLICT if the name is taken.
	CreateUser(ctx context.Context, u *User, passwordHash string) error

	// FindUser returns user name with its roles. Returns ENOTFOUND if there is none.
	FindUser(ctx context.Context, name string) (*User, error)

	// FindUserByID returns user id with its roles. Returns ENOTFOUND if there is none.
	FindUserByID(ctx context.Context, id int64) (*User, error)

	// UserPassword returns user name and its password hash. Returns ENOTFOUND if there is none.
	UserPassword(ctx context.Context, name string) (*User, string, error)

	// SetUserPassword replaces user name's password hash and ends its sessions. Returns
	// ENOTFOUND if there is none.
	SetUserPassword(ctx context.Context, name, passwordHash string) error

	// SetUserRole gives user name role in namespace ns; role "" takes its role there
	// away. Returns ENOTFOUND if there is no such user.
	SetUserRole(ctx context.Context, name, ns, role string) error

	// ListUsers returns every user by name.
	ListUsers(ctx context.Context) ([]*User, error)

	// DeleteUser removes user name and its sessions. Returns ENOTFOUND if there is none.
	DeleteUser(ctx context.Context, name string) error

	// CountUsers returns how many users there are.
	CountUsers(ctx context.Context) (int, error)

	// CreateSession stores s under hash and sets s.ID and s.CreatedAt.
	CreateSession(ctx context.Context, s *Session, hash [32]byte) error

	// FindSession returns the session whose hash is hash, expired ones included. Returns
	// ENOTFOUND if there is none.
	FindSession(ctx context.Context, hash [32]byte) (*Session, error)

	// DeleteSession removes the session whose hash is hash; none is no error.
	DeleteSession(ctx context.Context, hash [32]byte) error
}

// AuditEntry records one state-changing request: who, what, on what, with what result.
type AuditEntry struct {
	ID         int64     `json:"id"`
	Time       time.Time `json:"time"`
	Actor      string    `json:"actor"`      // Principal.Actor(): "token:12", "user:alice", "admin"
	ActorName  string    `json:"actor_name"` // the token's description or the user's name
	Action     string    `json:"action"`     // the route, such as "POST /api/v1/namespaces/{ns}/sync"
	Target     string    `json:"target"`     // the request path
	Namespace  string    `json:"namespace,omitempty"`
	Status     int       `json:"status"` // the HTTP status answered
	Result     string    `json:"result"` // "ok" or the error code
	RemoteAddr string    `json:"remote_addr"`
}

// AuditFilter selects audit entries; zero fields select all.
type AuditFilter struct {
	Actor     string // exact Actor
	Action    string // exact Action
	Namespace string
	Since     time.Time // entries at or after
	Until     time.Time // entries before
	Page      Page      // newest first; the cursor is the last ID seen
}

// AuditService stores the audit log.
type AuditService interface {
	// RecordAudit appends e and sets e.ID (and e.Time when zero).
	RecordAudit(ctx context.Context, e *AuditEntry) error

	// ListAudit returns the entries f selects, newest first, and the cursor of the next
	// page ("" after the last).
	ListAudit(ctx context.Context, f AuditFilter) ([]*AuditEntry, string, error)
}
