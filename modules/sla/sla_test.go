package sla

import (
	"fmt"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/apperr"
	"github.com/betterstack/betterstack/modules/tick"
)

var t0 = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

// at is t0 plus a "15:04" or "-15:04" offset; iv builds an interval of two.
func at(s string) time.Time {
	sign := time.Duration(1)
	if s[0] == '-' {
		sign, s = -1, s[1:]
	}
	var h, m int
	if _, err := fmt.Sscanf(s, "%d:%d", &h, &m); err != nil {
		panic(err)
	}
	return t0.Add(sign * (time.Duration(h)*time.Hour + time.Duration(m)*time.Minute))
}

func iv(a, b string) Interval { return Interval{Start: at(a), End: at(b)} }

func show(ivs []Interval) string {
	s := ""
	for _, i := range ivs {
		s += fmt.Sprintf("[%s,%s)", i.Start.Sub(t0), i.End.Sub(t0))
	}
	return s
}

func TestIntervalMaths(t *testing.T) {
	for _, tc := range []struct {
		name string
		got  []Interval
		want []Interval
	}{
		{"union merges overlapping and touching, drops empty",
			union([]Interval{iv("05:00", "06:00"), iv("01:00", "02:00"), iv("01:30", "03:00"), iv("03:00", "04:00"), iv("07:00", "07:00")}),
			[]Interval{iv("01:00", "04:00"), iv("05:00", "06:00")}},
		{"union keeps a contained interval inside",
			union([]Interval{iv("01:00", "05:00"), iv("02:00", "03:00")}), []Interval{iv("01:00", "05:00")}},
		{"clip cuts both ends and drops outside",
			clip([]Interval{iv("-01:00", "01:00"), iv("02:00", "03:00"), iv("23:00", "25:00"), iv("24:00", "26:00"), iv("-02:00", "00:00")}, at("00:00"), at("24:00")),
			[]Interval{iv("00:00", "01:00"), iv("02:00", "03:00"), iv("23:00", "24:00")}},
		{"subtract a hole, a head, a tail and a whole",
			subtract([]Interval{iv("01:00", "05:00"), iv("06:00", "07:00"), iv("08:00", "10:00")},
				[]Interval{iv("00:00", "01:30"), iv("02:00", "03:00"), iv("04:30", "07:00"), iv("09:00", "11:00")}),
			[]Interval{iv("01:30", "02:00"), iv("03:00", "04:30"), iv("08:00", "09:00")}},
		{"subtract nothing", subtract([]Interval{iv("01:00", "02:00")}, nil), []Interval{iv("01:00", "02:00")}},
		{"subtract one b from two a", subtract([]Interval{iv("01:00", "02:00"), iv("03:00", "04:00")}, []Interval{iv("01:30", "03:30")}),
			[]Interval{iv("01:00", "01:30"), iv("03:30", "04:00")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if show(tc.got) != show(tc.want) {
				t.Fatalf("got %s, want %s", show(tc.got), show(tc.want))
			}
		})
	}
}

// rollup is a day of n successful checks at ms plus failures.
func rollup(start time.Time, n int64, ms float64, failures int64) tick.Rollup {
	r := tick.Rollup{Start: start, Checks: n + failures, Failures: failures, LatencySum: float64(n) * ms, LatencyMin: ms, LatencyMax: ms}
	for i, b := range tick.BucketBounds {
		if ms <= b {
			r.Hist[i] = n
			break
		}
	}
	return r
}

