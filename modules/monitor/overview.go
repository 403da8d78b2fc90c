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
	// Exclude leaves these monitors out whatever their status; Only, when
	// not nil, keeps these alone. The overview lists monitors in a
	// maintenance window apart from what their checks say: "Down" must
	// not list one it counts under "Maintenance".
	Exclude, Only []int64
}

// restricts reports whether f names monitors to leave out or keep.
func (f OverviewFilter) restricts() bool { return f.Exclude != nil || f.Only != nil }

// idConds are f's conditions on the monitor id column col, with args.
func (f OverviewFilter) idConds(col string) (conds []string, args []any) {
	if len(f.Exclude) > 0 {
		conds, args = append(conds, col+" NOT IN ?"), append(args, f.Exclude)
	}
	switch {
	case f.Only == nil:
	case len(f.Only) == 0:
		conds = append(conds, "1 = 0")
	default:
		conds, args = append(conds, col+" IN ?"), append(args, f.Only)
	}
	return conds, args
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
// number of monitors beyond one scan of the user's rows: one statement
// counts and picks the page's ids from narrow rows (id, name, target,
// status), a second reads those monitors whole. Sorting the full rows of
// every monitor to keep 100 took twice as long at 5,000 monitors.
func (s *Service) Overview(ctx context.Context, workspaceID int64, f OverviewFilter) (Overview, error) {
	if f.Limit < 1 || f.Limit > MaxPage {
		f.Limit = 100
	}
	f.Offset = max(f.Offset, 0)
	counts, ids, err := s.store.overviewIDs(ctx, workspaceID, f)
	if err != nil {
		return Overview{}, err
	}
	out := Overview{Counts: counts}
	switch {
	case f.Query != "" || f.restricts():
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
	if len(ids) == 0 {
		out.Monitors = []Monitor{}
		return out, nil
	}
	out.Monitors, err = s.store.overviewPage(ctx, workspaceID, ids)
	return out, err
}

// effectiveStatus is row.monitor's Status rule in SQL: paused wins, then
// the checks' status, pending before any result.
const effectiveStatus = "(CASE WHEN monitors.paused THEN 'paused' " +
	"WHEN monitor_state.status IS NULL OR monitor_state.status = '' THEN 'pending' ELSE monitor_state.status END)"

// attentionRank sorts statuses (the column st of overviewIDs) in
// AttentionOrder; anything else goes last.
var attentionRank = func() string {
	var b strings.Builder
	b.WriteString("(CASE st")
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
	conds, args := f.idConds("monitors.id")
	if len(conds) > 0 {
		q = q.Where(strings.Join(conds, " AND "), args...)
	}
	return q
}

// overviewIDs counts all of the user's monitors by status and returns the
// ids of the page f asks for, in AttentionOrder then by name, from one scan
// of narrow rows (s): the first part of the union is the counts, the second
// the page.
func (s *store) overviewIDs(ctx context.Context, workspaceID int64, f OverviewFilter) (map[Status]int, []int64, error) {
	conds, args, target := []string{"TRUE"}, []any{workspaceID}, ""
	if f.Status != "" {
		conds, args = append(conds, "st = ?"), append(args, string(f.Status))
	}
	if f.Query != "" {
		p := likePattern(f.Query)
		conds, target = append(conds, `(lname LIKE ? ESCAPE '\' OR LOWER(target) LIKE ? ESCAPE '\')`), " monitors.target,"
		args = append(args, p, p)
	}
	idc, ida := f.idConds("id")
	conds, args = append(conds, idc...), append(args, ida...)
	where := " WHERE " + strings.Join(conds, " AND ")
	args = append(args, f.Limit, f.Offset)
	var rows []struct {
		Part int
		St   string
		N    int
		ID   int64
	}
	// The rows carry the sort key (LOWER(name)) rather than the name, and
	// the target only to filter on: the narrower they are, the cheaper
	// every render (it is most of this statement's time at 5,000 monitors).
	err := s.db.WithContext(ctx).Raw(`WITH s AS MATERIALIZED (
			SELECT monitors.id, LOWER(monitors.name) AS lname,`+target+` `+effectiveStatus+` AS st FROM monitors
			LEFT JOIN monitor_state ON monitor_state.monitor_id = monitors.id
			WHERE monitors.workspace_id = ?)
		SELECT * FROM (SELECT 0 AS part, st, COUNT(*) AS n, 0 AS id, 0 AS rk, '' AS lname FROM s GROUP BY st) c
		UNION ALL
		SELECT * FROM (SELECT 1 AS part, st, 0 AS n, id, `+attentionRank+` AS rk, lname FROM s`+where+`
			ORDER BY rk, lname, id LIMIT ? OFFSET ?) p
		ORDER BY part, rk, lname, id`, args...).Scan(&rows).Error
	if err != nil {
		return nil, nil, err
	}
	counts := make(map[Status]int, len(AttentionOrder))
	var ids []int64
	for _, r := range rows {
		if r.Part == 0 {
			counts[Status(r.St)] += r.N
		} else {
			ids = append(ids, r.ID)
		}
	}
	return counts, ids, nil
}

// overviewPage reads the monitors of ids, in the order of ids.
func (s *store) overviewPage(ctx context.Context, workspaceID int64, ids []int64) ([]Monitor, error) {
	var rows []row
	err := s.withState(ctx).Where("monitors.workspace_id = ? AND monitors.id IN ?", workspaceID, ids).Find(&rows).Error
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]Monitor, len(rows))
	for _, r := range rows {
		m := r.monitor()
		m.ChannelIDs = []int64{}
		byID[m.ID] = m
	}
	out := make([]Monitor, 0, len(ids))
	for _, id := range ids {
		if m, ok := byID[id]; ok { // deleted between the two reads: left out
			out = append(out, m)
		}
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
