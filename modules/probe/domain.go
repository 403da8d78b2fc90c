package probe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/publicsuffix"
	"golang.org/x/sync/singleflight"

	"github.com/betterstack/betterstack/modules/apperr"
)

// Error classes of the domain kind.
const (
	// ClassDomainExpiry is a registration that has expired or expires
	// within the check's thresholds (down, or degraded with this class).
	ClassDomainExpiry ErrorClass = "domain_expiry"
	// ClassRDAP is an RDAP server that answered, but not usefully: an
	// error status, a malformed document, no expiration event.
	ClassRDAP ErrorClass = "rdap"
	// ClassNoRDAP is a TLD with no known RDAP service.
	ClassNoRDAP ErrorClass = "no_rdap"
)

// How long an RDAP answer is reused for every check of the same domain: a
// registration date changes rarely, and registries rate-limit lookups.
const (
	rdapTTL      = 6 * time.Hour
	rdapErrorTTL = 15 * time.Minute
	rdapMaxBytes = 1 << 20 // an RDAP domain answer is a few KiB
	rdapCacheKey = "rdap.cache"
)

// Domain is the settings of the domain kind: when does the registration of
// Name expire, according to its registry's RDAP service (RFC 9083).
type Domain struct {
	// Name is a registrable domain ("example.org", "example.co.uk"), not
	// a host under it.
	Name string `json:"name"`
	// Degraded when the registration expires in fewer than DegradedDays
	// days, down in fewer than DownDays (0: only once it has expired).
	DegradedDays int `json:"degraded_days"`
	DownDays     int `json:"down_days"`
	// RDAPServer is the RDAP base URL to ask ("https://rdap.example/v1/");
	// empty means the one the bootstrap table gives for the TLD.
	RDAPServer string `json:"rdap_server,omitempty"`
}

var _ Check = (*Domain)(nil)

// domainKind is the domain kind.
var domainKind = Kind{
	Name:      "domain",
	Title:     "Domain expiry",
	Scheduled: true,
	New:       func() Check { return newDomain() },
	Fields: []Field{
		{Name: "name", Label: "Domain", Type: FieldText, Required: true, Placeholder: "example.org",
			Help: "The registered domain, without www or any other subdomain."},
		{Name: "degraded_days", Label: "Degraded under (days)", Type: FieldNumber, Placeholder: "30",
			Help: "Degraded when the registration expires in fewer days than this."},
		{Name: "down_days", Label: "Down under (days)", Type: FieldNumber, Placeholder: "7",
			Help: "Down when it expires in fewer days than this; 0 means only once it has expired."},
		{Name: "rdap_server", Label: "RDAP server", Type: FieldText, Placeholder: "https://rdap.example.net/",
			Help: "The registry's RDAP base URL; empty means the known server for the TLD."},
	},
	Schemes: []string{"domain"},
	FromURL: domainFromURL,
}

// newDomain returns the domain kind's settings with their defaults.
func newDomain() *Domain { return &Domain{DegradedDays: 30, DownDays: 7} }

// domainFromURL reads domain://example.org?rdap_server=&degraded_days=&down_days=.
func domainFromURL(u *url.URL) (Check, error) {
	c := newDomain()
	switch {
	case u.Hostname() == "":
		return nil, apperr.Field("check.name", "is required: domain://example.org")
	case u.Port() != "" || (u.Path != "" && u.Path != "/"):
		return nil, apperr.Field("check.name", "must be a domain alone: domain://example.org")
	}
	c.Name = u.Hostname()
	q, err := newKindQuery(u)
	if err != nil {
		return nil, err
	}
	q.str("rdap_server", &c.RDAPServer)
	q.int("degraded_days", &c.DegradedDays)
	q.int("down_days", &c.DownDays)
	if err := q.err(); err != nil {
		return nil, err
	}
	return c, nil
}

// Validate implements Check.
func (c *Domain) Validate() error {
	bad := apperr.Fields{}
	if msg := domainProblem(strings.ToLower(c.Name)); msg != "" {
		bad.Add("check.name", msg)
	}
	validateExpiryDays(bad, c.DegradedDays, c.DownDays)
	if c.RDAPServer != "" {
		u, err := url.Parse(c.RDAPServer)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			bad.Add("check.rdap_server", "must be an http or https base URL like https://rdap.example.net/")
		}
	}
	return bad.Err()
}

