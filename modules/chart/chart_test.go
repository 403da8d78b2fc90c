package chart

import (
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
)

// hostile is caller text that would break out of markup if not escaped.
const hostile = `<script>alert(1)</script>" onload="alert(2)' &amp;`

// node is an element of parsed chart output.
type node struct {
	name string
	attr map[string]string
	text string // character data directly inside
	kids []*node
}

// mustParse parses markup with encoding/xml, failing the test unless it is
// one well-formed <svg> element in the SVG namespace.
func mustParse(t testing.TB, markup string) *node {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(markup))
	var root *node
	var stack []*node
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, markup)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			n := &node{name: tok.Name.Local, attr: map[string]string{}}
			if tok.Name.Space != "http://www.w3.org/2000/svg" {
				t.Fatalf("<%s> in namespace %q", n.name, tok.Name.Space)
			}
			for _, a := range tok.Attr {
				n.attr[a.Name.Local] = a.Value
			}
			if len(stack) == 0 {
				if root != nil {
					t.Fatalf("more than one root element:\n%s", markup)
				}
				root = n
			} else {
				top := stack[len(stack)-1]
				top.kids = append(top.kids, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) == 0 {
				t.Fatalf("text outside the root: %q", tok)
			}
			stack[len(stack)-1].text += string(tok)
		}
	}
	if root == nil || root.name != "svg" {
		t.Fatalf("root is not <svg>:\n%s", markup)
	}
	return root
}

// find returns the descendants named name whose class attribute starts with
// class ("" matches any).
func (n *node) find(name, class string) []*node {
	var out []*node
	for _, k := range n.kids {
		if k.name == name && strings.HasPrefix(k.attr["class"], class) {
			out = append(out, k)
		}
		out = append(out, k.find(name, class)...)
	}
	return out
}

// texts returns the text of the descendants named name with the class prefix.
func (n *node) texts(name, class string) []string {
	var out []string
	for _, k := range n.find(name, class) {
		out = append(out, k.text)
	}
	return out
}

// checkAccessible fails unless root has role="img", the aria-label and a
// first <title> child both equal to title.
func checkAccessible(t *testing.T, root *node, title string) {
	t.Helper()
	if root.attr["role"] != "img" {
		t.Errorf("role = %q, want img", root.attr["role"])
	}
	if root.attr["aria-label"] != title {
		t.Errorf("aria-label = %q, want %q", root.attr["aria-label"], title)
	}
	if len(root.kids) == 0 || root.kids[0].name != "title" || root.kids[0].text != title {
		t.Errorf("first child is not <title>%s</title>", title)
	}
}

// checkEscaped fails if hostile text reached the markup unescaped.
func checkEscaped(t *testing.T, markup string) {
	t.Helper()
	for _, raw := range []string{"<script", "</script", `" onload=`, "' &amp;"} {
		if strings.Contains(markup, raw) {
			t.Errorf("markup contains unescaped %q:\n%s", raw, markup)
		}
	}
	if !strings.Contains(markup, "&lt;script&gt;alert(1)&lt;/script&gt;&#34; onload=&#34;alert(2)&#39; &amp;amp;") {
		t.Errorf("escaped hostile text missing:\n%s", markup)
	}
}

func TestEsc(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "eu-west 1", "eu-west 1"},
		{"markup", `<a href="x">&'`, "&lt;a href=&#34;x&#34;&gt;&amp;&#39;"},
		{"unicode kept", "Zürich ✓ 東京", "Zürich ✓ 東京"},
		{"whitespace kept", "a\tb\nc", "a\tb\nc"},
		{"control chars replaced", "a\x00b\x1bc", "a\uFFFDb\uFFFDc"},
		{"invalid utf-8 replaced", "a\xffb", "a\uFFFDb"},
		{"literal U+FFFD kept", "a\uFFFDb", "a\uFFFDb"},
		{"non-character replaced", "a\uFFFEb", "a\uFFFDb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var w svg
			w.esc(tt.in)
			if got := string(w.b); got != tt.want {
				t.Errorf("esc(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNumberFormat(t *testing.T) {
	tests := []struct {
		name string
		in   float64
		want string
	}{
		{"integer", 12, "12.0"},
		{"rounds to one decimal", 12.345, "12.3"},
		{"negative", -3.26, "-3.3"},
		{"negative zero", -0.04, "0.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var w svg
			w.f(tt.in)
			if got := string(w.b); got != tt.want {
				t.Errorf("f(%v) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestTextWidth(t *testing.T) {
	tests := []struct {
		name          string
		narrow, wider string
	}{
		{"longer text is wider", "up", "uptime"},
		{"W wider than i", "iiii", "WWWW"},
		{"CJK wider than latin", "abcd", "東京東京"},
		{"accented counts like a letter", "ab", "abé"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if n, w := textWidth(tt.narrow), textWidth(tt.wider); n >= w {
				t.Errorf("textWidth(%q) = %.1f, not less than textWidth(%q) = %.1f", tt.narrow, n, tt.wider, w)
			}
		})
	}
	// shields.io sets "passing" about 41 px wide in Verdana 11 px.
	if w := textWidth("passing"); w < 40 || w > 46 {
		t.Errorf(`textWidth("passing") = %.1f, want 40-46`, w)
	}
}
