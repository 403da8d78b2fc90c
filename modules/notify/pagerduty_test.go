package notify_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestPagerDutyEvents(t *testing.T) {
	tests := []struct {
		typ      string
		action   string
		dedup    string
		severity string // "" = no payload expected
	}{
		{"incident.opened", "trigger", "betterstack-incident-42", "critical"},
		{"incident.reminder", "trigger", "betterstack-incident-42", "critical"},
		{"incident.acknowledged", "acknowledge", "betterstack-incident-42", ""},
		{"incident.resolved", "resolve", "betterstack-incident-42", ""},
		{"test", "trigger", "betterstack-test-event-99-channel-3", "info"},
	}
	for _, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			rc := NewReceiver(t, http.StatusAccepted, `{"status":"success","message":"Event processed","dedup_key":"x"}`)
			MustSend(t, MustParse(t, "pagerduty", map[string]any{"routing_key": "R0123456789abcdef0123456789abcde", "api_url": rc.URL + "/v2/enqueue"}), NewEvent(tt.typ))
			req := rc.MustOne(t)
			if req.Method != http.MethodPost || req.Path != "/v2/enqueue" || req.Header.Get("Content-Type") != "application/json" {
				t.Errorf("request %s %s", req.Method, req.Path)
			}
			body := MustJSON(t, req.Body)
			if body["routing_key"] != "R0123456789abcdef0123456789abcde" || body["event_action"] != tt.action || body["dedup_key"] != tt.dedup {
				t.Errorf("routing_key=%v event_action=%v dedup_key=%v, want %s %s", body["routing_key"], body["event_action"], body["dedup_key"], tt.action, tt.dedup)
			}
			if tt.severity == "" {
				if body["payload"] != nil {
					t.Errorf("%s carries a payload: %v", tt.action, body["payload"])
				}
				return
			}
			summary, _ := path(body, "payload", "summary").(string)
			if path(body, "payload", "severity") != tt.severity || path(body, "payload", "source") == nil || summary == "" {
				t.Errorf("payload = %v", body["payload"])
			}
			if tt.typ == "test" && !strings.HasPrefix(summary, "TEST") {
				t.Errorf("test summary not labelled: %q", summary)
			}
		})
	}
}

func TestPagerDutyDegradedIsAWarning(t *testing.T) {
	rc := NewReceiver(t, http.StatusAccepted, `{}`)
	e := NewEvent("incident.opened")
	e.Incident.Kind = "degraded"
	MustSend(t, MustParse(t, "pagerduty", map[string]any{"routing_key": "abc", "api_url": rc.URL}), e)
	if got := path(MustJSON(t, rc.MustOne(t).Body), "payload", "severity"); got != "warning" {
		t.Fatalf("severity = %v, want warning", got)
	}
}