func TestCompute(t *testing.T) {
	from, to := at("00:00"), at("24:00") // 86 400 s
	type want struct {
		uptime, down, degraded, maint float64
		incidents                     int
		longest, mttr                 float64
	}
	for _, tc := range []struct {
		name                 string
		down, degraded, main []Interval
		want                 want
	}{
		{"no incidents", nil, nil, nil, want{100, 0, 0, 0, 0, 0, 0}},
		// 864 s down of 86 400 = 1 %: exactly 99, despite float error.
		{"one outage", []Interval{{at("10:00"), at("10:00").Add(864 * time.Second)}}, nil, nil, want{99, 864, 0, 0, 1, 864, 864}},
		// Incidents overlapping each other count twice but their time once:
		// 01:00-03:00 = 7200 s; durations 3600 and 5400.
		{"overlapping outages", []Interval{iv("01:00", "02:00"), iv("01:30", "03:00")}, nil, nil,
			want{91.666, 7200, 0, 0, 2, 5400, 4500}},
		// Started the day before: only the 60 minutes inside count.
		{"clipped at from", []Interval{iv("-02:00", "01:00")}, nil, nil, want{95.833, 3600, 0, 0, 1, 3600, 3600}},
		// An open incident reaches past to: clipped at to.
		{"clipped at to", []Interval{iv("23:00", "30:00")}, nil, nil, want{95.833, 3600, 0, 0, 1, 3600, 3600}},
		{"outside the period", []Interval{iv("-03:00", "-01:00"), iv("24:00", "25:00")}, nil, nil, want{100, 0, 0, 0, 0, 0, 0}},
		// 2 h maintenance; 1 h of the 2 h outage falls inside it; the second
		// outage lies wholly inside it and is no incident.
		// uptime = 100 × (1 − 3600 / (86 400 − 7200)) = 95.4545…
		{"maintenance subtracted", []Interval{iv("09:00", "11:00"), iv("10:15", "10:45")}, nil, []Interval{iv("10:00", "12:00")},
			want{95.454, 3600, 0, 7200, 1, 3600, 3600}},
		// Overlapping windows count once: 10:00-13:00.
		{"overlapping windows", nil, nil, []Interval{iv("10:00", "12:00"), iv("11:00", "13:00")}, want{100, 0, 0, 10800, 0, 0, 0}},
		{"all maintenance", []Interval{iv("01:00", "02:00")}, nil, []Interval{iv("-01:00", "25:00")}, want{100, 0, 0, 86400, 0, 0, 0}},
		// Degraded 08:00-12:00, minus maintenance 11:00-13:00 and the outage
		// 09:00-10:00: 2 h; it costs no uptime: 100 × (1 − 3600 / 79 200).
		{"degraded is not downtime", []Interval{iv("09:00", "10:00")}, []Interval{iv("08:00", "12:00")}, []Interval{iv("11:00", "13:00")},
			want{95.454, 3600, 7200, 7200, 1, 3600, 3600}},
		// 1 s down: 99.99884… rounds down, never up to 100.
		{"rounded down", []Interval{{at("10:00"), at("10:00").Add(time.Second)}}, nil, nil, want{99.998, 1, 0, 0, 1, 1, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Compute(from, to, tc.down, tc.degraded, tc.main, nil)
			got := want{r.UptimePercent, r.DowntimeSeconds, r.DegradedSeconds, r.MaintenanceSeconds, r.Incidents, r.LongestIncidentSeconds, r.MTTRSeconds}
			if got != tc.want {
				t.Fatalf("got  %+v\nwant %+v", got, tc.want)
			}
			if r.Latency.P50 != nil || r.Checks != 0 || r.Rules.Downtime == "" {
				t.Fatalf("latency %+v, checks %d, rules %+v", r.Latency, r.Checks, r.Rules)
			}
		})
	}
}

