package notify_test

import (
	"mime"
	"net/http"
	"strings"
	"testing"
)

func TestNtfyRequest(t *testing.T) {
	tests := []struct {
		typ      string
		priority int // configured
		want     string
		tag      string
	}{
		{"incident.opened", 0, "4", "rotating_light"},
		{"incident.opened", 5, "5", "rotating_light"},
		{"incident.reminder", 0, "4", "rotating_light"},
		{"incident.acknowledged", 5, "3", "eyes"},
		{"incident.resolved", 0, "3", "white_check_mark"},
		{"incident.resolved", 2, "2", "white_check_mark"},
		{"test", 0, "3", "test_tube"},
	}
	for _, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			rc := NewReceiver(t, http.StatusOK, `{"id":"x"}`)
			cfg := map[string]any{"url": rc.URL + "/alerts", "token": "tk_secret"}
			if tt.priority != 0 {
				cfg["priority"] = tt.priority
			}
			e := NewEvent(tt.typ)
			MustSend(t, MustParse(t, "ntfy", cfg), e)
			req := rc.MustOne(t)
			if req.Method != http.MethodPost || req.Path != "/alerts" {
				t.Errorf("request %s %s", req.Method, req.Path)
			}
			if got := req.Header.Get("Priority"); got != tt.want {
				t.Errorf("Priority = %q, want %q", got, tt.want)
			}
			if got := req.Header.Get("Tags"); got != tt.tag {
				t.Errorf("Tags = %q, want %q", got, tt.tag)
			}
			if got := req.Header.Get("Authorization"); got != "Bearer tk_secret" {
				t.Errorf("Authorization = %q", got)
			}
			if !strings.HasPrefix(req.Header.Get("Content-Type"), "text/plain") {
				t.Errorf("Content-Type = %q", req.Header.Get("Content-Type"))
			}
			title := req.Header.Get("Title")
			if !strings.HasSuffix(title, ": API") || (tt.typ == "test") != strings.HasPrefix(title, "TEST") {
				t.Errorf("Title = %q", title)
			}
			if tt.typ != "test" && req.Header.Get("Click") != e.Link {
				t.Errorf("Click = %q, want %q", req.Header.Get("Click"), e.Link)
			}
			if len(req.Body) == 0 || strings.Contains(string(req.Body), "<") {
				t.Errorf("body = %q, want plain text", req.Body)
			}
		})
	}
}

func TestNtfyHeadersStayOnOneLine(t *testing.T) {
	rc := NewReceiver(t, http.StatusOK, `{}`)
	e := NewEvilEvent()
	e.Monitor.Name = "db\r\nX-Injected: yes\nPriority: 1 — ünïcode " + evilName
	MustSend(t, MustParse(t, "ntfy", map[string]any{"url": rc.URL + "/t"}), e)
	req := rc.MustOne(t)
	if req.Header.Get("X-Injected") != "" || len(req.Header.Values("Priority")) != 1 || req.Header.Get("Priority") != "4" {
		t.Fatalf("a header was injected: %v", req.Header)
	}
	title, err := new(mime.WordDecoder).DecodeHeader(req.Header.Get("Title"))
	if err != nil {
		t.Fatalf("Title %q: %v", req.Header.Get("Title"), err)
	}
	want := "DOWN: db X-Injected: yes Priority: 1 — ünïcode " + evilName
	if title != want {
		t.Fatalf("Title = %q, want %q", title, want)
	}
	// ntfy shows the body as plain text: the name arrives as typed.
	if !strings.Contains(string(req.Body), evilName) {
		t.Errorf("body = %q, want the name verbatim", req.Body)
	}
}
