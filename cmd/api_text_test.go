package cmd

import (
	"testing"

	"github.com/betterstack/betterstack/modules/config"
)

// TestAPIRefusesBrokenText: the JSON API refuses invalid UTF-8 and lone
// surrogate escapes with a 422 naming the field, as the forms do, instead of
// storing U+FFFD in their place.
func TestAPIRefusesBrokenText(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg config.Config) {
		f := newFixture(t, cfg)
		f.run(t, []scenario{
			{name: "monitor name with a lone surrogate", method: "POST", path: "/api/v1/monitors", auth: "alice",
				body: `{"name":"Shop \ud800","url":"https://shop.example.com/"}`, status: 422, contains: []string{`"name":"must be valid UTF-8`}},
			{name: "monitor name with invalid UTF-8", method: "POST", path: "/api/v1/monitors", auth: "alice",
				body: "{\"name\":\"Shop \xff\",\"url\":\"https://shop.example.com/\"}", status: 422, contains: []string{`"name":"must be valid UTF-8`}},
			{name: "check setting with a lone low surrogate", method: "POST", path: "/api/v1/monitors", auth: "alice",
				body: `{"name":"Shop","check":{"kind":"http","url":"https://shop.example.com/\udc00"}}`, status: 422, contains: []string{`"check.url":"must be valid UTF-8`}},
			{name: "monitor update with a lone surrogate", method: "PATCH", path: "/api/v1/monitors/{alice_monitor}", auth: "alice",
				body: `{"name":"\ud83d"}`, status: 422, contains: []string{`"name":"must be valid UTF-8`}},
			{name: "paired surrogates are an emoji", method: "POST", path: "/api/v1/monitors", auth: "alice",
				body: `{"name":"Shop \ud83d\ude00","url":"https://shop.example.com/"}`, status: 201, contains: []string{`"name":"Shop 😀"`}},
			{name: "channel name with a lone surrogate", method: "POST", path: "/api/v1/channels", auth: "alice",
				body: `{"name":"ops \ud800","type":"slack","config":{"url":"https://h.example"}}`, status: 422, contains: []string{`"name":"must be valid UTF-8`}},
			{name: "channel config with invalid UTF-8", method: "POST", path: "/api/v1/channels", auth: "alice",
				body: "{\"name\":\"ops\",\"type\":\"slack\",\"config\":{\"url\":\"https://h.example/\xc3\"}}", status: 422, contains: []string{`"config.url":"must be valid UTF-8`}},
		})
	})
}
