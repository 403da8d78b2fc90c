package probe

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/betterstack/betterstack/modules/apperr"
)

// ClassBanner is a tcp check whose server answered, but without the
// expected text before the connection closed, the reply filled
// tcpReplyLimit, or the deadline passed.
const ClassBanner ErrorClass = "banner"

const (
	// tcpReplyLimit is how much of a reply is read looking for Expect.
	tcpReplyLimit = 4 << 10
	// tcpMaxText bounds Send and Expect as written.
	tcpMaxText = 4 << 10
	// tcpExcerptBytes bounds the reply and expectation quoted in Error
	// and Details, so both fit Result.Error together.
	tcpExcerptBytes = 200
	// tcpMaxHost is the longest DNS name.
	tcpMaxHost = 253
)

// TCP checks that a TCP port accepts connections and, optionally, that the
// server says the right thing: it connects (with TLS if asked), writes Send,
// and reads until Expect appears in the reply.
//
// Send and Expect understand four escapes, so a line protocol can be written
// in a one-line form field: \r (carriage return), \n (line feed), \t (tab)
// and \\ (a backslash). "PING\r\n" sends PING and CRLF. Any other backslash
// sequence is invalid. In JSON, write "PING\\r\\n" to use the escapes, or
// "PING\r\n" to give the bytes directly; both send the same.
//
// Without Expect nothing is read: the check is up once the connection (and
// the TLS handshake, and writing Send) succeeded. With Expect, the reply is
// read until the text appears, the server closes the connection, 4 KiB have
// arrived or the check's deadline passes.
type TCP struct {
	Host       string `json:"host"`                  // name or IP address, without port or scheme
	Port       int    `json:"port"`                  // 1-65535
	Send       string `json:"send,omitempty"`        // written after connecting, escapes interpreted
	Expect     string `json:"expect,omitempty"`      // must appear in the reply, escapes interpreted
	TLS        bool   `json:"tls,omitempty"`         // TLS handshake on connect, certificate verified
	ServerName string `json:"server_name,omitempty"` // SNI and the name verified; default Host
}

var _ Check = (*TCP)(nil)

// tcpKind registers TCP as "tcp".
var tcpKind = Kind{
	Name:      "tcp",
	Title:     "TCP port",
	Scheduled: true,
	New:       func() Check { return &TCP{} },
	Fields: []Field{
		{Name: "host", Label: "Host", Type: FieldText, Required: true,
			Help: "Host name or IP address, without port or scheme.", Placeholder: "db.example.org"},
		{Name: "port", Label: "Port", Type: FieldNumber, Required: true,
			Help: "TCP port, 1 to 65535.", Placeholder: "5432"},
		{Name: "send", Label: "Send", Type: FieldTextarea,
			Help: `Text written after connecting; \r, \n, \t and \\ stand for CR, LF, tab and a backslash.`, Placeholder: `PING\r\n`},
		{Name: "expect", Label: "Expect in reply", Type: FieldText,
			Help: "Text the server must send back within the timeout (in its first 4 KiB); same escapes as Send.", Placeholder: "+PONG"},
		{Name: "tls", Label: "TLS", Type: FieldBool,
			Help: "Make a TLS handshake on connect and verify the certificate."},
		{Name: "server_name", Label: "TLS server name", Type: FieldText,
			Help: "Name sent as SNI and verified in the certificate; defaults to the host.", Placeholder: "db.example.org"},
	},
	Schemes: []string{"tcp"},
	FromURL: tcpFromURL,
}

// Validate implements Check.
func (c *TCP) Validate() error {
	bad := apperr.Fields{}
	if msg := tcpHostProblem(c.Host); msg != "" {
		bad.Add("check.host", msg)
	}
	if c.Port < 1 || c.Port > 65535 {
		bad.Add("check.port", "must be between 1 and 65535")
	}
	for _, f := range []struct{ name, text string }{{"check.send", c.Send}, {"check.expect", c.Expect}} {
		if len(f.text) > tcpMaxText {
			bad.Add(f.name, fmt.Sprintf("must be at most %d bytes", tcpMaxText))
		} else if _, err := unescapeTCP(f.text); err != nil {
			bad.Add(f.name, err.Error())
		}
	}
	if c.ServerName != "" {
		if !c.TLS {
			bad.Add("check.server_name", "is only used with check.tls")
		} else if msg := tcpHostProblem(c.ServerName); msg != "" {
			bad.Add("check.server_name", msg)
		}
	}
	return bad.Err()
}

