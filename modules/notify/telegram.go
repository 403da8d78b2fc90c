package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"regexp"
	"strings"

	"github.com/betterstack/betterstack/modules/apperr"
)

// DefaultTelegramAPI is the Bot API a Telegram channel uses without api_url.
const DefaultTelegramAPI = "https://api.telegram.org"

// Telegram sends a message through a bot (sendMessage, parse_mode HTML).
// User text is HTML-escaped, so the only tags are ours. The bot token is
// part of the request URL, which is why errors never include URLs.
type Telegram struct {
	BotToken string `json:"bot_token"` // secret
	ChatID   string `json:"chat_id"`   // numeric ID ("-100123...") or "@channelname"
	APIURL   string `json:"api_url"`   // optional, default DefaultTelegramAPI
}

var _ Channel = (*Telegram)(nil)

// Telegram's formats: the token is "<bot id>:<secret>"; a chat is a
// (possibly negative) integer or a public @username.
var (
	telegramToken = regexp.MustCompile(`^[0-9]{1,20}:[A-Za-z0-9_-]{20,100}$`)
	telegramChat  = regexp.MustCompile(`^(-?[0-9]{1,20}|@[A-Za-z][A-Za-z0-9_]{3,64})$`)
)

// Validate implements Channel.
func (c *Telegram) Validate() error {
	f := apperr.Fields{}
	switch {
	case c.BotToken == "":
		f.Add("config.bot_token", "required")
	case !telegramToken.MatchString(c.BotToken):
		f.Add("config.bot_token", "must look like 123456:ABC-DEF… (from @BotFather)")
	}
	switch {
	case c.ChatID == "":
		f.Add("config.chat_id", "required")
	case !telegramChat.MatchString(c.ChatID):
		f.Add("config.chat_id", "must be a numeric chat ID or an @channel name")
	}
	checkURL(f, "api_url", c.APIURL, false)
	return f.Err()
}

// Send implements Channel.
func (c *Telegram) Send(ctx context.Context, t Transport, e Event) error {
	if err := prepare(c, e); err != nil {
		return err
	}
	body, err := json.Marshal(map[string]any{
		"chat_id":              c.ChatID,
		"text":                 telegramText(describe(e)),
		"parse_mode":           "HTML",
		"link_preview_options": map[string]any{"is_disabled": true},
	})
	if err != nil {
		return permanent(fmt.Errorf("telegram: encode: %w", err))
	}
	api := c.APIURL
	if api == "" {
		api = DefaultTelegramAPI
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	_, err = doHTTP(ctx, t, http.MethodPost, strings.TrimRight(api, "/")+"/bot"+c.BotToken+"/sendMessage", h, body)
	return err
}

// telegramText renders m in Telegram's HTML subset. Its length stays far
// below the 4096-character limit because describe bounds every piece.
func telegramText(m message) string {
	esc := html.EscapeString
	var b strings.Builder
	b.WriteString(icon(m.State) + " <b>" + esc(m.Title) + "</b>\n" + esc(m.Intro) + "\n")
	for _, f := range m.Facts {
		b.WriteString("\n<b>" + f.Label + ":</b> " + esc(f.Value))
	}
	if strings.HasPrefix(m.Link, "https://") || strings.HasPrefix(m.Link, "http://") {
		b.WriteString("\n\n<a href=\"" + esc(m.Link) + "\">View incident in BetterStack</a>")
	}
	return b.String()
}
