package heartbeat

import (
	"errors"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/apperr"
)

func TestValidate(t *testing.T) {
	const day = 24 * time.Hour
	ok := Schedule{Period: h, Grace: 5 * m}
	cron := Schedule{Cron: "30 2 * * *", TZ: "Europe/Berlin", Grace: 5 * m}
	tests := []struct {
		name string
		s    Schedule
		want map[string]string // field: message; nil for valid
	}{
		{"period schedule", ok, nil},
		{"cron schedule", cron, nil},
		{"cron in UTC", with(cron, func(s *Schedule) { s.TZ = "" }), nil},
		{"cron with names, lists, ranges and steps", with(cron, func(s *Schedule) { s.Cron = "*/10 8-18 1,15 JAN-JUN MON-FRI" }), nil},
		{"29 February matches every four years", with(cron, func(s *Schedule) { s.Cron = "0 0 29 2 *" }), nil},

		{"neither period nor cron", Schedule{Grace: m},
			map[string]string{"check.period": "set a period or a cron expression"}},
		{"both period and cron", with(cron, func(s *Schedule) { s.Period = h }),
			map[string]string{"check.period": "leave empty when a cron expression is set"}},
		{"a zone without cron", with(ok, func(s *Schedule) { s.TZ = "Europe/Berlin" }),
			map[string]string{"check.tz": "only used with a cron expression"}},

		{"period of the minimum", with(ok, func(s *Schedule) { s.Period = m }), nil},
		{"period below the minimum", with(ok, func(s *Schedule) { s.Period = m - ns }),
			map[string]string{"check.period": "must be from 1m to 400 days"}},
		{"period of the maximum", with(ok, func(s *Schedule) { s.Period = 400 * day }), nil},
		{"period above the maximum", with(ok, func(s *Schedule) { s.Period = 400*day + ns }),
			map[string]string{"check.period": "must be from 1m to 400 days"}},
		{"negative period", with(ok, func(s *Schedule) { s.Period = -h }),
			map[string]string{"check.period": "must be from 1m to 400 days"}},

		{"grace of the minimum", with(ok, func(s *Schedule) { s.Grace = m }), nil},
		{"grace below the minimum", with(ok, func(s *Schedule) { s.Grace = m - ns }),
			map[string]string{"check.grace": "must be from 1m to 400 days"}},
		{"grace of the maximum", with(ok, func(s *Schedule) { s.Grace = 400 * day }), nil},
		{"grace above the maximum", with(ok, func(s *Schedule) { s.Grace = 400*day + ns }),
			map[string]string{"check.grace": "must be from 1m to 400 days"}},

		{"min run alone", with(ok, func(s *Schedule) { s.MinRun = m }), nil},
		{"min run of the maximum", with(ok, func(s *Schedule) { s.MinRun = 400 * day }), nil},
		{"min run above the maximum", with(ok, func(s *Schedule) { s.MinRun = 400*day + ns }),
			map[string]string{"check.min_run": "must be from 0 (none) to 400 days"}},
		{"negative min run", with(ok, func(s *Schedule) { s.MinRun = -ns }),
			map[string]string{"check.min_run": "must be from 0 (none) to 400 days"}},
		{"max run alone", with(ok, func(s *Schedule) { s.MaxRun = h }), nil},
		{"max run of the maximum", with(ok, func(s *Schedule) { s.MaxRun = 400 * day }), nil},
		{"max run above the maximum", with(ok, func(s *Schedule) { s.MaxRun = 400*day + ns }),
			map[string]string{"check.max_run": "must be from 0 (none) to 400 days"}},
		{"negative max run", with(ok, func(s *Schedule) { s.MaxRun = -ns }),
			map[string]string{"check.max_run": "must be from 0 (none) to 400 days"}},
		{"min run just below max run", with(ok, func(s *Schedule) { s.MinRun, s.MaxRun = h-ns, h }), nil},
		{"min run equal to max run", with(ok, func(s *Schedule) { s.MinRun, s.MaxRun = h, h }),
			map[string]string{"check.min_run": "must be less than the maximum run time"}},

		{"cron with six fields", with(cron, func(s *Schedule) { s.Cron = "0 30 2 * * *" }),
			map[string]string{"check.cron": "must have 5 fields (minute hour day-of-month month day-of-week), not 6"}},
		{"cron with a zone prefix", with(cron, func(s *Schedule) { s.Cron = "TZ=Europe/Berlin 30 2 * * *" }),
			map[string]string{"check.cron": "must have 5 fields (minute hour day-of-month month day-of-week), not 6"}},
		{"cron descriptor", with(cron, func(s *Schedule) { s.Cron = "@daily" }),
			map[string]string{"check.cron": "must have 5 fields (minute hour day-of-month month day-of-week), not 1"}},
		{"cron out of range", with(cron, func(s *Schedule) { s.Cron = "61 * * * *" }),
			map[string]string{"check.cron": "not a cron expression: end of range (61) above maximum (59): 61"}},
		{"cron that never matches", with(cron, func(s *Schedule) { s.Cron = "0 0 30 2 *" }),
			map[string]string{"check.cron": "never matches a date (such as 30 February)"}},
		{"unknown zone", with(cron, func(s *Schedule) { s.TZ = "Mars/Olympus" }),
			map[string]string{"check.tz": `unknown time zone "Mars/Olympus": use an IANA name such as "Europe/Berlin"`}},
		{"the server's zone", with(cron, func(s *Schedule) { s.TZ = "Local" }),
			map[string]string{"check.tz": `use an IANA zone name such as "Europe/Berlin"`}},

		{"every field at once", Schedule{Cron: "x", TZ: "Nowhere", Grace: -1, MinRun: 2 * h, MaxRun: h},
			map[string]string{
				"check.cron":    "must have 5 fields (minute hour day-of-month month day-of-week), not 1",
				"check.tz":      `unknown time zone "Nowhere": use an IANA name such as "Europe/Berlin"`,
				"check.grace":   "must be from 1m to 400 days",
				"check.min_run": "must be less than the maximum run time",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.s.Validate()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			e := apperr.As(err)
			if e == nil || e.Kind != apperr.Invalid {
				t.Fatalf("Validate = %v, want a validation error", err)
			}
			if !maps.Equal(e.Fields, tt.want) {
				t.Errorf("fields = %v\nwant %v", e.Fields, tt.want)
			}
		})
	}
}

