package statuspage

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"

	"github.com/betterstack/betterstack/modules/apperr"
	"github.com/betterstack/betterstack/modules/chart"
)

// Badge is a monitor's public badge: a random token in the URLs of its
// images, so the monitor's id is never exposed and rotating the token
// breaks every old link.
type Badge struct {
	MonitorID int64     `json:"monitor_id"`
	Token     string    `json:"token"`
	URLs      BadgeURLs `json:"urls"`
	CreatedAt time.Time `json:"created_at"`
}

// BadgeURLs are the badge's images.
type BadgeURLs struct {
	Status       string `json:"status"`
	Uptime       string `json:"uptime"`
	ResponseTime string `json:"response_time"`
}

// BadgeKind is which image a badge URL asks for.
type BadgeKind string

// Badge images.
const (
	BadgeStatus       BadgeKind = "status"
	BadgeUptime       BadgeKind = "uptime"
	BadgeResponseTime BadgeKind = "response-time"
)

// badgeWindows are the uptime badge's windows, by their query value.
var badgeWindows = map[string]time.Duration{
	"24h": 24 * time.Hour, "7d": 7 * 24 * time.Hour, "30d": 30 * 24 * time.Hour, "90d": 90 * 24 * time.Hour,
}

// DefaultBadgeWindow is the uptime badge's window when none is asked for.
const DefaultBadgeWindow = "30d"

// ErrBadWindow is an uptime window the badge does not offer.
var ErrBadWindow = apperr.New(apperr.BadRequest, "window must be 24h, 7d, 30d or 90d")

var tokenPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// EnableBadge creates the badge of one of the user's monitors, or gives it
// a new token: the old URLs stop working at once.
func (s *Service) EnableBadge(ctx context.Context, workspaceID, monitorID int64) (Badge, error) {
	if err := s.ownMonitor(ctx, workspaceID, monitorID); err != nil {
		return Badge{}, err
	}
	token, err := randomToken()
	if err != nil {
		return Badge{}, err
	}
	r := badgeRow{MonitorID: monitorID, WorkspaceID: workspaceID, Token: token, CreatedAt: s.now()}
	if err := s.store.setBadge(ctx, r); err != nil {
		return Badge{}, err
	}
	return s.badge(r), nil
}

// Badge returns the badge of one of the user's monitors, ErrBadgeNotFound
// while it is disabled.
func (s *Service) Badge(ctx context.Context, workspaceID, monitorID int64) (Badge, error) {
	if err := s.ownMonitor(ctx, workspaceID, monitorID); err != nil {
		return Badge{}, err
	}
	r, err := s.store.badge(ctx, workspaceID, monitorID)
	if err != nil {
		return Badge{}, err
	}
	return s.badge(r), nil
}

// DisableBadge removes the badge of one of the user's monitors.
func (s *Service) DisableBadge(ctx context.Context, workspaceID, monitorID int64) error {
	if err := s.ownMonitor(ctx, workspaceID, monitorID); err != nil {
		return err
	}
	return s.store.deleteBadge(ctx, workspaceID, monitorID)
}

func (s *Service) ownMonitor(ctx context.Context, workspaceID, monitorID int64) error {
	names, err := s.store.monitorNames(ctx, workspaceID, []int64{monitorID})
	if err != nil {
		return err
	}
	if _, ok := names[monitorID]; !ok {
		return ErrMonitorNotFound
	}
	return nil
}

func (s *Service) badge(r badgeRow) Badge {
	base := strings.TrimSuffix(s.cfg.PublicURL, "/") + "/badge/" + r.Token
	return Badge{MonitorID: r.MonitorID, Token: r.Token, CreatedAt: r.CreatedAt.UTC(), URLs: BadgeURLs{
		Status: base + "/status.svg", Uptime: base + "/uptime.svg?window=" + DefaultBadgeWindow, ResponseTime: base + "/response-time.svg",
	}}
}

// ParseBadgeWindow reads the uptime badge's window parameter ("" is 30d).
func ParseBadgeWindow(v string) (string, time.Duration, error) {
	if v == "" {
		v = DefaultBadgeWindow
	}
	d, ok := badgeWindows[v]
	if !ok {
		return "", 0, ErrBadWindow
	}
	return v, d, nil
}

// BadgeImage draws the badge image kind of the monitor whose badge token is
// token; window is the uptime badge's ("" means 30d). An unknown or rotated
// token is ErrBadgeNotFound.
func (s *Service) BadgeImage(ctx context.Context, token string, kind BadgeKind, window string) ([]byte, error) {
	name, d, err := ParseBadgeWindow(window)
	if kind == BadgeUptime && err != nil {
		return nil, err
	}
	if !tokenPattern.MatchString(token) {
		return nil, ErrBadgeNotFound
	}
	r, err := s.store.badgeByToken(ctx, token)
	if err != nil {
		return nil, err
	}
	ids := []int64{r.MonitorID}
	var label, msg, colour string
	switch kind {
	case BadgeStatus:
		st, err := s.store.monitorStatuses(ctx, ids)
		if err != nil {
			return nil, err
		}
		label = "status"
		msg, colour = StatusBadge(st[r.MonitorID])
	case BadgeUptime:
		w, err := s.rollups.Window(ctx, ids, s.now(), d)
		if err != nil {
			return nil, err
		}
		label = "uptime " + name
		msg, colour = UptimeBadge(w[r.MonitorID].Uptime())
	case BadgeResponseTime:
		w, err := s.rollups.Window(ctx, ids, s.now(), 24*time.Hour)
		if err != nil {
			return nil, err
		}
		label = "response time 24h"
		msg, colour = ResponseTimeBadge(w[r.MonitorID].AvgLatency())
	default:
		return nil, ErrBadgeNotFound
	}
	return chart.Badge(label, msg, colour), nil
}

// StatusBadge is the status badge's message and colour for a monitor
// status: up green, degraded yellow, down red, anything else (paused,
// pending, unknown) grey. Pure.
func StatusBadge(status string) (string, string) {
	switch status {
	case "up":
		return "up", chart.Green
	case "degraded":
		return "degraded", chart.Yellow
	case "down":
		return "down", chart.Red
	case "paused", "pending":
		return status, chart.Grey
	}
	return "unknown", chart.Grey
}

// UptimeBadge is the uptime badge's message and colour: green from
// 99.9 %, yellow from 99 %, orange from 95 %, red below, grey without
// data. The figure is floored, so a failure never shows as 100 %. Pure.
func UptimeBadge(u float64) (string, string) {
	if math.IsNaN(u) {
		return "no data", chart.Grey
	}
	msg := "100%"
	if u < 1 {
		msg = fmt.Sprintf("%.2f%%", math.Floor(u*10000)/100)
	}
	switch {
	case u >= 0.999:
		return msg, chart.Green
	case u >= 0.99:
		return msg, chart.Yellow
	case u >= 0.95:
		return msg, chart.Orange
	}
	return msg, chart.Red
}

// ResponseTimeBadge is the response-time badge's message and colour:
// green under 300 ms, yellow under 1 s, orange under 3 s, red above, grey
// without data. Pure.
func ResponseTimeBadge(ms float64) (string, string) {
	if math.IsNaN(ms) {
		return "no data", chart.Grey
	}
	msg := fmt.Sprintf("%.0f ms", ms)
	if ms >= 1000 {
		msg = fmt.Sprintf("%.2f s", ms/1000)
	}
	switch {
	case ms < 300:
		return msg, chart.Green
	case ms < 1000:
		return msg, chart.Yellow
	case ms < 3000:
		return msg, chart.Orange
	}
	return msg, chart.Red
}
