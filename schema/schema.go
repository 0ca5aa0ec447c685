// Package schema checks catalog entities against their blueprint's JSON Schema (draft
// 2020-12 unless the schema names another draft), and reads entity files written in JSON
// or YAML. It adapts github.com/santhosh-tekuri/jsonschema/v6 to Ferry's errors and
// violations.
package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/ferrygit/ferry"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// baseURL names the schema document inside the compiler. Nothing is ever fetched from it:
// it only gives relative references something to resolve against, and is cut out of the
// messages users read.
const (
	baseURL  = "https://ferry.invalid/schema.json"
	baseHost = "https://ferry.invalid/"
)

// Schema is a compiled blueprint schema. It is safe for concurrent use: compile once,
// validate many.
type Schema struct {
	s *jsonschema.Schema
}

// Compile compiles raw, a blueprint's schema for entity properties. Draft 2020-12 applies
// unless $schema names another draft the validator knows (2019-09, 7, 6 or 4). References
// outside the document are refused: nothing is read from the network or from files. Formats
// (email, uri, date-time, uuid, ipv4, …) are asserted, not just annotations. Returns
// EINVALID when raw is not JSON, not an object or a boolean, or not a valid schema.
func Compile(raw json.RawMessage) (*Schema, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, ferry.Errorf(ferry.EINVALID, "The schema is empty: use {} to accept any properties.")
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		var se *json.SyntaxError
		switch {
		case errors.As(err, &se):
			return nil, ferry.Errorf(ferry.EINVALID, "The schema is not valid JSON: %v (at byte %d).", err, se.Offset)
		case errors.Is(err, io.ErrUnexpectedEOF):
			return nil, ferry.Errorf(ferry.EINVALID, "The schema is not valid JSON: it ends in the middle of a value.")
		}
		return nil, ferry.Errorf(ferry.EINVALID, "The schema is not valid JSON: %v.", err)
	}
	switch doc.(type) {
	case map[string]any, bool:
	default:
		return nil, ferry.Errorf(ferry.EINVALID, "The schema must be a JSON object or a boolean, not %s.", jsonKind(doc))
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	c.UseLoader(refuseLoader{})
	if err := c.AddResource(baseURL, doc); err != nil {
		return nil, fmt.Errorf("schema: add resource: %w", err)
	}
	s, err := c.Compile(baseURL)
	if err != nil {
		return nil, compileError(doc, err)
	}
	return &Schema{s: s}, nil
}

// Validate checks properties, an entity's properties as encoding/json decodes them, and
// returns every violation sorted by pointer then message, or nil when they are valid.
// Pointers lead into the entity document, such as /properties/owner/email. A nil map is
// checked as an empty object.
func (s *Schema) Validate(properties map[string]any) []ferry.Violation {
	if properties == nil {
		properties = map[string]any{}
	}
	// The validator wants numbers as json.Number or float64 and nothing else; a round trip
	// through JSON gives it exactly what the document says, whatever types the caller used.
	b, err := json.Marshal(properties)
	if err != nil {
		return []ferry.Violation{{Pointer: "/properties", Message: fmt.Sprintf("The properties cannot be written as JSON: %v.", err)}}
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return []ferry.Violation{{Pointer: "/properties", Message: fmt.Sprintf("The properties are not valid JSON: %v.", err)}}
	}
	err = s.s.Validate(v)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return []ferry.Violation{{Pointer: "/properties", Message: err.Error()}}
	}
	return violations("/properties", ve)
}

// violations flattens the library's error tree to its leaves, which say what is wrong
// where; the inner nodes only say which keyword (allOf, $ref, …) led there.
func violations(prefix string, ve *jsonschema.ValidationError) []ferry.Violation {
	var out []ferry.Violation
	var walk func(u *jsonschema.OutputUnit)
	walk = func(u *jsonschema.OutputUnit) {
		if len(u.Errors) == 0 && u.Error != nil {
			out = append(out, ferry.Violation{Pointer: prefix + u.InstanceLocation, Message: u.Error.String()})
		}
		for i := range u.Errors {
			walk(&u.Errors[i])
		}
	}
	walk(ve.DetailedOutput())
	slices.SortFunc(out, func(a, b ferry.Violation) int {
		if c := strings.Compare(a.Pointer, b.Pointer); c != 0 {
			return c
		}
		return strings.Compare(a.Message, b.Message)
	})
	return slices.Compact(out)
}

// compileError turns a compiler error into EINVALID with a message that says where.
func compileError(doc any, err error) error {
	var sve *jsonschema.SchemaValidationError
	var ve *jsonschema.ValidationError
	if errors.As(err, &sve) && errors.As(sve.Err, &ve) {
		vs := violations("", ve)
		const most = 5
		msgs := make([]string, 0, most)
		for i, v := range vs {
			if i == most {
				msgs = append(msgs, fmt.Sprintf("and %d more", len(vs)-most))
				break
			}
			where := v.Pointer
			if where == "" {
				where = "the top level"
			}
			msgs = append(msgs, fmt.Sprintf("at %s: %s", where, v.Message))
		}
		return ferry.Errorf(ferry.EINVALID, "The schema is not valid: %s.", strings.Join(msgs, "; "))
	}
	var le *jsonschema.LoadURLError
	if errors.As(err, &le) {
		if meta, _, _ := strings.Cut(metaSchema(doc), "#"); meta == le.URL {
			return ferry.Errorf(ferry.EINVALID, "The schema's $schema %q is not a draft Ferry knows: "+
				"leave it out for draft 2020-12, or name draft 2019-09, 7, 6 or 4.", le.URL)
		}
		return ferry.Errorf(ferry.EINVALID, "The schema refers to %q, which Ferry does not load: "+
			"put the definition under $defs and refer to it as \"#/$defs/NAME\".", trimBase(le.URL))
	}
	return ferry.Errorf(ferry.EINVALID, "The schema is not valid: %s.", trimBase(err.Error()))
}

// metaSchema returns the $schema of doc, or "".
func metaSchema(doc any) string {
	obj, _ := doc.(map[string]any)
	s, _ := obj["$schema"].(string)
	return s
}

// trimBase removes the compiler's name for the schema document from s.
func trimBase(s string) string {
	s = strings.ReplaceAll(s, `schema "`+baseURL+`"`, "the schema")
	s = strings.ReplaceAll(s, `"`+baseURL+`"`, "the schema")
	return strings.ReplaceAll(strings.ReplaceAll(s, baseURL, ""), baseHost, "")
}

// refuseLoader refuses every document the compiler asks for: a blueprint's schema stands
// alone. The drafts' meta-schemas are built into the library and never reach it.
type refuseLoader struct{}

func (refuseLoader) Load(url string) (any, error) {
	return nil, errors.New("remote references are not allowed")
}

// jsonKind names the JSON type of v, as decoded by jsonschema.UnmarshalJSON.
func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case []any:
		return "an array"
	default:
		return fmt.Sprintf("%T", v)
	}
}
