package probe_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/betterstack/betterstack/modules/apperr"
	"github.com/betterstack/betterstack/modules/probe"
)

// testZone is what NewDNSServer answers from. Names missing here are
// NXDOMAIN; fail.example.org is SERVFAIL; silent.example.org gets no reply;
// big.example.org is truncated over UDP and whole over TCP; many.example.org
// has 60 A records (192.0.2.0-59), more than the "answers" detail holds.
var testZone = []string{
	"a.example.org. 60 IN A 192.0.2.1",
	"multi.example.org. 60 IN A 192.0.2.1",
	"multi.example.org. 60 IN A 192.0.2.2",
	"multi.example.org. 60 IN A 192.0.2.3",
	"www.example.org. 60 IN CNAME a.example.org.",
	"v6.example.org. 60 IN AAAA 2001:db8::1",
	"example.org. 60 IN MX 10 mail.example.org.",
	"example.org. 60 IN MX 20 backup.example.org.",
	`example.org. 60 IN TXT "v=spf1 " "include:_spf.example.org -all"`,
	`quote.example.org. 60 IN TXT "say \"hi\""`,
	"example.org. 60 IN SOA ns1.example.org. hostmaster.example.org. 2024010101 7200 3600 1209600 300",
	`example.org. 60 IN CAA 0 issue "letsencrypt.org"`,
	"example.org. 60 IN NS ns1.example.org.",
	"_sip._tcp.example.org. 60 IN SRV 10 5 5060 sip.example.org.",
	`big.example.org. 60 IN TXT "` + strings.Repeat("x", 250) + `"`,
}

// NewDNSServer serves testZone over UDP and TCP on the same 127.0.0.1 port
// and returns "127.0.0.1:port". It refuses queries without the RD bit or
// EDNS0, so every check that gets an answer shows the query had both.
func NewDNSServer(t testing.TB) string {
	t.Helper()
	zone := map[string][]dns.RR{}
	records := slices.Clone(testZone)
	for i := range 60 {
		records = append(records, fmt.Sprintf("many.example.org. 60 IN A 192.0.2.%d", i))
	}
	for _, s := range records {
		rr, err := dns.NewRR(s)
		if err != nil {
			t.Fatalf("zone record %q: %v", s, err)
		}
		zone[rr.Header().Name] = append(zone[rr.Header().Name], rr)
	}
	h := dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
		q := req.Question[0]
		q.Name = strings.ToLower(q.Name)
		m := new(dns.Msg)
		m.SetReply(req)
		switch {
		case q.Name == "silent.example.org.":
			return
		case !req.RecursionDesired || req.IsEdns0() == nil:
			m.Rcode = dns.RcodeRefused
		case q.Name == "fail.example.org.":
			m.Rcode = dns.RcodeServerFailure
		case zone[q.Name] == nil:
			m.Rcode = dns.RcodeNameError
		case q.Name == "big.example.org." && w.RemoteAddr().Network() == "udp":
			m.Truncated = true
		default:
			for _, rr := range zone[q.Name] {
				switch {
				case rr.Header().Rrtype == q.Qtype:
					m.Answer = append(m.Answer, rr)
				case rr.Header().Rrtype == dns.TypeCNAME:
					// Follow one CNAME, as a resolver would.
					m.Answer = append(m.Answer, rr)
					for _, t := range zone[rr.(*dns.CNAME).Target] {
						if t.Header().Rrtype == q.Qtype {
							m.Answer = append(m.Answer, t)
						}
					}
				}
			}
		}
		if w.RemoteAddr().Network() == "udp" && req.IsEdns0() != nil {
			m.Truncate(int(req.IsEdns0().UDPSize())) // as real servers do: compress, else set TC
		}
		if err := w.WriteMsg(m); err != nil {
			t.Errorf("dns server: %v", err)
		}
	})
	for range 10 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", pc.LocalAddr().String())
		if err != nil { // the port is taken for TCP; try another
			_ = pc.Close()
			continue
		}
		startDNS(t, &dns.Server{PacketConn: pc, Handler: h})
		startDNS(t, &dns.Server{Listener: ln, Handler: h, IdleTimeout: func() time.Duration { return time.Second }})
		return pc.LocalAddr().String()
	}
	t.Fatal("no 127.0.0.1 port free for both UDP and TCP")
	return ""
}

