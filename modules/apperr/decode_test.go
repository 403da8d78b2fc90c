package apperr

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

type strictInner struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

type strictDst struct {
	URL     string            `json:"url"`
	Method  string            `json:"method,omitempty"`
	Timeout int               `json:"timeout_ms"`
	Follow  bool              `json:"follow"`
	Headers map[string]string `json:"headers"`
	Codes   []int             `json:"codes"`
	Inner   strictInner       `json:"inner"`
	Items   []strictInner     `json:"items"`
	Ignored string            `json:"-"`
	Plain   string
	private string
}

// TestDecodeStrictPathsAgree holds DecodeStrict, which decodes the usual
// object once, to the general listing path over the shapes that could
// tell them apart: the same value decoded, or the same error.
func TestDecodeStrictPathsAgree(t *testing.T) {
	inputs := []string{
		``, `null`, `  null  `, `{}`, ` { } `,
		`{"url":"https://a.example"}`,
		`{"url":"https://a.example","method":"HEAD","timeout_ms":5000,"follow":true,"headers":{"X":"1","url":"2"},"codes":[200,204],"inner":{"name":"n","count":2},"items":[{"name":"a"},{"count":3}],"Plain":"p"}`,
		// Case folding: encoding/json would take these; DecodeStrict names them.
		`{"URL":"https://a.example"}`, `{"Url":"x","url":"y"}`, `{"url":"y","Url":"x"}`, `{"plain":"p"}`,
		`{"inner":{},"URL":"x"}`, `{"codes":[1],"Codes":[2]}`, `{"url":"a\",\"URL"}`,
		// Unknown fields, one or several, and ones that look like known ones.
		`{"url":"x","nope":1}`, `{"nope":1,"other":{"url":"x"}}`, `{"url ":"x"}`, `{"-":"x"}`, `{"Ignored":"x"}`, `{"private":"x"}`,
		// Unknown fields deeper down (DisallowUnknownFields reaches them).
		`{"inner":{"name":"n","extra":1}}`, `{"items":[{"nope":true}]}`,
		// Case folding deeper down is encoding/json's, on both paths.
		`{"inner":{"NAME":"n"}}`,
		// Escapes in names and values.
		`{"u\u0072l":"x"}`, `{"url":"a\"b\\c\u00e9"}`, `{"url":"\"","method":"}"}`, `{"url":"{[","codes":[1]}`,
		// Type mismatches.
		`{"timeout_ms":"5"}`, `{"follow":"yes"}`, `{"codes":"200"}`, `{"inner":[]}`, `{"headers":{"X":1}}`, `{"url":5,"nope":1}`,
		// Not one object.
		`[]`, `"url"`, `5`, `true`, `{"url":"x"} {"url":"y"}`, `{"url":"x"}}`, `{"url":"x"`, `{"url":}`, `{url:"x"}`,
		`{"url":"x",}`, `{,"url":"x"}`, `{"url":"x\`, `{"u\`, `{"url\`, `{"url" "x"}`, `{"url":"x"]`, `{"inner":{"name":"n"}`, `{"url":"x"}x`, `{"codes":[1,2}`,
		// Duplicates: the last one wins on both paths.
		`{"url":"a","url":"b"}`, `{"inner":{"name":"a"},"inner":{"count":1}}`,
		// Spaces everywhere.
		"{ \"url\" : \"x\" ,\n\t\"codes\" : [ 1 , 2 ] }",
	}
	for _, in := range inputs {
		fast, slow := &strictDst{}, &strictDst{}
		errFast := DecodeStrict(json.RawMessage(in), fast, "check")
		raw := bytes.TrimSpace([]byte(in))
		if len(raw) == 0 || string(raw) == "null" {
			raw = []byte("{}")
		}
		errSlow := decodeListing(raw, slow, "check")
		if (errFast == nil) != (errSlow == nil) || (errFast != nil && errFast.Error() != errSlow.Error()) {
			t.Errorf("%s: DecodeStrict says %v, the listing path %v", in, errFast, errSlow)
			continue
		}
		if errFast == nil && !reflect.DeepEqual(fast, slow) {
			t.Errorf("%s: DecodeStrict decoded %+v, the listing path %+v", in, fast, slow)
		}
	}
}

// TestDecodeStrictNamesWhatIsWrong pins what a user is told: every unknown
// top-level field, a field written in another case, and a type mismatch by
// its field.
func TestDecodeStrictNamesWhatIsWrong(t *testing.T) {
	cases := map[string]string{
		`{"url":"x","nope":1,"URL":"y"}`: "invalid input (check.URL: unknown field; check.nope: unknown field)",
		`{"timeout_ms":"5"}`:             "invalid input (check.timeout_ms: must be an integer)",
		`{"inner":{"extra":1}}`:          "invalid input (check: must be a JSON object)",
		`[1]`:                            "invalid input (check: must be a JSON object)",
		`{"url":"x"} {}`:                 "invalid input (check: must be a JSON object)",
	}
	for in, want := range cases {
		err := DecodeStrict(json.RawMessage(in), &strictDst{}, "check")
		if err == nil || err.Error() != want {
			t.Errorf("%s: got %v, want %s", in, err, want)
		}
	}
	var d strictDst
	if err := DecodeStrict(json.RawMessage(`{"url":"https://a.example","codes":[200],"inner":{"name":"n"}}`), &d, "check"); err != nil {
		t.Fatal(err)
	}
	if d.URL != "https://a.example" || !reflect.DeepEqual(d.Codes, []int{200}) || d.Inner.Name != "n" {
		t.Errorf("decoded %+v", d)
	}
}

func BenchmarkDecodeStrict(b *testing.B) {
	raw := json.RawMessage(`{"url":"https://a.example/health","method":"GET","timeout_ms":5000,"follow":true,"codes":[200,204]}`)
	b.ReportAllocs()
	for b.Loop() {
		var d strictDst
		if err := DecodeStrict(raw, &d, "check"); err != nil {
			b.Fatal(err)
		}
	}
}

// TestDecodeStrictTakesOnePassForKnownObjects pins that the usual objects
// are decoded once (the reason decodeKnown exists), nested arrays, objects
// and strings that look like names included, and that it declines what the
// listing path must name.
func TestDecodeStrictTakesOnePassForKnownObjects(t *testing.T) {
	once := []string{`{}`, `{"url":"x"}`, `{"codes":[1,2],"url":"y"}`, `{"items":[{"name":"nope"}],"url":"nope"}`,
		`{"headers":{"nope":"url"},"inner":{"name":"a","count":1},"Plain":"x"}`, `{"url":"a\"nope\":"}`, `{"url":"a\",\"nope"}`, `{"items":[],"codes":[]}`}
	for _, in := range once {
		if !decodeKnown([]byte(in), &strictDst{}) {
			t.Errorf("%s: not decoded in one pass", in)
		}
	}
	declined := []string{`{"URL":"x"}`, `{"url":"x","nope":1}`, `{"u\u0072l":"x"}`, `{"url":"x"} {}`, `{"inner":{"extra":1}}`, `[]`, `{"codes":[1],"nope":2}`}
	for _, in := range declined {
		if decodeKnown([]byte(in), &strictDst{}) {
			t.Errorf("%s: decoded in one pass", in)
		}
	}
}

// BenchmarkDecodeListing is the general path, for comparison.
func BenchmarkDecodeListing(b *testing.B) {
	raw := []byte(`{"url":"https://a.example/health","method":"GET","timeout_ms":5000,"follow":true,"codes":[200,204]}`)
	b.ReportAllocs()
	for b.Loop() {
		var d strictDst
		if err := decodeListing(raw, &d, "check"); err != nil {
			b.Fatal(err)
		}
	}
}
