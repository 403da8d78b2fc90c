package notify_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/betterstack/betterstack/modules/apperr"
	"github.com/betterstack/betterstack/modules/notify"
)

// validConfigs returns a valid config of every type, with every secret set,
// whose HTTP destination is base (a receiver's URL).
func validConfigs(base string) map[string]map[string]any {
	return map[string]map[string]any{
		"webhook":   {"url": base + "/hook", "secret": "0123456789abcdef-webhook"},
		"slack":     {"url": base + "/services/T000/B000/slacksecretpath"},
		"discord":   {"url": base + "/api/webhooks/1/discordsecretpath"},
		"telegram":  {"bot_token": telegramToken, "chat_id": "-100123456", "api_url": base},
		"teams":     {"url": base + "/workflows/teamssecretpath?sig=abc"},
		"email":     {"host": "127.0.0.1", "port": 2525, "username": "mailer", "password": "smtp-password-1", "from": "BetterStack <alerts@example.com>", "to": []string{"ops@example.com"}, "tls": "starttls"},
		"pagerduty": {"routing_key": "R0123456789abcdef0123456789abcde", "api_url": base + "/v2/enqueue"},
		"opsgenie":  {"api_key": "5ae1c5b0-1111-2222-3333-opsgeniekey1", "api_url": base},
		"ntfy":      {"url": base + "/alerts", "token": "tk_ntfysecrettoken123", "priority": 4},
	}
}

// secretsOf lists the secret fields of each type, as the package documents.
var secretsOf = map[string][]string{
	"webhook": {"secret"}, "slack": {"url"}, "discord": {"url"}, "telegram": {"bot_token"},
	"teams": {"url"}, "email": {"password"}, "pagerduty": {"routing_key"}, "opsgenie": {"api_key"}, "ntfy": {"token"},
}

