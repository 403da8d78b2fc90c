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
		{4, 12, 12, 4}, // 12 early of 16 in all
		{4, 13, 12, 3},
		{4, 14, 12, 2},
		{4, 15, 15, 1}, // the read-ahead allowance is the bound now
		{4, 16, 16, 0},
		{4, 17, 17, -1},
		{1, 0, 0, 1},
		{1, 1, 1, 1},
		{1, 3, 3, 1},
		{1, 4, 4, 0},
	} {
		if got := readable(c.concurrency, c.held, c.early); got != c.want {
			t.Errorf("readable(%d, held %d, early %d) = %d, want %d", c.concurrency, c.held, c.early, got, c.want)
		}
	}
}
