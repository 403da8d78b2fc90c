package selfcheck

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func TestJudge(t *testing.T) {
	const th = 30 * time.Second
	tests := []struct {
		name       string
		stages     []Measure
		lagging    []string
		bottleneck string
	}{
		{name: "nothing waits", stages: []Measure{{Stage: StagePusher}, {Stage: StageIngest}}},
		{name: "exactly the threshold is fine", stages: []Measure{{Stage: StagePusher, Lag: th}}},
		{name: "just above the threshold lags", stages: []Measure{{Stage: StagePusher, Lag: th + time.Nanosecond}},
			lagging: []string{"pusher"}, bottleneck: "pusher"},
		{name: "earliest stage is the bottleneck whatever the order given", stages: []Measure{
			{Stage: StageNotifications, Lag: time.Hour}, {Stage: StageIngest, Lag: 10 * time.Minute},
			{Stage: StageWorkers, Region: "eu", Lag: time.Minute}, {Stage: StagePusher, Lag: th},
		}, lagging: []string{"workers in eu", "ingest", "notifications"}, bottleneck: "workers in eu"},
		{name: "pusher before workers", stages: []Measure{
			{Stage: StageWorkers, Region: "eu", Lag: time.Hour}, {Stage: StagePusher, Lag: th + time.Second},
		}, lagging: []string{"pusher", "workers in eu"}, bottleneck: "pusher"},
		{name: "the later region when it lags more", stages: []Measure{
			{Stage: StageWorkers, Region: "eu", Lag: time.Minute}, {Stage: StageWorkers, Region: "us", Lag: 2 * time.Minute},
		}, lagging: []string{"workers in us", "workers in eu"}, bottleneck: "workers in us"},
		{name: "ingest before notifications", stages: []Measure{
			{Stage: StageNotifications, Lag: time.Hour}, {Stage: StageIngest, Lag: time.Minute},
		}, lagging: []string{"ingest", "notifications"}, bottleneck: "ingest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Judge(Sample{At: t0, Stages: tt.stages}, th)
			var got []string
			for _, m := range v.Lagging {
				got = append(got, m.Name())
			}
			if !reflect.DeepEqual(got, tt.lagging) {
				t.Errorf("lagging = %v, want %v", got, tt.lagging)
			}
			b := ""
			if v.Bottleneck != nil {
				b = v.Bottleneck.Name()
			}
			if b != tt.bottleneck {
				t.Errorf("bottleneck = %q, want %q", b, tt.bottleneck)
			}
		})
	}
}

func TestJudgeSkipping(t *testing.T) {
	const th = 30 * time.Second
	tests := []struct {
		name     string
		stages   []Measure
		skipping []string
		lagging  []string
	}{
		{name: "nothing skipped", stages: []Measure{{Stage: StageWorkers, Region: "eu"}}},
		{name: "one slot skipped", stages: []Measure{{Stage: StageWorkers, Region: "eu", Skipped: 1}}, skipping: []string{"eu 1"}},
		{name: "a region on time while another skips", stages: []Measure{
			{Stage: StageWorkers, Region: "eu", Skipped: 0, Lag: 3 * time.Second}, {Stage: StageWorkers, Region: "us", Skipped: 5, Lag: 3 * time.Second},
		}, skipping: []string{"us 5"}},
		{name: "most skipped first whatever the order given", stages: []Measure{
			{Stage: StageWorkers, Region: "ap", Skipped: 2}, {Stage: StageWorkers, Region: "us", Skipped: 900}, {Stage: StageWorkers, Region: "eu", Skipped: 40},
		}, skipping: []string{"us 900", "eu 40", "ap 2"}},
		{name: "the region name breaks a tie", stages: []Measure{
			{Stage: StageWorkers, Region: "us", Skipped: 7}, {Stage: StageWorkers, Region: "ap", Skipped: 7}, {Stage: StageWorkers, Region: "eu", Skipped: 7},
		}, skipping: []string{"ap 7", "eu 7", "us 7"}},
		{name: "a region that lags and skips is in both lists", stages: []Measure{
			{Stage: StageWorkers, Region: "eu", Lag: time.Minute, Skipped: 3},
		}, skipping: []string{"eu 3"}, lagging: []string{"workers in eu"}},
		{name: "skipping is not lagging", stages: []Measure{
			{Stage: StageWorkers, Region: "eu", Lag: th, Skipped: 1234},
		}, skipping: []string{"eu 1234"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Judge(Sample{At: t0, Stages: tt.stages}, th)
			var skipping, lagging []string
			for _, m := range v.Skipping {
				skipping = append(skipping, fmt.Sprintf("%s %d", m.Region, m.Skipped))
			}
			for _, m := range v.Lagging {
				lagging = append(lagging, m.Name())
			}
			if !reflect.DeepEqual(skipping, tt.skipping) {
				t.Errorf("skipping = %v, want %v", skipping, tt.skipping)
			}
			if !reflect.DeepEqual(lagging, tt.lagging) {
				t.Errorf("lagging = %v, want %v", lagging, tt.lagging)
			}
		})
	}
}

