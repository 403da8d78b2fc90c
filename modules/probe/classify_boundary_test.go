package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"
)

// These tests pin which class a failed request gets, and which rule wins
// when several apply. They call classify directly with a tracer's state.

func expiredCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	t.Cleanup(cancel)
	return ctx
}

func cancelledCtx() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

func TestClassify_EachKindOfFailure(t *testing.T) {
	live := context.Background()
	dns := &net.DNSError{Err: "no such host", Name: "nowhere.invalid", IsNotFound: true}
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	handshake := errors.New("tls: first record does not look like a TLS handshake")
	for _, tc := range []struct {
		name   string
		ctx    context.Context
		err    error
		tlsErr error
		class  ErrorClass
		msg    string
	}{
		{"blocked address", live, fmt.Errorf("dial: %w: 10.0.0.1", ErrBlockedAddress), nil, ClassBlocked, "dial: connection to a non-public address blocked: 10.0.0.1"},
		{"too many redirects", live, &url.Error{Op: "Get", URL: "http://x", Err: errTooManyRedirects}, nil, ClassRedirects, "stopped after 10 redirects"},
		{"the check's deadline passed", expiredCtx(t), io.EOF, nil, ClassTimeout, "timed out after 1.235s waiting for the response"},
		{"a deadline in the error", live, fmt.Errorf("read: %w", context.DeadlineExceeded), nil, ClassTimeout, "timed out after 1.235s waiting for the response"},
		{"cancelled", cancelledCtx(), context.Canceled, nil, ClassInternal, "check cancelled before it finished"},
		{"dns", live, &url.Error{Op: "Get", URL: "http://nowhere.invalid", Err: &net.OpError{Op: "dial", Err: dns}}, nil, ClassDNS, "lookup nowhere.invalid: no such host"},
		{"a failed handshake seen by the tracer", live, io.EOF, handshake, ClassTLS, handshake.Error()},
		{"unknown authority", live, &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}, nil, ClassTLS, ""},
		{"expired certificate", live, x509.CertificateInvalidError{Reason: x509.Expired, Detail: "expired yesterday"}, nil, ClassTLS, ""},
		{"bare unknown authority", live, x509.UnknownAuthorityError{}, nil, ClassTLS, ""},
		{"not TLS at all", live, tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}, nil, ClassTLS, ""},
		{"an alert from the server", live, tls.AlertError(40), nil, ClassTLS, ""},
		{"refused", live, &url.Error{Op: "Get", URL: "http://x", Err: refused}, nil, ClassConnect, "dial tcp: connect: connection refused"},
		{"closed before a response", live, io.EOF, nil, ClassConnect, "EOF"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := &tracer{stage: stageWaiting, tlsErr: tc.tlsErr}
			class, msg := classify(tc.ctx, tc.err, tr, 1234567*time.Microsecond)
			if class != tc.class {
				t.Fatalf("class %q (%s), want %q", class, msg, tc.class)
			}
			if tc.msg != "" && msg != tc.msg {
				t.Fatalf("message %q, want %q", msg, tc.msg)
			}
			if msg == "" {
				t.Fatal("no message")
			}
		})
	}
}

// When several rules apply, the first in this order wins: blocked,
// redirects, timeout, cancelled, DNS, TLS, connect.
func TestClassify_WhichRuleWins(t *testing.T) {
	dns := &net.DNSError{Err: "no such host", Name: "nowhere.invalid"}
	blocked := fmt.Errorf("dial: %w: 127.0.0.1", ErrBlockedAddress)
	for _, tc := range []struct {
		name   string
		ctx    context.Context
		err    error
		tlsErr error
		class  ErrorClass
	}{
		{"blocked beats an expired deadline", expiredCtx(t), blocked, nil, ClassBlocked},
		{"redirects beat an expired deadline", expiredCtx(t), errTooManyRedirects, nil, ClassRedirects},
		{"an expired deadline beats dns", expiredCtx(t), dns, nil, ClassTimeout},
		{"an expired deadline beats a failed handshake", expiredCtx(t), io.EOF, errors.New("tls: bad"), ClassTimeout},
		{"cancelled beats dns", cancelledCtx(), dns, nil, ClassInternal},
		{"dns beats a handshake the tracer saw", context.Background(), dns, errors.New("tls: bad"), ClassDNS},
		{"the tracer's handshake beats a connection error", context.Background(), syscall.ECONNRESET, errors.New("tls: bad"), ClassTLS},
	} {
		t.Run(tc.name, func(t *testing.T) {
			class, msg := classify(tc.ctx, tc.err, &tracer{stage: stageTLS, tlsErr: tc.tlsErr}, time.Second)
			if class != tc.class {
				t.Fatalf("class %q (%s), want %q", class, msg, tc.class)
			}
		})
	}
}

func TestClassify_TimeoutNamesTheStage(t *testing.T) {
	for _, stage := range []string{stageDNS, stageConnecting, stageTLS, stageSending, stageWaiting, stageReading} {
		_, msg := classify(expiredCtx(t), io.EOF, &tracer{stage: stage}, 2*time.Second+400*time.Microsecond)
		if want := "timed out after 2s " + stage; msg != want {
			t.Errorf("message %q, want %q", msg, want)
		}
	}
}

func TestClassify_MessageIsOneLine(t *testing.T) {
	_, msg := classify(context.Background(), errors.New("bad\r\nthing\thappened"), &tracer{}, 0)
	if msg != "bad thing happened" {
		t.Fatalf("message %q", msg)
	}
	_, msg = classify(context.Background(), errors.New(strings.Repeat("x", 2000)), &tracer{}, 0)
	if len(msg) != maxErrorBytes || !strings.HasSuffix(msg, "…") {
		t.Fatalf("message of %d bytes, want %d ending in an ellipsis", len(msg), maxErrorBytes)
	}
}

func TestOneLineN_CutOnlyOverTheLimitAtARuneStart(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    string
		limit int
		want  string
	}{
		{"shorter", "abcd", 5, "abcd"},
		{"exactly the limit", "abcde", 5, "abcde"},
		{"one byte over", "abcdef", 5, "ab…"},
		{"the limit in bytes, multi-byte", "ééé", 6, "ééé"},
		{"a cut inside a rune moves back", "aéééé", 7, "aé…"},
		{"a cut on a rune start stays", "abéééé", 7, "abé…"},
		{"a cut inside the first rune gives just the ellipsis", "éééé", 4, "…"},
		{"invalid bytes become U+FFFD first", "a\xffb", 10, "a\uFFFDb"},
		{"whitespace folded before measuring", "a\n\n  b", 3, "a b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := oneLineN(tc.in, tc.limit)
			if got != tc.want {
				t.Fatalf("oneLineN(%q, %d) = %q, want %q", tc.in, tc.limit, got, tc.want)
			}
			if len(got) > tc.limit || !utf8.ValidString(got) {
				t.Fatalf("%q: %d bytes or invalid UTF-8", got, len(got))
			}
		})
	}
	exact := strings.Repeat("x", maxErrorBytes)
	if got := oneLine(exact); got != exact {
		t.Fatalf("oneLine cut a message of exactly %d bytes", maxErrorBytes)
	}
}
