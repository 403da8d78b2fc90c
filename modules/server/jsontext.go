package server

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// findBadText returns the JSON path ("name", "check.url") of the first
// string in raw that holds invalid UTF-8 or a \u escape of a lone UTF-16
// surrogate, "body" when it cannot tell where, or "" when raw is clean.
// It reads raw bytes because encoding/json has already replaced both with
// U+FFFD by the time a value is decoded. Paths leave out list indexes, like
// the other field errors of DecodeJSON.
func findBadText(raw []byte) string {
	if utf8.Valid(raw) && !hasSurrogateEscape(raw) {
		return ""
	}
	type frame struct {
		object  bool
		wantKey bool
		path    string // of the container
		key     string // of the value being read, in an object
	}
	var stack []frame
	dec := json.NewDecoder(bytes.NewReader(raw))
	for {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return "body" // the decode that passed says this cannot happen
		}
		end := dec.InputOffset()
		var top *frame
		if len(stack) > 0 {
			top = &stack[len(stack)-1]
		}
		path := ""
		if top != nil {
			path = top.path
			if top.object && !top.wantKey {
				path = join(top.path, top.key)
			}
		}
		if s, ok := tok.(string); ok && badText(raw[start:end]) {
			return orSelf(path)
		} else if ok && top != nil && top.object && top.wantKey {
			top.key, top.wantKey = s, false
			continue
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			stack = append(stack, frame{object: tok == json.Delim('{'), wantKey: true, path: path})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				return "body"
			}
			top = &stack[len(stack)-1]
		}
		if top != nil && top.object {
			top.wantKey = true
		}
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// badText reports whether a raw JSON token holds invalid UTF-8 or an
// unpaired surrogate escape.
func badText(tok []byte) bool {
	return !utf8.Valid(tok) || hasSurrogateEscape(tok)
}

// hasSurrogateEscape reports whether b holds a \uD800-\uDFFF escape that is
// not a high surrogate directly followed by a low one.
func hasSurrogateEscape(b []byte) bool {
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' || i+1 >= len(b) {
			continue
		}
		if b[i+1] != 'u' {
			i++ // \\ or \" : the next byte is not an escape start
			continue
		}
		r := hex4(b, i+2)
		switch {
		case r >= 0xD800 && r <= 0xDBFF:
			if i+7 < len(b) && b[i+6] == '\\' && b[i+7] == 'u' {
				if lo := hex4(b, i+8); lo >= 0xDC00 && lo <= 0xDFFF {
					i += 11
					continue
				}
			}
			return true
		case r >= 0xDC00 && r <= 0xDFFF:
			return true
		}
		i += 5
	}
	return false
}

// hex4 reads four hex digits at b[i:], or returns -1.
func hex4(b []byte, i int) int {
	if i+4 > len(b) {
		return -1
	}
	n := 0
	for _, c := range strings.ToLower(string(b[i : i+4])) {
		switch {
		case c >= '0' && c <= '9':
			n = n*16 + int(c-'0')
		case c >= 'a' && c <= 'f':
			n = n*16 + int(c-'a'+10)
		default:
			return -1
		}
	}
	return n
}
