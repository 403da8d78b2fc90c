package notify_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/notify"
)

func fallbackDown() notify.FallbackNotice {
	return notify.FallbackNotice{
		Type: notify.FallbackDown, Key: "fallback:eu:7:1735787045000:down", OccurredAt: started.Add(time.Minute),
		WorkerID: "w1", Region: "eu", LastContact: started,
		MonitorID: 7, MonitorName: "API", Kind: "http", Target: "https://api.example.com/health",
		FirstFailureAt: started.Add(20 * time.Second), Failures: 3, Threshold: 3,
		ErrorClass: "connect", Error: "connection refused",
	}
}

func TestFallbackHookRequest(t *testing.T) {
	for _, tc := range []struct {
		name   string
		notice func() notify.FallbackNotice
	}{
		{"down", fallbackDown},
		{"recovered", func() notify.FallbackNotice {
			n := fallbackDown()
			n.Type, n.Key, n.RecoveredAt = notify.FallbackRecovered, "fallback:eu:7:1735787045000:recovered", started.Add(2*time.Minute)
			return n
		}},
		{"summary", func() notify.FallbackNotice {
			return notify.FallbackNotice{Type: notify.FallbackSummary, Key: "fallback:eu:w1:summary:1", OccurredAt: started.Add(2 * time.Minute),
				WorkerID: "w1", Region: "eu", LastContact: started,
				Held: 5, HeldDown: 4, HeldUp: 1, HeldIDs: []int64{1, 2, 3, 4}, HeldSince: started.Add(time.Minute), HeldPerMin: 20}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc := NewReceiver(t, http.StatusOK, "")
			n := tc.notice()
			hook := notify.FallbackHook{URL: rc.URL + "/fallback?token=abc", Secret: webhookSecret, Transport: notify.NewTransport(true, 5*time.Second)}
			if err := hook.Send(context.Background(), n); err != nil {
				t.Fatal(err)
			}
			req := rc.MustOne(t)
			if req.Method != http.MethodPost || req.Path != "/fallback" || req.RawQuery != "token=abc" {
				t.Errorf("request %s %s?%s", req.Method, req.Path, req.RawQuery)
			}
			for k, want := range map[string]string{
				"Content-Type": "application/json", "User-Agent": "BetterStack-Worker/1",
				"Betterstack-Event": n.Type, "Idempotency-Key": n.Key,
			} {
				if got := req.Header.Get(k); got != want {
					t.Errorf("header %s = %q, want %q", k, got, want)
				}
			}
			if err := notify.VerifySignature(webhookSecret, req.Header.Get("BetterStack-Signature"), req.Body, time.Now(), time.Minute); err != nil {
				t.Errorf("signature: %v", err)
			}
			var body struct {
				Event    string `json:"event"`
				ID       string `json:"id"`
				Fallback bool   `json:"fallback"`
				Message  string `json:"message"`
				Worker   struct {
					ID          string    `json:"id"`
					Region      string    `json:"region"`
					LastContact time.Time `json:"control_plane_last_contact_at"`
				} `json:"worker"`
				Monitor *struct {
					ID     int64  `json:"id"`
					Name   string `json:"name"`
					Kind   string `json:"kind"`
					Target string `json:"target"`
				} `json:"monitor"`
				Failure *struct {
					FirstFailureAt      time.Time `json:"first_failure_at"`
					ConsecutiveFailures int       `json:"consecutive_failures"`
					FailureThreshold    int       `json:"failure_threshold"`
					ErrorClass          string    `json:"error_class"`
					Error               string    `json:"error"`
				} `json:"failure"`
				RecoveredAt *time.Time `json:"recovered_at"`
				Summary     *struct {
					HeldBack   int     `json:"held_back"`
					Down       int     `json:"down"`
					Recovered  int     `json:"recovered"`
					MonitorIDs []int64 `json:"monitor_ids"`
					PerMinute  int     `json:"per_minute"`
				} `json:"summary"`
			}
			if err := json.Unmarshal(req.Body, &body); err != nil {
				t.Fatalf("body: %v\n%s", err, req.Body)
			}
			if body.Event != n.Type || body.ID != n.Key || !body.Fallback || body.Worker.ID != "w1" || body.Worker.Region != "eu" || !body.Worker.LastContact.Equal(started) {
				t.Errorf("body = %s", req.Body)
			}
			for _, s := range []string{"FALLBACK NOTICE", "worker w1", "region eu", "cannot reach its control plane"} {
				if !strings.Contains(body.Message, s) {
					t.Errorf("message %q does not say %q", body.Message, s)
				}
			}
			switch n.Type {
			case notify.FallbackSummary:
				if body.Monitor != nil || body.Failure != nil || body.Summary == nil {
					t.Fatalf("summary body = %s", req.Body)
				}
				if s := body.Summary; s.HeldBack != 5 || s.Down != 4 || s.Recovered != 1 || len(s.MonitorIDs) != 4 || s.PerMinute != 20 {
					t.Errorf("summary = %+v", s)
				}
				if !strings.Contains(body.Message, "5 more notices (4 down, 1 recovered)") {
					t.Errorf("message %q", body.Message)
				}
			default:
				if body.Monitor == nil || body.Failure == nil || body.Summary != nil {
					t.Fatalf("body = %s", req.Body)
				}
				if m := body.Monitor; m.ID != 7 || m.Name != "API" || m.Kind != "http" || m.Target != "https://api.example.com/health" {
					t.Errorf("monitor = %+v", m)
				}
				if f := body.Failure; !f.FirstFailureAt.Equal(n.FirstFailureAt) || f.ConsecutiveFailures != 3 || f.FailureThreshold != 3 ||
					f.ErrorClass != "connect" || f.Error != "connection refused" {
					t.Errorf("failure = %+v", f)
				}
				if !strings.Contains(body.Message, `Monitor 7 "API" (https://api.example.com/health)`) {
					t.Errorf("message %q does not name the monitor", body.Message)
				}
				if n.Type == notify.FallbackDown && (body.RecoveredAt != nil || !strings.Contains(body.Message, "is DOWN") ||
					!strings.Contains(body.Message, "the last: connect: connection refused")) {
					t.Errorf("down: recovered_at %v, message %q", body.RecoveredAt, body.Message)
				}
				if n.Type == notify.FallbackRecovered && (body.RecoveredAt == nil || !body.RecoveredAt.Equal(n.RecoveredAt) || !strings.Contains(body.Message, "is UP again")) {
					t.Errorf("recovered: recovered_at %v, message %q", body.RecoveredAt, body.Message)
				}
			}
		})
	}
}

// TestFallbackHookUnsigned: without a secret the body goes unsigned (the
// setting is optional); a refusal is permanent and names no path or query.
func TestFallbackHookUnsigned(t *testing.T) {
	rc := NewReceiver(t, http.StatusForbidden, "no")
	hook := notify.FallbackHook{URL: rc.URL + "/hook/s3cr3t?token=s3cr3t", Transport: notify.NewTransport(true, 5*time.Second)}
	err := hook.Send(context.Background(), fallbackDown())
	if err == nil || !notify.IsPermanent(err) || strings.Contains(err.Error(), "s3cr3t") {
		t.Fatalf("err = %v; want a permanent error that names no secret", err)
	}
	if sig := rc.MustOne(t).Header.Get("BetterStack-Signature"); sig != "" {
		t.Errorf("signature %q sent without a secret", sig)
	}
}