func startDNS(t testing.TB, srv *dns.Server) {
	t.Helper()
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	done := make(chan error, 1)
	go func() { done <- srv.ActivateAndServe() }()
	select {
	case <-started:
	case err := <-done:
		t.Fatalf("dns server: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := srv.ShutdownContext(ctx); err != nil {
			t.Errorf("dns server shutdown: %v", err)
		}
		<-done
	})
}

// mustClosedUDPPort returns a 127.0.0.1 UDP address nothing listens on.
func mustClosedUDPPort(t testing.TB) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	if err := pc.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// MustParseDNS decodes settings as a stored spec would be, failing the test
// on any error.
func MustParseDNS(t testing.TB, cfg map[string]any) probe.Check {
	t.Helper()
	raw, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c, err := probe.Parse(probe.Spec{Kind: "dns", Config: raw})
	if err != nil {
		t.Fatalf("parse %s: %v", raw, err)
	}
	return c
}

// runDNS runs one check of cfg with a test-sized deadline.
func runDNS(t testing.TB, env *probe.Env, cfg map[string]any, timeout time.Duration) probe.Result {
	t.Helper()
	c := MustParseDNS(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return c.Run(ctx, env)
}

func detail(res probe.Result, name string) string {
	for _, d := range res.Details {
		if d.Name == name {
			return d.Value
		}
	}
	return "<no " + name + " detail>"
}

func TestDNSCheck(t *testing.T) {
	t.Parallel()
	addr := NewDNSServer(t)
	env := probe.NewEnv(probe.Config{})

	tests := []struct {
		name      string
		cfg       map[string]any
		class     probe.ErrorClass
		answers   string // the "answers" detail
		rcode     string // the "rcode" detail
		errorHas  string
		resolvers string // the "resolver" detail, when checked
	}{
		{name: "A matches", cfg: map[string]any{"name": "a.example.org", "expected": []string{"192.0.2.1"}},
			answers: "192.0.2.1", rcode: "NOERROR"},
		{name: "A without expected values needs an answer", cfg: map[string]any{"name": "a.example.org."},
			answers: "192.0.2.1", rcode: "NOERROR"},
		{name: "A over tcp", cfg: map[string]any{"name": "a.example.org", "protocol": "tcp", "expected": []string{"192.0.2.1"}},
			answers: "192.0.2.1", rcode: "NOERROR"},
		{name: "A behind a CNAME answers the address only", cfg: map[string]any{"name": "www.example.org", "expected": []string{"192.0.2.1"}},
			answers: "192.0.2.1", rcode: "NOERROR"},
		{name: "any: one of several expected is enough", cfg: map[string]any{"name": "multi.example.org", "expected": []string{"192.0.2.9", "192.0.2.3"}},
			answers: "192.0.2.1, 192.0.2.2, 192.0.2.3", rcode: "NOERROR"},
		{name: "all: every expected answered", cfg: map[string]any{"name": "multi.example.org", "match": "all", "expected": []string{"192.0.2.3", "192.0.2.1"}},
			answers: "192.0.2.1, 192.0.2.2, 192.0.2.3", rcode: "NOERROR"},
		{name: "all: one missing fails", cfg: map[string]any{"name": "multi.example.org", "match": "all", "expected": []string{"192.0.2.1", "192.0.2.4"}},
			class: probe.ClassDNSAnswer, answers: "192.0.2.1, 192.0.2.2, 192.0.2.3", rcode: "NOERROR",
			errorHas: `A answers "192.0.2.1", "192.0.2.2", "192.0.2.3" do not include "192.0.2.4"`},
		{name: "any: none answered", cfg: map[string]any{"name": "multi.example.org", "expected": []string{"192.0.2.8", "192.0.2.9"}},
			class: probe.ClassDNSAnswer, answers: "192.0.2.1, 192.0.2.2, 192.0.2.3", rcode: "NOERROR",
			errorHas: `include none of "192.0.2.8", "192.0.2.9"`},
		{name: "wrong value", cfg: map[string]any{"name": "example.org", "record_type": "mx", "expected": []string{"10 mx.example.org"}},
			class: probe.ClassDNSAnswer, answers: "10 mail.example.org, 20 backup.example.org", rcode: "NOERROR",
			errorHas: `MX answers "10 mail.example.org", "20 backup.example.org" do not include "10 mx.example.org"`},
		{name: "no answers of the type", cfg: map[string]any{"name": "a.example.org", "record_type": "AAAA"},
			class: probe.ClassDNSAnswer, answers: "none", rcode: "NOERROR", errorHas: "AAAA a.example.org: no AAAA answers"},
		{name: "NXDOMAIN when NOERROR expected", cfg: map[string]any{"name": "missing.example.org"},
			class: probe.ClassDNSRcode, answers: "none", rcode: "NXDOMAIN", errorHas: "A missing.example.org: rcode NXDOMAIN, expected NOERROR"},
		{name: "NXDOMAIN expected", cfg: map[string]any{"name": "missing.example.org", "expected_rcode": "nxdomain"},
			answers: "none", rcode: "NXDOMAIN"},
		{name: "NXDOMAIN expected but the name exists", cfg: map[string]any{"name": "a.example.org", "expected_rcode": "NXDOMAIN"},
			class: probe.ClassDNSRcode, answers: "192.0.2.1", rcode: "NOERROR", errorHas: "rcode NOERROR, expected NXDOMAIN"},
		{name: "SERVFAIL", cfg: map[string]any{"name": "fail.example.org"},
			class: probe.ClassDNSRcode, answers: "none", rcode: "SERVFAIL", errorHas: "rcode SERVFAIL, expected NOERROR"},
		{name: "truncated udp is asked again over tcp", cfg: map[string]any{"name": "big.example.org", "record_type": "TXT"},
			answers: strings.Repeat("x", 250), rcode: "NOERROR",
			resolvers: addr + ", over tcp after a truncated udp reply"},
		{name: "matching ignores case and trailing dots", cfg: map[string]any{"name": "EXAMPLE.org", "record_type": "MX", "match": "all",
			"expected": []string{"10 MAIL.example.org.", "20 backup.example.org"}},
			answers: "10 mail.example.org, 20 backup.example.org", rcode: "NOERROR"},
		{name: "AAAA compares addresses by value", cfg: map[string]any{"name": "v6.example.org", "record_type": "AAAA", "expected": []string{"2001:DB8:0::1"}},
			answers: "2001:db8::1", rcode: "NOERROR"},
		{name: "CAA value with or without quotes", cfg: map[string]any{"name": "example.org", "record_type": "CAA", "expected": []string{"0 issue letsencrypt.org"}},
			answers: `0 issue "letsencrypt.org"`, rcode: "NOERROR"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.cfg["resolver"] = addr
			res := runDNS(t, env, tc.cfg, 5*time.Second)
			wantStatus := probe.StatusUp
			if tc.class != probe.ClassNone {
				wantStatus = probe.StatusDown
			}
			if res.Status != wantStatus || res.ErrorClass != tc.class {
				t.Fatalf("status %s class %q (%s), want %s %q", res.Status, res.ErrorClass, res.Error, wantStatus, tc.class)
			}
			if !strings.Contains(res.Error, tc.errorHas) {
				t.Errorf("error %q does not contain %q", res.Error, tc.errorHas)
			}
			if got := detail(res, "answers"); got != tc.answers {
				t.Errorf("answers %q, want %q", got, tc.answers)
			}
			if got := detail(res, "rcode"); got != tc.rcode {
				t.Errorf("rcode %q, want %q", got, tc.rcode)
			}
			wantResolver := addr
			if tc.resolvers != "" {
				wantResolver = tc.resolvers
			}
			if got := detail(res, "resolver"); got != wantResolver {
				t.Errorf("resolver %q, want %q", got, wantResolver)
			}
			if got := detail(res, "query time"); !strings.HasSuffix(got, " ms") {
				t.Errorf("query time %q", got)
			}
			if res.LatencyMS <= 0 {
				t.Errorf("LatencyMS %v, want the round-trip time", res.LatencyMS)
			}
		})
	}
}

