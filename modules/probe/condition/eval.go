package condition

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// env is one check's Values with the body text and JSON worked out at
// most once, however many conditions read them.
type env struct {
	v       Values
	body    string
	bodyOK  bool
	doc     any
	docErr  string
	docDone bool
}

func (e *env) bodyText() string {
	if !e.bodyOK {
		e.body, e.bodyOK = string(bytes.TrimSpace(e.v.Body)), true
	}
	return e.body
}

// json returns the decoded body, or why there is none.
func (e *env) json() (any, string) {
	if !e.docDone {
		e.doc, e.docErr = decodeJSON(e.bodyText())
		e.docDone = true
	}
	return e.doc, e.docErr
}

// decodeJSON decodes one JSON value, keeping numbers as written.
func decodeJSON(s string) (any, string) {
	if s == "" {
		return nil, "body is empty"
	}
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var doc any
	if err := d.Decode(&doc); err != nil || d.InputOffset() != int64(len(s)) {
		return nil, "body is not JSON"
	}
	return doc, ""
}

// resolved is what one side of a condition came to.
type resolved struct {
	text    string // what is compared
	show    string // how seen shows it, when not text
	quoted  bool   // seen shows it quoted: it is a string
	missing string // why there is no value; the condition fails
}

func (e *env) resolve(o *operand) resolved {
	switch o.kind {
	case value:
		return e.value(o.ref)
	case length:
		return e.length(o.ref)
	case presence:
		return resolved{text: strconv.FormatBool(e.has(o.ref))}
	}
	return resolved{text: o.lit}
}

const notMeasured = "not measured"

func (e *env) value(r ref) resolved {
	v := e.v
	switch r.ph {
	case Status:
		if v.Status == 0 {
			return resolved{missing: notMeasured}
		}
		return resolved{text: strconv.Itoa(v.Status)}
	case ResponseTime:
		if v.ResponseTimeMS == 0 {
			return resolved{missing: notMeasured}
		}
		return resolved{text: strconv.FormatFloat(v.ResponseTimeMS, 'f', -1, 64)}
	case CertificateExpiration:
		if v.CertExpiration == nil {
			return resolved{missing: "no certificate"}
		}
		return resolved{text: millis(*v.CertExpiration).String(), show: formatDuration(*v.CertExpiration)}
	case IP:
		return text(v.IP)
	case DNSRcode:
		return text(v.DNSRcode)
	case Connected:
		return resolved{text: strconv.FormatBool(v.Connected)}
	case Header:
		vals := v.Header.Values(r.header)
		if len(vals) == 0 {
			return resolved{missing: "not found"}
		}
		return resolved{text: strings.Join(vals, ", "), quoted: true}
	}
	if len(r.path) == 0 {
		return resolved{text: e.bodyText(), quoted: true}
	}
	node, why := e.walk(r.path)
	if why != "" {
		return resolved{missing: why}
	}
	return fromJSON(node)
}

// text is a string value that is missing when empty.
func text(s string) resolved {
	if s == "" {
		return resolved{missing: notMeasured}
	}
	return resolved{text: s, quoted: true}
}

func fromJSON(node any) resolved {
	switch n := node.(type) {
	case string:
		return resolved{text: n, quoted: true}
	case json.Number:
		return resolved{text: n.String()}
	case bool:
		return resolved{text: strconv.FormatBool(n)}
	case nil:
		return resolved{text: "null"}
	}
	s, err := compactJSON(node)
	if err != nil {
		return resolved{missing: err.Error()}
	}
	return resolved{text: s}
}

