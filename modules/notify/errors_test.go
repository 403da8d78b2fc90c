package notify_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/apperr"
	"github.com/betterstack/betterstack/modules/notify"
)

func TestStatusErrors(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		header     []string
		permanent  bool
		retryAfter time.Duration // -1 = none reported
		slack      time.Duration // tolerance for HTTP-date
	}{
		{"400 is permanent", 400, nil, true, -1, 0},
		{"401 is permanent", 401, nil, true, -1, 0},
		{"404 is permanent", 404, nil, true, -1, 0},
		{"410 is permanent", 410, nil, true, -1, 0},
		{"408 is retryable", 408, nil, false, -1, 0},
		{"429 is retryable", 429, nil, false, -1, 0},
		{"429 with Retry-After seconds", 429, []string{"Retry-After", "30"}, false, 30 * time.Second, 0},
		{"503 with Retry-After date", 503, []string{"Retry-After", time.Now().Add(2 * time.Minute).UTC().Format(http.TimeFormat)}, false, 2 * time.Minute, 3 * time.Second},
		{"503 with garbage Retry-After", 503, []string{"Retry-After", "soon"}, false, -1, 0},
		{"500 is retryable", 500, nil, false, -1, 0},
		{"502 is retryable", 502, nil, false, -1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := NewReceiver(t, tt.status, `{"error":"nope"}`, tt.header...)
			err := MustParse(t, "slack", map[string]any{"url": rc.URL}).Send(t.Context(), NewTransport(), NewEvent("incident.opened"))
			if err == nil {
				t.Fatal("got no error")
			}
			if got := notify.IsPermanent(err); got != tt.permanent {
				t.Errorf("IsPermanent = %v, want %v (%v)", got, tt.permanent, err)
			}
			var se *notify.StatusError
			if !errors.As(err, &se) || se.StatusCode != tt.status {
				t.Fatalf("error %v does not carry status %d", err, tt.status)
			}
			if !strings.Contains(err.Error(), http.StatusText(tt.status)) || !strings.Contains(err.Error(), `{"error":"nope"}`) {
				t.Errorf("error %q does not give the status and an excerpt", err)
			}
			d, ok := notify.RetryAfter(err)
			switch {
			case tt.retryAfter < 0 && ok:
				t.Errorf("RetryAfter = %v, want none", d)
			case tt.retryAfter >= 0 && (!ok || d < tt.retryAfter-tt.slack || d > tt.retryAfter):
				t.Errorf("RetryAfter = %v, %v, want %v", d, ok, tt.retryAfter)
			}
		})
	}
}

func TestErrorExcerptIsShort(t *testing.T) {
	rc := NewReceiver(t, 500, "<html>\n\n"+strings.Repeat("é", 400)+"</html>")
	err := MustParse(t, "slack", map[string]any{"url": rc.URL}).Send(t.Context(), NewTransport(), NewEvent("incident.opened"))
	var se *notify.StatusError
	if !errors.As(err, &se) {
		t.Fatalf("got %v, want a StatusError", err)
	}
	if len(se.Excerpt) > 200 || !strings.HasPrefix(se.Excerpt, "<html> éé") || !strings.HasSuffix(se.Excerpt, "é") {
		t.Fatalf("excerpt is %d bytes: %q", len(se.Excerpt), se.Excerpt)
	}
}

// Webhook URLs and the Telegram token are credentials: no error may show them.
func TestErrorsHideSecrets(t *testing.T) {
	rc := NewReceiver(t, 400, `{"ok":false,"description":"Bad Request: chat not found"}`)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	tests := []struct {
		name   string
		typ    string
		config map[string]any
		secret string
	}{
		{"telegram token on 400", "telegram", map[string]any{"bot_token": telegramToken, "chat_id": "1", "api_url": rc.URL}, telegramToken},
		{"telegram token on connect error", "telegram", map[string]any{"bot_token": telegramToken, "chat_id": "1", "api_url": closed.URL}, telegramToken},
		{"slack path on connect error", "slack", map[string]any{"url": closed.URL + "/services/T0/B0/slacksecretpath"}, "slacksecretpath"},
		{"teams signature on 400", "teams", map[string]any{"url": rc.URL + "/workflows/x?sig=teamssig"}, "teamssig"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := MustParse(t, tt.typ, tt.config).Send(t.Context(), NewTransport(), NewEvent("incident.opened"))
			if err == nil {
				t.Fatal("got no error")
			}
			if strings.Contains(err.Error(), tt.secret) {
				t.Fatalf("error shows the secret: %v", err)
			}
		})
	}
}

func TestSendHonoursContext(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })

	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := MustParse(t, "webhook", map[string]any{"url": srv.URL, "secret": webhookSecret}).Send(ctx, NewTransport(), NewEvent("incident.opened"))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want context.DeadlineExceeded", err)
	}
	if notify.IsPermanent(err) {
		t.Errorf("a timeout is not permanent: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Send took %v after its deadline", d)
	}
}

func TestSendRefusesBadInput(t *testing.T) {
	rc := NewReceiver(t, 200, "")
	t.Run("unvalidated config", func(t *testing.T) {
		err := (&notify.Slack{URL: "ftp://x"}).Send(t.Context(), NewTransport(), NewEvent("incident.opened"))
		if !notify.IsPermanent(err) || apperr.KindOf(err) != apperr.Invalid {
			t.Fatalf("got %v, want a permanent validation error", err)
		}
	})
	t.Run("unknown event type", func(t *testing.T) {
		e := NewEvent("incident.opened")
		e.Type = "incident.exploded"
		err := MustParse(t, "slack", map[string]any{"url": rc.URL}).Send(t.Context(), NewTransport(), e)
		if !notify.IsPermanent(err) {
			t.Fatalf("got %v, want a permanent error", err)
		}
	})
	if n := len(rc.Requests()); n != 0 {
		t.Fatalf("receiver got %d requests, want none", n)
	}
}

func TestRedirectLimit(t *testing.T) {
	var hits atomic.Int64
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Redirect(w, r, srv.URL+"/again", http.StatusTemporaryRedirect)
	}))
	t.Cleanup(srv.Close)
	err := MustParse(t, "ntfy", map[string]any{"url": srv.URL + "/t"}).Send(t.Context(), NewTransport(), NewEvent("incident.opened"))
	if err == nil || !notify.IsPermanent(err) || !strings.Contains(err.Error(), "redirects") {
		t.Fatalf("got %v, want a permanent redirect error", err)
	}
	if n := hits.Load(); n != 6 {
		t.Fatalf("server saw %d requests, want 6 (the request and 5 redirects)", n)
	}
}

func TestPermanentErrorUnwraps(t *testing.T) {
	inner := errors.New("boom")
	err := error(&notify.PermanentError{Err: inner})
	if !errors.Is(err, inner) || !notify.IsPermanent(err) || err.Error() != "boom" {
		t.Fatalf("PermanentError does not wrap: %v", err)
	}
	if notify.IsPermanent(inner) || notify.IsPermanent(nil) {
		t.Fatal("a plain error is permanent")
	}
	if _, ok := notify.RetryAfter(inner); ok {
		t.Fatal("RetryAfter reported a wait for a plain error")
	}
}
