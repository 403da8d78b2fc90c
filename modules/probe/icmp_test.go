package probe

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/apperr"
)

// validICMP returns settings that pass Validate.
func validICMP() *ICMP {
	c := newICMP()
	c.Host = "127.0.0.1"
	return c
}

func TestICMPValidate(t *testing.T) {
	tests := []struct {
		name      string
		change    func(c *ICMP)
		wantField string // "" = valid
	}{
		{name: "defaults", change: func(*ICMP) {}},
		{name: "host missing", change: func(c *ICMP) { c.Host = "" }, wantField: "check.host"},
		{name: "host name", change: func(c *ICMP) { c.Host = "db-1.example.org." }},
		{name: "host IPv6", change: func(c *ICMP) { c.Host = "2001:db8::1" }},
		{name: "host with port", change: func(c *ICMP) { c.Host = "example.org:80" }, wantField: "check.host"},
		{name: "host as URL", change: func(c *ICMP) { c.Host = "http://example.org" }, wantField: "check.host"},
		{name: "host with space", change: func(c *ICMP) { c.Host = "example .org" }, wantField: "check.host"},
		{name: "host too long", change: func(c *ICMP) { c.Host = strings.Repeat("a.", 127) + "org" }, wantField: "check.host"},
		{name: "count 0", change: func(c *ICMP) { c.Count = 0 }, wantField: "check.count"},
		{name: "count 1", change: func(c *ICMP) { c.Count = 1 }},
		{name: "count 20", change: func(c *ICMP) { c.Count = 20 }},
		{name: "count 21", change: func(c *ICMP) { c.Count = 21 }, wantField: "check.count"},
		{name: "interval 9", change: func(c *ICMP) { c.IntervalMS = 9 }, wantField: "check.interval_ms"},
		{name: "interval 10", change: func(c *ICMP) { c.IntervalMS = 10 }},
		{name: "interval 5000", change: func(c *ICMP) { c.IntervalMS = 5000 }},
		{name: "interval 5001", change: func(c *ICMP) { c.IntervalMS = 5001 }, wantField: "check.interval_ms"},
		{name: "loss 0", change: func(c *ICMP) { c.LossDownPercent = 0 }, wantField: "check.loss_down_percent"},
		{name: "loss 1", change: func(c *ICMP) { c.LossDownPercent = 1 }},
		{name: "loss 100", change: func(c *ICMP) { c.LossDownPercent = 100 }},
		{name: "loss 101", change: func(c *ICMP) { c.LossDownPercent = 101 }, wantField: "check.loss_down_percent"},
		{name: "degraded rtt -1", change: func(c *ICMP) { c.DegradedRTTMS = -1 }, wantField: "check.degraded_rtt_ms"},
		{name: "degraded rtt 0 is off", change: func(c *ICMP) { c.DegradedRTTMS = 0 }},
		{name: "degraded rtt 1", change: func(c *ICMP) { c.DegradedRTTMS = 1 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validICMP()
			tt.change(c)
			err := c.Validate()
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			ae := apperr.As(err)
			if ae == nil || ae.Kind != apperr.Invalid {
				t.Fatalf("Validate() = %v, want a validation error", err)
			}
			if len(ae.Fields) != 1 || ae.Fields[tt.wantField] == "" {
				t.Errorf("fields %v, want only %s", ae.Fields, tt.wantField)
			}
		})
	}
}

func TestICMPParse(t *testing.T) {
	tests := []struct {
		name      string
		config    string
		want      *ICMP
		wantField string
		wantMsg   string
	}{
		{name: "defaults", config: `{"host":"example.org"}`,
			want: &ICMP{Host: "example.org", Count: 3, IntervalMS: 200, LossDownPercent: 100}},
		{name: "every field", config: `{"host":"10.0.0.1","count":5,"interval_ms":100,"loss_down_percent":50,"degraded_rtt_ms":80}`,
			want: &ICMP{Host: "10.0.0.1", Count: 5, IntervalMS: 100, LossDownPercent: 50, DegradedRTTMS: 80}},
		{name: "host missing", config: `{}`, wantField: "check.host", wantMsg: "required"},
		{name: "unknown field", config: `{"host":"example.org","timeout_ms":5}`, wantField: "check.timeout_ms", wantMsg: "unknown field"},
		{name: "field names are exact", config: `{"host":"example.org","Count":5}`, wantField: "check.Count", wantMsg: "unknown field"},
		{name: "count as a string", config: `{"host":"example.org","count":"5"}`, wantField: "check.count", wantMsg: "must be an integer"},
		{name: "count given as 0", config: `{"host":"example.org","count":0}`, wantField: "check.count", wantMsg: "between 1 and 20"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(Spec{Kind: "icmp", Config: json.RawMessage(tt.config)})
			if tt.want != nil {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Errorf("Parse = %+v, want %+v", got, tt.want)
				}
				// What is stored and exported reads back the same.
				spec, err := SpecOf("icmp", got)
				if err != nil {
					t.Fatal(err)
				}
				again, err := Parse(spec)
				if err != nil || !reflect.DeepEqual(again, got) {
					t.Errorf("round trip through %s = %+v, %v", spec.Config, again, err)
				}
				return
			}
			ae := apperr.As(err)
			if ae == nil || !strings.Contains(ae.Fields[tt.wantField], tt.wantMsg) {
				t.Errorf("Parse error %v, want %s: %q", err, tt.wantField, tt.wantMsg)
			}
		})
	}
}

