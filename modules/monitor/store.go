package monitor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"github.com/betterstack/betterstack/modules/database"
	"github.com/betterstack/betterstack/modules/key"
	"github.com/betterstack/betterstack/modules/probe"
)

// store is the only code that touches the monitors table.
type store struct {
	db *database.DB
}

// row is a monitors row; list-valued fields are JSON text on both dialects.
type row struct {
	ID                 int64
	WorkspaceID        int64
	Key                string
	Name               string
	Kind               string
	CheckSpec          string // the kind's settings, JSON
	Target             string
	IntervalSeconds    int
	TimeoutMS          int      `gorm:"column:timeout_ms"`
	Regions            []string `gorm:"serializer:json"`
	FailureThreshold   int
	RecoveryThreshold  int
	Quorum             int
	DegradedAfterMS    int `gorm:"column:degraded_after_ms"`
	RemindEverySeconds int
	Paused             bool
	NextRunAt          *time.Time `gorm:"column:next_run_at;->"` // monitor_schedule's (read-only here; setSchedule writes it)
	CreatedAt          time.Time
	UpdatedAt          time.Time

	// The row's version on PostgreSQL (xmin), read by the claim only.
	RowXmin *int64 `gorm:"column:row_xmin;->"`

	// From monitor_state (read-only here; the ingest owns it).
	StateStatus   *string    `gorm:"column:state_status;->"`
	StatusSince   *time.Time `gorm:"column:status_since;->"`
	LastCheckedAt *time.Time `gorm:"column:last_checked_at;->"`
}

func (row) TableName() string { return "monitors" }

// stateColumns are the monitor_state columns read with a monitor.
const stateColumns = "monitor_state.status AS state_status, monitor_state.status_since AS status_since, " +
	"monitor_state.last_checked_at AS last_checked_at, monitor_schedule.next_run_at AS next_run_at"

// withState selects monitors with their current state.
func (s *store) withState(ctx context.Context) *gorm.DB {
	return s.db.WithContext(ctx).Table("monitors").
		Select("monitors.*, " + stateColumns).
		Joins("LEFT JOIN monitor_state ON monitor_state.monitor_id = monitors.id").
		Joins("LEFT JOIN monitor_schedule ON monitor_schedule.monitor_id = monitors.id")
}

func toRow(m Monitor) row {
	return row{
		ID: m.ID, WorkspaceID: m.WorkspaceID, Key: m.Key, Name: m.Name, Kind: m.Check.Kind, CheckSpec: string(m.Check.Config), Target: m.Target,
		IntervalSeconds: m.IntervalSeconds, TimeoutMS: m.TimeoutMS, Regions: m.Regions,
		FailureThreshold: m.FailureThreshold, RecoveryThreshold: m.RecoveryThreshold, Quorum: m.Quorum,
		DegradedAfterMS: m.DegradedAfterMS, RemindEverySeconds: m.RemindEverySeconds, Paused: m.Paused,
		CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt,
	}
}

func (r row) monitor() Monitor {
	m := Monitor{
		ID: r.ID, WorkspaceID: r.WorkspaceID, Key: r.Key, Name: r.Name, Check: probe.Spec{Kind: r.Kind, Config: json.RawMessage(r.CheckSpec)},
		Target: r.Target, IntervalSeconds: r.IntervalSeconds, TimeoutMS: r.TimeoutMS, Regions: r.Regions,
		FailureThreshold: r.FailureThreshold, RecoveryThreshold: r.RecoveryThreshold, Quorum: r.Quorum,
		DegradedAfterMS: r.DegradedAfterMS, RemindEverySeconds: r.RemindEverySeconds, Paused: r.Paused,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, Status: StatusPending,
		NextRunAt: r.NextRunAt, LastCheckedAt: r.LastCheckedAt, StatusSince: r.StatusSince,
	}
	if r.StateStatus != nil && *r.StateStatus != "" && !m.Paused {
		m.Status = Status(*r.StateStatus)
	}
	if m.Regions == nil {
		m.Regions = []string{}
	}
	if m.Check.Kind == "http" {
		var h struct {
			URL string `json:"url"`
		}
		if json.Unmarshal(m.Check.Config, &h) == nil {
			m.URL = h.URL
		}
		// Rows migrated from the first release hold the URL as written.
		m.Target = probe.RedactURL(m.Target)
	}
	if m.Paused {
		m.Status, m.StatusSince = StatusPaused, nil
	}
	return m
}

