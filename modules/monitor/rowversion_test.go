package monitor

import (
	"testing"
	"time"
)

// TestUnchangedNeedsTheSameVersion: a caller's copy is reused only when both
// halves of the row's version match (the transaction that wrote it and
// updated_at: an xmin alone can come round again after 2^32 transactions),
// never without a version (SQLite, or a copy made elsewhere), and never
// without a copy.
func TestUnchangedNeedsTheSameVersion(t *testing.T) {
	at := time.Date(2030, 1, 2, 3, 4, 5, 6000, time.UTC)
	xmin, other := int64(1234), int64(1235)
	copyOf := func(v rowVersion) KnownFunc {
		return func(id int64) (Monitor, bool) { return Monitor{ID: id, Name: "copy", rowVersion: v}, true }
	}
	none := func(int64) (Monitor, bool) { return Monitor{}, false }
	later := at.Add(time.Microsecond)
	cases := []struct {
		name  string
		d     dueSlot
		known KnownFunc
		want  bool
	}{
		{"same version", dueSlot{MonitorID: 1, RowXmin: &xmin, UpdatedAt: &at}, copyOf(versionOf(&xmin, at)), true},
		{"another transaction", dueSlot{MonitorID: 1, RowXmin: &other, UpdatedAt: &at}, copyOf(versionOf(&xmin, at)), false},
		{"the same xmin, updated a microsecond later", dueSlot{MonitorID: 1, RowXmin: &xmin, UpdatedAt: &later}, copyOf(versionOf(&xmin, at)), false},
		{"no xmin (SQLite)", dueSlot{MonitorID: 1, UpdatedAt: &at}, copyOf(rowVersion{}), false},
		{"no monitor row", dueSlot{MonitorID: 1}, copyOf(rowVersion{}), false},
		{"a copy without a version", dueSlot{MonitorID: 1, RowXmin: &xmin, UpdatedAt: &at}, copyOf(rowVersion{}), false},
		{"no copy", dueSlot{MonitorID: 1, RowXmin: &xmin, UpdatedAt: &at}, none, false},
		{"no Known", dueSlot{MonitorID: 1, RowXmin: &xmin, UpdatedAt: &at}, nil, false},
	}
	for _, c := range cases {
		m, ok := unchanged(c.d, c.known)
		if ok != c.want || (ok && m.Name != "copy") {
			t.Errorf("%s: reused %v (%+v), want %v", c.name, ok, m, c.want)
		}
	}
}
