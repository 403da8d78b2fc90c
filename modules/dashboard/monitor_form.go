package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/betterstack/betterstack/modules/apperr"
	"github.com/betterstack/betterstack/modules/monitor"
	"github.com/betterstack/betterstack/modules/server"
	"github.com/betterstack/betterstack/modules/web"
)

// monitorForm is the monitor form as typed, so a form with errors comes
// back exactly as the user left it. Field names are the API's JSON names,
// which is also how validation errors name them.
type monitorForm struct {
	Name, URL, Method, Headers, Body  string
	ExpectedStatus, Keyword           string
	KeywordAbsent, FollowRedirects    bool
	DegradedAfterMS                   string
	IntervalSeconds, TimeoutMS        string
	Regions                           []string // ticked
	OtherRegions                      string   // typed, comma-separated
	Quorum                            string
	FailureThreshold                  string
	RecoveryThreshold, RemindEverySec string
	ChannelIDs                        []int64
	Paused                            bool
}

// formOf fills the form from a monitor (monitor.Defaults for a new one).
func formOf(m monitor.Monitor) monitorForm {
	names := make([]string, 0, len(m.Headers))
	for k := range m.Headers {
		names = append(names, k)
	}
	sort.Strings(names)
	var headers strings.Builder
	for _, k := range names {
		fmt.Fprintf(&headers, "%s: %s\n", k, m.Headers[k])
	}
	num := func(n int) string {
		if n == 0 {
			return ""
		}
		return strconv.Itoa(n)
	}
	return monitorForm{
		Name: m.Name, URL: m.URL, Method: m.Method, Headers: headers.String(), Body: m.Body,
		ExpectedStatus: strings.Join(m.ExpectedStatus, ", "), Keyword: m.Keyword, KeywordAbsent: m.KeywordAbsent,
		FollowRedirects: m.FollowRedirects, DegradedAfterMS: strconv.Itoa(m.DegradedAfterMS),
		IntervalSeconds: num(m.IntervalSeconds), TimeoutMS: num(m.TimeoutMS), Regions: m.Regions,
		Quorum: strconv.Itoa(m.Quorum), FailureThreshold: num(m.FailureThreshold), RecoveryThreshold: num(m.RecoveryThreshold),
		RemindEverySec: strconv.Itoa(m.RemindEverySeconds), ChannelIDs: m.ChannelIDs, Paused: m.Paused,
	}
}

// readForm reads the posted form. Unticked checkboxes are not posted at
// all, so they read as false.
func readForm(c echo.Context) (monitorForm, apperr.Fields, error) {
	v, err := c.FormParams()
	if err != nil {
		return monitorForm{}, nil, apperr.New(apperr.BadRequest, "the form could not be read")
	}
	bad := apperr.Fields{}
	f := monitorForm{
		Name: v.Get("name"), URL: v.Get("url"), Method: v.Get("method"), Headers: v.Get("headers"), Body: v.Get("body"),
		ExpectedStatus: v.Get("expected_status"), Keyword: v.Get("keyword"), KeywordAbsent: v.Get("keyword_absent") != "",
		FollowRedirects: v.Get("follow_redirects") != "", DegradedAfterMS: v.Get("degraded_after_ms"),
		IntervalSeconds: v.Get("interval_seconds"), TimeoutMS: v.Get("timeout_ms"), Regions: v["regions"],
		OtherRegions: v.Get("regions_other"), Quorum: v.Get("quorum"), FailureThreshold: v.Get("failure_threshold"),
		RecoveryThreshold: v.Get("recovery_threshold"), RemindEverySec: v.Get("remind_every_seconds"), Paused: v.Get("paused") != "",
	}
	for _, s := range v["channel_ids"] {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			bad.Add("channel_ids", "lists a channel that does not exist")
			continue
		}
		f.ChannelIDs = append(f.ChannelIDs, id)
	}
	return f, bad, nil
}

