package incident

import (
	"testing"
	"time"
)

// TestNewIncident_CauseIsOneRegionsObservationNamed: with regions failing
// for different reasons, the cause is the majority class and the message
// and status code of the latest region that saw that class, named; never
// the class of one region with the message of another.
func TestNewIncident_CauseIsOneRegionsObservationNamed(t *testing.T) {
	at := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	c := Change{MonitorID: 1, Status: "down", At: at, Regions: []RegionSnapshot{
		{Region: "eu", Failing: true, Status: "down", ErrorClass: "http_status", Error: "status 503", StatusCode: 503, CheckedAt: at.Add(-5 * time.Second)},
		{Region: "us", Failing: true, Status: "down", ErrorClass: "http_status", Error: "status 502", StatusCode: 502, CheckedAt: at.Add(-3 * time.Second)},
		// The latest check of all, of the minority class.
		{Region: "ap", Failing: true, Status: "down", ErrorClass: "timeout", Error: "timed out after 5s", CheckedAt: at.Add(-time.Second)},
	}}
	got := newIncident(c, monitorInfo{ID: 1}, KindDown).Cause
	want := Cause{ErrorClass: "http_status", Message: "status 502", StatusCode: 502, Region: "us"}
	if got != want {
		t.Errorf("cause = %+v, want %+v (us: the latest of the majority class)", got, want)
	}
}
