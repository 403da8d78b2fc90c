package probe

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"runtime/debug"
	"time"
)

// DefaultTimeout bounds a check whose Request has no TimeoutMS.
const DefaultTimeout = 30 * time.Second

// Prober runs checks. It is safe for concurrent use; set the exported
// fields before the first Check.
type Prober struct {
	// Now stamps Result.CheckedAt. Latencies are measured with the
	// monotonic clock regardless.
	Now func() time.Time
	// Log receives recovered panics; it defaults to discarding.
	Log *slog.Logger

	env *Env
	// kinds is the registry the Prober runs; a copy, so tests can add a
	// kind of their own to one Prober.
	kinds map[string]Kind
}

// New returns a Prober with cfg's defaults applied. It starts nothing.
func New(cfg Config) *Prober {
	env := NewEnv(cfg)
	p := &Prober{
		Now:   time.Now,
		Log:   slog.New(slog.DiscardHandler),
		env:   env,
		kinds: maps.Clone(kinds),
	}
	env.Now = func() time.Time { return p.Now() }
	return p
}

// NewEnv returns the Env checks run in, with cfg's defaults applied: one
// guarded dialer and two HTTP clients without keep-alives. It starts
// nothing.
func NewEnv(cfg Config) *Env {
	cfg = cfg.withDefaults()
	dialer := GuardedDialer(cfg.BlockPrivate)
	dialer.KeepAlive = -1 // connections live for one request
	// Checks go direct: a proxy would hide what the target does and get
	// around the address guard. Without a session cache every check makes
	// a full TLS handshake. A custom TLS config means HTTP/1.1 only.
	transport := &http.Transport{
		Proxy:                  nil,
		DialContext:            dialer.DialContext,
		TLSClientConfig:        &tls.Config{RootCAs: cfg.RootCAs},
		DisableKeepAlives:      true, // a fresh connection per check so DNS, connect and TLS are seen every time
		MaxResponseHeaderBytes: 256 << 10,
		// A check's request is a few hundred bytes: a 1 KB write buffer
		// holds it, and a longer one is written in more than one piece,
		// which HTTP allows. The default 4 KB, allocated for every
		// connection and so every check, was 7% of all allocation at
		// 200,000 monitors. The read buffer keeps its 4 KB: a smaller one
		// would read most responses in more system calls.
		WriteBufferSize: 1 << 10,
	}
	return &Env{
		Config: cfg,
		Dialer: dialer,
		HTTPFollow: &http.Client{
			Transport:     transport,
			CheckRedirect: followRedirects,
		},
		HTTPNoFollow: &http.Client{
			Transport:     transport,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		Now: time.Now,
	}
}

// Check runs one check of req. The check ends by req.TimeoutMS
// (DefaultTimeout when zero) or by ctx's deadline, whichever is earlier.
// A spec that does not decode or validate fails with ClassInternal (the
// monitor was validated when saved, so that means a damaged job). Check
// never panics: a panicking probe yields a down Result with ClassInternal.
func (p *Prober) Check(ctx context.Context, req Request) (res Result) {
	checkedAt := p.Now()
	start := time.Now()
	defer func() {
		if v := recover(); v != nil {
			p.Log.Error("probe panicked", "kind", req.Check.Kind, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			res = Result{
				Status:     StatusDown,
				ErrorClass: ClassInternal,
				Error:      oneLine(fmt.Sprintf("probe panicked: %v", v)),
				LatencyMS:  ms(time.Since(start)),
				CheckedAt:  checkedAt,
			}
		}
	}()

	c, err := parseWith(p.kinds, req.Check)
	if err != nil {
		return Result{Status: StatusDown, ErrorClass: ClassInternal, Error: oneLine("invalid check: " + err.Error()), CheckedAt: checkedAt}
	}

	timeout := DefaultTimeout
	if req.TimeoutMS > 0 {
		timeout = time.Duration(req.TimeoutMS) * time.Millisecond
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	res = c.Run(ctx, p.env)
	res.CheckedAt = checkedAt
	if res.LatencyMS == 0 {
		res.LatencyMS = ms(time.Since(start))
	}
	switch {
	case res.Status == "":
		res.Status, res.ErrorClass, res.Error = StatusDown, ClassInternal, "probe returned no status"
	case res.ErrorClass == ClassBlocked:
		// Say which setting made it so, whichever kind refused the address.
		res.Error = oneLine(res.Error + " (private targets are refused while block_private_targets is on)")
	case res.Status == StatusUp && req.DegradedAfterMS > 0 && res.LatencyMS > float64(req.DegradedAfterMS):
		// Degraded keeps ErrorClass empty: nothing failed, it was only slow.
		res.Status = StatusDegraded
	}
	return res
}

// followRedirects follows up to maxRedirects redirects, like net/http's
// default policy but with an error Check can classify. On a redirect to
// another host it drops every header the check set (net/http drops only
// Authorization, Cookie and WWW-Authenticate): an API key in a custom
// header must not reach whatever host a redirect names. A check whose
// settings say keep_headers_on_redirect marks its context to keep them.
func followRedirects(req *http.Request, via []*http.Request) error {
	if len(via) > maxRedirects {
		return errTooManyRedirects
	}
	first := via[0]
	if req.URL.Host != first.URL.Host && req.Context().Value(keepHeadersKey{}) == nil {
		for name := range first.Header {
			if name != "User-Agent" {
				req.Header.Del(name)
			}
		}
	}
	return nil
}

// keepHeadersKey marks a check's context: keep its headers across hosts.
type keepHeadersKey struct{}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
