package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

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
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if err := dec.Decode(&struct{}{}); err != io.EOF {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errTooLarge
		}
		return apperr.New(apperr.BadRequest, "malformed JSON: unexpected data after the object")
	}
	return nil
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

// userKey is where the auth middleware leaves the signed-in user's id.
const userKey = "betterstack.user_id"

// SetUserID records the authenticated user on the request.
func SetUserID(c echo.Context, id int64) { c.Set(userKey, id) }

// UserID returns the authenticated user's id; handlers behind the auth
// middleware can rely on it being set.
func UserID(c echo.Context) int64 {
	id, _ := c.Get(userKey).(int64)
	return id
}
