package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/betterstack/betterstack/modules/apperr"
)

// DefaultPagerDutyAPI is the Events API v2 endpoint used without api_url.
const DefaultPagerDutyAPI = "https://events.pagerduty.com/v2/enqueue"

// PagerDuty sends Events API v2 events: trigger on incident.opened and
// incident.reminder, acknowledge on incident.acknowledged, resolve on
// incident.resolved, all with dedup_key "betterstack-incident-<id>", so one
// BetterStack incident is one PagerDuty alert and resolving it closes the
// page. A test event triggers an info-severity alert with its own dedup key
// ("betterstack-test-<event key>"), which has to be resolved in PagerDuty.
type PagerDuty struct {
	RoutingKey string `json:"routing_key"` // secret: the integration key
	APIURL     string `json:"api_url"`     // optional, default DefaultPagerDutyAPI
}

var _ Channel = (*PagerDuty)(nil)

// Validate implements Channel.
func (c *PagerDuty) Validate() error {
	f := apperr.Fields{}
	checkToken(f, "routing_key", c.RoutingKey, 128)
	checkURL(f, "api_url", c.APIURL, false)
	return f.Err()
}

// Send implements Channel.
func (c *PagerDuty) Send(ctx context.Context, t Transport, e Event) error {
	if err := prepare(c, e); err != nil {
		return err
	}
	body, err := json.Marshal(pagerDutyEvent(c.RoutingKey, e))
	if err != nil {
		return permanent(fmt.Errorf("pagerduty: encode: %w", err))
	}
	api := c.APIURL
	if api == "" {
		api = DefaultPagerDutyAPI
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	_, err = doHTTP(ctx, t, http.MethodPost, api, h, body)
	return err
}

// incidentAlias is the key an incident is known by in PagerDuty and
// Opsgenie, so later events reach the same alert.
func incidentAlias(e Event) string {
	switch e.Type {
	case EventTest:
		return "betterstack-test-" + oneLine(truncate(e.Key, 200))
	case EventOperatorAlert, EventOperatorResolved:
		return "betterstack-operator-" + oneLine(truncate(e.Monitor.Name, 200))
	}
	return "betterstack-incident-" + strconv.FormatInt(e.Incident.ID, 10)
}

// pagerDutyEvent maps e to an Events API v2 event.
func pagerDutyEvent(routingKey string, e Event) map[string]any {
	action := "trigger"
	switch e.Type {
	case EventAcknowledged:
		action = "acknowledge"
	case EventResolved, EventOperatorResolved:
		action = "resolve"
	}
	ev := map[string]any{
		"routing_key":  routingKey,
		"event_action": action,
		"dedup_key":    incidentAlias(e),
		"client":       "BetterStack",
	}
	if e.Link != "" {
		ev["client_url"] = e.Link
	}
	if action != "trigger" {
		return ev // PagerDuty ignores a payload on acknowledge and resolve
	}
	m := describe(e)
	severity := "critical"
	switch m.State {
	case "degraded":
		severity = "warning"
	case "test":
		severity = "info"
	}
	details := map[string]string{}
	for _, f := range m.Facts {
		details[f.Label] = f.Value
	}
	_, source := e.Monitor.what()
	if source == "" {
		source = "BetterStack"
	}
	payload := map[string]any{
		"summary":        truncate(m.Title+" — "+m.Intro, 1024),
		"source":         truncate(source, 255),
		"severity":       severity,
		"component":      m.Name,
		"class":          e.Incident.Cause.ErrorClass,
		"custom_details": details,
	}
	if at := e.Incident.StartedAt; !at.IsZero() {
		payload["timestamp"] = at.UTC().Format(time.RFC3339)
	}
	ev["payload"] = payload
	if e.Link != "" {
		ev["links"] = []map[string]string{{"href": e.Link, "text": "View incident in BetterStack"}}
	}
	return ev
}
