package audit_test

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/betterstack/betterstack/modules/audit"
)

type check struct {
	URL     string            `json:"url"`
	Method  string            `json:"method"`
	Headers map[string]string `json:"headers"`
}

type monitor struct {
	Name     string   `json:"name"`
	Interval int      `json:"interval_seconds"`
	Password string   `json:"password,omitempty"`
	Regions  []string `json:"regions"`
	Check    check    `json:"check"`
}

func shop() *monitor {
	return &monitor{Name: "shop", Interval: 60, Regions: []string{"eu"},
		Check: check{URL: "https://shop.example", Method: "GET", Headers: map[string]string{}}}
}

// c builds a Change from JSON texts, so expectations read like the log.
func c(from, to string) audit.Change {
	return audit.Change{From: decode(from), To: decode(to)}
}

func decode(s string) any {
	if s == "" {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		panic(err)
	}
	return v
}

func TestDiff(t *testing.T) {
	withHeaders := func(h map[string]string) *monitor { m := shop(); m.Check.Headers = h; return m }
	with := func(f func(m *monitor)) *monitor { m := shop(); f(m); return m }
	for _, tc := range []struct {
		name          string
		before, after any
		secret        []string
		want          map[string]audit.Change
	}{
		{"create: every field from null", nil, shop(), nil, map[string]audit.Change{
			"name": c("", `"shop"`), "interval_seconds": c("", "60"), "regions": c("", `["eu"]`),
			"check.url": c("", `"https://shop.example"`), "check.method": c("", `"GET"`)}},
		{"create from a typed nil pointer", (*monitor)(nil), shop(), nil, map[string]audit.Change{
			"name": c("", `"shop"`), "interval_seconds": c("", "60"), "regions": c("", `["eu"]`),
			"check.url": c("", `"https://shop.example"`), "check.method": c("", `"GET"`)}},
		{"delete: every field to null", shop(), nil, nil, map[string]audit.Change{
			"name": c(`"shop"`, ""), "interval_seconds": c("60", ""), "regions": c(`["eu"]`, ""),
			"check.url": c(`"https://shop.example"`, ""), "check.method": c(`"GET"`, "")}},
		{"update of one field", shop(), with(func(m *monitor) { m.Interval = 30 }), nil, map[string]audit.Change{
			"interval_seconds": c("60", "30")}},
		{"nested field", shop(), with(func(m *monitor) { m.Check.URL = "https://shop.example/health" }), nil, map[string]audit.Change{
			"check.url": c(`"https://shop.example"`, `"https://shop.example/health"`)}},
		{"list compared whole", shop(), with(func(m *monitor) { m.Regions = []string{"eu", "us"} }), nil, map[string]audit.Change{
			"regions": c(`["eu"]`, `["eu","us"]`)}},
		{"unchanged is empty", shop(), shop(), nil, map[string]audit.Change{}},
		{"nil and nil is empty", nil, nil, nil, map[string]audit.Change{}},
		{"struct and map of the same JSON are equal", shop(),
			map[string]any{"name": "shop", "interval_seconds": 60, "regions": []string{"eu"},
				"check": map[string]any{"url": "https://shop.example", "method": "GET"}}, nil, map[string]audit.Change{}},
		{"null, absent and empty object are no value", map[string]any{"a": nil, "b": map[string]any{}},
			map[string]any{"c": map[string]any{"d": nil}}, nil, map[string]audit.Change{}},
		{"numbers compare exactly", map[string]any{"n": int64(9007199254740993)}, map[string]any{"n": int64(9007199254740992)}, nil,
			map[string]audit.Change{"n": c("9007199254740993", "9007199254740992")}},
		{"secret masked both ways", with(func(m *monitor) { m.Password = "hunter2-old" }),
			with(func(m *monitor) { m.Password = "hunter2-new" }), nil, map[string]audit.Change{
				"password": {From: audit.Masked, To: audit.Masked}}},
		{"secret set: null stays null", shop(), with(func(m *monitor) { m.Password = "hunter2-new" }), nil, map[string]audit.Change{
			"password": {From: nil, To: audit.Masked}}},
		{"secret cleared", with(func(m *monitor) { m.Password = "hunter2-old" }), shop(), nil, map[string]audit.Change{
			"password": {From: audit.Masked, To: nil}}},
		{"secret unchanged is no change", with(func(m *monitor) { m.Password = "same" }), with(func(m *monitor) { m.Password = "same" }), nil,
			map[string]audit.Change{}},
		{"header names that look secret", withHeaders(map[string]string{"Authorization": "Bearer old-tok", "X-Api-Key": "k1", "Accept": "text/html"}),
			withHeaders(map[string]string{"Authorization": "Bearer new-tok", "X-Api-Key": "k2", "Accept": "*/*"}), nil, map[string]audit.Change{
				"check.headers.Authorization": {From: audit.Masked, To: audit.Masked},
				"check.headers.X-Api-Key":     {From: audit.Masked, To: audit.Masked},
				"check.headers.Accept":        c(`"text/html"`, `"*/*"`)}},
		{"names that look secret, in any case and spelling", map[string]any{},
			map[string]any{"webhook_signing_secret": "s", "config": map[string]any{"bot_token": "t", "apiKey": "a", "key": "shop"},
				"smtp": map[string]any{"Password": "p"}, "dsn": "postgres://x", "otp": "123456", "footprint": 3}, nil,
			map[string]audit.Change{
				"webhook_signing_secret": {To: audit.Masked}, "config.bot_token": {To: audit.Masked}, "config.apiKey": {To: audit.Masked},
				"smtp.Password": {To: audit.Masked}, "dsn": {To: audit.Masked}, "otp": {To: audit.Masked},
				"config.key": c("", `"shop"`), "footprint": c("", "3")}},
		{"caller's names: a segment", map[string]any{"config": map[string]any{"url": "https://hooks.slack.com/T1/old"}},
			map[string]any{"config": map[string]any{"url": "https://hooks.slack.com/T1/new"}}, []string{"URL"},
			map[string]audit.Change{"config.url": {From: audit.Masked, To: audit.Masked}}},
		{"caller's names: a whole path", shop(), with(func(m *monitor) { m.Check.URL = "https://other.example" }), []string{"check.url"},
			map[string]audit.Change{"check.url": {From: audit.Masked, To: audit.Masked}}},
		{"caller's names: a subtree", withHeaders(map[string]string{"X-Custom": "v1"}), withHeaders(map[string]string{"X-Custom": "v2"}),
			[]string{"check.headers"}, map[string]audit.Change{"check.headers.X-Custom": {From: audit.Masked, To: audit.Masked}}},
		{"caller's path does not match a longer segment", map[string]any{"urls": "a"}, map[string]any{"urls": "b"}, []string{"url"},
			map[string]audit.Change{"urls": c(`"a"`, `"b"`)}},
		{"secrets inside lists", map[string]any{"hooks": []any{map[string]any{"name": "a", "secret": "s-old"}}},
			map[string]any{"hooks": []any{map[string]any{"name": "a", "secret": "s-new"}}}, nil,
			map[string]audit.Change{"hooks": {
				From: []any{map[string]any{"name": "a", "secret": audit.Masked}},
				To:   []any{map[string]any{"name": "a", "secret": audit.Masked}}}}},
		{"passwords in URLs", shop(), with(func(m *monitor) { m.Check.URL = "https://bob:pa55@shop.example/x" }), nil,
			map[string]audit.Change{"check.url": c(`"https://shop.example"`, `"https://bob:••••@shop.example/x"`)}},
		{"secret query parameters in URLs", shop(),
			with(func(m *monitor) {
				m.Check.URL = "https://u:pw@shop.example/x?token=abc123&region=eu&api_key=k3y&Password=pw7&sig=s1&key=k&X-Api-Key=h&page=2&flag&access_token=t"
			}), nil,
			map[string]audit.Change{"check.url": c(`"https://shop.example"`,
				`"https://u:••••@shop.example/x?token=••••&region=eu&api_key=••••&Password=••••&sig=••••&key=••••&X-Api-Key=••••&page=2&flag&access_token=••••"`)}},
		{"a URL without secrets is as it was", shop(), with(func(m *monitor) { m.Check.URL = "https://shop.example/x?region=eu&monkey=1&keyword=ok" }), nil,
			map[string]audit.Change{"check.url": c(`"https://shop.example"`, `"https://shop.example/x?region=eu&monkey=1&keyword=ok"`)}},
		{"a value that is not an object", 1, 2, nil, map[string]audit.Change{"value": c("1", "2")}},
		{"unencodable value is noted, not lost", map[string]any{"x": 1.0}, map[string]any{"x": math.NaN()}, nil,
			map[string]audit.Change{"*": {To: "not recorded: json: unsupported value: NaN"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := audit.Diff(tc.before, tc.after, tc.secret...)
			if got == nil {
				t.Fatal("Diff returned nil, want a map")
			}
			if !reflect.DeepEqual(got, tc.want) {
				gj, _ := json.Marshal(got)
				wj, _ := json.Marshal(tc.want)
				t.Fatalf("Diff =\n %s\nwant\n %s", gj, wj)
			}
			out, err := json.Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			for _, leak := range []string{"hunter2", "old-tok", "new-tok", "k1", "k2", "s-old", "s-new", "pa55", "postgres://", "123456", "hooks.slack.com", "v1", "v2"} {
				if tc.name != "caller's path does not match a longer segment" && strings.Contains(string(out), leak) {
					t.Errorf("secret %q leaked: %s", leak, out)
				}
			}
		})
	}
}