func TestComputeLatency(t *testing.T) {
	// Two regions on the day, one the day before (outside, 5 s latencies).
	// Inside: 90 checks at 40 ms, 10 at 400 ms, 2 failures. p50: rank 50 in
	// the (25, 50] bucket, interpolated between min 40 and 50: 40 + 10 × 50/90
	// = 45.6; p95: rank 95, 5th of 10 in (300, 500] clamped to max 400: 350;
	// p99: 390.
	days := []tick.Rollup{rollup(t0, 45, 40, 1), rollup(t0, 45, 40, 1), rollup(t0, 10, 400, 0), rollup(t0.Add(-day), 100, 5000, 0)}
	days[0].Region, days[1].Region, days[2].Region = "eu", "us", "us"
	r := Compute(at("06:00"), at("18:00"), nil, nil, nil, days)
	if r.Checks != 102 || r.FailedChecks != 2 || r.Latency.P50 == nil || *r.Latency.P50 != 45.6 || *r.Latency.P95 != 350 || *r.Latency.P99 != 390 {
		t.Fatalf("checks %d/%d, latency %v %v %v", r.Checks, r.FailedChecks, r.Latency.P50, r.Latency.P95, r.Latency.P99)
	}
}

func TestPerDay(t *testing.T) {
	// From noon on day 0 to 06:00 on day 2; an outage 23:00-01:00 spans
	// midnight and counts on both days; the day-2 maintenance is clipped.
	days := PerDay(at("12:00"), at("54:00"), []Interval{iv("23:00", "25:00")}, nil, []Interval{iv("53:00", "55:00")},
		[]tick.Rollup{rollup(t0, 10, 40, 0), rollup(t0.Add(day), 10, 80, 0)})
	want := []Day{
		// 3600 of 43 200 s.
		{Date: "2026-03-02", UptimePercent: 91.666, DowntimeSeconds: 3600, Incidents: 1},
		{Date: "2026-03-03", UptimePercent: 95.833, DowntimeSeconds: 3600, Incidents: 1},
		{Date: "2026-03-04", UptimePercent: 100, MaintenanceSeconds: 3600},
	}
	if len(days) != len(want) {
		t.Fatalf("%d days: %+v", len(days), days)
	}
	for i, d := range days {
		lat := d.Latency
		d.Latency = Latency{}
		if d != want[i] {
			t.Errorf("day %d = %+v, want %+v", i, d, want[i])
		}
		if (i < 2) != (lat.P50 != nil) {
			t.Errorf("day %d latency %+v", i, lat)
		}
	}
	if *days[0].Latency.P50 != 40 || *days[1].Latency.P50 != 80 {
		t.Errorf("p50 %v, %v; want 40, 80", *days[0].Latency.P50, *days[1].Latency.P50)
	}
}

func TestPeriod(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		from, to time.Time
		wantFrom time.Time
		wantTo   time.Time
		field    string
	}{
		{"default: 30 days to now", time.Time{}, time.Time{}, now.Add(-30 * day), now, ""},
		{"only to", time.Time{}, now.Add(-day), now.Add(-31 * day), now.Add(-day), ""},
		{"only from", now.Add(-2 * day), time.Time{}, now.Add(-2 * day), now, ""},
		{"future end is now", now.Add(-day), now.Add(day), now.Add(-day), now, ""},
		{"wholly in the future is refused", now.Add(day), now.Add(2 * day), time.Time{}, time.Time{}, "from"},
		{"400 days", now.Add(-400 * day), now, now.Add(-400 * day), now, ""},
		{"401 days", now.Add(-401 * day), now, time.Time{}, time.Time{}, "from"},
		{"to before from", now.Add(-day), now.Add(-2 * day), time.Time{}, time.Time{}, "to"},
		{"to equals from", now.Add(-day), now.Add(-day), time.Time{}, time.Time{}, "to"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			from, to, err := Period(tc.from, tc.to, now)
			if tc.field != "" {
				if ae := apperr.As(err); ae == nil || ae.Kind != apperr.Invalid || ae.Fields[tc.field] == "" {
					t.Fatalf("err = %v, want a validation error naming %s", err, tc.field)
				}
				return
			}
			if err != nil || !from.Equal(tc.wantFrom) || !to.Equal(tc.wantTo) {
				t.Fatalf("got %s .. %s, %v; want %s .. %s", from, to, err, tc.wantFrom, tc.wantTo)
			}
		})
	}
}