// domainProblem says what is wrong with name as a registrable domain, or
// "" when nothing is.
func domainProblem(name string) string {
	const like = "must be a registered domain like example.org"
	switch {
	case name == "":
		return "is required"
	case hostProblem(name) != "" || strings.Contains(name, "_"):
		return like + " (internationalized names in their xn-- form)"
	case strings.Trim(name, "0123456789.") == "" || !strings.Contains(name, "."):
		return like
	}
	if ps, icann := publicsuffix.PublicSuffix(name); ps == name && icann {
		return like + ", not a public suffix"
	}
	if reg := registeredDomain(name); reg != name {
		return fmt.Sprintf("%s, not a name under it: %s", like, reg)
	}
	return ""
}

// registeredDomain returns the domain registered in the registry that
// name belongs to: one label more than the longest ICANN public suffix of
// name (private suffixes such as github.io are registrations themselves),
// or than its TLD when the list does not know it. name has two labels or
// more.
func registeredDomain(name string) string {
	labels := strings.Split(name, ".")
	for i := 1; i < len(labels); i++ {
		suffix := strings.Join(labels[i:], ".")
		if ps, icann := publicsuffix.PublicSuffix(suffix); (ps == suffix && icann) || i == len(labels)-1 {
			return strings.Join(labels[i-1:], ".")
		}
	}
	return name
}

// Target implements Check.
func (c *Domain) Target() string { return c.Name }

// Run implements Check: it finds the RDAP server, takes the answer from
// the Env's cache or asks the server, and judges the expiration date.
func (c *Domain) Run(ctx context.Context, env *Env) Result {
	name := strings.ToLower(c.Name)
	base := c.RDAPServer
	if base == "" {
		override, _ := env.Shared(RDAPBootstrapKey, func() any { return map[string]string(nil) }).(map[string]string)
		tld := name[strings.LastIndexByte(name, '.')+1:]
		var ok bool
		if base, ok = rdapBaseFor(tld, override); !ok {
			return Result{Status: StatusDown, ErrorClass: ClassNoRDAP,
				Error: fmt.Sprintf("no known RDAP service for .%s: set rdap_server to its registry's RDAP base URL", tld)}
		}
	}
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}

	cache := env.Shared(rdapCacheKey, func() any { return &rdapCache{answers: map[string]rdapAnswer{}} }).(*rdapCache)
	ans, fetched := cache.lookup(ctx, env, base+"domain/"+name, name)

	res := Result{Status: StatusDown, ErrorClass: ans.class, Error: ans.err}
	if ans.class == ClassNone {
		res.Status, res.ErrorClass, res.Error = expiryVerdict("domain "+name, ClassDomainExpiry, ans.expiry, env.Now(), c.DegradedDays, c.DownDays)
		res.Details = append(res.Details,
			Detail{Name: "expires", Value: ans.expiry.UTC().Format("2006-01-02 15:04 UTC")},
			Detail{Name: "days left", Value: strconv.Itoa(expiryDaysLeft(ans.expiry, env.Now()))})
		if ans.registrar != "" {
			res.Details = append(res.Details, Detail{Name: "registrar", Value: ans.registrar})
		}
	}
	cached := "no"
	if !fetched {
		cached = "looked up " + lookedUpAgo(env.Now().Sub(ans.fetchedAt))
	}
	res.Details = append(res.Details,
		Detail{Name: "rdap server", Value: oneLineN(base, 200)},
		Detail{Name: "cached", Value: cached})
	return res
}

// lookedUpAgo says how long ago d is: "just now", "35m ago",
// "2h ago".
func lookedUpAgo(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + "m ago"
	}
	return strconv.Itoa(int(d/time.Hour)) + "h ago"
}

// rdapCache keeps RDAP answers per lookup URL for every check of an Env,
// so a domain is looked up at most once per rdapTTL (rdapErrorTTL after a
// failure) however many monitors watch it, and concurrent checks of the
// same domain share one request.
type rdapCache struct {
	mu      sync.Mutex
	answers map[string]rdapAnswer
	flight  singleflight.Group
}

// rdapAnswer is what one lookup found: an expiry, or a failure (class set).
type rdapAnswer struct {
	expiry    time.Time
	registrar string
	class     ErrorClass
	err       string
	fetchedAt time.Time // by Env.Now
}

func (a rdapAnswer) fresh(now time.Time) bool {
	ttl := rdapTTL
	if a.class != ClassNone {
		ttl = rdapErrorTTL
	}
	return now.Sub(a.fetchedAt) < ttl
}

func (c *rdapCache) get(key string, now time.Time) (rdapAnswer, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.answers[key]
	return a, ok && a.fresh(now)
}

// put stores a and drops answers that are no longer fresh, so domains
// nobody checks any more do not stay.
func (c *rdapCache) put(key string, a rdapAnswer, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, old := range c.answers {
		if !old.fresh(now) {
			delete(c.answers, k)
		}
	}
	c.answers[key] = a
}

