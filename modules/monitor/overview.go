package monitor

import (
	"context"
	"strconv"
	"strings"

	"gorm.io/gorm"
)

// AttentionOrder is the order the overview lists monitors in: what needs
// looking at first. Within a status, monitors go by name.
var AttentionOrder = []Status{StatusDown, StatusDegraded, StatusUnknown, StatusPending, StatusUp, StatusPaused}

// OverviewFilter selects one page of the overview.
type OverviewFilter struct {
	Query  string // part of the name or URL, any case; "" = all
	Status Status // "" = any
	Limit  int    // 1..MaxPage, default 100
	Offset int
}

// Overview is one page of a user's monitors in AttentionOrder, with the
// number of all their monitors per status.
type Overview struct {
	Monitors []Monitor // without ChannelIDs: the overview does not show them
	Total    int       // monitors that match the filter
	Counts   map[Status]int
}

// StatusesOf returns the status of each of the user's monitors among ids
// (another user's are left out).
func (s *Service) StatusesOf(ctx context.Context, workspaceID int64, ids []int64) (map[int64]Status, error) {
	out := map[int64]Status{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		ID     int64
		Status string
	}
	err := s.store.db.WithContext(ctx).Raw("SELECT monitors.id AS id, "+effectiveStatus+` AS status FROM monitors
		LEFT JOIN monitor_state ON monitor_state.monitor_id = monitors.id
		WHERE monitors.workspace_id = ? AND monitors.id IN ?`, workspaceID, ids).Scan(&rows).Error
	for _, r := range rows {
		out[r.ID] = Status(r.Status)
	}
	return out, err
}

// StatusCounts counts the user's monitors by status, as the overview shows
// them.
func (s *Service) StatusCounts(ctx context.Context, workspaceID int64) (map[Status]int, error) {
	return s.store.statusCounts(ctx, workspaceID)
}

// Overview returns one page of the user's monitors, the ones that need
// attention first, and how many they have of each status. Ordering, paging
// and counting happen in the database, so the cost does not grow with the
// number of monitors beyond one indexed scan of the user's rows.
func (s *Service) Overview(ctx context.Context, workspaceID int64, f OverviewFilter) (Overview, error) {
	if f.Limit < 1 || f.Limit > MaxPage {
		f.Limit = 100
	}
	f.Offset = max(f.Offset, 0)
	counts, err := s.store.statusCounts(ctx, workspaceID)
	if err != nil {
		return Overview{}, err
	}
	out := Overview{Counts: counts}
	switch {
	case f.Query != "":
		if out.Total, err = s.store.overviewTotal(ctx, workspaceID, f); err != nil {
			return Overview{}, err
		}
	case f.Status != "":
		out.Total = counts[f.Status]
	default:
		for _, n := range counts {
			out.Total += n
		}
	}
	if out.Total == 0 || f.Offset >= out.Total {
		out.Monitors = []Monitor{}
		return out, nil
	}
	out.Monitors, err = s.store.overviewPage(ctx, workspaceID, f)
	return out, err
}

// effectiveStatus is row.monitor's Status rule in SQL: paused wins, then
// the checks' status, pending before any result.
const effectiveStatus = "(CASE WHEN monitors.paused THEN 'paused' " +
	"WHEN monitor_state.status IS NULL OR monitor_state.status = '' THEN 'pending' ELSE monitor_state.status END)"

// attentionRank sorts statuses in AttentionOrder; anything else goes last.
var attentionRank = func() string {
	var b strings.Builder
	b.WriteString("(CASE " + effectiveStatus)
	for i, st := range AttentionOrder {
		b.WriteString(" WHEN '" + string(st) + "' THEN " + strconv.Itoa(i))
	}
	b.WriteString(" ELSE " + strconv.Itoa(len(AttentionOrder)) + " END)")
	return b.String()
}()

// likePattern matches q anywhere, with LIKE's wildcards in q taken literally
// (escaped with a backslash, see ESCAPE below).
func likePattern(q string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(strings.ToLower(q)) + "%"
}

// overviewWhere narrows q to the user's monitors that match f.
func overviewWhere(q *gorm.DB, workspaceID int64, f OverviewFilter) *gorm.DB {
	q = q.Where("monitors.workspace_id = ?", workspaceID)
	if f.Status != "" {
		q = q.Where(effectiveStatus+" = ?", string(f.Status))
	}
	if f.Query != "" {
		p := likePattern(f.Query)
		q = q.Where(`(LOWER(monitors.name) LIKE ? ESCAPE '\' OR LOWER(monitors.target) LIKE ? ESCAPE '\')`, p, p)
	}
	return q
}

func (s *store) overviewPage(ctx context.Context, workspaceID int64, f OverviewFilter) ([]Monitor, error) {
	var rows []row
	err := overviewWhere(s.withState(ctx), workspaceID, f).
		Order(attentionRank + ", LOWER(monitors.name), monitors.id").Limit(f.Limit).Offset(f.Offset).Find(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make([]Monitor, 0, len(rows))
	for _, r := range rows {
		m := r.monitor()
		m.ChannelIDs = []int64{}
		out = append(out, m)
	}
	return out, nil
}

func (s *store) overviewTotal(ctx context.Context, workspaceID int64, f OverviewFilter) (int, error) {
	var n int64
	err := overviewWhere(s.withState(ctx), workspaceID, f).Count(&n).Error
	return int(n), err
}

// statusCounts counts all of the user's monitors by status.
func (s *store) statusCounts(ctx context.Context, workspaceID int64) (map[Status]int, error) {
	var rows []struct {
		Status string
		N      int
	}
	err := s.db.WithContext(ctx).Raw("SELECT "+effectiveStatus+` AS status, COUNT(*) AS n FROM monitors
		LEFT JOIN monitor_state ON monitor_state.monitor_id = monitors.id
		WHERE monitors.workspace_id = ? GROUP BY 1`, workspaceID).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make(map[Status]int, len(AttentionOrder))
	for _, r := range rows {
		out[Status(r.Status)] += r.N
	}
	return out, nil
}
