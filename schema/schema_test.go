package schema

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ferrygit/ferry"
)

// want is one expected violation: its exact pointer and a part of its message.
type want struct {
	pointer, message string
}

func TestValidate(t *testing.T) {
	const types = `{"type": "object", "properties": {
		"s": {"type": "string"}, "n": {"type": "number"}, "i": {"type": "integer"},
		"b": {"type": "boolean"}, "z": {"type": "null"}, "a": {"type": "array"}, "o": {"type": "object"}}}`
	const formats = `{"properties": {
		"email": {"format": "email"}, "url": {"format": "uri"},
		"at": {"format": "date-time"}, "id": {"format": "uuid"}, "ip": {"format": "ipv4"}}}`
	const nested = `{"properties": {"owner": {"type": "object", "required": ["name"], "properties": {
		"name": {"type": "string"}, "email": {"type": "string", "format": "email"}}}}}`
	const arrays = `{"properties": {"tags": {"type": "array", "items": {"type": "string"},
		"minItems": 1, "maxItems": 3, "uniqueItems": true}}}`
	const refs = `{"$defs": {"person": {"type": "object", "properties": {"email": {"format": "email"}}}},
		"properties": {"owner": {"$ref": "#/$defs/person"}, "backup": {"$ref": "#/$defs/person"}}}`
	const service = `{"type": "object", "required": ["name", "url"], "additionalProperties": false,
		"properties": {"name": {"type": "string", "pattern": "^[a-z][a-z0-9-]*$", "minLength": 2, "maxLength": 20},
		"url": {"type": "string", "format": "uri"}, "tier": {"enum": ["bronze", "silver", "gold"]},
		"replicas": {"type": "integer", "minimum": 1, "maximum": 10}, "ratio": {"type": "number", "exclusiveMaximum": 1}}}`

	tests := []struct {
		name   string
		schema string
		props  string // the entity's properties as JSON; "null" for a nil map
		want   []want
	}{
		{"types valid", types, `{"s": "x", "n": 1.5, "i": 3, "b": true, "z": null, "a": [1], "o": {}}`, nil},
		{"integer written as 3.0", types, `{"i": 3.0}`, nil},
		{"types wrong", types, `{"s": 1, "n": "1", "i": 1.5, "b": "true", "z": 0, "a": {}, "o": []}`, []want{
			{"/properties/a", "got object, want array"},
			{"/properties/b", "got string, want boolean"},
			{"/properties/i", "got number, want integer"},
			{"/properties/n", "got string, want number"},
			{"/properties/o", "got array, want object"},
			{"/properties/s", "got number, want string"},
			{"/properties/z", "got number, want null"},
		}},
		{"formats valid", formats, `{"email": "a@example.com", "url": "https://example.com/x", "at": "2024-05-01T10:00:00Z",
			"id": "6f1c2b9e-3d4a-4c5b-8e7f-0a1b2c3d4e5f", "ip": "10.0.0.1"}`, nil},
		{"formats asserted", formats, `{"email": "nope", "url": "no scheme", "at": "yesterday", "id": "123", "ip": "10.0.0.300"}`, []want{
			{"/properties/at", "is not valid date-time"},
			{"/properties/email", "is not valid email"},
			{"/properties/id", "is not valid uuid"},
			{"/properties/ip", "is not valid ipv4"},
			{"/properties/url", "is not valid uri"},
		}},
		{"nested object", nested, `{"owner": {"name": "ann", "email": "ann"}}`, []want{
			{"/properties/owner/email", "is not valid email"},
		}},
		{"nested required", nested, `{"owner": {}}`, []want{
			{"/properties/owner", "missing property 'name'"},
		}},
		{"array items", arrays, `{"tags": ["a", 2, "c"]}`, []want{{"/properties/tags/1", "got number, want string"}}},
		{"array minItems", arrays, `{"tags": []}`, []want{{"/properties/tags", "minItems: got 0, want 1"}}},
		{"array maxItems", arrays, `{"tags": ["a", "b", "c", "d"]}`, []want{{"/properties/tags", "maxItems: got 4, want 3"}}},
		{"array uniqueItems", arrays, `{"tags": ["a", "a"]}`, []want{{"/properties/tags", "items at 0 and 1 are equal"}}},
		{"service valid", service, `{"name": "web", "url": "https://web.example.com", "tier": "gold", "replicas": 3, "ratio": 0.5}`, nil},
		{"enum", service, `{"name": "web", "url": "https://x.example", "tier": "platinum"}`, []want{
			{"/properties/tier", "value must be one of 'bronze', 'silver', 'gold'"},
		}},
		{"required", service, `{"name": "web"}`, []want{{"/properties", "missing property 'url'"}}},
		{"required, two missing", service, `{}`, []want{{"/properties", "missing properties 'name', 'url'"}}},
		{"additionalProperties false", service, `{"name": "web", "url": "https://x.example", "color": "red"}`, []want{
			{"/properties", "additional properties 'color' not allowed"},
		}},
		{"pattern", service, `{"name": "Web_1", "url": "https://x.example"}`, []want{
			{"/properties/name", "does not match pattern '^[a-z][a-z0-9-]*$'"},
		}},
		{"minLength", service, `{"name": "w", "url": "https://x.example"}`, []want{{"/properties/name", "minLength: got 1, want 2"}}},
		{"maxLength", service, `{"name": "` + strings.Repeat("w", 21) + `", "url": "https://x.example"}`, []want{
			{"/properties/name", "maxLength: got 21, want 20"},
		}},
		{"minimum and maximum", service, `{"name": "web", "url": "https://x.example", "replicas": 0, "ratio": 1}`, []want{
			{"/properties/ratio", "exclusiveMaximum"},
			{"/properties/replicas", "minimum: got 0, want 1"},
		}},
		{"maximum", service, `{"name": "web", "url": "https://x.example", "replicas": 11}`, []want{
			{"/properties/replicas", "maximum: got 11, want 10"},
		}},
		{"three mistakes, three violations", service, `{"name": "web", "url": "not a uri", "tier": "x", "replicas": 2.5}`, []want{
			{"/properties/replicas", "got number, want integer"},
			{"/properties/tier", "value must be one of"},
			{"/properties/url", "is not valid uri"},
		}},
		{"$defs and $ref", refs, `{"owner": {"email": "x"}, "backup": {"email": "y@example.com"}}`, []want{
			{"/properties/owner/email", "is not valid email"},
		}},
		{"pointer escapes / and ~", `{"properties": {"a/b": {"type": "string"}, "c~d": {"type": "string"}}}`, `{"a/b": 1, "c~d": 2}`, []want{
			{"/properties/a~1b", "want string"},
			{"/properties/c~0d", "want string"},
		}},
		{"nil properties are an empty object", `{"type": "object", "required": ["name"]}`, `null`, []want{
			{"/properties", "missing property 'name'"},
		}},
		{"empty schema accepts anything", `{}`, `{"x": [1, {"y": null}]}`, nil},
		{"false schema rejects everything", `false`, `{}`, []want{{"/properties", "false schema"}}},
		{"draft-07 by $schema", `{"$schema": "http://json-schema.org/draft-07/schema#", "properties": {"n": {"type": "integer"}}}`,
			`{"n": "1"}`, []want{{"/properties/n", "got string, want integer"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Compile(json.RawMessage(tt.schema))
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			var props map[string]any
			if err := json.Unmarshal([]byte(tt.props), &props); err != nil {
				t.Fatal(err)
			}
			checkViolations(t, s.Validate(props), tt.want)
		})
	}
}

func checkViolations(t *testing.T, got []ferry.Violation, want []want) {
	t.Helper()
	if want == nil && got != nil {
		t.Fatalf("got violations %v, want none", got)
	}
	if len(got) != len(want) {
		t.Fatalf("got %d violations %v, want %d %v", len(got), got, len(want), want)
	}
	for i, w := range want {
		if got[i].Pointer != w.pointer || !strings.Contains(got[i].Message, w.message) {
			t.Errorf("violation %d = %+v, want pointer %q and a message containing %q", i, got[i], w.pointer, w.message)
		}
	}
}

func TestValidateTypesFromGo(t *testing.T) {
	s, err := Compile(json.RawMessage(`{"properties": {"n": {"type": "integer", "maximum": 10}, "tags": {"items": {"type": "string"}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if v := s.Validate(map[string]any{"n": 7, "tags": []string{"a"}}); v != nil {
		t.Errorf("Go ints and []string: %v", v)
	}
	checkViolations(t, s.Validate(map[string]any{"n": int64(11)}), []want{{"/properties/n", "maximum: got 11, want 10"}})
	checkViolations(t, s.Validate(map[string]any{"n": make(chan int)}), []want{{"/properties", "cannot be written as JSON"}})
}

func TestCompileInvalid(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		fmt.Fprint(w, `{"type": "string"}`)
	}))
	defer srv.Close()

	tests := []struct {
		name, schema string
		want         []string // parts of the message
	}{
		{"not JSON", `{"type": `, []string{"not valid JSON"}},
		{"trailing data", `{} {}`, []string{"not valid JSON"}},
		{"empty", ``, []string{"empty", "{}"}},
		{"an array", `[{"type": "string"}]`, []string{"object or a boolean, not an array"}},
		{"a string", `"string"`, []string{"object or a boolean, not a string"}},
		{"bad type keyword", `{"properties": {"a": {"type": "strin"}}}`, []string{"at /properties/a/type:", "value must be one of"}},
		{"type not a string", `{"type": 1}`, []string{"at /type:"}},
		{"minimum not a number", `{"properties": {"n": {"minimum": "1"}}}`, []string{"at /properties/n/minimum: got string, want number"}},
		{"required not an array", `{"required": "name"}`, []string{"at /required: got string, want array"}},
		{"regexp Go cannot compile", `{"properties": {"a": {"pattern": "(?=x)"}}}`, []string{"at /properties/a/pattern:", "not valid regex"}},
		{"remote $ref", `{"properties": {"a": {"$ref": "https://example.com/x.json"}}}`, []string{`"https://example.com/x.json"`, "$defs"}},
		{"remote $ref to a live server", `{"$ref": "` + srv.URL + `/s.json"}`, []string{srv.URL, "does not load"}},
		{"relative $ref", `{"$ref": "common.json#/$defs/x"}`, []string{`"common.json"`, "does not load"}},
		{"unknown $schema", `{"$schema": "https://example.com/meta#"}`, []string{`"https://example.com/meta"`, "$schema", "not a draft"}},
		{"missing anchor", `{"$ref": "#foo"}`, []string{`"#foo"`, "not found in the schema"}},
		{"$ref to missing $defs", `{"$ref": "#/$defs/nope"}`, []string{"#/$defs/nope", "not found"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Compile(json.RawMessage(tt.schema))
			if err == nil {
				t.Fatalf("Compile(%s) = %v, want an error", tt.schema, s)
			}
			if ferry.ErrorCode(err) != ferry.EINVALID {
				t.Fatalf("error %v is not EINVALID", err)
			}
			msg := ferry.ErrorMessage(err)
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q does not contain %q", msg, w)
				}
			}
			if strings.Contains(msg, "ferry.invalid") {
				t.Errorf("message %q names the compiler's internal URL", msg)
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the server was asked %d times; no schema may be fetched", n)
	}
}

func TestCache(t *testing.T) {
	a := json.RawMessage(`{"type": "object"}`)
	b := json.RawMessage(`{"type": "object", "required": ["x"]}`)
	c := json.RawMessage(`{"type": "object", "required": ["y"]}`)
	get := func(cache *Cache, raw json.RawMessage) *Schema {
		t.Helper()
		s, err := cache.Get(raw)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	cache := NewCache(2)
	sa := get(cache, a)
	if get(cache, append(json.RawMessage(nil), a...)) != sa {
		t.Error("the same bytes were compiled twice")
	}
	if get(cache, b) == sa {
		t.Error("different schemas share one compiled schema")
	}
	get(cache, a) // a is now the most recently used, b the least
	get(cache, c) // evicts b
	if get(cache, a) != sa {
		t.Error("the most recently used schema was evicted")
	}
	if len(cache.entries) != 2 || cache.order.Len() != 2 {
		t.Errorf("cache holds %d entries (%d in order), want 2", len(cache.entries), cache.order.Len())
	}

	if _, err := cache.Get(json.RawMessage(`{"type": 5}`)); ferry.ErrorCode(err) != ferry.EINVALID {
		t.Errorf("invalid schema: error %v, want EINVALID", err)
	}
	if len(cache.entries) != 2 {
		t.Errorf("an invalid schema was cached")
	}
}

func TestConcurrentValidate(t *testing.T) {
	cache := NewCache(4)
	raw := json.RawMessage(`{"properties": {"n": {"type": "integer", "maximum": 100}, "e": {"format": "email"}}}`)
	first, err := cache.Get(raw)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				s, err := cache.Get(raw)
				if err != nil || s != first {
					errs <- fmt.Sprintf("Get: %p, %v", s, err)
					return
				}
				n := g*200 + i
				got := s.Validate(map[string]any{"n": float64(n % 200), "e": "x@example.com"})
				if valid := n%200 <= 100; valid != (got == nil) {
					errs <- fmt.Sprintf("n=%d: %v", n%200, got)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestViolationsSorted(t *testing.T) {
	s, err := Compile(json.RawMessage(`{"properties": {"b": {"type": "string", "minLength": 3}, "a": {"anyOf": [{"type": "string"}, {"type": "null"}]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	got := s.Validate(map[string]any{"a": 1.0, "b": 2.0})
	want := []ferry.Violation{
		{Pointer: "/properties/a", Message: "got number, want null"},
		{Pointer: "/properties/a", Message: "got number, want string"},
		{Pointer: "/properties/b", Message: "got number, want string"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
