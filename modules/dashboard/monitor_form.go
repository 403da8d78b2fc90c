package dashboard

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/betterstack/betterstack/modules/apperr"
	"github.com/betterstack/betterstack/modules/monitor"
	"github.com/betterstack/betterstack/modules/probe"
	"github.com/betterstack/betterstack/modules/server"
	"github.com/betterstack/betterstack/modules/web"
)

// monitorForm is the monitor form as typed, so a form with errors comes
// back exactly as the user left it. Field names are the API's JSON names,
// which is also how validation errors name them: the check's settings are
// posted as "check.<field>", described by the kind's registry entry, so a
// new kind needs no template of its own.
type monitorForm struct {
	Name                              string
	Kind                              string
	Check                             map[string]string // check.<field> as typed; a ticked checkbox is "1"
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

// formOf fills the form from a monitor (monitor.Defaults for a new one,
// with a check of kind's defaults when it has none).
func formOf(m monitor.Monitor, kind string) monitorForm {
	num := func(n int) string {
		if n == 0 {
			return ""
		}
		return strconv.Itoa(n)
	}
	f := monitorForm{
		Name: m.Name, Kind: m.Check.Kind, DegradedAfterMS: strconv.Itoa(m.DegradedAfterMS),
		IntervalSeconds: num(m.IntervalSeconds), TimeoutMS: num(m.TimeoutMS), Regions: m.Regions,
		Quorum: strconv.Itoa(m.Quorum), FailureThreshold: num(m.FailureThreshold), RecoveryThreshold: num(m.RecoveryThreshold),
		RemindEverySec: strconv.Itoa(m.RemindEverySeconds), ChannelIDs: m.ChannelIDs, Paused: m.Paused,
	}
	settings := m.Check.Config
	if kind != "" && kind != m.Check.Kind {
		f.Kind, settings = kind, nil
	}
	k, err := probe.LookupKind(f.Kind)
	if err != nil {
		k, _ = probe.LookupKind("http")
		f.Kind, settings = k.Name, nil
	}
	if settings == nil {
		settings, _ = json.Marshal(k.New()) // a kind's settings always encode
	}
	f.Check = checkText(k, settings)
	return f
}

// checkText renders settings as the form's text, field by field.
func checkText(k probe.Kind, settings json.RawMessage) map[string]string {
	var values map[string]any
	_ = json.Unmarshal(settings, &values) // stored settings are an object
	out := map[string]string{}
	for _, fd := range k.Fields {
		switch v := values[fd.Name].(type) {
		case nil:
		case string:
			out[fd.Name] = v
		case bool:
			if v {
				out[fd.Name] = "1"
			}
		case float64:
			if v != 0 { // empty: the default, or the stored value when editing
				out[fd.Name] = strconv.FormatFloat(v, 'f', -1, 64)
			}
		case []any:
			lines := make([]string, 0, len(v))
			for _, e := range v {
				lines = append(lines, fmt.Sprint(e))
			}
			out[fd.Name] = strings.Join(lines, "\n")
		case map[string]any:
			names := make([]string, 0, len(v))
			for name := range v {
				names = append(names, name)
			}
			sort.Strings(names)
			var b strings.Builder
			for _, name := range names {
				fmt.Fprintf(&b, "%s: %v\n", name, v[name])
			}
			out[fd.Name] = b.String()
		}
	}
	return out
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
		Name: v.Get("name"), Kind: v.Get("kind"), Check: map[string]string{}, DegradedAfterMS: v.Get("degraded_after_ms"),
		IntervalSeconds: v.Get("interval_seconds"), TimeoutMS: v.Get("timeout_ms"), Regions: v["regions"],
		OtherRegions: v.Get("regions_other"), Quorum: v.Get("quorum"), FailureThreshold: v.Get("failure_threshold"),
		RecoveryThreshold: v.Get("recovery_threshold"), RemindEverySec: v.Get("remind_every_seconds"), Paused: v.Get("paused") != "",
	}
	for name := range v {
		if field, ok := strings.CutPrefix(name, "check."); ok {
			f.Check[field] = v.Get(name)
		}
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
		Name: &f.Name, Paused: &f.Paused,
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
	in.Check = f.spec(bad)
	regions := append(slices.Clone(f.Regions), splitList(f.OtherRegions)...)
	channels := slices.Clone(f.ChannelIDs)
	if channels == nil {
		channels = []int64{}
	}
	in.Regions, in.ChannelIDs = &regions, &channels
	return in
}

// spec turns the typed check fields into the kind's settings, as the
// kind's field descriptions say; every field of the kind is sent, so
// emptying one in the form empties it. An unknown kind is left to the
// service to name.
func (f monitorForm) spec(bad apperr.Fields) *probe.Spec {
	k, err := probe.LookupKind(f.Kind)
	if err != nil {
		return &probe.Spec{Kind: f.Kind, Config: json.RawMessage(`{}`)}
	}
	values := map[string]any{}
	for _, fd := range k.Fields {
		raw, name := f.Check[fd.Name], "check."+fd.Name
		switch fd.Type {
		case probe.FieldBool:
			values[fd.Name] = raw != ""
		case probe.FieldNumber:
			raw = strings.TrimSpace(strings.ReplaceAll(raw, "_", ""))
			if raw == "" {
				continue // the kind's default
			}
			n, err := strconv.Atoi(raw)
			if err != nil {
				bad.Add(name, "must be a whole number")
				continue
			}
			values[fd.Name] = n
		case probe.FieldSelect:
			if raw != "" { // nothing chosen: the kind's default
				values[fd.Name] = raw
			}
		case probe.FieldList:
			values[fd.Name] = splitLines(raw)
		case probe.FieldMap:
			m, msg := parseHeaders(raw)
			if msg != "" {
				bad.Add(name, msg)
				continue
			}
			values[fd.Name] = m
		default:
			values[fd.Name] = raw
		}
	}
	cfg, _ := json.Marshal(values) // strings, numbers, lists and maps always encode
	return &probe.Spec{Kind: k.Name, Config: cfg}
}

// splitLines splits a list typed one per line; commas also separate
// (expected statuses "200, 3xx"), except on a line with a bracket or a
// quote, which is kept whole (conditions, CAA values). Spaces do not: DNS
// values like "10 mail.example.org" contain them.
func splitLines(s string) []string {
	out := []string{}
	for _, line := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if strings.ContainsAny(line, "[(\"") {
			out = append(out, line)
			continue
		}
		for _, item := range strings.Split(line, ",") {
			if item = strings.TrimSpace(item); item != "" {
				out = append(out, item)
			}
		}
	}
	return out
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
	Kinds    []kindOption
	Kind     probe.Kind
	Fields   []kindField // the kind's settings, in order
	Regions  []checkOption
	Channels []checkOption
}

