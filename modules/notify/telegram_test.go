package notify_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestTelegramRequest(t *testing.T) {
	for _, typ := range allEventTypes {
		t.Run(typ, func(t *testing.T) {
			rc := NewReceiver(t, http.StatusOK, `{"ok":true,"result":{}}`)
			MustSend(t, MustParse(t, "telegram", map[string]any{"bot_token": telegramToken, "chat_id": "-100123456", "api_url": rc.URL + "/"}), NewEvent(typ))
			req := rc.MustOne(t)
			if req.Method != http.MethodPost || req.Path != "/bot"+telegramToken+"/sendMessage" {
				t.Errorf("request %s %s", req.Method, req.Path)
			}
			body := MustJSON(t, req.Body)
			if body["chat_id"] != "-100123456" || body["parse_mode"] != "HTML" || path(body, "link_preview_options", "is_disabled") != true {
				t.Errorf("body = %v", body)
			}
			text, _ := body["text"].(string)
			if !strings.Contains(text, "<b>") || !strings.Contains(text, ": API</b>") {
				t.Errorf("text = %q, want a bold title", text)
			}
			if typ == "test" && !strings.Contains(text, "TEST") {
				t.Errorf("test message is not labelled: %q", text)
			}
			if typ != "test" && !strings.Contains(text, `<a href="https://status.example.com/incidents/42">`) {
				t.Errorf("text has no link to the incident: %q", text)
			}
		})
	}
}

func TestTelegramEscapesUserText(t *testing.T) {
	rc := NewReceiver(t, http.StatusOK, `{"ok":true}`)
	MustSend(t, MustParse(t, "telegram", map[string]any{"bot_token": telegramToken, "chat_id": "@ops_alerts", "api_url": rc.URL}), NewEvilEvent())
	text, _ := MustJSON(t, rc.MustOne(t).Body)["text"].(string)
	if strings.Contains(text, "<script>") || strings.Contains(text, "</script>") || strings.Contains(text, " & ") {
		t.Errorf("raw HTML reached Telegram: %q", text)
	}
	if !strings.Contains(text, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; @everyone *bold*") {
		t.Errorf("text = %q, want the HTML-escaped name", text)
	}
}
