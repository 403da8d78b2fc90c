package worker

import "testing"

// TestReadable: the jobs due (held minus early) leave concurrency minus
// them to read, within readAhead × concurrency held in all.
func TestReadable(t *testing.T) {
	for _, c := range []struct{ concurrency, held, early, want int }{
		{4, 0, 0, 4},
		{4, 3, 0, 1},
		{4, 4, 0, 0},
		{4, 5, 0, -1},  // claimed jobs can take it past the bound
		{4, 4, 4, 4},   // four waiting for their slot: four more may be read
		{4, 60, 60, 4}, // 60 early of 64 in all
		{4, 61, 60, 3},
		{4, 62, 60, 2},
		{4, 63, 63, 1}, // the read-ahead allowance is the bound now
		{4, 64, 64, 0},
		{4, 65, 65, -1},
		{1, 0, 0, 1},
		{1, 1, 1, 1},
		{1, 15, 15, 1},
		{1, 16, 16, 0},
	} {
		if got := readable(c.concurrency, c.held, c.early); got != c.want {
			t.Errorf("readable(%d, held %d, early %d) = %d, want %d", c.concurrency, c.held, c.early, got, c.want)
		}
	}
}
