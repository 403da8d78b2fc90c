package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/betterstack/betterstack/modules/apperr"
)

// ClassCertExpiry is a certificate that has expired or expires within the
// check's thresholds: down when expired or under down_days, degraded (with
// this class) under degraded_days.
const ClassCertExpiry ErrorClass = "cert_expiry"

// tlsVersions maps min_version to crypto/tls versions.
var tlsVersions = map[string]uint16{
	"1.0": tls.VersionTLS10,
	"1.1": tls.VersionTLS11,
	"1.2": tls.VersionTLS12,
	"1.3": tls.VersionTLS13,
}

// TLSCheck is the settings of the tls kind: connect to host:port, make a TLS
// handshake and judge the certificate the server presents (its expiry, its
// chain, its hostname) and the protocol version it negotiates.
type TLSCheck struct {
	Host string `json:"host"`
	Port int    `json:"port"`
	// ServerName is sent as SNI and matched against the certificate;
	// empty means Host.
	ServerName string `json:"server_name,omitempty"`
	// The check is degraded when the leaf certificate expires in fewer
	// than DegradedDays days and down in fewer than DownDays (0: only
	// once it has expired).
	DegradedDays int `json:"degraded_days"`
	DownDays     int `json:"down_days"`
	// Verify fails the check on an untrusted chain or a hostname
	// mismatch; when false both are only reported in Details.
	Verify bool `json:"verify"`
	// MinVersion is the lowest acceptable protocol: "1.0" to "1.3".
	MinVersion string `json:"min_version"`
}

var _ Check = (*TLSCheck)(nil)

// tlsKind is the tls kind.
var tlsKind = Kind{
	Name:      "tls",
	Title:     "TLS certificate",
	Scheduled: true,
	New:       func() Check { return newTLSCheck() },
	Fields: []Field{
		{Name: "host", Label: "Host", Type: FieldText, Required: true, Placeholder: "example.org",
			Help: "The name or IP address to connect to."},
		{Name: "port", Label: "Port", Type: FieldNumber, Placeholder: "443"},
		{Name: "server_name", Label: "Server name (SNI)", Type: FieldText,
			Help: "The name sent in the handshake and checked against the certificate; empty means the host."},
		{Name: "degraded_days", Label: "Degraded under (days)", Type: FieldNumber, Placeholder: "14",
			Help: "Degraded when the certificate expires in fewer days than this."},
		{Name: "down_days", Label: "Down under (days)", Type: FieldNumber, Placeholder: "3",
			Help: "Down when it expires in fewer days than this; 0 means only once it has expired."},
		{Name: "verify", Label: "Verify chain and hostname", Type: FieldBool,
			Help: "Off: an untrusted chain or a hostname mismatch is reported but does not fail the check."},
		{Name: "min_version", Label: "Minimum TLS version", Type: FieldSelect, Options: []string{"1.0", "1.1", "1.2", "1.3"},
			Help: "A server that cannot negotiate at least this version fails."},
	},
	Schemes: []string{"tls"},
	FromURL: tlsFromURL,
}

// newTLSCheck returns the tls kind's settings with their defaults.
func newTLSCheck() *TLSCheck {
	return &TLSCheck{Port: 443, DegradedDays: 14, DownDays: 3, Verify: true, MinVersion: "1.2"}
}

// tlsFromURL reads tls://host[:port]?server_name=&degraded_days=&down_days=&verify=&min_version=.
func tlsFromURL(u *url.URL) (Check, error) {
	c := newTLSCheck()
	if u.Hostname() == "" {
		return nil, apperr.Field("check.host", "is required: tls://example.org:443")
	}
	c.Host = u.Hostname()
	if p := u.Port(); p != "" {
		port, err := strconv.Atoi(p)
		if err != nil {
			return nil, apperr.Field("check.port", "must be an integer")
		}
		c.Port = port
	}
	q, err := newKindQuery(u)
	if err != nil {
		return nil, err
	}
	q.str("server_name", &c.ServerName)
	q.int("degraded_days", &c.DegradedDays)
	q.int("down_days", &c.DownDays)
	q.bool("verify", &c.Verify)
	q.str("min_version", &c.MinVersion)
	if err := q.err(); err != nil {
		return nil, err
	}
	return c, nil
}