// lookup returns the answer for the RDAP URL u, from the cache or from the
// server; fetched says this call asked the server. A lookup cut short by
// the check's cancellation is not cached.
func (c *rdapCache) lookup(ctx context.Context, env *Env, u, name string) (ans rdapAnswer, fetched bool) {
	if a, ok := c.get(u, env.Now()); ok {
		return a, false
	}
	v, _, _ := c.flight.Do(u, func() (any, error) {
		if a, ok := c.get(u, env.Now()); ok {
			return a, nil // filled while this call waited for the lock
		}
		fetched = true
		a := fetchRDAP(ctx, env, u, name)
		a.fetchedAt = env.Now()
		if !errors.Is(ctx.Err(), context.Canceled) {
			c.put(u, a, a.fetchedAt)
		}
		return a, nil
	})
	return v.(rdapAnswer), fetched
}

// rdapDomain is the part of an RDAP domain object (RFC 9083 §5.3) the
// check reads. Entities stay raw: the registrar is evidence, and a
// registry's odd vCard should not fail the check.
type rdapDomain struct {
	Events []struct {
		Action string `json:"eventAction"`
		Date   string `json:"eventDate"`
	} `json:"events"`
	Entities []json.RawMessage `json:"entities"`
}

// fetchRDAP asks the RDAP server at u about name.
func fetchRDAP(ctx context.Context, env *Env, u, name string) rdapAnswer {
	start := time.Now()
	t := &tracer{stage: stageConnecting}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, t.clientTrace()), http.MethodGet, u, nil)
	if err != nil {
		return rdapAnswer{class: ClassRDAP, err: oneLine("bad RDAP URL: " + err.Error())}
	}
	server := req.URL.Host
	req.Header.Set("Accept", "application/rdap+json")
	req.Header.Set("User-Agent", env.Config.UserAgent)
	// Following redirects is part of RDAP (RFC 7480 §5.2); every hop is
	// dialed through the guarded Dialer.
	resp, err := env.HTTPFollow.Do(req)
	if err != nil {
		class, msg := classify(ctx, err, t, time.Since(start))
		return rdapAnswer{class: class, err: oneLine("RDAP lookup at " + server + ": " + msg)}
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return rdapAnswer{class: ClassRDAP, err: oneLine(fmt.Sprintf("RDAP server %s does not know %s (404 not found)", server, name))}
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return rdapAnswer{class: ClassRDAP, err: oneLine(fmt.Sprintf("RDAP server %s answered %s", server, resp.Status))}
	}
	var doc rdapDomain
	if err := json.NewDecoder(io.LimitReader(resp.Body, rdapMaxBytes)).Decode(&doc); err != nil {
		return rdapAnswer{class: ClassRDAP, err: oneLine(fmt.Sprintf("malformed RDAP answer from %s: %v", server, err))}
	}
	for _, e := range doc.Events {
		if !strings.EqualFold(e.Action, "expiration") {
			continue
		}
		exp, err := time.Parse(time.RFC3339, e.Date)
		if err != nil {
			return rdapAnswer{class: ClassRDAP, err: oneLine(fmt.Sprintf("malformed RDAP answer from %s: expiration date %q is not an RFC 3339 time", server, e.Date))}
		}
		return rdapAnswer{expiry: exp, registrar: rdapRegistrar(doc.Entities)}
	}
	return rdapAnswer{class: ClassRDAP, err: oneLine(fmt.Sprintf("RDAP answer from %s for %s has no expiration event", server, name))}
}

// rdapRegistrar returns the full name (vCard "fn") of the entity with the
// registrar role, or "".
func rdapRegistrar(entities []json.RawMessage) string {
	for _, raw := range entities {
		var e struct {
			Roles []string          `json:"roles"`
			VCard []json.RawMessage `json:"vcardArray"` // ["vcard", [[name, params, type, value], ...]]
		}
		if json.Unmarshal(raw, &e) != nil || len(e.VCard) < 2 || !rdapHasRole(e.Roles, "registrar") {
			continue
		}
		var props [][]json.RawMessage
		if json.Unmarshal(e.VCard[1], &props) != nil {
			continue
		}
		for _, p := range props {
			var prop, value string
			if len(p) >= 4 && json.Unmarshal(p[0], &prop) == nil && strings.EqualFold(prop, "fn") &&
				json.Unmarshal(p[3], &value) == nil && value != "" {
				return oneLineN(value, 200)
			}
		}
	}
	return ""
}

func rdapHasRole(roles []string, role string) bool {
	for _, r := range roles {
		if strings.EqualFold(r, role) {
			return true
		}
	}
	return false
}
