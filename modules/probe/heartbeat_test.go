package probe

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/betterstack/betterstack/modules/apperr"
)

func TestHeartbeatKind(t *testing.T) {
	k, err := LookupKind("heartbeat")
	if err != nil || k.Scheduled {
		t.Fatalf("heartbeat kind: %+v %v (must not be scheduled)", k, err)
	}
	for _, tc := range []struct {
		name, spec, target string
		bad                []string // fields named in the error
	}{
		{"period", `{"period":"1h","grace":"5m"}`, "every 1h (grace 5m)", nil},
		{"cron with zone", `{"cron":"0 3 * * *","tz":"Europe/Berlin","grace":"30m","min_run":"10s","max_run":"2h"}`, "cron 0 3 * * * Europe/Berlin (grace 30m)", nil},
		{"cron in UTC", `{"cron":"*/15 * * * *","grace":"2d"}`, "cron */15 * * * * UTC (grace 2d)", nil},
		{"neither", `{"grace":"5m"}`, "", []string{"check.period"}},
		{"both", `{"period":"1h","cron":"0 3 * * *"}`, "", []string{"check.period"}},
		{"bad durations", `{"period":"soon","grace":"-5m","min_run":"1x"}`, "", []string{"check.period", "check.grace", "check.min_run"}},
		{"bad cron and zone", `{"cron":"0 3 * *","tz":"Mars/Olympus","grace":"5m"}`, "", []string{"check.cron", "check.tz"}},
		{"min not below max", `{"period":"1h","grace":"5m","min_run":"2h","max_run":"1h"}`, "", []string{"check.min_run"}},
		{"unknown field", `{"period":"1h","grace":"5m","url":"x"}`, "", []string{"check.url"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse(Spec{Kind: "heartbeat", Config: json.RawMessage(tc.spec)})
			if tc.bad == nil {
				if err != nil {
					t.Fatal(err)
				}
				if c.Target() != tc.target {
					t.Fatalf("Target() = %q, want %q", c.Target(), tc.target)
				}
				return
			}
			var ae *apperr.Error
			if !errors.As(err, &ae) || ae.Kind != apperr.Invalid {
				t.Fatalf("err = %v, want a validation error", err)
			}
			for _, f := range tc.bad {
				if _, ok := ae.Fields[f]; !ok {
					t.Errorf("error does not name %s: %v", f, ae.Fields)
				}
			}
		})
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]string{"": "0s", "90s": "1m30s", "1h30m": "1h30m0s", "2d": "48h0m0s", " 5m ": "5m0s"} {
		d, err := ParseDuration(in)
		if err != nil || d.String() != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %s", in, d, err, want)
		}
	}
	for _, in := range []string{"-1m", "d", "1.5d", "soon"} {
		if _, err := ParseDuration(in); err == nil || !strings.Contains(err.Error(), "duration") {
			t.Errorf("ParseDuration(%q) = %v, want an error", in, err)
		}
	}
}