// scheduled reports whether the pusher hands m's checks to workers: not
// paused, and of a kind the workers run (heartbeats are fed by pings).
func scheduled(m Monitor) bool { return scheduledKind(m.Paused, m.Check.Kind) }

// scheduledKind is scheduled from the two columns it reads; the claim's
// narrow read uses it too. An unknown kind is scheduled: the worker's probe
// reports it as an invalid check (ClassInternal) rather than it going quiet.
func scheduledKind(paused bool, kind string) bool {
	if paused {
		return false
	}
	k, err := probe.LookupKind(kind)
	return err != nil || k.Scheduled
}

// setSchedule writes the monitor's row of monitor_schedule: next when the
// pusher schedules it (nil keeps the slot it has), NULL when it must not.
// The pusher claims from that narrow table alone (migration 00012).
func setSchedule(tx *gorm.DB, m Monitor, next *time.Time) error {
	if !scheduled(m) {
		return tx.Exec("INSERT INTO monitor_schedule (monitor_id, next_run_at) VALUES (?, NULL) "+
			"ON CONFLICT (monitor_id) DO UPDATE SET next_run_at = NULL", m.ID).Error
	}
	if next == nil {
		return tx.Exec("INSERT INTO monitor_schedule (monitor_id, next_run_at) VALUES (?, ?) "+
			"ON CONFLICT (monitor_id) DO NOTHING", m.ID, m.UpdatedAt.UTC()).Error
	}
	return tx.Exec("INSERT INTO monitor_schedule (monitor_id, next_run_at) VALUES (?, ?) "+
		"ON CONFLICT (monitor_id) DO UPDATE SET next_run_at = excluded.next_run_at", m.ID, next.UTC()).Error
}

func (s *store) create(ctx context.Context, m Monitor, nextRun time.Time) (Monitor, error) {
	r := toRow(m)
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&r).Error; err != nil {
			return key.Duplicate(err)
		}
		m.ID = r.ID
		if err := setSchedule(tx, m, &nextRun); err != nil {
			return err
		}
		return setChannels(tx, r.ID, m.ChannelIDs)
	})
	r.NextRunAt = &nextRun
	if err != nil {
		return Monitor{}, err
	}
	out := r.monitor()
	out.ChannelIDs = m.ChannelIDs
	return out, nil
}

// setChannels replaces a monitor's channel links (table monitor_channels).
func setChannels(tx *gorm.DB, monitorID int64, ids []int64) error {
	if err := tx.Exec("DELETE FROM monitor_channels WHERE monitor_id = ?", monitorID).Error; err != nil {
		return err
	}
	for _, id := range ids {
		if err := tx.Exec("INSERT INTO monitor_channels (monitor_id, channel_id) VALUES (?, ?)", monitorID, id).Error; err != nil {
			return err
		}
	}
	return nil
}

// attachChannels fills ChannelIDs of ms with one query.
func (s *store) attachChannels(ctx context.Context, ms []Monitor) error {
	if len(ms) == 0 {
		return nil
	}
	ids := make([]int64, len(ms))
	for i, m := range ms {
		ids[i] = m.ID
	}
	var links []struct{ MonitorID, ChannelID int64 }
	if err := s.db.WithContext(ctx).Raw("SELECT monitor_id, channel_id FROM monitor_channels WHERE monitor_id IN ? ORDER BY channel_id", ids).
		Scan(&links).Error; err != nil {
		return err
	}
	by := map[int64][]int64{}
	for _, l := range links {
		by[l.MonitorID] = append(by[l.MonitorID], l.ChannelID)
	}
	for i := range ms {
		ms[i].ChannelIDs = by[ms[i].ID]
		if ms[i].ChannelIDs == nil {
			ms[i].ChannelIDs = []int64{}
		}
	}
	return nil
}