func TestICMPKind(t *testing.T) {
	k, err := LookupKind("icmp")
	if err != nil {
		t.Fatal(err)
	}
	if k.Title != "Ping (ICMP)" || !k.Scheduled {
		t.Errorf("kind %q scheduled=%v", k.Title, k.Scheduled)
	}
	for _, scheme := range []string{"icmp", "ping", "PING"} {
		if got, ok := KindForScheme(scheme); !ok || got.Name != "icmp" {
			t.Errorf("KindForScheme(%q) = %q, %v", scheme, got.Name, ok)
		}
	}
	// Every setting has a form field and every form field a setting, in
	// the struct's order, each with a label and help.
	var names []string
	for _, f := range k.Fields {
		names = append(names, f.Name)
		if f.Label == "" || f.Help == "" {
			t.Errorf("field %s lacks a label or help", f.Name)
		}
	}
	var tags []string
	st := reflect.TypeOf(ICMP{})
	for i := range st.NumField() {
		name, _, _ := strings.Cut(st.Field(i).Tag.Get("json"), ",")
		tags = append(tags, name)
	}
	if !reflect.DeepEqual(names, tags) {
		t.Errorf("fields %v, settings %v", names, tags)
	}
}

func TestICMPFromURL(t *testing.T) {
	tests := []struct {
		name      string
		url       string
		want      *ICMP
		wantField string
	}{
		{name: "host only", url: "icmp://example.org",
			want: &ICMP{Host: "example.org", Count: 3, IntervalMS: 200, LossDownPercent: 100}},
		{name: "every parameter", url: "ping://10.0.0.1/?count=5&interval_ms=100&loss_down_percent=50&degraded_rtt_ms=100",
			want: &ICMP{Host: "10.0.0.1", Count: 5, IntervalMS: 100, LossDownPercent: 50, DegradedRTTMS: 100}},
		{name: "IPv6 in brackets", url: "icmp://[2001:db8::1]?count=1",
			want: &ICMP{Host: "2001:db8::1", Count: 1, IntervalMS: 200, LossDownPercent: 100}},
		{name: "out of range is left to Validate", url: "icmp://example.org?count=99",
			want: &ICMP{Host: "example.org", Count: 99, IntervalMS: 200, LossDownPercent: 100}},
		{name: "unknown parameter", url: "icmp://example.org?timeout=5", wantField: "check.timeout"},
		{name: "not an integer", url: "icmp://example.org?count=five", wantField: "check.count"},
		{name: "parameter twice", url: "icmp://example.org?count=1&count=2", wantField: "check.count"},
		{name: "port", url: "icmp://example.org:80", wantField: "check.host"},
		{name: "path", url: "icmp://example.org/health", wantField: "check.host"},
		{name: "user", url: "icmp://me@example.org", wantField: "check.host"},
		{name: "no slashes", url: "icmp:example.org", wantField: "check.host"},
		{name: "no host", url: "icmp:///", wantField: "check.host"},
		{name: "malformed query", url: "icmp://example.org?count=%zz", wantField: "check"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := url.Parse(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			k, ok := KindForScheme(u.Scheme)
			if !ok {
				t.Fatalf("no kind for %q", u.Scheme)
			}
			got, err := k.FromURL(u)
			if tt.want != nil {
				if err != nil {
					t.Fatalf("FromURL: %v", err)
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Errorf("FromURL = %+v, want %+v", got, tt.want)
				}
				return
			}
			if ae := apperr.As(err); ae == nil || ae.Fields[tt.wantField] == "" {
				t.Errorf("FromURL error %v, want one naming %s", err, tt.wantField)
			}
		})
	}
}