// TestDNSRendering checks each record type's canonical form, which is also
// the form expected values are written in: each answer must match itself.
func TestDNSRendering(t *testing.T) {
	t.Parallel()
	addr := NewDNSServer(t)
	env := probe.NewEnv(probe.Config{})
	tests := []struct{ rtype, name, answers string }{
		{"A", "a.example.org", "192.0.2.1"},
		{"AAAA", "v6.example.org", "2001:db8::1"},
		{"CNAME", "www.example.org", "a.example.org"},
		{"NS", "example.org", "ns1.example.org"},
		{"MX", "example.org", "10 mail.example.org, 20 backup.example.org"},
		{"TXT", "example.org", "v=spf1 include:_spf.example.org -all"},
		{"TXT", "quote.example.org", `say "hi"`},
		{"SOA", "example.org", "ns1.example.org hostmaster.example.org 2024010101"},
		{"CAA", "example.org", `0 issue "letsencrypt.org"`},
		{"SRV", "_sip._tcp.example.org", "10 5 5060 sip.example.org"},
	}
	for _, tc := range tests {
		t.Run(tc.rtype+" "+tc.name, func(t *testing.T) {
			t.Parallel()
			res := runDNS(t, env, map[string]any{
				"name": tc.name, "record_type": tc.rtype, "resolver": addr, "match": "all",
				"expected": strings.Split(tc.answers, ", "),
			}, 5*time.Second)
			if res.Status != probe.StatusUp {
				t.Fatalf("status %s: %s %s", res.Status, res.ErrorClass, res.Error)
			}
			if got := detail(res, "answers"); got != tc.answers {
				t.Errorf("answers %q, want %q", got, tc.answers)
			}
		})
	}
}

