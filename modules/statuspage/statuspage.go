// Package statuspage owns public status pages, the public updates owners
// write on incidents, and monitor badges. Tables: status_pages,
// status_page_components, incident_updates, badges.
//
// Data enters through the owner's API and dashboard: pages (Create, Update,
// Delete), incident updates (PostUpdate) and badges (EnableBadge,
// DisableBadge). It leaves to anyone: a page as HTML, an Atom feed and JSON,
// and badges as SVG. Everything public is built from one View, assembled
// from a fixed, small set of facts — each component's display name, its
// current status, its daily uptime, when its incidents started and ended,
// whether a maintenance window covers it, and the updates the owner wrote —
// so a monitor's name, URL, headers, error messages, bodies and evidence
// cannot leak: the queries that feed the view never select them (store.go
// reads monitors, monitor_state and incidents read-only, column by column).
//
// A component's state (ComponentState):
//   - a maintenance window in force covering its monitor: "maintenance",
//     whatever the checks say (expected downtime is not an outage);
//   - otherwise the monitor's status: up "operational", degraded
//     "degraded", down "down", paused "paused", pending or unknown (no
//     region reported lately) "unknown".
//
// The page's overall state (Overall):
//   - "major" (Major outage) when more than half of the components are down;
//   - else "partial" (Partial outage) when any component is down or degraded;
//   - else "maintenance" when any component is in maintenance;
//   - else "operational" (All systems operational). Paused and unknown
//     components do not count against the page: a paused check or our own
//     silent regions say nothing about the owner's service. A page without
//     components is operational.
//
// Password-protected pages answer a password form (HTML) or 401 (feed,
// JSON) until the visitor logs in; the visitor then holds a cookie with an
// HMAC of the page id and its password hash, so changing the password logs
// every visitor out.
package statuspage

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/betterstack/betterstack/modules/apperr"
	"github.com/betterstack/betterstack/modules/text"
)

// Page is a status page as its owner manages it.
type Page struct {
	ID           int64     `json:"id"`
	Key          string    `json:"key"`
	Slug         string    `json:"slug"`
	Title        string    `json:"title"`
	Description  string    `json:"description"`
	LogoURL      string    `json:"logo_url"`
	CustomDomain string    `json:"custom_domain"`
	Protected    bool      `json:"password_protected"`
	Sections     []Section `json:"sections"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`

	WorkspaceID  int64  `json:"-"`
	PasswordHash string `json:"-"` // argon2id, "" when public; never leaves the server
}

// Section is a titled group of components.
type Section struct {
	Name       string      `json:"name"`
	Components []Component `json:"components"`
}

// Component is one monitor shown on a page under a display name.
type Component struct {
	MonitorID   int64  `json:"monitor_id"`
	DisplayName string `json:"display_name"`
}

// Input is a page as written by its owner: every field optional, so one type
// serves create and partial update. Password "" removes the password; an
// absent password keeps it.
type Input struct {
	Key          *string    `json:"key"`
	Slug         *string    `json:"slug"`
	Title        *string    `json:"title"`
	Description  *string    `json:"description"`
	LogoURL      *string    `json:"logo_url"`
	CustomDomain *string    `json:"custom_domain"`
	Password     *string    `json:"password"`
	Sections     *[]Section `json:"sections"`
}

// Limits on what a page may hold.
const (
	MaxTitle         = 200
	MaxDescription   = 2000
	MaxURL           = 2048
	MaxSections      = 50
	MaxComponents    = 200 // per page
	MaxName          = 100 // section and display names
	MinPasswordLen   = 8
	MaxPasswordLen   = 200
	MaxUpdateMessage = 5000
)

// Errors of this module.
var (
	ErrNotFound         = apperr.New(apperr.NotFound, "status page not found")
	ErrMonitorNotFound  = apperr.New(apperr.NotFound, "monitor not found")
	ErrBadgeNotFound    = apperr.New(apperr.NotFound, "badge not found")
	ErrPasswordRequired = apperr.New(apperr.Unauthorized, "this status page is password-protected: enter its password on the page first")
	ErrWrongPassword    = apperr.New(apperr.Unauthorized, "wrong password")
	ErrSlugTaken        = &apperr.Error{Kind: apperr.Conflict, Message: "another status page has this slug", Fields: map[string]string{"slug": "is taken"}}
	ErrDomainTaken      = &apperr.Error{Kind: apperr.Conflict, Message: "another status page has this custom domain", Fields: map[string]string{"custom_domain": "is taken"}}
)

var (
	slugPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$`)
	// A hostname of two labels or more whose last starts with a letter (so
	// never an IP address).
	hostPattern = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$`)
)