// Validate implements Check.
func (c *TLSCheck) Validate() error {
	bad := apperr.Fields{}
	if c.Host == "" {
		bad.Add("check.host", "is required")
	} else if msg := hostProblem(c.Host); msg != "" {
		bad.Add("check.host", msg)
	}
	if c.Port < 1 || c.Port > 65535 {
		bad.Add("check.port", "must be between 1 and 65535")
	}
	if c.ServerName != "" {
		if msg := hostProblem(c.ServerName); msg != "" {
			bad.Add("check.server_name", msg)
		}
	}
	validateExpiryDays(bad, c.DegradedDays, c.DownDays)
	if _, ok := tlsVersions[c.MinVersion]; !ok {
		bad.Add("check.min_version", "must be one of 1.0, 1.1, 1.2, 1.3")
	}
	return bad.Err()
}

// Target implements Check: "example.org:443", with the server name when it
// differs from the host.
func (c *TLSCheck) Target() string {
	t := net.JoinHostPort(c.Host, strconv.Itoa(c.Port))
	if c.ServerName != "" && !strings.EqualFold(c.ServerName, c.Host) {
		t += " (" + c.ServerName + ")"
	}
	return t
}

// serverName is the name sent as SNI and verified against the certificate.
func (c *TLSCheck) serverName() string {
	if c.ServerName != "" {
		return c.ServerName
	}
	return c.Host
}

// Run implements Check. The handshake skips crypto/tls's verification and
// the chain is verified here instead, so that an untrusted or mismatched
// certificate still has its expiry, issuer and protocol reported. The
// handshake offers every version from TLS 1.0 so that a server below
// min_version is reported with the version it chose, not as a bare alert.
func (c *TLSCheck) Run(ctx context.Context, env *Env) Result {
	var res Result
	start := time.Now()
	t := &tracer{stage: stageConnecting}
	fail := func(err error) Result {
		res.Status = StatusDown
		res.ErrorClass, res.Error = classify(ctx, err, t, time.Since(start))
		return res
	}

	conn, err := env.Dialer.DialContext(ctx, "tcp", net.JoinHostPort(c.Host, strconv.Itoa(c.Port)))
	res.Phases.ConnectMS = ms(time.Since(start)) // includes resolving the host
	if err != nil {
		return fail(err)
	}
	defer conn.Close()
	if addr, ok := conn.RemoteAddr().(*net.TCPAddr); ok {
		res.ResolvedIP = addr.AddrPort().Addr().Unmap().String()
	}

	name := c.serverName()
	tconn := tls.Client(conn, &tls.Config{
		ServerName:         name,
		InsecureSkipVerify: true, // verified below, against the same roots
		MinVersion:         tls.VersionTLS10,
	})
	t.setStage(stageTLS)
	tlsStart := time.Now()
	err = tconn.HandshakeContext(ctx)
	res.Phases.TLSMS = ms(time.Since(tlsStart))
	if err != nil {
		if ctx.Err() != nil {
			return fail(err)
		}
		res.Status, res.ErrorClass = StatusDown, ClassTLS
		res.Error = oneLine("TLS handshake failed: " + err.Error())
		return res
	}
	state := tconn.ConnectionState()
	if len(state.PeerCertificates) == 0 {
		res.Status, res.ErrorClass, res.Error = StatusDown, ClassTLS, "server presented no certificate"
		return res
	}
	leaf := state.PeerCertificates[0]
	now := env.Now()
	exp := leaf.NotAfter
	res.CertExpiry = &exp

	chainErr := verifyChain(state.PeerCertificates, env.Config.RootCAs, now)
	hostErr := leaf.VerifyHostname(name)
	res.Details = tlsDetails(leaf, state.Version, now, chainErr, hostErr)

	minVersion := tlsVersions[c.MinVersion]
	switch {
	case state.Version < minVersion:
		res.Status, res.ErrorClass = StatusDown, ClassTLS
		res.Error = fmt.Sprintf("server negotiated %s, below the minimum %s", tls.VersionName(state.Version), tls.VersionName(minVersion))
	case c.Verify && chainErr != nil:
		res.Status, res.ErrorClass = StatusDown, ClassTLS
		res.Error = oneLine("untrusted certificate chain: " + chainErr.Error())
	case c.Verify && hostErr != nil:
		res.Status, res.ErrorClass = StatusDown, ClassTLS
		res.Error = oneLine("hostname mismatch: " + hostErr.Error())
	default:
		res.Status, res.ErrorClass, res.Error = CertExpiryVerdict(leaf.NotAfter, now, c.DegradedDays, c.DownDays)
	}
	return res
}

