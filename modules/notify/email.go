package notify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/betterstack/betterstack/modules/apperr"
	"github.com/betterstack/betterstack/modules/probe"
)

// Email sends a multipart/alternative (plain text and HTML) message over
// SMTP, dialled through Transport.Dial so the private-address guard holds.
//
// TLS is "starttls" (the default; the server must offer STARTTLS), "tls"
// (implicit TLS, usually port 465) or "none" (only without credentials:
// a password is never sent in clear text). Authentication uses PLAIN, or
// LOGIN for servers that offer only that. The subject reads
// "[BetterStack] DOWN: <name>"; user text reaches headers only cut to one
// line and RFC 2047-encoded, so it cannot add a header, and reaches the
// HTML part only escaped.
type Email struct {
	Host     string   `json:"host"`
	Port     int      `json:"port"` // optional: 587 for starttls, 465 for tls, 25 for none
	Username string   `json:"username"`
	Password string   `json:"password"` // secret
	From     string   `json:"from"`
	To       []string `json:"to"`
	TLS      string   `json:"tls"` // "starttls" (default), "tls" or "none"
}

var _ Channel = (*Email)(nil)

// TLS modes of an Email channel.
const (
	EmailSTARTTLS = "starttls"
	EmailTLS      = "tls"
	EmailNoTLS    = "none"
)

// maxRecipients bounds Email.To.
const maxRecipients = 50

