// Package monitor owns the monitors: what to check, how often, from where and
// what counts as healthy. Table: monitors.
//
// Data enters through the API and dashboard (Create, Update, Pause, Resume,
// CheckNow, Delete) and leaves to them (Get, List, Overview) and to the
// pusher, which claims due monitors (ClaimDue) and turns them into jobs.
// Every read and write is scoped to the owning user; another user's monitor
// is ErrNotFound, exactly like a missing one, so ids reveal nothing.
package monitor

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"

	"golang.org/x/net/http/httpguts"

	"github.com/betterstack/betterstack/modules/apperr"
	"github.com/betterstack/betterstack/modules/probe"
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

// Monitor is one registered endpoint and how to check it.
type Monitor struct {
	ID                 int64             `json:"id"`
	Name               string            `json:"name"`
	URL                string            `json:"url"`
	Method             string            `json:"method"`
	Headers            map[string]string `json:"headers"`
	Body               string            `json:"body"`
	IntervalSeconds    int               `json:"interval_seconds"`
	TimeoutMS          int               `json:"timeout_ms"`
	ExpectedStatus     []string          `json:"expected_status"`
	Keyword            string            `json:"keyword"`
	KeywordAbsent      bool              `json:"keyword_absent"`
	FollowRedirects    bool              `json:"follow_redirects"`
	Regions            []string          `json:"regions"`
	FailureThreshold   int               `json:"failure_threshold"`
	RecoveryThreshold  int               `json:"recovery_threshold"`
	Quorum             int               `json:"quorum"`
	DegradedAfterMS    int               `json:"degraded_after_ms"`
	RemindEverySeconds int               `json:"remind_every_seconds"`
	ChannelIDs         []int64           `json:"channel_ids"`
	Paused             bool              `json:"paused"`
	Status             Status            `json:"status"`
	LastCheckedAt      *time.Time        `json:"last_checked_at"`
	CreatedAt          time.Time         `json:"created_at"`
	UpdatedAt          time.Time         `json:"updated_at"`

	UserID      int64      `json:"-"`
	NextRunAt   *time.Time `json:"-"` // the pusher's next slot
	StatusSince *time.Time `json:"-"` // when the checks last changed Status; nil before the first result
}

// ProbeRequest is what a worker needs to check this monitor.
func (m Monitor) ProbeRequest() probe.Request {
	return probe.Request{
		URL: m.URL, Method: m.Method, Headers: m.Headers, Body: m.Body, TimeoutMS: m.TimeoutMS,
		ExpectedStatus: m.ExpectedStatus, Keyword: m.Keyword, KeywordAbsent: m.KeywordAbsent,
		FollowRedirects: m.FollowRedirects, DegradedAfterMS: m.DegradedAfterMS,
	}
}

// Input is a monitor as written by a user: every field optional, so one type
// serves create (defaults fill the gaps) and partial update (only the given
// fields change).
type Input struct {
	Name               *string            `json:"name"`
	URL                *string            `json:"url"`
	Method             *string            `json:"method"`
	Headers            *map[string]string `json:"headers"`
	Body               *string            `json:"body"`
	IntervalSeconds    *int               `json:"interval_seconds"`
	TimeoutMS          *int               `json:"timeout_ms"`
	ExpectedStatus     *[]string          `json:"expected_status"`
	Keyword            *string            `json:"keyword"`
	KeywordAbsent      *bool              `json:"keyword_absent"`
	FollowRedirects    *bool              `json:"follow_redirects"`
	Regions            *[]string          `json:"regions"`
	FailureThreshold   *int               `json:"failure_threshold"`
	RecoveryThreshold  *int               `json:"recovery_threshold"`
	Quorum             *int               `json:"quorum"`
	DegradedAfterMS    *int               `json:"degraded_after_ms"`
	RemindEverySeconds *int               `json:"remind_every_seconds"`
	ChannelIDs         *[]int64           `json:"channel_ids"`
	Paused             *bool              `json:"paused"`
}

// Errors of this module.
var (
	ErrNotFound = apperr.New(apperr.NotFound, "monitor not found")
	ErrPaused   = apperr.New(apperr.Conflict, "the monitor is paused; resume it to check it")
)

// Limits on what a monitor may hold.
const (
	MaxNameLen      = 200
	MaxURLLen       = 2048
	MaxHeaders      = 50
	MaxHeaderBytes  = 8 << 10
	MaxBodyLen      = 64 << 10
	MaxKeywordLen   = 1024
	MaxRegions      = 20
	MaxInterval     = 24 * 60 * 60
	MaxTimeoutMS    = 120_000
	MinTimeoutMS    = 100
	MaxThreshold    = 20
	DefaultInterval = 60
	DefaultTimeout  = 10_000
)

var methods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

// Methods lists the HTTP methods a monitor may use.
func Methods() []string { return slices.Clone(methods) }

var (
	statusPattern = regexp.MustCompile(`^[1-5]([0-9][0-9]|xx)$`)
	regionPattern = regexp.MustCompile(`^[a-z0-9_-]{1,64}$`)
)

