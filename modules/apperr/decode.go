package apperr

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
)

// DecodeStrict decodes the JSON object raw into the struct dst points to.
// Unlike plain encoding/json it matches field names exactly (no case
// folding), and it reports unknown fields and type mismatches as validation
// errors naming "<prefix>.<field>". An empty or null object decodes as {} so
// that a Validate can name the missing fields. Channel configurations
// (prefix "config") and check specs (prefix "check") are read with it.
func DecodeStrict(raw json.RawMessage, dst any, prefix string) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		raw = []byte("{}")
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return Field(prefix, "must be a JSON object")
	}
	known := jsonNames(dst)
	bad := Fields{}
	for name := range fields {
		if !known[name] {
			bad.Add(prefix+"."+name, "unknown field")
		}
	}
	if err := bad.Err(); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return Field(prefix+"."+te.Field, "must be "+jsonKind(te.Type))
		}
		return Field(prefix, "must be a JSON object")
	}
	return nil
}

// jsonNames returns the JSON field names of the struct v points to.
func jsonNames(v any) map[string]bool {
	t := reflect.TypeOf(v).Elem()
	names := make(map[string]bool, t.NumField())
	for i := range t.NumField() {
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
		names[name] = true
	}
	return names
}

// jsonKind names t the way a JSON user thinks of it, with an article.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list"
	default:
		return "an object"
	}
}
