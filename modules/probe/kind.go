package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/betterstack/betterstack/modules/apperr"
)

// Check is one kind's settings: what to check and what counts as healthy.
// Each kind's settings struct implements it with a pointer receiver; the
// struct's JSON tags are the names users write under "check" (and see in
// errors as "check.<field>").
type Check interface {
	// Validate reports every bad setting as an apperr validation error
	// naming "check.<field>" (apperr.Fields with the "check." prefix).
	Validate() error
	// Target is a short one-line description of what is checked, shown in
	// lists and notifications: "https://example.org/health",
	// "db.internal:5432", "MX example.org".
	Target() string
	// Run makes one attempt within ctx, which carries the check's
	// deadline. It sets Status, ErrorClass and Error, and whatever of
	// LatencyMS, Phases and Details it measured; Prober.Check stamps
	// CheckedAt, fills a missing LatencyMS and judges "degraded".
	Run(ctx context.Context, env *Env) Result
}

// TimeoutFloor is implemented by kinds whose check takes a known least time
// (a ping sends count packets interval_ms apart): the monitor's timeout must
// leave room for it, or every check would end before it could pass.
type TimeoutFloor interface {
	MinTimeoutMS() int
}

// FieldType says how a setting is entered in the dashboard form.
type FieldType string

// Field types.
const (
	FieldText     FieldType = "text"     // one line
	FieldTextarea FieldType = "textarea" // several lines
	FieldNumber   FieldType = "number"   // an integer
	FieldBool     FieldType = "bool"     // a checkbox
	FieldSelect   FieldType = "select"   // one of Options
	FieldList     FieldType = "list"     // a list of strings, one per line
	FieldMap      FieldType = "map"      // "Name: value" pairs, one per line
)

// Field describes one setting of a kind: it drives the dashboard form and
// the export, so a kind needs no template of its own.
type Field struct {
	Name        string    // JSON name under "check"
	Label       string    // what the form calls it
	Type        FieldType //
	Options     []string  // the choices of a FieldSelect
	Help        string    // one sentence under the input
	Placeholder string    //
	Required    bool      //
	Secret      bool      // masked wherever the check is shown, except the edit form
}

// Kind is one registered kind of check.
type Kind struct {
	Name  string // "http", "tcp", ...: the value of check.kind
	Title string // what people call it: "HTTP(S)", "TCP port"
	// Scheduled kinds are run by workers at the monitor's interval; an
	// unscheduled kind (heartbeat) receives its results another way and
	// the pusher never publishes jobs for it.
	Scheduled bool
	// New returns a pointer to the kind's settings with their defaults set;
	// decoding a spec overwrites what the user gave.
	New func() Check
	// Fields describe the settings, in form order.
	Fields []Field
	// Schemes are the URL schemes `betterstack check` accepts for this
	// kind; FromURL turns such a URL into settings (before Validate).
	Schemes []string
	FromURL func(u *url.URL) (Check, error)
}

// Env is what a running check may use to reach the outside world. One Env
// is shared by every check of a Prober, so it must be safe for concurrent
// use; kinds that need state across checks (a cache) keep it with Shared.
type Env struct {
	// Config is the Prober's configuration with defaults applied.
	Config Config
	// Dialer opens every outbound connection a check makes. It refuses
	// private addresses when Config.BlockPrivate is on, after DNS
	// resolution, so a kind that dials through it needs no guard of its
	// own. Connections are not kept alive.
	Dialer *net.Dialer
	// HTTP clients for checks that speak HTTP: one follows redirects, one
	// does not. Both dial through Dialer and keep no idle connections.
	HTTPFollow, HTTPNoFollow *http.Client
	// Now is the Prober's clock (for expiry maths); latency is measured
	// with the monotonic clock regardless.
	Now func() time.Time

	shared sync.Map
}

// Shared returns the value kept under key, creating it with mk on first use.
// Kinds keep cross-check state here (the domain kind's RDAP cache), so the
// state lives as long as the Prober and no package variable is needed.
func (e *Env) Shared(key string, mk func() any) any {
	if v, ok := e.shared.Load(key); ok {
		return v
	}
	v, _ := e.shared.LoadOrStore(key, mk())
	return v
}

// Detail is one piece of kind-specific evidence ("answers", "days left",
// "packet loss"), shown in order on the monitor and incident pages.
type Detail struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Spec is a check as stored, carried in a job and exchanged with users: a
// kind and that kind's settings. Its JSON form is flat, the kind beside
// the settings: {"kind":"tcp","host":"db","port":5432}.
type Spec struct {
	Kind   string
	Config json.RawMessage // the settings object, without "kind"
}

// Every job carries a Spec, so each check writes one (pusher) and reads one
// (worker). Decoding the settings into a map and encoding them again cost
// a tenth of the pipeline's garbage at 200k monitors; the usual shapes are
// spliced instead: settings without "kind" written after it, and read back
// when "kind" comes first, as written. Anything else takes the general
// path, whose result is the same object.

// MarshalJSON writes the flat form.
func (s Spec) MarshalJSON() ([]byte, error) {
	if out, ok := s.spliced(); ok {
		return out, nil
	}
	return s.marshalFields()
}