// apply copies the given fields of in onto p (the password is the
// service's: it is hashed, never stored as given).
func (in Input) apply(p *Page) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = strings.TrimSpace(*src)
		}
	}
	set(&p.Slug, in.Slug)
	set(&p.Title, in.Title)
	set(&p.Description, in.Description)
	set(&p.LogoURL, in.LogoURL)
	set(&p.CustomDomain, in.CustomDomain)
	p.Slug = strings.ToLower(p.Slug)
	p.CustomDomain = strings.TrimSuffix(strings.ToLower(p.CustomDomain), ".")
	if in.Sections != nil {
		p.Sections = make([]Section, 0, len(*in.Sections))
		for _, s := range *in.Sections {
			sec := Section{Name: strings.TrimSpace(s.Name), Components: make([]Component, 0, len(s.Components))}
			for _, c := range s.Components {
				sec.Components = append(sec.Components, Component{MonitorID: c.MonitorID, DisplayName: strings.TrimSpace(c.DisplayName)})
			}
			p.Sections = append(p.Sections, sec)
		}
	}
	if p.Sections == nil {
		p.Sections = []Section{}
	}
}

// Validate checks a page and names the wrong fields. Monitor ownership is
// the service's to check.
func (p Page) Validate() error {
	f := apperr.Fields{}
	if !slugPattern.MatchString(p.Slug) {
		f.Add("slug", "must be 1 to 64 lowercase letters, digits and hyphens, not starting or ending with a hyphen")
	}
	if p.Title == "" {
		f.Add("title", fmt.Sprintf("is required (at most %d characters)", MaxTitle))
	} else if msg := text.Line(p.Title, MaxTitle); msg != "" {
		f.Add("title", msg)
	}
	if msg := text.Block(p.Description, MaxDescription); msg != "" {
		f.Add("description", msg)
	}
	if p.LogoURL != "" {
		if msg := validateLogo(p.LogoURL); msg != "" {
			f.Add("logo_url", msg)
		}
	}
	if p.CustomDomain != "" && (len(p.CustomDomain) > 253 || !hostPattern.MatchString(p.CustomDomain)) {
		f.Add("custom_domain", "must be a hostname like status.example.com (no scheme, port or path)")
	}
	if len(p.Sections) > MaxSections {
		f.Add("sections", fmt.Sprintf("must be at most %d sections", MaxSections))
	}
	total := 0
	seen := map[int64]bool{}
	for i, s := range p.Sections {
		at := fmt.Sprintf("sections[%d]", i)
		if s.Name == "" {
			f.Add(at+".name", fmt.Sprintf("is required (at most %d characters)", MaxName))
		} else if msg := text.Line(s.Name, MaxName); msg != "" {
			f.Add(at+".name", msg)
		}
		if len(s.Components) == 0 {
			f.Add(at+".components", "must list at least one component")
		}
		for j, c := range s.Components {
			cat := fmt.Sprintf("%s.components[%d]", at, j)
			switch {
			case c.MonitorID < 1:
				f.Add(cat+".monitor_id", "is required")
			case seen[c.MonitorID]:
				f.Add(cat+".monitor_id", "is already on this page")
			}
			seen[c.MonitorID] = true
			if msg := text.Line(c.DisplayName, MaxName); msg != "" {
				f.Add(cat+".display_name", msg)
			}
		}
		total += len(s.Components)
	}
	if total > MaxComponents {
		f.Add("sections", fmt.Sprintf("must hold at most %d components in all", MaxComponents))
	}
	return f.Err()
}

func validateLogo(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case len(raw) > MaxURL:
		return fmt.Sprintf("must be at most %d characters", MaxURL)
	case err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || strings.ContainsAny(raw, " \t\r\n"):
		return "must be an https:// URL of an image"
	}
	return ""
}

// validatePassword checks a new password; "" (remove it) is valid.
func validatePassword(pw string) error {
	if pw == "" {
		return nil
	}
	if n := utf8.RuneCountInString(pw); n < MinPasswordLen || n > MaxPasswordLen {
		return apperr.Field("password", fmt.Sprintf("must be %d to %d characters (or empty for a public page)", MinPasswordLen, MaxPasswordLen))
	}
	return nil
}

// monitorIDs lists the page's monitors in page order.
func (p Page) monitorIDs() []int64 {
	var ids []int64
	for _, s := range p.Sections {
		for _, c := range s.Components {
			ids = append(ids, c.MonitorID)
		}
	}
	return ids
}

// ComponentCount is how many components the page shows.
func (p Page) ComponentCount() int { return len(p.monitorIDs()) }

// Path is the page's public path on the dashboard's host.
func (p Page) Path() string { return "/status/" + p.Slug }