// input turns the form into the service's input and adds to bad what
// cannot even be parsed (a number that is not one, a header line without
// a colon). An empty number takes the default (or keeps the current value
// when editing); the optional ones (quorum, degraded, remind) mean 0.
func (f monitorForm) input(bad apperr.Fields) monitor.Input {
	number := func(field, raw string, emptyIsZero bool) *int {
		raw = strings.TrimSpace(strings.ReplaceAll(raw, "_", ""))
		if raw == "" {
			if emptyIsZero {
				return new(int)
			}
			return nil
		}
		n, err := strconv.Atoi(raw)
		if err != nil {
			bad.Add(field, "must be a whole number")
			return nil
		}
		return &n
	}
	in := monitor.Input{
		Name: &f.Name, URL: &f.URL, Method: &f.Method, Body: &f.Body, Keyword: &f.Keyword,
		KeywordAbsent: &f.KeywordAbsent, FollowRedirects: &f.FollowRedirects, Paused: &f.Paused,
		IntervalSeconds:    number("interval_seconds", f.IntervalSeconds, false),
		TimeoutMS:          number("timeout_ms", f.TimeoutMS, false),
		FailureThreshold:   number("failure_threshold", f.FailureThreshold, false),
		RecoveryThreshold:  number("recovery_threshold", f.RecoveryThreshold, false),
		Quorum:             number("quorum", f.Quorum, true),
		DegradedAfterMS:    number("degraded_after_ms", f.DegradedAfterMS, true),
		RemindEverySeconds: number("remind_every_seconds", f.RemindEverySec, true),
	}
	if in.TimeoutMS == nil && in.IntervalSeconds != nil {
		t := monitor.DefaultTimeoutFor(*in.IntervalSeconds)
		in.TimeoutMS = &t
	}
	if h, msg := parseHeaders(f.Headers); msg != "" {
		bad.Add("headers", msg)
	} else {
		in.Headers = &h
	}
	expected := splitList(f.ExpectedStatus)
	regions := append(slices.Clone(f.Regions), splitList(f.OtherRegions)...)
	channels := slices.Clone(f.ChannelIDs)
	if channels == nil {
		channels = []int64{}
	}
	in.ExpectedStatus, in.Regions, in.ChannelIDs = &expected, &regions, &channels
	return in
}

// parseHeaders reads "Name: value" lines; blank lines are skipped.
func parseHeaders(text string) (map[string]string, string) {
	out := map[string]string{}
	for i, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			return nil, fmt.Sprintf(`line %d is not "Name: value"`, i+1)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Sprintf("%q is given twice", name)
		}
		out[name] = strings.TrimSpace(value)
	}
	return out, ""
}

// splitList splits "2xx, 301 404" on commas and spaces.
func splitList(s string) []string {
	out := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r' })
	if out == nil {
		out = []string{}
	}
	return out
}

// formPage is the create and edit form's data.
type formPage struct {
	web.Page
	ID       int64 // 0 = a new monitor
	F        monitorForm
	Error    string
	Errors   map[string]string
	Methods  []string
	Regions  []checkOption
	Channels []checkOption
}

// checkOption is one checkbox of a list.
type checkOption struct {
	Value, Label string
	Checked      bool
}

func (h *Handler) newMonitorForm(c echo.Context) error {
	return h.renderForm(c, http.StatusOK, 0, formOf(monitor.Defaults()), nil)
}

func (h *Handler) editMonitorForm(c echo.Context) error {
	id, err := monitor.ID(c)
	if err != nil {
		return err
	}
	m, err := h.deps.Monitors.Get(c.Request().Context(), server.UserID(c), id)
	if err != nil {
		return err
	}
	return h.renderForm(c, http.StatusOK, id, formOf(m), nil)
}

func (h *Handler) createMonitor(c echo.Context) error { return h.saveMonitor(c, 0) }

func (h *Handler) updateMonitor(c echo.Context) error {
	id, err := monitor.ID(c)
	if err != nil {
		return err
	}
	return h.saveMonitor(c, id)
}

