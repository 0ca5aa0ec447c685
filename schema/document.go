package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	pathpkg "path"
	"strings"

	"github.com/ferrygit/ferry"
	"go.yaml.in/yaml/v3"
)

// Limits of an entity file. Aliases in YAML count each time they are used, so a small file
// cannot expand into a large document.
const (
	maxDocumentSize  = 1 << 20 // bytes, read and decoded
	maxDocumentDepth = 64      // arrays and objects nested in one another
)

// DecodeDocument reads the entities of an entity file: JSON if path ends in .json, YAML if
// it ends in .yaml or .yml. A file holds one object or an array of objects; a YAML file may
// hold several documents, each one of those. Values come out as encoding/json decodes JSON:
// numbers are float64, objects map[string]any. Returns EINVALID, naming path and the line
// where one is known, for a file that does not parse, holds anything but objects, has a
// key that is not a string, nests deeper than 64 levels or decodes to more than 1 MiB.
func DecodeDocument(path string, data []byte) ([]map[string]any, error) {
	if len(data) > maxDocumentSize {
		return nil, ferry.Errorf(ferry.EINVALID, "%s is larger than 1 MiB: split its entities across files.", path)
	}
	var (
		docs []map[string]any
		err  error
	)
	switch strings.ToLower(pathpkg.Ext(path)) {
	case ".json":
		docs, err = decodeJSON(path, data)
	case ".yaml", ".yml":
		docs, err = decodeYAML(path, data)
	default:
		return nil, ferry.Errorf(ferry.EINVALID, "%s is neither JSON nor YAML: name entity files *.json, *.yaml or *.yml.", path)
	}
	if err != nil {
		return nil, err
	}
	if docs == nil {
		return nil, ferry.Errorf(ferry.EINVALID, "%s is empty: write one entity object or an array of them.", path)
	}
	return docs, nil
}

func decodeJSON(path string, data []byte) ([]map[string]any, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var v any
	if err := dec.Decode(&v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return nil, invalidAt(path, lineAt(data, se.Offset), "%v", err)
		case errors.As(err, &te):
			return nil, invalidAt(path, lineAt(data, te.Offset), "%v", err)
		case errors.Is(err, io.ErrUnexpectedEOF):
			return nil, ferry.Errorf(ferry.EINVALID, "%s ends in the middle of a JSON value.", path)
		}
		return nil, ferry.Errorf(ferry.EINVALID, "%s is not valid JSON: %v.", path, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, invalidAt(path, lineAt(data, dec.InputOffset()), "more data follows the JSON value: write one object or an array of them")
	}
	if off := jsonTooDeep(data); off >= 0 {
		return nil, invalidAt(path, lineAt(data, int64(off)), "objects and arrays are nested deeper than %d levels", maxDocumentDepth)
	}
	switch v := v.(type) {
	case map[string]any:
		return []map[string]any{v}, nil
	case []any:
		docs := make([]map[string]any, 0, len(v))
		for i, item := range v {
			m, ok := item.(map[string]any)
			if !ok {
				return nil, ferry.Errorf(ferry.EINVALID, "%s: the element at index %d is %s, not an entity object.", path, i, describe(item))
			}
			docs = append(docs, m)
		}
		return docs, nil
	default:
		return nil, ferry.Errorf(ferry.EINVALID, "%s holds %s: write one entity object or an array of them.", path, describe(v))
	}
}