func TestLossVerdict(t *testing.T) {
	tests := []struct {
		name             string
		sent, recv, down int
		wantLoss         float64
		wantDown         bool
	}{
		{name: "nothing lost", sent: 3, recv: 3, down: 1, wantLoss: 0},
		{name: "1 of 3 lost, down at 34%", sent: 3, recv: 2, down: 34, wantLoss: 100.0 / 3},
		{name: "1 of 3 lost, down at 33%", sent: 3, recv: 2, down: 33, wantLoss: 100.0 / 3, wantDown: true},
		{name: "1 of 2 lost, down at 50%", sent: 2, recv: 1, down: 50, wantLoss: 50, wantDown: true},
		{name: "1 of 2 lost, down at 51%", sent: 2, recv: 1, down: 51, wantLoss: 50},
		{name: "2 of 3 lost, down at 100%", sent: 3, recv: 1, down: 100, wantLoss: 200.0 / 3},
		{name: "all lost, down at 100%", sent: 3, recv: 0, down: 100, wantLoss: 100, wantDown: true},
		{name: "1 of 20 lost, down at 5%", sent: 20, recv: 19, down: 5, wantLoss: 5, wantDown: true},
		{name: "1 of 20 lost, down at 6%", sent: 20, recv: 19, down: 6, wantLoss: 5},
		{name: "nothing sent", sent: 0, recv: 0, down: 100, wantLoss: 100, wantDown: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loss, down := lossVerdict(tt.sent, tt.recv, tt.down)
			if loss != tt.wantLoss || down != tt.wantDown {
				t.Errorf("lossVerdict(%d, %d, %d) = %v, %v; want %v, %v",
					tt.sent, tt.recv, tt.down, loss, down, tt.wantLoss, tt.wantDown)
			}
		})
	}
}

func TestICMPJudge(t *testing.T) {
	tests := []struct {
		name       string
		downAt     int
		degradedMS int
		sent, recv int
		avg        time.Duration
		want       Status
		wantClass  ErrorClass
		wantError  string
	}{
		{name: "all answered", downAt: 100, sent: 3, recv: 3, avg: time.Millisecond, want: StatusUp},
		{name: "some lost below the threshold", downAt: 100, sent: 3, recv: 1, avg: time.Millisecond, want: StatusUp},
		{name: "all lost", downAt: 100, sent: 3, recv: 0, want: StatusDown, wantClass: ClassPacketLoss,
			wantError: "3 of 3 packets lost (100% loss, down at 100%)"},
		{name: "partial loss at the threshold", downAt: 33, sent: 3, recv: 2, avg: time.Millisecond, want: StatusDown,
			wantClass: ClassPacketLoss, wantError: "1 of 3 packets lost (33.3% loss, down at 33%)"},
		{name: "slow", downAt: 100, degradedMS: 200, sent: 3, recv: 3, avg: 250 * time.Millisecond,
			want: StatusDegraded, wantError: "average RTT 250 ms over 200 ms"},
		{name: "slow with decimals", downAt: 100, degradedMS: 200, sent: 3, recv: 3, avg: 200456 * time.Microsecond,
			want: StatusDegraded, wantError: "average RTT 200.46 ms over 200 ms"},
		{name: "exactly at the RTT limit", downAt: 100, degradedMS: 200, sent: 3, recv: 3, avg: 200 * time.Millisecond, want: StatusUp},
		{name: "RTT limit off", downAt: 100, sent: 3, recv: 3, avg: 5 * time.Second, want: StatusUp},
		{name: "loss beats slowness", downAt: 50, degradedMS: 1, sent: 2, recv: 1, avg: time.Second, want: StatusDown,
			wantClass: ClassPacketLoss, wantError: "1 of 2 packets lost (50% loss, down at 50%)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validICMP()
			c.LossDownPercent, c.DegradedRTTMS = tt.downAt, tt.degradedMS
			status, class, msg := c.judge(tt.sent, tt.recv, tt.avg)
			if status != tt.want || class != tt.wantClass || msg != tt.wantError {
				t.Errorf("judge = %q %q %q; want %q %q %q", status, class, msg, tt.want, tt.wantClass, tt.wantError)
			}
		})
	}
}

// runICMP runs c with a fresh Env within timeout.
func runICMP(t *testing.T, env *Env, c *ICMP, timeout time.Duration) Result {
	t.Helper()
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return c.Run(ctx, env)
}

