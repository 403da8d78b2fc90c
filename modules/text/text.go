// Package text checks what people type into names, titles and messages
// that others see: a status page's title, an incident update, a token's
// name. One rule for all of them: UTF-8, a length counted in characters
// (not bytes: "é" is one), and no control characters, which a terminal,
// a feed reader or a log line would act on (a bell, an escape sequence that
// clears a screen, a carriage return that hides what came before it).
// Messages (Block) may have line breaks and tabs; names (Line) may not.
package text

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Line returns what is wrong with s as a one-line text of at most max
// characters, or "" when nothing is.
func Line(s string, max int) string {
	return check(s, max, func(r rune) bool { return unicode.IsControl(r) },
		"must not contain control characters (line breaks and tabs included)")
}

// Block returns what is wrong with s as a text of at most max characters
// that may run over several lines, or "" when nothing is: line breaks and
// tabs are allowed, other control characters not.
func Block(s string, max int) string {
	return check(s, max, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' },
		"must not contain control characters other than line breaks and tabs")
}

// RequiredLine is Line for a name that must be given: "is required" when s
// is empty or blank.
func RequiredLine(s string, max int) string {
	if strings.TrimSpace(s) == "" {
		return "is required"
	}
	return Line(s, max)
}

// RequiredBlock is Block for a message that must be given: "is required"
// when s is empty or blank.
func RequiredBlock(s string, max int) string {
	if strings.TrimSpace(s) == "" {
		return "is required"
	}
	return Block(s, max)
}

// check is Line's and Block's rule. (Ifs, not a switch: Go's coverage
// leaves a switch's case expressions out of every block, and the mutation
// gate then counts their comparisons as untested.)
func check(s string, max int, bad func(rune) bool, msg string) string {
	if !utf8.ValidString(s) {
		return "must be UTF-8 text"
	}
	if utf8.RuneCountInString(s) > max {
		return fmt.Sprintf("must be at most %d characters", max)
	}
	if strings.IndexFunc(s, bad) >= 0 {
		return msg
	}
	return ""
}
