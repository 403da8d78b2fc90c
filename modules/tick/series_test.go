package tick_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/probe"
	"github.com/betterstack/betterstack/modules/queue"
	"github.com/betterstack/betterstack/modules/testenv"
	"github.com/betterstack/betterstack/modules/tick"
)

// TestRegionsOf: the batch read returns what Regions returns per monitor,
// for the monitors asked about only.
func TestRegionsOf(t *testing.T) {
	for _, backend := range testenv.Backends {
		t.Run(backend, func(t *testing.T) {
			db := testenv.MustDatabase(t, backend)
			ids := MustMonitors(t, db, 3)
			svc := tick.New(db, nil, tick.Config{}, discard, nil)
			ctx := context.Background()
			at := time.Now().Add(-time.Minute)
			batch := []queue.Result{result(ids[0], "us", at), result(ids[0], "eu", at), result(ids[1], "eu", at), result(ids[2], "eu", at)}
			if err := svc.Store(ctx, batch); err != nil {
				t.Fatal(err)
			}
			got, err := svc.RegionsOf(ctx, ids[:2])
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 || len(got[ids[0]]) != 2 || got[ids[0]][0].Region != "eu" || got[ids[0]][1].Region != "us" {
				t.Fatalf("RegionsOf = %+v", got)
			}
			for _, id := range ids[:2] {
				one, err := svc.Regions(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				states := make([]tick.RegionState, len(one))
				for i, v := range one {
					states[i] = v.RegionState
				}
				if !reflect.DeepEqual(states, got[id]) {
					t.Errorf("monitor %d: RegionsOf %+v, Regions %+v", id, got[id], one)
				}
			}
			if none, err := svc.RegionsOf(ctx, nil); err != nil || len(none) != 0 {
				t.Errorf("RegionsOf(nil) = %v, %v", none, err)
			}
		})
	}
}

// TestSums: the sums the database makes equal what Go makes of the rows.
func TestSums(t *testing.T) {
	for _, backend := range testenv.Backends {
		t.Run(backend, func(t *testing.T) {
			db := testenv.MustDatabase(t, backend)
			ids := MustMonitors(t, db, 3)
			svc := tick.New(db, nil, tick.Config{}, discard, nil)
			ctx := context.Background()
			now := time.Now().UTC()
			var batch []queue.Result
			for k := range 40 * 24 / 5 { // every 5 hours for 40 days
				for i, id := range ids[:2] {
					for j, region := range []string{"eu", "us"} {
						r := result(id, region, now.Add(-time.Duration(k)*5*time.Hour-time.Duration(i+j)*time.Minute))
						r.Result.LatencyMS = float64(10 + (k*7+i*3+j)%400)
						if (k+i+j)%9 == 0 {
							r.Result.Status, r.Result.StatusCode = probe.StatusDown, 503
						}
						batch = append(batch, r)
					}
				}
			}
			if err := svc.Store(ctx, batch); err != nil {
				t.Fatal(err)
			}
			// Window reads whole days from daily rows; summing every hourly
			// row of the same span, in Go, must give the same totals.
			for _, d := range []time.Duration{time.Hour, 24 * time.Hour, 30 * 24 * time.Hour} {
				hours, err := svc.Hourly(ctx, ids, now.Add(-d), now.Truncate(time.Hour).Add(time.Hour))
				if err != nil {
					t.Fatal(err)
				}
				want := tick.Totals(hours)
				got, err := svc.Window(ctx, ids, now, d)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) || got[ids[0]].Checks == 0 || got[ids[0]].Failures == 0 || len(got) != 2 {
					t.Errorf("window %s: sums %+v, rows %+v", d, got, want)
				}
			}
			from := now.Add(-48 * time.Hour)
			hours, err := svc.Hourly(ctx, ids, from, now)
			if err != nil {
				t.Fatal(err)
			}
			got, err := svc.HourlyMerged(ctx, ids, from, now)
			if err != nil {
				t.Fatal(err)
			}
			want := tick.MergeRegions(hours)
			for i := range want {
				want[i].Hist = [tick.NumBuckets]int64{} // HourlyMerged leaves it out
			}
			if len(want) == 0 || !reflect.DeepEqual(got, want) {
				t.Errorf("hourly merged: sums %+v, rows %+v", got, want)
			}
			// HoursAndDays is HourlyMerged and DaySums in one statement.
			dayFrom, dayTo := now.Truncate(24*time.Hour).AddDate(0, 0, -29), now.Truncate(24*time.Hour).AddDate(0, 0, 1)
			wantDays, err := svc.DaySums(ctx, ids, dayFrom, dayTo)
			if err != nil {
				t.Fatal(err)
			}
			gotHours, gotDays, err := svc.HoursAndDays(ctx, ids, from, now, dayFrom, dayTo)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(gotHours, got) || !reflect.DeepEqual(gotDays, wantDays) || len(gotDays) != 2 {
				t.Errorf("hours and days: %+v, %+v; apart: %+v, %+v", gotHours, gotDays, got, wantDays)
			}
			if h, d, err := svc.HoursAndDays(ctx, nil, from, now, dayFrom, dayTo); err != nil || len(h) != 0 || len(d) != 0 {
				t.Errorf("HoursAndDays(nil) = %v, %v, %v", h, d, err)
			}
		})
	}
}