func TestParseSignal(t *testing.T) {
	good := []struct {
		in   string
		sig  Signal
		code int
	}{
		{"", Success, 0},
		{"start", Start, 0},
		{"fail", Fail, 0},
		{"log", Log, 0},
		{"0", Exit, 0},
		{"1", Exit, 1},
		{"3", Exit, 3},
		{"255", Exit, 255},
	}
	for _, tt := range good {
		sig, code, err := ParseSignal(tt.in)
		if err != nil || sig != tt.sig || code != tt.code {
			t.Errorf("ParseSignal(%q) = %v, %d, %v; want %v, %d", tt.in, sig, code, err, tt.sig, tt.code)
		}
	}
	for _, in := range []string{"256", "-1", "+1", "01", "00", "1.0", " 1", "x", "START", "success", "start/"} {
		sig, code, err := ParseSignal(in)
		if !errors.Is(err, ErrUnknownSignal) || apperr.KindOf(err) != apperr.NotFound || sig != 0 || code != 0 {
			t.Errorf("ParseSignal(%q) = %v, %d, %v; want ErrUnknownSignal", in, sig, code, err)
		}
	}
}

func TestSignalString(t *testing.T) {
	got := []string{}
	for _, g := range []Signal{Success, Start, Fail, Log, Exit, 0, 9} {
		got = append(got, g.String())
	}
	want := []string{"", "start", "fail", "log", "exit", "signal(0)", "signal(9)"}
	if !slices.Equal(got, want) {
		t.Errorf("String = %q, want %q", got, want)
	}
}
