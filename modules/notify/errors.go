package notify

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// PermanentError marks a failure that retrying cannot fix: the destination
// refused the message (4xx other than 408 and 429), the configuration is
// invalid, or the address is blocked. The caller should give up and tell
// the user.
type PermanentError struct{ Err error }

// Error implements error.
func (e *PermanentError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *PermanentError) Unwrap() error { return e.Err }

// permanent wraps err in a *PermanentError; nil stays nil.
func permanent(err error) error {
	if err == nil || IsPermanent(err) {
		return err
	}
	return &PermanentError{Err: err}
}

// IsPermanent reports whether err, or any error it wraps, is a
// *PermanentError.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

// StatusError is a non-2xx answer from an HTTP destination.
type StatusError struct {
	StatusCode int
	// Excerpt is the start of the response body, at most 200 bytes of
	// valid UTF-8 on one line.
	Excerpt string
	// RetryAfter is the wait a 429 or 503 answer asked for; zero if it
	// asked for none.
	RetryAfter time.Duration
	hasRetry   bool
}

// Error implements error.
func (e *StatusError) Error() string {
	msg := fmt.Sprintf("HTTP %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	if e.Excerpt != "" {
		msg += ": " + e.Excerpt
	}
	return msg
}

// RetryAfter reports the wait a destination asked for with Retry-After on a
// 429 or 503 answer anywhere in err's chain.
func RetryAfter(err error) (time.Duration, bool) {
	var se *StatusError
	if errors.As(err, &se) && se.hasRetry {
		return se.RetryAfter, true
	}
	return 0, false
}

// statusError turns a non-2xx answer into an error: permanent for a 4xx
// other than 408 and 429, retryable otherwise. now resolves an HTTP-date
// Retry-After.
func statusError(code int, header http.Header, body []byte, now time.Time) error {
	se := &StatusError{StatusCode: code, Excerpt: excerpt(body)}
	if code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable {
		se.RetryAfter, se.hasRetry = parseRetryAfter(header.Get("Retry-After"), now)
	}
	if code >= 400 && code < 500 && code != http.StatusRequestTimeout && code != http.StatusTooManyRequests {
		return permanent(se)
	}
	return se
}

// parseRetryAfter parses a Retry-After value: delay-seconds or an
// HTTP-date. A date in the past means no wait.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		const maxSecs = int64(1<<63-1) / int64(time.Second)
		return time.Duration(min(secs, maxSecs)) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// maxExcerpt bounds the response body quoted in an error.
const maxExcerpt = 200

// excerpt returns the start of body as one line of at most maxExcerpt bytes
// of valid UTF-8.
func excerpt(body []byte) string {
	s := strings.Join(strings.Fields(strings.ToValidUTF8(string(body), "\uFFFD")), " ")
	if len(s) <= maxExcerpt {
		return s
	}
	cut := maxExcerpt
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}
