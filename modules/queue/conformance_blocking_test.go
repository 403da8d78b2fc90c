package queue

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

func testBlockTimeout(t *testing.T, open opener) {
	h := open(t, Config{})
	tests := []struct {
		name     string
		block    time.Duration
		min, max time.Duration
		read     func(block time.Duration) (int, error)
	}{
		{"jobs, no wait", 0, 0, 500 * time.Millisecond, func(b time.Duration) (int, error) {
			ds, err := h.q.ReadJobs(t.Context(), "eu", "w", 10, b)
			return len(ds), err
		}},
		{"jobs", 150 * time.Millisecond, 140 * time.Millisecond, 2 * time.Second, func(b time.Duration) (int, error) {
			ds, err := h.q.ReadJobs(t.Context(), "eu", "w", 10, b)
			return len(ds), err
		}},
		{"jobs, sub-millisecond", 200 * time.Microsecond, 0, 2 * time.Second, func(b time.Duration) (int, error) {
			ds, err := h.q.ReadJobs(t.Context(), "eu", "w", 10, b)
			return len(ds), err
		}},
		{"results", 150 * time.Millisecond, 140 * time.Millisecond, 2 * time.Second, func(b time.Duration) (int, error) {
			rs, err := h.q.ReadResults(t.Context(), "a", 10, b)
			return len(rs), err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			n, err := tt.read(tt.block)
			took := time.Since(start)
			if err != nil || n != 0 {
				t.Fatalf("read = %d, %v; want nothing and no error", n, err)
			}
			if took < tt.min || took > tt.max {
				t.Errorf("read took %v, want between %v and %v", took, tt.min, tt.max)
			}
		})
	}
}

func testWake(t *testing.T, open opener) {
	h := open(t, Config{})
	type read struct {
		ids  []string
		err  error
		took time.Duration
	}
	jobs, results := make(chan read, 1), make(chan read, 1)
	start := time.Now()
	go func() {
		ds, err := h.q.ReadJobs(t.Context(), "eu", "w", 10, 10*time.Second)
		r := read{err: err, took: time.Since(start)}
		for _, d := range ds {
			r.ids = append(r.ids, d.ID)
		}
		jobs <- r
	}()
	go func() {
		rs, err := h.q.ReadResults(t.Context(), "a", 10, 10*time.Second)
		r := read{err: err, took: time.Since(start)}
		for _, d := range rs {
			r.ids = append(r.ids, d.ID)
		}
		results <- r
	}()
	time.Sleep(100 * time.Millisecond)
	mustPublish(t, h.peer(), 1, testJob("1:1", "eu"))
	got := <-jobs
	if got.err != nil || len(got.ids) != 1 || got.took > 2*time.Second {
		t.Fatalf("blocked ReadJobs = %+v; want the job promptly", got)
	}
	if err := h.peer().CompleteJob(t.Context(), "eu", got.ids[0], Result{JobID: "1:1"}); err != nil {
		t.Fatal(err)
	}
	got = <-results
	if got.err != nil || len(got.ids) != 1 || got.took > 2*time.Second {
		t.Fatalf("blocked ReadResults = %+v; want the result promptly", got)
	}
}

func testCancel(t *testing.T, open opener) {
	h := open(t, Config{})
	tests := []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		want error
		read func(ctx context.Context) error
	}{
		{"jobs, cancel", cancelAfter(100 * time.Millisecond), context.Canceled, func(ctx context.Context) error {
			_, err := h.q.ReadJobs(ctx, "eu", "w", 10, 10*time.Second)
			return err
		}},
		{"jobs, deadline", deadlineAfter(100 * time.Millisecond), context.DeadlineExceeded, func(ctx context.Context) error {
			_, err := h.q.ReadJobs(ctx, "eu", "w", 10, 10*time.Second)
			return err
		}},
		{"jobs, already cancelled", cancelAfter(0), context.Canceled, func(ctx context.Context) error {
			_, err := h.q.ReadJobs(ctx, "eu", "w", 10, 10*time.Second)
			return err
		}},
		{"results, cancel", cancelAfter(100 * time.Millisecond), context.Canceled, func(ctx context.Context) error {
			_, err := h.q.ReadResults(ctx, "a", 10, 10*time.Second)
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := tt.ctx()
			defer cancel()
			start := time.Now()
			err := tt.read(ctx)
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			if took := time.Since(start); took > 2*time.Second {
				t.Errorf("returned after %v, want promptly", took)
			}
		})
	}
	// The queue still works, and the cancelled reads took nothing.
	mustPublish(t, h.q, 1, testJob("1:1", "eu"))
	if claimed, err := h.q.ClaimJobs(t.Context(), "eu", "x", 0, 0); err != nil || len(claimed) != 0 {
		t.Fatalf("pending after cancelled reads: %d, %v", len(claimed), err)
	}
	mustRead(t, h.q, "eu", "w2", 1)
}

