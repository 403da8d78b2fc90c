package apperr

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync"
)

// DecodeStrict decodes the JSON object raw into the struct dst points to.
// Unlike plain encoding/json it matches field names exactly (no case
// folding), and it reports unknown fields and type mismatches as validation
// errors naming "<prefix>.<field>". An empty or null object decodes as {} so
// that a Validate can name the missing fields. Channel configurations
// (prefix "config") and check specs (prefix "check") are read with it.
//
// The usual case, an object whose top-level names are all known and
// written plainly, is decoded once (decodeKnown). Anything else, valid or
// not, takes the path that lists every unknown field (decodeListing); both
// give the same result, which TestDecodeStrictPathsAgree holds them to.
// Every check a worker runs is read with it, so the once matters: the
// listing path decoded each check twice, into a map and then into dst.
func DecodeStrict(raw json.RawMessage, dst any, prefix string) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		raw = []byte("{}")
	}
	if decodeKnown(raw, dst) {
		return nil
	}
	return decodeListing(raw, dst, prefix)
}

// decodeKnown decodes raw into dst and reports true when raw is one JSON
// object whose top-level names are all dst's own, written exactly and
// without escapes, and the decode succeeds. On false dst may be partly
// written: decodeListing decodes it again, and only a success keeps it.
func decodeKnown(raw []byte, dst any) bool {
	if !knownNames(raw, jsonNames(dst)) {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	// raw is trimmed: a decode that stops before its end left trailing data.
	return dec.Decode(dst) == nil && dec.InputOffset() == int64(len(raw))
}

// knownNames reports whether the top-level names of the object raw holds
// are all in names, as written (a name with an escape is in none). It does
// not validate the JSON: the decode after it does, and anything that is not
// one object fails there.
func knownNames(raw []byte, names map[string]bool) bool {
	depth, wantName := 0, false
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; c {
		case '"':
			j := i + 1
			for ; j < len(raw) && raw[j] != '"'; j++ {
				if raw[j] == '\\' {
					j++
				}
			}
			if j >= len(raw) {
				return false
			}
			// Compared as written: a name with an escape matches none.
			if depth == 1 && wantName {
				if !names[string(raw[i+1:j])] {
					return false
				}
				wantName = false
			}
			i = j
		case '{':
			depth++
			wantName = true
		case '[':
			depth++
		case '}', ']':
			depth--
		case ',':
			wantName = true
		}
	}
	return true
}

// decodeListing is DecodeStrict's general path: it names every unknown
// field at once, and the first type mismatch.
func decodeListing(raw []byte, dst any, prefix string) error {
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

// names caches jsonNames by type; the maps are never written once stored.
var names sync.Map // reflect.Type -> map[string]bool

// jsonNames returns the JSON field names of the struct v points to.
func jsonNames(v any) map[string]bool {
	t := reflect.TypeOf(v).Elem()
	if n, ok := names.Load(t); ok {
		return n.(map[string]bool)
	}
	n := structNames(t)
	names.Store(t, n)
	return n
}

func structNames(t reflect.Type) map[string]bool {
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