// saveMonitor creates (id 0) or updates a monitor from the posted form, or
// shows the form again with every problem next to its field.
func (h *Handler) saveMonitor(c echo.Context, id int64) error {
	ctx, uid := c.Request().Context(), server.UserID(c)
	f, bad, err := readForm(c)
	if err != nil {
		return err
	}
	in := f.input(bad)
	var m monitor.Monitor
	switch {
	case len(bad) > 0:
		// Validate the rest too, so the user sees every problem at once.
		if err = h.deps.Monitors.Validate(ctx, uid, id, in); err == nil || apperr.KindOf(err) == apperr.Invalid {
			if ae := apperr.As(err); ae != nil {
				for k, v := range ae.Fields {
					bad.Add(k, v)
				}
			}
			err = bad.Err()
		}
	case id == 0:
		m, err = h.deps.Monitors.Create(ctx, uid, in)
	default:
		m, err = h.deps.Monitors.Update(ctx, uid, id, in)
	}
	if ae := apperr.As(err); ae != nil && ae.Kind == apperr.Invalid {
		return h.renderForm(c, http.StatusUnprocessableEntity, id, f, ae)
	}
	if err != nil {
		return err
	}
	flash := "Saved " + m.Name + "."
	if id == 0 {
		flash = "Created " + m.Name + "; the first check runs now."
	}
	return redirect(c, "/monitors/"+strconv.FormatInt(m.ID, 10), flash)
}

// renderForm shows the form with the user's regions and channels to tick,
// and what is wrong when invalid is set.
func (h *Handler) renderForm(c echo.Context, status int, id int64, f monitorForm, invalid *apperr.Error) error {
	ctx, uid := c.Request().Context(), server.UserID(c)
	title := "New monitor"
	switch {
	case id != 0 && strings.TrimSpace(f.Name) != "":
		title = "Edit " + f.Name
	case id != 0:
		title = "Edit monitor"
	}
	p := formPage{Page: h.page(c, title, "overview"), ID: id, F: f, Errors: map[string]string{}, Methods: monitor.Methods(),
		Regions: h.regionOptions(ctx, f.Regions)}
	if invalid != nil {
		p.Error = invalid.Message
		if len(invalid.Fields) > 0 {
			p.Error, p.Errors = "Please correct the fields marked below.", invalid.Fields
		}
	}
	chans, err := h.deps.Channels.List(ctx, uid)
	if err != nil {
		return err
	}
	for _, ch := range chans {
		p.Channels = append(p.Channels, checkOption{Value: strconv.FormatInt(ch.ID, 10), Label: ch.Name + " (" + ch.Type + ")",
			Checked: slices.Contains(f.ChannelIDs, ch.ID)})
	}
	return h.r.Render(c, status, "pages/monitor_form", p)
}

// regionOptions lists the regions with workers and the ticked ones, by
// name. Without the queue (it is down) only the ticked ones are listed:
// the form still works, with the free-text field for the rest.
func (h *Handler) regionOptions(ctx context.Context, ticked []string) []checkOption {
	seen := map[string]bool{}
	var out []checkOption
	if h.deps.Regions != nil {
		regions, err := h.deps.Regions.Regions(ctx, h.cfg.LiveWithin)
		if err != nil {
			h.log.Warn("list regions for the monitor form", "err", err)
		}
		for _, r := range regions {
			label := r.Name + " (no live worker)"
			if r.Live {
				label = r.Name + " (" + plural(r.Workers, "worker") + ")"
			}
			seen[r.Name] = true
			out = append(out, checkOption{Value: r.Name, Label: label, Checked: slices.Contains(ticked, r.Name)})
		}
	}
	for _, r := range ticked {
		if !seen[r] {
			seen[r] = true
			out = append(out, checkOption{Value: r, Label: r + " (no worker seen)", Checked: true})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Value < out[j].Value })
	return out
}
