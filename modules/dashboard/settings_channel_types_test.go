package dashboard

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/apperr"
	"github.com/betterstack/betterstack/modules/incident"
	"github.com/betterstack/betterstack/modules/notify"
)

// The form table must follow package notify: every type has a form, and
// every field of a form is a field of the type, with the right JSON type.
func TestChannelTypesMatchNotify(t *testing.T) {
	var names []string
	for _, ct := range channelTypes {
		names = append(names, ct.Name)
	}
	slices.Sort(names)
	if !slices.Equal(names, notify.Types()) {
		t.Fatalf("form types %v, notify types %v", names, notify.Types())
	}
	samples := map[string]string{fieldText: "x", fieldURL: "https://example.com/t", fieldEmail: "a@example.com",
		fieldSecret: "s3cret-0123456789abcdef", fieldNumber: "2", fieldList: "a@example.com, b@example.com", fieldSelect: ""}
	for _, ct := range channelTypes {
		t.Run(ct.Name, func(t *testing.T) {
			form := url.Values{}
			for _, f := range ct.Fields {
				v := samples[f.Kind]
				if f.Kind == fieldSelect {
					v = f.Options[0]
				}
				form.Set("config."+f.Key, v)
			}
			_, config, bad := channelForm(ct, form.Get, false, nil)
			if len(bad) > 0 {
				t.Fatalf("form errors: %v", bad)
			}
			var fields map[string]string
			if _, err := notify.Parse(ct.Name, config); apperr.As(err) != nil {
				fields = apperr.As(err).Fields
			}
			for field, msg := range fields {
				if msg == "unknown field" || strings.HasPrefix(msg, "must be a string") || strings.HasPrefix(msg, "must be an integer") ||
					strings.HasPrefix(msg, "must be a list") || field == "config" {
					t.Errorf("%s: %s (config %s)", field, msg, config)
				}
			}
		})
	}
}

func TestChannelForm(t *testing.T) {
	ct, _ := channelTypeOf("email")
	saved := channelInputs(ct, json.RawMessage(`{"host":"smtp.example.com","port":465,"username":"u","password":"********","from":"a@example.com","to":["b@example.com","c@example.com"],"tls":"tls"}`))
	byKey := map[string]channelInput{}
	for _, in := range saved {
		byKey[in.Key] = in
	}
	if byKey["port"].Value != "465" || byKey["to"].Value != "b@example.com, c@example.com" || byKey["password"].Value != "" || !byKey["password"].Saved {
		t.Fatalf("inputs from stored config: %+v", saved)
	}
	form := url.Values{"config.host": {" smtp.example.com "}, "config.port": {"587"}, "config.username": {"u"}, "config.password": {""},
		"config.from": {"a@example.com"}, "config.to": {"b@example.com;\nc@example.com,, "}, "config.tls": {"starttls"}}
	_, raw, bad := channelForm(ct, form.Get, true, saved)
	if len(bad) > 0 {
		t.Fatal(bad)
	}
	var got map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	if got["password"] != notify.Masked || got["port"] != 587.0 || got["host"] != "smtp.example.com" ||
		len(got["to"].([]any)) != 2 {
		t.Errorf("config from the edit form: %s", raw)
	}
	// Creating, an empty secret is left out; a bad number is named.
	form.Set("config.port", "lots")
	_, raw, bad = channelForm(ct, form.Get, false, nil)
	if bad["config.port"] == "" || strings.Contains(string(raw), "password") {
		t.Errorf("create form: %v %s", bad, raw)
	}
}

