// Package monitor owns the monitors: what to check, how often, from where and
// what counts as healthy. Table: monitors.
//
// A monitor is an envelope: what every kind of check shares (name, interval,
// timeout, regions, thresholds, quorum, channels, paused) around a check
// spec of one registered kind (probe.Spec, stored as kind + check_spec JSON,
// with its one-line target beside it for lists and search). This package
// never looks inside a spec except through the probe registry: decoding it
// strictly over the kind's defaults (or the stored settings, on update) and
// validating it, so a new kind needs nothing here. A kind that is not
// scheduled (heartbeat) is fed its results from one place, so its monitors
// are confirmed by themselves: thresholds 1, no regions, no quorum.
//
// Data enters through the API and dashboard (Create, Update, Pause, Resume,
// CheckNow, Delete) and leaves to them (Get, List, Overview) and to the
// pusher, which claims due monitors (ClaimDue) and turns them into jobs.
// Every read and write is scoped to the owning user; another user's monitor
// is ErrNotFound, exactly like a missing one, so ids reveal nothing.
package monitor

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/betterstack/betterstack/modules/apperr"
	"github.com/betterstack/betterstack/modules/probe"
	"github.com/betterstack/betterstack/modules/text"
)

// Status is a monitor's current state as users see it.
type Status string

// Monitor states.
const (
	StatusPending  Status = "pending"
	StatusUp       Status = "up"
	StatusDown     Status = "down"
	StatusDegraded Status = "degraded"
	StatusPaused   Status = "paused"
	StatusUnknown  Status = "unknown"
)

// Monitor is one registered check: an envelope of what every kind shares
// (name, schedule, regions, thresholds, channels) around the check itself,
// a spec of one registered kind (see probe.Kinds).
type Monitor struct {
	ID                 int64      `json:"id"`
	Key                string     `json:"key"` // stable, unique in the workspace (config and imports match on it)
	Name               string     `json:"name"`
	Check              probe.Spec `json:"check"`
	Target             string     `json:"target"`        // what is checked, in one line (the check's Target)
	URL                string     `json:"url,omitempty"` // http monitors only: check.url, for API clients of the first release
	IntervalSeconds    int        `json:"interval_seconds"`
	TimeoutMS          int        `json:"timeout_ms"`
	Regions            []string   `json:"regions"`
	FailureThreshold   int        `json:"failure_threshold"`
	RecoveryThreshold  int        `json:"recovery_threshold"`
	Quorum             int        `json:"quorum"`
	DegradedAfterMS    int        `json:"degraded_after_ms"`
	RemindEverySeconds int        `json:"remind_every_seconds"`
	ChannelIDs         []int64    `json:"channel_ids"`
	Paused             bool       `json:"paused"`
	Status             Status     `json:"status"`
	LastCheckedAt      *time.Time `json:"last_checked_at"`
	CreatedAt          time.Time  `json:"created_at"`
	UpdatedAt          time.Time  `json:"updated_at"`

	WorkspaceID int64      `json:"-"`
	NextRunAt   *time.Time `json:"-"` // the pusher's next slot
	StatusSince *time.Time `json:"-"` // when the checks last changed Status; nil before the first result

	parsed probe.Check // Check decoded and validated by canonicalCheck, while applying an input
	// rowVersion is the version of the row a claim read this monitor from
	// (store.go, rowVersion): a claim given this copy back reuses it while
	// the row is unchanged.
	rowVersion rowVersion
}

// Kind is the monitor's check kind ("http", "tcp", ...).
func (m Monitor) Kind() string { return m.Check.Kind }

// Summary says in one line what the monitor checks, for its page: the
// method and URL of an HTTP check ("HEAD https://example.org"), otherwise
// the kind and target ("TCP port db.internal:5432").
func (m Monitor) Summary() string {
	k, err := probe.LookupKind(m.Check.Kind)
	if err != nil {
		return m.Target
	}
	if m.Check.Kind == "http" {
		var h struct {
			Method string `json:"method"`
		}
		if json.Unmarshal(m.Check.Config, &h) == nil && h.Method != "" {
			return h.Method + " " + m.Target
		}
	}
	return k.Title + " " + m.Target
}

