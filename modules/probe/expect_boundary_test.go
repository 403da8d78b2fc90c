package probe

import (
	"slices"
	"strings"
	"testing"
)

// These tests pin the expected-status rules on both sides of every limit.
// They call the unexported functions directly, not a check.

func TestParseStatusEntry_CodesFrom100To599(t *testing.T) {
	for in, want := range map[string]int{
		"100": 100, "101": 101, "199": 199, "200": 200, "247": 247, "290": 290,
		"309": 309, "404": 404, "418": 418, "500": 500, "599": 599,
	} {
		got, ok := parseStatusEntry(in)
		if !ok || got != (statusRange{want, want}) {
			t.Errorf("parseStatusEntry(%q) = %v, %v; want %d..%d", in, got, ok, want, want)
		}
	}
	for _, in := range []string{
		"000", "099", "600", "700", "999", // first digit outside 1-5
		"0xx", "6xx", // classes outside 1xx-5xx
		"2/0", "2:0", "20/", "20:", "/00", ":00", // next to '0' and '9' in ASCII
		"2a0", "20a", "2x0", "20x", "x00",
		"20", "2000", "", " 200",
	} {
		if got, ok := parseStatusEntry(in); ok {
			t.Errorf("parseStatusEntry(%q) = %v, accepted", in, got)
		}
	}
}

func TestParseStatusEntry_ClassesInEitherCase(t *testing.T) {
	for in, first := range map[string]int{"1xx": 100, "2xx": 200, "3XX": 300, "4xX": 400, "5Xx": 500} {
		got, ok := parseStatusEntry(in)
		if !ok || got != (statusRange{first, first + 99}) {
			t.Errorf("parseStatusEntry(%q) = %v, %v; want %d..%d", in, got, ok, first, first+99)
		}
	}
}

func TestParseExpected_EmptyMeans2xxAnd3xx(t *testing.T) {
	for _, entries := range [][]string{nil, {}} {
		got, err := parseExpected(entries)
		if err != nil || !slices.Equal(got, []statusRange{{200, 299}, {300, 399}}) {
			t.Errorf("parseExpected(%#v) = %v, %v; want 2xx and 3xx", entries, got, err)
		}
	}
}

func TestParseExpected_EachEntryTrimmedTheFirstBadOneNamed(t *testing.T) {
	got, err := parseExpected([]string{" 404 ", "2xx", "\t301"})
	if err != nil || !slices.Equal(got, []statusRange{{404, 404}, {200, 299}, {301, 301}}) {
		t.Fatalf("parseExpected = %v, %v", got, err)
	}
	_, err = parseExpected([]string{"200", "20x", "abc"})
	if err == nil || !strings.Contains(err.Error(), `"20x"`) || strings.Contains(err.Error(), "abc") {
		t.Fatalf("error %v: want the first bad entry named", err)
	}
	if err := ValidateExpectedStatus([]string{"200", "6xx"}); err == nil {
		t.Fatal("ValidateExpectedStatus accepted 6xx")
	}
	if err := ValidateExpectedStatus([]string{"200", "5xx"}); err != nil {
		t.Fatalf("ValidateExpectedStatus: %v", err)
	}
}

func TestStatusExpected_InclusiveRanges(t *testing.T) {
	def, _ := parseExpected(nil)
	only404, _ := parseExpected([]string{"404"})
	mixed, _ := parseExpected([]string{"204", "4xx"})
	for _, tc := range []struct {
		name     string
		expected []statusRange
		code     int
		want     bool
	}{
		{"default 199", def, 199, false},
		{"default 200", def, 200, true},
		{"default 299", def, 299, true},
		{"default 300", def, 300, true},
		{"default 399", def, 399, true},
		{"default 400", def, 400, false},
		{"default 503", def, 503, false},
		{"404 only: 403", only404, 403, false},
		{"404 only: 404", only404, 404, true},
		{"404 only: 405", only404, 405, false},
		{"204 or 4xx: 200", mixed, 200, false},
		{"204 or 4xx: 204", mixed, 204, true},
		{"204 or 4xx: 399", mixed, 399, false},
		{"204 or 4xx: 400", mixed, 400, true},
		{"204 or 4xx: 499", mixed, 499, true},
		{"204 or 4xx: 500", mixed, 500, false},
		{"nothing expected", nil, 200, false},
	} {
		if got := statusExpected(tc.code, tc.expected); got != tc.want {
			t.Errorf("%s: statusExpected = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestDescribeExpected_AsTheUserWroteItLowercased(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want string
	}{
		{nil, "2xx,3xx"},
		{[]string{"404"}, "404"},
		{[]string{" 2XX", "301 "}, "2xx,301"},
	} {
		if got := describeExpected(tc.in); got != tc.want {
			t.Errorf("describeExpected(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
