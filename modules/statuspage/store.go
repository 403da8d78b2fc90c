package statuspage

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/betterstack/betterstack/modules/database"
	"github.com/betterstack/betterstack/modules/tick"
)

// store is the only code that touches status_pages, status_page_components,
// incident_updates and badges. It reads monitors, monitor_state, incidents,
// rollups_daily and rollups_hourly, and monitor_region_state's open hours,
// read-only and only the columns a public page may show (ids, status,
// paused, kind, start and end, check and failure counts), so
// what the view is built from cannot carry a URL, a header, an error
// message or evidence.
type store struct {
	db *database.DB
}

type pageRow struct {
	ID           int64
	WorkspaceID  int64
	Key          string
	Slug         string
	Title        string
	Description  string
	LogoURL      string `gorm:"column:logo_url"`
	CustomDomain string `gorm:"column:custom_domain"`
	PasswordHash string `gorm:"column:password_hash"`
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

func (pageRow) TableName() string { return "status_pages" }

func (r pageRow) page() Page {
	return Page{ID: r.ID, Key: r.Key, WorkspaceID: r.WorkspaceID, Slug: r.Slug, Title: r.Title, Description: r.Description, LogoURL: r.LogoURL,
		CustomDomain: r.CustomDomain, PasswordHash: r.PasswordHash, Protected: r.PasswordHash != "",
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), Sections: []Section{}}
}

func toPageRow(p Page) pageRow {
	return pageRow{ID: p.ID, Key: p.Key, WorkspaceID: p.WorkspaceID, Slug: p.Slug, Title: p.Title, Description: p.Description, LogoURL: p.LogoURL,
		CustomDomain: p.CustomDomain, PasswordHash: p.PasswordHash, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

type componentRow struct {
	ID           int64
	StatusPageID int64
	Section      string
	Position     int
	MonitorID    int64
	DisplayName  string
}

func (componentRow) TableName() string { return "status_page_components" }

type updateRow struct {
	ID         int64
	IncidentID int64
	UserID     int64 // the author
	Status     string
	Message    string
	CreatedAt  time.Time
}

func (updateRow) TableName() string { return "incident_updates" }

func (r updateRow) update() Update {
	return Update{ID: r.ID, IncidentID: r.IncidentID, Status: UpdateStatus(r.Status), Message: r.Message, CreatedAt: r.CreatedAt.UTC()}
}

type badgeRow struct {
	MonitorID   int64 `gorm:"primaryKey;autoIncrement:false"`
	WorkspaceID int64
	Token       string
	CreatedAt   time.Time
}

func (badgeRow) TableName() string { return "badges" }

// notFound turns gorm's missing row into the module's error.
func notFound(err, as error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return as
	}
	return err
}

// taken reports which of the page's unique fields another page holds.
func (s *store) taken(tx *gorm.DB, p Page) error {
	var n int64
	if err := tx.Model(&pageRow{}).Where("slug = ? AND id <> ?", p.Slug, p.ID).Count(&n).Error; err != nil {
		return err
	}
	if n > 0 {
		return ErrSlugTaken
	}
	if p.CustomDomain == "" {
		return nil
	}
	if err := tx.Model(&pageRow{}).Where("custom_domain = ? AND id <> ?", p.CustomDomain, p.ID).Count(&n).Error; err != nil {
		return err
	}
	if n > 0 {
		return ErrDomainTaken
	}
	return nil
}

// savePage inserts (ID 0) or updates the page and replaces its components.
func (s *store) savePage(tx *gorm.DB, p *Page) error {
	r := toPageRow(*p)
	var err error
	if r.ID == 0 {
		err = tx.Create(&r).Error
	} else {
		err = tx.Save(&r).Error
	}
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return ErrSlugTaken // a concurrent save won the race; the slug is the likelier field
	}
	if err != nil {
		return err
	}
	p.ID = r.ID
	if err := tx.Where("status_page_id = ?", r.ID).Delete(&componentRow{}).Error; err != nil {
		return err
	}
	var rows []componentRow
	for _, sec := range p.Sections {
		for _, c := range sec.Components {
			rows = append(rows, componentRow{StatusPageID: r.ID, Section: sec.Name, Position: len(rows), MonitorID: c.MonitorID, DisplayName: c.DisplayName})
		}
	}
	if len(rows) == 0 {
		return nil
	}
	return tx.Create(&rows).Error
}

