package probe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/betterstack/betterstack/modules/apperr"
)

// Error classes of the dns kind.
const (
	ClassDNSRcode  ErrorClass = "dns_rcode"  // the response code is not the expected one
	ClassDNSAnswer ErrorClass = "dns_answer" // no answer, or the answers do not match
)

// DNS asks one resolver for one record set and checks the response code
// and, optionally, the answers.
//
// The query is a single recursive (RD) query with EDNS0 on, advertising a
// 1232-byte UDP buffer (the DNS Flag Day 2020 size), so large TXT and CAA
// sets fit in one datagram without IP fragmentation. A UDP reply that is
// still truncated is asked again over TCP within the same deadline, as any
// stub resolver does: judging a truncated answer would report records
// missing that are there. DNSSEC is not requested (no DO bit).
//
// Each answer of RecordType is rendered as one canonical string, the same
// form the expected values are written in:
//
//	A, AAAA       192.0.2.1, 2001:db8::1
//	CNAME, NS     target.example.org (no trailing dot)
//	MX            10 mail.example.org
//	TXT           the record's strings joined without separator
//	SOA           ns1.example.org hostmaster.example.org 2024010101
//	CAA           0 issue "letsencrypt.org"
//	SRV           10 5 5060 sip.example.org (priority weight port target)
//
// Matching ignores case; names compare without their trailing dot,
// addresses by value (2001:DB8:0::1 is 2001:db8::1), and a CAA value with
// or without its quotes. TXT values compare as whole strings.
//
// With Config.BlockPrivate, a resolver the user names must be public (the
// guarded Env.Dialer refuses it otherwise: ClassBlocked); the system
// resolver is the operator's and is always asked.
type DNS struct {
	Name       string `json:"name"`
	RecordType string `json:"record_type"` // A (default), AAAA, CNAME, MX, NS, TXT, SOA, CAA, SRV
	// Resolver is "host:port" or "host" (port 53); empty asks the first
	// nameserver of the system's /etc/resolv.conf.
	Resolver string   `json:"resolver,omitempty"`
	Protocol string   `json:"protocol"` // udp (default) or tcp
	Expected []string `json:"expected,omitempty"`
	// Match is "any" (default: at least one expected value is answered)
	// or "all" (every expected value is). Other answers are allowed.
	Match string `json:"match"`
	// ExpectedRcode is a response code name: NOERROR (default), NXDOMAIN,
	// SERVFAIL, REFUSED, ... With NOERROR and no expected values the check
	// needs at least one answer of RecordType; with another code any
	// answers are accepted unless expected values are given.
	ExpectedRcode string `json:"expected_rcode"`
}

var _ Check = (*DNS)(nil)

// dnsKind registers DNS as check kind "dns".
var dnsKind = Kind{
	Name:      "dns",
	Title:     "DNS record",
	Scheduled: true,
	New:       func() Check { return newDNS() },
	Fields: []Field{
		{Name: "name", Label: "Domain name", Type: FieldText, Required: true, Placeholder: "example.org",
			Help: "The name to look up; a trailing dot is optional."},
		{Name: "record_type", Label: "Record type", Type: FieldSelect, Options: dnsRecordTypes,
			Help: "The type of record to ask for."},
		{Name: "resolver", Label: "Resolver", Type: FieldText, Placeholder: "1.1.1.1:53",
			Help: "The server to ask, as host or host:port; leave empty for the system's resolver."},
		{Name: "protocol", Label: "Protocol", Type: FieldSelect, Options: []string{"udp", "tcp"},
			Help: "A truncated UDP reply is asked again over TCP."},
		{Name: "expected", Label: "Expected values", Type: FieldList, Placeholder: "10 mail.example.org",
			Help: `One per line, written as answers are shown: 192.0.2.1, 10 mail.example.org, 0 issue "letsencrypt.org". Empty accepts any answer.`},
		{Name: "match", Label: "Match", Type: FieldSelect, Options: []string{"any", "all"},
			Help: "any: at least one expected value must be answered; all: every one must be."},
		{Name: "expected_rcode", Label: "Expected response code", Type: FieldSelect, Options: dnsCommonRcodes,
			Help: "NOERROR unless the name should not exist (NXDOMAIN)."},
	},
	Schemes: []string{"dns"},
	FromURL: dnsFromURL,
}

// dnsRecordTypes are the record types a DNS check may ask for.
var dnsRecordTypes = []string{"A", "AAAA", "CAA", "CNAME", "MX", "NS", "SOA", "SRV", "TXT"}