// tcpHostProblem says what is wrong with h as a host name or IP address, or
// returns "".
func tcpHostProblem(h string) string {
	switch {
	case h == "":
		return "is required"
	case len(h) > tcpMaxHost:
		return fmt.Sprintf("must be at most %d characters", tcpMaxHost)
	case strings.ContainsFunc(h, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }):
		return "must not contain spaces or control characters"
	case strings.ContainsFunc(h, invisible):
		return invisibleMessage
	case strings.Contains(h, "://"):
		return "must be a host name or IP address without a scheme, like db.example.org"
	case strings.HasPrefix(h, "["):
		return "must be an IPv6 address without brackets, like 2001:db8::1"
	}
	if _, err := netip.ParseAddr(h); err == nil {
		return ""
	}
	switch {
	case strings.Contains(h, ":"):
		return "must not include a port: set check.port"
	case strings.ContainsAny(h, "/?#@"):
		return "must be a host name or IP address, not a URL"
	}
	return ""
}

// unescapeTCP interprets \r, \n, \t and \\ in s.
func unescapeTCP(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		i++
		if i == len(s) {
			return "", errors.New(`ends with a lone \: write \\ for a backslash`)
		}
		switch s[i] {
		case 'r':
			b.WriteByte('\r')
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case '\\':
			b.WriteByte('\\')
		default:
			r, _ := utf8.DecodeRuneInString(s[i:])
			return "", fmt.Errorf(`has an unknown escape \%c: use \r, \n, \t or \\`, r)
		}
	}
	return b.String(), nil
}

// Target implements Check: "host:port", IPv6 in brackets, " (TLS)" with TLS.
func (c *TCP) Target() string {
	t := net.JoinHostPort(c.Host, strconv.Itoa(c.Port))
	if c.TLS {
		t += " (TLS)"
	}
	return t
}

// Run implements Check. It resolves Host itself, so the DNS phase is timed
// apart from connecting, and dials the addresses in turn through
// env.Dialer, whose guard refuses private addresses when configured.
func (c *TCP) Run(ctx context.Context, env *Env) (res Result) {
	start := time.Now()
	defer func() { res.LatencyMS = ms(time.Since(start)) }()
	// Parse validated the settings; a Check built another way may not be.
	if err := c.Validate(); err != nil {
		return Result{Status: StatusDown, ErrorClass: ClassInternal, Error: oneLine(err.Error())}
	}
	send, err1 := unescapeTCP(c.Send)
	expect, err2 := unescapeTCP(c.Expect)
	if err := errors.Join(err1, err2); err != nil {
		return Result{Status: StatusDown, ErrorClass: ClassInternal, Error: oneLine(err.Error())}
	}

	t := &tracer{stage: stageDNS}
	fail := func(err error) Result {
		if errors.Is(err, os.ErrDeadlineExceeded) && ctx.Err() == nil {
			err = context.DeadlineExceeded // the connection's deadline is the check's, a hair early
		}
		res.Status = StatusDown
		res.ErrorClass, res.Error = classify(ctx, err, t, time.Since(start))
		return res
	}

	addrs, err := c.resolve(ctx, &res)
	if err != nil {
		return fail(err)
	}
	t.setStage(stageConnecting)
	conn, err := tcpDial(ctx, env.Dialer, addrs, uint16(c.Port), &res)
	if err != nil {
		return fail(err)
	}
	defer conn.Close()
	// Reads and writes end with the check: at its deadline, or at once
	// when it is cancelled.
	if dl, ok := ctx.Deadline(); ok {
		if err := conn.SetDeadline(dl); err != nil {
			return fail(err)
		}
	}
	raw := conn
	stop := context.AfterFunc(ctx, func() { _ = raw.SetDeadline(time.Now()) })
	defer stop()

	if c.TLS {
		t.setStage(stageTLS)
		tlsStart := time.Now()
		tc := tls.Client(conn, &tls.Config{ServerName: c.serverName(), RootCAs: env.Config.RootCAs})
		err := tc.HandshakeContext(ctx)
		res.Phases.TLSMS = ms(time.Since(tlsStart))
		res.CertExpiry = tcpLeafExpiry(tc.ConnectionState(), err)
		if err != nil {
			t.mu.Lock()
			t.tlsErr = err
			t.mu.Unlock()
			return fail(err)
		}
		conn = tc
	}

	if send != "" {
		t.setStage(stageSending)
		if _, err := io.WriteString(conn, send); err != nil {
			return fail(err)
		}
	}
	if expect == "" {
		res.Status = StatusUp
		return res
	}

	t.setStage(stageWaiting)
	waitStart := time.Now()
	reply, found, firstByte, err := tcpReadReply(conn, []byte(expect))
	if len(reply) > 0 {
		res.Phases.TTFBMS = ms(firstByte.Sub(waitStart))
		res.Details = append(res.Details, Detail{Name: "reply", Value: tcpQuote(tcpFirstLine(reply))})
	}
	// The check's deadline ends the wait; a cancelled check is not judged.
	deadline := errors.Is(err, os.ErrDeadlineExceeded) && !errors.Is(ctx.Err(), context.Canceled)
	res.Status = StatusDown
	switch {
	case found:
		res.Status = StatusUp
	case len(reply) >= tcpReplyLimit:
		res.ErrorClass = ClassBanner
		res.Error = oneLine(fmt.Sprintf("expected %s in the first %d bytes of the reply, got %s",
			tcpQuote(expect), tcpReplyLimit, tcpQuote(tcpFirstLine(reply))))
	case err == io.EOF && len(reply) == 0:
		res.ErrorClass = ClassBanner
		res.Error = oneLine(fmt.Sprintf("expected %s in reply, but the server closed the connection without sending anything",
			tcpQuote(expect)))
	case err == io.EOF || (deadline && len(reply) > 0):
		res.ErrorClass = ClassBanner
		res.Error = oneLine(fmt.Sprintf("expected %s in reply, got %s", tcpQuote(expect), tcpQuote(tcpFirstLine(reply))))
	case deadline:
		res.ErrorClass = ClassTimeout
		res.Error = oneLine(fmt.Sprintf("timed out after %s waiting for a reply containing %s",
			time.Since(start).Round(time.Millisecond), tcpQuote(expect)))
	default: // reset, or cancelled
		return fail(err)
	}
	return res
}