// verifyChain verifies certs (leaf first, then what the server sent as
// intermediates) against roots, or the system roots when nil. The leaf's
// own expiry is left to CertExpiryVerdict: past it, the chain is verified
// as of the leaf's last valid moment, so an expired certificate reads as
// expired rather than as an untrusted chain. An intermediate that expired
// earlier still fails here.
func verifyChain(certs []*x509.Certificate, roots *x509.CertPool, now time.Time) error {
	leaf := certs[0]
	at := now
	if at.After(leaf.NotAfter) {
		at = leaf.NotAfter
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	_, err := leaf.Verify(x509.VerifyOptions{
		Roots:         roots,
		Intermediates: inter,
		CurrentTime:   at,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	return err
}

// tlsDetails is the evidence of a completed handshake.
func tlsDetails(leaf *x509.Certificate, version uint16, now time.Time, chainErr, hostErr error) []Detail {
	chain, hostname := "valid", "matches"
	if chainErr != nil {
		chain = oneLineN(strings.TrimPrefix(chainErr.Error(), "x509: "), 200)
	}
	if hostErr != nil {
		hostname = oneLineN("does not match: "+strings.TrimPrefix(hostErr.Error(), "x509: "), 200)
	}
	return []Detail{
		{Name: "expires", Value: leaf.NotAfter.UTC().Format("2006-01-02 15:04 UTC")},
		{Name: "days left", Value: strconv.Itoa(expiryDaysLeft(leaf.NotAfter, now))},
		{Name: "issuer", Value: oneLineN(certName(leaf.Issuer.CommonName, leaf.Issuer.Organization, leaf.Issuer.String()), 200)},
		{Name: "subject", Value: oneLineN(certName(leaf.Subject.CommonName, leaf.DNSNames, leaf.Subject.String()), 200)},
		{Name: "protocol", Value: tls.VersionName(version)},
		{Name: "chain", Value: chain},
		{Name: "hostname", Value: hostname},
	}
}

// certName is the first non-empty of cn, others[0] and whole.
func certName(cn string, others []string, whole string) string {
	switch {
	case cn != "":
		return cn
	case len(others) > 0 && others[0] != "":
		return others[0]
	}
	return whole
}

// hostProblem says what is wrong with s as a host to connect to (a DNS
// name or an IP address), or "" when nothing is.
func hostProblem(s string) string {
	if net.ParseIP(s) != nil {
		return ""
	}
	if len(s) > 253 {
		return "must be at most 253 characters"
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 {
			return "must be a host name like example.org or an IP address, without scheme, port or path"
		}
		for i, r := range label {
			ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
				r == '_' || r == '-' && i > 0 && i < len(label)-1
			if !ok {
				return "must be a host name like example.org or an IP address, without scheme, port or path"
			}
		}
	}
	return ""
}

// kindQuery reads a check URL's query parameters into settings, collecting
// the first problem; err reports it, or a parameter nothing read.
type kindQuery struct {
	vals url.Values
	bad  apperr.Fields
}

func newKindQuery(u *url.URL) (*kindQuery, error) {
	vals, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, apperr.Field("check", "the URL's query is malformed: "+err.Error())
	}
	return &kindQuery{vals: vals, bad: apperr.Fields{}}, nil
}

// take removes and returns the last value of name.
func (q *kindQuery) take(name string) (string, bool) {
	vs, ok := q.vals[name]
	if !ok {
		return "", false
	}
	delete(q.vals, name)
	return vs[len(vs)-1], true
}

func (q *kindQuery) str(name string, dst *string) {
	if v, ok := q.take(name); ok {
		*dst = v
	}
}

func (q *kindQuery) int(name string, dst *int) {
	if v, ok := q.take(name); ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			q.bad.Add("check."+name, "must be an integer")
			return
		}
		*dst = n
	}
}

func (q *kindQuery) bool(name string, dst *bool) {
	if v, ok := q.take(name); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			q.bad.Add("check."+name, "must be true or false")
			return
		}
		*dst = b
	}
}

func (q *kindQuery) err() error {
	for name := range q.vals {
		q.bad.Add("check."+name, "unknown URL parameter")
	}
	return q.bad.Err()
}