// TestSince: the chart's lean read returns what List returns of the same
// ticks, newest first, from since on.
func TestSince(t *testing.T) {
	for _, backend := range testenv.Backends {
		t.Run(backend, func(t *testing.T) {
			db := testenv.MustDatabase(t, backend)
			ids := MustMonitors(t, db, 2)
			svc := tick.New(db, nil, tick.Config{}, discard, nil)
			ctx := context.Background()
			now := time.Now().UTC()
			var batch []queue.Result
			for k := range 10 {
				for _, region := range []string{"eu", "us"} {
					r := result(ids[0], region, now.Add(-time.Duration(k)*time.Minute))
					r.Result.Phases = probe.Phases{DNSMS: 1, ConnectMS: 2, TLSMS: 3, TTFBMS: float64(k), TransferMS: 5}
					if k == 3 {
						r.Result.Status, r.Result.ErrorClass, r.Result.Error = probe.StatusDown, probe.ClassTimeout, "took too long"
					}
					batch = append(batch, r)
				}
			}
			batch = append(batch, result(ids[1], "eu", now))
			if err := svc.Store(ctx, batch); err != nil {
				t.Fatal(err)
			}
			since := now.Add(-5*time.Minute - time.Second)
			got, err := svc.Since(ctx, ids[0], since, 100)
			if err != nil {
				t.Fatal(err)
			}
			page, err := svc.List(ctx, ids[0], tick.TickFilter{Since: &since, Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 12 || len(page.Data) != 12 {
				t.Fatalf("Since %d ticks, List %d, want 12", len(got), len(page.Data))
			}
			for i, w := range page.Data {
				w.WorkerID, w.CertExpiry, w.ResolvedIP = "", nil, ""
				w.CheckedAt, w.ScheduledAt = w.CheckedAt.UTC(), w.ScheduledAt.UTC()
				if !reflect.DeepEqual(got[i], w) {
					t.Errorf("tick %d: Since %+v, List %+v", i, got[i], w)
				}
			}
			if got[0].Region != "eu" || got[7].Status != probe.StatusDown || got[7].Error != "took too long" {
				t.Errorf("order or content: %+v", got)
			}
			if few, err := svc.Since(ctx, ids[0], since, 3); err != nil || len(few) != 3 || !few[0].ScheduledAt.Equal(got[0].ScheduledAt) {
				t.Errorf("limit 3 = %+v, %v", few, err)
			}
		})
	}
}