// dnsCommonRcodes are offered by the form; Validate accepts any name
// miekg/dns knows.
var dnsCommonRcodes = []string{"NOERROR", "NXDOMAIN", "SERVFAIL", "REFUSED", "FORMERR", "NOTIMP", "NOTAUTH"}

const (
	dnsUDPSize      = 1232               // EDNS0 buffer size advertised
	dnsResolvConf   = "/etc/resolv.conf" // where the system resolver is read from
	dnsFallback     = "127.0.0.1:53"     // when resolv.conf names none
	maxDNSExpected  = 50
	maxDNSValueLen  = 2048 // a long DKIM key fits
	maxDNSAnswerLen = 500  // the "answers" detail
)

func newDNS() *DNS {
	return &DNS{RecordType: "A", Protocol: "udp", Match: "any", ExpectedRcode: "NOERROR"}
}

// Validate implements Check. It also normalises the case of record_type,
// protocol, match and expected_rcode, and fills empty ones with defaults.
func (c *DNS) Validate() error {
	f := apperr.Fields{}
	c.Name = strings.TrimSpace(c.Name)
	if c.Name == "" {
		f.Add("check.name", "required")
	} else if p := dnsNameProblem(c.Name); p != "" {
		f.Add("check.name", p)
	}

	c.RecordType = orDefault(strings.ToUpper(strings.TrimSpace(c.RecordType)), "A")
	if !slices.Contains(dnsRecordTypes, c.RecordType) {
		f.Add("check.record_type", "must be one of "+strings.Join(dnsRecordTypes, ", "))
	}
	c.Resolver = strings.TrimSpace(c.Resolver)
	if c.Resolver != "" {
		if _, err := dnsResolverAddr(c.Resolver); err != nil {
			f.Add("check.resolver", err.Error())
		}
	}
	c.Protocol = orDefault(strings.ToLower(strings.TrimSpace(c.Protocol)), "udp")
	if c.Protocol != "udp" && c.Protocol != "tcp" {
		f.Add("check.protocol", "must be udp or tcp")
	}
	c.Match = orDefault(strings.ToLower(strings.TrimSpace(c.Match)), "any")
	if c.Match != "any" && c.Match != "all" {
		f.Add("check.match", "must be any or all")
	}
	c.ExpectedRcode = orDefault(strings.ToUpper(strings.TrimSpace(c.ExpectedRcode)), "NOERROR")
	if _, ok := dns.StringToRcode[c.ExpectedRcode]; !ok {
		f.Add("check.expected_rcode", "must be a response code name like "+strings.Join(dnsCommonRcodes, ", "))
	}

	if len(c.Expected) > maxDNSExpected {
		f.Add("check.expected", fmt.Sprintf("must have at most %d values", maxDNSExpected))
	}
	for i, v := range c.Expected {
		if p := dnsExpectedProblem(c.RecordType, v); p != "" {
			f.Add("check.expected", fmt.Sprintf("value %d (%q) %s", i+1, oneLineN(v, 64), p))
		}
	}
	return f.Err()
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// dnsNameProblem says what is wrong with a domain name, or "". Names are
// ASCII (international names in their xn-- form): letters, digits, '-',
// '_' (service labels) and '*' (a wildcard owner) between dots.
func dnsNameProblem(name string) string {
	if name == "." {
		return "" // the root
	}
	n := strings.TrimSuffix(name, ".")
	if len(n) > 253 {
		return fmt.Sprintf("must be at most 253 characters, got %d", len(n))
	}
	for _, r := range n {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_*.", r)) {
			return fmt.Sprintf("must contain only letters, digits, '-', '_' and '*' between dots, not %q (write international names in their xn-- form)", r)
		}
	}
	for label := range strings.SplitSeq(n, ".") {
		switch {
		case label == "":
			return "must not have an empty label (two dots in a row, or a leading dot)"
		case len(label) > 63:
			return fmt.Sprintf("labels must be at most 63 characters, %q has %d", label[:10]+"…", len(label))
		}
	}
	return ""
}

// dnsResolverAddr turns "host:port", "host", "[v6]:port", "v6" or "[v6]"
// into a dialable "host:port", port 53 when none is given.
func dnsResolverAddr(s string) (string, error) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		// No port: a bare host, a bare IPv6 address or one in brackets.
		host, port = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"), "53"
		if _, perr := netip.ParseAddr(host); perr != nil && strings.Contains(s, ":") {
			return "", errors.New(`must be host or host:port, like 1.1.1.1:53 or [2606:4700:4700::1111]:53`)
		}
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
		return "", fmt.Errorf("port must be a number from 1 to 65535, got %q", port)
	}
	if _, err := netip.ParseAddr(host); err != nil {
		if host == "" || host == "." {
			return "", errors.New("must name a host")
		}
		if p := dnsNameProblem(host); p != "" {
			return "", fmt.Errorf("host %s", p)
		}
	}
	return net.JoinHostPort(host, port), nil
}

