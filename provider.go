package ferry

import (
	"context"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// The kinds of Git provider Ferry connects to.
const (
	ProviderGitHub          = "github"
	ProviderGitLab          = "gitlab"
	ProviderBitbucketCloud  = "bitbucket-cloud"
	ProviderBitbucketServer = "bitbucket-server" // also Bitbucket Data Center
	ProviderAzureDevOps     = "azure-devops"
	ProviderGitea           = "gitea" // also Forgejo
)

// ProviderKinds lists every provider kind, in the order messages name them.
var ProviderKinds = []string{ProviderGitHub, ProviderGitLab, ProviderBitbucketCloud, ProviderBitbucketServer, ProviderAzureDevOps, ProviderGitea}

// defaultBaseURLs are the API addresses of the hosted services; kinds without one are
// self-hosted only and need a base URL.
var defaultBaseURLs = map[string]string{
	ProviderGitHub:         "https://api.github.com",
	ProviderGitLab:         "https://gitlab.com",
	ProviderBitbucketCloud: "https://api.bitbucket.org",
	ProviderAzureDevOps:    "https://dev.azure.com",
}

// The events a managed webhook can ask for; each provider maps them to its own names.
const (
	WebhookEventPush        = "push"         // branch and tag pushes
	WebhookEventPullRequest = "pull_request" // pull (merge) requests opened or updated
)

// MaxOwnerLength is the longest provider owner Ferry accepts, in bytes.
const MaxOwnerLength = 256

// Provider is a connection to a Git provider's API: the account (organisation, group,
// workspace or project) whose repositories Ferry lists, creates and sets webhooks on, and
// the credential it calls the API with.
type Provider struct {
	ID   int64  `json:"-"`
	Name string `json:"name"`
	Kind string `json:"kind"`
	// BaseURL is the API's address: https://api.github.com (or https://HOST/api/v3 for
	// GitHub Enterprise Server), the instance's root for GitLab, Bitbucket Server and Gitea,
	// https://api.bitbucket.org and https://dev.azure.com (or an Azure DevOps Server
	// collection URL). It never ends with '/'.
	BaseURL string `json:"base_url"`
	// Owner is the organisation (GitHub, Gitea), group id or path (GitLab), workspace
	// (Bitbucket Cloud), project key (Bitbucket Server) or "organisation/project" (Azure DevOps).
	Owner      string         `json:"owner"`
	ProjectKey string         `json:"project_key,omitempty"` // Bitbucket Cloud: the project new repositories go to
	Credential string         `json:"credential"`            // the credential's name
	Status     ProviderStatus `json:"status"`
	CreatedAt  time.Time      `json:"created_at"`
	UpdatedAt  time.Time      `json:"updated_at"`
}

// ProviderStatus is what the last validation found: the "green tick" when Valid.
type ProviderStatus struct {
	Valid     bool       `json:"valid"`
	CheckedAt *time.Time `json:"checked_at,omitempty"` // nil until the first validation
	Login     string     `json:"login,omitempty"`      // the account the credential acts as
	Missing   []string   `json:"missing,omitempty"`    // scopes or permissions the credential lacks
	Message   string     `json:"message,omitempty"`    // what to do, or what could not be checked
}

// Validate returns EINVALID for a provider whose fields cannot work. It fills in the
// hosted service's base URL when none is given and normalises the base URL. The URL
// policy is applied above it (URLPolicy.Check on ParseProviderURL's result).
func (p *Provider) Validate() error {
	if err := ValidateNamespaceName(p.Name); err != nil {
		return Errorf(EINVALID, "Provider name: %s", ErrorMessage(err))
	}
	if !validProviderKind(p.Kind) {
		if p.Kind == "" {
			return Errorf(EINVALID, "Kind is required: one of %s.", strings.Join(ProviderKinds, ", "))
		}
		return Errorf(EINVALID, "Kind %q is not one of %s.", clip(p.Kind), strings.Join(ProviderKinds, ", "))
	}
	if p.BaseURL == "" {
		p.BaseURL = defaultBaseURLs[p.Kind]
		if p.BaseURL == "" {
			return Errorf(EINVALID, "A %s provider needs base_url: the address of the server, such as https://git.example.com.", p.Kind)
		}
	}
	u, err := ParseProviderURL(p.BaseURL)
	if err != nil {
		return err
	}
	p.BaseURL = u.String()
	if err := p.validateOwner(); err != nil {
		return err
	}
	if p.ProjectKey != "" && p.Kind != ProviderBitbucketCloud {
		return Errorf(EINVALID, "Field project_key applies only to bitbucket-cloud providers.")
	}
	if len(p.ProjectKey) > 64 || strings.ContainsFunc(p.ProjectKey, func(r rune) bool { return !isKeyRune(r) }) {
		return Errorf(EINVALID, "Project key %q may contain only letters, digits and '_' (at most 64).", clip(p.ProjectKey))
	}
	if p.Credential == "" {
		return Errorf(EINVALID, "Field credential is required: the credential the provider's API is called with.")
	}
	return ValidateCredentialName(p.Credential)
}

func validProviderKind(kind string) bool {
	for _, k := range ProviderKinds {
		if k == kind {
			return true
		}
	}
	return false
}

func isKeyRune(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '_'
}

// validateOwner checks the owner's form for the provider's kind.
func (p *Provider) validateOwner() error {
	o := p.Owner
	switch {
	case o == "":
		return Errorf(EINVALID, "Field owner is required: the %s.", ownerNames[p.Kind])
	case len(o) > MaxOwnerLength:
		return Errorf(EINVALID, "Owner is %d bytes long; at most %d are allowed.", len(o), MaxOwnerLength)
	case !utf8.ValidString(o) || strings.ContainsFunc(o, unicode.IsControl):
		return Errorf(EINVALID, "Owner %q contains a control character or invalid UTF-8.", clip(strings.Map(printable, o)))
	case strings.TrimSpace(o) != o || strings.HasPrefix(o, "-"):
		return Errorf(EINVALID, "Owner %q starts or ends with white space or starts with '-'.", clip(o))
	}
	segs := strings.Split(o, "/")
	for _, s := range segs {
		if s == "" || s == "." || s == ".." || strings.TrimSpace(s) != s {
			return Errorf(EINVALID, "Owner %q has an empty, '.' or '..' segment, or white space around a '/'.", clip(o))
		}
	}
	switch p.Kind {
	case ProviderAzureDevOps:
		if len(segs) != 2 {
			return Errorf(EINVALID, "An azure-devops owner is \"organization/project\" (got %q).", clip(o))
		}
		if strings.ContainsRune(segs[0], ' ') {
			return Errorf(EINVALID, "Azure DevOps organization %q contains a space.", clip(segs[0]))
		}
	case ProviderGitLab:
		if strings.ContainsRune(o, ' ') {
			return Errorf(EINVALID, "GitLab group %q contains a space; give its path or numeric id.", clip(o))
		}
	default:
		if len(segs) != 1 || strings.ContainsRune(o, ' ') {
			return Errorf(EINVALID, "Owner %q must be a single name without '/' or spaces: the %s.", clip(o), ownerNames[p.Kind])
		}
	}
	return nil
}

var ownerNames = map[string]string{
	ProviderGitHub:          "organization",
	ProviderGitLab:          "group (its path, such as acme/platform, or its numeric id)",
	ProviderBitbucketCloud:  "workspace",
	ProviderBitbucketServer: "project key",
	ProviderAzureDevOps:     "organization and project, as organization/project",
	ProviderGitea:           "organization",
}

// ParseProviderURL parses a provider's base URL: http:// or https://, a host, an optional
// port and path, and nothing else (no user, query or fragment). The result's String has no
// trailing '/'. It does not apply a URLPolicy; see URLPolicy.Check. Returns EINVALID.
func ParseProviderURL(raw string) (*RemoteURL, error) {
	shown := clip(RedactRawURL(strings.Map(printable, raw)))
	if len(raw) > MaxRemoteURLLength || !utf8.ValidString(raw) ||
		strings.IndexFunc(raw, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }) >= 0 {
		return nil, Errorf(EINVALID, "Base URL %q is too long or contains white space or a control character.", shown)
	}
	pu, err := url.Parse(raw)
	if err != nil || pu.Opaque != "" {
		return nil, Errorf(EINVALID, "Base URL %q is malformed.", shown)
	}
	scheme := strings.ToLower(pu.Scheme)
	if scheme != "https" && scheme != "http" {
		return nil, Errorf(EINVALID, "Base URL %q must start with https://.", shown)
	}
	if pu.User != nil {
		return nil, Errorf(EINVALID, "Base URL %q contains a user name or password; put it in a credential instead.", shown)
	}
	if pu.RawQuery != "" || pu.ForceQuery || pu.Fragment != "" || strings.Contains(raw, "#") {
		return nil, Errorf(EINVALID, "Base URL %q has a query or fragment.", shown)
	}
	u := &RemoteURL{Raw: raw, Scheme: scheme, Host: strings.ToLower(pu.Hostname()), Port: pu.Port(), Path: strings.TrimRight(pu.Path, "/")}
	if u.Host == "" || strings.HasSuffix(pu.Host, ":") {
		return nil, Errorf(EINVALID, "Base URL %q has no host or an empty port.", shown)
	}
	if net.ParseIP(u.Host) == nil && (!validHostname(u.Host) || strings.HasPrefix(u.Host, "-")) {
		return nil, Errorf(EINVALID, "Base URL %q has the invalid host name %q.", shown, clip(u.Host))
	}
	if u.Port != "" {
		n, err := strconv.Atoi(u.Port)
		if err != nil || n < 1 || n > 65535 {
			return nil, Errorf(EINVALID, "Base URL %q has the invalid port %q.", shown, clip(u.Port))
		}
		u.Port = strconv.Itoa(n)
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if seg == "." || seg == ".." {
			return nil, Errorf(EINVALID, "Base URL %q has a %q path segment.", shown, seg)
		}
	}
	return u, nil
}

