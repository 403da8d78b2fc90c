package dashboard

import (
	"encoding/json"
	"fmt"
	"testing"
)

func TestPhaseRows(t *testing.T) {
	for _, tc := range []struct {
		name string
		raw  string
		want string
	}{
		{"request order, zero phases left out", `{"transfer_ms":2,"ttfb_ms":30,"tls_ms":0,"dns_ms":1.5,"connect_ms":4}`,
			"[{DNS 1.5} {Connect 4} {First byte 30} {Transfer 2}]"},
		{"unknown phases follow, sorted", `{"dns_ms":1,"zz_ms":3,"aa_ms":2}`, "[{DNS 1} {aa_ms 2} {zz_ms 3}]"},
		{"nothing", ``, "[]"},
		{"not an object", `"oops"`, "[]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := fmt.Sprint(phaseRows(json.RawMessage(tc.raw))); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestSentence(t *testing.T) {
	for in, want := range map[string]string{
		"the incident is already resolved": "The incident is already resolved.",
		"Done.":                            "Done.",
		"":                                 "",
	} {
		if got := sentence(in); got != want {
			t.Errorf("sentence(%q) = %q, want %q", in, got, want)
		}
	}
}