func TestTypes(t *testing.T) {
	want := []string{"discord", "email", "ntfy", "opsgenie", "pagerduty", "slack", "teams", "telegram", "webhook"}
	if got := notify.Types(); !slices.Equal(got, want) {
		t.Fatalf("Types() = %v, want %v", got, want)
	}
	for typ, cfg := range validConfigs("https://hooks.example.com") {
		t.Run(typ, func(t *testing.T) {
			MustParse(t, typ, cfg)
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name   string
		typ    string
		config string
		field  string
	}{
		{"unknown type", "sms", `{}`, "type"},
		{"not an object", "slack", `["https://x"]`, "config"},
		{"invalid JSON", "slack", `{"url":`, "config"},
		{"unknown field", "webhook", `{"url":"https://x.example","secret":"0123456789abcdef","extra":1}`, "config.extra"},
		{"field names are case-sensitive", "slack", `{"URL":"https://x.example"}`, "config.URL"},
		{"wrong JSON type", "email", `{"host":"smtp.example.com","port":"25","from":"a@example.com","to":["b@example.com"]}`, "config.port"},
		{"wrong JSON type in list", "email", `{"host":"smtp.example.com","from":"a@example.com","to":"b@example.com"}`, "config.to"},
		{"empty config names the required field", "slack", ``, "config.url"},

		{"webhook: missing url", "webhook", `{"secret":"0123456789abcdef"}`, "config.url"},
		{"webhook: bad url scheme", "webhook", `{"url":"ftp://x.example/","secret":"0123456789abcdef"}`, "config.url"},
		{"webhook: url with credentials", "webhook", `{"url":"https://u:p@x.example/","secret":"0123456789abcdef"}`, "config.url"},
		{"webhook: missing secret", "webhook", `{"url":"https://x.example/"}`, "config.secret"},
		{"webhook: short secret", "webhook", `{"url":"https://x.example/","secret":"short"}`, "config.secret"},
		{"slack: missing url", "slack", `{}`, "config.url"},
		{"slack: javascript url", "slack", `{"url":"javascript:alert(1)"}`, "config.url"},
		{"slack: relative url", "slack", `{"url":"/services/x"}`, "config.url"},
		{"discord: bad url", "discord", `{"url":"discord.com/api/webhooks/1/x"}`, "config.url"},
		{"teams: missing url", "teams", `{"url":""}`, "config.url"},
		{"telegram: missing token", "telegram", `{"chat_id":"1"}`, "config.bot_token"},
		{"telegram: malformed token", "telegram", `{"bot_token":"nocolon","chat_id":"1"}`, "config.bot_token"},
		{"telegram: missing chat", "telegram", `{"bot_token":"` + telegramToken + `"}`, "config.chat_id"},
		{"telegram: bad chat", "telegram", `{"bot_token":"` + telegramToken + `","chat_id":"my chat"}`, "config.chat_id"},
		{"telegram: bad api url", "telegram", `{"bot_token":"` + telegramToken + `","chat_id":"1","api_url":"file:///etc"}`, "config.api_url"},
		{"email: missing host", "email", `{"from":"a@example.com","to":["b@example.com"]}`, "config.host"},
		{"email: bad host", "email", `{"host":"smtp example.com","from":"a@example.com","to":["b@example.com"]}`, "config.host"},
		{"email: bad port", "email", `{"host":"smtp.example.com","port":70000,"from":"a@example.com","to":["b@example.com"]}`, "config.port"},
		{"email: negative port", "email", `{"host":"smtp.example.com","port":-1,"from":"a@example.com","to":["b@example.com"]}`, "config.port"},
		{"email: bad from", "email", `{"host":"smtp.example.com","from":"not an address","to":["b@example.com"]}`, "config.from"},
		{"email: from with CRLF", "email", `{"host":"smtp.example.com","from":"a@example.com\r\nBcc: x@example.com","to":["b@example.com"]}`, "config.from"},
		{"email: bad to", "email", `{"host":"smtp.example.com","from":"a@example.com","to":["b@example.com","nope"]}`, "config.to"},
		{"email: no recipients", "email", `{"host":"smtp.example.com","from":"a@example.com","to":[]}`, "config.to"},
		{"email: bad tls", "email", `{"host":"smtp.example.com","tls":"ssl","from":"a@example.com","to":["b@example.com"]}`, "config.tls"},
		{"email: password in clear text", "email", `{"host":"smtp.example.com","tls":"none","username":"u","password":"p","from":"a@example.com","to":["b@example.com"]}`, "config.tls"},
		{"email: username without password", "email", `{"host":"smtp.example.com","username":"u","from":"a@example.com","to":["b@example.com"]}`, "config.password"},
		{"pagerduty: missing routing key", "pagerduty", `{}`, "config.routing_key"},
		{"pagerduty: bad api url", "pagerduty", `{"routing_key":"abc","api_url":"ftp://x.example"}`, "config.api_url"},
		{"opsgenie: missing api key", "opsgenie", `{"api_key":""}`, "config.api_key"},
		{"opsgenie: api key with space", "opsgenie", `{"api_key":"a b"}`, "config.api_key"},
		{"ntfy: missing url", "ntfy", `{}`, "config.url"},
		{"ntfy: url without topic", "ntfy", `{"url":"https://ntfy.sh/"}`, "config.url"},
		{"ntfy: priority out of range", "ntfy", `{"url":"https://ntfy.sh/t","priority":9}`, "config.priority"},
		{"ntfy: token with newline", "ntfy", `{"url":"https://ntfy.sh/t","token":"tk_a\nb"}`, "config.token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch, err := notify.Parse(tt.typ, json.RawMessage(tt.config))
			if ch != nil {
				t.Errorf("Parse returned a channel with the error")
			}
			wantFieldError(t, err, tt.field)
		})
	}
}

func TestUnknownTypeListsTypes(t *testing.T) {
	_, err := notify.Parse("sms", json.RawMessage(`{}`))
	e := apperr.As(err)
	if e == nil || !strings.Contains(e.Fields["type"], "webhook") || !strings.Contains(e.Fields["type"], "ntfy") {
		t.Fatalf("got %v, want the list of types", err)
	}
}

func TestMaskAndMergeSecrets(t *testing.T) {
	for typ, cfg := range validConfigs("https://hooks.example.com") {
		t.Run(typ, func(t *testing.T) {
			raw, err := json.Marshal(cfg)
			if err != nil {
				t.Fatal(err)
			}
			masked, err := notify.Mask(typ, raw)
			if err != nil {
				t.Fatalf("Mask: %v", err)
			}
			var got map[string]any
			if err := json.Unmarshal(masked, &got); err != nil {
				t.Fatalf("Mask returned invalid JSON: %v", err)
			}
			for _, name := range secretsOf[typ] {
				if got[name] != notify.Masked {
					t.Errorf("%s = %v, want masked", name, got[name])
				}
				if strings.Contains(string(masked), cfg[name].(string)) {
					t.Errorf("masked config still contains the secret %s: %s", name, masked)
				}
			}
			for name, v := range cfg {
				if slices.Contains(secretsOf[typ], name) {
					continue
				}
				want, _ := json.Marshal(v)
				have, _ := json.Marshal(got[name])
				if string(want) != string(have) {
					t.Errorf("non-secret %s = %s, want %s kept", name, have, want)
				}
			}

			// Saving the masked form back keeps every secret.
			merged, err := notify.MergeSecrets(typ, raw, masked)
			if err != nil {
				t.Fatalf("MergeSecrets: %v", err)
			}
			if _, err := notify.Parse(typ, merged); err != nil {
				t.Fatalf("merged config does not parse: %v", err)
			}
			var m map[string]any
			if err := json.Unmarshal(merged, &m); err != nil {
				t.Fatal(err)
			}
			for _, name := range secretsOf[typ] {
				if m[name] != cfg[name] {
					t.Errorf("merged %s = %v, want the old secret", name, m[name])
				}
			}

			// Omitting the secrets keeps them too.
			omitted := map[string]any{}
			for k, v := range cfg {
				if !slices.Contains(secretsOf[typ], k) {
					omitted[k] = v
				}
			}
			rawOmitted, _ := json.Marshal(omitted)
			merged, err = notify.MergeSecrets(typ, raw, rawOmitted)
			if err != nil {
				t.Fatalf("MergeSecrets: %v", err)
			}
			if _, err := notify.Parse(typ, merged); err != nil {
				t.Fatalf("merged config without secrets does not parse: %v", err)
			}
		})
	}
}

func TestMergeSecretsReplacesAChangedSecret(t *testing.T) {
	old := json.RawMessage(`{"url":"https://x.example/hook","secret":"old-secret-0123456789"}`)
	updated := json.RawMessage(`{"url":"https://y.example/hook","secret":"new-secret-0123456789"}`)
	merged, err := notify.MergeSecrets("webhook", old, updated)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal(merged, &m); err != nil {
		t.Fatal(err)
	}
	if m["secret"] != "new-secret-0123456789" || m["url"] != "https://y.example/hook" {
		t.Fatalf("merged = %s, want the update", merged)
	}
}

// TestMergeSecretsStayWithTheirServer: a masked secret is kept while the
// fields saying where it is sent stay the same, and refused (naming it)
// once one changes, so someone who may edit a channel but never sees its
// secret cannot point it at a server of their own. A new secret with the
// new server is fine, and so is a change elsewhere in the config, or a
// value written differently that means the same.
func TestMergeSecretsStayWithTheirServer(t *testing.T) {
	for _, tc := range []struct {
		name, typ, old, updated string
		refused                 string // the field named, "" when kept
	}{
		{"telegram: api_url moved", "telegram", `{"bot_token":"123:abc","chat_id":"1"}`,
			`{"bot_token":"********","chat_id":"1","api_url":"https://evil.example"}`, "config.bot_token"},
		{"telegram: api_url omitted secret", "telegram", `{"bot_token":"123:abc","chat_id":"1","api_url":"https://a.example"}`,
			`{"chat_id":"1","api_url":"https://evil.example"}`, "config.bot_token"},
		{"telegram: chat changed", "telegram", `{"bot_token":"123:abc","chat_id":"1"}`,
			`{"bot_token":"********","chat_id":"2"}`, ""},
		{"telegram: api_url null is none", "telegram", `{"bot_token":"123:abc","chat_id":"1"}`,
			`{"bot_token":"********","chat_id":"1","api_url":null}`, ""},
		{"telegram: new token for the new server", "telegram", `{"bot_token":"123:abc","chat_id":"1"}`,
			`{"bot_token":"456:def","chat_id":"1","api_url":"https://mine.example"}`, ""},
		{"pagerduty: api_url moved", "pagerduty", `{"routing_key":"k0123456789012345678901234567890"}`,
			`{"routing_key":"********","api_url":"https://evil.example"}`, "config.routing_key"},
		{"opsgenie: api_url moved", "opsgenie", `{"api_key":"key","api_url":"https://api.opsgenie.com"}`,
			`{"api_key":"********","api_url":"https://api.eu.opsgenie.com"}`, "config.api_key"},
		{"ntfy: server moved", "ntfy", `{"url":"https://ntfy.sh/t","token":"tk_1"}`,
			`{"url":"https://evil.example/t","token":"********"}`, "config.token"},
		{"ntfy: no token to keep", "ntfy", `{"url":"https://ntfy.sh/t"}`,
			`{"url":"https://evil.example/t","token":"********"}`, ""},
		{"email: host moved", "email", `{"host":"smtp.example.com","username":"u","password":"pw","from":"a@example.com","to":["b@example.com"]}`,
			`{"host":"smtp.evil.example","username":"u","password":"********","from":"a@example.com","to":["b@example.com"]}`, "config.password"},
		{"email: port moved", "email", `{"host":"smtp.example.com","port":587,"username":"u","password":"pw","from":"a@example.com","to":["b@example.com"]}`,
			`{"host":"smtp.example.com","port":2525,"username":"u","password":"********","from":"a@example.com","to":["b@example.com"]}`, "config.password"},
		{"email: port written as 587.0", "email", `{"host":"smtp.example.com","port":587,"username":"u","password":"pw","from":"a@example.com","to":["b@example.com"]}`,
			`{"host":"smtp.example.com","port":587.0,"username":"u","password":"********","from":"a@example.com","to":["b@example.com"]}`, ""},
		{"email: recipients changed", "email", `{"host":"smtp.example.com","username":"u","password":"pw","from":"a@example.com","to":["b@example.com"]}`,
			`{"host":"smtp.example.com","username":"u","password":"********","from":"a@example.com","to":["c@example.com"]}`, ""},
		{"webhook: url moved, the signing secret is never sent", "webhook", `{"url":"https://a.example/h","secret":"s0123456789abcdef"}`,
			`{"url":"https://b.example/h","secret":"********"}`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			merged, err := notify.MergeSecrets(tc.typ, json.RawMessage(tc.old), json.RawMessage(tc.updated))
			if tc.refused == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if strings.Contains(string(merged), notify.Masked) {
					t.Fatalf("merged keeps the mask: %s", merged)
				}
				return
			}
			if err == nil {
				t.Fatalf("kept the secret for a new server: %s", merged)
			}
			if apperr.KindOf(err) != apperr.Invalid || !strings.Contains(err.Error(), "enter it again") {
				t.Fatalf("err = %v, want a validation error asking for it again", err)
			}
			var e *apperr.Error
			if !errors.As(err, &e) || e.Fields[tc.refused] == "" {
				t.Fatalf("err = %#v, want field %s named", err, tc.refused)
			}
		})
	}
}

func TestMaskLeavesUnsetSecretsUnset(t *testing.T) {
	masked, err := notify.Mask("ntfy", json.RawMessage(`{"url":"https://ntfy.sh/t"}`))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(masked), notify.Masked) {
		t.Fatalf("Mask invented a secret: %s", masked)
	}
	if _, err := notify.Mask("sms", json.RawMessage(`{}`)); err == nil {
		t.Fatal("Mask accepted an unknown type")
	}
}
