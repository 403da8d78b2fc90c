package condition

import (
	"cmp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// number is a parsed numeric value; integers stay exact.
type number struct {
	i     int64
	f     float64
	isInt bool
}

// parseNumber reads a decimal integer or float (1, -2, 1.5, 2e3) or an
// integer with a 0x, 0o or 0b prefix, as Gatus does. A leading 0 is not
// octal, and Inf and NaN are not numbers.
func parseNumber(s string) (number, bool) {
	digits := strings.TrimLeft(s, "+-")
	if len(s)-len(digits) > 1 {
		return number{}, false
	}
	if len(digits) > 2 && digits[0] == '0' && strings.IndexByte("xXoObB", digits[1]) >= 0 {
		i, err := strconv.ParseInt(s, 0, 64)
		return number{i: i, isInt: true}, err == nil
	}
	ok, isInt := decimal(digits)
	if !ok {
		return number{}, false
	}
	if isInt {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return number{i: i, isInt: true}, true
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	return number{f: f}, err == nil
}

// decimal reports whether s is digits[.digits][e[+-]digits] (or starts
// at the point), and whether it is digits alone.
func decimal(s string) (ok, isInt bool) {
	n := countDigits(s)
	rest := s[n:]
	frac := 0
	if strings.HasPrefix(rest, ".") {
		frac = countDigits(rest[1:])
		rest = rest[1+frac:]
	}
	if n+frac == 0 {
		return false, false
	}
	if rest == "" {
		return true, n == len(s)
	}
	if rest[0] != 'e' && rest[0] != 'E' {
		return false, false
	}
	exp := rest[1:]
	if exp != "" && (exp[0] == '+' || exp[0] == '-') {
		exp = exp[1:]
	}
	e := countDigits(exp)
	return e > 0 && e == len(exp), false
}

func countDigits(s string) int {
	n := 0
	for n < len(s) && isDigit(s[n]) {
		n++
	}
	return n
}

func (n number) float() float64 {
	if n.isInt {
		return float64(n.i)
	}
	return n.f
}

// compare returns -1, 0 or +1 as a is less than, equal to or greater than b.
func compare(a, b number) int {
	if a.isInt && b.isInt {
		return cmp.Compare(a.i, b.i)
	}
	return cmp.Compare(a.float(), b.float())
}

// orderable reads s for < <= > >=: a number, or a Go duration counted in
// milliseconds.
func orderable(s string) (number, bool) {
	if n, ok := parseNumber(s); ok {
		return n, true
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return number{}, false
	}
	return millis(d), true
}

// millis is d in milliseconds, exact when it is a whole number of them.
func millis(d time.Duration) number {
	if d%time.Millisecond == 0 {
		return number{i: d.Milliseconds(), isInt: true}
	}
	return number{f: float64(d) / float64(time.Millisecond)}
}

func (n number) String() string {
	if n.isInt {
		return strconv.FormatInt(n.i, 10)
	}
	return strconv.FormatFloat(n.f, 'f', -1, 64)
}

// equal is == as Gatus means it: numbers by value, anything else by text.
func equal(a, b string) bool {
	if na, ok := parseNumber(a); ok {
		if nb, ok := parseNumber(b); ok {
			return compare(na, nb) == 0
		}
	}
	return a == b
}

// match reports whether s matches a pattern split at its stars, where *
// matches any text and ? any one character. Each segment between stars is
// found at its leftmost place, which is enough for a match if there is
// one, so the cost is linear in s for each segment.
func match(segs []string, s string) bool {
	n, ok := matchHere(s, segs[0])
	if len(segs) == 1 {
		return ok && n == len(s)
	}
	if !ok {
		return false
	}
	s = s[n:]
	for _, seg := range segs[1 : len(segs)-1] {
		end, ok := find(s, seg)
		if !ok {
			return false
		}
		s = s[end:]
	}
	return matchEnd(s, segs[len(segs)-1])
}

// matchHere matches seg, which has no *, at the start of s and returns the
// bytes it covers.
func matchHere(s, seg string) (int, bool) {
	i := 0
	for j := 0; j < len(seg); j++ {
		if i >= len(s) {
			return 0, false
		}
		if seg[j] == '?' {
			_, size := utf8.DecodeRuneInString(s[i:])
			i += size
			continue
		}
		if s[i] != seg[j] {
			return 0, false
		}
		i++
	}
	return i, true
}

// find returns where the leftmost match of seg in s ends.
func find(s, seg string) (int, bool) {
	if !strings.Contains(seg, "?") {
		i := strings.Index(s, seg)
		return i + len(seg), i >= 0
	}
	for i := 0; i < len(s); {
		if n, ok := matchHere(s[i:], seg); ok {
			return i + n, true
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return 0, false
}

// matchEnd reports whether seg matches the end of s.
func matchEnd(s, seg string) bool {
	start := len(s)
	for range utf8.RuneCountInString(seg) {
		if start == 0 {
			return false
		}
		_, size := utf8.DecodeLastRuneInString(s[:start])
		start -= size
	}
	n, ok := matchHere(s[start:], seg)
	return ok && start+n == len(s)
}

// formatDuration shows d to the second without trailing zero units:
// 336h, 1h30m, 1h0m15s, 45s.
func formatDuration(d time.Duration) string {
	s := d.Truncate(time.Second).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
		if strings.HasSuffix(s, "h0m") {
			s = strings.TrimSuffix(s, "0m")
		}
	}
	return s
}