// hostname matches a DNS name; IP addresses are checked separately.
var hostname = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,62}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*\.?$`)

// Validate implements Channel.
func (c *Email) Validate() error {
	f := apperr.Fields{}
	switch {
	case c.Host == "":
		f.Add("config.host", "required")
	case len(c.Host) > 253 || (!hostname.MatchString(c.Host) && net.ParseIP(c.Host) == nil):
		f.Add("config.host", "must be a host name or IP address")
	}
	if c.Port < 0 || c.Port > 65535 {
		f.Add("config.port", "must be between 1 and 65535")
	}
	switch c.TLS {
	case "", EmailSTARTTLS, EmailTLS, EmailNoTLS:
	default:
		f.Add("config.tls", "must be one of starttls, tls, none")
	}
	switch {
	case len(c.Username) > 256 || hasControl(c.Username):
		f.Add("config.username", "must be at most 256 characters without control characters")
	case c.Username != "" && c.Password == "":
		f.Add("config.password", "required with a username")
	case c.Username == "" && c.Password != "":
		f.Add("config.username", "required with a password")
	case c.Username != "" && c.TLS == EmailNoTLS:
		f.Add("config.tls", "must be starttls or tls when a username is set: credentials are never sent in clear text")
	}
	if len(c.Password) > 512 {
		f.Add("config.password", "too long")
	}
	if c.From == "" {
		f.Add("config.from", "required")
	} else if _, err := parseAddress(c.From); err != nil {
		f.Add("config.from", "must be an e-mail address")
	}
	switch {
	case len(c.To) == 0:
		f.Add("config.to", "required")
	case len(c.To) > maxRecipients:
		f.Add("config.to", fmt.Sprintf("at most %d addresses", maxRecipients))
	}
	for i, to := range c.To {
		if _, err := parseAddress(to); err != nil {
			f.Add("config.to", fmt.Sprintf("entry %d must be an e-mail address", i+1))
		}
	}
	return f.Err()
}

// hasControl reports whether s contains a control character (CR, LF, NUL…).
func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

// parseAddress parses one RFC 5322 address, refusing control characters
// that could end an SMTP command or a header.
func parseAddress(s string) (*mail.Address, error) {
	if hasControl(s) || len(s) > 320 {
		return nil, errors.New("invalid address")
	}
	a, err := mail.ParseAddress(s)
	if err != nil || !strings.Contains(a.Address, "@") {
		return nil, errors.New("invalid address")
	}
	return a, nil
}

// port returns the configured port or the usual one for the TLS mode.
func (c *Email) port() int {
	switch {
	case c.Port != 0:
		return c.Port
	case c.TLS == EmailTLS:
		return 465
	case c.TLS == EmailNoTLS:
		return 25
	}
	return 587
}

// Send implements Channel: one SMTP session.
func (c *Email) Send(ctx context.Context, t Transport, e Event) error {
	if err := prepare(c, e); err != nil {
		return err
	}
	if t.Dial == nil {
		return permanent(errors.New("notify: transport has no dialer"))
	}
	from, err := parseAddress(c.From)
	if err != nil {
		return permanent(apperr.Field("config.from", "must be an e-mail address"))
	}
	to := make([]*mail.Address, 0, len(c.To))
	for _, s := range c.To {
		a, err := parseAddress(s)
		if err != nil {
			return permanent(apperr.Field("config.to", "must be e-mail addresses"))
		}
		to = append(to, a)
	}
	msg, err := buildEmail(from, to, e, describe(e), time.Now())
	if err != nil {
		return permanent(err)
	}
	addr := net.JoinHostPort(c.Host, strconv.Itoa(c.port()))
	if err := c.deliver(ctx, t, addr, from.Address, to, msg); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return fmt.Errorf("smtp %s: %w", addr, ctxErr)
		}
		// The session deadline is ctx's, and the connection may notice it
		// a moment before ctx does.
		if _, ok := ctx.Deadline(); ok && errors.Is(err, os.ErrDeadlineExceeded) {
			return fmt.Errorf("smtp %s: %w (%v)", addr, context.DeadlineExceeded, err)
		}
		return smtpError(addr, err)
	}
	return nil
}

// deliver runs the SMTP session: connect, TLS, AUTH, MAIL, RCPT, DATA, QUIT.
func (c *Email) deliver(ctx context.Context, t Transport, addr, from string, to []*mail.Address, msg []byte) error {
	conn, err := t.Dial(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	// net/smtp knows no context: a deadline bounds the whole session and
	// cancelling ctx closes the connection under it.
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(DefaultTimeout)
	}
	if err := conn.SetDeadline(deadline); err != nil {
		conn.Close()
		return fmt.Errorf("connect: %w", err)
	}
	raw := conn // conn is replaced by its TLS wrapper below
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	defer stop()

	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if t.TLS != nil {
		tlsConfig = t.TLS.Clone()
	}
	tlsConfig.ServerName = c.Host
	if c.TLS == EmailTLS {
		tc := tls.Client(conn, tlsConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return fmt.Errorf("tls: %w", err)
		}
		conn = tc
	}
	client, err := smtp.NewClient(conn, c.Host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("greeting: %w", err)
	}
	defer client.Close()

	if c.TLS == "" || c.TLS == EmailSTARTTLS {
		if ok, _ := client.Extension("STARTTLS"); !ok {
			return permanent(errors.New("server does not offer STARTTLS"))
		}
		if err := client.StartTLS(tlsConfig); err != nil {
			return fmt.Errorf("starttls: %w", err)
		}
	}
	if c.Username != "" {
		auth, err := c.auth(client)
		if err != nil {
			return err
		}
		if err := client.Auth(auth); err != nil {
			return fmt.Errorf("auth: %w", err)
		}
	}
	if err := client.Mail(from); err != nil {
		return fmt.Errorf("mail from: %w", err)
	}
	for _, a := range to {
		if err := client.Rcpt(a.Address); err != nil {
			return fmt.Errorf("rcpt to: %w", err)
		}
	}
	w, err := client.Data()
	if err != nil {
		return fmt.Errorf("data: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("data: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("data: %w", err)
	}
	// The server accepted the message when DATA ended: a failing QUIT
	// loses nothing, and reporting it would make the caller send twice.
	_ = client.Quit()
	return nil
}

// auth picks PLAIN, or LOGIN when the server offers only that.
func (c *Email) auth(client *smtp.Client) (smtp.Auth, error) {
	ok, mechs := client.Extension("AUTH")
	if !ok {
		return nil, permanent(errors.New("server does not offer AUTH"))
	}
	offered := strings.Fields(strings.ToUpper(mechs))
	switch {
	case slices.Contains(offered, "PLAIN"):
		return smtp.PlainAuth("", c.Username, c.Password, c.Host), nil
	case slices.Contains(offered, "LOGIN"):
		return &loginAuth{user: c.Username, pass: c.Password, host: c.Host}, nil
	}
	return nil, permanent(fmt.Errorf("server offers no supported AUTH mechanism (PLAIN, LOGIN): %s", oneLine(truncate(mechs, 100))))
}

// smtpError names the server and marks 5xx replies permanent: the server
// refused (bad credentials, unknown mailbox, policy) and will again.
func smtpError(addr string, err error) error {
	err = fmt.Errorf("smtp %s: %w", addr, err)
	var tpe *textproto.Error
	if errors.As(err, &tpe) && tpe.Code >= 500 {
		return permanent(err)
	}
	if errors.Is(err, probe.ErrBlockedAddress) {
		return blocked(err)
	}
	return err
}

// loginAuth is the LOGIN mechanism, which net/smtp lacks. Like PlainAuth
// it refuses to send credentials without TLS or to another host.
type loginAuth struct{ user, pass, host string }

func (a *loginAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if !server.TLS {
		return "", nil, errors.New("unencrypted connection")
	}
	if server.Name != a.host {
		return "", nil, errors.New("wrong host name")
	}
	return "LOGIN", nil, nil
}

func (a *loginAuth) Next(fromServer []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	switch strings.ToLower(strings.TrimSpace(string(fromServer))) {
	case "username:", "user name", "username":
		return []byte(a.user), nil
	case "password:", "password":
		return []byte(a.pass), nil
	}
	return nil, errors.New("unexpected LOGIN challenge")
}

// messageID derives a stable Message-ID from the event key, so a retried
// delivery is recognisably the same message.
func messageID(key, domain string) string {
	sum := sha256.Sum256([]byte(key))
	return "<" + hex.EncodeToString(sum[:16]) + "@" + domain + ">"
}

// buildEmail renders the whole message: headers and a multipart/alternative
// body with quoted-printable text and HTML parts. User text reaches headers
// only through oneLine and RFC 2047 encoding.
func buildEmail(from *mail.Address, to []*mail.Address, e Event, m message, now time.Time) ([]byte, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_, domain, _ := strings.Cut(from.Address, "@")
	recipients := make([]string, len(to))
	for i, a := range to {
		recipients[i] = a.String()
	}
	header := func(k, v string) { buf.WriteString(k + ": " + v + "\r\n") }
	header("From", from.String())
	header("To", strings.Join(recipients, ",\r\n "))
	header("Subject", encodeHeader("[BetterStack] "+m.Title))
	header("Date", now.Format(time.RFC1123Z))
	header("Message-ID", messageID(e.Key, domain))
	if e.Type != EventTest && e.Incident.ID != 0 {
		// Every message about one incident threads together.
		header("References", "<betterstack-incident-"+strconv.FormatInt(e.Incident.ID, 10)+"@"+domain+">")
	}
	header("Auto-Submitted", "auto-generated")
	header("X-Auto-Response-Suppress", "All")
	header("MIME-Version", "1.0")
	header("Content-Type", "multipart/alternative; boundary="+mw.Boundary())
	buf.WriteString("\r\n")

	for _, part := range []struct{ typ, body string }{
		{"text/plain; charset=utf-8", emailText(m)},
		{"text/html; charset=utf-8", emailHTML(m)},
	} {
		pw, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {part.typ},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, fmt.Errorf("email: %w", err)
		}
		qw := quotedprintable.NewWriter(pw)
		if _, err := qw.Write([]byte(part.body)); err != nil {
			return nil, fmt.Errorf("email: %w", err)
		}
		if err := qw.Close(); err != nil {
			return nil, fmt.Errorf("email: %w", err)
		}
	}
	if err := mw.Close(); err != nil {
		return nil, fmt.Errorf("email: %w", err)
	}
	return buf.Bytes(), nil
}

// encodeHeader makes s one line and RFC 2047-encodes it if it is not plain
// ASCII, folding between encoded words so no line grows too long.
func encodeHeader(s string) string {
	return strings.ReplaceAll(mime.QEncoding.Encode("utf-8", oneLine(s)), "?= =?", "?=\r\n =?")
}

// emailText is the plain-text part.
func emailText(m message) string {
	var b strings.Builder
	b.WriteString(m.Intro + "\r\n")
	for _, f := range m.Facts {
		b.WriteString("\r\n" + f.Label + ": " + strings.ReplaceAll(f.Value, "\n", "\r\n  "))
	}
	if m.Link != "" {
		b.WriteString("\r\n\r\nView the incident: " + m.Link)
	}
	b.WriteString("\r\n\r\n-- \r\nSent by BetterStack\r\n")
	return b.String()
}

// emailHTML is the HTML part; every piece of user text is escaped.
func emailHTML(m message) string {
	esc := html.EscapeString
	var b strings.Builder
	b.WriteString(`<!DOCTYPE html><html><body style="font-family:sans-serif">`)
	fmt.Fprintf(&b, `<h2 style="color:#%06x">%s %s</h2><p>%s</p>`, color(m.State), icon(m.State), esc(m.Title), esc(m.Intro))
	if len(m.Facts) > 0 {
		b.WriteString(`<table cellpadding="4">`)
		for _, f := range m.Facts {
			fmt.Fprintf(&b, `<tr><th align="left" valign="top">%s</th><td>%s</td></tr>`, esc(f.Label), strings.ReplaceAll(esc(f.Value), "\n", "<br>"))
		}
		b.WriteString(`</table>`)
	}
	if strings.HasPrefix(m.Link, "https://") || strings.HasPrefix(m.Link, "http://") {
		fmt.Fprintf(&b, `<p><a href="%s">View the incident in BetterStack</a></p>`, esc(m.Link))
	}
	b.WriteString(`<p style="color:#80868b">Sent by BetterStack</p></body></html>`)
	return b.String()
}