func (s *store) deletePage(ctx context.Context, workspaceID, id int64) error {
	res := s.db.WithContext(ctx).Where("id = ? AND workspace_id = ?", id, workspaceID).Delete(&pageRow{})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// page returns one of the user's pages with its sections.
func (s *store) page(ctx context.Context, workspaceID, id int64) (Page, error) {
	var r pageRow
	if err := s.db.WithContext(ctx).Where("id = ? AND workspace_id = ?", id, workspaceID).Take(&r).Error; err != nil {
		return Page{}, notFound(err, ErrNotFound)
	}
	ps := []Page{r.page()}
	err := s.attachSections(ctx, ps)
	return ps[0], err
}

// pages returns the user's pages with their sections, oldest first.
func (s *store) pages(ctx context.Context, workspaceID int64) ([]Page, error) {
	var rows []pageRow
	if err := s.db.WithContext(ctx).Where("workspace_id = ?", workspaceID).Order("id").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]Page, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.page())
	}
	return out, s.attachSections(ctx, out)
}

// pageBySlug returns a page without its sections (the public lookup).
func (s *store) pageBySlug(ctx context.Context, slug string) (Page, error) {
	var r pageRow
	if err := s.db.WithContext(ctx).Where("slug = ?", slug).Take(&r).Error; err != nil {
		return Page{}, notFound(err, ErrNotFound)
	}
	return r.page(), nil
}

// attachSections fills the pages' sections with one query.
func (s *store) attachSections(ctx context.Context, ps []Page) error {
	if len(ps) == 0 {
		return nil
	}
	idx := make(map[int64]int, len(ps))
	ids := make([]int64, len(ps))
	for i, p := range ps {
		idx[p.ID], ids[i] = i, p.ID
	}
	var rows []componentRow
	if err := s.db.WithContext(ctx).Where("status_page_id IN ?", ids).Order("status_page_id, position").Find(&rows).Error; err != nil {
		return err
	}
	for _, r := range rows {
		p := &ps[idx[r.StatusPageID]]
		if n := len(p.Sections); n == 0 || p.Sections[n-1].Name != r.Section {
			p.Sections = append(p.Sections, Section{Name: r.Section})
		}
		sec := &p.Sections[len(p.Sections)-1]
		sec.Components = append(sec.Components, Component{MonitorID: r.MonitorID, DisplayName: r.DisplayName})
	}
	return nil
}

// domains maps every custom domain to its page's slug.
func (s *store) domains(ctx context.Context) (map[string]string, error) {
	var rows []struct{ CustomDomain, Slug string }
	if err := s.db.WithContext(ctx).Model(&pageRow{}).Select("custom_domain, slug").Where("custom_domain <> ''").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[r.CustomDomain] = r.Slug
	}
	return out, nil
}

// monitorNames returns the names of those of ids that workspaceID owns.
func (s *store) monitorNames(ctx context.Context, workspaceID int64, ids []int64) (map[int64]string, error) {
	out := map[int64]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		ID   int64
		Name string
	}
	if err := s.db.WithContext(ctx).Raw("SELECT id, name FROM monitors WHERE workspace_id = ? AND id IN ?", workspaceID, ids).Scan(&rows).Error; err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.ID] = r.Name
	}
	return out, nil
}

// monitorStatuses returns each monitor's status as its API shows it:
// paused wins, no state yet is pending.
func (s *store) monitorStatuses(ctx context.Context, ids []int64) (map[int64]string, error) {
	out := map[int64]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		ID     int64
		Paused bool
		Status *string
	}
	err := s.db.WithContext(ctx).Raw("SELECT monitors.id, monitors.paused, monitor_state.status FROM monitors "+
		"LEFT JOIN monitor_state ON monitor_state.monitor_id = monitors.id WHERE monitors.id IN ?", ids).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		switch {
		case r.Paused:
			out[r.ID] = "paused"
		case r.Status == nil || *r.Status == "":
			out[r.ID] = "pending"
		default:
			out[r.ID] = *r.Status
		}
	}
	return out, nil
}

// dayCount is one monitor's checks on one UTC day in one region.
type dayCount struct {
	MonitorID        int64
	Day              time.Time
	Checks, Failures int64
}

