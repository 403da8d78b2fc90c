package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/betterstack/betterstack/modules/apperr"
)

// DefaultOpsgenieAPI is the Opsgenie API used without api_url (EU accounts
// use https://api.eu.opsgenie.com).
const DefaultOpsgenieAPI = "https://api.opsgenie.com"

// Opsgenie creates an alert with alias "betterstack-incident-<id>" on
// incident.opened (and again on incident.reminder, which Opsgenie
// deduplicates by alias and counts), and acknowledges or closes it by alias
// on incident.acknowledged and incident.resolved. A test event creates a P5
// alert with alias "betterstack-test-<event key>".
type Opsgenie struct {
	APIKey string `json:"api_key"` // secret: sent as "Authorization: GenieKey <key>"
	APIURL string `json:"api_url"` // optional, default DefaultOpsgenieAPI
}

var _ Channel = (*Opsgenie)(nil)

// Validate implements Channel.
func (c *Opsgenie) Validate() error {
	f := apperr.Fields{}
	checkToken(f, "api_key", c.APIKey, 128)
	checkURL(f, "api_url", c.APIURL, false)
	return f.Err()
}

// Send implements Channel.
func (c *Opsgenie) Send(ctx context.Context, t Transport, e Event) error {
	if err := prepare(c, e); err != nil {
		return err
	}
	path, payload := opsgenieRequest(e)
	body, err := json.Marshal(payload)
	if err != nil {
		return permanent(fmt.Errorf("opsgenie: encode: %w", err))
	}
	api := c.APIURL
	if api == "" {
		api = DefaultOpsgenieAPI
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("Authorization", "GenieKey "+c.APIKey)
	_, err = doHTTP(ctx, t, http.MethodPost, strings.TrimRight(api, "/")+path, h, body)
	return err
}

// opsgenieRequest returns the API path (with query) and body for e.
func opsgenieRequest(e Event) (string, map[string]any) {
	alias := incidentAlias(e)
	m := describe(e)
	switch e.Type {
	case EventAcknowledged, EventResolved, EventOperatorResolved:
		op := "acknowledge"
		if e.Type == EventResolved || e.Type == EventOperatorResolved {
			op = "close"
		}
		body := map[string]any{"source": "BetterStack", "note": truncate(m.Intro, 25000)}
		if actor := oneLine(e.Actor); actor != "" {
			body["user"] = truncate(actor, 100)
		}
		return "/v2/alerts/" + url.PathEscape(alias) + "/" + op + "?identifierType=alias", body
	}
	priority := "P1"
	switch m.State {
	case "degraded":
		priority = "P3"
	case "test":
		priority = "P5"
	}
	details := map[string]string{}
	var desc strings.Builder
	desc.WriteString(m.Intro + "\n")
	for _, f := range m.Facts {
		details[f.Label] = truncate(f.Value, 8000)
		desc.WriteString("\n" + f.Label + ": " + f.Value)
	}
	if m.Link != "" {
		details["Link"] = m.Link
		desc.WriteString("\n\n" + m.Link)
	}
	return "/v2/alerts", map[string]any{
		"message":     truncate(m.Title, 130),
		"alias":       alias,
		"description": truncate(desc.String(), 15000),
		"source":      "BetterStack",
		"entity":      truncate(m.Name, 512),
		"tags":        []string{"betterstack", m.State},
		"details":     details,
		"priority":    priority,
	}
}
