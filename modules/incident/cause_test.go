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

// TestNewIncident_DegradedSaysWhy: a degraded incident's cause is what the
// degraded checks said: a certificate close to expiry is named as such
// (it used to read "responses slower than the monitor's degraded
// threshold" for every degraded incident, even with no threshold set), a
// ping's round trip over its limit keeps its message under the degraded
// class, and only a check that said nothing (it was slow) gets the
// threshold's message.
func TestNewIncident_DegradedSaysWhy(t *testing.T) {
	at := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		region RegionSnapshot
		want   Cause
	}{
		{"certificate", RegionSnapshot{Region: "eu", Status: "degraded", ErrorClass: "cert_expiry", Error: "certificate expires in 9 days", StatusCode: 200},
			Cause{ErrorClass: "cert_expiry", Message: "certificate expires in 9 days", StatusCode: 200, Region: "eu"}},
		{"round trip", RegionSnapshot{Region: "us", Status: "degraded", Error: "average RTT 120 ms over 100 ms"},
			Cause{ErrorClass: "degraded", Message: "average RTT 120 ms over 100 ms", Region: "us"}},
		{"slow", RegionSnapshot{Region: "ap", Status: "degraded", StatusCode: 200},
			Cause{ErrorClass: "degraded", Message: "responses slower than the monitor's degraded threshold", StatusCode: 200, Region: "ap"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.region
			r.CheckedAt = at.Add(-time.Second)
			// Another region still up says nothing about the cause.
			c := Change{MonitorID: 1, Status: "degraded", At: at, Regions: []RegionSnapshot{r, {Region: "zz", Status: "up", CheckedAt: at}}}
			if got := newIncident(c, monitorInfo{ID: 1}, KindDegraded).Cause; got != tc.want {
				t.Errorf("cause = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestRefOf: notifications carry a URL only for an http(s) check (its
// password masked), and every kind's target as it is written: a
// heartbeat's schedule used to arrive URL-escaped as its "url"
// ("every%201m%20%28grace%201m%29"), a TCP check's host:port as a URL.
func TestRefOf(t *testing.T) {
	for _, tc := range []struct {
		stored           string
		wantURL, wantTgt string
	}{
		{"https://shop.example/health", "https://shop.example/health", "https://shop.example/health"},
		{"http://bob:pa55@shop.example/x", "http://bob:redacted@shop.example/x", "http://bob:redacted@shop.example/x"},
		{"every 1m (grace 1m)", "", "every 1m (grace 1m)"},
		{"127.0.0.1:18091", "", "127.0.0.1:18091"},
		{"db.internal:5432", "", "db.internal:5432"},
		{"ftp://files.example/", "", "ftp://files.example/"},
	} {
		got := refOf(monitorInfo{ID: 7, Name: "n", URL: tc.stored})
		if got.ID != 7 || got.Name != "n" || got.URL != tc.wantURL || got.Target != tc.wantTgt {
			t.Errorf("refOf(%q) = %+v, want URL %q, target %q", tc.stored, got, tc.wantURL, tc.wantTgt)
		}
	}
}
