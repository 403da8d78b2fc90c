package notify_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

func TestDiscordRequest(t *testing.T) {
	for _, typ := range allEventTypes {
		t.Run(typ, func(t *testing.T) {
			rc := NewReceiver(t, http.StatusNoContent, "")
			e := NewEvent(typ)
			MustSend(t, MustParse(t, "discord", map[string]any{"url": rc.URL + "/api/webhooks/1/abc"}), e)
			req := rc.MustOne(t)
			if req.Method != http.MethodPost || req.Path != "/api/webhooks/1/abc" {
				t.Errorf("request %s %s", req.Method, req.Path)
			}
			body := MustJSON(t, req.Body)
			parse, ok := path(body, "allowed_mentions", "parse").([]any)
			if !ok || len(parse) != 0 {
				t.Errorf("allowed_mentions.parse = %v, want []", path(body, "allowed_mentions", "parse"))
			}
			title, _ := path(body, "embeds", 0, "title").(string)
			if !strings.HasSuffix(title, ": API") {
				t.Errorf("embed title = %q", title)
			}
			if typ == "test" && !strings.HasPrefix(title, "TEST") {
				t.Errorf("test message is not labelled: %q", title)
			}
			if typ != "test" && path(body, "embeds", 0, "url") != e.Link {
				t.Errorf("embed url = %v, want %s", path(body, "embeds", 0, "url"), e.Link)
			}
			if path(body, "embeds", 0, "timestamp") != e.OccurredAt.UTC().Format("2006-01-02T15:04:05Z") {
				t.Errorf("timestamp = %v", path(body, "embeds", 0, "timestamp"))
			}
		})
	}
}

func TestDiscordEscapesUserText(t *testing.T) {
	rc := NewReceiver(t, http.StatusNoContent, "")
	MustSend(t, MustParse(t, "discord", map[string]any{"url": rc.URL}), NewEvilEvent())
	body := MustJSON(t, rc.MustOne(t).Body)
	all := strs(body)
	// An unescaped @everyone, *bold* or <tag> anywhere would format or ping.
	unescaped := regexp.MustCompile(`(^|[^\\])(@everyone|\*bold|<script)`)
	for _, s := range all {
		if unescaped.MatchString(s) {
			t.Errorf("unescaped markup reached Discord: %q", s)
		}
	}
	escaped := `\<script\>alert\(1\)\</script\> & \@everyone \*bold\*`
	if content, _ := body["content"].(string); !strings.Contains(content, escaped) {
		t.Errorf("content = %q, want the escaped name %q", content, escaped)
	}
	if title, _ := path(body, "embeds", 0, "title").(string); !strings.Contains(title, escaped) {
		t.Errorf("embed title = %q, want the escaped name", title)
	}
	parse, ok := path(body, "allowed_mentions", "parse").([]any)
	if !ok || len(parse) != 0 {
		t.Errorf("mentions are not disabled: %v", body["allowed_mentions"])
	}
}
