package probe

import (
	"fmt"
	"strings"
)

// statusRange is one ExpectedStatus entry: a code ("404" is 404..404) or a
// class ("2xx" is 200..299).
type statusRange struct{ lo, hi int }

// defaultExpected is what an empty ExpectedStatus means.
var defaultExpected = []statusRange{{200, 299}, {300, 399}}

// ValidateExpectedStatus reports the first entry that is neither a status
// code (100-599, "404") nor a status class ("1xx" to "5xx", X in any case).
func ValidateExpectedStatus(entries []string) error {
	_, err := parseExpected(entries)
	return err
}

func parseExpected(entries []string) ([]statusRange, error) {
	if len(entries) == 0 {
		return defaultExpected, nil
	}
	out := make([]statusRange, 0, len(entries))
	for _, e := range entries {
		r, ok := parseStatusEntry(strings.TrimSpace(e))
		if !ok {
			return nil, fmt.Errorf("%q is neither a status code like 200 nor a class like 2xx", e)
		}
		out = append(out, r)
	}
	return out, nil
}

func parseStatusEntry(s string) (statusRange, bool) {
	if len(s) != 3 || s[0] < '1' || s[0] > '5' {
		return statusRange{}, false
	}
	first := int(s[0]-'0') * 100
	if (s[1] == 'x' || s[1] == 'X') && (s[2] == 'x' || s[2] == 'X') {
		return statusRange{first, first + 99}, true
	}
	if s[1] < '0' || s[1] > '9' || s[2] < '0' || s[2] > '9' {
		return statusRange{}, false
	}
	code := first + int(s[1]-'0')*10 + int(s[2]-'0')
	return statusRange{code, code}, true
}

func statusExpected(code int, expected []statusRange) bool {
	for _, r := range expected {
		if code >= r.lo && code <= r.hi {
			return true
		}
	}
	return false
}

// describeExpected renders the expectation for an error message: "2xx,3xx".
func describeExpected(entries []string) string {
	if len(entries) == 0 {
		return "2xx,3xx"
	}
	parts := make([]string, len(entries))
	for i, e := range entries {
		parts[i] = strings.ToLower(strings.TrimSpace(e))
	}
	return strings.Join(parts, ",")
}