// ownedChannels counts how many of ids are the user's channels.
func (s *store) ownedChannels(ctx context.Context, workspaceID int64, ids []int64) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Table("channels").Where("workspace_id = ? AND id IN ?", workspaceID, ids).Count(&n).Error
	return n, err
}

func (s *store) get(ctx context.Context, workspaceID, id int64) (Monitor, error) {
	var r row
	err := s.withState(ctx).Where("monitors.id = ? AND monitors.workspace_id = ?", id, workspaceID).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Monitor{}, ErrNotFound
	}
	if err != nil {
		return Monitor{}, err
	}
	ms := []Monitor{r.monitor()}
	err = s.attachChannels(ctx, ms)
	return ms[0], err
}

func (s *store) list(ctx context.Context, workspaceID int64, f Filter) ([]Monitor, error) {
	q := s.withState(ctx).Where("monitors.workspace_id = ? AND monitors.id > ?", workspaceID, f.After).Order("monitors.id").Limit(f.Limit)
	if f.Paused != nil {
		q = q.Where("monitors.paused = ?", *f.Paused)
	}
	var rows []row
	if err := q.Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]Monitor, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.monitor())
	}
	return out, s.attachChannels(ctx, out)
}

// update writes every user-editable column; nextRun, when set, reschedules.
func (s *store) update(ctx context.Context, m Monitor, nextRun *time.Time) (Monitor, error) {
	r := toRow(m)
	// Updates with a map bypasses gorm's serializer: encode the JSON columns here.
	regions, err := json.Marshal(r.Regions)
	if err != nil {
		return Monitor{}, err
	}
	cols := map[string]any{
		"key": r.Key, "name": r.Name, "kind": r.Kind, "check_spec": r.CheckSpec, "target": r.Target,
		"interval_seconds": r.IntervalSeconds, "timeout_ms": r.TimeoutMS,
		"regions": string(regions), "failure_threshold": r.FailureThreshold, "recovery_threshold": r.RecoveryThreshold,
		"quorum": r.Quorum, "degraded_after_ms": r.DegradedAfterMS, "remind_every_seconds": r.RemindEverySeconds,
		"paused": r.Paused, "updated_at": r.UpdatedAt,
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&row{}).Where("id = ? AND workspace_id = ?", m.ID, m.WorkspaceID).Updates(cols)
		if res.Error != nil {
			return key.Duplicate(res.Error)
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		if err := setSchedule(tx, m, nextRun); err != nil {
			return err
		}
		return setChannels(tx, m.ID, m.ChannelIDs)
	})
	if err != nil {
		return Monitor{}, err
	}
	return s.get(ctx, m.WorkspaceID, m.ID)
}

// schedule sets when the monitor's next check is due.
// schedule makes the monitor due at at. One the pusher does not schedule
// (paused, or a heartbeat) is left as it is; the caller checked that the
// monitor is the workspace's.
func (s *store) schedule(ctx context.Context, id int64, at time.Time) error {
	return s.db.WithContext(ctx).Exec(`UPDATE monitor_schedule SET next_run_at = ?
		WHERE monitor_id = ? AND next_run_at IS NOT NULL`, at.UTC(), id).Error
}