// kindOption is one kind to choose, as a link that reloads the form for it
// (so choosing works without JavaScript).
type kindOption struct {
	Name, Title, Href string
	Current           bool
}

// kindField is one setting of the chosen kind as the form shows it.
type kindField struct {
	probe.Field
	ID, Input, Value, Error string
	Checked                 bool
}

// checkOption is one checkbox of a list.
type checkOption struct {
	Value, Label string
	Checked      bool
}

func (h *Handler) newMonitorForm(c echo.Context) error {
	return h.renderForm(c, http.StatusOK, 0, formOf(monitor.Defaults(), c.QueryParam("kind")), nil)
}

func (h *Handler) editMonitorForm(c echo.Context) error {
	id, err := monitor.ID(c)
	if err != nil {
		return err
	}
	m, err := h.deps.Monitors.Get(c.Request().Context(), server.WorkspaceID(c), id)
	if err != nil {
		return err
	}
	return h.renderForm(c, http.StatusOK, id, formOf(m, c.QueryParam("kind")), nil)
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
	ctx, uid := c.Request().Context(), server.WorkspaceID(c)
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
	ctx, uid := c.Request().Context(), server.WorkspaceID(c)
	title := "New monitor"
	switch {
	case id != 0 && strings.TrimSpace(f.Name) != "":
		title = "Edit " + f.Name
	case id != 0:
		title = "Edit monitor"
	}
	p := formPage{Page: h.page(c, title, "overview"), ID: id, F: f, Errors: map[string]string{},
		Regions: h.regionOptions(ctx, f.Regions)}
	if invalid != nil {
		p.Error = invalid.Message
		if len(invalid.Fields) > 0 {
			p.Error, p.Errors = "Please correct the fields marked below.", invalid.Fields
		}
	}
	p.Kinds, p.Kind, p.Fields = kindChoice(id, f, p.Errors)
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

// kindChoice lists the kinds to choose from and the chosen kind's fields
// with what was typed and what is wrong with it.
func kindChoice(id int64, f monitorForm, errs map[string]string) ([]kindOption, probe.Kind, []kindField) {
	base := "/monitors/new"
	if id != 0 {
		base = "/monitors/" + strconv.FormatInt(id, 10) + "/edit"
	}
	var opts []kindOption
	for _, k := range probe.Kinds() {
		opts = append(opts, kindOption{Name: k.Name, Title: k.Title, Href: base + "?kind=" + k.Name, Current: k.Name == f.Kind})
	}
	k, err := probe.LookupKind(f.Kind)
	if err != nil {
		return opts, k, nil
	}
	fields := make([]kindField, 0, len(k.Fields))
	for _, fd := range k.Fields {
		v := f.Check[fd.Name]
		fields = append(fields, kindField{Field: fd, ID: "f-check-" + fd.Name, Input: "check." + fd.Name,
			Value: v, Checked: v != "", Error: errs["check."+fd.Name]})
	}
	return opts, k, fields
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
