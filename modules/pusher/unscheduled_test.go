package pusher

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/monitor"
	"github.com/betterstack/betterstack/modules/probe"
)

// TestTick_UnscheduledKindsAreNeverPublished: a heartbeat monitor (a kind
// with Scheduled false) is fed by its pings; two pushers claiming for ten
// minutes publish the HTTP monitor's checks and not one job for it.
func TestTick_UnscheduledKindsAreNeverPublished(t *testing.T) {
	r := newRig(t, 2)
	web := r.create("https://shop.example/health", time.Minute)
	sec := 60
	hb, err := r.monitors.Create(context.Background(), r.owner, monitor.Input{
		Name:            ptr("nightly backup"),
		Check:           &probe.Spec{Kind: "heartbeat", Config: json.RawMessage(`{"period":"1h","grace":"5m"}`)},
		IntervalSeconds: &sec,
	})
	if err != nil {
		t.Fatal(err)
	}
	if hb.Scheduled() {
		t.Fatal("a heartbeat monitor says it is scheduled")
	}
	jobs := r.run(10*time.Minute, time.Second)
	if n := len(of(jobs, hb.ID)); n != 0 {
		t.Errorf("%d jobs published for the heartbeat monitor, want none", n)
	}
	if n := len(of(jobs, web.ID)); n < 9 {
		t.Errorf("%d jobs for the HTTP monitor in 10 minutes, want about 10 (the claim must still work)", n)
	}
}