// Scheduled reports whether workers run this monitor's checks at its
// interval (every kind but those fed another way, like heartbeats).
func (m Monitor) Scheduled() bool {
	k, err := probe.LookupKind(m.Check.Kind)
	return err == nil && k.Scheduled
}

// ProbeRequest is what a worker needs to check this monitor: the spec as
// stored, untouched.
func (m Monitor) ProbeRequest() probe.Request {
	return probe.Request{Check: m.Check, TimeoutMS: m.TimeoutMS, DegradedAfterMS: m.DegradedAfterMS}
}

// Input is a monitor as written by a user: every field optional, so one type
// serves create (defaults fill the gaps) and partial update (only the given
// fields change).
//
// The check is given as Check, {"kind": ..., settings...}. On update the
// given settings change and the others stay, unless the kind changes, when
// the settings start again from the new kind's defaults. The top-level HTTP
// fields of the first release (url, method, ...) are still accepted and
// mean the same as those fields under check with kind http; errors then
// name the fields as they were given.
type Input struct {
	Key                *string     `json:"key"`
	Name               *string     `json:"name"`
	Check              *probe.Spec `json:"check"`
	IntervalSeconds    *int        `json:"interval_seconds"`
	TimeoutMS          *int        `json:"timeout_ms"`
	Regions            *[]string   `json:"regions"`
	FailureThreshold   *int        `json:"failure_threshold"`
	RecoveryThreshold  *int        `json:"recovery_threshold"`
	Quorum             *int        `json:"quorum"`
	DegradedAfterMS    *int        `json:"degraded_after_ms"`
	RemindEverySeconds *int        `json:"remind_every_seconds"`
	ChannelIDs         *[]int64    `json:"channel_ids"`
	Paused             *bool       `json:"paused"`

	LegacyHTTP
}

// LegacyHTTP are the first release's top-level HTTP settings.
type LegacyHTTP struct {
	URL             *string            `json:"url"`
	Method          *string            `json:"method"`
	Headers         *map[string]string `json:"headers"`
	Body            *string            `json:"body"`
	ExpectedStatus  *[]string          `json:"expected_status"`
	Keyword         *string            `json:"keyword"`
	KeywordAbsent   *bool              `json:"keyword_absent"`
	FollowRedirects *bool              `json:"follow_redirects"`
}

// given reports whether any legacy field is set.
func (l LegacyHTTP) given() bool {
	return l.URL != nil || l.Method != nil || l.Headers != nil || l.Body != nil || l.ExpectedStatus != nil ||
		l.Keyword != nil || l.KeywordAbsent != nil || l.FollowRedirects != nil
}

// spec is the legacy fields as an http check's settings (only the given
// fields, so they merge over what the monitor had).
func (l LegacyHTTP) spec() probe.Spec {
	fields := map[string]any{}
	put := func(name string, v any, given bool) {
		if given {
			fields[name] = v
		}
	}
	put("url", l.URL, l.URL != nil)
	put("method", l.Method, l.Method != nil)
	put("headers", l.Headers, l.Headers != nil)
	put("body", l.Body, l.Body != nil)
	put("expected_status", l.ExpectedStatus, l.ExpectedStatus != nil)
	put("keyword", l.Keyword, l.Keyword != nil)
	put("keyword_absent", l.KeywordAbsent, l.KeywordAbsent != nil)
	put("follow_redirects", l.FollowRedirects, l.FollowRedirects != nil)
	raw, _ := json.Marshal(fields) // maps of strings and pointers always encode
	return probe.Spec{Kind: "http", Config: raw}
}

// Errors of this module.
var (
	ErrNotFound = apperr.New(apperr.NotFound, "monitor not found")
	ErrPaused   = apperr.New(apperr.Conflict, "the monitor is paused; resume it to check it")
)

// Limits on what a monitor may hold.
const (
	MaxNameLen      = 200
	MaxRegions      = 20
	MaxInterval     = 24 * 60 * 60
	MaxTimeoutMS    = 120_000
	MinTimeoutMS    = 100
	MaxThreshold    = 20
	DefaultInterval = 60
	DefaultTimeout  = 10_000
)

