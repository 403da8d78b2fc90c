package chart

import (
	"strconv"
	"testing"
)

func TestBadge(t *testing.T) {
	tests := []struct {
		name, label, message, colour string
		wantFill                     string // the message part's fill
	}{
		{"constant", "uptime", "99.95 %", Green, Green},
		{"name", "status", "up", "green", Green},
		{"name any case", "status", "degraded", "Yellow", Yellow},
		{"explicit hex", "uptime", "97 %", "#123abc", "#123abc"},
		{"hex upper case", "uptime", "97 %", "#ABCDEF", "#abcdef"},
		{"unknown name falls back", "status", "up", "purple", Grey},
		{"bad hex falls back", "status", "up", "#12345g", Grey},
		{"injection falls back", "status", "up", `red"/><script>`, Grey},
		{"empty colour falls back", "status", "up", "", Grey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := mustParse(t, string(Badge(tt.label, tt.message, tt.colour)))
			checkAccessible(t, root, tt.label+": "+tt.message)
			rects := root.find("rect", "")
			// clip rect, label, message, gloss
			if len(rects) != 4 {
				t.Fatalf("%d rects, want 4", len(rects))
			}
			if got := rects[1].attr["fill"]; got != badgeLabel {
				t.Errorf("label fill = %q, want %q", got, badgeLabel)
			}
			if got := rects[2].attr["fill"]; got != tt.wantFill {
				t.Errorf("message fill = %q, want %q", got, tt.wantFill)
			}
			if got := root.attr["height"]; got != "20" {
				t.Errorf("height = %q, want 20", got)
			}
		})
	}
}

func TestBadgeWidth(t *testing.T) {
	width := func(label, message string) int {
		t.Helper()
		n, err := strconv.Atoi(mustParse(t, string(Badge(label, message, Green))).attr["width"])
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	tests := []struct {
		name        string
		short, long [2]string
	}{
		{"longer message", [2]string{"uptime", "99 %"}, [2]string{"uptime", "99.995 %"}},
		{"longer label", [2]string{"up", "ok"}, [2]string{"uptime last 30 days", "ok"}},
		{"wide letters", [2]string{"iii", "ok"}, [2]string{"WWW", "ok"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if s, l := width(tt.short[0], tt.short[1]), width(tt.long[0], tt.long[1]); s >= l {
				t.Errorf("width %q = %d, not less than %q = %d", tt.short, s, tt.long, l)
			}
		})
	}
	// shields.io's "build | passing" is 88 px wide.
	if w := width("build", "passing"); w < 84 || w > 92 {
		t.Errorf(`"build | passing" is %d px wide, want about 88`, w)
	}
}

func TestBadgeText(t *testing.T) {
	tests := []struct {
		name, label, message, colour string
		wantTexts                    int    // text elements: 2 per part (shadow and text)
		wantMessageFill              string // the message text's fill
	}{
		{"two parts", "uptime", "100 %", Blue, 4, "#fff"},
		{"no label", "", "up", Green, 2, "#fff"},
		{"light colour gets dark text", "status", "ok", "#ffffff", 4, "#333"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := mustParse(t, string(Badge(tt.label, tt.message, tt.colour)))
			title := tt.message
			if tt.label != "" {
				title = tt.label + ": " + tt.message
			}
			checkAccessible(t, root, title)
			texts := root.find("text", "")
			if len(texts) != tt.wantTexts {
				t.Fatalf("%d texts, want %d", len(texts), tt.wantTexts)
			}
			last := texts[len(texts)-1]
			if last.text != tt.message || last.attr["fill"] != tt.wantMessageFill {
				t.Errorf("message text %q fill %q, want %q fill %q", last.text, last.attr["fill"], tt.message, tt.wantMessageFill)
			}
			if texts[len(texts)-2].attr["aria-hidden"] != "true" {
				t.Error("shadow text not hidden from screen readers")
			}
		})
	}
}

func TestBadgeEscaping(t *testing.T) {
	out := string(Badge(hostile, hostile, Red))
	root := mustParse(t, out)
	checkAccessible(t, root, hostile+": "+hostile)
	checkEscaped(t, out)
	for _, tx := range root.find("text", "") {
		if tx.text != hostile {
			t.Errorf("text %q, want the hostile string back", tx.text)
		}
	}
}
