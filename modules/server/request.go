package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/betterstack/betterstack/modules/access"
	"github.com/betterstack/betterstack/modules/apperr"
)

// DecodeJSON reads the request body into dst strictly: malformed JSON is a
// 400, unknown fields and wrong types are a 422 naming the field, a body over
// MaxBodyBytes is a 413.
func DecodeJSON(c echo.Context, dst any) error {
	body := c.Request().Body
	if body == nil {
		return apperr.New(apperr.BadRequest, "request body is empty; expected a JSON object")
	}
	raw, err := io.ReadAll(body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errTooLarge
		}
		return apperr.New(apperr.BadRequest, "could not read the request body: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var pe *time.ParseError
		if errors.As(err, &pe) {
			// encoding/json does not say which field a time came from:
			// the body does, as the field holding that text.
			var x any
			field := "body"
			if json.Unmarshal(raw, &x) == nil {
				if p := findStringJSON(x, "", pe.Value); p != "" {
					field = p
				}
			}
			return apperr.Field(field, "must be an RFC 3339 time like 2026-01-02T15:04:05Z, not "+strconv.Quote(pe.Value))
		}
		return jsonError(err)
	}
	if err := dec.Decode(&struct{}{}); err != io.EOF {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errTooLarge
		}
		return apperr.New(apperr.BadRequest, "malformed JSON: unexpected data after the object")
	}
	// encoding/json turns invalid UTF-8 and lone surrogates into U+FFFD
	// without a word; the forms refuse them, so the API does too.
	if field := findBadText(raw); field != "" {
		return apperr.Field(field, "must be valid UTF-8 text: no invalid bytes and no unpaired \\uD800-\\uDFFF escapes")
	}
	// PostgreSQL text cannot hold NUL and no field needs it: refuse it here,
	// for every body, rather than fail in the database.
	if field := findNUL(reflect.ValueOf(dst), ""); field != "" {
		return apperr.Field(field, "must not contain NUL characters")
	}
	return nil
}

// findNUL returns the JSON path of the first string under v that holds a
// NUL character, or "".
func findNUL(v reflect.Value, path string) string {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return ""
		}
		return findNUL(v.Elem(), path)
	case reflect.String:
		if strings.IndexByte(v.String(), 0) >= 0 {
			return orSelf(path)
		}
	case reflect.Struct:
		p := findNULFields(v, path)
		if p != "" && v.CanInterface() {
			// A type with its own JSON form (a check's Spec: its Go fields
			// are not its JSON fields) names the field in that form, as
			// the client sent it: check.url, not check.Config. Its Go
			// fields still decide, as a form may leave some out.
			if m, ok := v.Interface().(json.Marshaler); ok {
				raw, err := m.MarshalJSON()
				var x any
				if err == nil && json.Unmarshal(raw, &x) == nil {
					if q := findNULJSON(x, path); q != "" {
						return q
					}
				}
			}
		}
		return p
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			if k := iter.Key(); k.Kind() == reflect.String && strings.IndexByte(k.String(), 0) >= 0 {
				return orSelf(path)
			}
			if p := findNUL(iter.Value(), path); p != "" {
				return p
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 { // json.RawMessage
			if strings.Contains(string(v.Bytes()), `\u0000`) {
				return orSelf(path)
			}
			return ""
		}
		for i := 0; i < v.Len(); i++ {
			if p := findNUL(v.Index(i), path); p != "" {
				return p
			}
		}
	}
	return ""
}

// findNULFields is findNUL over the exported fields of struct v, by their
// JSON names.
func findNULFields(v reflect.Value, path string) string {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if f.Anonymous {
			name = strings.TrimSuffix(path, ".")
		} else if path != "" {
			name = path + "." + name
		}
		if p := findNUL(v.Field(i), name); p != "" {
			return p
		}
	}
	return ""
}

// findNULJSON is findNUL for a decoded JSON value: the path of the first
// string (or key) in it holding a NUL, or "".
func findNULJSON(x any, path string) string {
	return findJSON(x, path, func(s string) bool { return strings.IndexByte(s, 0) >= 0 })
}

// findStringJSON returns the path of the first string in x equal to want,
// or "".
func findStringJSON(x any, path string, want string) string {
	return findJSON(x, path, func(s string) bool { return s == want })
}

// findJSON returns the path of the first string in decoded JSON x that
// match holds for (an object's keys in order, so the same body always
// names the same field), or of the object holding the first such key; ""
// for none.
func findJSON(x any, path string, match func(string) bool) string {
	switch x := x.(type) {
	case string:
		if match(x) {
			return orSelf(path)
		}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if match(k) {
				return orSelf(path)
			}
			name := k
			if path != "" {
				name = path + "." + k
			}
			if p := findJSON(x[k], name, match); p != "" {
				return p
			}
		}
	case []any:
		for _, e := range x {
			if p := findJSON(e, path, match); p != "" {
				return p
			}
		}
	}
	return ""
}

func orSelf(path string) string {
	if path == "" {
		return "body"
	}
	return path
}

func jsonError(err error) error {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
		mbe *http.MaxBytesError
	)
	switch {
	case errors.As(err, &mbe):
		return errTooLarge
	case errors.Is(err, io.EOF):
		return apperr.New(apperr.BadRequest, "request body is empty; expected a JSON object")
	case errors.As(err, &syn), errors.Is(err, io.ErrUnexpectedEOF):
		return apperr.New(apperr.BadRequest, "malformed JSON: %v", err)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return apperr.New(apperr.BadRequest, "malformed JSON: expected an object, got %s", typ.Value)
		}
		if typ.Value == "number" || strings.HasPrefix(typ.Value, "number ") {
			return apperr.Field(field, "is out of range")
		}
		return apperr.Field(field, fmt.Sprintf("must be %s, not %s", jsonType(typ.Type.Kind().String()), typ.Value))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return apperr.Field(name, "unknown field")
	}
	return apperr.New(apperr.BadRequest, "malformed JSON: %v", err)
}

func jsonType(kind string) string {
	switch kind {
	case "int", "int64", "int32", "uint", "uint64", "float64":
		return "a number"
	case "bool":
		return "true or false"
	case "slice":
		return "a list"
	case "map", "struct":
		return "an object"
	case "ptr":
		return "a value of the right type"
	}
	return "a " + kind
}

// PathID reads the :id path parameter. A malformed or non-positive id is
// notFound: to the client it names nothing, like an id that does not exist.
func PathID(c echo.Context, notFound error) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, notFound
	}
	return id, nil
}

// SetAccess records who is asking (the auth middleware's job), on the
// request's context so services can name the actor (access.From).
func SetAccess(c echo.Context, a access.Access) {
	c.SetRequest(c.Request().WithContext(access.With(c.Request().Context(), a)))
}

// Access returns who is asking; handlers behind the auth middleware can
// rely on it being set.
func Access(c echo.Context) access.Access { return access.From(c.Request().Context()) }

// WorkspaceID returns the workspace the request works on: every owned
// record is looked up in it.
func WorkspaceID(c echo.Context) int64 { return Access(c).WorkspaceID }

// UserID returns the signed-in person's user id (their own account, never
// ownership of records).
func UserID(c echo.Context) int64 { return Access(c).UserID }
