package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/betterstack/betterstack/modules/probe"
)

// DefaultTimeout bounds one delivery attempt when NewTransport is given no
// timeout.
const DefaultTimeout = 30 * time.Second

// maxRedirects is how many redirects one HTTP delivery follows.
const maxRedirects = 5

// maxResponseBody bounds how much of a response is read.
const maxResponseBody = 64 << 10

// errTooManyRedirects stops a redirect chain.
var errTooManyRedirects = fmt.Errorf("stopped after %d redirects", maxRedirects)

// NewTransport returns the Transport channels send through. Unless
// allowPrivate, every connection (HTTP, each redirect hop, SMTP) goes
// through probe.GuardedDialer, which refuses loopback, private, link-local
// and other non-public addresses after DNS resolution, so neither a
// redirect nor a DNS answer can point a notification at the internal
// network. No proxy is used (it would get around the guard) and at most 5
// redirects are followed. timeout bounds each attempt (DefaultTimeout when
// zero or negative).
func NewTransport(allowPrivate bool, timeout time.Duration) Transport {
	return newTransport(probe.GuardedDialer(!allowPrivate), timeout)
}

// newTransport builds a Transport on dialer. It exists so tests can wrap
// the guard and check that it runs on every redirect hop.
func newTransport(dialer *net.Dialer, timeout time.Duration) Transport {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	dialer.Timeout = timeout
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	transport := &http.Transport{
		Proxy:                  nil, // never from the environment
		DialContext:            dialer.DialContext,
		TLSClientConfig:        tlsConfig.Clone(),
		ForceAttemptHTTP2:      true,
		TLSHandshakeTimeout:    min(timeout, 10*time.Second),
		ResponseHeaderTimeout:  timeout,
		MaxIdleConns:           64,
		MaxIdleConnsPerHost:    4,
		IdleConnTimeout:        90 * time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
	return Transport{
		HTTP: &http.Client{
			Transport: transport,
			Timeout:   timeout,
			CheckRedirect: func(_ *http.Request, via []*http.Request) error {
				if len(via) > maxRedirects {
					return errTooManyRedirects
				}
				return nil
			},
		},
		Dial: dialer.DialContext,
		TLS:  tlsConfig,
	}
}

// doHTTP sends one request with body and headers to rawURL and returns the
// response body (at most maxResponseBody bytes) of a 2xx answer. Anything
// else is an error that names the method and the redacted URL, with a
// *StatusError for a non-2xx answer.
func doHTTP(ctx context.Context, t Transport, method, rawURL string, header http.Header, body []byte) ([]byte, error) {
	if t.HTTP == nil {
		return nil, permanent(errors.New("notify: transport has no HTTP client"))
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, bytes.NewReader(body))
	if err != nil {
		return nil, permanent(fmt.Errorf("%s %s: invalid request", method, redactURL(rawURL)))
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := t.HTTP.Do(req)
	if err != nil {
		return nil, transportError(method, rawURL, err)
	}
	defer resp.Body.Close()
	respBody, readErr := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		// The destination accepted the message; a body cut short after
		// the status line does not change that.
		return respBody, nil
	}
	err = statusError(resp.StatusCode, resp.Header, respBody, time.Now())
	if readErr != nil {
		err = fmt.Errorf("%w (response body cut short: %v)", err, readErr)
	}
	return nil, fmt.Errorf("%s %s: %w", method, redactURL(rawURL), err)
}

// transportError rewrites an http.Client error so it names no secret (the
// URL of a Slack webhook or the Telegram API is a credential) and marks
// failures retrying cannot fix as permanent.
func transportError(method, rawURL string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	err = fmt.Errorf("%s %s: %w", method, redactURL(rawURL), err)
	if errors.Is(err, probe.ErrBlockedAddress) {
		return blocked(err)
	}
	if errors.Is(err, errTooManyRedirects) {
		return permanent(err)
	}
	return err
}

// blocked marks a refused non-public destination permanent and says which
// setting allows it: the operator who runs a receiver on the internal
// network must not have to find the key in the docs.
func blocked(err error) error {
	return permanent(fmt.Errorf("%w; notifications reach only public addresses unless "+
		"allow_private_webhooks is true (BETTERSTACK_ALLOW_PRIVATE_WEBHOOKS=true)", err))
}

// redactURL returns scheme and host of rawURL, dropping path, query and
// user info, which may carry credentials.
func redactURL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return "(invalid URL)"
	}
	if u.Path == "" && u.RawQuery == "" {
		return u.Scheme + "://" + u.Host
	}
	return u.Scheme + "://" + u.Host + "/..."
}
