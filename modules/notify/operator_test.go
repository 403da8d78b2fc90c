package notify_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/notify"
)

func operatorEvent(typ string) notify.Event {
	return notify.Event{Type: typ, Key: "operator-region-eu-" + typ, OccurredAt: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC),
		Monitor: notify.Monitor{Name: "region eu"}, Comment: "Region eu is silent: no worker has reported for 2m1s."}
}

// TestOperatorEvents: alerts about BetterStack itself reach a webhook with
// their own event name and text, and PagerDuty triggers and resolves one
// alert per problem (not one shared by every operator alert).
func TestOperatorEvents(t *testing.T) {
	t.Run("webhook", func(t *testing.T) {
		rc := NewReceiver(t, http.StatusOK, ``)
		MustSend(t, MustParse(t, "webhook", map[string]any{"url": rc.URL, "secret": "s3cret-0123456789abcdef"}), operatorEvent(notify.EventOperatorAlert))
		body := MustJSON(t, rc.MustOne(t).Body)
		if body["event"] != "operator.alert" || !strings.Contains(body["comment"].(string), "Region eu is silent") || body["incident"] != nil {
			t.Errorf("body = %v", body)
		}
	})
	for _, tt := range []struct{ typ, action string }{{notify.EventOperatorAlert, "trigger"}, {notify.EventOperatorResolved, "resolve"}} {
		t.Run("pagerduty "+tt.typ, func(t *testing.T) {
			rc := NewReceiver(t, http.StatusAccepted, `{}`)
			MustSend(t, MustParse(t, "pagerduty", map[string]any{"routing_key": "abc", "api_url": rc.URL}), operatorEvent(tt.typ))
			body := MustJSON(t, rc.MustOne(t).Body)
			if body["event_action"] != tt.action || body["dedup_key"] != "betterstack-operator-region eu" {
				t.Errorf("event_action=%v dedup_key=%v", body["event_action"], body["dedup_key"])
			}
			if tt.action == "trigger" {
				if s, _ := path(body, "payload", "summary").(string); !strings.HasPrefix(s, "ALERT: region eu — Region eu is silent") {
					t.Errorf("summary = %q", s)
				}
			}
		})
	}
}