// Repository is a repository as a provider lists it.
type Repository struct {
	Name          string `json:"name"`      // what Ferry calls it by within the owner: the slug or path
	FullName      string `json:"full_name"` // with the owner, as the provider shows it
	CloneHTTPS    string `json:"clone_https,omitempty"`
	CloneSSH      string `json:"clone_ssh,omitempty"`
	DefaultBranch string `json:"default_branch,omitempty"` // "" when the provider's list does not say
	Private       bool   `json:"private"`
	WebURL        string `json:"web_url,omitempty"`
}

// RepositoryPage is one page of a provider's repository list.
type RepositoryPage struct {
	Page         string       `json:"page"`           // the token that fetched it: "" for the first page
	Next         string       `json:"next,omitempty"` // the token of the next page; "" after the last
	ETag         string       `json:"etag,omitempty"` // the page's validator for a conditional request
	Repositories []Repository `json:"repositories"`
	NotModified  bool         `json:"-"` // the provider answered 304: the cached page still holds
}

// RepositoryList is the cached repository list of a provider.
type RepositoryList struct {
	Provider     string       `json:"provider"`
	FetchedAt    *time.Time   `json:"fetched_at"` // nil until the list is first fetched
	Repositories []Repository `json:"repositories"`

	// Pages are the pages as fetched, with their validators, for the next refresh.
	Pages []RepositoryPage `json:"-"`
}

