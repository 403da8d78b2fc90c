package dashboard

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/betterstack/betterstack/modules/apperr"
	"github.com/betterstack/betterstack/modules/notify"
)

// Kinds of form field a channel's configuration uses.
const (
	fieldText   = "text"
	fieldURL    = "url"
	fieldEmail  = "email"
	fieldSecret = "secret" // a password input; masked when read back
	fieldNumber = "number"
	fieldList   = "list" // comma- or line-separated, a JSON list of strings
	fieldSelect = "select"
)

// channelField is one configuration field of a channel type, as package
// notify names it (the JSON key) and the form shows it.
type channelField struct {
	Key      string
	Label    string
	Kind     string
	Required bool
	Hint     string
	Options  []string // fieldSelect
}

// channelType is a channel type and its form.
type channelType struct {
	Name   string
	Label  string
	About  string
	Fields []channelField
}

// channelTypes is the form of every type in package notify (validate.go and
// each <type>.go say what the fields mean; notify validates them, this
// table only lays them out).
var channelTypes = []channelType{
	{"webhook", "Webhook", "A signed JSON POST to your own endpoint.", []channelField{
		{Key: "url", Label: "URL", Kind: fieldURL, Required: true, Hint: "http or https"},
		{Key: "secret", Label: "Signing secret", Kind: fieldSecret, Required: true,
			Hint: "At least 16 characters; every request carries an HMAC signature made with it."},
	}},
	{"slack", "Slack", "A message through a Slack incoming webhook.", []channelField{
		{Key: "url", Label: "Incoming webhook URL", Kind: fieldSecret, Required: true, Hint: "https://hooks.slack.com/services/…"},
	}},
	{"discord", "Discord", "A message through a Discord channel webhook.", []channelField{
		{Key: "url", Label: "Webhook URL", Kind: fieldSecret, Required: true, Hint: "https://discord.com/api/webhooks/…"},
	}},
	{"teams", "Microsoft Teams", "An Adaptive Card through a Teams Workflows webhook.", []channelField{
		{Key: "url", Label: "Workflows webhook URL", Kind: fieldSecret, Required: true},
	}},
	{"telegram", "Telegram", "A message from your bot to a chat or channel.", []channelField{
		{Key: "bot_token", Label: "Bot token", Kind: fieldSecret, Required: true, Hint: "From @BotFather, like 123456:ABC-DEF…"},
		{Key: "chat_id", Label: "Chat ID", Kind: fieldText, Required: true, Hint: "A numeric chat ID or an @channel name."},
		{Key: "api_url", Label: "API URL", Kind: fieldURL, Hint: "The Bot API server, if not api.telegram.org."},
	}},
	{"email", "E-mail", "A plain-text and HTML e-mail through your SMTP server.", []channelField{
		{Key: "host", Label: "SMTP host", Kind: fieldText, Required: true},
		{Key: "port", Label: "Port", Kind: fieldNumber, Hint: "Default 587 for STARTTLS, 465 for TLS, 25 without."},
		{Key: "tls", Label: "Encryption", Kind: fieldSelect, Options: []string{notify.EmailSTARTTLS, notify.EmailTLS, notify.EmailNoTLS}},
		{Key: "username", Label: "Username", Kind: fieldText},
		{Key: "password", Label: "Password", Kind: fieldSecret, Hint: "Required with a username."},
		{Key: "from", Label: "From", Kind: fieldEmail, Required: true, Hint: "alerts@example.com"},
		{Key: "to", Label: "To", Kind: fieldList, Required: true, Hint: "One or more addresses, separated by commas or lines."},
	}},
	{"pagerduty", "PagerDuty", "Events API v2: one PagerDuty alert per incident, resolved with it.", []channelField{
		{Key: "routing_key", Label: "Integration (routing) key", Kind: fieldSecret, Required: true},
		{Key: "api_url", Label: "API URL", Kind: fieldURL, Hint: "Leave empty for PagerDuty's Events API."},
	}},
	{"opsgenie", "Opsgenie", "One Opsgenie alert per incident, closed with it.", []channelField{
		{Key: "api_key", Label: "API key", Kind: fieldSecret, Required: true},
		{Key: "api_url", Label: "API URL", Kind: fieldURL, Hint: "For the EU instance: https://api.eu.opsgenie.com."},
	}},
	{"ntfy", "ntfy", "A push notification through an ntfy server.", []channelField{
		{Key: "url", Label: "Topic URL", Kind: fieldURL, Required: true, Hint: "Server and topic, e.g. https://ntfy.sh/mytopic"},
		{Key: "token", Label: "Access token", Kind: fieldSecret},
		{Key: "priority", Label: "Priority", Kind: fieldNumber, Hint: "1 (min) to 5 (max)."},
	}},
}