// TestDNSAnswersCut checks that a long answer set is cut in the detail but
// still matched in full.
func TestDNSAnswersCut(t *testing.T) {
	t.Parallel()
	addr := NewDNSServer(t)
	res := runDNS(t, probe.NewEnv(probe.Config{}), map[string]any{
		"name": "many.example.org", "resolver": addr, "expected": []string{"192.0.2.59"},
	}, 5*time.Second)
	if res.Status != probe.StatusUp {
		t.Fatalf("status %s: %s %s", res.Status, res.ErrorClass, res.Error)
	}
	got := detail(res, "answers")
	if len(got) > 500 || !strings.HasPrefix(got, "192.0.2.0, 192.0.2.1, ") || !strings.HasSuffix(got, "…") {
		t.Errorf("answers detail (%d bytes) %q, want the first answers cut to 500 bytes", len(got), got)
	}
}

func TestDNSUnreachable(t *testing.T) {
	t.Parallel()
	addr := NewDNSServer(t)
	env := probe.NewEnv(probe.Config{})
	tests := []struct {
		name     string
		cfg      map[string]any
		timeout  time.Duration
		class    probe.ErrorClass
		errorHas string
	}{
		// The handler never replies; the check ends at ctx's deadline,
		// not at miekg/dns's own 2s read timeout.
		{name: "no reply over udp", cfg: map[string]any{"name": "silent.example.org", "resolver": addr},
			timeout: 200 * time.Millisecond, class: probe.ClassTimeout, errorHas: "no reply from " + addr + " within"},
		{name: "no reply over tcp", cfg: map[string]any{"name": "silent.example.org", "resolver": addr, "protocol": "tcp"},
			timeout: 200 * time.Millisecond, class: probe.ClassTimeout, errorHas: "no reply from " + addr + " within"},
		// On loopback the kernel answers a datagram to a closed port with
		// ICMP port unreachable, which the connected socket reads as
		// "connection refused" at once: deterministic, no waiting.
		{name: "udp port closed", cfg: map[string]any{"name": "a.example.org", "resolver": mustClosedUDPPort(t)},
			timeout: 5 * time.Second, class: probe.ClassConnect, errorHas: "connection refused"},
		{name: "tcp port closed", cfg: map[string]any{"name": "a.example.org", "resolver": MustClosedPort(t), "protocol": "tcp"},
			timeout: 5 * time.Second, class: probe.ClassConnect, errorHas: "connection refused"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			res := runDNS(t, env, tc.cfg, tc.timeout)
			if res.Status != probe.StatusDown || res.ErrorClass != tc.class {
				t.Fatalf("status %s class %q (%s), want down %q", res.Status, res.ErrorClass, res.Error, tc.class)
			}
			if !strings.Contains(res.Error, tc.errorHas) {
				t.Errorf("error %q does not contain %q", res.Error, tc.errorHas)
			}
			if took := time.Since(start); took > tc.timeout+time.Second {
				t.Errorf("took %s with a %s deadline", took, tc.timeout)
			}
			if got := detail(res, "resolver"); got != tc.cfg["resolver"] {
				t.Errorf("resolver detail %q, want %q", got, tc.cfg["resolver"])
			}
		})
	}
}