// marshalFields is MarshalJSON's general path.
func (s Spec) marshalFields() ([]byte, error) {
	fields := map[string]json.RawMessage{}
	if len(s.Config) > 0 && string(s.Config) != "null" {
		if err := json.Unmarshal(s.Config, &fields); err != nil {
			return nil, err
		}
	}
	kind, err := json.Marshal(s.Kind)
	if err != nil {
		return nil, err
	}
	fields["kind"] = kind
	return json.Marshal(fields)
}

// UnmarshalJSON reads the flat form. A value that is not an object, or a
// kind that is not a string, is an error naming "check".
func (s *Spec) UnmarshalJSON(b []byte) error {
	if kind, cfg, ok := kindFirst(b); ok {
		s.Kind, s.Config = kind, cfg
		return nil
	}
	return s.unmarshalFields(b)
}

// unmarshalFields is UnmarshalJSON's general path.
func (s *Spec) unmarshalFields(b []byte) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil || fields == nil {
		return apperr.Field("check", `must be an object like {"kind":"http","url":"https://example.org"}`)
	}
	s.Kind = ""
	if raw, ok := fields["kind"]; ok {
		if err := json.Unmarshal(raw, &s.Kind); err != nil {
			return apperr.Field("check.kind", "must be a string")
		}
		delete(fields, "kind")
	}
	cfg, err := json.Marshal(fields)
	if err != nil {
		return err
	}
	s.Config = cfg
	return nil
}

// spliced is the flat form of a Spec whose settings are a valid object
// without "kind": {"kind":K, then the object's members.
func (s Spec) spliced() ([]byte, bool) {
	cfg := bytes.TrimSpace(s.Config)
	if len(cfg) < 2 || cfg[0] != '{' || cfg[len(cfg)-1] != '}' || bytes.Contains(cfg, quotedKind) || !json.Valid(cfg) {
		return nil, false
	}
	kind, err := json.Marshal(s.Kind)
	if err != nil {
		return nil, false
	}
	members := bytes.TrimSpace(cfg[1 : len(cfg)-1])
	out := make([]byte, 0, len(kind)+len(members)+10)
	out = append(out, `{"kind":`...)
	out = append(out, kind...)
	if len(members) > 0 {
		out = append(out, ',')
		out = append(out, members...)
	}
	return append(out, '}'), true
}

var quotedKind = []byte(`"kind"`)

// kindFirst reads the flat form as spliced writes it: valid JSON starting
// {"kind":"name" with a plain name (letters, digits, '-', '_', '.'), and
// no other "kind" in it. The settings are the rest of the object.
func kindFirst(b []byte) (kind string, cfg json.RawMessage, ok bool) {
	const head = `{"kind":"`
	if !bytes.HasPrefix(b, []byte(head)) {
		return "", nil, false
	}
	i := len(head)
	for i < len(b) && plainKindByte(b[i]) {
		i++
	}
	if i >= len(b)-1 || b[i] != '"' || (b[i+1] != ',' && b[i+1] != '}') {
		return "", nil, false
	}
	rest := b[i+2:]
	if bytes.Contains(rest, quotedKind) || !json.Valid(b) {
		return "", nil, false
	}
	kind = string(b[len(head):i])
	if b[i+1] == '}' {
		return kind, json.RawMessage("{}"), true
	}
	cfg = make(json.RawMessage, 0, len(rest)+1)
	cfg = append(append(cfg, '{'), rest...)
	return kind, cfg, true
}

func plainKindByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
}

// Kinds returns the registered kinds, sorted by name.
func Kinds() []Kind {
	out := make([]Kind, 0, len(kinds))
	for _, k := range kinds {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// KindNames returns the names of the registered kinds, sorted.
func KindNames() []string {
	ks := Kinds()
	names := make([]string, len(ks))
	for i, k := range ks {
		names[i] = k.Name
	}
	return names
}

// LookupKind returns the kind called name, or a validation error naming
// "check.kind".
func LookupKind(name string) (Kind, error) {
	k, ok := kinds[name]
	if !ok {
		if name == "" {
			return Kind{}, apperr.Field("check.kind", "is required: one of "+strings.Join(KindNames(), ", "))
		}
		return Kind{}, apperr.Field("check.kind", "must be one of "+strings.Join(KindNames(), ", "))
	}
	return k, nil
}

// KindForScheme returns the kind whose Schemes include scheme.
func KindForScheme(scheme string) (Kind, bool) {
	scheme = strings.ToLower(scheme)
	for _, k := range kinds {
		for _, s := range k.Schemes {
			if s == scheme {
				return k, true
			}
		}
	}
	return Kind{}, false
}

// Parse decodes spec strictly into its kind's settings and validates them.
// Unknown fields, wrong JSON types and invalid values are validation errors
// naming "check.<field>"; an unknown kind names "check.kind".
func Parse(spec Spec) (Check, error) { return parseWith(kinds, spec) }

func parseWith(reg map[string]Kind, spec Spec) (Check, error) {
	k, ok := reg[spec.Kind]
	if !ok {
		_, err := LookupKind(spec.Kind)
		if err == nil {
			err = apperr.Field("check.kind", "is not run here")
		}
		return nil, err
	}
	c := k.New()
	if err := apperr.DecodeStrict(spec.Config, c, "check"); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// SpecOf returns the Spec of c, a kind's settings.
func SpecOf(kind string, c Check) (Spec, error) {
	raw, err := json.Marshal(c)
	if err != nil {
		return Spec{}, err
	}
	return Spec{Kind: kind, Config: raw}, nil
}