// RepositoryRequest asks a provider for a new repository.
type RepositoryRequest struct {
	Name    string `json:"name"`
	Private bool   `json:"private"`
}

// ValidateRepositoryName returns EINVALID unless name is a repository name every provider
// accepts: 1–100 letters, digits, '.', '_' and '-', not starting with '.' or '-' and not
// ending with ".git".
func ValidateRepositoryName(name string) error {
	switch {
	case name == "":
		return Errorf(EINVALID, "Repository name is required.")
	case len(name) > 100:
		return Errorf(EINVALID, "Repository name %q is longer than 100 characters.", clip(name))
	case name[0] == '.' || name[0] == '-':
		return Errorf(EINVALID, "Repository name %q must start with a letter, digit or '_'.", clip(name))
	case strings.HasSuffix(strings.ToLower(name), ".git"):
		return Errorf(EINVALID, "Repository name %q ends with \".git\"; leave it out.", clip(name))
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return Errorf(EINVALID, "Repository name %q may contain only letters, digits, '.', '_' and '-'.", clip(strings.Map(printable, name)))
		}
	}
	return nil
}

// ProviderService stores provider connections and their repository caches. It checks
// Validate and that the credential exists; the URL policy and the provider's API are
// above it.
type ProviderService interface {
	// CreateProvider stores p and sets its ID, CreatedAt and UpdatedAt. Returns EINVALID
	// for a bad provider, ENOTFOUND for an unknown credential and ECONFLICT for a taken name.
	CreateProvider(ctx context.Context, p *Provider) error

	// FindProvider returns provider name. Returns ENOTFOUND if there is none.
	FindProvider(ctx context.Context, name string) (*Provider, error)

	// ListProviders returns providers ordered by name, one page at a time. Returns EINVALID
	// for a malformed cursor.
	ListProviders(ctx context.Context, page Page) ([]*Provider, string, error)

	// DeleteProvider removes provider name with its repository cache. Returns ENOTFOUND if
	// there is none, and ECONFLICT, changing nothing, while bindings were made through it,
	// naming up to 10 of them as namespace/name.
	DeleteProvider(ctx context.Context, name string) error

	// SetProviderStatus records what a validation found. Returns ENOTFOUND if there is no
	// provider name.
	SetProviderStatus(ctx context.Context, name string, s ProviderStatus) error

	// FindRepositoryList returns the cached repository list of provider name: an empty list
	// with a nil FetchedAt when it was never fetched. Returns ENOTFOUND for an unknown provider.
	FindRepositoryList(ctx context.Context, name string) (*RepositoryList, error)

	// SaveRepositoryList replaces the cached repository list of provider name. Returns
	// ENOTFOUND for an unknown provider.
	SaveRepositoryList(ctx context.Context, name string, l *RepositoryList) error
}

