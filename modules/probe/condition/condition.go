// Package condition parses and evaluates health conditions written in
// Gatus's condition language, so a Gatus user's HTTP conditions run
// unchanged: "[STATUS] == 200", "[BODY].status == UP",
// "[RESPONSE_TIME] < 300", "[CERTIFICATE_EXPIRATION] > 48h".
//
// Text enters through Parse, once, when a monitor is saved; what a check
// observed enters as Values; Eval and EvalAll say whether the conditions
// hold and describe the values they saw. The package does no I/O and keeps
// no state.
//
// # Language
//
// A condition is one comparison: a left side, an operator surrounded by
// spaces, a right side. The operators are == != < <= > >=.
//
// A side is a placeholder, a function or a literal. Placeholders (names in
// any case, as in Gatus):
//
//	[STATUS]                  HTTP status code
//	[RESPONSE_TIME]           response time in milliseconds
//	[BODY]                    the body, surrounding whitespace trimmed
//	[BODY].a.b[0].c           a value in a JSON body; also [BODY][0].x, [BODY].m[1][2]
//	[CERTIFICATE_EXPIRATION]  time left on the certificate, in milliseconds
//	[IP]                      the address connected to
//	[CONNECTED]               true or false
//	[DNS_RCODE]               NOERROR, NXDOMAIN... (DNS checks)
//	[HEADER].Content-Type     a response header (our extension, see below)
//
// Functions:
//
//	len(p)    length of p: elements of an array, characters of a string, of
//	          the minified JSON of an object, of the body (elements when the
//	          body is a JSON array); on [BODY], [HEADER], [IP], [DNS_RCODE]
//	has(p)    whether p has a value: a JSON path that exists and is not null,
//	          a header that is present, a non-empty body; compare with true/false
//	pat(x)    a pattern where * matches any text and ? one character; == / != only
//	any(a,b)  equal to one of the comma-separated values; == / != only
//
// Anything else is a literal, unquoted as in Gatus: in [BODY].status == UP
// the literal is the two letters U and P, and in [BODY] == "OK" it is four
// characters, quotes included.
//
// == and != compare as numbers when both sides are numbers (decimal,
// 1.5e3, or 0x1F, 0o17, 0b101), else as text. < <= > >= need numbers on
// both sides; a Go duration (48h, 30m, 1.5s, 300ms) counts as its
// milliseconds, so "[CERTIFICATE_EXPIRATION] > 48h" and
// "[RESPONSE_TIME] < 1s" read naturally.
//
// Parse rejects with a *SyntaxError that points at the character at fault:
// an empty or over-long text (MaxLength), control characters, a missing, unknown, unspaced or second
// operator, a missing side, an unknown placeholder or function, a function
// with the wrong arguments, unbalanced brackets or parentheses, a malformed
// JSON path, pat() or any() with an ordering operator, a literal that can
// never compare (has() against anything but true/false, [STATUS] against a
// word, a day duration like 7d, which Go and Gatus do not know), and a
// condition that reads no placeholder at all.
//
// # Deviations from Gatus
//
// [HEADER].Name is ours: it reads a response header, the name in any case;
// several values are joined with ", ". has([HEADER].Name) tests presence.
//
// Where Gatus quietly passes or fails on something meaningless, this
// package refuses it or fails loudly, and says why in seen:
//   - A value that is not there (missing key, index out of range, body not
//     JSON, [STATUS] with no response, [CERTIFICATE_EXPIRATION] over plain
//     HTTP) fails the condition with either operator. Gatus compares a
//     "(INVALID)" marker, so "[BODY].missing != x" passes there.
//   - < <= > >= on something that is not a number fails. Gatus reads it as
//     0, so "[BODY].missing <= 5" passes there.
//   - Numbers compare exactly: 500.5 > 500 (Gatus truncates to whole
//     numbers), a leading 0 is not octal, JSON numbers keep their digits
//     (Gatus prints 1000000 as 1e+06).
//   - Arrays and objects compare as compact JSON; null as "null".
//   - any() compares like ==, numbers by value (Gatus compares text), and
//     len() counts characters (Gatus counts bytes).
//   - pat() knows only * and ? (Gatus hands the pattern to filepath.Match,
//     so [a-z] and \ are special there and / is dropped from both sides).
//   - Brackets and parentheses must balance, also inside literals, and a
//     literal cannot contain a space-delimited operator (write
//     pat(a < b) instead); Gatus splits on the first operator it finds.
//   - [DOMAIN_EXPIRATION] and [CONTEXT] are not supported.
//
// # Performance
//
// Parse does all the text work once; keep the *Condition. Eval decodes a
// JSON body only when the condition looks inside it (a path, or len() of a
// body that opens with [), and EvalAll decodes it at most once for all the
// conditions of a check; evaluating allocates little else. The body is decoded as given, so a body cut at
// the probe's cap is simply not JSON. Patterns match in time linear in the
// body for each segment between stars, never by backtracking.
package condition

import (
	"net/http"
	"time"
)

// MaxLength is the longest condition text Parse accepts, in bytes.
const MaxLength = 1024

// maxSeen is the longest description Eval returns, in bytes.
const maxSeen = 200

// Placeholder names a value a condition reads, as written in Gatus's
// language with its brackets.
type Placeholder string

// The placeholders a condition can read.
const (
	Status                Placeholder = "[STATUS]"
	ResponseTime          Placeholder = "[RESPONSE_TIME]"
	Body                  Placeholder = "[BODY]"
	CertificateExpiration Placeholder = "[CERTIFICATE_EXPIRATION]"
	IP                    Placeholder = "[IP]"
	Connected             Placeholder = "[CONNECTED]"
	DNSRcode              Placeholder = "[DNS_RCODE]"
	Header                Placeholder = "[HEADER]"
)

// Condition is one parsed condition such as "[BODY].status == UP". It is
// immutable and safe for concurrent use.
type Condition struct {
	text        string
	op          operator
	left, right operand
}

// Values is what a check observed; zero fields mean "not measured".
type Values struct {
	Status         int
	Body           []byte // up to the probe's body cap
	ResponseTimeMS float64
	CertExpiration *time.Duration // nil when no certificate (plain http)
	IP             string
	Connected      bool
	DNSRcode       string // "NOERROR", "NXDOMAIN"...; "" when not a DNS check
	Header         http.Header
}

// String returns the condition's text as written.
func (c *Condition) String() string { return c.text }

// Placeholders lists what the condition reads, each once, in the order
// written, so the caller knows for example that it needs the body.
func (c *Condition) Placeholders() []Placeholder {
	var out []Placeholder
	for _, o := range []*operand{&c.left, &c.right} {
		if !o.reads() || (len(out) == 1 && out[0] == o.ref.ph) {
			continue
		}
		out = append(out, o.ref.ph)
	}
	return out
}

// Eval reports whether the condition holds for v, and a short description
// of the value(s) seen, such as `[BODY].status = "DOWN"`, `[STATUS] = 503`
// or `[BODY].status: not found`: one line of valid UTF-8, at most 200
// bytes, never the whole body.
func (c *Condition) Eval(v Values) (ok bool, seen string) {
	e := env{v: v}
	return c.eval(&e)
}

// EvalAll evaluates conds in order against one set of values, decoding a
// JSON body at most once, and returns the first condition that does not
// hold with what it saw. It returns nil and "" when all hold.
func EvalAll(conds []*Condition, v Values) (failed *Condition, seen string) {
	e := env{v: v}
	for _, c := range conds {
		if ok, seen := c.eval(&e); !ok {
			return c, seen
		}
	}
	return nil, ""
}
