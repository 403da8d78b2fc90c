package notify_test

import (
	"net/http"
	"strings"
	"testing"
)

// teamsElements returns the card's body elements of the given type.
func teamsElements(body map[string]any, typ string) []map[string]any {
	var out []map[string]any
	elems, _ := path(body, "attachments", 0, "content", "body").([]any)
	for _, el := range elems {
		m, _ := el.(map[string]any)
		if m["type"] == typ {
			out = append(out, m)
		}
	}
	return out
}

// teamsRuns returns the texts of every TextRun in the card.
func teamsRuns(body map[string]any) []string {
	var out []string
	for _, block := range teamsElements(body, "RichTextBlock") {
		inlines, _ := block["inlines"].([]any)
		for _, in := range inlines {
			if run, _ := in.(map[string]any); run["type"] == "TextRun" {
				out = append(out, run["text"].(string))
			}
		}
	}
	return out
}

func TestTeamsRequest(t *testing.T) {
	for _, typ := range allEventTypes {
		t.Run(typ, func(t *testing.T) {
			rc := NewReceiver(t, http.StatusAccepted, "1")
			MustSend(t, MustParse(t, "teams", map[string]any{"url": rc.URL + "/workflows/abc?sig=x"}), NewEvent(typ))
			req := rc.MustOne(t)
			if req.Method != http.MethodPost || req.Path != "/workflows/abc" || req.RawQuery != "sig=x" {
				t.Errorf("request %s %s?%s", req.Method, req.Path, req.RawQuery)
			}
			body := MustJSON(t, req.Body)
			if body["type"] != "message" ||
				path(body, "attachments", 0, "contentType") != "application/vnd.microsoft.card.adaptive" ||
				path(body, "attachments", 0, "content", "type") != "AdaptiveCard" {
				t.Fatalf("not an Adaptive Card message: %s", req.Body)
			}
			runs := teamsRuns(body)
			if len(runs) == 0 || runs[0] != "API" {
				t.Errorf("first run = %v, want the monitor name", runs)
			}
			heading := teamsElements(body, "TextBlock")[0]["text"].(string)
			if typ == "test" && !strings.Contains(heading, "TEST") {
				t.Errorf("test message is not labelled: %q", heading)
			}
			action := path(body, "attachments", 0, "content", "actions", 0, "url")
			if typ != "test" && action != "https://status.example.com/incidents/42" {
				t.Errorf("action url = %v", action)
			}
		})
	}
}

// Teams reads Markdown in TextBlocks and has no reliable escape, so user
// text must appear only in TextRuns, which it renders as plain text.
func TestTeamsKeepsUserTextOutOfMarkdown(t *testing.T) {
	rc := NewReceiver(t, http.StatusAccepted, "1")
	MustSend(t, MustParse(t, "teams", map[string]any{"url": rc.URL}), NewEvilEvent())
	req := rc.MustOne(t)
	body := MustJSON(t, req.Body)
	for _, tb := range teamsElements(body, "TextBlock") {
		if text := tb["text"].(string); strings.Contains(text, "script") || strings.Contains(text, "bold") {
			t.Errorf("user text in a Markdown TextBlock: %q", text)
		}
	}
	runs := teamsRuns(body)
	if len(runs) == 0 || runs[0] != evilName {
		t.Errorf("runs = %q, want the name as a plain TextRun", runs)
	}
	// Everything that carries the name is a TextRun; nothing else does.
	count := 0
	for _, s := range strs(body) {
		if strings.Contains(s, "<script>") {
			count++
		}
	}
	inRuns := 0
	for _, r := range runs {
		if strings.Contains(r, "<script>") {
			inRuns++
		}
	}
	if count != inRuns {
		t.Errorf("the name appears in %d strings but only %d TextRuns: %s", count, inRuns, req.Body)
	}
	if strings.Contains(string(req.Body), "<at>") || strings.Contains(string(req.Body), "entities") {
		t.Errorf("card contains a mention: %s", req.Body)
	}
}
