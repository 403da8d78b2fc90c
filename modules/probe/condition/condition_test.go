package condition_test

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/betterstack/betterstack/modules/probe/condition"
)

func body(s string) condition.Values { return condition.Values{Body: []byte(s)} }

func status(code int) condition.Values { return condition.Values{Status: code} }

func rt(ms float64) condition.Values { return condition.Values{ResponseTimeMS: ms} }

func cert(d time.Duration) condition.Values { return condition.Values{CertExpiration: &d} }

func header(kv ...string) condition.Values {
	h := http.Header{}
	for i := 0; i < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return condition.Values{Header: h}
}

// MustParse parses text or stops the test.
func MustParse(t *testing.T, text string) *condition.Condition {
	t.Helper()
	c, err := condition.Parse(text)
	if err != nil {
		t.Fatalf("Parse(%q): %v", text, err)
	}
	return c
}

func TestEval(t *testing.T) {
	const html = `<!doctype html><html><body><h1>Example Domain</h1></body></html>`
	cases := []struct {
		name string
		cond string
		v    condition.Values
		ok   bool
		seen string
	}{
		// [STATUS], every operator pinned at its boundary.
		{"status == equal", "[STATUS] == 200", status(200), true, "[STATUS] = 200"},
		{"status == other", "[STATUS] == 200", status(201), false, "[STATUS] = 201"},
		{"status != equal", "[STATUS] != 200", status(200), false, "[STATUS] = 200"},
		{"status != other", "[STATUS] != 200", status(503), true, "[STATUS] = 503"},
		{"status < below", "[STATUS] < 300", status(299), true, "[STATUS] = 299"},
		{"status < at", "[STATUS] < 300", status(300), false, "[STATUS] = 300"},
		{"status < above", "[STATUS] < 300", status(301), false, "[STATUS] = 301"},
		{"status <= at", "[STATUS] <= 299", status(299), true, "[STATUS] = 299"},
		{"status <= above", "[STATUS] <= 299", status(300), false, "[STATUS] = 300"},
		{"status > at", "[STATUS] > 400", status(400), false, "[STATUS] = 400"},
		{"status > above", "[STATUS] > 400", status(401), true, "[STATUS] = 401"},
		{"status >= below", "[STATUS] >= 400", status(399), false, "[STATUS] = 399"},
		{"status >= at", "[STATUS] >= 400", status(400), true, "[STATUS] = 400"},
		{"status lower case name", "[status] == 200", status(200), true, "[status] = 200"},
		{"status no response", "[STATUS] != 200", status(0), false, "[STATUS]: not measured"},
		{"status no response ordering", "[STATUS] < 500", status(0), false, "[STATUS]: not measured"},
		{"status literal on the left", "300 > [STATUS]", status(299), true, "[STATUS] = 299"},
		{"status literal on the left at", "300 > [STATUS]", status(300), false, "[STATUS] = 300"},
		{"status hex literal", "[STATUS] == 0xC8", status(200), true, "[STATUS] = 200"},

		// [RESPONSE_TIME] in milliseconds, fractions kept.
		{"rt <= at", "[RESPONSE_TIME] <= 500", rt(500), true, "[RESPONSE_TIME] = 500"},
		{"rt <= half above", "[RESPONSE_TIME] <= 500", rt(500.5), false, "[RESPONSE_TIME] = 500.5"},
		{"rt < just below", "[RESPONSE_TIME] < 500", rt(499.9), true, "[RESPONSE_TIME] = 499.9"},
		{"rt < at", "[RESPONSE_TIME] < 500", rt(500), false, "[RESPONSE_TIME] = 500"},
		{"rt > at", "[RESPONSE_TIME] > 500", rt(500), false, "[RESPONSE_TIME] = 500"},
		{"rt > just above", "[RESPONSE_TIME] > 500", rt(500.1), true, "[RESPONSE_TIME] = 500.1"},
		{"rt >= just below", "[RESPONSE_TIME] >= 500", rt(499.99), false, "[RESPONSE_TIME] = 499.99"},
		{"rt >= at", "[RESPONSE_TIME] >= 500", rt(500), true, "[RESPONSE_TIME] = 500"},
		{"rt < 1s below", "[RESPONSE_TIME] < 1s", rt(999), true, "[RESPONSE_TIME] = 999"},
		{"rt < 1s at", "[RESPONSE_TIME] < 1s", rt(1000), false, "[RESPONSE_TIME] = 1000"},
		{"rt < 1.5ms below", "[RESPONSE_TIME] < 1.5ms", rt(1.4), true, "[RESPONSE_TIME] = 1.4"},
		{"rt < 1.5ms at", "[RESPONSE_TIME] < 1.5ms", rt(1.5), false, "[RESPONSE_TIME] = 1.5"},
		{"rt == ms", "[RESPONSE_TIME] == 42", rt(42), true, "[RESPONSE_TIME] = 42"},
		{"rt not measured", "[RESPONSE_TIME] < 500", rt(0), false, "[RESPONSE_TIME]: not measured"},

		// [CERTIFICATE_EXPIRATION] against durations and milliseconds.
		{"cert > 48h at", "[CERTIFICATE_EXPIRATION] > 48h", cert(48 * time.Hour), false, "[CERTIFICATE_EXPIRATION] = 48h"},
		{"cert > 48h above", "[CERTIFICATE_EXPIRATION] > 48h", cert(48*time.Hour + time.Second), true, "[CERTIFICATE_EXPIRATION] = 48h0m1s"},
		{"cert > ms at", "[CERTIFICATE_EXPIRATION] > 172800000", cert(48 * time.Hour), false, "[CERTIFICATE_EXPIRATION] = 48h"},
		{"cert > ms 1ms above", "[CERTIFICATE_EXPIRATION] > 172800000", cert(48*time.Hour + time.Millisecond), true, "[CERTIFICATE_EXPIRATION] = 48h"},
		{"cert >= sub-millisecond below", "[CERTIFICATE_EXPIRATION] >= 1ms", cert(999 * time.Microsecond), false, "[CERTIFICATE_EXPIRATION] = 0s"},
		{"cert < 30m below", "[CERTIFICATE_EXPIRATION] < 30m", cert(29*time.Minute + 59*time.Second), true, "[CERTIFICATE_EXPIRATION] = 29m59s"},
		{"cert < 30m at", "[CERTIFICATE_EXPIRATION] < 30m", cert(30 * time.Minute), false, "[CERTIFICATE_EXPIRATION] = 30m"},
		{"cert expired", "[CERTIFICATE_EXPIRATION] > 0", cert(-36 * time.Hour), false, "[CERTIFICATE_EXPIRATION] = -36h"},
		{"cert 1h30m shown", "[CERTIFICATE_EXPIRATION] > 1h", cert(90 * time.Minute), true, "[CERTIFICATE_EXPIRATION] = 1h30m"},
		{"cert none over plain http", "[CERTIFICATE_EXPIRATION] > 48h", condition.Values{}, false, "[CERTIFICATE_EXPIRATION]: no certificate"},

		// [IP], [CONNECTED], [DNS_RCODE].
		{"ip equal", "[IP] == 127.0.0.1", condition.Values{IP: "127.0.0.1"}, true, `[IP] = "127.0.0.1"`},
		{"ip other", "[IP] == 127.0.0.1", condition.Values{IP: "0.0.0.0"}, false, `[IP] = "0.0.0.0"`},
		{"ip pattern", "[IP] == pat(10.*)", condition.Values{IP: "10.1.2.3"}, true, `[IP] = "10.1.2.3"`},
		{"ip not pattern", "[IP] != pat(10.*)", condition.Values{IP: "10.1.2.3"}, false, `[IP] = "10.1.2.3"`},
		{"ip not measured", "[IP] != 10.0.0.1", condition.Values{}, false, "[IP]: not measured"},
		{"connected true", "[CONNECTED] == true", condition.Values{Connected: true}, true, "[CONNECTED] = true"},
		{"connected false", "[CONNECTED] == true", condition.Values{}, false, "[CONNECTED] = false"},
		{"dns noerror", "[DNS_RCODE] == NOERROR", condition.Values{DNSRcode: "NOERROR"}, true, `[DNS_RCODE] = "NOERROR"`},
		{"dns nxdomain", "[DNS_RCODE] == NOERROR", condition.Values{DNSRcode: "NXDOMAIN"}, false, `[DNS_RCODE] = "NXDOMAIN"`},
		{"dns not a dns check", "[DNS_RCODE] != NXDOMAIN", condition.Values{}, false, "[DNS_RCODE]: not measured"},

		// [HEADER], our extension.
		{"header any case", "[HEADER].content-type == pat(application/json*)", header("Content-Type", "application/json; charset=utf-8"), true, `[HEADER].content-type = "application/json; charset=utf-8"`},
		{"header other", "[HEADER].Content-Type == pat(application/json*)", header("Content-Type", "text/html"), false, `[HEADER].Content-Type = "text/html"`},
		{"header several values", "[HEADER].Vary == Accept, Origin", header("Vary", "Accept", "Vary", "Origin"), true, `[HEADER].Vary = "Accept, Origin"`},
		{"header missing", "[HEADER].X-Version != 1", header(), false, "[HEADER].X-Version: not found"},
		{"header number", "[HEADER].Content-Length < 1024", header("Content-Length", "1023"), true, `[HEADER].Content-Length = "1023"`},
		{"header number at", "[HEADER].Content-Length < 1024", header("Content-Length", "1024"), false, `[HEADER].Content-Length = "1024"`},
		{"header present", "has([HEADER].ETag) == true", header("Etag", `"abc"`), true, "has([HEADER].ETag) = true"},
		{"header absent", "has([HEADER].ETag) == true", condition.Values{}, false, "has([HEADER].ETag) = false"},
		{"header len", "len([HEADER].ETag) == 5", header("ETag", `"abc"`), true, "len([HEADER].ETag) = 5"},

		// [BODY] as text.
		{"body trimmed", "[BODY] == test", body("  test\n"), true, `[BODY] = "test"`},
		{"body other", "[BODY] == test", body("tests"), false, `[BODY] = "tests"`},
		{"body number", "[BODY] == 123", body("123"), true, `[BODY] = "123"`},
		{"body number by value", "[BODY] == 123", body("123.0"), true, `[BODY] = "123.0"`},
		{"body hex by value", "[BODY] == 0x7B", body("123"), true, `[BODY] = "123"`},
		{"body leading zero is decimal", "[BODY] == 10", body("010"), true, `[BODY] = "010"`},
		{"body < below", "[BODY] < 124", body("123"), true, `[BODY] = "123"`},
		{"body < at", "[BODY] < 123", body("123"), false, `[BODY] = "123"`},
		{"body not a number", "[BODY] > 1", body("many"), false, `[BODY] = "many" (not a number)`},
		{"body quoted literal", `[BODY] == "OK"`, body(`"OK"`), true, `[BODY] = "\"OK\""`},
		{"body quotes are text", `[BODY] == "OK"`, body(`OK`), false, `[BODY] = "OK"`},
		{"body words", "[BODY] == Service is healthy", body("Service is healthy"), true, `[BODY] = "Service is healthy"`},
		{"body brackets literal", "[BODY] == [1,2,3]", body("[1,2,3]"), true, `[BODY] = "[1,2,3]"`},
		{"body pattern", "[BODY] == pat(*<h1>Example Domain</h1>*)", body(html), true, `[BODY] = "<!doctype html><html><body><h1>Example Domain</h1></body></html>"`},
		{"body pattern no match", "[BODY] == pat(*<h1>Other</h1>*)", body(html), false, `[BODY] = "<!doctype html><html><body><h1>Example Domain</h1></body></html>"`},
		{"body empty pattern star", "[BODY] == pat(*)", body(""), true, `[BODY] = ""`},

		// JSON paths.
		{"path string", "[BODY].status == UP", body(`{"status":"UP"}`), true, `[BODY].status = "UP"`},
		{"path string other", "[BODY].status == UP", body(`{"status":"DOWN"}`), false, `[BODY].status = "DOWN"`},
		{"path lower case placeholder", "[body].status == UP", body(`{"status":"UP"}`), true, `[body].status = "UP"`},
		{"path keys are case sensitive", "[BODY].Status == UP", body(`{"status":"UP"}`), false, "[BODY].Status: not found"},
		{"path missing", "[BODY].status == UP", body(`{"state":"UP"}`), false, "[BODY].status: not found"},
		{"path missing fails !=", "[BODY].status != DOWN", body(`{}`), false, "[BODY].status: not found"},
		{"path missing fails <", "[BODY].errors < 1", body(`{}`), false, "[BODY].errors: not found"},
		{"path missing midway", "[BODY].a.b.c == 1", body(`{"a":{}}`), false, "[BODY].a.b.c: [BODY].a.b not found"},
		{"path through a string", "[BODY].a.b == 1", body(`{"a":"x"}`), false, "[BODY].a.b: [BODY].a is a string, not an object"},
		{"path through a number", "[BODY].a.b == 1", body(`{"a":1}`), false, "[BODY].a.b: [BODY].a is a number, not an object"},
		{"path through null", "[BODY].a.b == 1", body(`{"a":null}`), false, "[BODY].a.b: [BODY].a is null, not an object"},
		{"path through a boolean", "[BODY].a.b == 1", body(`{"a":true}`), false, "[BODY].a.b: [BODY].a is a boolean, not an object"},
		{"path through an index", "[BODY].a[0].b.c == 1", body(`{"a":[{"b":1}]}`), false, "[BODY].a[0].b.c: [BODY].a[0].b is a number, not an object"},
		{"path key into array", "[BODY].a.b == 1", body(`{"a":[]}`), false, "[BODY].a.b: [BODY].a is an array, not an object"},
		{"path not json", "[BODY].status == UP", body("<html>UP</html>"), false, "[BODY].status: body is not JSON"},
		{"path truncated json", "[BODY].status == UP", body(`{"status":"UP"`), false, "[BODY].status: body is not JSON"},
		{"path trailing data", "[BODY].status == UP", body(`{"status":"UP"} x`), false, "[BODY].status: body is not JSON"},
		{"path empty body", "[BODY].status == UP", body(" "), false, "[BODY].status: body is empty"},
		{"path nested", "[BODY].data.user.name == john", body(`{"data":{"user":{"name":"john"}}}`), true, `[BODY].data.user.name = "john"`},
		{"path root array", "[BODY][0].id == 1", body(`[{"id":1},{"id":2}]`), true, "[BODY][0].id = 1"},
		{"path root array last", "[BODY][1].id == 2", body(`[{"id":1},{"id":2}]`), true, "[BODY][1].id = 2"},
		{"path root array out of range", "[BODY][2].id == 2", body(`[{"id":1},{"id":2}]`), false, "[BODY][2].id: [BODY] has 2 items"},
		{"path index last", "[BODY].items[1] == b", body(`{"items":["a","b"]}`), true, `[BODY].items[1] = "b"`},
		{"path index out of range", "[BODY].items[2] == b", body(`{"items":["a","b"]}`), false, "[BODY].items[2]: [BODY].items has 2 items"},
		{"path index out of one", "[BODY].items[1] == b", body(`{"items":["a"]}`), false, "[BODY].items[1]: [BODY].items has 1 item"},
		{"path index into object", "[BODY][0] == 1", body(`{"0":1}`), false, "[BODY][0]: [BODY] is an object, not an array"},
		{"path nested arrays", "[BODY].m[1][0] == 3", body(`{"m":[[1,2],[3,4]]}`), true, "[BODY].m[1][0] = 3"},
		{"path big integer", "[BODY].n == 1000000", body(`{"n":1000000}`), true, "[BODY].n = 1000000"},
		{"path exponent", "[BODY].n == 1e6", body(`{"n":1000000}`), true, "[BODY].n = 1000000"},
		{"path float", "[BODY].price == 24.99", body(`{"price":24.99}`), true, "[BODY].price = 24.99"},
		{"path float other", "[BODY].price == 24.99", body(`{"price":24.98}`), false, "[BODY].price = 24.98"},
		{"path huge integers", "[BODY].id == 9007199254740993", body(`{"id":9007199254740992}`), false, "[BODY].id = 9007199254740992"},
		{"path hex string", "[BODY].data == 1", body(`{"data":"0x1"}`), true, `[BODY].data = "0x1"`},
		{"path version text", "[BODY].v == 1.10.0", body(`{"v":"1.1.0"}`), false, `[BODY].v = "1.1.0"`},
		{"path > at", "[BODY].count > 5", body(`{"count":5}`), false, "[BODY].count = 5"},
		{"path > above", "[BODY].count > 5", body(`{"count":6}`), true, "[BODY].count = 6"},
		{"path float above int", "[BODY].balance > 100", body(`{"balance":100.5}`), true, "[BODY].balance = 100.5"},
		{"path ordering on text", "[BODY].count > 5", body(`{"count":"many"}`), false, `[BODY].count = "many" (not a number)`},
		{"path duration value", "[BODY].uptime > 5m", body(`{"uptime":"10m"}`), true, `[BODY].uptime = "10m"`},
		{"path duration value at", "[BODY].uptime > 5m", body(`{"uptime":"300s"}`), false, `[BODY].uptime = "300s"`},
		{"path null", "[BODY].error == null", body(`{"error":null}`), true, "[BODY].error = null"},
		{"path boolean", "[BODY].ok == true", body(`{"ok":true}`), true, "[BODY].ok = true"},
		{"path object as json", `[BODY].o == {"a":1,"b":"<x>"}`, body(`{"o":{"b":"<x>", "a":1}}`), true, `[BODY].o = {"a":1,"b":"<x>"}`},
		{"path array in pattern", `[BODY].tags == pat(*"beta"*)`, body(`{"tags":["alpha","beta"]}`), true, `[BODY].tags = ["alpha","beta"]`},
		{"two paths differ", "[BODY].user.firstName == [BODY].user.lastName", body(`{"user":{"firstName":"john","lastName":"doe"}}`), false, `[BODY].user.firstName = "john", [BODY].user.lastName = "doe"`},
		{"two paths differ !=", "[BODY].user.firstName != [BODY].user.lastName", body(`{"user":{"firstName":"john","lastName":"doe"}}`), true, `[BODY].user.firstName = "john", [BODY].user.lastName = "doe"`},
		{"two paths one missing", "[BODY].a == [BODY].b", body(`{"a":1}`), false, "[BODY].a = 1, [BODY].b: not found"},
		{"two paths ordering", "[BODY].used < [BODY].quota", body(`{"used":"x","quota":10}`), false, `[BODY].used = "x" (not a number), [BODY].quota = 10`},
		{"key with dash and space", "[BODY].a-b.c d == 1", body(`{"a-b":{"c d":1}}`), true, "[BODY].a-b.c d = 1"},

		// len().
		{"len array below", "len([BODY].data) < 5", body(`{"data":[1,2,3,4]}`), true, "len([BODY].data) = 4"},
		{"len array at", "len([BODY].data) < 5", body(`{"data":[1,2,3,4,5]}`), false, "len([BODY].data) = 5"},
		{"len string", "len([BODY].name) == 8", body(`{"name":"john.doe"}`), true, "len([BODY].name) = 8"},
		{"len counts characters", "len([BODY].name) == 5", body(`{"name":"héllo"}`), true, "len([BODY].name) = 5"},
		{"len object minified", "len([BODY][0]) == 23", body(`[{"age":18,"adult":true}]`), true, "len([BODY][0]) = 23"},
		{"len number", "len([BODY].age) == 2", body(`{"age":18}`), true, "len([BODY].age) = 2"},
		{"len boolean", "len([BODY].adult) == 4", body(`{"adult":true}`), true, "len([BODY].adult) = 4"},
		{"len null", "len([BODY].x) == 0", body(`{"x":null}`), true, "len([BODY].x) = 0"},
		{"len missing", "len([BODY].x) == 0", body(`{}`), false, "len([BODY].x): not found"},
		{"len body array", "len([BODY]) == 3", body(` [{"id":1},{"id":2},{"id":3}] `), true, "len([BODY]) = 3"},
		{"len body text", "len([BODY]) == 8", body("john.doe\n"), true, "len([BODY]) = 8"},
		{"len body object is text", "len([BODY]) == 20", body(`{"name": "john.doe"}`), true, "len([BODY]) = 20"},
		{"len body broken array is text", "len([BODY]) == 4", body(`[1,]`), true, "len([BODY]) = 4"},
		{"len ip", "len([IP]) > 8", condition.Values{IP: "10.0.0.1"}, false, "len([IP]) = 8"},
		{"len ip missing", "len([IP]) > 0", condition.Values{}, false, "len([IP]): not measured"},
		{"len on the right", "3 == len([BODY].a)", body(`{"a":"abc"}`), true, "len([BODY].a) = 3"},

		// has().
		{"has absent", "has([BODY].errors) == false", body(`{"name":"x"}`), true, "has([BODY].errors) = false"},
		{"has present", "has([BODY].errors) == false", body(`{"errors":[]}`), false, "has([BODY].errors) = true"},
		{"has null is absent", "has([BODY].errors) == false", body(`{"errors":null}`), true, "has([BODY].errors) = false"},
		{"has !=", "has([BODY].users) != false", body(`{"users":[]}`), true, "has([BODY].users) = true"},
		{"has not json", "has([BODY].x) == true", body("nope"), false, "has([BODY].x) = false"},
		{"has body", "has([BODY]) == true", body(" "), false, "has([BODY]) = false"},
		{"has status", "has([STATUS]) == true", status(204), true, "has([STATUS]) = true"},
		{"has no status", "has([STATUS]) == true", status(0), false, "has([STATUS]) = false"},
		{"has rt", "has([RESPONSE_TIME]) == true", rt(0.5), true, "has([RESPONSE_TIME]) = true"},
		{"has no rt", "has([RESPONSE_TIME]) == true", rt(0), false, "has([RESPONSE_TIME]) = false"},
		{"has no cert", "has([CERTIFICATE_EXPIRATION]) == false", condition.Values{}, true, "has([CERTIFICATE_EXPIRATION]) = false"},
		{"has cert", "has([CERTIFICATE_EXPIRATION]) == false", cert(time.Hour), false, "has([CERTIFICATE_EXPIRATION]) = true"},
		{"has ip", "has([IP]) == true", condition.Values{IP: "::1"}, true, "has([IP]) = true"},
		{"has no ip", "has([IP]) == true", condition.Values{}, false, "has([IP]) = false"},
		{"has dns", "has([DNS_RCODE]) == true", condition.Values{DNSRcode: "NOERROR"}, true, "has([DNS_RCODE]) = true"},
		{"has no dns", "has([DNS_RCODE]) == true", condition.Values{}, false, "has([DNS_RCODE]) = false"},
		{"has connected always", "has([CONNECTED]) == true", condition.Values{}, true, "has([CONNECTED]) = true"},

		// pat() and any().
		{"pat prefix", "[BODY].name == pat(john*)", body(`{"name":"john.doe"}`), true, `[BODY].name = "john.doe"`},
		{"pat prefix other", "[BODY].name == pat(john*)", body(`{"name":"bob"}`), false, `[BODY].name = "bob"`},
		{"pat on the left", "pat(*.doe) == [BODY].name", body(`{"name":"john.doe"}`), true, `[BODY].name = "john.doe"`},
		{"pat question marks", "[BODY].code == pat(E??)", body(`{"code":"E42"}`), true, `[BODY].code = "E42"`},
		{"pat question too short", "[BODY].code == pat(E??)", body(`{"code":"E4"}`), false, `[BODY].code = "E4"`},
		{"pat question too long", "[BODY].code == pat(E??)", body(`{"code":"E420"}`), false, `[BODY].code = "E420"`},
		{"pat question is one character", "[BODY].code == pat(??)", body(`{"code":"é!"}`), true, `[BODY].code = "é!"`},
		{"pat exact", "[BODY].code == pat(abc)", body(`{"code":"abc"}`), true, `[BODY].code = "abc"`},
		{"pat exact longer", "[BODY].code == pat(abc)", body(`{"code":"abcd"}`), false, `[BODY].code = "abcd"`},
		{"pat middle segments", "[BODY] == pat(a*b*c)", body("axxbyyc"), true, `[BODY] = "axxbyyc"`},
		{"pat middle out of order", "[BODY] == pat(a*b*c)", body("axxcyyb"), false, `[BODY] = "axxcyyb"`},
		{"pat middle with question", "[BODY] == pat(*b?d*)", body("abxdz"), true, `[BODY] = "abxdz"`},
		{"pat middle with question missing", "[BODY] == pat(*b?d*)", body("abxxdz"), false, `[BODY] = "abxxdz"`},
		{"pat suffix with question", "[BODY] == pat(*.?s)", body("app.js"), true, `[BODY] = "app.js"`},
		{"pat suffix with question longer", "[BODY] == pat(*.?s)", body("app.jsx"), false, `[BODY] = "app.jsx"`},
		{"pat suffix longer than text", "[BODY] == pat(a*bcd)", body("abc"), false, `[BODY] = "abc"`},
		{"pat prefix longer than text", "[BODY] == pat(abcd*)", body("abc"), false, `[BODY] = "abc"`},
		{"pat brackets are plain", "[BODY] == pat(*[ERROR]*)", body("x [ERROR] y"), true, `[BODY] = "x [ERROR] y"`},
		{"pat status class", "[STATUS] == pat(4*)", status(404), true, "[STATUS] = 404"},
		{"pat status class other", "[STATUS] == pat(4*)", status(200), false, "[STATUS] = 200"},
		{"pat operators inside", "[BODY] == pat(*a < b*)", body("x a < b y"), true, `[BODY] = "x a < b y"`},
		{"any first", "[BODY].name == any(john.doe, jane.doe)", body(`{"name":"john.doe"}`), true, `[BODY].name = "john.doe"`},
		{"any last", "[BODY].name == any(john.doe, jane.doe)", body(`{"name":"jane.doe"}`), true, `[BODY].name = "jane.doe"`},
		{"any none", "[BODY].name == any(john.doe, jane.doe)", body(`{"name":"bob"}`), false, `[BODY].name = "bob"`},
		{"any status", "[STATUS] == any(200, 429)", status(429), true, "[STATUS] = 429"},
		{"any status other", "[STATUS] == any(200, 429)", status(404), false, "[STATUS] = 404"},
		{"any on the left", "any(200, 429) == [STATUS]", status(429), true, "[STATUS] = 429"},
		{"any !=", "[STATUS] != any(500, 502)", status(502), false, "[STATUS] = 502"},
		{"any != none", "[STATUS] != any(500, 502)", status(200), true, "[STATUS] = 200"},
		{"any numbers by value", "[BODY].id == any(1, 2)", body(`{"id":2.0}`), true, "[BODY].id = 2.0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := MustParse(t, tc.cond)
			ok, seen := c.Eval(tc.v)
			if ok != tc.ok || seen != tc.seen {
				t.Errorf("Eval(%q) = %v, %q; want %v, %q", tc.cond, ok, seen, tc.ok, tc.seen)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name string
		text string
		pos  int
		msg  string
	}{
		{"empty", "", 1, "empty condition"},
		{"blank", "   ", 1, "empty condition"},
		{"too long", "[BODY] == " + strings.Repeat("a", condition.MaxLength-9), 1025, "at most 1024 bytes"},
		{"control character", "[STATUS] == 200\n", 16, "control character U+000A"},
		{"invalid utf-8", "[STATUS] == \xff", 13, "invalid UTF-8"},
		{"no operator", "[STATUS] 200", 13, "no operator"},
		{"no operator, only punctuation", "[BODY] Hello!", 14, "no operator"},
		{"unspaced operator", "[STATUS]==200", 9, "put a space on each side of =="},
		{"half spaced operator", "[STATUS] <=200", 10, "put a space on each side of <="},
		{"unknown operator =", "[STATUS] = 200", 10, `unknown operator "="`},
		{"unknown operator =>", "[STATUS] => 200", 10, `unknown operator "=>"`},
		{"unknown operator ===", "[STATUS] === 200", 10, `unknown operator "==="`},
		{"second operator", "[STATUS] == 200 == 201", 17, "a second operator =="},
		{"and is not supported", "[STATUS] >= 200 && [STATUS] < 300", 29, "a second operator <"},
		{"operator first", "== 200", 1, "nothing on the left of =="},
		{"operator last", "[STATUS] ==", 10, "nothing on the right of =="},
		{"unknown placeholder", "200 == [BOD]", 8, `unknown placeholder "[BOD]"`},
		{"unknown placeholder keeps case", "[Stat] == 200", 1, `unknown placeholder "[Stat]"`},
		{"domain expiration", "[DOMAIN_EXPIRATION] > 720h", 1, "[DOMAIN_EXPIRATION] is not supported"},
		{"context", "[STATUS] == [CONTEXT].status", 13, "[CONTEXT] is not supported"},
		{"path on status", "[STATUS].code == 1", 9, `unexpected ".code" after [STATUS]`},
		{"unknown function", "foo([BODY]) == 1", 1, `unknown function "foo"`},
		{"function names are lower case", "LEN([BODY]) == 1", 1, `unknown function "LEN"`},
		{"text after function", "len([BODY]).a == 1", 12, `unexpected ".a" after len(...)`},
		{"len without argument", "len() == 1", 5, "len() needs one argument"},
		{"len blank argument", "len( ) == 1", 6, "len() needs one argument"},
		{"len two arguments", "len([BODY].a, [BODY].b) == 1", 13, "len() takes one argument"},
		{"len of a literal", "len(abc) == 1", 5, "len() takes a placeholder"},
		{"len of a function", "len(len([BODY])) == 1", 5, "len() takes a placeholder"},
		{"len of status", "len([STATUS]) == 3", 5, "len() works on [BODY], [HEADER], [IP] and [DNS_RCODE], not [STATUS]"},
		{"len inner error", "len([BODY].) == 1", 11, "must be followed by a key"},
		{"len against a word", "len([BODY].x) == abc", 18, "len() is a number"},
		{"has without argument", "has() == true", 5, "has() needs one argument"},
		{"has against a word", "has([BODY].x) == yes", 18, "compare has() with true or false"},
		{"has against a placeholder", "has([BODY].x) == [CONNECTED]", 18, "compare has() with true or false"},
		{"has ordered", "has([BODY].x) > 0", 15, "has() is true or false"},
		{"pat empty", "[BODY] == pat()", 15, "pat() needs a pattern"},
		{"pat ordered", "[STATUS] < pat(2*)", 12, "pat() works only with == and !=, not <"},
		{"any ordered", "[STATUS] >= any(200, 201)", 13, "any() works only with == and !=, not >="},
		{"any empty", "any() == [STATUS]", 5, "any() needs at least one value"},
		{"any blank value", "[STATUS] == any(200,,201)", 21, "empty value in any()"},
		{"any trailing comma", "[STATUS] == any(200, )", 22, "empty value in any()"},
		{"path trailing dot", "[BODY]. == UP", 7, "a '.' in a path must be followed by a key"},
		{"path double dot", "[BODY].a..b == UP", 9, "a '.' in a path must be followed by a key"},
		{"path dot before index", "[BODY].[0] == UP", 7, "a '.' in a path must be followed by a key"},
		{"path word index", "[BODY].a[x] == UP", 10, `an array index is a number, not "x"`},
		{"path negative index", "[BODY].a[-1] == UP", 10, `an array index is a number, not "-1"`},
		{"path late bad digit", "[BODY].a[1x] == UP", 11, `an array index is a number, not "1x"`},
		{"path empty index", "[BODY].a[] == UP", 10, "an array index is a number, as in [0]"},
		{"path huge index", "[BODY][1234567890] == 1", 8, "array index 1234567890 is too large"},
		{"path text after index", "[BODY].a[0]b == UP", 12, `expected '.' or '[' in a path, found "b"`},
		{"path text after body", "[BODY]x == 1", 7, `expected '.' or '[' in a path, found "x"`},
		{"path counts characters", "[BODY].café..x == 1", 12, "a '.' in a path must be followed by a key"},
		{"unclosed parenthesis", "len([BODY].a == 1", 4, "'(' is never closed"},
		{"unclosed bracket", "[BODY].a[0 == 1", 9, "'[' is never closed"},
		{"stray parenthesis", "[STATUS]) == 200", 9, "')' has no matching '('"},
		{"stray bracket", "[STATUS] == 200]", 16, "']' has no matching '['"},
		{"crossed brackets", "len([BODY].a] == 1", 13, "']' does not close the '(' at position 4"},
		{"header without name", "[HEADER] == x", 9, "[HEADER] needs a header name"},
		{"header without name after dot", "[HEADER]. == x", 9, "[HEADER] needs a header name"},
		{"header without dot", "[HEADER]Server == x", 9, `expected '.' and a header name after [HEADER], found "Server"`},
		{"header with space", "[HEADER].Content Type == x", 17, `' ' cannot appear in a header name`},
		{"header with accent", "[HEADER].Café == x", 13, `'é' cannot appear in a header name`},
		{"no placeholder", "STATUS == 200", 1, "neither side reads a placeholder"},
		{"two constants", "pat(2*) == 200", 1, "neither side reads a placeholder"},
		{"status against a word", "[STATUS] == OK", 13, "compare [STATUS] with a number"},
		{"status against a class", "[STATUS] != 2xx", 13, "compare [STATUS] with a number"},
		{"response time against a duration", "[RESPONSE_TIME] == 1s", 20, "compare [RESPONSE_TIME] with a number of milliseconds"},
		{"cert against a word", "[CERTIFICATE_EXPIRATION] != soon", 29, "compare [CERTIFICATE_EXPIRATION] with a number of milliseconds"},
		{"ordered against a word", "[RESPONSE_TIME] < fast", 19, `"fast" is not a number or a duration such as 48h`},
		{"ordered word on the left", "fast > [RESPONSE_TIME]", 1, `"fast" is not a number`},
		{"days", "[CERTIFICATE_EXPIRATION] > 7d", 28, `"7d": Go durations have no days; write 168h`},
		{"weeks", "[CERTIFICATE_EXPIRATION] > 2w", 28, `"2w": Go durations have no weeks; write 336h`},
		{"negative days", "[CERTIFICATE_EXPIRATION] > -1d", 28, `"-1d" is not a number or a duration`},
		{"connected ordered", "[CONNECTED] > 0", 13, "[CONNECTED] is true or false"},
		{"connected against a word", "[CONNECTED] == yes", 16, "compare [CONNECTED] with true or false"},
		{"ip ordered", "[IP] > 5", 6, "[IP] is not a number"},
		{"dns ordered", "[DNS_RCODE] <= 3", 13, "[DNS_RCODE] is not a number"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := condition.Parse(tc.text)
			var se *condition.SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) = %v, %v; want a *SyntaxError", tc.text, c, err)
			}
			if se.Pos != tc.pos || !strings.Contains(se.Msg, tc.msg) || se.Text != tc.text {
				t.Errorf("Parse(%q) error at %d %q; want at %d containing %q", tc.text, se.Pos, se.Msg, tc.pos, tc.msg)
			}
			if c != nil {
				t.Errorf("Parse(%q) returned a condition with its error", tc.text)
			}
		})
	}
}