// dailyUptime returns, per monitor, region and UTC day in [from, to), its
// checks and failures; a monitor's day may come in several rows (its
// daily row, and hours not folded into it yet and open hours, whose Day
// is their hour's start), to be added up by day (buildView does). It reads rollups_daily itself rather than through
// tick.Service.Daily because a page needs 2 of its 24 columns: for 50
// components over 90 days in 2 regions, scanning 9,000 rows of 24 values
// took most of a page's build time (BenchmarkStatusPage). Summing regions
// here rather than in SQL is faster too: PostgreSQL's grouping of the
// parameterised query cost more than the transfer it saved.
func (s *store) dailyUptime(ctx context.Context, monitorIDs []int64, from, to time.Time) ([]dayCount, error) {
	if len(monitorIDs) == 0 {
		return nil, nil
	}
	// A day is its daily row plus its hours not folded into it yet
	// (tick.Fold) and its regions' open hours (tick.RegionState.Hour),
	// read in one statement: one snapshot.
	hFrom, hTo := tick.HoursOfDays(from, to)
	rows, err := s.db.WithContext(ctx).Raw("SELECT monitor_id, bucket, checks, failures FROM rollups_daily "+
		"WHERE monitor_id IN ? AND bucket >= ? AND bucket < ? UNION ALL SELECT monitor_id, bucket, checks, failures FROM rollups_hourly "+
		"WHERE monitor_id IN ? AND bucket >= ? AND bucket < ? AND NOT folded UNION ALL SELECT monitor_id, hour_bucket, hour_checks, hour_failures "+
		"FROM monitor_region_state WHERE monitor_id IN ? AND hour_bucket >= ? AND hour_bucket < ? AND hour_checks > 0",
		monitorIDs, from.UTC(), to.UTC(), monitorIDs, hFrom, hTo, monitorIDs, hFrom, hTo).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]dayCount, 0, 2*len(monitorIDs)*Days)
	for rows.Next() {
		var r dayCount
		if err := rows.Scan(&r.MonitorID, &r.Day, &r.Checks, &r.Failures); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// incidentFact is what a public page may know of an incident.
type incidentFact struct {
	ID         int64
	MonitorID  int64
	Kind       string
	Status     string
	StartedAt  time.Time
	ResolvedAt *time.Time
}

// maxIncidents bounds how many incidents one page reads: the newest win.
const maxIncidents = 1000

// incidentFacts returns the incidents of monitorIDs open now or resolved at
// or after since, newest first.
func (s *store) incidentFacts(ctx context.Context, monitorIDs []int64, since time.Time) ([]incidentFact, error) {
	if len(monitorIDs) == 0 {
		return nil, nil
	}
	var rows []incidentFact
	err := s.db.WithContext(ctx).Raw("SELECT id, monitor_id, kind, status, started_at, resolved_at FROM incidents "+
		"WHERE monitor_id IN ? AND (status <> 'resolved' OR resolved_at >= ?) ORDER BY started_at DESC, id DESC LIMIT ?",
		monitorIDs, since.UTC(), maxIncidents).Scan(&rows).Error
	for i := range rows {
		rows[i].StartedAt = rows[i].StartedAt.UTC()
		if rows[i].ResolvedAt != nil {
			t := rows[i].ResolvedAt.UTC()
			rows[i].ResolvedAt = &t
		}
	}
	return rows, err
}

// updatesOf returns the updates of incidentIDs by incident, oldest first.
func (s *store) updatesOf(ctx context.Context, incidentIDs []int64) (map[int64][]Update, error) {
	out := map[int64][]Update{}
	if len(incidentIDs) == 0 {
		return out, nil
	}
	var rows []updateRow
	if err := s.db.WithContext(ctx).Where("incident_id IN ?", incidentIDs).Order("incident_id, id").Find(&rows).Error; err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.IncidentID] = append(out[r.IncidentID], r.update())
	}
	return out, nil
}

func (s *store) insertUpdate(ctx context.Context, r updateRow) (Update, error) {
	err := s.db.WithContext(ctx).Create(&r).Error
	return r.update(), err
}

// setBadge creates the monitor's badge or replaces its token.
func (s *store) setBadge(ctx context.Context, r badgeRow) error {
	return s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "monitor_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"token", "created_at"}),
	}).Create(&r).Error
}

func (s *store) badge(ctx context.Context, workspaceID, monitorID int64) (badgeRow, error) {
	var r badgeRow
	err := s.db.WithContext(ctx).Where("monitor_id = ? AND workspace_id = ?", monitorID, workspaceID).Take(&r).Error
	return r, notFound(err, ErrBadgeNotFound)
}

func (s *store) badgeByToken(ctx context.Context, token string) (badgeRow, error) {
	var r badgeRow
	err := s.db.WithContext(ctx).Where("token = ?", token).Take(&r).Error
	return r, notFound(err, ErrBadgeNotFound)
}

func (s *store) deleteBadge(ctx context.Context, workspaceID, monitorID int64) error {
	res := s.db.WithContext(ctx).Where("monitor_id = ? AND workspace_id = ?", monitorID, workspaceID).Delete(&badgeRow{})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrBadgeNotFound
	}
	return nil
}

// countPages counts the user's status pages.
func (s *store) countPages(ctx context.Context, workspaceID int64) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&pageRow{}).Where("workspace_id = ?", workspaceID).Count(&n).Error
	return n, err
}
