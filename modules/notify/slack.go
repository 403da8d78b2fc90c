package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/betterstack/betterstack/modules/apperr"
)

// Slack posts to a Slack incoming webhook, or to anything that speaks the
// same format (Mattermost, Rocket.Chat), so the host is not restricted.
//
// The message has a plain "text" (what notifications show) and Block Kit
// blocks. User text has &, < and > escaped as Slack requires, so it cannot
// form links or mentions such as <!channel>; mrkdwn sections are marked
// verbatim so Slack does not turn names into mentions either. Slack has no
// escape for *bold* or _italic_: such characters in a monitor name still
// format, which is cosmetic.
type Slack struct {
	URL string `json:"url"` // secret: anyone with it can post
}

var _ Channel = (*Slack)(nil)

// Validate implements Channel.
func (c *Slack) Validate() error {
	f := apperr.Fields{}
	checkURL(f, "url", c.URL, true)
	return f.Err()
}

// Send implements Channel.
func (c *Slack) Send(ctx context.Context, t Transport, e Event) error {
	if err := prepare(c, e); err != nil {
		return err
	}
	body, err := json.Marshal(slackPayload(describe(e)))
	if err != nil {
		return permanent(fmt.Errorf("slack: encode: %w", err))
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	_, err = doHTTP(ctx, t, http.MethodPost, c.URL, h, body)
	return err
}

// slackEscaper escapes the three characters Slack interprets in text.
var slackEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

type slackText struct {
	Type     string `json:"type"`
	Text     string `json:"text"`
	Emoji    bool   `json:"emoji,omitempty"`
	Verbatim bool   `json:"verbatim,omitempty"`
}

type slackBlock struct {
	Type     string      `json:"type"`
	Text     *slackText  `json:"text,omitempty"`
	Fields   []slackText `json:"fields,omitempty"`
	Elements []slackText `json:"elements,omitempty"`
}

// slackPayload renders m as an incoming-webhook body.
func slackPayload(m message) map[string]any {
	esc := slackEscaper.Replace
	blocks := []slackBlock{
		{Type: "header", Text: &slackText{Type: "plain_text", Text: fit(icon(m.State)+" "+m.Title, 150, esc), Emoji: true}},
		{Type: "section", Text: &slackText{Type: "mrkdwn", Text: fit(m.Intro, 3000, esc), Verbatim: true}},
	}
	var fields []slackText
	for _, f := range m.Facts {
		fields = append(fields, slackText{Type: "mrkdwn", Text: "*" + f.Label + "*\n" + fit(f.Value, 1900, esc), Verbatim: true})
	}
	for len(fields) > 0 { // a section holds at most 10 fields
		n := min(len(fields), 10)
		blocks = append(blocks, slackBlock{Type: "section", Fields: fields[:n]})
		fields = fields[n:]
	}
	if link := slackLink(m.Link); link != "" {
		blocks = append(blocks, slackBlock{Type: "context", Elements: []slackText{{Type: "mrkdwn", Text: "<" + link + "|View incident in BetterStack>"}}})
	}
	return map[string]any{
		"text":   esc(icon(m.State) + " " + m.Title),
		"blocks": blocks,
	}
}

// slackLink makes a URL safe inside <url|label>: escaped, with | encoded so
// it cannot end the URL early. Only http and https links are made.
func slackLink(u string) string {
	if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
		return ""
	}
	return slackEscaper.Replace(strings.ReplaceAll(oneLine(u), "|", "%7C"))
}