// dnsExpectedProblem says what is wrong with an expected value of a record
// type, or "". Only the shape is checked; the names inside are free text.
func dnsExpectedProblem(rtype, v string) string {
	v = strings.TrimSpace(v)
	fields := strings.Fields(v)
	isUint := func(s string, bits int) bool { _, err := strconv.ParseUint(s, 10, bits); return err == nil }
	switch {
	case v == "":
		return "is empty"
	case len(v) > maxDNSValueLen:
		return fmt.Sprintf("is longer than %d bytes", maxDNSValueLen)
	}
	switch rtype {
	case "A":
		if a, err := netip.ParseAddr(v); err != nil || !a.Is4() {
			return "is not an IPv4 address"
		}
	case "AAAA":
		if a, err := netip.ParseAddr(v); err != nil || !a.Is6() {
			return "is not an IPv6 address"
		}
	case "CNAME", "NS":
		if len(fields) != 1 {
			return "must be one name"
		}
	case "MX":
		if len(fields) != 2 || !isUint(fields[0], 16) {
			return `must be "<preference> <host>", like "10 mail.example.org"`
		}
	case "SRV":
		if len(fields) != 4 || !isUint(fields[0], 16) || !isUint(fields[1], 16) || !isUint(fields[2], 16) {
			return `must be "<priority> <weight> <port> <target>", like "10 5 5060 sip.example.org"`
		}
	case "SOA":
		if len(fields) != 3 || !isUint(fields[2], 32) {
			return `must be "<primary ns> <mailbox> <serial>", like "ns1.example.org hostmaster.example.org 2024010101"`
		}
	case "CAA":
		if len(fields) < 3 || !isUint(fields[0], 8) {
			return `must be "<flags> <tag> <value>", like 0 issue "letsencrypt.org"`
		}
	}
	return ""
}

// Target implements Check: "MX example.org", with " @resolver" when one
// is set.
func (c *DNS) Target() string {
	t := c.RecordType + " " + c.Name
	if c.Resolver != "" {
		t += " @" + c.Resolver
	}
	return t
}

// Run implements Check.
func (c *DNS) Run(ctx context.Context, env *Env) Result {
	// Run on a validated copy, so settings that skipped Validate cannot
	// send a malformed query.
	s := *c
	if err := s.Validate(); err != nil {
		return Result{Status: StatusDown, ErrorClass: ClassInternal, Error: oneLine(err.Error())}
	}

	var addr, shown string
	dialer := env.Dialer // refuses private addresses when Config.BlockPrivate is on
	if s.Resolver != "" {
		var err error
		if addr, err = dnsResolverAddr(s.Resolver); err != nil {
			return Result{Status: StatusDown, ErrorClass: ClassInternal, Error: oneLine("resolver: " + err.Error())}
		}
		shown = addr
	} else {
		// The system resolver is the operator's own choice, not a user's,
		// so it is asked even when it is private (127.0.0.53, a VPC
		// resolver) and BlockPrivate is on: a plain dialer, no guard.
		addr = systemResolver()
		shown = addr + " (system)"
		dialer = &net.Dialer{}
	}

	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(s.Name), dns.StringToType[s.RecordType]) // sets RD
	m.SetEdns0(dnsUDPSize, false)
	// Timeout only bounds the read and write deadlines, which miekg/dns
	// otherwise caps at 2s; ctx's deadline is the real limit.
	client := &dns.Client{Net: s.Protocol, Dialer: dialer, Timeout: DefaultTimeout}
	start := time.Now()
	r, rtt, err := client.ExchangeContext(ctx, m, addr)
	if err == nil && r.Truncated && s.Protocol == "udp" {
		client.Net = "tcp"
		var more time.Duration
		r, more, err = client.ExchangeContext(ctx, m, addr)
		rtt += more
		shown += ", over tcp after a truncated udp reply"
	}
	if err != nil {
		class, msg := dnsClassify(ctx, err, addr, time.Since(start))
		return Result{Status: StatusDown, ErrorClass: class, Error: oneLine(msg),
			Details: []Detail{{Name: "resolver", Value: shown}}}
	}

	answers := dnsAnswers(r, dns.StringToType[s.RecordType])
	shownAnswers := "none"
	if len(answers) > 0 {
		shownAnswers = oneLineN(strings.Join(answers, ", "), maxDNSAnswerLen)
	}
	res := Result{
		Status:    StatusUp,
		LatencyMS: ms(rtt),
		Details: []Detail{
			{Name: "answers", Value: shownAnswers},
			{Name: "rcode", Value: rcodeName(r.Rcode)},
			{Name: "resolver", Value: shown},
			{Name: "query time", Value: dnsQueryTime(rtt)},
		},
	}
	if class, msg := s.judge(r.Rcode, answers); class != ClassNone {
		res.Status, res.ErrorClass, res.Error = StatusDown, class, oneLine(msg)
	}
	return res
}

