package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/betterstack/betterstack/modules/apperr"
)

// Discord posts to a Discord channel webhook: a short "content" line (what
// notifications show) and one embed with the details.
//
// Mentions are disabled (allowed_mentions.parse is empty), so a monitor
// named "@everyone" pings nobody, and every Markdown character in user text
// is escaped with a backslash, so it neither formats nor forms a masked
// link or a <@id> mention.
type Discord struct {
	URL string `json:"url"` // secret: anyone with it can post
}

var _ Channel = (*Discord)(nil)

// Validate implements Channel.
func (c *Discord) Validate() error {
	f := apperr.Fields{}
	checkURL(f, "url", c.URL, true)
	return f.Err()
}

// Send implements Channel.
func (c *Discord) Send(ctx context.Context, t Transport, e Event) error {
	if err := prepare(c, e); err != nil {
		return err
	}
	body, err := json.Marshal(discordPayload(describe(e), e.OccurredAt))
	if err != nil {
		return permanent(fmt.Errorf("discord: encode: %w", err))
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	_, err = doHTTP(ctx, t, http.MethodPost, c.URL, h, body)
	return err
}

// discordEscaper backslash-escapes the characters Discord's Markdown and
// mention syntax give meaning to.
var discordEscaper = strings.NewReplacer(
	`\`, `\\`, "*", `\*`, "_", `\_`, "~", `\~`, "`", "\\`", "|", `\|`,
	">", `\>`, "<", `\<`, "#", `\#`, "-", `\-`, "[", `\[`, "]", `\]`,
	"(", `\(`, ")", `\)`, "@", `\@`,
)

type discordField struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Inline bool   `json:"inline"`
}

type discordEmbed struct {
	Title       string         `json:"title"`
	Description string         `json:"description,omitempty"`
	URL         string         `json:"url,omitempty"`
	Color       int            `json:"color"`
	Fields      []discordField `json:"fields,omitempty"`
	Timestamp   string         `json:"timestamp,omitempty"`
	Footer      map[string]any `json:"footer"`
}

// discordPayload renders m as a webhook body, within Discord's limits.
func discordPayload(m message, at time.Time) map[string]any {
	esc := discordEscaper.Replace
	embed := discordEmbed{
		Title:       fit(m.Title, 256, esc),
		Description: fit(m.Intro, 4096, esc),
		Color:       color(m.State),
		Footer:      map[string]any{"text": "BetterStack"},
	}
	if strings.HasPrefix(m.Link, "https://") || strings.HasPrefix(m.Link, "http://") {
		embed.URL = m.Link
	}
	if !at.IsZero() {
		embed.Timestamp = at.UTC().Format(time.RFC3339)
	}
	for _, f := range m.Facts {
		embed.Fields = append(embed.Fields, discordField{
			Name:   f.Label,
			Value:  fit(f.Value, 1024, esc),
			Inline: f.Label != "Cause" && f.Label != "Comment" && f.Label != "URL",
		})
	}
	return map[string]any{
		"content":          icon(m.State) + " **" + m.Verb + ":** " + fit(m.Name, 1500, esc),
		"embeds":           []discordEmbed{embed},
		"allowed_mentions": map[string]any{"parse": []string{}},
	}
}