func (s *store) delete(ctx context.Context, workspaceID, id int64) error {
	res := s.db.WithContext(ctx).Where("id = ? AND workspace_id = ?", id, workspaceID).Delete(&row{})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// claimDue runs fn on up to limit due monitors inside one transaction and
// stores the next due time fn returns for each. The claim reads and writes
// monitor_schedule alone, a narrow table (migration 00012), and reads the
// claimed monitors' rows without writing them. On PostgreSQL the schedule
// rows are locked FOR UPDATE SKIP LOCKED, so concurrent pushers claim
// disjoint sets and a slot is handed out once; on SQLite the transaction
// takes the database's write lock (_txlock=immediate) for the same effect.
//
// With skip set, each due slot is first put to skip with what the schedule
// and a few narrow columns of the monitor say (skipDue); the slots it
// leaves out get the next due time it returns, and their monitors are
// neither read nor handed to fn. Reading and decoding a monitor is two
// thirds of a claim's cost (BenchmarkClaimDue), so past capacity a skipped
// slot costs a third of a published one.
//
// With known set, a due monitor whose row is unchanged since known's copy
// was read (rowVersion) is not read again: known's copy is handed to fn.
func (s *store) claimDue(ctx context.Context, now time.Time, limit int, skip SkipFunc, known KnownFunc, fn func([]Monitor) (map[int64]time.Time, error)) (int, error) {
	var n int
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.boundOnServer(ctx, tx); err != nil {
			return err
		}
		due, err := s.dueSlots(tx, now, limit, skip != nil || known != nil)
		if err != nil || len(due) == 0 {
			return err
		}
		n = len(due)
		next := map[int64]time.Time{}
		if skip != nil {
			kept := due[:0]
			for _, d := range due {
				if at, ok := skipDue(d, skip); ok {
					next[d.MonitorID] = at
					continue
				}
				kept = append(kept, d)
			}
			due = kept
		}
		if err := s.claimRead(tx, due, next, known, fn); err != nil {
			return err
		}
		return s.moveSchedule(tx, next)
	})
	return n, timedOutOnServer(err)
}

// boundOnServer gives the claim's statements the time left before ctx's
// deadline as PostgreSQL's statement_timeout. Without it a claim the client
// gave up on lives on in the server: waiting on a lock or a busy disk, it
// goes on to lock the due rows (SKIP LOCKED hides them from the next
// claim) and takes database time from the claims after it, so a database
// that is slow grows slower with every tick. With it the server gives up
// when the client does.
func (s *store) boundOnServer(ctx context.Context, tx *gorm.DB) error {
	deadline, ok := ctx.Deadline()
	if !ok || s.db.Dialect != database.Postgres {
		return nil
	}
	ms := time.Until(deadline).Milliseconds()
	if ms < 1 {
		return context.DeadlineExceeded
	}
	return tx.Exec("SELECT set_config('statement_timeout', ?, true)", strconv.FormatInt(ms, 10)).Error
}

// timedOutOnServer reports a statement PostgreSQL cancelled for its
// statement_timeout as context.DeadlineExceeded, which is what it is: the
// claim ran out of its time, whichever side noticed first. The pusher tells
// a slow database from a down one by it.
func timedOutOnServer(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "57014" {
		return fmt.Errorf("%w: %s", context.DeadlineExceeded, pgErr.Message)
	}
	return err
}

// dueSlot is a due row of the schedule; with the monitor's narrow columns
// when the claim may skip (LEFT JOIN: a schedule row whose monitor is gone
// has none, and is taken off the schedule by claimRead).
type dueSlot struct {
	MonitorID       int64
	NextRunAt       time.Time
	IntervalSeconds *int
	Kind            *string
	Regions         *string
	Paused          *bool
	RowXmin         *int64 // PostgreSQL only
	UpdatedAt       *time.Time
}

// KnownFunc returns a monitor as a claim handed it out before (to this
// pusher), if it has one. The claim reuses it when the monitor's row has
// not changed since, instead of reading and decoding it again.
type KnownFunc func(id int64) (Monitor, bool)

// rowVersion names one version of a monitors row: PostgreSQL's xmin (the
// transaction that wrote it, new with every UPDATE, whatever wrote it) and
// updated_at. The zero value is no version, never equal to one (SQLite:
// the embedded install reads every claimed monitor, as it always did). Two
// integers, not a string: the pusher keeps one per monitor it schedules,
// and a string would be another object for the collector to mark.
type rowVersion struct {
	xmin, updatedMicros int64
}

func versionOf(xmin *int64, updated time.Time) rowVersion {
	if xmin == nil {
		return rowVersion{}
	}
	return rowVersion{xmin: *xmin, updatedMicros: updated.UnixMicro()}
}

// unchanged returns known's copy of d's monitor when the row read with d is
// the version that copy was read from.
func unchanged(d dueSlot, known KnownFunc) (Monitor, bool) {
	if known == nil || d.UpdatedAt == nil {
		return Monitor{}, false
	}
	v := versionOf(d.RowXmin, *d.UpdatedAt)
	if v == (rowVersion{}) {
		return Monitor{}, false
	}
	m, ok := known(d.MonitorID)
	if !ok || m.rowVersion != v {
		return Monitor{}, false
	}
	return m, true
}