// cancelAfter returns a context cancelled after d (at once for 0).
func cancelAfter(d time.Duration) func() (context.Context, context.CancelFunc) {
	return func() (context.Context, context.CancelFunc) {
		ctx, cancel := context.WithCancel(context.Background())
		if d == 0 {
			cancel()
		} else {
			time.AfterFunc(d, cancel)
		}
		return ctx, cancel
	}
}

// deadlineAfter returns a context that expires after d.
func deadlineAfter(d time.Duration) func() (context.Context, context.CancelFunc) {
	return func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(context.Background(), d)
	}
}

// testCancelRace cancels reads at the moment a job arrives, many times: each
// job must end up either returned by the cancelled read or still available
// to another consumer, never pending with a reader that has gone.
func testCancelRace(t *testing.T, open opener) {
	h := open(t, Config{})
	peer := h.peer()
	for i := range 30 {
		ctx, cancel := context.WithCancel(t.Context())
		got := make(chan int, 1)
		go func() {
			ds, err := h.q.ReadJobs(ctx, "eu", "gone", 10, 5*time.Second)
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("read: %v", err)
			}
			got <- len(ds)
		}()
		time.Sleep(time.Duration(i%5) * time.Millisecond)
		mustPublish(t, peer, 1, testJob(fmt.Sprintf("%d:1", i), "eu"))
		cancel()
		returned := <-got
		left, err := h.q.ReadJobs(t.Context(), "eu", "other", 10, 0)
		if err != nil {
			t.Fatal(err)
		}
		if returned+len(left) != 1 {
			t.Fatalf("round %d: cancelled read returned %d, others can read %d; want exactly 1 in all", i, returned, len(left))
		}
		// Clear whatever is pending for the next round.
		all, err := h.q.ClaimJobs(t.Context(), "eu", "sweeper", 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range all {
			if err := h.q.DropJob(t.Context(), "eu", d.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func testClose(t *testing.T, open opener) {
	h := open(t, Config{})
	errc := make(chan error, 1)
	start := time.Now()
	go func() {
		_, err := h.q.ReadJobs(t.Context(), "eu", "w", 10, 10*time.Second)
		errc <- err
	}()
	time.Sleep(100 * time.Millisecond)
	if err := h.q.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; !errors.Is(err, ErrClosed) {
		t.Errorf("blocked read after Close: %v, want ErrClosed", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("blocked read returned after %v, want promptly", took)
	}
	if err := h.q.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	ctx := t.Context()
	calls := map[string]func() error{
		"PublishJobs": func() error { _, err := h.q.PublishJobs(ctx, []Job{testJob("1:1", "eu")}); return err },
		"ReadJobs":    func() error { _, err := h.q.ReadJobs(ctx, "eu", "w", 1, 0); return err },
		"ClaimJobs":   func() error { _, err := h.q.ClaimJobs(ctx, "eu", "w", 0, 1); return err },
		"ReadResults": func() error { _, err := h.q.ReadResults(ctx, "a", 1, 0); return err },
		"AckResults":  func() error { return h.q.AckResults(ctx, "1-1") },
		"Heartbeat":   func() error { return h.q.Heartbeat(ctx, "eu", "w") },
		"Regions":     func() error { _, err := h.q.Regions(ctx, time.Minute); return err },
		"Ping":        func() error { return h.q.Ping(ctx) },
		"Backlog":     func() error { _, err := h.q.Backlog(ctx, "eu"); return err },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", name, err)
		}
	}
}
