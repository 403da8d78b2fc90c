package condition

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// SyntaxError says why Parse refused a condition and where.
type SyntaxError struct {
	Text string // the condition as given
	Pos  int    // 1-based character position of the fault
	Msg  string
}

// Error reads like `at position 9: unknown placeholder "[BOD]"`.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("at position %d: %s", e.Pos, e.Msg)
}

type operator uint8

const (
	opEq operator = iota + 1
	opNe
	opLt
	opLe
	opGt
	opGe
)

var operators = map[string]operator{
	"==": opEq, "!=": opNe, "<": opLt, "<=": opLe, ">": opGt, ">=": opGe,
}

// ordering reports whether the operator needs numbers (< <= > >=).
func (o operator) ordering() bool { return o >= opLt }

type operandKind uint8

const (
	literal  operandKind = iota
	value                // a placeholder
	length               // len(placeholder)
	presence             // has(placeholder)
	pattern              // pat(...)
	oneOf                // any(...)
)

// operand is one side of a condition.
type operand struct {
	kind operandKind
	text string   // as written
	pos  int      // byte offset in the condition
	ref  ref      // value, length, presence
	lit  string   // the literal, or the pattern of pat()
	segs []string // the pattern of pat() split at its stars
	opts []string // the values of any()
}

// reads reports whether the operand depends on what a check observed.
func (o *operand) reads() bool { return o.kind == value || o.kind == length || o.kind == presence }

var functions = map[string]operandKind{"len": length, "has": presence, "pat": pattern, "any": oneOf}

// Parse reads one condition. The error, if any, is a *SyntaxError.
func Parse(text string) (*Condition, error) {
	c, err := parse(text)
	if err != nil {
		return nil, err
	}
	return c, nil
}

type parser struct{ text string }

func (p *parser) errorf(off int, format string, args ...any) *SyntaxError {
	return &SyntaxError{Text: p.text, Pos: p.pos(off), Msg: fmt.Sprintf(format, args...)}
}

// pos turns a byte offset into a 1-based character position.
func (p *parser) pos(off int) int { return utf8.RuneCountInString(p.text[:off]) + 1 }

func parse(text string) (*Condition, *SyntaxError) {
	p := &parser{text: text}
	if err := p.checkText(); err != nil {
		return nil, err
	}
	if err := p.checkBalance(); err != nil {
		return nil, err
	}
	opOff, opText, err := p.findOperator()
	if err != nil {
		return nil, err
	}
	c := &Condition{text: text, op: operators[opText]}
	lo, hi := p.trim(0, opOff)
	if lo == hi {
		return nil, p.errorf(opOff, "nothing on the left of %s", opText)
	}
	if c.left, err = p.operand(lo, hi); err != nil {
		return nil, err
	}
	lo, hi = p.trim(opOff+len(opText), len(text))
	if lo == hi {
		return nil, p.errorf(opOff, "nothing on the right of %s", opText)
	}
	if c.right, err = p.operand(lo, hi); err != nil {
		return nil, err
	}
	if err := p.checkSense(c, opOff, opText); err != nil {
		return nil, err
	}
	return c, nil
}

func (p *parser) checkText() *SyntaxError {
	t := p.text
	if len(t) > MaxLength {
		return p.errorf(MaxLength, "a condition is at most %d bytes", MaxLength)
	}
	for i, r := range t {
		if r == utf8.RuneError {
			if _, n := utf8.DecodeRuneInString(t[i:]); n == 1 {
				return p.errorf(i, "invalid UTF-8")
			}
		}
		if unicode.IsControl(r) {
			return p.errorf(i, "control character %U: a condition is one line of text", r)
		}
	}
	if strings.Trim(t, " ") == "" {
		return p.errorf(0, "empty condition")
	}
	return nil
}

// checkBalance makes sure every ( and [ is closed by its own kind, so the
// rest of the parser can count depth without checking.
func (p *parser) checkBalance() *SyntaxError {
	var open []int
	for i := 0; i < len(p.text); i++ {
		c := p.text[i]
		switch c {
		case '(', '[':
			open = append(open, i)
		case ')', ']':
			want := byte('(')
			if c == ']' {
				want = '['
			}
			if len(open) == 0 {
				return p.errorf(i, "%q has no matching %q", c, want)
			}
			top := open[len(open)-1]
			open = open[:len(open)-1]
			if p.text[top] != want {
				return p.errorf(i, "%q does not close the %q at position %d", c, p.text[top], p.pos(top))
			}
		}
	}
	if len(open) > 0 {
		top := open[len(open)-1]
		return p.errorf(top, "%q is never closed", p.text[top])
	}
	return nil
}

func isOpChar(c byte) bool { return c == '=' || c == '!' || c == '<' || c == '>' }

