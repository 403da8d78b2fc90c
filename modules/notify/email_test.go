package notify_test

import (
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/notify"
	"github.com/betterstack/betterstack/modules/probe"
)

// emailConfig is a config for srv with the given TLS mode and credentials.
func emailConfig(srv *smtpServer, tlsMode, user, pass string) map[string]any {
	cfg := map[string]any{
		"host": srv.Host, "port": srv.Port, "tls": tlsMode,
		"from": "BetterStack <alerts@example.com>",
		"to":   []string{"ops@example.com", "Jane Doe <jane@example.com>"},
	}
	if user != "" {
		cfg["username"], cfg["password"] = user, pass
	}
	return cfg
}

// emailTransport trusts srv's certificate.
func emailTransport(srv *smtpServer) notify.Transport {
	tr := NewTransport()
	tr.TLS.RootCAs = srv.Roots
	return tr
}

// parsedEmail is a received message taken apart.
type parsedEmail struct {
	Header  mail.Header
	Subject string
	Text    string
	HTML    string
}

func mustParseEmail(t testing.TB, data string) parsedEmail {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(data))
	if err != nil {
		t.Fatalf("message does not parse: %v\n%s", err, data)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatalf("subject: %v", err)
	}
	p := parsedEmail{Header: msg.Header, Subject: subject}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/alternative" {
		t.Fatalf("Content-Type = %q, want multipart/alternative", msg.Header.Get("Content-Type"))
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextPart() // decodes quoted-printable
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("part: %v", err)
		}
		b, err := io.ReadAll(part)
		if err != nil {
			t.Fatal(err)
		}
		switch ct := part.Header.Get("Content-Type"); {
		case strings.HasPrefix(ct, "text/plain"):
			p.Text = string(b)
		case strings.HasPrefix(ct, "text/html"):
			p.HTML = string(b)
		}
	}
	if p.Text == "" || p.HTML == "" {
		t.Fatalf("want a text and an HTML part:\n%s", data)
	}
	return p
}

func TestEmailDelivery(t *testing.T) {
	tests := []struct {
		name       string
		mode       string // server
		tls        string // config
		mechs      string
		user, pass string
		wantTLS    bool
		wantAuth   string
	}{
		{"STARTTLS with AUTH PLAIN", "starttls", "starttls", "PLAIN LOGIN", "mailer", "s3cret", true, "PLAIN"},
		{"default TLS mode is STARTTLS", "starttls", "", "PLAIN", "mailer", "s3cret", true, "PLAIN"},
		{"implicit TLS with AUTH LOGIN only", "tls", "tls", "LOGIN", "mailer", "s3cret", true, "LOGIN"},
		{"no TLS, no credentials", "none", "none", "", "", "", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := NewSMTPServer(t, tt.mode, func(s *smtpServer) { s.mechs, s.user, s.pass = tt.mechs, tt.user, tt.pass })
			ch := MustParse(t, "email", emailConfig(srv, tt.tls, tt.user, tt.pass))
			if err := ch.Send(t.Context(), emailTransport(srv), NewEvent(notify.EventOpened)); err != nil {
				t.Fatalf("Send: %v", err)
			}
			msgs := srv.Messages()
			if len(msgs) != 1 {
				t.Fatalf("server accepted %d messages, want 1", len(msgs))
			}
			m := msgs[0]
			if m.From != "alerts@example.com" || strings.Join(m.To, ",") != "ops@example.com,jane@example.com" {
				t.Errorf("envelope from %q to %q", m.From, m.To)
			}
			if m.TLS != tt.wantTLS || m.Authed != tt.wantAuth {
				t.Errorf("TLS=%v auth=%q, want %v %q", m.TLS, m.Authed, tt.wantTLS, tt.wantAuth)
			}
			p := mustParseEmail(t, m.Data)
			if p.Subject != "[BetterStack] DOWN: API" {
				t.Errorf("Subject = %q", p.Subject)
			}
			if from := p.Header.Get("From"); from != `"BetterStack" <alerts@example.com>` {
				t.Errorf("From = %q", from)
			}
			if to, err := p.Header.AddressList("To"); err != nil || len(to) != 2 || to[1].Name != "Jane Doe" {
				t.Errorf("To = %v, %v", to, err)
			}
			if id := p.Header.Get("Message-Id"); !strings.HasSuffix(id, "@example.com>") || p.Header.Get("References") != "<betterstack-incident-42@example.com>" {
				t.Errorf("Message-ID %q, References %q", id, p.Header.Get("References"))
			}
			if _, err := p.Header.Date(); err != nil {
				t.Errorf("Date: %v", err)
			}
			if !strings.Contains(p.Text, "API is down.") || !strings.Contains(p.Text, "https://status.example.com/incidents/42") {
				t.Errorf("text part:\n%s", p.Text)
			}
			if !strings.Contains(p.HTML, `<a href="https://status.example.com/incidents/42">`) {
				t.Errorf("HTML part has no link:\n%s", p.HTML)
			}
		})
	}
}

