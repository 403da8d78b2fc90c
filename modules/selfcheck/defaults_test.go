package selfcheck

import (
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/config"
)

// TestDefaultsMatchTheSettings: a Config left at zero (a caller that sets
// nothing, as the tests' and bench's services do) behaves as an install
// with the settings' defaults, not as one with no interval at all (a zero
// ticker interval panics).
func TestDefaultsMatchTheSettings(t *testing.T) {
	def := config.Defaults()
	c := Config{}.withDefaults()
	for _, tc := range []struct {
		name      string
		got, want time.Duration
	}{
		{"sample every", c.Every, 15 * time.Second},
		{"lag threshold (pipeline_lag_threshold)", c.Threshold, def.PipelineLagThreshold},
		{"live within", c.LiveWithin, 20 * time.Second},
		{"deadman_interval", c.DeadmanInterval, def.DeadmanInterval},
		{"operator_lag_alert", c.LagAlert, def.OperatorLagAlert},
		{"operator_region_silence", c.RegionSilence, def.OperatorRegionSilence},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: default %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	if c.HTTP == nil || c.HTTP.Timeout != 10*time.Second || c.Now == nil {
		t.Errorf("HTTP client %+v, Now set %v: want a 10 s client and a clock", c.HTTP, c.Now != nil)
	}
	// A value set is kept.
	if got := (Config{Every: time.Second, LagAlert: time.Hour}).withDefaults(); got.Every != time.Second || got.LagAlert != time.Hour {
		t.Errorf("set values replaced: every %v, lag alert %v", got.Every, got.LagAlert)
	}
}
