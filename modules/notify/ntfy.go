package notify

import (
	"context"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/betterstack/betterstack/modules/apperr"
)

// Ntfy publishes to an ntfy topic (ntfy.sh or self-hosted): a plain-text
// body with Title, Priority, Tags and Click headers. ntfy shows the body as
// plain text, so it needs no escaping; header values are cut to one line
// (no CR or LF can start another header) and non-ASCII titles are sent
// RFC 2047-encoded, which ntfy decodes.
//
// Priority, when set, applies to incident.opened and incident.reminder;
// other events use at most the default priority 3. Unset, opened and
// reminder events of a down incident are sent with priority 4.
type Ntfy struct {
	URL      string `json:"url"`      // server and topic, e.g. https://ntfy.sh/mytopic
	Token    string `json:"token"`    // optional, secret: an access token sent as Bearer
	Priority int    `json:"priority"` // optional, 1 (min) to 5 (max)
}

var _ Channel = (*Ntfy)(nil)

// Validate implements Channel.
func (c *Ntfy) Validate() error {
	f := apperr.Fields{}
	checkURL(f, "url", c.URL, true)
	if _, ok := f["config.url"]; !ok {
		if u, err := url.Parse(c.URL); err == nil && strings.Trim(u.Path, "/") == "" {
			f.Add("config.url", "must include the topic, e.g. https://ntfy.sh/mytopic")
		}
	}
	if c.Token != "" {
		checkToken(f, "token", c.Token, 256)
	}
	if c.Priority < 0 || c.Priority > 5 {
		f.Add("config.priority", "must be between 1 and 5")
	}
	return f.Err()
}

// Send implements Channel.
func (c *Ntfy) Send(ctx context.Context, t Transport, e Event) error {
	if err := prepare(c, e); err != nil {
		return err
	}
	m := describe(e)
	h := http.Header{}
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Title", mime.BEncoding.Encode("utf-8", oneLine(m.Title)))
	h.Set("Priority", strconv.Itoa(c.priority(e, m)))
	h.Set("Tags", ntfyTag(m.State))
	if strings.HasPrefix(m.Link, "https://") || strings.HasPrefix(m.Link, "http://") {
		h.Set("Click", oneLine(m.Link))
	}
	if c.Token != "" {
		h.Set("Authorization", "Bearer "+c.Token)
	}
	_, err := doHTTP(ctx, t, http.MethodPost, c.URL, h, []byte(ntfyBody(m)))
	return err
}

// priority picks the ntfy priority of one event.
func (c *Ntfy) priority(e Event, m message) int {
	urgent := e.Type == EventOpened || e.Type == EventReminder || e.Type == EventOperatorAlert
	switch {
	case urgent && c.Priority != 0:
		return c.Priority
	case urgent && m.State == "down":
		return 4
	case c.Priority != 0:
		return min(c.Priority, 3)
	}
	return 3
}

// ntfyTag is the emoji shortcode ntfy shows before the title.
func ntfyTag(state string) string {
	switch state {
	case "down":
		return "rotating_light"
	case "degraded":
		return "warning"
	case "acknowledged":
		return "eyes"
	case "resolved":
		return "white_check_mark"
	}
	return "test_tube"
}

// ntfyBody is the plain-text message.
func ntfyBody(m message) string {
	var b strings.Builder
	b.WriteString(m.Intro + "\n")
	for _, f := range m.Facts {
		b.WriteString("\n" + f.Label + ": " + f.Value)
	}
	return b.String()
}
