package probe

import (
	"crypto/tls"
	"errors"
	"net"
	"net/http/httptrace"
	"sync"
	"time"
)

// Stages a check can be in, named for timeout messages.
const (
	stageConnecting = "connecting"
	stageDNS        = "resolving the name"
	stageTLS        = "in the TLS handshake"
	stageSending    = "sending the request"
	stageWaiting    = "waiting for the response"
	stageReading    = "reading the body"
)

// tracer collects the phases of one check from httptrace hooks. Across
// redirects the phases add up, so together they account for the total.
// The hooks may run on the transport's dialing goroutines, and a dial can
// outlive a cancelled request, hence the mutex.
type tracer struct {
	mu sync.Mutex

	dnsStart, connStart, tlsStart, wrote, firstByte time.Time
	dns, connect, tls, ttfb                         time.Duration

	stage      string
	remoteIP   string
	tlsErr     error     // the last failed handshake
	certExpiry time.Time // earliest leaf NotAfter seen, zero when none
}

func (t *tracer) clientTrace() *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		DNSStart: func(httptrace.DNSStartInfo) {
			t.mu.Lock()
			t.dnsStart, t.stage = time.Now(), stageDNS
			t.mu.Unlock()
		},
		DNSDone: func(httptrace.DNSDoneInfo) {
			t.mu.Lock()
			t.dns += time.Since(t.dnsStart)
			t.stage = stageConnecting
			t.mu.Unlock()
		},
		ConnectStart: func(_, addr string) {
			t.mu.Lock()
			t.connStart, t.stage = time.Now(), stageConnecting
			if host, _, err := net.SplitHostPort(addr); err == nil {
				t.remoteIP = host // the address tried, kept as evidence if it fails
			}
			t.mu.Unlock()
		},
		ConnectDone: func(_, _ string, _ error) {
			t.mu.Lock()
			t.connect += time.Since(t.connStart)
			t.mu.Unlock()
		},
		TLSHandshakeStart: func() {
			t.mu.Lock()
			t.tlsStart, t.stage = time.Now(), stageTLS
			t.mu.Unlock()
		},
		TLSHandshakeDone: func(state tls.ConnectionState, err error) {
			t.mu.Lock()
			defer t.mu.Unlock()
			t.tls += time.Since(t.tlsStart)
			certs := state.PeerCertificates
			if err != nil {
				t.tlsErr = err
				// Verification failed, but the certificate is still worth
				// reporting: an expired one is the usual reason.
				var verr *tls.CertificateVerificationError
				if errors.As(err, &verr) {
					certs = verr.UnverifiedCertificates
				}
			}
			if len(certs) > 0 {
				if exp := certs[0].NotAfter; t.certExpiry.IsZero() || exp.Before(t.certExpiry) {
					t.certExpiry = exp
				}
			}
		},
		GotConn: func(info httptrace.GotConnInfo) {
			t.mu.Lock()
			t.stage = stageSending
			if addr, ok := info.Conn.RemoteAddr().(*net.TCPAddr); ok {
				t.remoteIP = addr.AddrPort().Addr().Unmap().String()
			}
			t.mu.Unlock()
		},
		WroteRequest: func(httptrace.WroteRequestInfo) {
			t.mu.Lock()
			t.wrote, t.stage = time.Now(), stageWaiting
			t.mu.Unlock()
		},
		GotFirstResponseByte: func() {
			t.mu.Lock()
			t.firstByte = time.Now()
			if !t.wrote.IsZero() {
				t.ttfb += t.firstByte.Sub(t.wrote)
			}
			t.mu.Unlock()
		},
	}
}

// setStage records what the check is doing outside the hooks.
func (t *tracer) setStage(s string) {
	t.mu.Lock()
	t.stage = s
	t.mu.Unlock()
}

// finish fills res from what the hooks saw; bodyDone is when reading the
// final body ended, zero when there was no body.
func (t *tracer) finish(res *Result, bodyDone time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	res.Phases = Phases{
		DNSMS:     ms(t.dns),
		ConnectMS: ms(t.connect),
		TLSMS:     ms(t.tls),
		TTFBMS:    ms(t.ttfb),
	}
	if !bodyDone.IsZero() && !t.firstByte.IsZero() {
		res.Phases.TransferMS = ms(bodyDone.Sub(t.firstByte))
	}
	res.ResolvedIP = t.remoteIP
	if !t.certExpiry.IsZero() {
		exp := t.certExpiry
		res.CertExpiry = &exp
	}
}
