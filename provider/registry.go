package provider

import (
	"context"
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/ferrygit/ferry"
)

// Constructor makes the client of one provider kind from a connection's config. It must
// not call the provider: Registry.Check runs it to see that a credential fits the kind.
// It returns EINVALID, prefixed with the kind, for a credential of a kind it cannot use.
type Constructor func(cfg *Config) (ferry.ProviderClient, error)

// Config is what a Constructor builds a client from.
type Config struct {
	Provider   *ferry.Provider
	Credential *ferry.Credential       // the public half
	Secret     *ferry.CredentialSecret // the secret half; never logged or returned
	API        *API                    // set up for the base URL; the constructor sets Header and Auth
	Tokens     *TokenCache             // for tokens minted from the credential
	Now        func() time.Time
}

// Unsupported returns the EINVALID error of a credential whose kind a provider kind
// cannot use; takes names the kinds it can.
func (c *Config) Unsupported(takes ...string) error {
	list := takes[len(takes)-1]
	if len(takes) > 1 {
		list = strings.Join(takes[:len(takes)-1], ", ") + " or " + list
	}
	return c.API.Errorf(ferry.EINVALID, "credential %q is a %s credential; a %s provider takes a %s credential.",
		c.Credential.Name, c.Credential.Kind, c.Provider.Kind, list)
}

// SetHeaderAuth sends the credential as header name with value on every request.
func (c *Config) SetHeaderAuth(name, value string) {
	c.API.AddSecret(value)
	c.API.Auth = func(_ context.Context, h http.Header) error {
		h.Set(name, value)
		return nil
	}
}

// SetBasicAuth sends the credential as HTTP basic authentication.
func (c *Config) SetBasicAuth(user, password string) {
	c.API.AddSecret(password)
	c.SetHeaderAuth("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(user+":"+password)))
}

// Registry finds the client of each provider kind and connects it to a provider's base
// URL and credential. It keeps, across connections, each credential's rate-limit state
// and minted tokens.
type Registry struct {
	constructors map[string]Constructor
	credentials  ferry.CredentialService
	policy       ferry.URLPolicy
	http         *http.Client
	now          func() time.Time
	logger       *slog.Logger
	limiter      Limiter
	tokens       TokenCache
}

// RegistryConfig configures a Registry.
type RegistryConfig struct {
	Credentials ferry.CredentialService
	Policy      ferry.URLPolicy
	HTTP        *http.Client     // nil: NewHTTPClient(Policy, nil, nil)
	Now         func() time.Time // nil: time.Now
	Logger      *slog.Logger     // nil: no logging
}

// NewRegistry returns a registry of the given constructors, by provider kind.
func NewRegistry(cfg RegistryConfig, constructors map[string]Constructor) *Registry {
	r := &Registry{constructors: constructors, credentials: cfg.Credentials, policy: cfg.Policy,
		http: cfg.HTTP, now: cfg.Now, logger: cfg.Logger}
	if r.http == nil {
		r.http = NewHTTPClient(cfg.Policy, nil, nil)
	}
	if r.now == nil {
		r.now = time.Now
	}
	return r
}

// Kinds returns the provider kinds the registry has clients for, sorted.
func (r *Registry) Kinds() []string {
	var kinds []string
	for k := range r.constructors {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	return kinds
}

// Connect returns a client for p's API. Returns EINVALID when the URL policy refuses
// the base URL or the credential does not fit the kind, ENOTFOUND for an unknown
// credential.
func (r *Registry) Connect(ctx context.Context, p *ferry.Provider) (ferry.ProviderClient, error) {
	construct, ok := r.constructors[p.Kind]
	if !ok {
		return nil, ferry.Errorf(ferry.EINVALID, "This server has no client for %s providers; it supports %s.", p.Kind, strings.Join(r.Kinds(), ", "))
	}
	u, err := ferry.ParseProviderURL(p.BaseURL)
	if err != nil {
		return nil, err
	}
	if err := r.policy.Check(u); err != nil {
		return nil, ferry.Errorf(ferry.EINVALID, "%s: base URL: %s", p.Kind, ferry.ErrorMessage(err))
	}
	base, err := url.Parse(u.String())
	if err != nil {
		return nil, ferry.Errorf(ferry.EINVALID, "%s: base URL %q is malformed.", p.Kind, u.String())
	}
	cred, err := r.credentials.FindCredential(ctx, p.Credential)
	if err != nil {
		if ferry.ErrorCode(err) == ferry.ENOTFOUND {
			return nil, ferry.Errorf(ferry.ENOTFOUND, "Credential %q does not exist; create it first (ferry cred create).", p.Credential)
		}
		return nil, err
	}
	secret, err := r.credentials.CredentialSecret(ctx, p.Credential)
	if err != nil {
		return nil, err
	}
	api := &API{Kind: p.Kind, Base: base, HTTP: r.http, Header: http.Header{}, Limiter: &r.limiter,
		Key: base.Host + "|" + cred.Name, Now: r.now, Logger: r.logger}
	for _, s := range []string{secret.Token, secret.Password} {
		api.AddSecret(s)
	}
	return construct(&Config{Provider: p, Credential: cred, Secret: secret, API: api, Tokens: &r.tokens, Now: r.now})
}