func TestFlowing(t *testing.T) {
	const every = time.Minute
	tests := []struct {
		name  string
		s     Sample
		th    time.Duration
		ok    bool
		about string
	}{
		{name: "no monitors, nothing lags", s: Sample{At: t0}, ok: true},
		{name: "monitors without any stored result", s: Sample{At: t0, Monitors: 1, ShortestInterval: 30 * time.Second}, about: "no result"},
		{name: "newest result exactly two intervals old", s: Sample{At: t0, Monitors: 1, ShortestInterval: 30 * time.Second, NewestTick: t0.Add(-2 * every)}, ok: true},
		{name: "newest result just older than two intervals", s: Sample{At: t0, Monitors: 1, ShortestInterval: 30 * time.Second, NewestTick: t0.Add(-2*every - time.Millisecond)}, about: "checked 2m0s ago"},
		{name: "a slow monitor widens the window", s: Sample{At: t0, Monitors: 1, ShortestInterval: 5 * time.Minute, NewestTick: t0.Add(-9 * time.Minute)}, ok: true},
		{name: "a slow monitor's window ends too", s: Sample{At: t0, Monitors: 1, ShortestInterval: 5 * time.Minute, NewestTick: t0.Add(-10*time.Minute - time.Millisecond)}},
		{name: "a lagging stage stops it though results are fresh", s: Sample{At: t0, Monitors: 1, ShortestInterval: 30 * time.Second, NewestTick: t0,
			Stages: []Measure{{Stage: StageIngest, Lag: 31 * time.Second, Backlog: 9}}}, about: "ingest is 31s behind"},
		{name: "skipping does not stop it: the checks that run are on time", s: Sample{At: t0, Monitors: 1, ShortestInterval: 30 * time.Second, NewestTick: t0,
			Stages: []Measure{{Stage: StageWorkers, Region: "eu", Lag: 3 * time.Second, Skipped: 1234}}}, ok: true},
		{name: "skipping does not hide a lag", s: Sample{At: t0, Monitors: 1, ShortestInterval: 30 * time.Second, NewestTick: t0,
			Stages: []Measure{{Stage: StageWorkers, Region: "eu", Lag: 31 * time.Second, Skipped: 1234}}}, about: "workers in eu is 31s behind"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, why := Flowing(tt.s, Judge(tt.s, 30*time.Second), every)
			if ok != tt.ok || !strings.Contains(why, tt.about) {
				t.Errorf("Flowing = %v %q, want %v containing %q", ok, why, tt.ok, tt.about)
			}
		})
	}
}

func TestProblems(t *testing.T) {
	const lag, silence = 2 * time.Minute, 2 * time.Minute
	s := Sample{At: t0,
		Regions: []Region{
			{Name: "at-limit", LastSeen: t0.Add(-silence), Expected: true},
			{Name: "silent", LastSeen: t0.Add(-silence - time.Millisecond), Expected: true},
			{Name: "unused", LastSeen: t0.Add(-time.Hour)},
		},
		Stages: []Measure{{Stage: StagePusher, Lag: lag}, {Stage: StageIngest, Lag: lag + time.Second, Backlog: 40}},
	}
	var got []string
	for _, p := range Problems(s, lag, silence) {
		got = append(got, p.Subject+": "+p.Message)
	}
	want := []string{
		"region silent: Region silent is silent: no worker has reported for 2m0s, so its checks are not running.",
		"stage ingest: Checks are running late: the ingest stage is 2m1s behind (40 waiting).",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("problems:\n got %q\nwant %q", got, want)
	}
}

// TestProblemsUnseenRegion: a region monitors name that no worker has ever
// reported from counts as silent from when the alerter began measuring:
// not yet at exactly the silence allowed, a problem a millisecond after,
// under the region's own subject so a worker that starts there clears it.
func TestProblemsUnseenRegion(t *testing.T) {
	const lag, silence = 2 * time.Minute, 2 * time.Minute
	regions := []Region{{Name: "tokyo", Expected: true}, {Name: "unused"}}
	if got := Problems(Sample{At: t0, Since: t0.Add(-silence), Regions: regions}, lag, silence); len(got) != 0 {
		t.Errorf("watched exactly as long as allowed: problems %+v, want none", got)
	}
	got := Problems(Sample{At: t0, Since: t0.Add(-silence - time.Millisecond), Regions: regions}, lag, silence)
	want := []Problem{{Subject: "region tokyo", Message: "Region tokyo has monitors but no worker has ever reported from it (watched for 2m0s), " +
		"so their checks there are not running. Start one with betterstack serve --role=worker --region=tokyo, or correct the monitors' regions."}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("problems:\n got %q\nwant %q", got, want)
	}
}

