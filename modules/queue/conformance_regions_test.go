package queue

import (
	"testing"
	"time"
)

func testRegions(t *testing.T, open opener) {
	clock := newFakeClock()
	h := open(t, Config{Now: clock.Now})
	ctx := t.Context()
	t0 := clock.Now()
	steps := []struct {
		name    string
		do      func() error
		advance time.Duration // before do
		within  time.Duration
		want    []Region
	}{
		{"nothing yet", nil, 0, time.Minute, []Region{}},
		{"first worker", func() error { return h.q.Heartbeat(ctx, "us", "u1") }, 0, time.Minute,
			[]Region{{Name: "us", Workers: 1, LastSeenAt: t0, Live: true}}},
		{"second region, later", func() error { return h.q.Heartbeat(ctx, "eu", "e1") }, 30 * time.Second, time.Minute,
			[]Region{
				{Name: "eu", Workers: 1, LastSeenAt: t0.Add(30 * time.Second), Live: true},
				{Name: "us", Workers: 1, LastSeenAt: t0, Live: true},
			}},
		{"second worker of eu", func() error { return h.q.Heartbeat(ctx, "eu", "e2") }, 10 * time.Second, time.Minute,
			[]Region{
				{Name: "eu", Workers: 2, LastSeenAt: t0.Add(40 * time.Second), Live: true},
				{Name: "us", Workers: 1, LastSeenAt: t0, Live: true},
			}},
		{"us falls silent", nil, 30 * time.Second, time.Minute,
			[]Region{
				{Name: "eu", Workers: 2, LastSeenAt: t0.Add(40 * time.Second), Live: true},
				{Name: "us", Workers: 0, LastSeenAt: t0, Live: false},
			}},
		{"window boundary is inclusive", nil, 0, 30 * time.Second,
			[]Region{
				{Name: "eu", Workers: 1, LastSeenAt: t0.Add(40 * time.Second), Live: true},
				{Name: "us", Workers: 0, LastSeenAt: t0, Live: false},
			}},
		{"e2 leaves", func() error { return h.q.Leave(ctx, "eu", "e2") }, 0, time.Minute,
			[]Region{
				{Name: "eu", Workers: 1, LastSeenAt: t0.Add(40 * time.Second), Live: true},
				{Name: "us", Workers: 0, LastSeenAt: t0, Live: false},
			}},
		{"us comes back a day later", func() error { return h.q.Heartbeat(ctx, "us", "u2") }, 25 * time.Hour, 48 * time.Hour,
			// u1 is forgotten (silent for more than 24 hours), u2 is new;
			// eu's e1 is still counted: only a heartbeat of eu forgets it.
			[]Region{
				{Name: "eu", Workers: 1, LastSeenAt: t0.Add(40 * time.Second), Live: true},
				{Name: "us", Workers: 1, LastSeenAt: t0.Add(25*time.Hour + 70*time.Second), Live: true},
			}},
	}
	for _, s := range steps {
		clock.Add(s.advance)
		if s.do != nil {
			if err := s.do(); err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
		}
		got, err := h.q.Regions(ctx, s.within)
		if err != nil {
			t.Fatalf("%s: Regions: %v", s.name, err)
		}
		if !regionsEqual(got, s.want) {
			t.Fatalf("%s:\n got %+v\nwant %+v", s.name, got, s.want)
		}
	}
}

func regionsEqual(a, b []Region) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || a[i].Workers != b[i].Workers || a[i].Live != b[i].Live ||
			!a[i].LastSeenAt.Equal(b[i].LastSeenAt) {
			return false
		}
	}
	return true
}