// systemResolver returns the first nameserver of /etc/resolv.conf, read
// on every check as the system's resolver rereads it, or 127.0.0.1:53.
func systemResolver() string {
	cfg, err := dns.ClientConfigFromFile(dnsResolvConf)
	if err != nil || len(cfg.Servers) == 0 {
		return dnsFallback
	}
	return net.JoinHostPort(cfg.Servers[0], cfg.Port)
}

// dnsClassify turns a failed exchange into an error class and a message.
func dnsClassify(ctx context.Context, err error, addr string, elapsed time.Duration) (ErrorClass, string) {
	var (
		netErr net.Error
		dnsErr *net.DNSError
	)
	switch {
	case errors.Is(err, ErrBlockedAddress):
		return ClassBlocked, "resolver not allowed: " + err.Error()
	case errors.Is(ctx.Err(), context.DeadlineExceeded), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		// The read deadline is ctx's deadline, so a network timeout is it.
		return ClassTimeout, fmt.Sprintf("no reply from %s within %s", addr, elapsed.Round(time.Millisecond))
	case errors.Is(ctx.Err(), context.Canceled):
		return ClassInternal, "check cancelled before it finished"
	case errors.As(err, &dnsErr):
		return ClassDNS, "resolver address: " + dnsErr.Error()
	default:
		// Refused, unreachable, reset, or a reply that is not DNS.
		return ClassConnect, fmt.Sprintf("no usable reply from %s: %v", addr, err)
	}
}

// dnsAnswers renders the answers of type qtype in canonical form, in the
// order received. Other records (the CNAME chain before an A) are skipped.
func dnsAnswers(r *dns.Msg, qtype uint16) []string {
	var out []string
	for _, rr := range r.Answer {
		if rr.Header().Rrtype != qtype {
			continue
		}
		switch v := rr.(type) {
		case *dns.A:
			out = append(out, v.A.String())
		case *dns.AAAA:
			out = append(out, v.AAAA.String())
		case *dns.CNAME:
			out = append(out, trimDot(v.Target))
		case *dns.NS:
			out = append(out, trimDot(v.Ns))
		case *dns.MX:
			out = append(out, fmt.Sprintf("%d %s", v.Preference, trimDot(v.Mx)))
		case *dns.TXT:
			out = append(out, unescapeTXT(strings.Join(v.Txt, "")))
		case *dns.SOA:
			out = append(out, fmt.Sprintf("%s %s %d", trimDot(v.Ns), trimDot(v.Mbox), v.Serial))
		case *dns.CAA:
			out = append(out, fmt.Sprintf("%d %s %q", v.Flag, v.Tag, v.Value))
		case *dns.SRV:
			out = append(out, fmt.Sprintf("%d %d %d %s", v.Priority, v.Weight, v.Port, trimDot(v.Target)))
		}
	}
	return out
}

// rcodeName names a response code: "NXDOMAIN", or "RCODE23" when unknown.
func rcodeName(rcode int) string {
	if name, ok := dns.RcodeToString[rcode]; ok {
		return name
	}
	return "RCODE" + strconv.Itoa(rcode)
}

// trimDot drops a name's trailing dot, except from the root ".".
func trimDot(name string) string {
	if name == "." {
		return name
	}
	return strings.TrimSuffix(name, ".")
}