func TestDNSBlockPrivate(t *testing.T) {
	t.Parallel()
	addr := NewDNSServer(t)
	for _, proto := range []string{"udp", "tcp"} {
		t.Run(proto, func(t *testing.T) {
			t.Parallel()
			env := probe.NewEnv(probe.Config{BlockPrivate: true})
			res := runDNS(t, env, map[string]any{"name": "a.example.org", "resolver": addr, "protocol": proto}, 5*time.Second)
			if res.Status != probe.StatusDown || res.ErrorClass != probe.ClassBlocked {
				t.Fatalf("status %s class %q (%s), want down blocked", res.Status, res.ErrorClass, res.Error)
			}
			if !strings.Contains(res.Error, "127.0.0.1") {
				t.Errorf("error %q does not name the refused address", res.Error)
			}
		})
	}
}

func TestDNSValidate(t *testing.T) {
	t.Parallel()
	label63 := strings.Repeat("a", 63)
	// 63+1+63+1+63+1+61 = 253 characters.
	name253 := label63 + "." + label63 + "." + label63 + "." + strings.Repeat("a", 61)
	tests := []struct {
		name  string
		cfg   string
		field string // "" for valid
		has   string // in the field's message
	}{
		{name: "minimal", cfg: `{"name":"example.org"}`},
		{name: "name of 253 characters", cfg: `{"name":"` + name253 + `"}`},
		{name: "name of 253 characters and a trailing dot", cfg: `{"name":"` + name253 + `."}`},
		{name: "name of 254 characters", cfg: `{"name":"` + name253 + `a"}`, field: "check.name", has: "at most 253"},
		{name: "label of 63", cfg: `{"name":"` + label63 + `.example.org"}`},
		{name: "label of 64", cfg: `{"name":"` + label63 + `a.example.org"}`, field: "check.name", has: "at most 63"},
		{name: "name missing", cfg: `{}`, field: "check.name", has: "required"},
		{name: "name with a space", cfg: `{"name":"exa mple.org"}`, field: "check.name", has: "only letters"},
		{name: "name with an empty label", cfg: `{"name":"example..org"}`, field: "check.name", has: "empty label"},
		{name: "service name", cfg: `{"name":"_sip._tcp.example.org","record_type":"srv"}`},
		{name: "bad record type", cfg: `{"name":"example.org","record_type":"PTR"}`, field: "check.record_type", has: "must be one of"},
		{name: "resolver host:port", cfg: `{"name":"example.org","resolver":"1.1.1.1:5353"}`},
		{name: "resolver host", cfg: `{"name":"example.org","resolver":"dns.example.net"}`},
		{name: "resolver bare IPv6", cfg: `{"name":"example.org","resolver":"2606:4700:4700::1111"}`},
		{name: "resolver bracketed IPv6 with port", cfg: `{"name":"example.org","resolver":"[2606:4700:4700::1111]:53"}`},
		{name: "resolver port too big", cfg: `{"name":"example.org","resolver":"host:99999"}`, field: "check.resolver", has: "1 to 65535"},
		{name: "resolver port zero", cfg: `{"name":"example.org","resolver":"host:0"}`, field: "check.resolver", has: "1 to 65535"},
		{name: "resolver garbage", cfg: `{"name":"example.org","resolver":"a:b:c"}`, field: "check.resolver", has: "host:port"},
		{name: "protocol", cfg: `{"name":"example.org","protocol":"TCP"}`},
		{name: "bad protocol", cfg: `{"name":"example.org","protocol":"tls"}`, field: "check.protocol", has: "udp or tcp"},
		{name: "match all", cfg: `{"name":"example.org","match":"ALL"}`},
		{name: "bad match", cfg: `{"name":"example.org","match":"some"}`, field: "check.match", has: "any or all"},
		{name: "rcode REFUSED", cfg: `{"name":"example.org","expected_rcode":"refused"}`},
		{name: "bad rcode", cfg: `{"name":"example.org","expected_rcode":"GONE"}`, field: "check.expected_rcode", has: "response code"},
		{name: "A expected not an address", cfg: `{"name":"example.org","expected":["example.org"]}`, field: "check.expected", has: "not an IPv4"},
		{name: "A expected IPv6", cfg: `{"name":"example.org","expected":["::1"]}`, field: "check.expected", has: "not an IPv4"},
		{name: "MX expected without preference", cfg: `{"name":"example.org","record_type":"MX","expected":["mail.example.org"]}`, field: "check.expected", has: "<preference> <host>"},
		{name: "empty expected value", cfg: `{"name":"example.org","expected":[" "]}`, field: "check.expected", has: "is empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := probe.Parse(probe.Spec{Kind: "dns", Config: json.RawMessage(tc.cfg)})
			if tc.field == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			ae := apperr.As(err)
			if ae == nil || ae.Kind != apperr.Invalid {
				t.Fatalf("want a validation error naming %s, got %v", tc.field, err)
			}
			if msg, ok := ae.Fields[tc.field]; !ok || !strings.Contains(msg, tc.has) {
				t.Errorf("fields %v, want %s containing %q", ae.Fields, tc.field, tc.has)
			}
		})
	}
}

