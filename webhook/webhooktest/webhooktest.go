// Package webhooktest turns the real, published provider payloads (webhook/testdata/providers,
// copied unchanged from the shared fixtures, or $FERRY_PROVIDER_FIXTURES) into webhook
// deliveries signed as each provider signs them, for tests.
package webhooktest

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
)

// Dir returns the directory of the provider fixtures: $FERRY_PROVIDER_FIXTURES when set, else
// webhook/testdata/providers in the repository (a copy of the shared fixtures' webhook
// payloads). It fails the test when the directory is missing.
func Dir(t testing.TB) string {
	t.Helper()
	if dir := os.Getenv("FERRY_PROVIDER_FIXTURES"); dir != "" {
		return dir
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			fixtures := filepath.Join(dir, "webhook", "testdata", "providers")
			if _, err := os.Stat(fixtures); err != nil {
				t.Fatalf("the provider fixtures are not at %s (set FERRY_PROVIDER_FIXTURES): %v", fixtures, err)
			}
			return fixtures
		}
		if filepath.Dir(dir) == dir {
			t.Fatalf("no go.mod above %s", wd)
		}
	}
}

// Files returns the webhook payload fixtures ("github/webhook-push-branch-update.json", …),
// sorted.
func Files(t testing.TB) []string {
	t.Helper()
	dir := Dir(t)
	var files []string
	for _, pattern := range []string{"*/webhook-*.json", "*/system-hook-*.json"} {
		matches, err := filepath.Glob(filepath.Join(dir, pattern))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range matches {
			if !strings.HasSuffix(m, ".headers.json") {
				rel, _ := filepath.Rel(dir, m)
				files = append(files, filepath.ToSlash(rel))
			}
		}
	}
	sort.Strings(files)
	if len(files) == 0 {
		t.Fatalf("no webhook fixtures in %s", dir)
	}
	return files
}

// Meta is what a fixture's .headers.json says about how its payload is delivered.
type Meta struct {
	EventHeader *struct {
		Name    string   `json:"name"`
		Value   string   `json:"value"`
		Aliases []string `json:"aliases"`
	} `json:"event_header"`
	EventTypeHeader *struct {
		Name    string   `json:"name"`
		Value   string   `json:"value"`
		Aliases []string `json:"aliases"`
	} `json:"event_type_header"`
	DeliveryIDHeader *struct {
		Name    string   `json:"name"`
		Aliases []string `json:"aliases"`
	} `json:"delivery_id_header"`
	Signature *struct {
		Header    string            `json:"header"`
		Format    string            `json:"format"`
		Algorithm string            `json:"algorithm"`
		Aliases   map[string]string `json:"aliases"`
	} `json:"signature"`
	Token *struct {
		Header string `json:"header"`
	} `json:"token"`
	Auth *struct {
		Format string `json:"format"`
	} `json:"auth"`
}

// Delivery is a fixture as a provider would deliver it.
type Delivery struct {
	Provider string // the fixture's directory: github, gitlab, gitea, bitbucket-cloud, …
	File     string
	Header   http.Header
	Body     []byte
	Meta     Meta
}

var deliveries atomic.Int64

// Load reads fixture file (relative to Dir) and its metadata and returns it signed with
// secret, with a fresh delivery ID.
func Load(t testing.TB, file, secret string) *Delivery {
	t.Helper()
	dir := Dir(t)
	body, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, strings.TrimSuffix(file, ".json")+".headers.json"))
	if err != nil {
		t.Fatal(err)
	}
	d := &Delivery{Provider: filepath.Dir(filepath.FromSlash(file)), File: file, Body: body}
	if err := json.Unmarshal(raw, &d.Meta); err != nil {
		t.Fatalf("%s: metadata: %v", file, err)
	}
	d.Build(secret)
	return d
}

// Build sets the delivery's headers anew: content type, event, a fresh delivery ID and the
// proof of secret, as the metadata describes them. Call it again after changing Body.
func (d *Delivery) Build(secret string) {
	h := http.Header{"Content-Type": {"application/json"}}
	m := d.Meta
	if e := m.EventHeader; e != nil {
		for _, name := range append([]string{e.Name}, e.Aliases...) {
			h.Set(name, e.Value)
		}
	}
	if e := m.EventTypeHeader; e != nil {
		for _, name := range append([]string{e.Name}, e.Aliases...) {
			h.Set(name, e.Value)
		}
	}
	if id := m.DeliveryIDHeader; id != nil {
		v := fmt.Sprintf("0b5e4c1a-%04d-4f00-9000-%012d", os.Getpid()%10000, deliveries.Add(1))
		for _, name := range append([]string{id.Name}, id.Aliases...) {
			h.Set(name, v)
		}
	}
	d.Header = h
	d.Sign(secret)
}

// Sign sets the headers that prove the sender knows secret, computed with the algorithm the
// metadata documents: a token sent as is, an HMAC of the body, or HTTP basic authentication.
func (d *Delivery) Sign(secret string) {
	m := d.Meta
	switch {
	case m.Token != nil:
		d.Header.Set(m.Token.Header, secret)
	case m.Signature != nil:
		d.Header.Set(m.Signature.Header, signature(m.Signature.Format, secret, d.Body))
		for name, format := range m.Signature.Aliases {
			d.Header.Set(name, signature(format, secret, d.Body))
		}
	case m.Auth != nil:
		req := &http.Request{Header: d.Header}
		req.SetBasicAuth("ferry", secret)
	}
}

// signature renders the HMAC of body under secret in format: "sha256=<hex>", "sha1=<hex>"
// or "<hex> …" (bare hex, SHA-256).
func signature(format, secret string, body []byte) string {
	newHash, prefix := sha256.New, ""
	switch {
	case strings.HasPrefix(format, "sha256="):
		prefix = "sha256="
	case strings.HasPrefix(format, "sha1="):
		newHash, prefix = func() hash.Hash { return sha1.New() }, "sha1="
	}
	mac := hmac.New(newHash, []byte(secret))
	mac.Write(body)
	return prefix + hex.EncodeToString(mac.Sum(nil))
}

// SignatureHeaders returns the headers that carry the delivery's proof of the secret.
func (d *Delivery) SignatureHeaders() []string {
	switch m := d.Meta; {
	case m.Token != nil:
		return []string{m.Token.Header}
	case m.Signature != nil:
		names := []string{m.Signature.Header}
		for name := range m.Signature.Aliases {
			names = append(names, name)
		}
		return names
	case m.Auth != nil:
		return []string{"Authorization"}
	}
	return nil
}

// Request returns the delivery as a request to url.
func (d *Delivery) Request(t testing.TB, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(string(d.Body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = d.Header.Clone()
	return req
}

// DeliveryID returns the delivery ID the headers carry, "" if none.
func (d *Delivery) DeliveryID() string {
	if d.Meta.DeliveryIDHeader == nil {
		return ""
	}
	return d.Header.Get(d.Meta.DeliveryIDHeader.Name)
}

// Rewrite replaces top-level fields of the JSON body and signs it again with secret.
func (d *Delivery) Rewrite(t testing.TB, secret string, fields map[string]any) {
	t.Helper()
	var body map[string]json.RawMessage
	if err := json.Unmarshal(d.Body, &body); err != nil {
		t.Fatal(err)
	}
	for k, v := range fields {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		body[k] = b
	}
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	d.Body = b
	d.Sign(secret)
}
