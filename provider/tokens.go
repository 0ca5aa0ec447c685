package provider

import (
	"context"
	"sync"
	"time"
)

// TokenRefreshMargin is how long before its expiry a cached token is replaced.
const TokenRefreshMargin = 5 * time.Minute

// TokenCache keeps short-lived tokens minted from a credential (GitHub App installation
// tokens) in memory only, until TokenRefreshMargin before they expire. Concurrent callers
// for one key wait for a single mint. The zero value is ready to use.
type TokenCache struct {
	mu      sync.Mutex
	entries map[string]*tokenEntry // guarded by mu
}

type tokenEntry struct {
	mu      sync.Mutex // held while minting
	token   string     // guarded by mu
	expires time.Time  // guarded by mu
}

// MintFunc mints a new token and says when it expires.
type MintFunc func(ctx context.Context) (token string, expires time.Time, err error)

// Get returns the cached token of key while it is good at now, else mints, caches and
// returns a new one.
func (c *TokenCache) Get(ctx context.Context, key string, now func() time.Time, mint MintFunc) (string, error) {
	c.mu.Lock()
	if c.entries == nil {
		c.entries = map[string]*tokenEntry{}
	}
	e := c.entries[key]
	if e == nil {
		e = &tokenEntry{}
		c.entries[key] = e
	}
	c.mu.Unlock()

	e.mu.Lock()
	defer e.mu.Unlock()
	if e.token != "" && now().Add(TokenRefreshMargin).Before(e.expires) {
		return e.token, nil
	}
	token, expires, err := mint(ctx)
	if err != nil {
		return "", err
	}
	e.token, e.expires = token, expires
	return token, nil
}

// Forget drops every cached token, for tests and for a credential that changed.
func (c *TokenCache) Forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries = nil
}
