package probe

import (
	"encoding/json"
	"fmt"

	"github.com/betterstack/betterstack/modules/apperr"
)

// Masked stands in for a secret setting's value wherever a check is shown
// (the API's monitors, and so an export), as channels' secrets do: a
// header's value often is a credential of the service checked (an
// Authorization or X-Api-Key header), and every viewer of a workspace and
// every read token may read its monitors. Sending Masked back in an update
// keeps the stored value.
const Masked = "********"

// MaskSecrets returns s with the value of each of its kind's Secret fields
// replaced by Masked: every value of a map (its names stay), a non-empty
// string. A spec it cannot read comes back with its settings empty rather
// than shown.
func MaskSecrets(s Spec) Spec {
	k, ok := kinds[s.Kind]
	if !ok {
		return s
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(s.Config, &fields); err != nil {
		return Spec{Kind: s.Kind, Config: json.RawMessage(`{}`)}
	}
	changed := false
	for _, f := range k.Fields {
		raw, ok := fields[f.Name]
		if !f.Secret || !ok {
			continue
		}
		switch f.Type {
		case FieldMap:
			var m map[string]string
			if json.Unmarshal(raw, &m) != nil {
				delete(fields, f.Name)
				changed = true
				continue
			}
			for name, v := range m {
				if v != "" {
					m[name] = Masked
				}
			}
			fields[f.Name], _ = json.Marshal(m)
		default:
			var v string
			if json.Unmarshal(raw, &v) == nil && v == "" {
				continue
			}
			fields[f.Name], _ = json.Marshal(Masked)
		}
		changed = true
	}
	if !changed {
		return s
	}
	cfg, err := json.Marshal(fields)
	if err != nil {
		return Spec{Kind: s.Kind, Config: json.RawMessage(`{}`)}
	}
	return Spec{Kind: s.Kind, Config: cfg}
}

// KeepSecrets returns given (an update's settings of kind) with every
// Masked value of a Secret field replaced by the stored one (stored is the
// settings as they are): a map's value by the stored value of the same
// name, a string by the stored string. Masked where nothing is stored is
// an error naming the field.
func KeepSecrets(kind string, stored, given json.RawMessage) (json.RawMessage, error) {
	k, ok := kinds[kind]
	if !ok || len(given) == 0 {
		return given, nil
	}
	var in map[string]json.RawMessage
	if err := json.Unmarshal(given, &in); err != nil || in == nil {
		return given, nil // the decoder names what is wrong with it
	}
	var old map[string]json.RawMessage
	_ = json.Unmarshal(stored, &old)
	changed := false
	for _, f := range k.Fields {
		raw, ok := in[f.Name]
		if !f.Secret || !ok {
			continue
		}
		switch f.Type {
		case FieldMap:
			var m map[string]*string
			if json.Unmarshal(raw, &m) != nil {
				continue
			}
			var was map[string]string
			_ = json.Unmarshal(old[f.Name], &was)
			for name, v := range m {
				if v == nil || *v != Masked {
					continue
				}
				prev, had := was[name]
				if !had || prev == "" {
					return nil, apperr.Field(fmt.Sprintf("check.%s.%s", f.Name, name), "is "+Masked+" but has no stored value to keep: give the value")
				}
				m[name] = &prev
				changed = true
			}
			in[f.Name], _ = json.Marshal(m)
		default:
			var v string
			if json.Unmarshal(raw, &v) != nil || v != Masked {
				continue
			}
			var prev string
			if json.Unmarshal(old[f.Name], &prev) != nil || prev == "" {
				return nil, apperr.Field("check."+f.Name, "is "+Masked+" but has no stored value to keep: give the value")
			}
			in[f.Name] = old[f.Name]
			changed = true
		}
	}
	if !changed {
		return given, nil
	}
	return json.Marshal(in)
}