func TestWindowFromForm(t *testing.T) {
	berlin := url.Values{"name": {"deploy"}, "kind": {"oneoff"}, "monitor_ids": {"3", "4"}, "time_zone": {"Europe/Berlin"},
		"starts_at": {"2030-07-01T10:00"}, "ends_at": {"2030-07-01T10:30:00"}}
	w, bad := windowFromForm(berlin.Get, berlin["weekdays"], berlin["monitor_ids"])
	if len(bad) > 0 || w.StartsAt.Format(time.RFC3339) != "2030-07-01T08:00:00Z" || w.EndsAt.Format(time.RFC3339) != "2030-07-01T08:30:00Z" ||
		!slices.Equal(w.MonitorIDs, []int64{3, 4}) || w.TimeZone != "" {
		t.Fatalf("one-off: %+v %v", w, bad)
	}
	for _, tc := range []struct {
		name  string
		form  url.Values
		field string
	}{
		{"no kind", url.Values{}, "kind"},
		{"bad zone", url.Values{"kind": {"oneoff"}, "time_zone": {"Nowhere/Land"}, "starts_at": {"2030-07-01T10:00"}, "ends_at": {"2030-07-01T11:00"}}, "time_zone"},
		{"local zone", url.Values{"kind": {"oneoff"}, "time_zone": {"Local"}, "starts_at": {"2030-07-01T10:00"}, "ends_at": {"2030-07-01T11:00"}}, "time_zone"},
		{"bad start", url.Values{"kind": {"oneoff"}, "starts_at": {"tomorrow"}, "ends_at": {"2030-07-01T11:00"}}, "starts_at"},
		{"bad monitor", url.Values{"kind": {"oneoff"}, "monitor_ids": {"x"}, "starts_at": {"2030-07-01T10:00"}, "ends_at": {"2030-07-01T11:00"}}, "monitor_ids"},
		{"no days", url.Values{"kind": {"weekly"}, "start_time": {"03:00"}, "duration_minutes": {"30"}}, "weekdays"},
		{"bad duration", url.Values{"kind": {"weekly"}, "weekdays": {"1"}, "start_time": {"03:00"}, "duration_minutes": {"half an hour"}}, "duration_minutes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, bad := windowFromForm(tc.form.Get, tc.form["weekdays"], tc.form["monitor_ids"]); bad[tc.field] == "" {
				t.Errorf("no error on %s: %v", tc.field, bad)
			}
		})
	}
	weekly := url.Values{"kind": {"weekly"}, "weekdays": {"4", "2"}, "start_time": {"03:00"}, "duration_minutes": {"90"}}
	w, bad = windowFromForm(weekly.Get, weekly["weekdays"], nil)
	if len(bad) > 0 || w.TimeZone != "UTC" || w.DurationMinutes != 90 || w.StartsAt != nil {
		t.Fatalf("weekly: %+v %v", w, bad)
	}
}

func TestDescribeWindow(t *testing.T) {
	now := time.Date(2030, 7, 2, 1, 30, 0, 0, time.UTC) // a Tuesday, 03:30 in Berlin
	start, end := now.Add(-time.Hour), now.Add(time.Hour)
	for _, tc := range []struct {
		name            string
		w               incident.Window
		schedule, state string
	}{
		{"one-off now", incident.Window{StartsAt: &start, EndsAt: &end}, "Jul 2, 2030 00:30 – Jul 2, 2030 02:30 UTC", "active"},
		{"one-off past", incident.Window{StartsAt: &start, EndsAt: &start}, "Jul 2, 2030 00:30 – Jul 2, 2030 00:30 UTC", "ended"},
		{"weekly now", incident.Window{Weekdays: []int{2, 4}, StartTime: "03:00", DurationMinutes: 45, TimeZone: "Europe/Berlin"},
			"Every Tue, Thu at 03:00 for 45 min (Europe/Berlin)", "active"},
		{"weekly later", incident.Window{Weekdays: []int{0, 1, 2, 3, 4, 5, 6}, StartTime: "22:00", DurationMinutes: 150, TimeZone: "UTC"},
			"Every day at 22:00 for 2 h 30 min (UTC)", "scheduled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			it := describeWindow(tc.w, nil, now)
			if it.Schedule != tc.schedule || it.State != tc.state {
				t.Errorf("got %q %q, want %q %q", it.Schedule, it.State, tc.schedule, tc.state)
			}
		})
	}
	for n, want := range map[int]string{30: "30 min", 60: "1 h", 90: "1 h 30 min", 1440: "1 d", 1530: "1 d 1 h 30 min", 1500: "1 d 1 h", 1441: "1 d 1 min"} {
		if got := durationMinutes(n); got != want {
			t.Errorf("durationMinutes(%d) = %q, want %q", n, got, want)
		}
	}
}