func TestICMPRunRefusedBeforeSending(t *testing.T) {
	expired, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	cancelled, cancel2 := context.WithCancel(context.Background())
	cancel2()
	tests := []struct {
		name      string
		ctx       context.Context
		cfg       Config
		host      string
		wantClass ErrorClass
		wantError string
	}{
		{name: "loopback blocked", ctx: context.Background(), cfg: Config{BlockPrivate: true}, host: "127.0.0.1",
			wantClass: ClassBlocked, wantError: "blocked: 127.0.0.1"},
		{name: "private name blocked", ctx: context.Background(), cfg: Config{BlockPrivate: true}, host: "localhost",
			wantClass: ClassBlocked, wantError: "blocked: 127.0.0.1"},
		{name: "name does not resolve", ctx: context.Background(), host: "x.invalid",
			wantClass: ClassDNS, wantError: "x.invalid"},
		{name: "deadline passed", ctx: expired, host: "127.0.0.1",
			wantClass: ClassTimeout, wantError: "timed out after"},
		{name: "cancelled", ctx: cancelled, host: "127.0.0.1",
			wantClass: ClassInternal, wantError: "cancelled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validICMP()
			c.Host = tt.host
			ctx, cancel := context.WithTimeout(tt.ctx, 10*time.Second)
			defer cancel()
			env := NewEnv(tt.cfg)
			got := c.Run(ctx, env)
			if got.Status != StatusDown || got.ErrorClass != tt.wantClass || !strings.Contains(got.Error, tt.wantError) {
				t.Errorf("got %q %q %q; want down %q containing %q", got.Status, got.ErrorClass, got.Error, tt.wantClass, tt.wantError)
			}
			if mode := env.Shared(icmpModeKey, func() any { return new(atomic.Int32) }).(*atomic.Int32).Load(); mode != 0 {
				t.Errorf("a socket was opened (mode %d)", mode)
			}
		})
	}
}

var rttDetail = regexp.MustCompile(`^\d+\.\d\d / \d+\.\d\d / \d+\.\d\d ms$`)

func TestICMPRunLoopback(t *testing.T) {
	requireRoot(t)
	tests := []struct{ name, host string }{
		{name: "address", host: "127.0.0.1"},
		{name: "name, IPv4 preferred", host: "localhost"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := NewEnv(Config{})
			c := validICMP()
			c.Host, c.IntervalMS = tt.host, 10
			start := time.Now()
			got := runICMP(t, env, c, 5*time.Second)
			if got.Status != StatusUp || got.ErrorClass != ClassNone || got.Error != "" {
				t.Fatalf("got %q %q %q, want up", got.Status, got.ErrorClass, got.Error)
			}
			if took := time.Since(start); took > 2*time.Second {
				t.Errorf("took %v: waited for the deadline although every packet came back", took)
			}
			if got.LatencyMS <= 0 || got.ResolvedIP != "127.0.0.1" {
				t.Errorf("latency %v ms, resolved %q", got.LatencyMS, got.ResolvedIP)
			}
			want := []Detail{
				{Name: "address", Value: "127.0.0.1"},
				{Name: "packets", Value: "3 sent, 3 received"},
				{Name: "packet loss", Value: "0%"},
				{Name: "rtt min/avg/max"},
				{Name: "mode", Value: "privileged raw socket"},
			}
			checkDetails(t, got.Details, want)
			if mode := icmpMode(env.Shared(icmpModeKey, nil).(*atomic.Int32).Load()); mode != icmpPrivileged {
				t.Errorf("cached mode %v, want privileged", mode)
			}
		})
	}
}

func TestICMPRunStopsAtDeadline(t *testing.T) {
	requireRoot(t)
	c := validICMP()
	c.Count, c.IntervalMS = 20, 100 // 1.9 s of sending, more than the timeout
	start := time.Now()
	got := runICMP(t, NewEnv(Config{}), c, 450*time.Millisecond)
	took := time.Since(start)
	if got.Status != StatusUp {
		t.Fatalf("got %q %q %q, want up with the packets that fit", got.Status, got.ErrorClass, got.Error)
	}
	if took > 1500*time.Millisecond {
		t.Errorf("took %v, want about the 450 ms timeout", took)
	}
	var packets string
	for _, d := range got.Details {
		if d.Name == "packets" {
			packets = d.Value
		}
	}
	if !regexp.MustCompile(`^[2-6] sent, [1-6] received$`).MatchString(packets) {
		t.Errorf("packets %q, want the few sent before the deadline", packets)
	}
}

// checkDetails compares details by name and order; a want without a Value
// only has to match rttDetail.
func checkDetails(t *testing.T, got, want []Detail) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("details %v, want %v", got, want)
	}
	for i, w := range want {
		g := got[i]
		switch {
		case g.Name != w.Name:
			t.Errorf("detail %d is %q, want %q", i, g.Name, w.Name)
		case w.Value == "" && !rttDetail.MatchString(g.Value):
			t.Errorf("%s = %q, want like 0.04 / 0.05 / 0.07 ms", g.Name, g.Value)
		case w.Value != "" && g.Value != w.Value:
			t.Errorf("%s = %q, want %q", g.Name, g.Value, w.Value)
		}
	}
}