func TestSyntaxErrorMessage(t *testing.T) {
	_, err := condition.Parse("[STATUS] == [BOD]")
	if want := `at position 13: unknown placeholder "[BOD]"`; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
}

func TestParseAccepts(t *testing.T) {
	for _, text := range []string{
		"  [STATUS] == 200  ",
		"[BODY] == " + strings.Repeat("a", condition.MaxLength-10),
		"[BODY].msg == Hello!",
		"[BODY].arrow == <-",
		"[BODY].x == a=b",
		"[BODY].note == Service (beta)",
		"[BODY].price < -1.5e3",
		"[BODY].n >= 0b101",
		"[BODY].label == U+FFFD \uFFFD",
		"[BODY].a_b[0][12].c-d == x",
		"has([HEADER].X-Request-ID) == true",
		"[HEADER].Cache-Control != no-store",
	} {
		if _, err := condition.Parse(text); err != nil {
			t.Errorf("Parse(%q): %v", text, err)
		}
	}
}

func TestString(t *testing.T) {
	const text = " [body].Status  ==  UP "
	if got := MustParse(t, text).String(); got != text {
		t.Errorf("String() = %q, want %q", got, text)
	}
}

func TestPlaceholders(t *testing.T) {
	cases := []struct {
		cond string
		want []condition.Placeholder
	}{
		{"[STATUS] == 200", []condition.Placeholder{condition.Status}},
		{"200 == [STATUS]", []condition.Placeholder{condition.Status}},
		{"len([BODY].items) > 0", []condition.Placeholder{condition.Body}},
		{"has([HEADER].ETag) == true", []condition.Placeholder{condition.Header}},
		{"[BODY].a == [BODY].b", []condition.Placeholder{condition.Body}},
		{"[RESPONSE_TIME] < [BODY].budget", []condition.Placeholder{condition.ResponseTime, condition.Body}},
		{"[IP] == pat(10.*)", []condition.Placeholder{condition.IP}},
		{"any(NOERROR, NXDOMAIN) == [DNS_RCODE]", []condition.Placeholder{condition.DNSRcode}},
		{"[CONNECTED] == true", []condition.Placeholder{condition.Connected}},
		{"[CERTIFICATE_EXPIRATION] > 48h", []condition.Placeholder{condition.CertificateExpiration}},
	}
	for _, tc := range cases {
		if got := MustParse(t, tc.cond).Placeholders(); !slices.Equal(got, tc.want) {
			t.Errorf("Placeholders(%q) = %v, want %v", tc.cond, got, tc.want)
		}
	}
}

