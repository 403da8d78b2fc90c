// Package apperr gives errors a kind, so one place (the HTTP error handler)
// can turn any error into the right status and the one error shape the API
// promises:
//
//	{"error":{"code":"validation","message":"...","fields":{"url":"..."}}}
//
// Modules declare sentinel errors of these kinds and wrap them with %w; gorm,
// Redis and other internal errors have no kind and are answered 500 with a
// generic message after being logged once.
package apperr

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Kind classifies an error for callers. Its value is the API's error code.
type Kind string

// Error kinds.
const (
	Internal     Kind = "internal"
	BadRequest   Kind = "bad_request"
	Invalid      Kind = "validation"
	NotFound     Kind = "not_found"
	Conflict     Kind = "conflict"
	Unauthorized Kind = "unauthorized"
	Forbidden    Kind = "forbidden"
	RateLimited  Kind = "rate_limited"
	TooLarge     Kind = "too_large"
	Unavailable  Kind = "unavailable"
)

// Error is an error with a kind, a message safe to show users, and for
// validation errors the offending fields.
type Error struct {
	Kind       Kind
	Message    string
	Fields     map[string]string
	RetryAfter time.Duration // for RateLimited
}

// Error implements error.
func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return e.Message
	}
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+": "+e.Fields[k])
	}
	return e.Message + " (" + strings.Join(parts, "; ") + ")"
}

// New returns an error of the given kind.
func New(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// Fields collects per-field validation messages; its Err is nil when empty.
type Fields map[string]string

// Add records msg for field unless the field already has a message.
func (f Fields) Add(field, msg string) {
	if _, ok := f[field]; !ok {
		f[field] = msg
	}
}

// Err returns a validation error naming every field, or nil.
func (f Fields) Err() error {
	if len(f) == 0 {
		return nil
	}
	return &Error{Kind: Invalid, Message: "invalid input", Fields: f}
}

// Field is a validation error for one field.
func Field(field, msg string) error {
	return &Error{Kind: Invalid, Message: "invalid input", Fields: map[string]string{field: msg}}
}

// As returns the *Error in err's chain, or nil.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// KindOf returns the kind of err, Internal when it has none.
func KindOf(err error) Kind {
	if e := As(err); e != nil {
		return e.Kind
	}
	return Internal
}