// findOperator returns the one operator outside brackets and parentheses
// that stands between spaces (or at either end, to report a missing side).
func (p *parser) findOperator() (int, string, *SyntaxError) {
	t := p.text
	type token struct {
		off  int
		text string
	}
	var toks []token
	unspaced, unspacedOp := -1, ""
	depth := 0
	for i := 0; i < len(t); i++ {
		switch t[i] {
		case '(', '[':
			depth++
		case ')', ']':
			depth--
		}
		if depth > 0 || !isOpChar(t[i]) {
			continue
		}
		j := i
		for j < len(t) && isOpChar(t[j]) {
			j++
		}
		if (i == 0 || t[i-1] == ' ') && (j == len(t) || t[j] == ' ') {
			toks = append(toks, token{i, t[i:j]})
		} else if _, known := operators[t[i:j]]; known && unspaced < 0 {
			unspaced, unspacedOp = i, t[i:j]
		}
		i = j - 1
	}
	for n, tok := range toks {
		if _, ok := operators[tok.text]; !ok {
			return 0, "", p.errorf(tok.off, "unknown operator %q: use ==, !=, <, <=, > or >=", tok.text)
		}
		if n > 0 {
			return 0, "", p.errorf(tok.off, "a second operator %s: a condition makes one comparison", tok.text)
		}
	}
	if len(toks) == 1 {
		return toks[0].off, toks[0].text, nil
	}
	if unspaced >= 0 {
		return 0, "", p.errorf(unspaced, "put a space on each side of %s", unspacedOp)
	}
	return 0, "", p.errorf(len(t), "no operator: expected ==, !=, <, <=, > or >= between spaces")
}

// trim narrows [lo, hi) to exclude surrounding spaces.
func (p *parser) trim(lo, hi int) (int, int) {
	for lo < hi && p.text[lo] == ' ' {
		lo++
	}
	for hi > lo && p.text[hi-1] == ' ' {
		hi--
	}
	return lo, hi
}

func (p *parser) operand(lo, hi int) (operand, *SyntaxError) {
	s := p.text[lo:hi]
	o := operand{text: s, pos: lo}
	if name, ok := placeholderName(s); ok {
		r, err := p.ref(lo, hi, name)
		o.kind, o.ref = value, r
		return o, err
	}
	if n := identLen(s); n > 0 && n < len(s) && s[n] == '(' {
		return p.call(o, hi, n)
	}
	o.kind, o.lit = literal, s
	return o, nil
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool  { return '0' <= c && c <= '9' }

// identLen is the length of the identifier s starts with, 0 for none.
func identLen(s string) int {
	n := 0
	for n < len(s) && (isLetter(s[n]) || s[n] == '_' || n > 0 && isDigit(s[n])) {
		n++
	}
	return n
}

// call parses name(...) spanning the whole of o.text; n is len(name).
func (p *parser) call(o operand, hi, n int) (operand, *SyntaxError) {
	s, lo := o.text, o.pos
	name := s[:n]
	kind, ok := functions[name]
	if !ok {
		return o, p.errorf(lo, "unknown function %q: the functions are len, has, pat and any", name)
	}
	closing, depth := n, 0
	for ; ; closing++ {
		if s[closing] == '(' {
			depth++
		} else if s[closing] == ')' {
			if depth--; depth == 0 {
				break
			}
		}
	}
	if closing != len(s)-1 {
		return o, p.errorf(lo+closing+1, "unexpected %q after %s(...)", s[closing+1:], name)
	}
	o.kind = kind
	inLo, inHi := lo+n+1, hi-1
	switch kind {
	case length, presence:
		r, err := p.argument(name, inLo, inHi)
		o.ref = r
		return o, err
	case pattern:
		if inLo == inHi {
			return o, p.errorf(inHi, "pat() needs a pattern, as in pat(*UP*)")
		}
		o.lit = p.text[inLo:inHi]
		o.segs = strings.Split(o.lit, "*")
	default:
		if strings.Trim(p.text[inLo:inHi], " ") == "" {
			return o, p.errorf(inHi, "any() needs at least one value, as in any(200, 204)")
		}
		start := inLo
		for i := inLo; i <= inHi; i++ {
			if i < inHi && p.text[i] != ',' {
				continue
			}
			a, b := p.trim(start, i)
			if a == b {
				return o, p.errorf(i, "empty value in any()")
			}
			o.opts = append(o.opts, p.text[a:b])
			start = i + 1
		}
	}
	return o, nil
}

// argument parses the one placeholder len() or has() takes.
func (p *parser) argument(name string, lo, hi int) (ref, *SyntaxError) {
	lo, hi = p.trim(lo, hi)
	if lo == hi {
		return ref{}, p.errorf(hi, "%s() needs one argument, as in %s([BODY].items)", name, name)
	}
	depth := 0
	for i := lo; i < hi; i++ {
		switch p.text[i] {
		case '(', '[':
			depth++
		case ')', ']':
			depth--
		case ',':
			if depth == 0 {
				return ref{}, p.errorf(i, "%s() takes one argument", name)
			}
		}
	}
	arg, err := p.operand(lo, hi)
	if err != nil {
		return ref{}, err
	}
	if arg.kind != value {
		return ref{}, p.errorf(lo, "%s() takes a placeholder such as [BODY].items", name)
	}
	if name == "len" && !hasLength(arg.ref.ph) {
		return ref{}, p.errorf(lo, "len() works on [BODY], [HEADER], [IP] and [DNS_RCODE], not %s", arg.ref.ph)
	}
	return arg.ref, nil
}

func hasLength(ph Placeholder) bool {
	return ph == Body || ph == Header || ph == IP || ph == DNSRcode
}
