package audit

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/betterstack/betterstack/modules/apperr"
	"github.com/betterstack/betterstack/modules/database"
)

// Config tunes the audit log.
type Config struct {
	// PurgeBatch is how many entries one delete statement removes
	// (default 1000).
	PurgeBatch int
	// Now is the clock that stamps entries (default time.Now).
	Now func() time.Time
}

// Service records and reads the audit log.
type Service struct {
	cfg   Config
	store *store
}

// New returns the audit service.
func New(db *database.DB, cfg Config) *Service {
	if cfg.PurgeBatch < 1 {
		cfg.PurgeBatch = 1000
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{cfg: cfg, store: &store{db: db}}
}

// Record writes e now, outside any transaction. Inside a transaction use
// RecordTx.
func (s *Service) Record(ctx context.Context, e Entry) error {
	r, err := s.row(e)
	if err != nil {
		return err
	}
	return s.store.insert(s.store.db.WithContext(ctx), &r)
}

// RecordTx writes e in the caller's transaction, so it commits (or rolls
// back) with the change it describes.
func (s *Service) RecordTx(tx *gorm.DB, e Entry) error {
	r, err := s.row(e)
	if err != nil {
		return err
	}
	return s.store.insert(tx, &r)
}

// actionRe is the shape of an action: lower-case dotted words.
var actionRe = regexp.MustCompile(`^[a-z0-9_]+(\.[a-z0-9_]+)+$`)

// row checks e and turns it into what is stored.
func (s *Service) row(e Entry) (row, error) {
	switch {
	case e.WorkspaceID < 0:
		return row{}, fmt.Errorf("%w: workspace id %d", ErrInvalidEntry, e.WorkspaceID)
	case !actionRe.MatchString(e.Action) || len(e.Action) > maxName:
		return row{}, fmt.Errorf("%w: action %q is not lower-case dotted words", ErrInvalidEntry, e.Action)
	case e.Actor == "" && e.ActorUserID != nil:
		return row{}, fmt.Errorf("%w: user %d has no actor text", ErrInvalidEntry, *e.ActorUserID)
	}
	if e.Actor == "" {
		e.Actor = ActorSystem
	}
	changes := "{}"
	if len(e.Changes) > 0 {
		b, err := json.Marshal(e.Changes)
		if err != nil {
			return row{}, fmt.Errorf("%w: changes: %v", ErrInvalidEntry, err)
		}
		changes = string(b)
	}
	return row{
		WorkspaceID: e.WorkspaceID, ActorUserID: e.ActorUserID, Actor: clean(e.Actor, maxActor), Action: e.Action,
		RecordType: clean(e.RecordType, maxName), RecordID: e.RecordID, RecordKey: clean(e.RecordKey, maxName),
		Changes: changes, Address: clean(e.Address, maxAddress), UserAgent: clean(e.UserAgent, MaxUserAgent),
		CreatedAt: s.now(),
	}, nil
}

// clean makes s storable text of at most max bytes: valid UTF-8, no NUL,
// cut at a character boundary.
func clean(s string, max int) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
	if len(s) <= max {
		return s
	}
	s = s[:max]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// now is the clock at the precision both databases store.
func (s *Service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }

// List returns one page of a workspace's entries, newest first (by id).
// cursor is "" for the first page, then the previous page's NextCursor;
// limit 0 means DefaultLimit, and more than MaxLimit is a validation error.
//
// Paging is by id, so entries recorded while a client pages appear on no
// later page (they are newer than the first one it saw) and nothing is shown
// twice or skipped. The one exception is inherent to ids handed out before
// commit: an entry whose transaction was still open when a page was read
// and whose id is above that page's last one is missed by this walk, as it
// is by any id cursor. A cursor is bound to its workspace and filter;
// another query's cursor, or an edited one, is ErrBadCursor. The binding is
// a checksum, not a signature: forging one gains nothing, as every query is
// confined to the caller's workspace anyway.
//
// Validation errors name the API's query parameters (action, actor,
// record_type, key, until, limit) so the handler can pass them on.
func (s *Service) List(ctx context.Context, workspaceID int64, f Filter, cursor string, limit int) (Page, error) {
	f.Since, f.Until = utcMicro(f.Since), utcMicro(f.Until)
	if err := f.validate(limit); err != nil {
		return Page{}, err
	}
	if limit == 0 {
		limit = DefaultLimit
	}
	var before int64
	if cursor != "" {
		id, err := decodeCursor(cursor, workspaceID, f)
		if err != nil {
			return Page{}, err
		}
		before = id
	}
	rows, err := s.store.list(ctx, workspaceID, f, before, limit+1)
	if err != nil {
		return Page{}, err
	}
	p := Page{Entries: make([]Entry, 0, min(len(rows), limit))}
	for i, r := range rows {
		if i == limit {
			p.NextCursor = encodeCursor(rows[limit-1].ID, workspaceID, f)
			break
		}
		e, err := entry(r)
		if err != nil {
			return Page{}, err
		}
		p.Entries = append(p.Entries, e)
	}
	return p, nil
}

// filterActionRe allows a trailing dot ("monitor.").
var filterActionRe = regexp.MustCompile(`^[a-z0-9_]+(\.[a-z0-9_]+)*\.?$`)

var limitMessage = fmt.Sprintf("must be a number from 1 to %d (0 or absent: %d)", MaxLimit, DefaultLimit)

func (f Filter) validate(limit int) error {
	bad := apperr.Fields{}
	if f.Action != "" && (!filterActionRe.MatchString(f.Action) || len(f.Action) > maxName) {
		bad.Add("action", "must be an action or its first words, such as monitor.update or monitor.")
	}
	if f.ActorUserID != nil && *f.ActorUserID < 1 {
		bad.Add("actor", "must be a user id")
	}
	for name, v := range map[string]string{"record_type": f.RecordType, "key": f.RecordKey} {
		if len(v) > maxName || strings.ContainsRune(v, 0) || !utf8.ValidString(v) {
			bad.Add(name, fmt.Sprintf("must be text of at most %d bytes", maxName))
		}
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Until.After(f.Since) {
		bad.Add("until", "must be after since")
	}
	if limit < 0 || limit > MaxLimit {
		bad.Add("limit", limitMessage)
	}
	return bad.Err()
}

func entry(r row) (Entry, error) {
	e := Entry{ID: r.ID, WorkspaceID: r.WorkspaceID, ActorUserID: r.ActorUserID, Actor: r.Actor, Action: r.Action,
		RecordType: r.RecordType, RecordID: r.RecordID, RecordKey: r.RecordKey, Address: r.Address, UserAgent: r.UserAgent,
		CreatedAt: r.CreatedAt.UTC(), Changes: map[string]Change{}}
	dec := json.NewDecoder(strings.NewReader(r.Changes))
	dec.UseNumber()
	if err := dec.Decode(&e.Changes); err != nil {
		return Entry{}, fmt.Errorf("audit entry %d: changes: %w", r.ID, err)
	}
	return e, nil
}

// Purge deletes every entry, of every workspace, created strictly before
// `before` (truncated to the microsecond, the precision entries are stored
// at): an entry stamped exactly at `before` is kept. It deletes in batches
// of Config.PurgeBatch so no statement holds locks for long, stops between
// batches when ctx is done, and returns how many entries it deleted, also
// when it stops early with an error.
func (s *Service) Purge(ctx context.Context, before time.Time) (int64, error) {
	before = utcMicro(before)
	var total int64
	for {
		n, err := s.store.purgeBatch(ctx, before, s.cfg.PurgeBatch)
		total += n
		if err != nil {
			return total, err
		}
		if n < int64(s.cfg.PurgeBatch) {
			return total, nil
		}
		if err := ctx.Err(); err != nil {
			return total, err
		}
	}
}

func utcMicro(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Microsecond)
}

// encodeCursor makes the opaque cursor of the page after the entry id:
// "<id>.<checksum>", base64url. The checksum binds the id to the
// workspace and filter it was made for.
func encodeCursor(id, workspaceID int64, f Filter) string {
	raw := strconv.FormatInt(id, 10) + "." + cursorSum(id, workspaceID, f)
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func decodeCursor(c string, workspaceID int64, f Filter) (int64, error) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, ErrBadCursor
	}
	idText, sum, ok := strings.Cut(string(raw), ".")
	id, err := strconv.ParseInt(idText, 10, 64)
	if !ok || err != nil || id < 1 || strconv.FormatInt(id, 10) != idText {
		return 0, ErrBadCursor
	}
	if subtle.ConstantTimeCompare([]byte(sum), []byte(cursorSum(id, workspaceID, f))) != 1 {
		return 0, ErrBadCursor
	}
	return id, nil
}

func cursorSum(id, workspaceID int64, f Filter) string {
	var actor int64 = -1
	if f.ActorUserID != nil {
		actor = *f.ActorUserID
	}
	buf := make([]byte, 0, 128)
	for _, n := range []int64{id, workspaceID, actor, micros(f.Since), micros(f.Until)} {
		buf = binary.BigEndian.AppendUint64(buf, uint64(n))
	}
	for _, s := range []string{f.Action, f.RecordType, f.RecordKey} {
		buf = binary.BigEndian.AppendUint64(buf, uint64(len(s)))
		buf = append(buf, s...)
	}
	sum := sha256.Sum256(buf)
	return hex.EncodeToString(sum[:8])
}

func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}