// UpdateStatus is where an incident stands in its owner's words.
type UpdateStatus string

// Update statuses.
const (
	UpdateInvestigating UpdateStatus = "investigating"
	UpdateIdentified    UpdateStatus = "identified"
	UpdateMonitoring    UpdateStatus = "monitoring"
	UpdateResolved      UpdateStatus = "resolved"
)

// Label is the status as the public reads it.
func (s UpdateStatus) Label() string {
	switch s {
	case UpdateInvestigating:
		return "Investigating"
	case UpdateIdentified:
		return "Identified"
	case UpdateMonitoring:
		return "Monitoring"
	case UpdateResolved:
		return "Resolved"
	}
	return string(s)
}

// Update is a public note on an incident, as its owner wrote it.
type Update struct {
	ID         int64        `json:"id"`
	IncidentID int64        `json:"incident_id"`
	Status     UpdateStatus `json:"status"`
	Message    string       `json:"message"`
	CreatedAt  time.Time    `json:"created_at"`
}

// UpdateInput is a new update.
type UpdateInput struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

// Validate checks an update and names the wrong fields. The message is kept
// exactly as written; it is escaped wherever it is shown.
func (in UpdateInput) Validate() error {
	f := apperr.Fields{}
	switch UpdateStatus(in.Status) {
	case UpdateInvestigating, UpdateIdentified, UpdateMonitoring, UpdateResolved:
	default:
		f.Add("status", "must be investigating, identified, monitoring or resolved")
	}
	if msg := text.RequiredBlock(in.Message, MaxUpdateMessage); msg != "" {
		f.Add("message", msg)
	}
	return f.Err()
}

// State is a component's state as the public sees it.
type State string

// Component states.
const (
	StateOperational State = "operational"
	StateDegraded    State = "degraded"
	StateDown        State = "down"
	StateMaintenance State = "maintenance"
	StatePaused      State = "paused"
	StateUnknown     State = "unknown"
)

// Label is the state in words.
func (s State) Label() string {
	switch s {
	case StateOperational:
		return "Operational"
	case StateDegraded:
		return "Degraded performance"
	case StateDown:
		return "Outage"
	case StateMaintenance:
		return "Maintenance"
	case StatePaused:
		return "Paused"
	}
	return "No data"
}

// Pill is the CSS pill class suffix of the state.
func (s State) Pill() string {
	switch s {
	case StateOperational:
		return "up"
	case StateDegraded:
		return "degraded"
	case StateDown:
		return "down"
	case StateMaintenance:
		return "maintenance"
	case StatePaused:
		return "paused"
	}
	return "unknown"
}

// ComponentState is a component's public state from its monitor's status
// and whether a maintenance window covering it is in force. Pure.
func ComponentState(status string, maintenance bool) State {
	if maintenance {
		return StateMaintenance
	}
	switch status {
	case "up":
		return StateOperational
	case "degraded":
		return StateDegraded
	case "down":
		return StateDown
	case "paused":
		return StatePaused
	}
	return StateUnknown
}

// OverallState is a page's state as a whole.
type OverallState string

// Overall states.
const (
	OverallOperational OverallState = "operational"
	OverallPartial     OverallState = "partial"
	OverallMajor       OverallState = "major"
	OverallMaintenance OverallState = "maintenance"
)

// Label is the page's headline.
func (o OverallState) Label() string {
	switch o {
	case OverallMajor:
		return "Major outage"
	case OverallPartial:
		return "Partial outage"
	case OverallMaintenance:
		return "Maintenance"
	}
	return "All systems operational"
}

// Overall applies the page rule (see the package doc) to its components'
// states. Pure.
func Overall(states []State) OverallState {
	var down, degraded, maint int
	for _, s := range states {
		switch s {
		case StateDown:
			down++
		case StateDegraded:
			degraded++
		case StateMaintenance:
			maint++
		}
	}
	switch {
	case down > 0 && down*2 > len(states):
		return OverallMajor
	case down > 0 || degraded > 0:
		return OverallPartial
	case maint > 0:
		return OverallMaintenance
	}
	return OverallOperational
}

// GuardDomain refuses a custom domain that is the host the request itself
// reached: a page there would take over the dashboard and the API for
// everyone using that address. (With public_url set, the service also
// refuses that host.) Handlers call it before Create and Update.
func GuardDomain(in Input, requestHost string) error {
	if in.CustomDomain == nil || *in.CustomDomain == "" {
		return nil
	}
	if hostOnly(*in.CustomDomain) == hostOnly(requestHost) {
		return apperr.Field("custom_domain", "is the address this installation is reached at; use a domain of its own")
	}
	return nil
}