// channelTypeOf returns the form of a type.
func channelTypeOf(name string) (channelType, bool) {
	for _, t := range channelTypes {
		if t.Name == name {
			return t, true
		}
	}
	return channelType{}, false
}

// channelTypeLabel names a type for people.
func channelTypeLabel(name string) string {
	if t, ok := channelTypeOf(name); ok {
		return t.Label
	}
	return name
}

// channelInput is one field of a channel form as shown.
type channelInput struct {
	channelField
	Name  string // the form field: config.<key>, as the service names errors
	Value string
	Saved bool // a secret is stored; leaving the input empty keeps it
}

// channelInputs fills t's fields from a stored (masked) configuration.
func channelInputs(t channelType, config json.RawMessage) []channelInput {
	var stored map[string]any
	if len(config) > 0 {
		// A config that does not decode shows empty fields; saving replaces it.
		_ = json.Unmarshal(config, &stored)
	}
	out := make([]channelInput, 0, len(t.Fields))
	for _, f := range t.Fields {
		in := channelInput{channelField: f, Name: "config." + f.Key}
		switch v := stored[f.Key].(type) {
		case string:
			if f.Kind == fieldSecret {
				in.Saved = v != ""
			} else {
				in.Value = v
			}
		case float64:
			if v != 0 {
				in.Value = strconv.FormatFloat(v, 'f', -1, 64)
			}
		case []any:
			parts := make([]string, 0, len(v))
			for _, p := range v {
				if s, ok := p.(string); ok {
					parts = append(parts, s)
				}
			}
			in.Value = strings.Join(parts, ", ")
		}
		out = append(out, in)
	}
	return out
}

// channelForm reads t's fields from a submitted form: the inputs to show
// again if the service refuses them, and the configuration to save. When
// editing, an empty secret is sent masked, which keeps the stored one.
func channelForm(t channelType, value func(string) string, editing bool, saved []channelInput) ([]channelInput, json.RawMessage, apperr.Fields) {
	bad := apperr.Fields{}
	config := map[string]any{}
	inputs := make([]channelInput, 0, len(t.Fields))
	for i, f := range t.Fields {
		in := channelInput{channelField: f, Name: "config." + f.Key, Value: strings.TrimSpace(value("config." + f.Key))}
		if editing && i < len(saved) {
			in.Saved = saved[i].Saved
		}
		switch {
		case f.Kind == fieldSecret && in.Value == "" && in.Saved:
			config[f.Key] = notify.Masked
		case in.Value == "":
		case f.Kind == fieldNumber:
			n, err := strconv.Atoi(in.Value)
			if err != nil {
				bad.Add(in.Name, "must be a whole number")
			}
			config[f.Key] = n
		case f.Kind == fieldList:
			config[f.Key] = splitAddresses(in.Value)
		default:
			config[f.Key] = in.Value
		}
		inputs = append(inputs, in)
	}
	raw, err := json.Marshal(config)
	if err != nil { // a map of strings, ints and string lists always encodes
		bad.Add("config", "could not be encoded")
	}
	return inputs, raw, bad
}

// withConfigErrors adds what notify says of the rest of a new channel's
// configuration to the fields the form could not read, so every problem is
// shown at once.
func withConfigErrors(bad apperr.Fields, typ string, config json.RawMessage) error {
	_, err := notify.Parse(typ, config)
	if ae := apperr.As(err); ae != nil {
		for k, v := range ae.Fields {
			bad.Add(k, v)
		}
	}
	return bad.Err()
}

// splitAddresses splits "a@x, b@y" or one address a line into a list.
func splitAddresses(s string) []string {
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' || r == ';' })
	out := make([]string, 0, len(parts))
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