// TestGatusReadme runs the conditions of Gatus's README verbatim, with the
// values its table says pass and fail.
func TestGatusReadme(t *testing.T) {
	cases := []struct {
		cond string
		pass []condition.Values
		fail []condition.Values
	}{
		{"[STATUS] == 200", []condition.Values{status(200)}, []condition.Values{status(201), status(404)}},
		{"[STATUS] < 300", []condition.Values{status(200), status(201), status(299)}, []condition.Values{status(301), status(302)}},
		{"[STATUS] <= 299", []condition.Values{status(200), status(201), status(299)}, []condition.Values{status(301), status(302)}},
		{"[STATUS] > 400", []condition.Values{status(401), status(402), status(403), status(404)}, []condition.Values{status(400), status(200)}},
		{"[STATUS] == any(200, 429)", []condition.Values{status(200), status(429)}, []condition.Values{status(201), status(400)}},
		{"[CONNECTED] == true", []condition.Values{{Connected: true}}, []condition.Values{{Connected: false}}},
		{"[RESPONSE_TIME] < 500", []condition.Values{rt(100), rt(200), rt(300)}, []condition.Values{rt(500), rt(501)}},
		{"[RESPONSE_TIME] < 300", []condition.Values{rt(299)}, []condition.Values{rt(300)}},
		{"[IP] == 127.0.0.1", []condition.Values{{IP: "127.0.0.1"}}, []condition.Values{{IP: "0.0.0.0"}}},
		{"[BODY] == 1", []condition.Values{body("1")}, []condition.Values{body("{}"), body("2")}},
		{"[BODY].status == UP", []condition.Values{body(`{"status":"UP"}`)}, []condition.Values{body(`{"status":"DOWN"}`)}},
		{"[BODY].user.name == john", []condition.Values{body(`{"user":{"name":"john"}}`)}, []condition.Values{body(`{"user":{"name":"jane"}}`)}},
		{"[BODY].data[0].id == 1", []condition.Values{body(`{"data":[{"id":1}]}`)}, []condition.Values{body(`{"data":[{"id":2}]}`)}},
		{"[BODY].age == [BODY].id", []condition.Values{body(`{"age":1,"id":1}`)}, []condition.Values{body(`{"age":1,"id":2}`)}},
		{"len([BODY].data) < 5", []condition.Values{body(`{"data":[{"id":1}]}`)}, []condition.Values{body(`{"data":[1,2,3,4,5]}`)}},
		{"len([BODY].name) == 8", []condition.Values{body(`{"name":"john.doe"}`)}, []condition.Values{body(`{"name":"bob"}`)}},
		{"len([BODY].id) > 0", []condition.Values{body(`{"id":"x1"}`)}, []condition.Values{body(`{"id":""}`)}},
		{"has([BODY].errors) == false", []condition.Values{body(`{"name":"john.doe"}`)}, []condition.Values{body(`{"errors":[]}`)}},
		{"has([BODY].users) == true", []condition.Values{body(`{"users":[]}`)}, []condition.Values{body(`{}`)}},
		{"[BODY].name == pat(john*)", []condition.Values{body(`{"name":"john.doe"}`)}, []condition.Values{body(`{"name":"bob"}`)}},
		{"[BODY].id == any(1, 2)", []condition.Values{body(`{"id":1}`), body(`{"id":2}`)}, []condition.Values{body(`{"id":3}`), body(`{"id":4}`)}},
		{"[BODY].price == 24.99", []condition.Values{body(`{"price":24.99}`)}, []condition.Values{body(`{"price":25}`)}},
		{"[CERTIFICATE_EXPIRATION] > 48h", []condition.Values{cert(49 * time.Hour), cert(123 * time.Hour)}, []condition.Values{cert(time.Hour), cert(24 * time.Hour)}},
		{"[IP] == pat(192.168.*)", []condition.Values{{IP: "192.168.0.232"}}, []condition.Values{{IP: "10.0.0.1"}}},
		{"[BODY].ip == any(127.0.0.1, ::1)", []condition.Values{body(`{"ip":"::1"}`)}, []condition.Values{body(`{"ip":"::2"}`)}},
		{"len([BODY].username) > 8", []condition.Values{body(`{"username":"john.doe.2"}`)}, []condition.Values{body(`{"username":"john.doe"}`)}},
		{"[BODY] == pat(*<h1>Example Domain</h1>*)", []condition.Values{body("<html><h1>Example Domain</h1></html>")}, []condition.Values{body("<html></html>")}},
		{"[BODY] == 93.184.215.14", []condition.Values{body("93.184.215.14")}, []condition.Values{body("93.184.215.15")}},
		{"[DNS_RCODE] == NOERROR", []condition.Values{{DNSRcode: "NOERROR"}}, []condition.Values{{DNSRcode: "SERVFAIL"}}},
	}
	for _, tc := range cases {
		t.Run(tc.cond, func(t *testing.T) {
			c := MustParse(t, tc.cond)
			for _, v := range tc.pass {
				if ok, seen := c.Eval(v); !ok {
					t.Errorf("fails with %s; want it to pass", seen)
				}
			}
			for _, v := range tc.fail {
				if ok, seen := c.Eval(v); ok {
					t.Errorf("passes with %s; want it to fail", seen)
				}
			}
		})
	}
}