// SkipFunc is asked, before a due monitor is read, whether its slot is
// skipped; it returns the monitor's next due time and true to skip it. Due
// carries what the schedule and the monitor's narrow columns say.
type SkipFunc func(Due) (next time.Time, skip bool)

// Due is a due slot as the claim sees it before reading the monitor.
type Due struct {
	MonitorID int64
	At        time.Time // next_run_at
	Interval  time.Duration
	Regions   []string // the monitor's own; empty for every live region
}

// skipDue asks skip about d, unless d is not a slot the pusher runs (its
// monitor gone, paused or of a kind the pusher does not schedule): those go
// the usual way and are taken off the schedule.
func skipDue(d dueSlot, skip SkipFunc) (time.Time, bool) {
	if d.IntervalSeconds == nil || *d.IntervalSeconds <= 0 || d.Paused == nil || d.Kind == nil || !scheduledKind(*d.Paused, *d.Kind) {
		return time.Time{}, false
	}
	var regions []string
	if d.Regions != nil && *d.Regions != "" {
		if err := json.Unmarshal([]byte(*d.Regions), &regions); err != nil {
			return time.Time{}, false
		}
	}
	return skip(Due{MonitorID: d.MonitorID, At: d.NextRunAt.UTC(), Interval: time.Duration(*d.IntervalSeconds) * time.Second, Regions: regions})
}

// dueSlots locks and returns up to limit due schedule rows, oldest first.
func (s *store) dueSlots(tx *gorm.DB, now time.Time, limit int, narrow bool) ([]dueSlot, error) {
	q := "SELECT monitor_id, next_run_at FROM monitor_schedule WHERE next_run_at <= ? ORDER BY next_run_at LIMIT ?"
	if narrow {
		q = `SELECT s.monitor_id, s.next_run_at, m.interval_seconds, m.kind, m.regions, m.paused, m.updated_at, ` + s.xmin("m") + ` AS row_xmin
			FROM monitor_schedule s LEFT JOIN monitors m ON m.id = s.monitor_id
			WHERE s.next_run_at <= ? ORDER BY s.next_run_at LIMIT ?`
	}
	if s.db.Dialect == database.Postgres {
		if narrow {
			q += " FOR UPDATE OF s SKIP LOCKED"
		} else {
			q += " FOR UPDATE SKIP LOCKED"
		}
	}
	var due []dueSlot
	err := tx.Raw(q, now.UTC(), limit).Scan(&due).Error
	return due, err
}

// xmin is the expression of table's row version as a bigint (NULL on
// SQLite; an xid casts to bigint through text).
func (s *store) xmin(table string) string {
	if s.db.Dialect == database.Postgres {
		return "CAST(CAST(" + table + ".xmin AS text) AS bigint)"
	}
	return "NULL"
}

