package notify_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestOpsgenieRequests(t *testing.T) {
	tests := []struct {
		typ   string
		path  string
		query string
	}{
		{"incident.opened", "/v2/alerts", ""},
		{"incident.reminder", "/v2/alerts", ""},
		{"incident.acknowledged", "/v2/alerts/betterstack-incident-42/acknowledge", "identifierType=alias"},
		{"incident.resolved", "/v2/alerts/betterstack-incident-42/close", "identifierType=alias"},
		{"test", "/v2/alerts", ""},
	}
	for _, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			rc := NewReceiver(t, http.StatusAccepted, `{"result":"Request will be processed","requestId":"x"}`)
			MustSend(t, MustParse(t, "opsgenie", map[string]any{"api_key": "key-123", "api_url": rc.URL}), NewEvent(tt.typ))
			req := rc.MustOne(t)
			if req.Method != http.MethodPost || req.Path != tt.path || req.RawQuery != tt.query {
				t.Errorf("request %s %s?%s, want POST %s?%s", req.Method, req.Path, req.RawQuery, tt.path, tt.query)
			}
			if got := req.Header.Get("Authorization"); got != "GenieKey key-123" {
				t.Errorf("Authorization = %q", got)
			}
			body := MustJSON(t, req.Body)
			if body["source"] != "BetterStack" {
				t.Errorf("source = %v", body["source"])
			}
			switch tt.typ {
			case "incident.opened", "incident.reminder":
				if body["alias"] != "betterstack-incident-42" || body["message"] != "DOWN: API" && body["message"] != "STILL DOWN: API" || body["priority"] != "P1" {
					t.Errorf("alert = %v", body)
				}
			case "incident.acknowledged":
				if body["user"] != "alice" {
					t.Errorf("user = %v, want alice", body["user"])
				}
			case "test":
				if msg, _ := body["message"].(string); !strings.HasPrefix(msg, "TEST") || body["priority"] != "P5" ||
					!strings.HasPrefix(body["alias"].(string), "betterstack-test-") {
					t.Errorf("test alert = %v", body)
				}
			}
		})
	}
}

func TestOpsgenieMessageLimit(t *testing.T) {
	rc := NewReceiver(t, http.StatusAccepted, `{}`)
	e := NewEvent("incident.opened")
	e.Monitor.Name = strings.Repeat("é", 300)
	MustSend(t, MustParse(t, "opsgenie", map[string]any{"api_key": "k", "api_url": rc.URL}), e)
	msg, _ := MustJSON(t, rc.MustOne(t).Body)["message"].(string)
	if n := len([]rune(msg)); n > 130 {
		t.Fatalf("message has %d characters, Opsgenie allows 130", n)
	}
}
