package notify_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/notify"
)

const webhookSecret = "0123456789abcdef-webhook"

func TestWebhookRequest(t *testing.T) {
	for _, typ := range allEventTypes {
		t.Run(typ, func(t *testing.T) {
			rc := NewReceiver(t, http.StatusNoContent, "")
			ch := MustParse(t, "webhook", map[string]any{"url": rc.URL + "/hook?team=ops", "secret": webhookSecret})
			e := NewEvent(typ)
			MustSend(t, ch, e)

			req := rc.MustOne(t)
			if req.Method != http.MethodPost || req.Path != "/hook" || req.RawQuery != "team=ops" {
				t.Errorf("request %s %s?%s, want POST /hook?team=ops", req.Method, req.Path, req.RawQuery)
			}
			for k, want := range map[string]string{
				"Content-Type":      "application/json",
				"User-Agent":        "BetterStack-Webhook/1",
				"Betterstack-Event": typ,
				"Idempotency-Key":   e.Key,
			} {
				if got := req.Header.Get(k); got != want {
					t.Errorf("header %s = %q, want %q", k, got, want)
				}
			}
			sig := req.Header.Get("BetterStack-Signature")
			if err := notify.VerifySignature(webhookSecret, sig, req.Body, time.Now(), time.Minute); err != nil {
				t.Errorf("signature does not verify: %v", err)
			}
			// The documented scheme, computed independently of the package.
			ts, v1, _ := strings.Cut(strings.TrimPrefix(sig, "t="), ",v1=")
			mac := hmac.New(sha256.New, []byte(webhookSecret))
			mac.Write([]byte(ts + "." + string(req.Body)))
			if want := hex.EncodeToString(mac.Sum(nil)); v1 != want {
				t.Errorf("signature %q, want t=%s,v1=%s", sig, ts, want)
			}

			var body struct {
				Event      string          `json:"event"`
				ID         string          `json:"id"`
				OccurredAt time.Time       `json:"occurred_at"`
				Incident   json.RawMessage `json:"incident"`
				Monitor    struct {
					ID     int64  `json:"id"`
					Name   string `json:"name"`
					URL    string `json:"url"`
					Target string `json:"target"`
				} `json:"monitor"`
				Actor string `json:"actor"`
				Link  string `json:"link"`
			}
			if err := json.Unmarshal(req.Body, &body); err != nil {
				t.Fatalf("body: %v\n%s", err, req.Body)
			}
			if body.Event != typ || body.ID != e.Key || !body.OccurredAt.Equal(e.OccurredAt) || body.Actor != e.Actor || body.Link != e.Link {
				t.Errorf("body = %+v, want the event's fields", body)
			}
			if body.Monitor.ID != 7 || body.Monitor.Name != "API" || body.Monitor.URL != e.Monitor.URL || body.Monitor.Target != e.Monitor.Target {
				t.Errorf("monitor = %+v", body.Monitor)
			}
			if typ == notify.EventTest {
				if string(body.Incident) != "null" {
					t.Errorf("test event incident = %s, want null", body.Incident)
				}
				return
			}
			in := MustJSON(t, body.Incident)
			if in["id"] != float64(42) || in["kind"] != "down" || in["status"] != e.Incident.Status ||
				path(in, "cause", "status_code") != float64(503) || path(in, "regions", 1) != "us-east" {
				t.Errorf("incident = %s", body.Incident)
			}
			if typ == notify.EventResolved && in["resolved_at"] == nil {
				t.Errorf("resolved event has no resolved_at: %s", body.Incident)
			}
		})
	}
}

// The webhook body is data: the name arrives exactly as typed, and the
// receiver escapes it wherever it shows it.
func TestWebhookCarriesTextVerbatim(t *testing.T) {
	rc := NewReceiver(t, http.StatusOK, "")
	MustSend(t, MustParse(t, "webhook", map[string]any{"url": rc.URL, "secret": webhookSecret}), NewEvilEvent())
	body := MustJSON(t, rc.MustOne(t).Body)
	if got := path(body, "monitor", "name"); got != evilName {
		t.Fatalf("monitor.name = %q, want %q", got, evilName)
	}
}

func TestVerifySignature(t *testing.T) {
	body := []byte(`{"event":"incident.opened"}`)
	now := time.Unix(1_700_000_000, 0)
	header := notify.Sign(webhookSecret, now, body)
	tests := []struct {
		name   string
		secret string
		header string
		body   []byte
		now    time.Time
		ok     bool
	}{
		{"valid", webhookSecret, header, body, now, true},
		{"valid within tolerance", webhookSecret, header, body, now.Add(4 * time.Minute), true},
		{"rotated secret: any v1 may match", webhookSecret, notify.Sign("another-secret-123456", now, body) + "," + strings.Split(header, ",")[1], body, now, true},
		{"tampered body", webhookSecret, header, []byte(`{"event":"incident.resolved"}`), now, false},
		{"wrong secret", "another-secret-123456", header, body, now, false},
		{"old timestamp", webhookSecret, header, body, now.Add(6 * time.Minute), false},
		{"timestamp from the future", webhookSecret, header, body, now.Add(-6 * time.Minute), false},
		{"replayed signature with a new timestamp", webhookSecret, fmt.Sprintf("t=%d,%s", now.Unix()+60, strings.Split(header, ",")[1]), body, now, false},
		{"missing header", webhookSecret, "", body, now, false},
		{"no signature", webhookSecret, fmt.Sprintf("t=%d", now.Unix()), body, now, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := notify.VerifySignature(tt.secret, tt.header, tt.body, tt.now, 5*time.Minute)
			if tt.ok && err != nil {
				t.Fatalf("got %v, want valid", err)
			}
			if !tt.ok && !errors.Is(err, notify.ErrInvalidSignature) {
				t.Fatalf("got %v, want ErrInvalidSignature", err)
			}
		})
	}
}

// TestMessagesNameTheTarget: a monitor that is not an http check is named
// by its target, labelled so, in text messages and the webhook (it used to
// come as a "URL" that was not one).
func TestMessagesNameTheTarget(t *testing.T) {
	rc := NewReceiver(t, http.StatusNoContent, "")
	ch := MustParse(t, "webhook", map[string]any{"url": rc.URL + "/hook", "secret": webhookSecret})
	e := NewEvent(notify.EventOpened)
	e.Monitor = notify.Monitor{ID: 9, Name: "nightly", Target: "every 1m (grace 1m)"}
	MustSend(t, ch, e)
	body := string(rc.MustOne(t).Body)
	if !strings.Contains(body, `"url":""`) || !strings.Contains(body, `"target":"every 1m (grace 1m)"`) {
		t.Errorf("webhook monitor: %s", body)
	}
	slack := NewReceiver(t, http.StatusOK, "ok")
	MustSend(t, MustParse(t, "slack", map[string]any{"url": slack.URL + "/services/x"}), e)
	text := string(slack.MustOne(t).Body)
	if !strings.Contains(text, "Target") || !strings.Contains(text, "every 1m (grace 1m)") || strings.Contains(text, "URL") {
		t.Errorf("slack message: %s", text)
	}
}
