package checkin

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestPingJSONExitCode: exit_code is the code an exit ping sent, 0
// included, and null for every other signal: a /fail used to read
// "exit_code": 0, as if the job had exited cleanly.
func TestPingJSONExitCode(t *testing.T) {
	at := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		p    Ping
		want string
	}{
		{Ping{Signal: "exit", ExitCode: 0, At: at}, `"exit_code":0`},
		{Ping{Signal: "exit", ExitCode: 127, At: at}, `"exit_code":127`},
		{Ping{Signal: "fail", At: at}, `"exit_code":null`},
		{Ping{Signal: "success", At: at}, `"exit_code":null`},
		{Ping{Signal: "start", At: at}, `"exit_code":null`},
	} {
		b, err := json.Marshal(tc.p)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), tc.want) || strings.Count(string(b), "exit_code") != 1 {
			t.Errorf("%s: %s, want %s once", tc.p.Signal, b, tc.want)
		}
		if !strings.Contains(string(b), `"signal":"`+tc.p.Signal+`"`) || !strings.Contains(string(b), `"at":"2026-12-05T10:00:00Z"`) {
			t.Errorf("%s: the other fields are missing: %s", tc.p.Signal, b)
		}
	}
}
