package key

import (
	"strings"
	"testing"
)

func TestSlugAndValidate(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"Shop API", "shop-api"},
		{"  Café — Paris!! ", "cafe-paris"},
		{"2024", "monitor-2024"},
		{"42 / 7", "monitor-42-7"},
		{"日本", "monitor"},
		{"", "monitor"},
		{strings.Repeat("a", 80), strings.Repeat("a", 63)},
	} {
		got := Slug(tc.name, "monitor")
		if got != tc.want {
			t.Errorf("Slug(%q) = %q, want %q", tc.name, got, tc.want)
		}
		if msg := Validate(got); msg != "" {
			t.Errorf("Slug(%q) = %q is not valid: %s", tc.name, got, msg)
		}
	}
	for k, ok := range map[string]bool{
		"shop-api": true, "a": true, "9lives": true, "2024": false, "12-34": false, "-shop": false,
		"Shop": false, "shop_api": false, "": false, strings.Repeat("a", 63): true, strings.Repeat("a", 64): false,
	} {
		if got := Validate(k) == ""; got != ok {
			t.Errorf("Validate(%q) ok = %v, want %v", k, got, ok)
		}
	}
}