// TestICMPInNamespace pings loopback inside network namespaces the test
// creates, so no packet leaves this machine: there the kernel can be told
// to ignore pings, and the ping group range can be set without touching
// the host. The check runs twice in a copy of this test binary (see
// TestICMPHelperProcess), as root or as nobody: the second run uses the
// mode the first one remembered.
func TestICMPInNamespace(t *testing.T) {
	requireNamespaces(t)
	bin := MustExecutableCopy(t)
	tests := []struct {
		name      string
		sysctls   []string // key=value inside the namespace
		loDown    bool
		asNobody  bool
		check     string
		timeout   time.Duration
		want      Status
		wantClass ErrorClass
		wantError []string
		details   []Detail
		wantMode  icmpMode // remembered after the check
	}{
		{
			name:    "every packet lost",
			sysctls: []string{"net.ipv4.icmp_echo_ignore_all=1"},
			check:   `{"host":"127.0.0.1","count":3,"interval_ms":10}`, timeout: 500 * time.Millisecond,
			want: StatusDown, wantClass: ClassPacketLoss,
			wantError: []string{"3 of 3 packets lost (100% loss, down at 100%)"},
			details: []Detail{
				{Name: "address", Value: "127.0.0.1"},
				{Name: "packets", Value: "3 sent, 0 received"},
				{Name: "packet loss", Value: "100%"},
				{Name: "mode", Value: "privileged raw socket"},
			},
			wantMode: icmpPrivileged,
		},
		{
			name:   "no route",
			loDown: true,
			check:  `{"host":"127.0.0.1","count":3,"interval_ms":10}`, timeout: 500 * time.Millisecond,
			want: StatusDown, wantClass: ClassConnect,
			wantError: []string{"unreachable"},
			wantMode:  icmpPrivileged,
		},
		{
			name:     "unprivileged socket as nobody",
			sysctls:  []string{"net.ipv4.ping_group_range=0 2147483647"},
			asNobody: true,
			check:    `{"host":"127.0.0.1","count":3,"interval_ms":10}`, timeout: 5 * time.Second,
			want: StatusUp,
			details: []Detail{
				{Name: "address", Value: "127.0.0.1"},
				{Name: "packets", Value: "3 sent, 3 received"},
				{Name: "packet loss", Value: "0%"},
				{Name: "rtt min/avg/max"},
				{Name: "mode", Value: "unprivileged ICMP"},
			},
			wantMode: icmpUnprivileged,
		},
		{
			name:     "no socket allowed for nobody",
			sysctls:  []string{"net.ipv4.ping_group_range=1 0"},
			asNobody: true,
			check:    `{"host":"127.0.0.1"}`, timeout: 5 * time.Second,
			want: StatusDown, wantClass: ClassPermission,
			wantError: []string{"CAP_NET_RAW", "net.ipv4.ping_group_range", `"0 2147483647"`},
			wantMode:  icmpUnknown, // a refusal is not remembered: the next check tries again
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns := MustNamespace(t, !tt.loDown, tt.sysctls...)
			out := runInNamespace(t, bin, ns, tt.asNobody, tt.check, tt.timeout)
			if out.Mode != tt.wantMode {
				t.Errorf("remembered mode %q, want %q", out.Mode, tt.wantMode)
			}
			for i, got := range out.Results {
				if got.Status != tt.want || got.ErrorClass != tt.wantClass {
					t.Fatalf("check %d: got %q %q %q, want %q %q", i+1, got.Status, got.ErrorClass, got.Error, tt.want, tt.wantClass)
				}
				for _, w := range tt.wantError {
					if !strings.Contains(got.Error, w) {
						t.Errorf("check %d: error %q does not contain %q", i+1, got.Error, w)
					}
				}
				if tt.details != nil {
					checkDetails(t, got.Details, tt.details)
				}
			}
		})
	}
}

// TestICMPHelperProcess is the check TestICMPInNamespace runs in another
// process; it does nothing in a normal test run.
func TestICMPHelperProcess(t *testing.T) {
	switch os.Getenv(icmpHelperEnv) {
	case "":
		t.Skip("the namespace tests' child process; runs only when they start it")
	case "as-nobody":
		if err := reexecAsNobody(); err != nil {
			t.Fatal(err)
		}
	case "run":
		if err := runHelperCheck(); err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatalf("unknown %s=%q", icmpHelperEnv, os.Getenv(icmpHelperEnv))
	}
}
