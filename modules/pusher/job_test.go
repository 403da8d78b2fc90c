package pusher

import (
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/monitor"
)

// TestJobCarriesNameAndThresholds: the job names its monitor and carries
// its thresholds, which is all a worker that loses Redis has to confirm a
// failure and say which monitor it is about.
func TestJobCarriesNameAndThresholds(t *testing.T) {
	r := newRig(t, 1)
	m := r.create("https://shop.example/health", time.Minute)
	r.update(m.ID, monitor.Input{Name: ptr("shop health"), FailureThreshold: ptr(4), RecoveryThreshold: ptr(3)})
	jobs := of(r.run(2*time.Minute, time.Second), m.ID)
	if len(jobs) == 0 {
		t.Fatal("no job published")
	}
	for _, j := range jobs {
		if j.Name != "shop health" || j.FailureThreshold != 4 || j.RecoveryThreshold != 3 {
			t.Fatalf("job %s: name %q, thresholds %d/%d; want \"shop health\", 4/3", j.ID, j.Name, j.FailureThreshold, j.RecoveryThreshold)
		}
	}
}
