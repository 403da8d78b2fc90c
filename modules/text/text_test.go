package text

import (
	"strings"
	"testing"
)

// TestLineAndBlock: every rule at its edge, for names (Line) and messages
// (Block): the length in characters at max and one past it, invalid UTF-8,
// each kind of control character, and what Block allows that Line does not.
func TestLineAndBlock(t *testing.T) {
	for _, tc := range []struct {
		name      string
		s         string
		line, blk string // the start of the message, "" for none
	}{
		{"empty", "", "", ""},
		{"plain", "Shop API", "", ""},
		{"max ASCII", strings.Repeat("a", 10), "", ""},
		{"one past max", strings.Repeat("a", 11), "must be at most 10", "must be at most 10"},
		{"max in two-byte characters", strings.Repeat("é", 10), "", ""},
		{"one past in two-byte characters", strings.Repeat("é", 11), "must be at most 10", "must be at most 10"},
		{"invalid UTF-8", "ab\xffcd", "must be UTF-8", "must be UTF-8"},
		{"bell", "a\ab", "must not contain control", "must not contain control"},
		{"escape first", "\x1b[2Jb", "must not contain control", "must not contain control"},
		{"line break first", "\nb", "must not contain control", ""},
		{"escape", "a\x1b[2Jb", "must not contain control", "must not contain control"},
		{"NUL", "a\x00b", "must not contain control", "must not contain control"},
		{"DEL", "a\x7fb", "must not contain control", "must not contain control"},
		{"C1 control", "a\u0085b", "must not contain control", "must not contain control"},
		{"line break", "a\nb", "must not contain control", ""},
		{"CRLF", "a\r\nb", "must not contain control", ""},
		{"tab", "a\tb", "must not contain control", ""},
		{"emoji and accents", "Café ☕ 🚀", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, c := range []struct {
				what, got, want string
			}{{"Line", Line(tc.s, 10), tc.line}, {"Block", Block(tc.s, 10), tc.blk}} {
				if (c.want == "") != (c.got == "") || !strings.HasPrefix(c.got, c.want) {
					t.Errorf("%s(%q) = %q, want %q…", c.what, tc.s, c.got, c.want)
				}
			}
		})
	}
}

// TestRequired: a blank text (empty, spaces, a line break) is "is
// required"; a given one is judged by Line or Block, at its edges.
func TestRequired(t *testing.T) {
	for _, tc := range []struct {
		s         string
		line, blk string
	}{
		{"", "is required", "is required"},
		{"   ", "is required", "is required"},
		{"\n\t", "is required", "is required"},
		{"a", "", ""},
		{strings.Repeat("é", 10), "", ""},
		{strings.Repeat("é", 11), "must be at most 10", "must be at most 10"},
		{"a\nb", "must not contain control", ""},
		{"a\x1bb", "must not contain control", "must not contain control"},
	} {
		for _, c := range []struct{ what, got, want string }{
			{"RequiredLine", RequiredLine(tc.s, 10), tc.line}, {"RequiredBlock", RequiredBlock(tc.s, 10), tc.blk},
		} {
			if (c.want == "") != (c.got == "") || !strings.HasPrefix(c.got, c.want) {
				t.Errorf("%s(%q) = %q, want %q…", c.what, tc.s, c.got, c.want)
			}
		}
	}
}
