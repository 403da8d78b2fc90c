package probe

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestCheckRecoversPanics(t *testing.T) {
	tests := []struct {
		name  string
		probe Func
		want  string
	}{
		{name: "panic with a value", probe: func(context.Context, Request) Result { panic("boom\nsecond line") }, want: "boom second line"},
		{name: "nil pointer", probe: func(context.Context, Request) Result {
			var r *Request
			return Result{Error: r.URL}
		}, want: "nil pointer dereference"},
		{name: "panic with a long value", probe: func(context.Context, Request) Result { panic(strings.Repeat("x", 5000)) }, want: "probe panicked: xxx"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := New(Config{})
			at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
			p.Now = func() time.Time { return at }
			p.probes["test"] = tt.probe
			got := p.Check(context.Background(), Request{URL: "test://anything"})
			if got.Status != StatusDown || got.ErrorClass != ClassInternal {
				t.Fatalf("got %q %q, want down internal", got.Status, got.ErrorClass)
			}
			if !strings.Contains(got.Error, tt.want) {
				t.Errorf("error %q does not contain %q", got.Error, tt.want)
			}
			if len(got.Error) > maxErrorBytes || strings.Contains(got.Error, "goroutine") || strings.ContainsAny(got.Error, "\n") {
				t.Errorf("error is not a short line without a stack: %q", got.Error)
			}
			if !got.CheckedAt.Equal(at) {
				t.Errorf("CheckedAt %v, want %v", got.CheckedAt, at)
			}
		})
	}
}

func TestCheckSchemeLookup(t *testing.T) {
	tests := []struct {
		name string
		url  string
		want bool // the registered probe ran
	}{
		{name: "registered scheme", url: "fake://x", want: true},
		{name: "scheme is case-insensitive", url: "FAKE://x", want: true},
		{name: "unknown scheme", url: "other://x"},
		{name: "no scheme", url: "example.com"},
		{name: "empty", url: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := New(Config{})
			ran := false
			p.probes["fake"] = func(context.Context, Request) Result {
				ran = true
				return Result{Status: StatusUp}
			}
			got := p.Check(context.Background(), Request{URL: tt.url})
			if ran != tt.want {
				t.Fatalf("probe ran: %v, want %v", ran, tt.want)
			}
			if !tt.want && (got.ErrorClass != ClassInternal || !strings.Contains(got.Error, "unsupported URL")) {
				t.Errorf("got %q %q, want internal unsupported URL", got.ErrorClass, got.Error)
			}
		})
	}
}

func TestCheckPassesDeadline(t *testing.T) {
	tests := []struct {
		name      string
		timeoutMS int
		want      time.Duration
	}{
		{name: "request timeout", timeoutMS: 1500, want: 1500 * time.Millisecond},
		{name: "default timeout", want: DefaultTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := New(Config{})
			var left time.Duration
			p.probes["fake"] = func(ctx context.Context, _ Request) Result {
				deadline, ok := ctx.Deadline()
				if !ok {
					t.Fatal("probe context has no deadline")
				}
				left = time.Until(deadline)
				return Result{Status: StatusUp}
			}
			p.Check(context.Background(), Request{URL: "fake://x", TimeoutMS: tt.timeoutMS})
			if left > tt.want || left < tt.want-time.Second {
				t.Errorf("probe had %s left, want about %s", left, tt.want)
			}
		})
	}
}

func TestRequestValidate(t *testing.T) {
	tests := []struct {
		name    string
		req     Request
		wantErr string // empty: valid
	}{
		{name: "minimal", req: Request{URL: "https://example.com"}},
		{name: "full", req: Request{URL: "http://example.com/x", Method: "PATCH", Headers: map[string]string{"X-A": "b"},
			TimeoutMS: 1000, ExpectedStatus: []string{"2xx", "418"}, DegradedAfterMS: 500}},
		{name: "bad scheme", req: Request{URL: "ftp://example.com"}, wantErr: "url:"},
		{name: "no host", req: Request{URL: "http:///path"}, wantErr: "url:"},
		{name: "bad method", req: Request{URL: "http://e.com", Method: "GE T"}, wantErr: "method:"},
		{name: "bad header name", req: Request{URL: "http://e.com", Headers: map[string]string{"X:Y": "b"}}, wantErr: "headers:"},
		{name: "header value with newline", req: Request{URL: "http://e.com", Headers: map[string]string{"X": "a\r\nInjected: 1"}}, wantErr: "headers:"},
		{name: "negative timeout", req: Request{URL: "http://e.com", TimeoutMS: -1}, wantErr: "timeout_ms:"},
		{name: "negative degraded", req: Request{URL: "http://e.com", DegradedAfterMS: -1}, wantErr: "degraded_after_ms:"},
		{name: "bad expected status", req: Request{URL: "http://e.com", ExpectedStatus: []string{"2xy"}}, wantErr: "expected_status:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.req.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Errorf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Errorf("Validate() = %v, want an error starting %q", err, tt.wantErr)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{name: "zero value", cfg: Config{}},
		{name: "negative body cap", cfg: Config{MaxBodyBytes: -1}, wantErr: "probe.max_body_bytes"},
		{name: "multi-line user agent", cfg: Config{UserAgent: "a\nb"}, wantErr: "probe.user_agent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if (err == nil) != (tt.wantErr == "") || err != nil && !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Errorf("Validate() = %v, want %q", err, tt.wantErr)
			}
		})
	}
}