func TestEmailSubjects(t *testing.T) {
	want := map[string]string{
		"incident.opened":       "[BetterStack] DOWN: API",
		"incident.acknowledged": "[BetterStack] ACKNOWLEDGED: API",
		"incident.resolved":     "[BetterStack] RESOLVED: API",
		"incident.reminder":     "[BetterStack] STILL DOWN: API",
		"test":                  "[BetterStack] TEST: API",
	}
	srv := NewSMTPServer(t, "none", func(s *smtpServer) { s.mechs = "" })
	ch := MustParse(t, "email", emailConfig(srv, "none", "", ""))
	for _, typ := range allEventTypes {
		if err := ch.Send(t.Context(), emailTransport(srv), NewEvent(typ)); err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
	}
	msgs := srv.Messages()
	if len(msgs) != len(allEventTypes) {
		t.Fatalf("got %d messages", len(msgs))
	}
	for i, typ := range allEventTypes {
		p := mustParseEmail(t, msgs[i].Data)
		if p.Subject != want[typ] {
			t.Errorf("%s: Subject = %q, want %q", typ, p.Subject, want[typ])
		}
		if typ == "test" && !strings.Contains(p.Text, "test notification") {
			t.Errorf("test message is not labelled:\n%s", p.Text)
		}
	}
}

func TestEmailCannotBeInjectedOrScripted(t *testing.T) {
	srv := NewSMTPServer(t, "none", func(s *smtpServer) { s.mechs = "" })
	e := NewEvilEvent()
	e.Monitor.Name = "db\r\nBcc: victim@example.net\r\n\r\nfake body " + evilName
	if err := MustParse(t, "email", emailConfig(srv, "none", "", "")).Send(t.Context(), emailTransport(srv), e); err != nil {
		t.Fatal(err)
	}
	m := srv.Messages()[0]
	if len(m.To) != 2 || strings.Contains(strings.Join(m.To, ","), "victim") {
		t.Fatalf("recipients = %v", m.To)
	}
	p := mustParseEmail(t, m.Data)
	if p.Header.Get("Bcc") != "" {
		t.Fatalf("a Bcc header was injected:\n%s", m.Data)
	}
	if want := "[BetterStack] DOWN: db Bcc: victim@example.net fake body " + evilName; p.Subject != want {
		t.Errorf("Subject = %q, want %q", p.Subject, want)
	}
	if strings.Contains(p.HTML, "<script>") || strings.Contains(p.HTML, "</script>") {
		t.Errorf("raw script tag in the HTML part:\n%s", p.HTML)
	}
	if !strings.Contains(p.HTML, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; @everyone *bold*") {
		t.Errorf("HTML part does not carry the escaped name:\n%s", p.HTML)
	}
}

func TestEmailFailures(t *testing.T) {
	tests := []struct {
		name      string
		mode      string
		opt       func(*smtpServer)
		tls       string
		user      string
		pass      string
		trust     bool
		permanent bool
		msg       string
	}{
		{"server without STARTTLS", "none", func(s *smtpServer) { s.mechs = "" }, "starttls", "", "", true, true, "STARTTLS"},
		{"wrong password", "starttls", func(s *smtpServer) { s.user, s.pass = "mailer", "right" }, "starttls", "mailer", "wrong", true, true, "535"},
		{"no supported AUTH", "starttls", func(s *smtpServer) { s.mechs, s.user, s.pass = "CRAM-MD5", "u", "p" }, "starttls", "u", "p", true, true, "AUTH"},
		{"mailbox temporarily unavailable", "starttls", func(s *smtpServer) { s.rcptCode = 450 }, "starttls", "", "", true, false, "450"},
		{"mailbox rejected", "starttls", func(s *smtpServer) { s.rcptCode = 550 }, "starttls", "", "", true, true, "550"},
		{"untrusted certificate", "tls", nil, "tls", "", "", false, false, "certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []func(*smtpServer)
			if tt.opt != nil {
				opts = append(opts, tt.opt)
			}
			srv := NewSMTPServer(t, tt.mode, opts...)
			tr := NewTransport()
			if tt.trust {
				tr.TLS.RootCAs = srv.Roots
			}
			err := MustParse(t, "email", emailConfig(srv, tt.tls, tt.user, tt.pass)).Send(t.Context(), tr, NewEvent(notify.EventOpened))
			if err == nil {
				t.Fatal("got no error")
			}
			if notify.IsPermanent(err) != tt.permanent || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("got %v (permanent %v), want %q, permanent %v", err, notify.IsPermanent(err), tt.msg, tt.permanent)
			}
			if strings.Contains(err.Error(), "wrong") && tt.pass == "wrong" {
				t.Errorf("error shows the password: %v", err)
			}
			if n := len(srv.Messages()); n != 0 {
				t.Errorf("server accepted %d messages", n)
			}
		})
	}
}

func TestEmailHonoursContext(t *testing.T) {
	srv := NewSMTPServer(t, "silent")
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := MustParse(t, "email", emailConfig(srv, "none", "", "")).Send(ctx, emailTransport(srv), NewEvent(notify.EventOpened))
	if !errors.Is(err, context.DeadlineExceeded) || notify.IsPermanent(err) {
		t.Fatalf("got %v, want a retryable context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Send took %v", d)
	}
}

func TestEmailRefusesPrivateAddresses(t *testing.T) {
	srv := NewSMTPServer(t, "none", func(s *smtpServer) { s.mechs = "" })
	tr := notify.NewTransport(false, 5*time.Second)
	err := MustParse(t, "email", emailConfig(srv, "none", "", "")).Send(t.Context(), tr, NewEvent(notify.EventOpened))
	if !errors.Is(err, probe.ErrBlockedAddress) || !notify.IsPermanent(err) {
		t.Fatalf("got %v, want a permanent ErrBlockedAddress", err)
	}
	if n := srv.conns.Load(); n != 0 {
		t.Fatalf("server accepted %d connections, want none", n)
	}
}