// unescapeTXT undoes miekg/dns's escaping of '"' and '\' in TXT strings;
// unprintable bytes stay escaped (\DDD) so the text stays one line.
func unescapeTXT(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\') {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// judge decides the check from the response code and the canonical
// answers; ClassNone means up.
func (c *DNS) judge(rcode int, answers []string) (ErrorClass, string) {
	q := c.RecordType + " " + trimDot(c.Name)
	if rcode != dns.StringToRcode[c.ExpectedRcode] {
		return ClassDNSRcode, fmt.Sprintf("%s: rcode %s, expected %s", q, rcodeName(rcode), c.ExpectedRcode)
	}
	if len(c.Expected) == 0 {
		if len(answers) == 0 && c.ExpectedRcode == "NOERROR" {
			return ClassDNSAnswer, fmt.Sprintf("%s: no %s answers", q, c.RecordType)
		}
		return ClassNone, ""
	}
	if len(answers) == 0 {
		return ClassDNSAnswer, fmt.Sprintf("%s: no %s answers, expected %s", q, c.RecordType, quoteList(c.Expected))
	}
	have := make(map[string]bool, len(answers))
	for _, a := range answers {
		have[dnsCanon(c.RecordType, a)] = true
	}
	var missing []string
	for _, e := range c.Expected {
		if !have[dnsCanon(c.RecordType, e)] {
			missing = append(missing, strings.TrimSpace(e))
		}
	}
	switch {
	case len(missing) == 0, c.Match == "any" && len(missing) < len(c.Expected):
		return ClassNone, ""
	case c.Match == "any" && len(missing) > 1:
		return ClassDNSAnswer, fmt.Sprintf("%s answers %s include none of %s", c.RecordType, quoteList(answers), quoteList(missing))
	default:
		return ClassDNSAnswer, fmt.Sprintf("%s answers %s do not include %s", c.RecordType, quoteList(answers), quoteList(missing))
	}
}

// dnsCanon is the form values are compared in: lower case, addresses by
// value, names without their trailing dot, CAA values without quotes.
func dnsCanon(rtype, v string) string {
	v = strings.ToLower(strings.TrimSpace(v))
	switch rtype {
	case "A", "AAAA":
		if a, err := netip.ParseAddr(v); err == nil {
			return a.Unmap().String()
		}
		return v
	case "TXT":
		return v
	case "CAA":
		f := strings.Fields(v)
		if len(f) < 3 {
			return v
		}
		return f[0] + " " + f[1] + " " + strings.Trim(strings.Join(f[2:], " "), `"`)
	default: // CNAME, NS, MX, SOA, SRV: numbers and names
		f := strings.Fields(v)
		for i := range f {
			f[i] = trimDot(f[i])
		}
		return strings.Join(f, " ")
	}
}

// quoteList renders values as "a", "b", "c".
func quoteList(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = `"` + v + `"`
	}
	return strings.Join(q, ", ")
}

// dnsQueryTime renders a round-trip time in milliseconds, with two
// significant digits below 10 ms: "0.043 ms", "2.3 ms", "23 ms".
func dnsQueryTime(rtt time.Duration) string {
	if rtt < 10*time.Millisecond {
		return strconv.FormatFloat(ms(rtt), 'g', 2, 64) + " ms"
	}
	return strconv.FormatInt(rtt.Round(time.Millisecond).Milliseconds(), 10) + " ms"
}

// dnsFromURL reads the syntax `betterstack check` accepts:
//
//	dns://<name>[?type=MX][&resolver=host:port][&protocol=tcp]
//	    [&expect=v1&expect=v2][&match=all][&rcode=NXDOMAIN]
//
// The URL's host is the name to look up; the resolver is a parameter, so
// a port after the name is an error. expect may repeat; every other
// parameter is given at most once; unknown parameters are an error. Values
// are URL-encoded: expect=10%20mail.example.org.
func dnsFromURL(u *url.URL) (Check, error) {
	switch {
	case u.Opaque != "" || u.Host == "":
		return nil, apperr.Field("url", "must be dns://<name>, like dns://example.org?type=MX")
	case u.User != nil:
		return nil, apperr.Field("url", "must not have a user")
	case u.Port() != "":
		return nil, apperr.Field("url", "must not have a port after the name: give the resolver as ?resolver=host:port")
	case u.Path != "" && u.Path != "/":
		return nil, apperr.Field("url", "must not have a path: dns://<name>?type=...")
	case u.Fragment != "":
		return nil, apperr.Field("url", "must not have a #fragment")
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, apperr.Field("url", "has a malformed query: "+err.Error())
	}
	c := newDNS()
	c.Name = u.Hostname()
	single := map[string]*string{
		"type": &c.RecordType, "resolver": &c.Resolver, "protocol": &c.Protocol,
		"match": &c.Match, "rcode": &c.ExpectedRcode,
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		vs := q[k]
		if k == "expect" {
			c.Expected = vs
			continue
		}
		dst, ok := single[k]
		switch {
		case !ok:
			return nil, apperr.Field("url", fmt.Sprintf("unknown parameter %q: use type, resolver, protocol, expect, match or rcode", k))
		case len(vs) > 1:
			return nil, apperr.Field("url", fmt.Sprintf("parameter %q is given %d times", k, len(vs)))
		}
		*dst = vs[0]
	}
	return c, nil
}
