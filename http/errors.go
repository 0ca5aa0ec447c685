package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/ferrygit/ferry"
)

// statuses maps each error code to its HTTP status; any other code is a 500.
var statuses = map[string]int{
	ferry.EINVALID:      http.StatusBadRequest,
	ferry.EUNAUTHORIZED: http.StatusUnauthorized,
	ferry.EFORBIDDEN:    http.StatusForbidden,
	ferry.ENOTFOUND:     http.StatusNotFound,
	ferry.ECONFLICT:     http.StatusConflict,
	ferry.EUNAVAILABLE:  http.StatusServiceUnavailable,
	ferry.ERATELIMITED:  http.StatusTooManyRequests,
	ferry.EINTERNAL:     http.StatusInternalServerError,
}

// statusOf returns the HTTP status for an error code.
func statusOf(code string) int {
	if status, ok := statuses[code]; ok {
		return status
	}
	return http.StatusInternalServerError
}

// codeOf returns the error code for an HTTP status, the inverse of statusOf.
func codeOf(status int) string {
	for code, s := range statuses {
		if s == status {
			return code
		}
	}
	if status >= 400 && status < 500 {
		return ferry.EINVALID
	}
	return ferry.EINTERNAL
}

// errorResponse is the body of every error answer.
type errorResponse struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code       string            `json:"code"`
	Message    string            `json:"message"`
	Violations []ferry.Violation `json:"violations,omitempty"` // every schema violation of an entity write
}

func errorBody(code, message string) errorResponse {
	return errorResponse{Error: errorDetail{Code: code, Message: message}}
}

// writeError answers with err's code and message. An internal error is logged with its detail
// and the user sees only a generic message.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := ferry.ErrorCode(err)
	if code == ferry.EINTERNAL {
		s.logger().Error("internal error", "method", r.Method, "route", r.Pattern, "path", r.URL.Path, "err", err)
	}
	body := errorBody(code, ferry.ErrorMessage(err))
	var ee *ferry.EntityError
	if errors.As(err, &ee) {
		body.Error.Violations = ee.Violations
	}
	writeJSON(w, statusOf(code), body)
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// listResponse is one page of a list. Items is never null.
type listResponse[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next"`
}

func writeList[T any](w http.ResponseWriter, items []T, next string) {
	if items == nil {
		items = []T{}
	}
	writeJSON(w, http.StatusOK, listResponse[T]{Items: items, Next: next})
}

// writeRevision answers 201 with a revision that was just made, or 200 with the head when
// nothing changed.
func writeRevision(w http.ResponseWriter, rev *ferry.Revision, created bool) {
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, rev)
}

// readBody reads r's body, up to limit bytes. Returns EINVALID naming the limit when the
// body is larger.
func readBody(w http.ResponseWriter, r *http.Request, limit int64, what string) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, tooLarge(what, limit)
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, tooLarge(what, limit)
	case err != nil:
		return nil, ferry.Errorf(ferry.EINVALID, "Could not read the request body: the upload was interrupted.")
	}
	return b, nil
}

func tooLarge(what string, limit int64) error {
	return ferry.Errorf(ferry.EINVALID, "The %s is larger than the limit of %s (%d bytes).", what, ferry.HumanBytes(limit), limit)
}

// decodeJSON reads a JSON object from r's body into v strictly: no unknown fields, no
// trailing data, at most limit bytes. An empty body is an error unless optional is set.
func decodeJSON(w http.ResponseWriter, r *http.Request, limit int64, v any, optional bool) error {
	body, err := readBody(w, r, limit, "request body")
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if optional {
			return nil
		}
		return ferry.Errorf(ferry.EINVALID, "The request body is empty; send a JSON object.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(body, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return ferry.Errorf(ferry.EINVALID, "The request body has data after its JSON object at %s; send exactly one object.", position(body, dec.InputOffset()))
	}
	return nil
}

// jsonError turns a decoding error into an EINVALID message that says what and where.
func jsonError(body []byte, err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return ferry.Errorf(ferry.EINVALID, "The request body is not valid JSON at %s: %s.", position(body, syntax.Offset), syntax.Error())
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return ferry.Errorf(ferry.EINVALID, "The request body must be a JSON object (got %s).", typ.Value)
		}
		return ferry.Errorf(ferry.EINVALID, "Field %q must be a %s (got %s, at %s).", field, jsonType(typ.Type.Kind().String()), typ.Value, position(body, typ.Offset))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return ferry.Errorf(ferry.EINVALID, "The request body ends in the middle of its JSON.")
	}
	// The remaining errors, such as `json: unknown field "x"`, say what is wrong themselves.
	return ferry.Errorf(ferry.EINVALID, "The request body is not what this route expects: %s.", trimJSONPrefix(err.Error()))
}

// position renders a byte offset of body as "line L, column C".
func position(body []byte, offset int64) string {
	if offset > int64(len(body)) {
		offset = int64(len(body))
	}
	before := body[:offset]
	line := bytes.Count(before, []byte("\n")) + 1
	col := len(before) - bytes.LastIndexByte(before, '\n')
	return fmt.Sprintf("line %d, column %d", line, col)
}

func jsonType(kind string) string {
	switch kind {
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "float32", "float64":
		return "number"
	case "slice", "array":
		return "list"
	case "struct", "map", "ptr":
		return "object"
	case "bool":
		return "boolean"
	}
	return kind
}

func trimJSONPrefix(s string) string {
	const prefix = "json: "
	if len(s) >= len(prefix) && s[:len(prefix)] == prefix {
		return s[len(prefix):]
	}
	return s
}
