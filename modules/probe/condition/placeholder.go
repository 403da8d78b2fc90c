package condition

import (
	"net/http"
	"strings"
	"unicode/utf8"
)

// ref is a placeholder with its JSON path or header name.
type ref struct {
	ph     Placeholder
	path   []step // [BODY] only
	header string // [HEADER] only, canonical form
}

// step is one JSON path element: .key, or [index] when index >= 0.
type step struct {
	key   string
	index int
}

var placeholders = map[string]Placeholder{
	"STATUS": Status, "RESPONSE_TIME": ResponseTime, "BODY": Body,
	"CERTIFICATE_EXPIRATION": CertificateExpiration, "IP": IP,
	"CONNECTED": Connected, "DNS_RCODE": DNSRcode, "HEADER": Header,
}

// unsupported are Gatus placeholders BetterStack knows but does not offer.
var unsupported = map[string]string{
	"DOMAIN_EXPIRATION": "it needs a WHOIS lookup, which checks do not make",
	"CONTEXT":           "there are no suites",
}

// placeholderName returns NAME when s starts with [NAME], NAME being
// letters and underscores; "[1,2]" and "[]" are literals, as in Gatus.
func placeholderName(s string) (string, bool) {
	end := strings.IndexByte(s, ']')
	if s[0] != '[' || end < 2 {
		return "", false
	}
	for _, c := range []byte(s[1:end]) {
		if !isLetter(c) && c != '_' {
			return "", false
		}
	}
	return s[1:end], true
}

func (p *parser) ref(lo, hi int, name string) (ref, *SyntaxError) {
	upper := strings.ToUpper(name)
	end := lo + len(name) + 2
	ph, ok := placeholders[upper]
	if !ok {
		if why, known := unsupported[upper]; known {
			return ref{}, p.errorf(lo, "[%s] is not supported: %s", upper, why)
		}
		return ref{}, p.errorf(lo, "unknown placeholder %q", p.text[lo:end])
	}
	rest := p.text[end:hi]
	switch ph {
	case Body:
		path, err := p.path(rest, end)
		return ref{ph: ph, path: path}, err
	case Header:
		h, err := p.headerName(rest, end)
		return ref{ph: ph, header: h}, err
	}
	if rest != "" {
		return ref{}, p.errorf(end, "unexpected %q after %s: only [BODY] takes a path", rest, ph)
	}
	return ref{ph: ph}, nil
}

// path parses what follows [BODY]: .key and [index] steps.
func (p *parser) path(s string, off int) ([]step, *SyntaxError) {
	var steps []step
	for i := 0; i < len(s); {
		switch s[i] {
		case '.':
			j := i + 1
			for j < len(s) && s[j] != '.' && s[j] != '[' {
				j++
			}
			if j == i+1 {
				return nil, p.errorf(off+i, "a '.' in a path must be followed by a key")
			}
			steps = append(steps, step{key: s[i+1 : j], index: -1})
			i = j
		case '[':
			j := i + 1 + strings.IndexByte(s[i+1:], ']')
			n, err := p.index(s[i+1:j], off+i+1)
			if err != nil {
				return nil, err
			}
			steps = append(steps, step{index: n})
			i = j + 1
		default:
			return nil, p.errorf(off+i, "expected '.' or '[' in a path, found %q", s[i:])
		}
	}
	return steps, nil
}

// maxIndexDigits keeps an array index inside an int on every platform.
const maxIndexDigits = 9

func (p *parser) index(s string, off int) (int, *SyntaxError) {
	if s == "" {
		return 0, p.errorf(off, "an array index is a number, as in [0]")
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, p.errorf(off+i, "an array index is a number, not %q", s)
		}
		n = n*10 + int(s[i]-'0')
	}
	if len(s) > maxIndexDigits {
		return 0, p.errorf(off, "array index %s is too large", s)
	}
	return n, nil
}

func (p *parser) headerName(rest string, off int) (string, *SyntaxError) {
	if rest == "" || rest == "." {
		return "", p.errorf(off, "[HEADER] needs a header name, as in [HEADER].Content-Type")
	}
	if rest[0] != '.' {
		return "", p.errorf(off, "expected '.' and a header name after [HEADER], found %q", rest)
	}
	name := rest[1:]
	for i, r := range name {
		if r >= utf8.RuneSelf || !isTokenChar(byte(r)) {
			return "", p.errorf(off+1+i, "%q cannot appear in a header name", r)
		}
	}
	return http.CanonicalHeaderKey(name), nil
}

// isTokenChar reports whether c may appear in an HTTP header name (RFC 9110 tchar).
func isTokenChar(c byte) bool {
	return isLetter(c) || isDigit(c) || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}
