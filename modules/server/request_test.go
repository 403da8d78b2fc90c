package server

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/betterstack/betterstack/modules/apperr"
)

// ownForm is a type whose JSON form is not its Go fields, as a check's
// probe.Spec: a kind and the raw settings beside it; its secret is left
// out of its form.
type ownForm struct {
	Kind   string
	Config json.RawMessage
	Secret string
}

func (f *ownForm) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	_ = json.Unmarshal(m["kind"], &f.Kind)
	_ = json.Unmarshal(m["secret"], &f.Secret)
	delete(m, "kind")
	delete(m, "secret")
	f.Config, _ = json.Marshal(m)
	return nil
}

func (f ownForm) MarshalJSON() ([]byte, error) {
	var m map[string]any
	_ = json.Unmarshal(f.Config, &m)
	if m == nil {
		m = map[string]any{}
	}
	m["kind"] = f.Kind
	return json.Marshal(m)
}

func TestDecodeJSON(t *testing.T) {
	type inner struct {
		Name string `json:"name"`
	}
	type body struct {
		Name    *string           `json:"name"`
		Headers map[string]string `json:"headers"`
		Tags    []string          `json:"tags"`
		Config  *json.RawMessage  `json:"config"`
		Inner   inner             `json:"inner"`
		Count   int               `json:"count"`
		Spec    *ownForm          `json:"check"`
		Expires *time.Time        `json:"expires_at"`
	}
	for _, tc := range []struct {
		name   string
		body   string
		kind   apperr.Kind
		field  string
		detail string
	}{
		{"ok", `{"name":"a","headers":{"X":"y"},"tags":["t"],"config":{"k":1},"inner":{"name":"b"},"count":3}`, "", "", ""},
		{"nul in a string", `{"name":"a\u0000b"}`, apperr.Invalid, "name", "NUL"},
		{"nul in a map value", `{"headers":{"X":"\u0000"}}`, apperr.Invalid, "headers", "NUL"},
		{"nul in a map key", `{"headers":{"X\u0000":"y"}}`, apperr.Invalid, "headers", "NUL"},
		{"nul in a list", `{"tags":["ok","\u0000"]}`, apperr.Invalid, "tags", "NUL"},
		{"nul in raw config", `{"config":{"url":"\u0000"}}`, apperr.Invalid, "config", "NUL"},
		{"nul in a nested object", `{"inner":{"name":"\u0000"}}`, apperr.Invalid, "inner.name", "NUL"},
		{"invalid utf-8 in a string", "{\"name\":\"a\xffb\"}", apperr.Invalid, "name", "UTF-8"},
		{"lone high surrogate", `{"name":"\ud800"}`, apperr.Invalid, "name", "UTF-8"},
		{"lone low surrogate", `{"name":"x\uDC00"}`, apperr.Invalid, "name", "UTF-8"},
		{"high surrogate then a letter", `{"name":"\ud83dx"}`, apperr.Invalid, "name", "UTF-8"},
		{"surrogate in a nested object", `{"inner":{"name":"\ud800"}}`, apperr.Invalid, "inner.name", "UTF-8"},
		{"surrogate in raw config", `{"name":"a","config":{"url":"\udfff"}}`, apperr.Invalid, "config.url", "UTF-8"},
		{"surrogate in a list", `{"tags":["ok","\ud800"],"count":1}`, apperr.Invalid, "tags", "UTF-8"},
		{"surrogate in a map key", `{"headers":{"\ud800":"y"}}`, apperr.Invalid, "headers", "UTF-8"},
		{"paired surrogates and escaped backslash-u are text", `{"name":"\ud83d\ude00 \\ud800 \u00e9 é"}`, "", "", ""},
		{"number too big", `{"count":99999999999999999999}`, apperr.Invalid, "count", "out of range"},
		{"wrong type", `{"count":"3"}`, apperr.Invalid, "count", "must be a number"},
		{"unknown field", `{"nmae":"a"}`, apperr.Invalid, "nmae", "unknown field"},
		{"malformed", `{"name":`, apperr.BadRequest, "", "malformed JSON"},
		{"trailing data", `{} {}`, apperr.BadRequest, "", "unexpected data"},
		{"empty", ``, apperr.BadRequest, "", "empty"},
		{"nul in a type with its own JSON form names its JSON field", `{"check":{"kind":"http","url":"http://x/\u0000"}}`, apperr.Invalid, "check.url", "NUL"},
		{"nul in its JSON form's nested field", `{"check":{"kind":"http","headers":{"A":"\u0000"}}}`, apperr.Invalid, "check.headers.A", "NUL"},
		{"nul its JSON form leaves out is still found", `{"check":{"kind":"http","secret":"\u0000"}}`, apperr.Invalid, "check.Secret", "NUL"},
		{"time not RFC 3339", `{"name":"2030-01-01","expires_at":"2030-01-01"}`, apperr.Invalid, "expires_at", "RFC 3339"},
		{"time not RFC 3339 named in the message", `{"expires_at":"tomorrow"}`, apperr.Invalid, "expires_at", `not "tomorrow"`},
		{"time RFC 3339", `{"expires_at":"2030-01-01T00:00:00Z"}`, "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/", strings.NewReader(tc.body))
			c := echo.New().NewContext(req, httptest.NewRecorder())
			var dst body
			err := DecodeJSON(c, &dst)
			if tc.kind == "" {
				if err != nil {
					t.Fatalf("DecodeJSON: %v", err)
				}
				return
			}
			ae := apperr.As(err)
			if ae == nil || ae.Kind != tc.kind {
				t.Fatalf("err = %v, want kind %s", err, tc.kind)
			}
			msg := ae.Message
			if tc.field != "" {
				msg = ae.Fields[tc.field]
			}
			if !strings.Contains(msg, tc.detail) {
				t.Fatalf("err = %v (fields %v), want %q about %q", err, ae.Fields, tc.detail, tc.field)
			}
		})
	}
}