// ProviderClient calls one provider connection's API. Errors carry the provider kind as a
// prefix ("github: …"): EUNAVAILABLE when the provider cannot be reached, fails or limits
// the rate (the message says when to retry), EINVALID when it refuses the credential or
// the request, EFORBIDDEN when the credential lacks a permission, ENOTFOUND for an unknown
// repository, hook or key.
type ProviderClient interface {
	// Validate checks the credential and the scopes or permissions Ferry needs. A refused
	// credential or a missing permission is a status, not an error.
	Validate(ctx context.Context) (ProviderStatus, error)

	// ListRepositories returns the owner's page of repositories that page names ("" for the
	// first). With etag set it asks conditionally: an unchanged page comes back NotModified,
	// without repositories.
	ListRepositories(ctx context.Context, page, etag string) (*RepositoryPage, error)

	// CreateRepository creates repository name under the owner.
	CreateRepository(ctx context.Context, name string, private bool) (*Repository, error)

	// CreateWebhook makes repo call url on events (WebhookEventPush, WebhookEventPullRequest), signed
	// or authenticated with secret as the provider does, and returns the hook's id. On Azure
	// DevOps it makes one service-hook subscription per event type and returns their ids
	// joined by ','.
	CreateWebhook(ctx context.Context, repo, url, secret string, events []string) (string, error)

	// DeleteWebhook removes a hook CreateWebhook made; one that is gone already is no error.
	DeleteWebhook(ctx context.Context, repo, hookID string) error

	// AddDeployKey registers an SSH public key ("ssh-ed25519 AAAA…") on repo and returns
	// its id. Returns EINVALID where the provider has no deploy keys of that kind.
	AddDeployKey(ctx context.Context, repo, title, publicKey string, readOnly bool) (string, error)

	// RemoveDeployKey removes a key AddDeployKey registered; one that is gone already is no
	// error.
	RemoveDeployKey(ctx context.Context, repo, keyID string) error
}

// ProviderManager manages provider connections through their APIs: the HTTP API and,
// later, bindings use it. Storage errors are as ProviderService's.
type ProviderManager interface {
	// CreateProvider validates p (URL policy, credential of a kind the provider takes)
	// and stores it, without calling the provider.
	CreateProvider(ctx context.Context, p *Provider) error

	// FindProvider returns provider name. Returns ENOTFOUND if there is none.
	FindProvider(ctx context.Context, name string) (*Provider, error)

	// ListProviders returns providers ordered by name, one page at a time.
	ListProviders(ctx context.Context, page Page) ([]*Provider, string, error)

	// DeleteProvider removes provider name and its repository cache; ECONFLICT while
	// bindings use it.
	DeleteProvider(ctx context.Context, name string) error

	// ValidateProvider calls the provider to check the credential and its permissions,
	// stores the status and returns the provider. Returns EUNAVAILABLE, and keeps the old
	// status, when the provider cannot answer.
	ValidateProvider(ctx context.Context, name string) (*Provider, error)

	// Repositories returns the cached repository list, fetching every page first (with
	// conditional requests) when refresh is set or the list was never fetched.
	Repositories(ctx context.Context, name string, refresh bool) (*RepositoryList, error)

	// CreateRepository creates a repository with the provider and adds it to the cache.
	CreateRepository(ctx context.Context, name string, req RepositoryRequest) (*Repository, error)

	// Client returns a client for provider name's API.
	Client(ctx context.Context, name string) (ProviderClient, error)
}