func TestEvalAll(t *testing.T) {
	conds := []*condition.Condition{
		MustParse(t, "[STATUS] == 200"),
		MustParse(t, "[BODY].status == UP"),
		MustParse(t, "len([BODY].checks) >= 2"),
	}
	v := condition.Values{Status: 200, Body: []byte(`{"status":"UP","checks":["db","cache"]}`)}
	if failed, seen := condition.EvalAll(conds, v); failed != nil || seen != "" {
		t.Errorf("EvalAll = %v, %q; want all to hold", failed, seen)
	}
	v.Body = []byte(`{"status":"UP","checks":["db"]}`)
	if failed, seen := condition.EvalAll(conds, v); failed != conds[2] || seen != "len([BODY].checks) = 1" {
		t.Errorf("EvalAll = %v, %q; want the len condition with its count", failed, seen)
	}
	v.Status = 500
	if failed, seen := condition.EvalAll(conds, v); failed != conds[0] || seen != "[STATUS] = 500" {
		t.Errorf("EvalAll = %v, %q; want the first failing condition", failed, seen)
	}
	if failed, seen := condition.EvalAll(nil, v); failed != nil || seen != "" {
		t.Errorf("EvalAll(nil) = %v, %q", failed, seen)
	}
}

// TestEvalAllDecodesOnce shows the body is decoded once for all the
// conditions of a check: eight paths into a large body cost about what
// one does, far less than eight separate Evals.
func TestEvalAllDecodesOnce(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"status":"UP","items":[`)
	for i := range 200 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{"id":1,"name":"x"}`)
	}
	b.WriteString("]}")
	v := body(b.String())
	var conds []*condition.Condition
	for range 8 {
		conds = append(conds, MustParse(t, "[BODY].status == UP"))
	}
	all := testing.AllocsPerRun(20, func() { condition.EvalAll(conds, v) })
	one := testing.AllocsPerRun(20, func() { conds[0].Eval(v) })
	if all > 1.5*one {
		t.Errorf("EvalAll of 8 conditions made %.0f allocations, one Eval %.0f: the body is decoded more than once", all, one)
	}
	if one < 100 {
		t.Fatalf("one Eval made only %.0f allocations: the body is too small to show anything", one)
	}
}

