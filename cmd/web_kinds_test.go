package cmd

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/betterstack/betterstack/modules/config"
	"github.com/betterstack/betterstack/modules/probe"
)

// TestWebMonitorFormEveryKind: the form offers every registered kind as a
// link (so choosing works without JavaScript), shows only the chosen
// kind's fields, creates a monitor of each kind, names a bad setting next
// to its field, and the overview and monitor page say the kind.
func TestWebMonitorFormEveryKind(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg config.Config) {
		app := MustApp(t, cfg)
		b := mustWebSignup(t, app, "kinds@example.com")
		r := b.get("/monitors/new")
		for _, k := range probe.Kinds() {
			if !strings.Contains(r.Body, `href="/monitors/new?kind=`+k.Name+`"`) {
				t.Errorf("new form does not offer kind %s", k.Name)
			}
		}
		settings := map[string]url.Values{
			"http":      {"check.url": {"https://shop.example/health"}, "check.method": {"GET"}, "check.expected_status": {"2xx"}},
			"tcp":       {"check.host": {"db.example"}, "check.port": {"5432"}, "check.expect": {"+PONG"}},
			"dns":       {"check.name": {"example.org"}, "check.record_type": {"MX"}, "check.expected": {"10 mx.example.org"}},
			"icmp":      {"check.host": {"gw.example"}, "check.count": {"3"}},
			"tls":       {"check.host": {"shop.example"}, "check.port": {"443"}, "check.degraded_days": {"21"}},
			"domain":    {"check.name": {"example.org"}, "check.down_days": {"10"}},
			"heartbeat": {"check.cron": {"0 3 * * *"}, "check.tz": {"Europe/Berlin"}, "check.grace": {"15m"}},
		}
		if len(settings) != len(probe.Kinds()) {
			t.Fatalf("the test covers %d kinds, the registry has %d", len(settings), len(probe.Kinds()))
		}
		for _, k := range probe.Kinds() {
			r := b.get("/monitors/new?kind=" + k.Name)
			for _, other := range probe.Kinds() {
				for _, f := range other.Fields {
					has := strings.Contains(r.Body, `name="check.`+f.Name+`"`)
					mine := false
					for _, own := range k.Fields {
						mine = mine || own.Name == f.Name
					}
					if has != mine {
						t.Errorf("%s form: field check.%s shown=%v, want %v", k.Name, f.Name, has, mine)
					}
				}
			}
			form := settings[k.Name]
			form.Set("kind", k.Name)
			form.Set("name", k.Name+" monitor")
			form.Set("interval_seconds", "60")
			r = b.post("/monitors/new", form)
			if r.Status != http.StatusSeeOther {
				t.Fatalf("create %s: %d %s", k.Name, r.Status, r.Body)
			}
			id, err := strconv.ParseInt(strings.TrimPrefix(r.Header.Get("Location"), "/monitors/"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			m, err := app.Monitors.Get(context.Background(), workspaceID(t, app, b), id)
			if err != nil || m.Check.Kind != k.Name {
				t.Fatalf("stored %s monitor: %+v %v", k.Name, m.Check, err)
			}
			var stored map[string]any
			if err := json.Unmarshal(m.Check.Config, &stored); err != nil {
				t.Fatal(err)
			}
			for field, v := range form {
				name, ok := strings.CutPrefix(field, "check.")
				if !ok {
					continue
				}
				if got := strings.Trim(strings.ReplaceAll(string(mustJSON(t, stored[name])), `"`, ""), "[]"); got != v[0] {
					t.Errorf("%s: check.%s stored as %s, want %s", k.Name, name, got, v[0])
				}
			}
			summary := k.Title
			if k.Name == "http" {
				summary = "GET https://shop.example/health"
			}
			wantPage(t, k.Name+" monitor page", b.get("/monitors/"+strconv.FormatInt(id, 10)), 200, []string{summary})
			// The edit form shows the stored settings of the same kind.
			wantPage(t, k.Name+" edit form", b.get("/monitors/"+strconv.FormatInt(id, 10)+"/edit"), 200,
				[]string{`<input type="hidden" name="kind" value="` + k.Name + `">`, `aria-current="true" class="current">` + k.Title})
		}
		wantPage(t, "overview shows kinds", b.get("/"), 200, []string{`<span class="kind-tag">tcp</span> db.example:5432`,
			`<span class="kind-tag">dns</span> MX example.org`})

		// A bad setting is named next to its field and the input is kept.
		r = b.post("/monitors/new", url.Values{"kind": {"tcp"}, "name": {"bad"}, "check.host": {"db.example"}, "check.port": {"70000"}})
		wantPage(t, "invalid tcp form", r, http.StatusUnprocessableEntity, []string{`value="70000"`, `aria-invalid="true"`, "65535"})
		r = b.post("/monitors/new", url.Values{"kind": {"gopher"}, "name": {"bad"}})
		wantPage(t, "unknown kind", r, http.StatusUnprocessableEntity, []string{"must be one of"})
	})
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