var regionPattern = regexp.MustCompile(`^[a-z0-9_-]{1,64}$`)

// Defaults returns the values a new monitor gets for every field the input
// leaves out (the timeout is fitted to the interval, see DefaultTimeoutFor).
func Defaults() Monitor { return defaults() }

// defaults returns a new monitor's values before the input is applied.
// It has no check: the input must give one.
func defaults() Monitor {
	return Monitor{
		IntervalSeconds: DefaultInterval, Regions: []string{},
		FailureThreshold: 2, RecoveryThreshold: 2, ChannelIDs: []int64{},
	}
}

func dedupeIDs(ids []int64) []int64 {
	seen := map[int64]bool{}
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// apply copies the given fields of in onto m. When the interval changes and
// no timeout is given, the default timeout is fitted under the new interval.
// The check's settings are decoded here (strictly: an unknown or mistyped
// setting is an error naming it) and validated with the rest by Validate.
func (in Input) apply(m *Monitor, creating bool) error {
	if in.Name != nil {
		m.Name = strings.TrimSpace(*in.Name)
	}
	before := *m
	checkErr := in.applyCheck(m, creating)
	switch {
	case creating && m.Name == "":
		m.Name = defaultName(*m)
	case !creating && in.Name == nil && checkErr == nil && before.Name == defaultName(before) && defaultName(*m) != before.Name:
		// A name that was made from the target follows a new target:
		// the old host's name over a new URL says something untrue.
		m.Name = defaultName(*m)
	}
	oldInterval := m.IntervalSeconds
	if in.IntervalSeconds != nil {
		m.IntervalSeconds = *in.IntervalSeconds
	}
	switch {
	case in.TimeoutMS != nil:
		m.TimeoutMS = *in.TimeoutMS
	case creating:
		m.TimeoutMS = DefaultTimeoutFor(m.IntervalSeconds)
	case m.IntervalSeconds != oldInterval && m.TimeoutMS == DefaultTimeoutFor(oldInterval):
		// A timeout left at its default follows the interval, as it
		// would have been made with the new one: changing only the
		// interval to 10 s used to be refused for a timeout nobody set.
		m.TimeoutMS = DefaultTimeoutFor(m.IntervalSeconds)
	}
	if in.Regions != nil {
		m.Regions = dedupe(*in.Regions)
	}
	ints := []struct {
		dst *int
		src *int
	}{
		{&m.FailureThreshold, in.FailureThreshold}, {&m.RecoveryThreshold, in.RecoveryThreshold},
		{&m.Quorum, in.Quorum}, {&m.DegradedAfterMS, in.DegradedAfterMS}, {&m.RemindEverySeconds, in.RemindEverySeconds},
	}
	for _, p := range ints {
		if p.src != nil {
			*p.dst = *p.src
		}
	}
	if in.ChannelIDs != nil {
		m.ChannelIDs = dedupeIDs(*in.ChannelIDs)
	}
	if in.Paused != nil {
		m.Paused = *in.Paused
	}
	return checkErr
}

// applyCheck merges the input's check (or legacy HTTP fields) into m.Check
// and canonicalises it: defaults filled, values normalised, re-encoded.
func (in Input) applyCheck(m *Monitor, creating bool) error {
	given := in.Check
	legacy := in.LegacyHTTP.given()
	switch {
	case given != nil && legacy:
		return apperr.Field("check", "give the check either under check or as the top-level HTTP fields (url, method, ...), not both")
	case legacy:
		spec := in.LegacyHTTP.spec()
		given = &spec
	case given == nil && creating:
		return apperr.Field("check", `is required, e.g. {"kind":"http","url":"https://example.org"}`)
	case given == nil:
		return m.canonicalCheck(false)
	}
	kind := given.Kind
	if kind == "" && !creating {
		kind = m.Check.Kind // an update may leave the kind out
	}
	if kind != m.Check.Kind && legacy && !creating {
		return apperr.Field("url", fmt.Sprintf("this monitor is a %s check: set its settings under check", m.Check.Kind))
	}
	k, err := probe.LookupKind(kind)
	if err != nil {
		return err
	}
	c := k.New()
	var stored json.RawMessage
	if kind == m.Check.Kind { // same kind: the given settings change, the rest stay
		if err := json.Unmarshal(m.Check.Config, c); err != nil {
			return fmt.Errorf("stored check of monitor %d: %w", m.ID, err)
		}
		stored = m.Check.Config
	}
	// A secret shown masked and sent back as it was keeps its value.
	cfg, err := probe.KeepSecrets(kind, stored, given.Config)
	if err != nil {
		return err
	}
	if err := apperr.DecodeStrict(cfg, c, "check"); err != nil {
		return legacyNames(err, legacy)
	}
	spec, err := probe.SpecOf(kind, c)
	if err != nil {
		return err
	}
	m.Check = spec
	return m.canonicalCheck(legacy)
}

// canonicalCheck validates m.Check and stores it normalised, with Target
// and URL derived from it. Validation errors are kept for Validate to
// report with the envelope's; legacy renames "check.url" to "url".
func (m *Monitor) canonicalCheck(legacy bool) error {
	c, err := probe.Parse(m.Check)
	if err != nil {
		return legacyNames(err, legacy)
	}
	spec, err := probe.SpecOf(m.Check.Kind, c)
	if err != nil {
		return err
	}
	m.Check, m.Target, m.URL, m.parsed = spec, c.Target(), "", c
	if h, ok := c.(*probe.HTTP); ok {
		m.URL = h.URL
	}
	return nil
}

// legacyNames renames "check.<field>" to "<field>" in a validation error
// when the input used the first release's top-level HTTP fields, so those
// clients see the names they sent.
func legacyNames(err error, legacy bool) error {
	var ae *apperr.Error
	if !legacy || !errors.As(err, &ae) || len(ae.Fields) == 0 {
		return err
	}
	f := apperr.Fields{}
	for k, v := range ae.Fields {
		f.Add(strings.TrimPrefix(k, "check."), v)
	}
	return f.Err()
}

// defaultName is the name a monitor created without one gets: the host it
// checks, or its target.
func defaultName(m Monitor) string {
	if u, err := url.Parse(m.URL); err == nil && u.Host != "" {
		return u.Host
	}
	return m.Target
}

// DefaultTimeoutFor is the timeout a monitor gets when none is given: 10 s,
// or less when the interval is short, so a check ends before the next one.
func DefaultTimeoutFor(intervalSeconds int) int {
	t := DefaultTimeout
	if limit := intervalSeconds*1000 - 1000; limit < t {
		t = limit
	}
	if limit := intervalSeconds * 1000 / 2; intervalSeconds <= 2 && limit < t {
		t = limit
	}
	if t < MinTimeoutMS {
		t = MinTimeoutMS
	}
	return t
}

func dedupe(list []string) []string {
	seen := map[string]bool{}
	out := make([]string, 0, len(list))
	for _, s := range list {
		s = strings.ToLower(strings.TrimSpace(s))
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// applyValid applies in to m and validates the result, reporting the
// check's and the envelope's invalid fields together.
func applyValid(in Input, m *Monitor, creating bool, minInterval time.Duration) error {
	checkErr := in.apply(m, creating)
	if checkErr == nil && !m.Scheduled() {
		// A kind fed another way (heartbeat) reports one verdict per
		// change from one place: it is confirmed by itself, in no region.
		m.FailureThreshold, m.RecoveryThreshold, m.Quorum, m.Regions = 1, 1, 0, []string{}
	}
	err := m.Validate(minInterval)
	if checkErr == nil && err == nil {
		err = m.validateTimeoutFloor()
	}
	if checkErr == nil {
		return err
	}
	var ce, ee *apperr.Error
	if !errors.As(checkErr, &ce) || ce.Kind != apperr.Invalid || err == nil {
		return checkErr
	}
	if !errors.As(err, &ee) || ee.Kind != apperr.Invalid {
		return err
	}
	f := apperr.Fields{}
	for k, v := range ce.Fields {
		f.Add(k, v)
	}
	for k, v := range ee.Fields {
		if k == "name" && creating && m.Name == "" {
			// No name was given: it would be made from the check, which
			// is what is wrong. Saying a name is required misleads.
			continue
		}
		f.Add(k, v)
	}
	return f.Err()
}

// validateTimeoutFloor refuses a timeout shorter than the check needs to be
// able to pass (probe.TimeoutFloor).
func (m Monitor) validateTimeoutFloor() error {
	if f, ok := m.parsed.(probe.TimeoutFloor); ok && m.TimeoutMS < f.MinTimeoutMS() {
		return apperr.Field("timeout_ms", fmt.Sprintf("must be at least %d ms for this %s check (or send fewer packets, closer together)",
			f.MinTimeoutMS(), m.Check.Kind))
	}
	return nil
}

// Validate checks every envelope field and names each one that is wrong
// (the check's own settings are validated by their kind when applied).
func (m Monitor) Validate(minInterval time.Duration) error {
	f := apperr.Fields{}
	if msg := text.RequiredLine(m.Name, MaxNameLen); msg != "" {
		f.Add("name", msg)
	}
	minSec := int(minInterval / time.Second)
	if m.IntervalSeconds < minSec || m.IntervalSeconds > MaxInterval {
		f.Add("interval_seconds", fmt.Sprintf("must be between %d (the configured minimum) and %d", minSec, MaxInterval))
	}
	switch {
	case m.TimeoutMS < MinTimeoutMS || m.TimeoutMS > MaxTimeoutMS:
		f.Add("timeout_ms", fmt.Sprintf("must be between %d and %d", MinTimeoutMS, MaxTimeoutMS))
	case m.IntervalSeconds < 1 || m.IntervalSeconds > MaxInterval:
		// the interval's own message says it; comparing would overflow
	case m.TimeoutMS >= m.IntervalSeconds*1000:
		f.Add("timeout_ms", fmt.Sprintf("is %d ms, and must be below the interval (%d s = %d ms): lower it as well", m.TimeoutMS, m.IntervalSeconds, m.IntervalSeconds*1000))
	}
	if len(m.Regions) > MaxRegions {
		f.Add("regions", fmt.Sprintf("must list at most %d regions", MaxRegions))
	}
	for _, r := range m.Regions {
		if !regionPattern.MatchString(r) {
			f.Add("regions", fmt.Sprintf("%q is not a region name (a-z, 0-9, '-', '_')", r))
		}
	}
	if m.FailureThreshold < 1 || m.FailureThreshold > MaxThreshold {
		f.Add("failure_threshold", fmt.Sprintf("must be between 1 and %d", MaxThreshold))
	}
	if m.RecoveryThreshold < 1 || m.RecoveryThreshold > MaxThreshold {
		f.Add("recovery_threshold", fmt.Sprintf("must be between 1 and %d", MaxThreshold))
	}
	switch {
	case m.Quorum < 0:
		f.Add("quorum", "must be 0 (a majority) or more")
	case len(m.Regions) > 0 && m.Quorum > len(m.Regions):
		f.Add("quorum", fmt.Sprintf("must not exceed the number of regions (%d)", len(m.Regions)))
	case m.Quorum > MaxRegions:
		f.Add("quorum", fmt.Sprintf("must be at most %d", MaxRegions))
	}
	if m.DegradedAfterMS < 0 || (m.DegradedAfterMS > 0 && m.DegradedAfterMS >= m.TimeoutMS) {
		f.Add("degraded_after_ms", "must be 0 (off) or between 1 and the timeout")
	}
	if len(m.ChannelIDs) > 50 {
		f.Add("channel_ids", "must list at most 50 channels")
	}
	if m.RemindEverySeconds != 0 && (m.RemindEverySeconds < 60 || m.RemindEverySeconds > 7*24*3600) {
		f.Add("remind_every_seconds", "must be 0 (off) or between 60 and 604800")
	}
	return f.Err()
}