// TestSeenIsShort checks seen stays one short line of valid UTF-8
// whatever the body holds.
func TestSeenIsShort(t *testing.T) {
	long := strings.Repeat("é", 300)
	cases := []struct {
		name string
		cond string
		v    condition.Values
	}{
		{"long body", "[BODY] == x", body(strings.Repeat("a", 10000))},
		{"long characters", "[BODY] == x", body(long)},
		{"newlines", "[BODY] == x", body("line one\nline two\r\n\u2028three")},
		{"invalid utf-8", "[BODY] == x", body("\xff\xfe" + strings.Repeat("\xc3", 100))},
		{"long json value", "[BODY].a == x", body(`{"a":"` + long + `"}`)},
		{"long json array", "[BODY].a == x", body(`{"a":[` + strings.Repeat(`"line\n",`, 100) + `1]}`)},
		{"two long values", "[BODY].a == [BODY].b", body(`{"a":"` + long + `","b":"` + long + `"}`)},
		{"long path", "[BODY]." + strings.Repeat("k", 900) + " == x", body(`{}`)},
		{"long header", "[HEADER].X == x", header("X", strings.Repeat("v\u00a0", 200))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, seen := MustParse(t, tc.cond).Eval(tc.v)
			if len(seen) > 200 || !utf8.ValidString(seen) || strings.ContainsAny(seen, "\n\r\u2028") {
				t.Errorf("seen is %d bytes, valid UTF-8 %v: %q", len(seen), utf8.ValidString(seen), seen)
			}
		})
	}
	_, seen := MustParse(t, "[BODY] == x").Eval(body(strings.Repeat("a", 100)))
	if want := `[BODY] = "` + strings.Repeat("a", 77) + `"…`; seen != want {
		t.Errorf("seen = %q, want %q", seen, want)
	}
	_, seen = MustParse(t, "[BODY] == x").Eval(body(strings.Repeat("a", 80)))
	if want := `[BODY] = "` + strings.Repeat("a", 80) + `"`; seen != want {
		t.Errorf("seen = %q, want %q", seen, want)
	}
}

