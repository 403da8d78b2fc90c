package cmd

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestChannelTestNamesAllowPrivateWebhooks: with the default config a
// channel aimed at the internal network is refused, and the error the user
// sees names the setting that allows it.
func TestChannelTestNamesAllowPrivateWebhooks(t *testing.T) {
	app := MustApp(t, backends()[0].cfg(t))
	token := mustSignup(t, app, "ada@example.com")
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		t.Error("the blocked receiver was reached")
	}))
	defer receiver.Close()
	smtp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer smtp.Close()
	_, smtpPort, _ := net.SplitHostPort(smtp.Addr().String())

	for _, tc := range []struct{ name, body string }{
		{"webhook", `{"name":"internal hook","type":"webhook","config":{"url":"` + receiver.URL + `/hook","secret":"0123456789abcdef0"}}`},
		{"slack", `{"name":"internal slack","type":"slack","config":{"url":"` + receiver.URL + `/slack"}}`},
		{"email", fmt.Sprintf(`{"name":"internal smtp","type":"email","config":{"host":"127.0.0.1","port":%s,"from":"bs@example.com","to":["ops@example.com"],"tls":"none"}}`, smtpPort)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, app, "POST", "/api/v1/channels", token, tc.body)
			if r.Status != http.StatusCreated {
				t.Fatalf("create channel: %d %s", r.Status, r.Body)
			}
			var ch struct{ ID int64 }
			r.JSON(t, &ch)
			r = do(t, app, "POST", fmt.Sprintf("/api/v1/channels/%d/test", ch.ID), token, "")
			var res struct {
				Delivered bool
				Error     string
			}
			if err := json.Unmarshal([]byte(r.Body), &res); err != nil || r.Status != http.StatusOK {
				t.Fatalf("test send: %d %s", r.Status, r.Body)
			}
			if res.Delivered || !strings.Contains(res.Error, "non-public address") ||
				!strings.Contains(res.Error, "allow_private_webhooks") || !strings.Contains(res.Error, "BETTERSTACK_ALLOW_PRIVATE_WEBHOOKS") {
				t.Errorf("test send = %+v, want a refusal naming allow_private_webhooks", res)
			}
		})
	}
}