// serverName is the name the certificate must carry.
func (c *TCP) serverName() string {
	if c.ServerName != "" {
		return c.ServerName
	}
	return c.Host
}

// resolve returns the addresses of Host, timing the lookup in res.Phases;
// an IP address needs no lookup.
func (c *TCP) resolve(ctx context.Context, res *Result) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(c.Host); err == nil {
		return []netip.Addr{ip.Unmap()}, nil
	}
	dnsStart := time.Now()
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", c.Host)
	res.Phases.DNSMS = ms(time.Since(dnsStart))
	if err != nil {
		return nil, err
	}
	for i := range ips {
		ips[i] = ips[i].Unmap()
	}
	return ips, nil
}

// tcpDial connects to the first of addrs that accepts, like net.Dialer
// does for a name, timing all attempts as the connect phase. It records the
// address connected to, or the one whose error it returns, in res.
func tcpDial(ctx context.Context, d *net.Dialer, addrs []netip.Addr, port uint16, res *Result) (net.Conn, error) {
	connStart := time.Now()
	defer func() { res.Phases.ConnectMS = ms(time.Since(connStart)) }()
	var firstErr error
	for _, ip := range addrs {
		ap := netip.AddrPortFrom(ip, port)
		conn, err := d.DialContext(ctx, "tcp", ap.String())
		if err == nil {
			res.ResolvedIP = ip.String()
			res.Details = append(res.Details, Detail{Name: "connected to", Value: ap.String()})
			return conn, nil
		}
		if firstErr == nil {
			firstErr = err
			res.ResolvedIP = ip.String()
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, firstErr
}

// tcpReadReply reads from r until expect appears, tcpReplyLimit bytes have
// arrived, or a read fails (io.EOF, the deadline). It returns what it read,
// whether expect was in it, when the first byte came, and the read error
// unless expect was found.
func tcpReadReply(r io.Reader, expect []byte) (reply []byte, found bool, firstByte time.Time, err error) {
	buf := make([]byte, 0, tcpReplyLimit)
	for len(buf) < cap(buf) {
		n, err := r.Read(buf[len(buf):cap(buf)])
		if n > 0 {
			if firstByte.IsZero() {
				firstByte = time.Now()
			}
			// Search only where a new match can be: it may start in
			// the last len(expect)-1 bytes read before.
			from := max(0, len(buf)-len(expect)+1)
			buf = buf[:len(buf)+n]
			if bytes.Contains(buf[from:], expect) {
				return buf, true, firstByte, nil
			}
		}
		if err != nil {
			return buf, false, firstByte, err
		}
	}
	return buf, false, firstByte, nil
}

// tcpLeafExpiry returns the NotAfter of the server's certificate, verified or
// not (an expired one is the usual reason a handshake fails), or nil.
func tcpLeafExpiry(state tls.ConnectionState, err error) *time.Time {
	certs := state.PeerCertificates
	var verr *tls.CertificateVerificationError
	if errors.As(err, &verr) {
		certs = verr.UnverifiedCertificates
	}
	if len(certs) == 0 {
		return nil
	}
	exp := certs[0].NotAfter
	return &exp
}

// tcpFirstLine returns the first non-empty line of b without its line ending,
// or all of b when it has no such line.
func tcpFirstLine(b []byte) string {
	line := bytes.TrimLeft(b, "\r\n")
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	line = bytes.TrimRight(line, "\r")
	if len(line) == 0 {
		return string(b)
	}
	return string(line)
}

// tcpQuote quotes s Go-style, so control characters and invalid UTF-8
// show as escapes, and cuts it to about tcpExcerptBytes with an ellipsis.
func tcpQuote(s string) string {
	if len(s) > 2*tcpExcerptBytes {
		s = s[:2*tcpExcerptBytes] // quoting only grows it
	}
	q := strconv.Quote(s)
	if len(q) <= tcpExcerptBytes {
		return q
	}
	// The quoted form is one line of valid UTF-8, so oneLineN only cuts.
	return oneLineN(q[:len(q)-1], tcpExcerptBytes-1) + `"`
}

// tcpFromURL reads tcp://host:port?send=...&expect=...&tls=1&server_name=...
// Query values are percent-decoded, but a + stays a plus sign: "+PONG" is a
// common expectation and %20 is the space.
func tcpFromURL(u *url.URL) (Check, error) {
	switch {
	case u.Opaque != "":
		return nil, apperr.New(apperr.Invalid, "write a tcp URL as tcp://host:port")
	case u.User != nil:
		return nil, apperr.New(apperr.Invalid, "a tcp URL takes no user name or password")
	case (u.Path != "" && u.Path != "/") || u.Fragment != "":
		return nil, apperr.New(apperr.Invalid, "a tcp URL takes no path or fragment: tcp://host:port?send=...&expect=...")
	}
	c := &TCP{Host: u.Hostname()}
	if p := u.Port(); p != "" {
		port, err := strconv.Atoi(p)
		if err != nil {
			return nil, apperr.New(apperr.Invalid, "tcp URL: port %q is not a number", p)
		}
		c.Port = port
	}
	seen := map[string]bool{}
	var unknown []string
	for _, pair := range strings.Split(u.RawQuery, "&") {
		if pair == "" {
			continue
		}
		rawKey, rawValue, hasValue := strings.Cut(pair, "=")
		key, err1 := url.PathUnescape(rawKey)
		value, err2 := url.PathUnescape(rawValue)
		if err := errors.Join(err1, err2); err != nil {
			return nil, apperr.New(apperr.Invalid, "tcp URL: bad query %q: %v", pair, err)
		}
		if seen[key] {
			return nil, apperr.New(apperr.Invalid, "tcp URL: %s is given twice", key)
		}
		seen[key] = true
		switch key {
		case "send":
			c.Send = value
		case "expect":
			c.Expect = value
		case "server_name":
			c.ServerName = value
		case "tls":
			if !hasValue { // a bare "?tls" turns it on
				value = "1"
			}
			on, err := strconv.ParseBool(value)
			if err != nil {
				return nil, apperr.New(apperr.Invalid, "tcp URL: tls must be 1 or 0, true or false, got %q", value)
			}
			c.TLS = on
		default:
			unknown = append(unknown, strconv.Quote(key))
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		noun := "parameter"
		if len(unknown) > 1 {
			noun = "parameters"
		}
		return nil, apperr.New(apperr.Invalid, "tcp URL: unknown query %s %s (known: send, expect, tls, server_name)",
			noun, strings.Join(unknown, ", "))
	}
	return c, nil
}
