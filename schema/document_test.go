package schema

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/ferrygit/ferry"
)

func TestDecodeDocument(t *testing.T) {
	web := map[string]any{"identifier": "web", "properties": map[string]any{"port": 8080.0, "tags": []any{"a", true, nil}}}
	api := map[string]any{"identifier": "api"}
	tests := []struct {
		name, path, data string
		want             []map[string]any
	}{
		{"json object", "svc/web.json", `{"identifier": "web", "properties": {"port": 8080, "tags": ["a", true, null]}}`,
			[]map[string]any{web}},
		{"json array", "svc.JSON", `[{"identifier": "web", "properties": {"port": 8080, "tags": ["a", true, null]}}, {"identifier": "api"}]`,
			[]map[string]any{web, api}},
		{"json empty array", "none.json", ` [] `, []map[string]any{}},
		{"yaml object", "web.yaml", "identifier: web\nproperties:\n  port: 8080\n  tags: [a, true, ~]\n",
			[]map[string]any{web}},
		{"yaml array", "svc.yml", "- identifier: web\n  properties: {port: 8080, tags: [a, true, null]}\n- identifier: api\n",
			[]map[string]any{web, api}},
		{"yaml documents", "svc.yaml", "identifier: web\nproperties: {port: 8.08e3, tags: [a, yes, null]}\n---\n- identifier: api\n",
			[]map[string]any{{"identifier": "web", "properties": map[string]any{"port": 8080.0, "tags": []any{"a", "yes", nil}}}, api}},
		{"yaml scalars as JSON has them", "x.yaml", "a: 0x10\nb: 2024-05-01\nc: '12'\nd: -1.5\ne: 18446744073709551615\nf: !!str 7\n",
			[]map[string]any{{"a": 16.0, "b": "2024-05-01", "c": "12", "d": -1.5, "e": 18446744073709551615.0, "f": "7"}}},
		{"yaml anchors and merge keys", "x.yaml", "- &base {identifier: a, tier: gold, region: eu}\n- <<: *base\n  identifier: b\n- <<: [{region: us}, *base]\n  identifier: c\n",
			[]map[string]any{
				{"identifier": "a", "tier": "gold", "region": "eu"},
				{"identifier": "b", "tier": "gold", "region": "eu"},
				{"identifier": "c", "tier": "gold", "region": "us"},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeDocument(tt.path, []byte(tt.data))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestDecodeDocumentInvalid(t *testing.T) {
	tests := []struct {
		name, path, data string
		want             []string // parts of the message
	}{
		{"unknown extension", "web.toml", `a = 1`, []string{"web.toml", "*.json, *.yaml or *.yml"}},
		{"empty json", "web.json", " \n", []string{"web.json is empty"}},
		{"empty yaml", "web.yaml", "# nothing\n", []string{"web.yaml is empty"}},
		{"too large", "big.json", `"` + strings.Repeat("x", maxDocumentSize) + `"`, []string{"big.json is larger than 1 MiB"}},
		{"json syntax", "web.json", "{\n  \"a\": 1,\n  \"b\": }\n", []string{"web.json: line 3:", "invalid character '}'"}},
		{"json cut short", "web.json", `{"a": [1, 2`, []string{"ends in the middle"}},
		{"json trailing data", "web.json", "{}\n{}", []string{"web.json: line 2:", "more data follows"}},
		{"json number too large", "web.json", "{\n\"n\": 1e400}", []string{"web.json: line 2:", "1e400"}},
		{"json scalar", "web.json", `"web"`, []string{"holds a string"}},
		{"json non-object element", "web.json", `[{}, 3]`, []string{"element at index 1 is a number, not an entity object"}},
		{"json too deep", "web.json", strings.Repeat("[", 65) + strings.Repeat("]", 65), []string{"line 1", "deeper than 64"}},
		{"yaml syntax", "web.yaml", "identifier: web\nproperties:\n  port: 80\n    bad: indent\n", []string{"web.yaml: line 4:"}},
		{"yaml unclosed", "web.yaml", "a: [1, 2\nb: 3\n", []string{"web.yaml: line"}},
		{"yaml scalar", "web.yaml", "just text\n", []string{"web.yaml: line 1: the document is a string"}},
		{"yaml null document", "web.yaml", "a: 1\n---\n~\n", []string{"line 3", "the document is null"}},
		{"yaml non-object element", "web.yaml", "- a: 1\n- 2\n- [x]\n", []string{"web.yaml: line 2: the element at index 1 is a number"}},
		{"yaml integer key", "web.yaml", "a: 1\nsub:\n  12: x\n", []string{"web.yaml: line 3: key 12 is a number", "quote it"}},
		{"yaml boolean key", "web.yaml", "true: x\n", []string{"key true is a boolean"}},
		{"yaml null key", "web.yaml", "~: x\n", []string{"key ~ is null"}},
		{"yaml mapping key", "web.yaml", "? {a: 1}\n: x\n", []string{"line 1", "a key is a mapping"}},
		{"yaml duplicate key", "web.yaml", "a: 1\nb: 2\na: 3\n", []string{"line 3", `key "a" appears twice`}},
		{"yaml infinity", "web.yaml", "n: .inf\n", []string{"line 1", ".inf is not a number JSON can hold"}},
		{"yaml NaN", "web.yaml", "n: .nan\n", []string{".nan is not a number JSON can hold"}},
		{"yaml binary", "web.yaml", "b: !!binary aGVsbG8=\n", []string{"tagged !!binary are not supported"}},
		{"yaml custom tag", "web.yaml", "b: !secret x\n", []string{"tagged !secret are not supported"}},
		{"yaml bad merge", "web.yaml", "a:\n  <<: 3\n", []string{"line 2", "merges a mapping"}},
		{"yaml too deep", "web.yaml", "a: 1\nb: " + strings.Repeat("[", 64) + strings.Repeat("]", 64), []string{"line 2", "deeper than 64"}},
		{"yaml too deep in mappings", "web.yaml", nestedYAML(65), []string{"line 65", "deeper than 64"}},
		{"yaml alias cycle", "web.yaml", "a: &x [*x]\n", []string{"deeper than 64"}},
		{"yaml merge cycle", "web.yaml", "a: &x {<<: *x}\n", []string{"deeper than 64"}},
		{"yaml alias bomb", "bomb.yaml", aliasBomb(), []string{"bomb.yaml: line", "more than 1 MiB"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeDocument(tt.path, []byte(tt.data))
			if err == nil {
				t.Fatalf("got %v, want an error", got)
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
		})
	}
}

// TestDecodeDocumentDepthLimit checks that 64 levels pass, so the limit is where it says.
func TestDecodeDocumentDepthLimit(t *testing.T) {
	if _, err := DecodeDocument("ok.json", []byte(strings.Repeat("[", 63)+"{}"+strings.Repeat("]", 63))); err == nil {
		t.Error("an array of 63 levels holds no object, yet was accepted")
	}
	if _, err := DecodeDocument("ok.json", []byte(`[`+strings.Repeat(`{"a":`, 63)+`1`+strings.Repeat(`}`, 63)+`]`)); err != nil {
		t.Errorf("JSON 64 levels deep: %v", err)
	}
	if _, err := DecodeDocument("ok.yaml", []byte(nestedYAML(64))); err != nil {
		t.Errorf("YAML 64 levels deep: %v", err)
	}
}

// nestedYAML returns a mapping nested depth levels deep, one level a line.
func nestedYAML(depth int) string {
	var b strings.Builder
	for i := range depth - 1 {
		b.WriteString(strings.Repeat(" ", i) + "a:\n")
	}
	b.WriteString(strings.Repeat(" ", depth-1) + "a: 1\n")
	return b.String()
}

// aliasBomb returns a small YAML file whose aliases expand to billions of values.
func aliasBomb() string {
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 10; i++ {
		b.WriteString("a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [")
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + string(rune('0'+i-1)))
		}
		b.WriteString("]\n")
	}
	return b.String()
}

func FuzzDecodeDocument(f *testing.F) {
	for _, seed := range []struct {
		yaml bool
		data string
	}{
		{false, `{"identifier": "web", "properties": {"port": 8080, "tags": ["a", true, null]}}`},
		{false, `[{"a": 1}, {"b": {"c": [1.5e3, -0, "\u00e9\ud800"]}}]`},
		{true, "identifier: web\nproperties:\n  port: 8080\n  tags: [a, true, ~]\n"},
		{true, "- &b {a: 1, b: [x, y]}\n- <<: *b\n  c: 2024-05-01\n---\nz: !!str 3\n"},
		{true, "a: &x [*x]\n"},
		{true, "? [a]\n: b\n"},
		{true, "a: |\n  text\n  more\nb: >-\n  folded\n"},
		{true, aliasBomb()},
	} {
		f.Add(seed.yaml, []byte(seed.data))
	}
	f.Fuzz(func(t *testing.T, isYAML bool, data []byte) {
		path := "fuzz.json"
		if isYAML {
			path = "fuzz.yaml"
		}
		docs, err := DecodeDocument(path, data)
		if err != nil {
			if ferry.ErrorCode(err) != ferry.EINVALID {
				t.Fatalf("error %v is not EINVALID", err)
			}
			return
		}
		for _, doc := range docs {
			b, err := json.Marshal(doc)
			if err != nil {
				t.Fatalf("accepted %q, but it does not marshal to JSON: %v", data, err)
			}
			if len(b) > maxDocumentSize {
				continue // escaping can make the JSON text longer than the limit
			}
			again, err := DecodeDocument("again.json", b)
			if err != nil {
				t.Fatalf("%s does not decode again: %v", b, err)
			}
			if len(again) != 1 || !reflect.DeepEqual(again[0], doc) {
				t.Fatalf("%s decodes again to %v, want %v", b, again, doc)
			}
		}
	})
}