// TestDNSParse checks strict decoding and the defaults and normalisation a
// stored spec gets.
func TestDNSParse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, cfg, field, has string }{
		{"unknown field", `{"name":"example.org","type":"MX"}`, "check.type", "unknown field"},
		{"wrong JSON type", `{"name":"example.org","expected":"1.2.3.4"}`, "check.expected", "a list"},
		{"name not a string", `{"name":53}`, "check.name", "a string"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := probe.Parse(probe.Spec{Kind: "dns", Config: json.RawMessage(tc.cfg)})
			ae := apperr.As(err)
			if ae == nil || !strings.Contains(ae.Fields[tc.field], tc.has) {
				t.Fatalf("got %v, want %s: %s", err, tc.field, tc.has)
			}
		})
	}

	c := MustParseDNS(t, map[string]any{"name": "example.org", "record_type": "mx", "protocol": "TCP", "match": "All", "expected_rcode": "noerror"})
	spec, err := probe.SpecOf("dns", c)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(spec.Config, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"name": "example.org", "record_type": "MX", "protocol": "tcp", "match": "all", "expected_rcode": "NOERROR"}
	if len(got) != len(want) {
		t.Errorf("stored %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("stored %s = %v, want %v", k, got[k], v)
		}
	}
	if c.Target() != "MX example.org" {
		t.Errorf("Target %q", c.Target())
	}
	defaults := MustParseDNS(t, map[string]any{"name": "example.org", "resolver": "192.0.2.53"})
	if got := defaults.(*probe.DNS); got.RecordType != "A" || got.Protocol != "udp" || got.Match != "any" || got.ExpectedRcode != "NOERROR" {
		t.Errorf("defaults %+v", got)
	}
	if defaults.Target() != "A example.org @192.0.2.53" {
		t.Errorf("Target %q", defaults.Target())
	}
}

