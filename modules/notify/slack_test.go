package notify_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestSlackRequest(t *testing.T) {
	want := map[string]string{
		"incident.opened":       "DOWN: API",
		"incident.acknowledged": "ACKNOWLEDGED: API",
		"incident.resolved":     "RESOLVED: API",
		"incident.reminder":     "STILL DOWN: API",
		"test":                  "TEST: API",
	}
	for _, typ := range allEventTypes {
		t.Run(typ, func(t *testing.T) {
			rc := NewReceiver(t, http.StatusOK, "ok")
			MustSend(t, MustParse(t, "slack", map[string]any{"url": rc.URL + "/services/T0/B0/xyz"}), NewEvent(typ))
			req := rc.MustOne(t)
			if req.Method != http.MethodPost || req.Path != "/services/T0/B0/xyz" || req.Header.Get("Content-Type") != "application/json" {
				t.Errorf("request %s %s (%s)", req.Method, req.Path, req.Header.Get("Content-Type"))
			}
			body := MustJSON(t, req.Body)
			if text, _ := body["text"].(string); !strings.Contains(text, want[typ]) {
				t.Errorf("text = %q, want it to contain %q", text, want[typ])
			}
			if path(body, "blocks", 0, "type") != "header" {
				t.Errorf("first block = %v, want a header", path(body, "blocks", 0))
			}
			all := strs(body)
			if typ == "test" && !anyContains(all, "test notification") {
				t.Errorf("test message is not labelled as a test: %v", all)
			}
			if typ == "incident.acknowledged" && !anyContains(all, "alice acknowledged") {
				t.Errorf("acknowledgement does not say who: %v", all)
			}
			if typ == "incident.opened" && !anyContains(all, "http_status (HTTP 503): unexpected status 503") {
				t.Errorf("opened message does not give the cause: %v", all)
			}
		})
	}
}

func TestSlackEscapesUserText(t *testing.T) {
	rc := NewReceiver(t, http.StatusOK, "ok")
	MustSend(t, MustParse(t, "slack", map[string]any{"url": rc.URL}), NewEvilEvent())
	body := MustJSON(t, rc.MustOne(t).Body)
	all := strs(body)
	for _, raw := range []string{"<script>", "</script>", "& @"} {
		if anyContains(all, raw) {
			t.Errorf("raw %q reached Slack, where it would be interpreted: %v", raw, all)
		}
	}
	escaped := "&lt;script&gt;alert(1)&lt;/script&gt; &amp; @everyone *bold*"
	if text, _ := body["text"].(string); !strings.Contains(text, escaped) {
		t.Errorf("text = %q, want the escaped name %q", text, escaped)
	}
	if !anyContains(all, "Cause*\nhttp_status (HTTP 503): "+escaped) {
		t.Errorf("cause not escaped in the blocks: %v", all)
	}
}
