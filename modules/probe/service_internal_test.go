package probe

import (
	"context"
	"strings"
	"testing"
	"time"
)

// fakeCheck is a kind whose Run is the test's function.
type fakeCheck struct {
	X  string `json:"x"`
	fn func(context.Context) Result
}

func (f *fakeCheck) Validate() error                        { return nil }
func (f *fakeCheck) Target() string                         { return f.X }
func (f *fakeCheck) Run(ctx context.Context, _ *Env) Result { return f.fn(ctx) }

// withFake returns a Prober that also runs kind "fake" with fn.
func withFake(fn func(context.Context) Result) *Prober {
	p := New(Config{})
	p.kinds["fake"] = Kind{Name: "fake", Scheduled: true, New: func() Check { return &fakeCheck{fn: fn} }}
	return p
}

func fakeRequest(timeoutMS int) Request {
	return Request{Check: Spec{Kind: "fake", Config: []byte(`{"x":"anything"}`)}, TimeoutMS: timeoutMS}
}

func TestCheckRecoversPanics(t *testing.T) {
	tests := []struct {
		name  string
		probe func(context.Context) Result
		want  string
	}{
		{name: "panic with a value", probe: func(context.Context) Result { panic("boom\nsecond line") }, want: "boom second line"},
		{name: "nil pointer", probe: func(context.Context) Result {
			var r *HTTP
			return Result{Error: r.URL}
		}, want: "nil pointer dereference"},
		{name: "panic with a long value", probe: func(context.Context) Result { panic(strings.Repeat("x", 5000)) }, want: "probe panicked: xxx"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := withFake(tt.probe)
			at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
			p.Now = func() time.Time { return at }
			got := p.Check(context.Background(), fakeRequest(0))
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

func TestCheckKindLookup(t *testing.T) {
	tests := []struct {
		name    string
		spec    Spec
		want    bool   // the fake kind ran
		wantErr string // in the internal error otherwise
	}{
		{name: "registered kind", spec: Spec{Kind: "fake", Config: []byte(`{}`)}, want: true},
		{name: "kind is case-sensitive", spec: Spec{Kind: "FAKE"}, wantErr: "check.kind"},
		{name: "unknown kind", spec: Spec{Kind: "other"}, wantErr: "check.kind: must be one of"},
		{name: "no kind", spec: Spec{}, wantErr: "check.kind: is required"},
		{name: "unknown setting", spec: Spec{Kind: "fake", Config: []byte(`{"y":1}`)}, wantErr: "check.y: unknown field"},
		{name: "wrong type", spec: Spec{Kind: "fake", Config: []byte(`{"x":1}`)}, wantErr: "check.x: must be a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ran := false
			p := withFake(func(context.Context) Result {
				ran = true
				return Result{Status: StatusUp}
			})
			got := p.Check(context.Background(), Request{Check: tt.spec})
			if ran != tt.want {
				t.Fatalf("probe ran: %v, want %v", ran, tt.want)
			}
			if !tt.want && (got.Status != StatusDown || got.ErrorClass != ClassInternal || !strings.Contains(got.Error, tt.wantErr)) {
				t.Errorf("got %q %q %q, want down internal containing %q", got.Status, got.ErrorClass, got.Error, tt.wantErr)
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
			var left time.Duration
			p := withFake(func(ctx context.Context) Result {
				deadline, ok := ctx.Deadline()
				if !ok {
					t.Fatal("probe context has no deadline")
				}
				left = time.Until(deadline)
				return Result{Status: StatusUp}
			})
			p.Check(context.Background(), fakeRequest(tt.timeoutMS))
			if left > tt.want || left < tt.want-time.Second {
				t.Errorf("probe had %s left, want about %s", left, tt.want)
			}
		})
	}
}

func TestCheckJudgesDegradedAboveThreshold(t *testing.T) {
	for _, tt := range []struct {
		name       string
		latency    float64
		degradedMS int
		want       Status
	}{
		{name: "at the threshold is up", latency: 500, degradedMS: 500, want: StatusUp},
		{name: "just above is degraded", latency: 500.5, degradedMS: 500, want: StatusDegraded},
		{name: "threshold off", latency: 5000, degradedMS: 0, want: StatusUp},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := withFake(func(context.Context) Result { return Result{Status: StatusUp, LatencyMS: tt.latency} })
			req := fakeRequest(0)
			req.DegradedAfterMS = tt.degradedMS
			got := p.Check(context.Background(), req)
			if got.Status != tt.want || got.ErrorClass != ClassNone {
				t.Errorf("got %q %q, want %q without a class", got.Status, got.ErrorClass, tt.want)
			}
		})
	}
}

func TestHTTPValidateRequest(t *testing.T) {
	tests := []struct {
		name    string
		req     HTTP
		wantErr string // empty: valid
	}{
		{name: "minimal", req: HTTP{URL: "https://example.com"}},
		{name: "full", req: HTTP{URL: "http://example.com/x", Method: "PATCH", Headers: map[string]string{"X-A": "b"},
			ExpectedStatus: []string{"2xx", "418"}}},
		{name: "bad scheme", req: HTTP{URL: "ftp://example.com"}, wantErr: "url:"},
		{name: "no host", req: HTTP{URL: "http:///path"}, wantErr: "url:"},
		{name: "bad method", req: HTTP{URL: "http://e.com", Method: "GE T"}, wantErr: "method:"},
		{name: "bad header name", req: HTTP{URL: "http://e.com", Headers: map[string]string{"X:Y": "b"}}, wantErr: "headers:"},
		{name: "header value with newline", req: HTTP{URL: "http://e.com", Headers: map[string]string{"X": "a\r\nInjected: 1"}}, wantErr: "headers:"},
		{name: "bad expected status", req: HTTP{URL: "http://e.com", ExpectedStatus: []string{"2xy"}}, wantErr: "expected_status:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.req.validateRequest()
			if tt.wantErr == "" {
				if err != nil {
					t.Errorf("validateRequest() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Errorf("validateRequest() = %v, want an error starting %q", err, tt.wantErr)
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