// Defaults returns the values a new monitor gets for every field the input
// leaves out (the timeout is fitted to the interval, see DefaultTimeoutFor).
func Defaults() Monitor { return defaults() }

// defaults returns a new monitor's values before the input is applied.
func defaults() Monitor {
	return Monitor{
		Method: "GET", Headers: map[string]string{}, IntervalSeconds: DefaultInterval,
		ExpectedStatus: []string{"2xx", "3xx"}, FollowRedirects: true, Regions: []string{},
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
func (in Input) apply(m *Monitor, creating bool) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = strings.TrimSpace(*src)
		}
	}
	set(&m.Name, in.Name)
	set(&m.URL, in.URL)
	set(&m.Method, in.Method)
	m.Method = strings.ToUpper(m.Method)
	if in.Headers != nil {
		m.Headers = *in.Headers
		if m.Headers == nil {
			m.Headers = map[string]string{}
		}
	}
	if in.Body != nil {
		m.Body = *in.Body
	}
	if in.IntervalSeconds != nil {
		m.IntervalSeconds = *in.IntervalSeconds
	}
	if in.TimeoutMS != nil {
		m.TimeoutMS = *in.TimeoutMS
	} else if creating {
		m.TimeoutMS = DefaultTimeoutFor(m.IntervalSeconds)
	}
	if in.ExpectedStatus != nil {
		m.ExpectedStatus = make([]string, 0, len(*in.ExpectedStatus))
		for _, s := range *in.ExpectedStatus {
			m.ExpectedStatus = append(m.ExpectedStatus, strings.ToLower(strings.TrimSpace(s)))
		}
	}
	if in.Keyword != nil {
		m.Keyword = *in.Keyword
	}
	if in.KeywordAbsent != nil {
		m.KeywordAbsent = *in.KeywordAbsent
	}
	if in.FollowRedirects != nil {
		m.FollowRedirects = *in.FollowRedirects
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
	if creating && m.Name == "" {
		if u, err := url.Parse(m.URL); err == nil && u.Host != "" {
			m.Name = u.Host
		}
	}
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

// Validate checks every field and names each one that is wrong.
func (m Monitor) Validate(minInterval time.Duration) error {
	f := apperr.Fields{}
	switch {
	case m.Name == "":
		f.Add("name", "is required")
	case len(m.Name) > MaxNameLen:
		f.Add("name", fmt.Sprintf("must be at most %d characters", MaxNameLen))
	case strings.IndexFunc(m.Name, unicode.IsControl) >= 0:
		f.Add("name", "must not contain control characters")
	}
	if msg := validateURL(m.URL); msg != "" {
		f.Add("url", msg)
	}
	if !slices.Contains(methods, m.Method) {
		f.Add("method", "must be one of "+strings.Join(methods, ", "))
	}
	validateHeaders(m.Headers, f)
	if len(m.Body) > MaxBodyLen {
		f.Add("body", "must be at most 64 KiB")
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
		f.Add("timeout_ms", fmt.Sprintf("must be below the interval (%d ms)", m.IntervalSeconds*1000))
	}
	if len(m.ExpectedStatus) == 0 || len(m.ExpectedStatus) > 20 {
		f.Add("expected_status", `must list 1 to 20 codes or classes like "200" or "2xx"`)
	}
	for _, s := range m.ExpectedStatus {
		if !statusPattern.MatchString(s) {
			f.Add("expected_status", fmt.Sprintf(`%q is not a status code (100-599) or class like "2xx"`, s))
		}
	}
	if len(m.Keyword) > MaxKeywordLen {
		f.Add("keyword", "must be at most 1024 characters")
	}
	if m.KeywordAbsent && m.Keyword == "" {
		f.Add("keyword_absent", "needs a keyword")
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

func validateURL(raw string) string {
	if raw == "" {
		return "is required"
	}
	if len(raw) > MaxURLLen {
		return "must be at most 2048 characters"
	}
	if strings.IndexFunc(raw, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return "must not contain spaces or control characters"
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "is not a valid URL"
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "must start with http:// or https://"
	}
	if u.Hostname() == "" {
		return "must include a host"
	}
	if p := u.Port(); p != "" {
		var n int
		if _, err := fmt.Sscanf(p, "%d", &n); err != nil || n < 1 || n > 65535 {
			return "has an invalid port"
		}
	}
	return ""
}

func validateHeaders(h map[string]string, f apperr.Fields) {
	if len(h) > MaxHeaders {
		f.Add("headers", fmt.Sprintf("must have at most %d entries", MaxHeaders))
		return
	}
	size := 0
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		v := h[k]
		size += len(k) + len(v)
		if !httpguts.ValidHeaderFieldName(k) {
			f.Add("headers", fmt.Sprintf("%q is not a valid header name", k))
		}
		if !httpguts.ValidHeaderFieldValue(v) {
			f.Add("headers", fmt.Sprintf("the value of %q contains invalid characters", k))
		}
	}
	if size > MaxHeaderBytes {
		f.Add("headers", "must be at most 8 KiB in total")
	}
}