// claimRead reads the monitors of due (those known has unchanged are not
// read), takes off the schedule the ones the pusher does not run, hands the
// rest to fn and adds the next due times fn returns to next.
func (s *store) claimRead(tx *gorm.DB, due []dueSlot, next map[int64]time.Time, known KnownFunc, fn func([]Monitor) (map[int64]time.Time, error)) error {
	if len(due) == 0 {
		return nil
	}
	reused := map[int64]Monitor{}
	ids := make([]int64, 0, len(due))
	for _, d := range due {
		if m, ok := unchanged(d, known); ok {
			reused[d.MonitorID] = m
			continue
		}
		ids = append(ids, d.MonitorID)
	}
	byID := make(map[int64]row, len(ids))
	if len(ids) > 0 {
		var rows []row
		read := tx.Where("id IN ?", ids)
		if s.db.Dialect == database.Postgres {
			// One array parameter, not a thousand.
			read = tx.Select("*, "+s.xmin("monitors")+" AS row_xmin").Where("id = ANY(CAST(? AS bigint[]))", pgArray(ids))
		}
		if err := read.Find(&rows).Error; err != nil {
			return err
		}
		for _, r := range rows {
			byID[r.ID] = r
		}
	}
	ms := make([]Monitor, 0, len(due))
	var off []int64
	for _, d := range due {
		// The slot's own copy: a pointer into d would keep the whole due
		// row, with every column gorm allocated for it, alive for as long
		// as the pusher remembers the monitor.
		at := d.NextRunAt
		if m, ok := reused[d.MonitorID]; ok {
			m.NextRunAt = &at
			if scheduled(m) {
				ms = append(ms, m)
				continue
			}
		}
		r, ok := byID[d.MonitorID]
		if ok {
			r.NextRunAt = &at
			m := r.monitor()
			m.rowVersion = versionOf(r.RowXmin, r.UpdatedAt)
			if scheduled(m) {
				ms = append(ms, m)
				continue
			}
		}
		// Not the pusher's (paused or a heartbeat by a write that did
		// not go through this package): off the schedule, not claimed
		// again every tick.
		off = append(off, d.MonitorID)
	}
	if len(off) > 0 {
		if err := tx.Exec("UPDATE monitor_schedule SET next_run_at = NULL WHERE monitor_id IN ?", off).Error; err != nil {
			return err
		}
	}
	if len(ms) == 0 {
		return nil
	}
	got, err := fn(ms)
	if err != nil {
		return err
	}
	maps.Copy(next, got)
	return nil
}

// moveSchedule stores each claimed monitor's next due time.
func (s *store) moveSchedule(tx *gorm.DB, next map[int64]time.Time) error {
	if len(next) == 0 {
		return nil
	}
	nids := make([]int64, 0, len(next))
	for id := range next {
		nids = append(nids, id)
	}
	sort.Slice(nids, func(i, j int) bool { return nids[i] < nids[j] })
	times := make([]time.Time, len(nids))
	for i, id := range nids {
		times[i] = next[id].UTC()
	}
	if s.db.Dialect == database.Postgres {
		// One array per column: a CASE with a branch per monitor is
		// evaluated for every row (quadratic in the batch).
		// Straight to the connection: gorm would spread the slices
		// into lists.
		_, err := tx.Statement.ConnPool.ExecContext(tx.Statement.Context, `UPDATE monitor_schedule SET next_run_at = u.t
			FROM unnest($1::bigint[], $2::timestamptz[]) AS u(id, t) WHERE monitor_schedule.monitor_id = u.id`, nids, times)
		return err
	}
	var sql strings.Builder
	args := make([]any, 0, 3*len(nids))
	sql.WriteString("UPDATE monitor_schedule SET next_run_at = CASE monitor_id")
	for i, id := range nids {
		sql.WriteString(" WHEN ? THEN ?")
		args = append(args, id, times[i])
	}
	sql.WriteString(" END WHERE monitor_id IN ?")
	args = append(args, nids)
	return tx.Exec(sql.String(), args...).Error
}

// pgArray is ids as a PostgreSQL array literal.
func pgArray(ids []int64) string {
	b := make([]byte, 0, 8*len(ids)+2)
	b = append(b, '{')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(append(b, '}'))
}

// seed inserts rows, and their schedule, in batches of 500.
func (s *store) seed(ctx context.Context, rows []row) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.CreateInBatches(rows, 500).Error; err != nil {
			return err
		}
		type sched struct {
			MonitorID int64
			NextRunAt *time.Time
		}
		out := make([]sched, len(rows))
		for i, r := range rows {
			out[i] = sched{MonitorID: r.ID}
			if m := r.monitor(); scheduled(m) {
				at := r.CreatedAt.UTC()
				if r.NextRunAt != nil {
					at = r.NextRunAt.UTC()
				}
				out[i].NextRunAt = &at
			}
		}
		return tx.Table("monitor_schedule").CreateInBatches(out, 500).Error
	})
}

// count counts the user's monitors.
func (s *store) count(ctx context.Context, workspaceID int64) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&row{}).Where("workspace_id = ?", workspaceID).Count(&n).Error
	return n, err
}