func TestDNSFromURL(t *testing.T) {
	t.Parallel()
	kind, ok := probe.KindForScheme("DNS")
	if !ok || kind.Name != "dns" {
		t.Fatalf("scheme dns: kind %q, %v", kind.Name, ok)
	}
	tests := []struct {
		url  string
		want probe.DNS // after Validate
		err  string
	}{
		{url: "dns://example.org",
			want: probe.DNS{Name: "example.org", RecordType: "A", Protocol: "udp", Match: "any", ExpectedRcode: "NOERROR"}},
		{url: "dns://example.org/?type=mx&resolver=127.0.0.1:5353&expect=10%20mail.example.org&expect=20+backup.example.org&match=all&rcode=NXDOMAIN&protocol=tcp",
			want: probe.DNS{Name: "example.org", RecordType: "MX", Resolver: "127.0.0.1:5353", Protocol: "tcp",
				Expected: []string{"10 mail.example.org", "20 backup.example.org"}, Match: "all", ExpectedRcode: "NXDOMAIN"}},
		{url: "dns://_sip._tcp.example.org.?type=SRV",
			want: probe.DNS{Name: "_sip._tcp.example.org.", RecordType: "SRV", Protocol: "udp", Match: "any", ExpectedRcode: "NOERROR"}},
		{url: "dns://example.org?typ=MX", err: `unknown parameter "typ"`},
		{url: "dns://example.org?type=MX&type=A", err: `"type" is given 2 times`},
		{url: "dns://example.org:53?type=MX", err: "?resolver=host:port"},
		{url: "dns://127.0.0.1:53/example.org", err: "?resolver=host:port"},
		{url: "dns:example.org", err: "dns://<name>"},
		{url: "dns://user@example.org", err: "user"},
		{url: "dns://example.org#x", err: "fragment"},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			t.Parallel()
			u, err := url.Parse(tc.url)
			if err != nil {
				t.Fatal(err)
			}
			c, err := kind.FromURL(u)
			if tc.err != "" {
				if ae := apperr.As(err); ae == nil || !strings.Contains(ae.Fields["url"], tc.err) {
					t.Fatalf("got %v, want an error naming url containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Validate(); err != nil {
				t.Fatal(err)
			}
			got := c.(*probe.DNS)
			if got.Name != tc.want.Name || got.RecordType != tc.want.RecordType || got.Resolver != tc.want.Resolver ||
				got.Protocol != tc.want.Protocol || got.Match != tc.want.Match || got.ExpectedRcode != tc.want.ExpectedRcode ||
				strings.Join(got.Expected, "|") != strings.Join(tc.want.Expected, "|") {
				t.Errorf("got %+v, want %+v", *got, tc.want)
			}
		})
	}
}

// TestDNSKind checks the registration the form and the pusher rely on.
func TestDNSKind(t *testing.T) {
	t.Parallel()
	k, err := probe.LookupKind("dns")
	if err != nil {
		t.Fatal(err)
	}
	if !k.Scheduled || k.Title == "" {
		t.Errorf("kind %+v", k)
	}
	for _, f := range k.Fields {
		if f.Label == "" || f.Help == "" {
			t.Errorf("field %s has no label or help", f.Name)
		}
		// Every field the form shows must be a setting strict decoding
		// accepts: null leaves the default, so only "unknown field" can
		// name it.
		cfg := `{"name":"example.org"}`
		if f.Name != "name" {
			cfg = `{"name":"example.org","` + f.Name + `":null}`
		}
		_, err := probe.Parse(probe.Spec{Kind: "dns", Config: json.RawMessage(cfg)})
		if ae := apperr.As(err); ae != nil && ae.Fields["check."+f.Name] != "" {
			t.Errorf("form field %s: %v", f.Name, err)
		}
	}
}