// TestJudgeSkipCause: the ingest is why the pushers skip only when results
// have waited longer than pusher_ingest_wait (not at it), and only when it
// is known; with nothing skipped there is no cause.
func TestJudgeSkipCause(t *testing.T) {
	const wait = 10 * time.Second
	skip := Measure{Stage: StageWorkers, Region: "eu", Skipped: 5}
	tests := []struct {
		name   string
		stages []Measure
		wait   time.Duration
		want   Stage
	}{
		{"nothing skipped", []Measure{{Stage: StageWorkers, Region: "eu"}, {Stage: StageIngest, Lag: time.Hour}}, wait, ""},
		{"ingest on time", []Measure{skip, {Stage: StageIngest}}, wait, StageWorkers},
		{"ingest at its wait", []Measure{skip, {Stage: StageIngest, Lag: wait}}, wait, StageWorkers},
		{"ingest past its wait", []Measure{skip, {Stage: StageIngest, Lag: wait + time.Nanosecond}}, wait, StageIngest},
		{"wait unknown", []Measure{skip, {Stage: StageIngest, Lag: time.Hour}}, 0, StageWorkers},
		{"a late pusher is not the ingest", []Measure{skip, {Stage: StagePusher, Lag: time.Hour}}, wait, StageWorkers},
	}
	for _, tt := range tests {
		if got := Judge(Sample{At: t0, Stages: tt.stages, IngestWait: tt.wait}, 30*time.Second).SkipCause; got != tt.want {
			t.Errorf("%s: cause %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestProblemsSkipping(t *testing.T) {
	const lag, silence = 2 * time.Minute, 2 * time.Minute
	s := Sample{At: t0, Stages: []Measure{
		{Stage: StageWorkers, Region: "ap", Skipped: 0},
		{Stage: StageWorkers, Region: "us", Skipped: 1, SkippingFor: lag + time.Millisecond},
		{Stage: StageWorkers, Region: "eu", Skipped: 1234, Lag: lag + time.Second, Backlog: 80, SkippingFor: 3 * time.Minute},
		{Stage: StageWorkers, Region: "sa", Skipped: 500, SkippingFor: lag}, // not yet longer than allowed
	}}
	var got []string
	for _, p := range Problems(s, lag, silence) {
		got = append(got, p.Subject+": "+p.Message)
	}
	want := []string{
		"stage workers in eu: Checks are running late: the workers in eu stage is 2m1s behind (80 waiting).",
		"skipping workers in eu: Checks are being skipped: the workers in eu have been at capacity for 3m0s; 1234 checks were skipped in the last minute so the rest run on time. Add workers in eu or lengthen intervals.",
		"skipping workers in us: Checks are being skipped: the workers in us have been at capacity for 2m0s; 1 check was skipped in the last minute so the rest run on time. Add workers in us or lengthen intervals.",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("problems:\n got %q\nwant %q", got, want)
	}
	s.IngestWait = 10 * time.Second
	s.Stages = append(s.Stages, Measure{Stage: StageIngest, Lag: 11 * time.Second, Backlog: 9000})
	got = nil
	for _, p := range Problems(s, lag, silence) {
		if strings.HasPrefix(p.Subject, "skipping") {
			got = append(got, p.Subject+": "+p.Message)
		}
	}
	want = []string{
		"skipping workers in eu: Checks are being skipped: for 3m0s results have been waiting longer than 10s to be stored; 1234 checks were skipped in the last minute in eu so the ingest can catch up. Give the database more CPU, run another alerter, or lengthen intervals.",
		"skipping workers in us: Checks are being skipped: for 2m0s results have been waiting longer than 10s to be stored; 1 check was skipped in the last minute in us so the ingest can catch up. Give the database more CPU, run another alerter, or lengthen intervals.",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("problems with the ingest behind:\n got %q\nwant %q", got, want)
	}
}

func TestChanges(t *testing.T) {
	region := Problem{Subject: "region eu", Message: "silent"}
	ingest := Problem{Subject: "stage ingest", Message: "late"}
	tests := []struct {
		name      string
		told      map[string]bool
		now       []Problem
		start     []Problem
		clearSubs []string
	}{
		{name: "nothing told, nothing wrong"},
		{name: "a new problem starts", now: []Problem{region}, start: []Problem{region}},
		{name: "a told problem is not repeated", told: map[string]bool{"region eu": true}, now: []Problem{region}},
		{name: "a told problem that is gone clears", told: map[string]bool{"region eu": true, "stage ingest": true}, now: []Problem{ingest},
			clearSubs: []string{"region eu"}},
		{name: "a cleared problem is not cleared again", told: map[string]bool{"region eu": false}},
		{name: "a cleared problem that returns starts again", told: map[string]bool{"region eu": false}, now: []Problem{region}, start: []Problem{region}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start, clear := Changes(tt.told, tt.now)
			if !reflect.DeepEqual(start, tt.start) || !reflect.DeepEqual(clear, tt.clearSubs) {
				t.Errorf("Changes = %v %v, want %v %v", start, clear, tt.start, tt.clearSubs)
			}
		})
	}
}
