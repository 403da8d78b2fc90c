package audit

import (
	"bytes"
	"encoding/json"
	"net/url"
	"reflect"
	"strings"
)

// Masked replaces the value of a secret field.
const Masked = "••••"

// Diff compares the JSON forms of before and after (structs, maps, or
// pointers to them) and returns the fields whose value differs, keyed by
// dotted path ("check.url"). A nil before is a creation (every field of
// after, from null), a nil after a deletion. Nested objects are flattened;
// lists are compared whole. A field that is null, absent or an empty object
// has no value, so moving between those is no change. A value that is not an
// object is compared under the key "value". Secret fields (see the package
// doc, plus the names in secret) are reported with both sides Masked.
//
// A value that cannot be encoded as JSON (NaN, a channel) is reported as a
// change of the field "*" to a note saying why, rather than lost: the entry
// still says that something changed.
func Diff(before, after any, secret ...string) map[string]Change {
	b, berr := leaves(before)
	a, aerr := leaves(after)
	if berr != nil || aerr != nil {
		err := berr
		if err == nil {
			err = aerr
		}
		return map[string]Change{"*": {To: "not recorded: " + err.Error()}}
	}
	out := map[string]Change{}
	for path, bv := range b {
		if av, ok := a[path]; !ok || !reflect.DeepEqual(bv, av) {
			out[path] = Change{From: bv, To: av}
		}
	}
	for path, av := range a {
		if _, ok := b[path]; !ok {
			out[path] = Change{To: av}
		}
	}
	for path, c := range out {
		if isSecret(path, secret) {
			out[path] = Change{From: mask(c.From), To: mask(c.To)}
			continue
		}
		out[path] = Change{From: scrub(c.From, secret), To: scrub(c.To, secret)}
	}
	return out
}

// leaves returns the flattened JSON form of v: dotted path → value, where
// values are strings, json.Numbers, bools or lists.
func leaves(v any) (map[string]any, error) {
	out := map[string]any{}
	if v == nil {
		return out, nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // 2^53+1 must not compare equal to 2^53
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return nil, err
	}
	if obj, ok := tree.(map[string]any); ok {
		flatten(obj, "", out)
	} else if tree != nil {
		out["value"] = tree
	}
	return out, nil
}

func flatten(obj map[string]any, prefix string, out map[string]any) {
	for k, v := range obj {
		path := k
		if prefix != "" {
			path = prefix + "." + k
		}
		switch v := v.(type) {
		case nil:
		case map[string]any:
			flatten(v, path, out)
		default:
			out[path] = v
		}
	}
}

// mask hides a value but keeps null visible.
func mask(v any) any {
	if v == nil {
		return nil
	}
	return Masked
}

// scrub masks what a non-secret value may still hold: secret fields of
// objects inside lists, and passwords in URLs.
func scrub(v any, secret []string) any {
	switch v := v.(type) {
	case string:
		return maskURLPassword(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = scrub(e, secret)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			if isSecret(k, secret) {
				out[k] = mask(e)
				continue
			}
			out[k] = scrub(e, secret)
		}
		return out
	}
	return v
}

// maskURLPassword replaces the password of a URL with userinfo, and the
// values of its query parameters whose names say they are secret
// (?token=, ?api_key=, ?password=, ?sig=: isSecret's rule, plus
// queryNames).
func maskURLPassword(s string) string {
	if !strings.Contains(s, "://") {
		return s
	}
	u, err := url.Parse(s)
	if err != nil {
		return s
	}
	out := s
	if u.RawQuery != "" {
		parts := strings.Split(u.RawQuery, "&")
		masked := false
		for i, p := range parts {
			name, _, hasValue := strings.Cut(p, "=")
			n, err := url.QueryUnescape(name)
			if err != nil {
				n = name
			}
			if hasValue && (isSecret(n, nil) || queryNames[normalise(strings.ToLower(n))]) {
				parts[i] = name + "=" + Masked
				masked = true
			}
		}
		if masked {
			u.RawQuery = strings.Join(parts, "&")
			out = u.String()
		}
	}
	if u.User == nil {
		return out
	}
	if _, ok := u.User.Password(); !ok {
		return out
	}
	u.User = url.UserPassword(u.User.Username(), "xxxx")
	// url.URL escapes a non-ASCII password; put the mask in afterwards.
	return strings.Replace(u.String(), ":xxxx@", ":"+Masked+"@", 1)
}

// queryNames: a query parameter with one of these names is secret too
// (as a field name "key" is a record's key, not a secret).
var queryNames = map[string]bool{"key": true, "sig": true, "signature": true, "pwd": true, "pass": true, "code": true}

// secretParts: a path segment containing one of these is secret.
var secretParts = []string{
	"password", "passwd", "passphrase", "secret", "token", "apikey", "privatekey", "accesskey",
	"signingkey", "routingkey", "authorization", "cookie", "credential", "recoverycode", "sessionid",
}

// secretNames: a path segment equal to one of these is secret (too short
// to match inside other words: "footprint" holds "otp").
var secretNames = map[string]bool{"auth": true, "dsn": true, "otp": true, "totp": true}

// isSecret reports whether the field at path holds a secret: by the
// package's naming rule, or by the caller's names (whole path, path prefix
// or one segment, case-insensitive).
func isSecret(path string, extra []string) bool {
	lower := strings.ToLower(path)
	segs := strings.Split(lower, ".")
	for _, s := range extra {
		s = strings.ToLower(s)
		if lower == s || strings.HasPrefix(lower, s+".") {
			return true
		}
		for _, seg := range segs {
			if seg == s {
				return true
			}
		}
	}
	for _, seg := range segs {
		n := normalise(seg)
		if secretNames[n] {
			return true
		}
		for _, p := range secretParts {
			if strings.Contains(n, p) {
				return true
			}
		}
	}
	return false
}

// normalise keeps only letters and digits, so "X-Api-Key", "api_key" and
// "apiKey" all read "apikey".
func normalise(seg string) string {
	var b strings.Builder
	for _, r := range seg {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}
