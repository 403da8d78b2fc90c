package notify

import (
	"net/url"
	"strings"
	"unicode"

	"github.com/betterstack/betterstack/modules/apperr"
)

// maxURLLen bounds every configured URL.
const maxURLLen = 2048

// checkURL records a problem with the URL in field "config.<name>": it must
// be an absolute http or https URL with a host and without user info
// (credentials belong in the secret fields, which Mask hides). Whether the
// host is public is decided at dial time, not here: DNS can change.
func checkURL(f apperr.Fields, name, raw string, required bool) {
	field := "config." + name
	if raw == "" {
		if required {
			f.Add(field, "required")
		}
		return
	}
	if len(raw) > maxURLLen || hasSpaceOrControl(raw) {
		f.Add(field, "must be an http or https URL")
		return
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		f.Add(field, "must be an http or https URL")
		return
	}
	if u.User != nil {
		f.Add(field, "must not contain a user name or password")
	}
}

// checkToken records a problem with a credential-like value: required,
// at most max bytes, no spaces or control characters.
func checkToken(f apperr.Fields, name, v string, maxLen int) {
	field := "config." + name
	switch {
	case v == "":
		f.Add(field, "required")
	case len(v) > maxLen:
		f.Add(field, "too long")
	case hasSpaceOrControl(v):
		f.Add(field, "must not contain spaces or control characters")
	}
}

// hasSpaceOrControl reports whether s contains white space or a control
// character.
func hasSpaceOrControl(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0
}

// checkEvent returns a permanent error for an event type no channel knows.
func checkEvent(e Event) error {
	switch e.Type {
	case EventOpened, EventAcknowledged, EventResolved, EventReminder, EventTest, EventOperatorAlert, EventOperatorResolved:
		return nil
	}
	return permanent(apperr.New(apperr.Invalid, "notify: unknown event type %q", e.Type))
}

// prepare is the common start of every Send: the configuration must be
// valid and the event known, or the attempt fails permanently.
func prepare(c Channel, e Event) error {
	if err := c.Validate(); err != nil {
		return permanent(err)
	}
	return checkEvent(e)
}