func FuzzParseEval(f *testing.F) {
	for _, s := range []string{
		"[STATUS] == 200", "[BODY].a[0].b == pat(*x?y*)", "len([BODY]) > 2", "has([HEADER].ETag) == true",
		"[CERTIFICATE_EXPIRATION] > 48h", "[BODY] == any(a, b)", "[BODY].a..b == 1", "len(",
	} {
		f.Add(s, `{"a":[{"b":"xzy"}]}`)
	}
	f.Fuzz(func(t *testing.T, text, b string) {
		c, err := condition.Parse(text)
		if err != nil {
			var se *condition.SyntaxError
			if !errors.As(err, &se) || se.Pos < 1 || se.Pos > utf8.RuneCountInString(text)+1 {
				t.Fatalf("Parse(%q) = %v", text, err)
			}
			return
		}
		d := time.Hour
		_, seen := c.Eval(condition.Values{Status: 200, Body: []byte(b), ResponseTimeMS: 1, CertExpiration: &d, IP: "::1", Header: http.Header{"X": {b}}})
		if len(seen) > 200 || !utf8.ValidString(seen) || strings.ContainsAny(seen, "\n\r") {
			t.Fatalf("Eval(%q) seen = %q", text, seen)
		}
	})
}

func BenchmarkEvalAll(b *testing.B) {
	conds := []*condition.Condition{}
	for _, text := range []string{
		"[STATUS] == 200", "[BODY].status == UP", "len([BODY].checks) >= 2",
		"[BODY].checks[0].name == pat(d*)", "[RESPONSE_TIME] < 300",
	} {
		c, err := condition.Parse(text)
		if err != nil {
			b.Fatal(err)
		}
		conds = append(conds, c)
	}
	v := condition.Values{Status: 200, ResponseTimeMS: 12, Body: []byte(`{"status":"UP","checks":[{"name":"db"},{"name":"cache"}]}`)}
	b.ReportAllocs()
	for b.Loop() {
		if failed, seen := condition.EvalAll(conds, v); failed != nil {
			b.Fatal(failed, seen)
		}
	}
}
