package notify

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/betterstack/betterstack/modules/apperr"
)

// Masked replaces a secret value in configuration shown to users.
const Masked = "********"

// maskedJSON is Masked as a JSON value.
var maskedJSON = json.RawMessage(`"` + Masked + `"`)

// Mask returns config with the value of every secret field of type typ
// replaced by Masked. Other fields are kept as they are; an empty or absent
// secret stays empty or absent, so a form can tell "set" from "not set".
func Mask(typ string, config json.RawMessage) (json.RawMessage, error) {
	info, err := lookup(typ)
	if err != nil {
		return nil, err
	}
	fields, err := objectOf(config)
	if err != nil {
		return nil, err
	}
	for _, name := range info.secrets {
		if v, ok := fields[name]; ok && !isEmptyJSON(v) {
			fields[name] = maskedJSON
		}
	}
	return marshalObject(fields)
}

// MergeSecrets returns updated with every secret field that is absent or
// Masked taken from old, so a form that shows masked configuration can be
// saved without retyping the secrets. A secret explicitly set to another
// value (including "") replaces the old one. A secret is kept only while
// the fields saying where it is sent (the type's sentTo: an API URL, an
// SMTP host) are unchanged; otherwise keeping it is a validation error
// naming it, and it must be entered again.
func MergeSecrets(typ string, old, updated json.RawMessage) (json.RawMessage, error) {
	info, err := lookup(typ)
	if err != nil {
		return nil, err
	}
	prev, err := objectOf(old)
	if err != nil {
		return nil, fmt.Errorf("notify: stored config: %w", err)
	}
	next, err := objectOf(updated)
	if err != nil {
		return nil, err
	}
	moved := ""
	for _, f := range info.sentTo {
		if !sameValue(prev[f], next[f]) {
			moved = f
			break
		}
	}
	for _, name := range info.secrets {
		v, ok := next[name]
		if ok && !bytes.Equal(bytes.TrimSpace(v), maskedJSON) {
			continue
		}
		pv, had := prev[name]
		if !had || isEmptyJSON(pv) {
			delete(next, name) // Masked with nothing to keep: treat as unset
			continue
		}
		if moved != "" {
			return nil, apperr.Field("config."+name, "enter it again: "+moved+" changed, and a kept secret is only sent where it was sent before")
		}
		next[name] = pv
	}
	return marshalObject(next)
}

// sameValue reports whether two JSON values of a field are the same, an
// absent field, null and "" all being none.
func sameValue(a, b json.RawMessage) bool {
	norm := func(v json.RawMessage) string {
		if isEmptyJSON(v) {
			return ""
		}
		var x any
		if err := json.Unmarshal(v, &x); err != nil {
			return string(bytes.TrimSpace(v))
		}
		out, _ := json.Marshal(x)
		return string(out)
	}
	return norm(a) == norm(b)
}

// objectOf decodes raw as a JSON object; empty or null is an empty object.
func objectOf(raw json.RawMessage) (map[string]json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return map[string]json.RawMessage{}, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, apperr.Field("config", "must be a JSON object")
	}
	return m, nil
}

// marshalObject encodes m with sorted keys.
func marshalObject(m map[string]json.RawMessage) (json.RawMessage, error) {
	b, err := json.Marshal(m) // maps encode with sorted keys
	if err != nil {
		return nil, fmt.Errorf("notify: encode config: %w", err)
	}
	return b, nil
}

// isEmptyJSON reports whether v is null or "".
func isEmptyJSON(v json.RawMessage) bool {
	v = bytes.TrimSpace(v)
	return len(v) == 0 || string(v) == "null" || string(v) == `""`
}
