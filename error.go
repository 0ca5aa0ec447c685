// Package ferry holds Ferry's domain: namespaces of versioned files, their revisions, the
// service interfaces the adapters implement, and the one error type every layer speaks.
package ferry

import (
	"errors"
	"fmt"
)

// Error codes. They are stable: clients match on them, the HTTP layer maps each to one status.
const (
	EINVALID      = "invalid"
	EUNAUTHORIZED = "unauthorized"
	EFORBIDDEN    = "forbidden"
	ENOTFOUND     = "not_found"
	ECONFLICT     = "conflict"
	EUNAVAILABLE  = "unavailable"
	ERATELIMITED  = "rate_limited" // too many attempts: wait before trying again
	EINTERNAL     = "internal"
)

// Error is an error a person can act on: a stable code and a message safe to show to a user.
type Error struct {
	Code    string
	Message string
}

// Error implements the error interface.
func (e *Error) Error() string {
	return fmt.Sprintf("ferry error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err's *Error, EINTERNAL for any other error and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of err's *Error, or a generic message for any other error,
// whose detail is never shown to users.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}
