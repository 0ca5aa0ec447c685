// Package webhook receives Git providers' webhook deliveries: it recognises the provider from
// the request, verifies the delivery as that provider signs it, reads the push it reports
// and queues a pull of the binding when the push moved the binding's ref.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net/http"
	"sort"
	"strings"

	"github.com/ferrygit/ferry"
)

// Provider reads one provider's deliveries.
type Provider interface {
	// Detect reports whether the provider sent a request with these headers and payload.
	// For any request at most one provider detects it.
	Detect(h http.Header, payload []byte) bool

	// Verify returns ErrMissingSignature or ErrBadSignature unless the request carries
	// proof, as the provider gives it, that its sender knows secret. body is the raw body.
	Verify(secret string, h http.Header, body []byte) error

	// Parse reads the event of a verified delivery from its headers and JSON payload.
	// Returns EINVALID for a payload that is not what the event's payloads are.
	Parse(h http.Header, payload []byte) (*Event, error)
}

// providers is the registry: each provider by the name deliveries record.
var providers = map[string]Provider{
	"github":           github{},
	"gitea":            gitea{},
	"gitlab":           gitlab{},
	"bitbucket-cloud":  bitbucketCloud{},
	"bitbucket-server": bitbucketServer{},
	"azure-devops":     azureDevOps{},
}

// Providers returns the names of the providers Ferry recognises, sorted.
func Providers() []string {
	names := make([]string, 0, len(providers))
	for name := range providers {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Lookup returns the provider of a name.
func Lookup(name string) (Provider, bool) {
	p, ok := providers[name]
	return p, ok
}

// Identify returns the name of the provider that sent a request, or "" if none detects it.
func Identify(h http.Header, payload []byte) string {
	for name, p := range providers {
		if p.Detect(h, payload) {
			return name
		}
	}
	return ""
}

// The kinds of event.
const (
	KindPush  = "push"  // refs moved
	KindPing  = "ping"  // a ping or test delivery
	KindOther = "other" // anything else: pull requests, repository events, …
)

// Event is what a delivery reports.
type Event struct {
	Name       string      // the provider's event name: push, "Push Hook", repo:push, git.push, …
	Kind       string      // KindPush, KindPing or KindOther
	DeliveryID string      // the provider's ID of the delivery; "" if it sends none
	Refs       []RefUpdate // for a push: the refs it moved
	// DefaultBranch is the repository's default branch in full ("refs/heads/main") when the
	// payload names it; "" otherwise.
	DefaultBranch string
}

// RefUpdate is one ref a push moved.
type RefUpdate struct {
	Ref   string // in full: refs/heads/main, refs/tags/v1
	After string // the commit it moved to; "" or all zeros when the push deleted it
}

// The errors of Verify.
var (
	// ErrMissingSignature is returned by Verify when a request carries no signature, token or password.
	ErrMissingSignature = ferry.Errorf(ferry.EUNAUTHORIZED, "The delivery is not signed: set the webhook's secret to the one Ferry issued for this binding.")
	// ErrBadSignature is returned by Verify when a request's signature, token or password is wrong.
	ErrBadSignature = ferry.Errorf(ferry.EUNAUTHORIZED, "The delivery's signature does not match: the webhook's secret is not the one Ferry issued for this binding (rotated?).")
)

// verifyHMAC checks that sig, lowercase or uppercase hex after prefix, is the HMAC-SHA256 of
// body under secret, in constant time.
func verifyHMAC(secret string, body []byte, sig, prefix string) error {
	if sig == "" {
		return ErrMissingSignature
	}
	got, err := hex.DecodeString(strings.TrimPrefix(sig, prefix))
	if err != nil || !strings.HasPrefix(sig, prefix) {
		return ErrBadSignature
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return ErrBadSignature
	}
	return nil
}

// verifyToken checks that a token sent as is equals secret, in constant time whatever
// their lengths.
func verifyToken(secret, token string) error {
	if token == "" {
		return ErrMissingSignature
	}
	a, b := sha256.Sum256([]byte(secret)), sha256.Sum256([]byte(token))
	if subtle.ConstantTimeCompare(a[:], b[:]) != 1 {
		return ErrBadSignature
	}
	return nil
}

// errNoRef is the reason of a push payload that names no ref.
var errNoRef = errors.New("it names no ref")

// invalidPayload returns the EINVALID error of a payload provider could not read.
func invalidPayload(provider, event string, err error) error {
	return ferry.Errorf(ferry.EINVALID, "%s: the %s payload is not what %s sends: %s", provider, event, provider, strings.TrimPrefix(err.Error(), "json: "))
}

// branchRef returns ref in full: "main" becomes "refs/heads/main"; refs/… stay as they are.
func branchRef(ref string) string {
	if ref == "" || strings.HasPrefix(ref, "refs/") {
		return ref
	}
	return "refs/heads/" + ref
}

// zeroCommit reports whether a commit ID names no commit: a deleted ref.
func zeroCommit(id string) bool { return strings.Trim(id, "0") == "" }