// compactJSON writes an object or array as minified JSON, keys sorted,
// <>& left alone.
func compactJSON(node any) (string, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(node); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// walk follows a JSON path into the body and says where it broke off.
func (e *env) walk(path []step) (any, string) {
	cur, why := e.json()
	if why != "" {
		return nil, why
	}
	for i, s := range path {
		if s.index < 0 {
			obj, ok := cur.(map[string]any)
			if !ok {
				return nil, fmt.Sprintf("%s is %s, not an object", pathString(path[:i]), kindOf(cur))
			}
			if cur, ok = obj[s.key]; !ok {
				if i == len(path)-1 {
					return nil, "not found"
				}
				return nil, pathString(path[:i+1]) + " not found"
			}
			continue
		}
		arr, ok := cur.([]any)
		if !ok {
			return nil, fmt.Sprintf("%s is %s, not an array", pathString(path[:i]), kindOf(cur))
		}
		if s.index >= len(arr) {
			return nil, fmt.Sprintf("%s has %s", pathString(path[:i]), plural(len(arr), "item"))
		}
		cur = arr[s.index]
	}
	return cur, ""
}

func pathString(path []step) string {
	var b strings.Builder
	b.WriteString(string(Body))
	for _, s := range path {
		if s.index < 0 {
			b.WriteString("." + s.key)
		} else {
			b.WriteString("[" + strconv.Itoa(s.index) + "]")
		}
	}
	return b.String()
}

func kindOf(node any) string {
	switch node.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	}
	return "null"
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// length is len(r): elements of an array, characters of anything else;
// the body as a whole counts elements only when it is a JSON array.
func (e *env) length(r ref) resolved {
	count := func(n int) resolved { return resolved{text: strconv.Itoa(n)} }
	if r.ph != Body {
		v := e.value(r)
		if v.missing != "" {
			return v
		}
		return count(utf8.RuneCountInString(v.text))
	}
	if len(r.path) == 0 {
		t := e.bodyText()
		if strings.HasPrefix(t, "[") {
			// Valid JSON that opens with [ is an array.
			if doc, why := e.json(); why == "" {
				return count(len(doc.([]any)))
			}
		}
		return count(utf8.RuneCountInString(t))
	}
	node, why := e.walk(r.path)
	if why != "" {
		return resolved{missing: why}
	}
	switch n := node.(type) {
	case []any:
		return count(len(n))
	case nil:
		return count(0)
	}
	v := fromJSON(node)
	if v.missing != "" {
		return v
	}
	return count(utf8.RuneCountInString(v.text))
}

// has is has(r): whether r has a value (JSON null has none).
func (e *env) has(r ref) bool {
	v := e.v
	switch r.ph {
	case Status:
		return v.Status != 0
	case ResponseTime:
		return v.ResponseTimeMS != 0
	case CertificateExpiration:
		return v.CertExpiration != nil
	case IP:
		return v.IP != ""
	case DNSRcode:
		return v.DNSRcode != ""
	case Connected:
		return true
	case Header:
		return len(v.Header.Values(r.header)) > 0
	}
	if len(r.path) == 0 {
		return e.bodyText() != ""
	}
	node, why := e.walk(r.path)
	return why == "" && node != nil
}

func (c *Condition) eval(e *env) (bool, string) {
	l, r := e.resolve(&c.left), e.resolve(&c.right)
	if l.missing != "" || r.missing != "" {
		return false, c.describe(l, r, false, false)
	}
	if c.op.ordering() {
		ln, lok := orderable(l.text)
		rn, rok := orderable(r.text)
		if !lok || !rok {
			return false, c.describe(l, r, !lok, !rok)
		}
		cmp := compare(ln, rn)
		var ok bool
		switch c.op {
		case opLt:
			ok = cmp < 0
		case opLe:
			ok = cmp <= 0
		case opGt:
			ok = cmp > 0
		default:
			ok = cmp >= 0
		}
		return ok, c.describe(l, r, false, false)
	}
	return c.equal(l, r) == (c.op == opEq), c.describe(l, r, false, false)
}

// equal applies pat() or any() when a side is one, else equal.
func (c *Condition) equal(l, r resolved) bool {
	x, v := &c.right, l
	if c.left.kind == pattern || c.left.kind == oneOf {
		x, v = &c.left, r
	}
	switch x.kind {
	case pattern:
		return match(x.segs, v.text)
	case oneOf:
		for _, opt := range x.opts {
			if equal(opt, v.text) {
				return true
			}
		}
		return false
	}
	return equal(l.text, r.text)
}

// maxShown is how much of one value seen shows, in bytes.
const maxShown = 80

// describe writes seen: each side that reads a value, as name = value or
// name: why missing.
func (c *Condition) describe(l, r resolved, lNaN, rNaN bool) string {
	var parts []string
	for _, s := range []struct {
		o   *operand
		v   resolved
		nan bool
	}{{&c.left, l, lNaN}, {&c.right, r, rNaN}} {
		if !s.o.reads() {
			continue
		}
		if s.v.missing != "" {
			parts = append(parts, s.o.text+": "+s.v.missing)
			continue
		}
		part := s.o.text + " = " + render(s.v)
		if s.nan {
			part += " (not a number)"
		}
		parts = append(parts, part)
	}
	return clip(strings.Join(parts, ", "), maxSeen)
}

// render shows a value on one line, cut to maxShown bytes.
func render(v resolved) string {
	s := v.text
	if v.show != "" {
		s = v.show
	}
	cut := clip(s, maxShown)
	if !v.quoted {
		return cut
	}
	if cut == s {
		return strconv.Quote(s)
	}
	return strconv.Quote(strings.TrimSuffix(cut, "…")) + "…"
}

// clip cuts s to at most n bytes on a character boundary, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n - len("…")
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}