// jsonTooDeep returns the offset where valid JSON data nests deeper than maxDocumentDepth,
// or -1.
func jsonTooDeep(data []byte) int {
	depth, inString, escaped := 0, false, false
	for i, c := range data {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			if depth++; depth > maxDocumentDepth {
				return i
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return -1
}

func decodeYAML(path string, data []byte) ([]map[string]any, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	c := &converter{path: path, budget: maxDocumentSize}
	var docs []map[string]any
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if err == io.EOF {
			return docs, nil
		}
		if err != nil {
			return nil, ferry.Errorf(ferry.EINVALID, "%s: %s.", path, strings.TrimPrefix(err.Error(), "yaml: "))
		}
		if docs == nil {
			docs = []map[string]any{}
		}
		if docs, err = c.document(docs, &doc); err != nil {
			return nil, err
		}
	}
}

// converter turns YAML nodes into the values encoding/json would decode from the same
// document in JSON. budget is the bytes the file may still decode to.
type converter struct {
	path   string
	budget int
}

// document appends the entities of doc, a document node, to docs.
func (c *converter) document(docs []map[string]any, doc *yaml.Node) ([]map[string]any, error) {
	if len(doc.Content) == 0 {
		return nil, c.errorf(doc, "the document is empty: write one entity object or a list of them")
	}
	root := resolve(doc.Content[0])
	switch root.Kind {
	case yaml.MappingNode:
		v, err := c.value(root, 0)
		if err != nil {
			return nil, err
		}
		return append(docs, v.(map[string]any)), nil
	case yaml.SequenceNode:
		for i, item := range root.Content {
			if it := resolve(item); it.Kind != yaml.MappingNode {
				return nil, c.errorf(item, "the element at index %d is %s, not an entity object", i, nodeKind(it))
			}
			v, err := c.value(item, 1)
			if err != nil {
				return nil, err
			}
			docs = append(docs, v.(map[string]any))
		}
		return docs, nil
	default:
		return nil, c.errorf(root, "the document is %s: write one entity object or a list of them", nodeKind(root))
	}
}

// value converts n, found depth levels deep.
func (c *converter) value(n *yaml.Node, depth int) (any, error) {
	if c.budget -= 8 + len(n.Value); c.budget < 0 {
		return nil, c.errorf(n, "the file decodes to more than 1 MiB (an alias counts each time it is used)")
	}
	switch n.Kind {
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, c.errorf(n, "alias *%s has no anchor", n.Value)
		}
		return c.value(n.Alias, depth)
	case yaml.ScalarNode:
		return c.scalar(n)
	}
	if depth++; depth > maxDocumentDepth {
		return nil, c.errorf(n, "lists and mappings are nested deeper than %d levels", maxDocumentDepth)
	}
	if n.Kind == yaml.SequenceNode {
		s := make([]any, 0, len(n.Content))
		for _, item := range n.Content {
			v, err := c.value(item, depth)
			if err != nil {
				return nil, err
			}
			s = append(s, v)
		}
		return s, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, c.errorf(n, "unexpected YAML node")
	}
	m := make(map[string]any, len(n.Content)/2)
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merges = append(merges, v)
			continue
		}
		key, err := c.key(k)
		if err != nil {
			return nil, err
		}
		if _, dup := m[key]; dup {
			return nil, c.errorf(k, "key %q appears twice in one mapping", key)
		}
		if m[key], err = c.value(v, depth); err != nil {
			return nil, err
		}
	}
	// Keys written in the mapping win over merged ones, and earlier merges over later ones.
	for _, mn := range merges {
		srcs := []*yaml.Node{mn}
		if r := resolve(mn); r.Kind == yaml.SequenceNode {
			srcs = r.Content
		}
		for _, src := range srcs {
			if resolve(src).Kind != yaml.MappingNode {
				return nil, c.errorf(src, "'<<' merges a mapping or a list of mappings, not %s", nodeKind(resolve(src)))
			}
			v, err := c.value(src, depth)
			if err != nil {
				return nil, err
			}
			for k, v := range v.(map[string]any) {
				if _, ok := m[k]; !ok {
					m[k] = v
				}
			}
		}
	}
	return m, nil
}

func (c *converter) key(k *yaml.Node) (string, error) {
	r := resolve(k)
	if r.Kind != yaml.ScalarNode {
		return "", c.errorf(k, "a key is %s: keys must be strings", nodeKind(r))
	}
	if r.ShortTag() != "!!str" {
		return "", c.errorf(k, "key %s is %s: keys must be strings, so quote it", r.Value, nodeKind(r))
	}
	return r.Value, nil
}

func (c *converter) scalar(n *yaml.Node) (any, error) {
	switch n.ShortTag() {
	case "!!str", "!!timestamp": // timestamps stay text, as in JSON
		return n.Value, nil
	case "!!null":
		return nil, nil
	case "!!bool", "!!int", "!!float":
	default:
		return nil, c.errorf(n, "values tagged %s are not supported: write a string, number, boolean or null", n.ShortTag())
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, c.errorf(n, "%s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	var f float64
	switch v := v.(type) {
	case bool:
		return v, nil
	case int:
		f = float64(v)
	case int64:
		f = float64(v)
	case uint64:
		f = float64(v)
	case float64:
		f = v
	default:
		return nil, c.errorf(n, "%q is not a number JSON can hold", n.Value)
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, c.errorf(n, "%s is not a number JSON can hold", n.Value)
	}
	return f, nil
}

func (c *converter) errorf(n *yaml.Node, format string, args ...any) error {
	return invalidAt(c.path, n.Line, format, args...)
}

// resolve follows n if it is an alias. Aliases point at anchored nodes, never at aliases.
func resolve(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}
	return n
}

// nodeKind names what n holds for a message.
func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "null"
		case "!!bool":
			return "a boolean"
		case "!!int", "!!float":
			return "a number"
		case "!!str":
			return "a string"
		}
		return "a " + n.ShortTag() + " value"
	}
	return "empty"
}

// describe names the JSON type of v, as encoding/json decodes it, for a message.
func describe(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case float64:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	}
	return "an object"
}

func invalidAt(path string, line int, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if line > 0 {
		return ferry.Errorf(ferry.EINVALID, "%s: line %d: %s.", path, line, msg)
	}
	return ferry.Errorf(ferry.EINVALID, "%s: %s.", path, msg)
}

// lineAt returns the line, from 1, of byte offset off in data.
func lineAt(data []byte, off int64) int {
	off = min(max(off, 0), int64(len(data)))
	return bytes.Count(data[:off], []byte{'\n'}) + 1
}
