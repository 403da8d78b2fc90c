package probe

import (
	"encoding/json"
	"reflect"
	"testing"
)

// TestSpecSplicedIsTheSameObject: the spliced reading and writing of a
// check give the same kind and settings as the general path, for what the
// pipeline writes and for every shape a user or an old release may send;
// shapes the splice cannot vouch for take the general path.
func TestSpecSplicedIsTheSameObject(t *testing.T) {
	flat := []string{
		`{"kind":"http","url":"https://example.org/","method":"GET","headers":{"X-A":"1"}}`,
		`{"kind":"tcp","host":"db","port":5432}`,
		`{"kind":"http"}`,
		`{"kind":""}`,
		`{"kind":"null","x":[1,2,{"y":"z"}]}`,
		`{"url":"https://example.org/","kind":"http"}`,              // kind not first
		`{"kind":"http","url":"https://example.org/","kind":"tcp"}`, // a second kind wins
		`{"kind":"http","note":"the \"kind\" of check"}`,            // "kind" in a value
		`{"kind":"ht\u0074p","url":"x"}`,                            // an escaped name
		`{"kind":"http", "url" : "x" }`,                             // spaces
		`{"kind":"http","url":"<&>"}`,                               // HTML characters
		`{"kind":"http","url":"x",}`,                                // not JSON
		`{"kind":"http","url":"x"`,                                  // cut short
		`{"kind":5,"url":"x"}`,                                      // kind not a string
		`["kind","http"]`,                                           // not an object
		`{"kind":"http","headers":{"kind":"inner"}}`,                // kind deeper down
		`{"kind":"http","url":"x"}  `,                               // trailing space
		`{"kind":"http","url":"x"}{"kind":"tcp"}`,                   // two values
	}
	for _, in := range flat {
		var fast, general Spec
		fastErr := fast.UnmarshalJSON([]byte(in))
		generalErr := general.unmarshalFields([]byte(in))
		if (fastErr == nil) != (generalErr == nil) {
			t.Errorf("%s: error %v, general path %v", in, fastErr, generalErr)
			continue
		}
		if fastErr != nil {
			continue
		}
		if fast.Kind != general.Kind || !sameJSON(t, fast.Config, general.Config) {
			t.Errorf("%s: read as %q %s, general path %q %s", in, fast.Kind, fast.Config, general.Kind, general.Config)
		}
		out, err := fast.MarshalJSON()
		want, werr := fast.marshalFields()
		if err != nil || werr != nil || !sameJSON(t, out, want) {
			t.Errorf("%s: written as %s (%v), general path %s (%v)", in, out, err, want, werr)
		}
	}
	// What the pipeline writes takes the splice both ways.
	canonical := Spec{Kind: "http", Config: json.RawMessage(`{"url":"https://example.org/","timeout_ms":0}`)}
	out, ok := canonical.spliced()
	if !ok {
		t.Fatal("a stored check is not spliced")
	}
	if _, _, ok := kindFirst(out); !ok {
		t.Fatalf("%s is not read back by the splice", out)
	}
	// Settings as stored (canonical) or damaged, written.
	for _, cfg := range []string{`{"url":"x"}`, `{}`, ` { "a" : 1 } `, `null`, ``, `{"kind":"tcp","a":1}`, `[1]`, `{"a":}`, `{"a":1}}`} {
		s := Spec{Kind: "http", Config: json.RawMessage(cfg)}
		out, err := json.Marshal(s)
		general, werr := s.marshalFields()
		if (err == nil) != (werr == nil) {
			t.Errorf("settings %q: error %v, general path %v", cfg, err, werr)
			continue
		}
		if err == nil && !sameJSON(t, out, general) {
			t.Errorf("settings %q: written as %s, general path %s", cfg, out, general)
		}
	}
}

func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Errorf("%s: %v", a, err)
		return false
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Errorf("%s: %v", b, err)
		return false
	}
	return reflect.DeepEqual(x, y)
}
