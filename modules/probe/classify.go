package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// maxRedirects is how many redirects a check follows before failing.
const maxRedirects = 10

// maxErrorBytes bounds Result.Error.
const maxErrorBytes = 512

var errTooManyRedirects = fmt.Errorf("stopped after %d redirects", maxRedirects)

// classify turns a failed request into an error class and a short message.
// ctx is the check's context: when its deadline has passed, the failure is a
// timeout whatever the error says, because that deadline caused it.
func classify(ctx context.Context, err error, t *tracer, elapsed time.Duration) (ErrorClass, string) {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err // the URL is already known; keep the message short
	}
	var (
		dnsErr   *net.DNSError
		certErr  *tls.CertificateVerificationError
		invalid  x509.CertificateInvalidError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		record   tls.RecordHeaderError
		alert    tls.AlertError
	)
	t.mu.Lock()
	tlsErr, stage := t.tlsErr, t.stage
	t.mu.Unlock()

	switch {
	case errors.Is(err, ErrBlockedAddress):
		return ClassBlocked, oneLine(err.Error())
	case errors.Is(err, errTooManyRedirects):
		return ClassRedirects, errTooManyRedirects.Error()
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded):
		return ClassTimeout, fmt.Sprintf("timed out after %s %s", elapsed.Round(time.Millisecond), stage)
	case errors.Is(ctx.Err(), context.Canceled):
		return ClassInternal, "check cancelled before it finished"
	case errors.As(err, &dnsErr):
		return ClassDNS, oneLine(dnsErr.Error())
	case tlsErr != nil:
		return ClassTLS, oneLine(tlsErr.Error())
	case errors.As(err, &certErr), errors.As(err, &invalid), errors.As(err, &unknown),
		errors.As(err, &hostname), errors.As(err, &record), errors.As(err, &alert):
		return ClassTLS, oneLine(err.Error())
	default:
		// Refused, reset, unreachable, or a connection that carried no
		// valid HTTP: EOF before a response, a malformed status line, a
		// redirect to an unusable URL. All say the target cannot be reached.
		return ClassConnect, oneLine(err.Error())
	}
}

// oneLine makes s fit Result.Error: one line of valid UTF-8, at most
// maxErrorBytes bytes.
func oneLine(s string) string { return oneLineN(s, maxErrorBytes) }

// oneLineN makes s one line of valid UTF-8 of at most limit bytes, marking
// a cut with an ellipsis.
func oneLineN(s string, limit int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if strings.ContainsAny(s, "\r\n\t") {
		s = strings.Join(strings.Fields(s), " ")
	}
	if len(s) <= limit {
		return s
	}
	const ellipsis = "…"
	// s is valid UTF-8 by now, so s[0] starts a rune: walking back to the
	// start of the rune at the cut stops there at the latest.
	cut := limit - len(ellipsis)
	for !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ellipsis
}
