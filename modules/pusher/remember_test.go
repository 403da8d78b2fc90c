package pusher

import (
	"log/slog"
	"reflect"
	"testing"
	"time"
	"unsafe"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/betterstack/betterstack/modules/monitor"
	"github.com/betterstack/betterstack/modules/probe"
)

// TestRememberForgetsAfterTwoIntervals: a monitor the database has not
// handed out for two intervals and ten seconds is forgotten (deleted or
// paused meanwhile), not at exactly that, and at the first forgetting walk
// after it (one every ten seconds); a monitor handed out again is updated
// in place, with its new settings and slot.
func TestRememberForgetsAfterTwoIntervals(t *testing.T) {
	p := New(&dueOrNot{}, &lateQueue{}, Config{}, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	t0 := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	old := monitor.Monitor{ID: 1, Name: "old", IntervalSeconds: 60}
	other := monitor.Monitor{ID: 2, Name: "other", IntervalSeconds: 60}
	p.remember([]monitor.Monitor{old, other}, map[int64]time.Time{1: t0.Add(time.Minute), 2: t0.Add(time.Minute)}, t0)
	p.skippedLast[1] = true
	was := p.remembered[1]

	old.Name = "renamed"
	p.remember([]monitor.Monitor{old}, map[int64]time.Time{1: t0.Add(2 * time.Minute)}, t0.Add(15*time.Second))
	if r := p.remembered[1]; r != was || r.m.Name != "renamed" || !r.next.Equal(t0.Add(2*time.Minute)) || !r.claimed.Equal(t0.Add(15*time.Second)) {
		t.Fatalf("handed out again: %+v, want the same memo with the new name, slot and claim time", r)
	}

	edge := t0.Add(2*time.Minute + 10*time.Second) // other's limit: claimed at t0
	step := func(at time.Time) {
		p.remember(nil, nil, at)
	}
	step(edge)
	if _, ok := p.remembered[2]; !ok {
		t.Fatal("forgotten exactly two intervals and ten seconds after its claim, want kept until after that")
	}
	step(edge.Add(9 * time.Second))
	if _, ok := p.remembered[2]; !ok {
		t.Fatal("forgotten by a walk less than ten seconds after the last one")
	}
	step(edge.Add(10 * time.Second))
	if _, ok := p.remembered[2]; ok {
		t.Error("still remembered at the first walk after two intervals and ten seconds")
	}
	if _, ok := p.remembered[1]; !ok {
		t.Error("the monitor handed out 15 s later was forgotten with the other")
	}
	step(edge.Add(19 * time.Second)) // past monitor 1's limit, but no walk yet
	if _, ok := p.remembered[1]; !ok {
		t.Error("forgotten by a walk less than ten seconds after the last one")
	}
	step(edge.Add(20 * time.Second))
	if _, ok := p.remembered[1]; ok || p.skippedLast[1] {
		t.Errorf("monitor 1 remembered %t, skipped %t: want both forgotten", ok, p.skippedLast[1])
	}
}

// TestRememberKeepsWhatJobsNeed: the memory keeps every field a job is
// made of (and the claim's reuse compares), and drops the ones no job
// reads.
func TestRememberKeepsWhatJobsNeed(t *testing.T) {
	p := New(&dueOrNot{}, &lateQueue{}, Config{}, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	h := probe.NewHTTP()
	h.URL = "https://a.example/health"
	spec, err := probe.SpecOf("http", h)
	if err != nil {
		t.Fatal(err)
	}
	kind := string([]byte("http")) // a string of its own, as read from the database
	spec.Kind = kind
	m := monitor.Monitor{ID: 7, Key: "api-health", Name: "API health", Check: spec, Target: h.URL, URL: h.URL,
		IntervalSeconds: 30, TimeoutMS: 4000, DegradedAfterMS: 900, Regions: []string{"eu", "us"},
		FailureThreshold: 3, RecoveryThreshold: 2, ChannelIDs: []int64{1}, LastCheckedAt: &at, StatusSince: &at, NextRunAt: &at}
	p.remember([]monitor.Monitor{m}, map[int64]time.Time{7: at.Add(30 * time.Second)}, at)
	got := p.remembered[7].m
	if got.ID != m.ID || got.Name != m.Name || got.IntervalSeconds != m.IntervalSeconds || got.FailureThreshold != m.FailureThreshold ||
		got.RecoveryThreshold != m.RecoveryThreshold || !reflect.DeepEqual(got.Regions, m.Regions) ||
		!reflect.DeepEqual(got.ProbeRequest(), m.ProbeRequest()) {
		t.Errorf("remembered %+v, want every job field of %+v", got, m)
	}
	if got.Key != "" || got.Target != "" || got.URL != "" || got.ChannelIDs != nil || got.LastCheckedAt != nil || got.StatusSince != nil || got.NextRunAt != nil {
		t.Errorf("remembered %+v, want the fields no job reads dropped", got)
	}
	if unsafe.StringData(got.Check.Kind) == unsafe.StringData(kind) {
		t.Error("the kind is the monitor's own string, want the registry's")
	}
}
