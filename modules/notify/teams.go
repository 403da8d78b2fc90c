package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/betterstack/betterstack/modules/apperr"
)

// Teams posts an Adaptive Card to a Microsoft Teams webhook: a Workflows
// ("Post to a channel when a webhook request is received") URL or a legacy
// incoming-webhook connector; both accept the message-with-attachment shape
// sent here.
//
// Teams has no reliable escape for its Markdown subset, so user text never
// goes where Markdown is read: it is carried only in TextRun elements of
// RichTextBlocks, which Adaptive Cards render as plain text. TextBlocks hold
// only our own words. Teams does not render HTML in cards.
type Teams struct {
	URL string `json:"url"` // secret: anyone with it can post
}

var _ Channel = (*Teams)(nil)

// Validate implements Channel.
func (c *Teams) Validate() error {
	f := apperr.Fields{}
	checkURL(f, "url", c.URL, true)
	return f.Err()
}

// Send implements Channel.
func (c *Teams) Send(ctx context.Context, t Transport, e Event) error {
	if err := prepare(c, e); err != nil {
		return err
	}
	body, err := json.Marshal(teamsPayload(describe(e)))
	if err != nil {
		return permanent(fmt.Errorf("teams: encode: %w", err))
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	_, err = doHTTP(ctx, t, http.MethodPost, c.URL, h, body)
	return err
}

// teamsColor is the Adaptive Card colour name for a message state.
func teamsColor(state string) string {
	switch state {
	case "down":
		return "Attention"
	case "degraded":
		return "Warning"
	case "acknowledged":
		return "Accent"
	case "resolved":
		return "Good"
	}
	return "Default"
}

// teamsRuns is a RichTextBlock of TextRuns: plain text, no Markdown.
func teamsRuns(runs ...map[string]any) map[string]any {
	return map[string]any{"type": "RichTextBlock", "inlines": runs}
}

func teamsRun(text string, bold bool) map[string]any {
	r := map[string]any{"type": "TextRun", "text": text}
	if bold {
		r["weight"] = "Bolder"
	}
	return r
}

// teamsPayload renders m as a message carrying one Adaptive Card.
func teamsPayload(m message) map[string]any {
	name := teamsRun(m.Name, true)
	name["size"] = "Large"
	body := []map[string]any{
		{"type": "TextBlock", "text": icon(m.State) + " " + m.Verb, "weight": "Bolder", "color": teamsColor(m.State), "wrap": true},
		teamsRuns(name),
		teamsRuns(teamsRun(m.Intro, false)),
	}
	for _, f := range m.Facts {
		body = append(body, teamsRuns(teamsRun(f.Label+": ", true), teamsRun(f.Value, false)))
	}
	card := map[string]any{
		"type":    "AdaptiveCard",
		"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
		"version": "1.4",
		"msteams": map[string]any{"width": "Full"},
		"body":    body,
	}
	if strings.HasPrefix(m.Link, "https://") || strings.HasPrefix(m.Link, "http://") {
		card["actions"] = []map[string]any{{"type": "Action.OpenUrl", "title": "View incident in BetterStack", "url": m.Link}}
	}
	return map[string]any{
		"type": "message",
		"attachments": []map[string]any{{
			"contentType": "application/vnd.microsoft.card.adaptive",
			"contentUrl":  nil,
			"content":     card,
		}},
	}
}
