package github

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ferrygit/ferry"
	"github.com/ferrygit/ferry/provider"
)

// JWTLifetime is how long an App JWT is good for; GitHub allows at most 10 minutes.
const JWTLifetime = 9 * time.Minute

// jwtBackdate is how far an App JWT's issued-at time is set in the past, for clock drift.
const jwtBackdate = 60 * time.Second

// RequiredPermissions are the installation permissions Ferry needs, with the least level
// of each: to list and read repositories, create them and their deploy keys
// (administration) and manage their webhooks.
var RequiredPermissions = map[string]string{
	"administration":   "write",
	"contents":         "read",
	"metadata":         "read",
	"repository_hooks": "write",
}

// levels orders permission levels.
var levels = map[string]int{"read": 1, "write": 2, "admin": 3}

// app mints installation tokens for a github-app credential.
type app struct {
	api          *provider.API
	id           string
	installation string
	key          *rsa.PrivateKey
	tokens       *provider.TokenCache
	cacheKey     string
	now          func() time.Time
}

func newApp(cfg *provider.Config) (*app, error) {
	key, err := ferry.ParseRSAPrivateKey(cfg.Secret.PrivateKey)
	if err != nil {
		return nil, cfg.API.Errorf(ferry.EINVALID, "credential %q: %s", cfg.Credential.Name, ferry.ErrorMessage(err))
	}
	c := cfg.Credential
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &app{api: cfg.API, id: c.AppID, installation: c.InstallationID, key: key, tokens: cfg.Tokens, now: now,
		cacheKey: strings.Join([]string{cfg.API.Base.String(), c.Name, c.AppID, c.InstallationID, c.UpdatedAt.Format(time.RFC3339Nano)}, "|")}, nil
}

// jwt returns a JWT for the App, signed with its key (RS256).
func (a *app) jwt() (string, error) {
	now := a.now()
	var iss any = a.id
	if n, err := strconv.ParseInt(a.id, 10, 64); err == nil {
		iss = n // an App id is a number; a client id a string
	}
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT"}`))
	claims, err := json.Marshal(map[string]any{"iat": now.Add(-jwtBackdate).Unix(), "exp": now.Add(JWTLifetime).Unix(), "iss": iss})
	if err != nil {
		return "", err
	}
	signed := header + "." + base64.RawURLEncoding.EncodeToString(claims)
	sum := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(rand.Reader, a.key, crypto.SHA256, sum[:])
	if err != nil {
		return "", err
	}
	jwt := signed + "." + base64.RawURLEncoding.EncodeToString(sig)
	a.api.AddSecret(jwt)
	return jwt, nil
}

// asApp returns a request header authenticating as the App itself.
func (a *app) asApp() (http.Header, error) {
	jwt, err := a.jwt()
	if err != nil {
		return nil, err
	}
	return http.Header{"Authorization": {"Bearer " + jwt}}, nil
}

// installationToken is the answer of POST /app/installations/{id}/access_tokens.
type installationToken struct {
	Token       string            `json:"token"`
	ExpiresAt   time.Time         `json:"expires_at"`
	Permissions map[string]string `json:"permissions"`
}

// mintToken asks GitHub for a new installation token.
func (a *app) mintToken(ctx context.Context) (*installationToken, error) {
	h, err := a.asApp()
	if err != nil {
		return nil, err
	}
	var t installationToken
	req := &provider.Request{Method: http.MethodPost, Path: "/app/installations/" + provider.Seg(a.installation) + "/access_tokens", Header: h}
	if _, err := a.api.JSON(ctx, req, &t); err != nil {
		return nil, err
	}
	if t.Token == "" || t.ExpiresAt.IsZero() {
		return nil, a.api.Errorf(ferry.EUNAVAILABLE, "the installation token GitHub sent has no token or expiry.")
	}
	a.api.AddSecret(t.Token)
	return &t, nil
}

// auth sets the installation token, minted or cached, on h.
func (a *app) auth(ctx context.Context, h http.Header) error {
	token, err := a.tokens.Get(ctx, a.cacheKey, a.now, func(ctx context.Context) (string, time.Time, error) {
		t, err := a.mintToken(ctx)
		if err != nil {
			return "", time.Time{}, err
		}
		return t.Token, t.ExpiresAt, nil
	})
	if err != nil {
		return err
	}
	a.api.AddSecret(token)
	h.Set("Authorization", "Bearer "+token)
	return nil
}

// validate checks the App's key (GET /app with a JWT) and mints an installation token to
// compare the permissions it carries with RequiredPermissions.
func (a *app) validate(ctx context.Context) (ferry.ProviderStatus, error) {
	h, err := a.asApp()
	if err != nil {
		return ferry.ProviderStatus{}, err
	}
	var info struct {
		Slug string `json:"slug"`
		Name string `json:"name"`
	}
	if _, err := a.api.JSON(ctx, &provider.Request{Method: http.MethodGet, Path: "/app", Header: h}, &info); err != nil {
		return refused(err)
	}
	t, err := a.mintToken(ctx)
	if err != nil {
		if provider.StatusOf(err) == http.StatusNotFound {
			return ferry.ProviderStatus{Login: info.Slug, Message: "GitHub knows no installation " + a.installation + " of the App " + info.Slug + "; check installation_id."}, nil
		}
		return refused(err)
	}
	st := ferry.ProviderStatus{Login: info.Slug, Missing: missingPermissions(t.Permissions)}
	st.Valid = len(st.Missing) == 0
	if st.Valid {
		st.Message = "Authenticated as the App " + info.Slug + "; installation " + a.installation + " grants the permissions Ferry needs."
	} else {
		st.Message = "Installation " + a.installation + " of the App " + info.Slug + " lacks " + strings.Join(st.Missing, ", ") +
			"; add them in the App's settings (Permissions), accept them on the installation, and validate again."
	}
	return st, nil
}

// missingPermissions names, as "name:level", each required permission that granted lacks
// or grants at a lower level.
func missingPermissions(granted map[string]string) []string {
	var missing []string
	for name, level := range RequiredPermissions {
		if levels[granted[name]] < levels[level] {
			missing = append(missing, name+":"+level)
		}
	}
	sort.Strings(missing)
	return missing
}
