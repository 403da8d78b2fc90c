package workspace

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/betterstack/betterstack/modules/access"
	"github.com/betterstack/betterstack/modules/apperr"
	"github.com/betterstack/betterstack/modules/audit"
	"github.com/betterstack/betterstack/modules/database"
	"github.com/betterstack/betterstack/modules/key"
	"github.com/betterstack/betterstack/modules/text"
)

// InvitationTTL is how long an invitation link works.
const InvitationTTL = 7 * 24 * time.Hour

// Service manages workspaces, members and invitations.
type Service struct {
	db  *database.DB
	now func() time.Time
	log *slog.Logger
}

// New returns the workspace service.
func New(db *database.DB, now func() time.Time, log *slog.Logger) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{db: db, now: now, log: log.With("module", "workspace")}
}

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

type workspaceRow struct {
	ID         int64
	Key        string
	Name       string
	Require2FA bool `gorm:"column:require_2fa"`
	CreatedAt  time.Time
}

func (workspaceRow) TableName() string { return "workspaces" }

func (r workspaceRow) workspace(role access.Role) Workspace {
	return Workspace{ID: r.ID, Key: r.Key, Name: r.Name, Require2FA: r.Require2FA, CreatedAt: r.CreatedAt, Role: role}
}

type membershipRow struct {
	WorkspaceID int64 `gorm:"primaryKey;autoIncrement:false"`
	UserID      int64 `gorm:"primaryKey;autoIncrement:false"`
	Role        string
	CreatedAt   time.Time
}

func (membershipRow) TableName() string { return "memberships" }

type invitationRow struct {
	ID          int64
	WorkspaceID int64
	Email       string
	Role        string
	TokenHash   string
	InvitedBy   *int64
	CreatedAt   time.Time
	ExpiresAt   time.Time
	AcceptedAt  *time.Time
	AcceptedBy  *int64
	RevokedAt   *time.Time
}

func (invitationRow) TableName() string { return "invitations" }

// memberWorkspace is a workspace with one member's role, as joined.
type memberWorkspace struct {
	ID         int64
	Key        string
	Name       string
	Require2FA bool `gorm:"column:require_2fa"`
	CreatedAt  time.Time
	Role       string
}

func (r memberWorkspace) workspace() Workspace {
	return Workspace{ID: r.ID, Key: r.Key, Name: r.Name, Require2FA: r.Require2FA, CreatedAt: r.CreatedAt, Role: access.Role(r.Role)}
}

const maxName = 100

func validateName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if msg := text.RequiredLine(name, maxName); msg != "" {
		return "", apperr.Field("name", msg)
	}
	return name, nil
}

// CreateIn makes a workspace owned by userID inside tx (the account's
// transaction when it is its personal one).
func CreateIn(ctx context.Context, tx *gorm.DB, name string, userID int64, now time.Time) (Workspace, error) {
	base := key.Slug(name, "workspace")
	k, err := key.Unique(ctx, base, base+"-"+randomHex(4), func(ctx context.Context, k string) (bool, error) {
		var n int64
		err := tx.WithContext(ctx).Model(&workspaceRow{}).Where("key = ?", k).Count(&n).Error
		return n > 0, err
	})
	if err != nil {
		return Workspace{}, err
	}
	row := workspaceRow{Key: k, Name: name, CreatedAt: now}
	if err := tx.WithContext(ctx).Create(&row).Error; err != nil {
		return Workspace{}, err
	}
	m := membershipRow{WorkspaceID: row.ID, UserID: userID, Role: string(access.Owner), CreatedAt: now}
	if err := tx.WithContext(ctx).Create(&m).Error; err != nil {
		return Workspace{}, err
	}
	return row.workspace(access.Owner), nil
}

// Create makes a new workspace with userID as its owner, with the key k
// (made from the name when k is "", as PATCH /workspace may change it).
func (s *Service) Create(ctx context.Context, userID int64, name, k string) (Workspace, error) {
	f := apperr.Fields{}
	name, err := validateName(name)
	if err != nil {
		f.Add("name", apperr.As(err).Fields["name"])
	}
	if k != "" {
		if msg := key.Validate(k); msg != "" {
			f.Add("key", msg)
		}
	}
	if err := f.Err(); err != nil {
		return Workspace{}, err
	}
	var w Workspace
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if w, err = CreateIn(ctx, tx, name, userID, s.clock()); err != nil || k == "" {
			return err
		}
		res := tx.Model(&workspaceRow{}).Where("id = ?", w.ID).Update("key", k)
		if errors.Is(res.Error, gorm.ErrDuplicatedKey) {
			return apperr.Field("key", "is taken by another workspace")
		}
		w.Key = k
		return res.Error
	})
	if err == nil {
		s.log.Info("workspace created", "workspace_id", w.ID, "user_id", userID)
		audit.Note(ctx, audit.Event{WorkspaceID: w.ID, Action: "workspace.create", RecordType: "workspace", RecordID: w.ID, RecordKey: w.Key, After: w})
	}
	return w, err
}

// ForUser lists the workspaces userID belongs to, with their role, oldest
// first.
func (s *Service) ForUser(ctx context.Context, userID int64) ([]Workspace, error) {
	var rows []memberWorkspace
	err := s.db.WithContext(ctx).Table("workspaces").
		Select("workspaces.*, memberships.role").
		Joins("JOIN memberships ON memberships.workspace_id = workspaces.id").
		Where("memberships.user_id = ?", userID).Order("workspaces.id").Scan(&rows).Error
	out := make([]Workspace, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.workspace())
	}
	return out, err
}

// Resolve finds the workspace ref (its key or id; "" = the person's first)
// among userID's, with their role. Not a member answers ErrNotFound, like a
// workspace that does not exist.
func (s *Service) Resolve(ctx context.Context, userID int64, ref string) (Workspace, error) {
	q := s.db.WithContext(ctx).Table("workspaces").
		Select("workspaces.*, memberships.role").
		Joins("JOIN memberships ON memberships.workspace_id = workspaces.id").
		Where("memberships.user_id = ?", userID)
	if ref = strings.TrimSpace(ref); ref != "" {
		if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
			q = q.Where("workspaces.id = ?", id)
		} else {
			q = q.Where("workspaces.key = ?", strings.ToLower(ref))
		}
	}
	var rows []memberWorkspace
	if err := q.Order("workspaces.id").Limit(1).Scan(&rows).Error; err != nil {
		return Workspace{}, err
	}
	if len(rows) == 0 {
		return Workspace{}, ErrNotFound
	}
	return rows[0].workspace(), nil
}

// Role returns userID's role in workspace id, or ErrNotFound.
func (s *Service) Role(ctx context.Context, id, userID int64) (access.Role, error) {
	var m membershipRow
	err := s.db.WithContext(ctx).Where("workspace_id = ? AND user_id = ?", id, userID).Take(&m).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return "", ErrNotFound
	}
	return access.Role(m.Role), err
}

// Get returns workspace id.
func (s *Service) Get(ctx context.Context, id int64) (Workspace, error) {
	var r workspaceRow
	err := s.db.WithContext(ctx).Take(&r, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Workspace{}, ErrNotFound
	}
	return r.workspace(""), err
}

// Settings are a workspace's changeable settings (nil = unchanged).
type Settings struct {
	Name       *string `json:"name"`
	Key        *string `json:"key"`
	Require2FA *bool   `json:"require_2fa"`
}

// Update changes workspace id's settings.
func (s *Service) Update(ctx context.Context, id int64, in Settings) (Workspace, error) {
	cols := map[string]any{}
	f := apperr.Fields{}
	if in.Name != nil {
		name, err := validateName(*in.Name)
		if err != nil {
			f.Add("name", apperr.As(err).Fields["name"])
		}
		cols["name"] = name
	}
	if in.Key != nil {
		if msg := key.Validate(*in.Key); msg != "" {
			f.Add("key", msg)
		}
		cols["key"] = *in.Key
	}
	if in.Require2FA != nil {
		cols["require_2fa"] = *in.Require2FA
	}
	if err := f.Err(); err != nil {
		return Workspace{}, err
	}
	before, err := s.Get(ctx, id)
	if err != nil {
		return Workspace{}, err
	}
	if len(cols) > 0 {
		res := s.db.WithContext(ctx).Model(&workspaceRow{}).Where("id = ?", id).Updates(cols)
		if errors.Is(res.Error, gorm.ErrDuplicatedKey) {
			return Workspace{}, apperr.Field("key", "is taken by another workspace")
		}
		if res.Error != nil {
			return Workspace{}, res.Error
		}
	}
	after, err := s.Get(ctx, id)
	if err == nil {
		audit.Note(ctx, audit.Event{WorkspaceID: id, Action: "workspace.update", RecordType: "workspace", RecordID: id, RecordKey: after.Key, Before: before, After: after})
	}
	return after, err
}

// Delete removes workspace id and everything it owns.
func (s *Service) Delete(ctx context.Context, id int64) error {
	res := s.db.WithContext(ctx).Delete(&workspaceRow{}, id)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	s.log.Info("workspace deleted", "workspace_id", id)
	audit.Note(ctx, audit.Event{WorkspaceID: id, Action: "workspace.delete", RecordType: "workspace", RecordID: id})
	return nil
}

// Members lists workspace id's members, owners first.
func (s *Service) Members(ctx context.Context, id int64) ([]Member, error) {
	var rows []struct {
		UserID      int64
		Email       string
		Role        string
		TotpEnabled bool
		CreatedAt   time.Time
	}
	err := s.db.WithContext(ctx).Table("memberships").
		Select("memberships.user_id, users.email, memberships.role, users.totp_enabled, memberships.created_at").
		Joins("JOIN users ON users.id = memberships.user_id").
		Where("memberships.workspace_id = ?", id).Order("memberships.created_at, memberships.user_id").Scan(&rows).Error
	out := make([]Member, 0, len(rows))
	for _, r := range rows {
		out = append(out, Member{UserID: r.UserID, Email: r.Email, Role: access.Role(r.Role), TwoFactor: r.TotpEnabled, JoinedAt: r.CreatedAt})
	}
	return out, err
}

// lockOwners counts the owners of workspace id inside tx, locking the
// memberships on PostgreSQL so two demotions cannot both pass.
func lockOwners(tx *gorm.DB, dialect database.Dialect, id int64) (int, error) {
	q := tx.Model(&membershipRow{}).Where("workspace_id = ?", id)
	if dialect == database.Postgres {
		var roles []string
		err := q.Clauses(forUpdate).Pluck("role", &roles).Error
		n := 0
		for _, r := range roles {
			if r == string(access.Owner) {
				n++
			}
		}
		return n, err
	}
	var n int64
	err := q.Where("role = ?", string(access.Owner)).Count(&n).Error
	return int(n), err
}

// memberForChange reads userID's membership of workspace id inside tx,
// with the workspace's owner count (locked on PostgreSQL), for a change
// the last-owner rule must see.
func (s *Service) memberForChange(tx *gorm.DB, id, userID int64) (membershipRow, int, error) {
	owners, err := lockOwners(tx, s.db.Dialect, id)
	if err != nil {
		return membershipRow{}, 0, err
	}
	var m membershipRow
	if err := tx.Where("workspace_id = ? AND user_id = ?", id, userID).Take(&m).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return m, 0, ErrMemberNotFound
		}
		return m, 0, err
	}
	return m, owners, nil
}

// SetRole changes a member's role; the actor is in ctx (access.From).
func (s *Service) SetRole(ctx context.Context, id, userID int64, role access.Role) (Member, error) {
	actor := access.From(ctx)
	var old access.Role
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		m, owners, err := s.memberForChange(tx, id, userID)
		if err != nil {
			return err
		}
		if err := PlanRoleChange(actor.Role, access.Role(m.Role), role, owners); err != nil {
			return err
		}
		old = access.Role(m.Role)
		return tx.Model(&membershipRow{}).Where("workspace_id = ? AND user_id = ?", id, userID).Update("role", string(role)).Error
	})
	if err != nil {
		return Member{}, err
	}
	s.log.Info("member role changed", "workspace_id", id, "user_id", userID, "role", role)
	m, err := s.member(ctx, id, userID)
	if err == nil {
		audit.Note(ctx, audit.Event{WorkspaceID: id, Action: "member.role", RecordType: "member", RecordID: userID, RecordKey: m.Email,
			Before: map[string]any{"role": old}, After: map[string]any{"role": m.Role}})
	}
	return m, err
}

func (s *Service) member(ctx context.Context, id, userID int64) (Member, error) {
	ms, err := s.Members(ctx, id)
	if err != nil {
		return Member{}, err
	}
	for _, m := range ms {
		if m.UserID == userID {
			return m, nil
		}
	}
	return Member{}, ErrMemberNotFound
}

// Remove takes userID out of workspace id (leaving when it is the actor).
func (s *Service) Remove(ctx context.Context, id, userID int64) error {
	actor := access.From(ctx)
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		m, owners, err := s.memberForChange(tx, id, userID)
		if err != nil {
			return err
		}
		if err := PlanRemoval(actor.Role, access.Role(m.Role), userID == actor.UserID, owners); err != nil {
			return err
		}
		if err := tx.Where("workspace_id = ? AND user_id = ?", id, userID).Delete(&membershipRow{}).Error; err != nil {
			return err
		}
		// The member's API tokens for this workspace end with the membership.
		return tx.Table("api_tokens").Where("workspace_id = ? AND user_id = ?", id, userID).Delete(nil).Error
	})
	if err == nil {
		s.log.Info("member removed", "workspace_id", id, "user_id", userID)
		action := "member.remove"
		if userID == actor.UserID {
			action = "member.leave"
		}
		audit.Note(ctx, audit.Event{WorkspaceID: id, Action: action, RecordType: "member", RecordID: userID})
	}
	return err
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func hashToken(t string) string {
	sum := sha256.Sum256([]byte(t))
	return hex.EncodeToString(sum[:])
}

// Invite makes an invitation link to workspace id with role, optionally
// bound to email; the actor is in ctx. The token is returned only here.
func (s *Service) Invite(ctx context.Context, id int64, email string, role access.Role) (Invitation, string, error) {
	actor := access.From(ctx)
	email = strings.ToLower(strings.TrimSpace(email))
	if err := PlanInvite(actor.Role, role); err != nil {
		return Invitation{}, "", err
	}
	if len(email) > 254 || (email != "" && !strings.Contains(email, "@")) {
		return Invitation{}, "", apperr.Field("email", "must be an email address like name@example.com, or empty for whoever holds the link")
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return Invitation{}, "", err
	}
	token := "inv_" + base64.RawURLEncoding.EncodeToString(raw)
	now := s.clock()
	var by *int64
	if actor.UserID != 0 {
		by = &actor.UserID
	}
	row := invitationRow{WorkspaceID: id, Email: email, Role: string(role), TokenHash: hashToken(token), InvitedBy: by, CreatedAt: now, ExpiresAt: now.Add(InvitationTTL)}
	if err := s.db.WithContext(ctx).Create(&row).Error; err != nil {
		return Invitation{}, "", err
	}
	s.log.Info("invitation created", "workspace_id", id, "invitation_id", row.ID, "role", role)
	inv := s.invitation(row, actor.Actor, "")
	audit.Note(ctx, audit.Event{WorkspaceID: id, Action: "invitation.create", RecordType: "invitation", RecordID: row.ID, RecordKey: email,
		After: map[string]any{"email": email, "role": role, "expires_at": row.ExpiresAt}})
	return inv, token, nil
}

func (s *Service) invitation(r invitationRow, by, acceptedBy string) Invitation {
	return Invitation{ID: r.ID, Email: r.Email, Role: access.Role(r.Role), CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt,
		Status: InvitationStatus(r.AcceptedAt != nil, r.RevokedAt != nil, r.ExpiresAt, s.clock()), InvitedBy: by, AcceptedBy: acceptedBy}
}

// Invitations lists workspace id's invitations, newest first.
func (s *Service) Invitations(ctx context.Context, id int64) ([]Invitation, error) {
	var rows []struct {
		ID            int64
		WorkspaceID   int64
		Email         string
		Role          string
		CreatedAt     time.Time
		ExpiresAt     time.Time
		AcceptedAt    *time.Time
		RevokedAt     *time.Time
		ByEmail       *string
		AcceptedEmail *string
	}
	err := s.db.WithContext(ctx).Table("invitations").
		Select("invitations.*, b.email AS by_email, a.email AS accepted_email").
		Joins("LEFT JOIN users b ON b.id = invitations.invited_by").
		Joins("LEFT JOIN users a ON a.id = invitations.accepted_by").
		Where("invitations.workspace_id = ?", id).Order("invitations.id DESC").Limit(200).Scan(&rows).Error
	out := make([]Invitation, 0, len(rows))
	for _, r := range rows {
		ir := invitationRow{ID: r.ID, WorkspaceID: r.WorkspaceID, Email: r.Email, Role: r.Role, CreatedAt: r.CreatedAt,
			ExpiresAt: r.ExpiresAt, AcceptedAt: r.AcceptedAt, RevokedAt: r.RevokedAt}
		out = append(out, s.invitation(ir, deref(r.ByEmail), deref(r.AcceptedEmail)))
	}
	return out, err
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// Revoke ends a pending invitation of workspace id.
func (s *Service) Revoke(ctx context.Context, id, invitationID int64) error {
	res := s.db.WithContext(ctx).Model(&invitationRow{}).
		Where("id = ? AND workspace_id = ? AND accepted_at IS NULL AND revoked_at IS NULL", invitationID, id).
		Update("revoked_at", s.clock())
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrInvitationNotFound
	}
	audit.Note(ctx, audit.Event{WorkspaceID: id, Action: "invitation.revoke", RecordType: "invitation", RecordID: invitationID})
	return nil
}

// Lookup returns the invitation behind token (for the accept page), with
// the workspace's name; a used, revoked or expired one is ErrInvitationUsed
// and an unknown one ErrInvitationNotFound.
func (s *Service) Lookup(ctx context.Context, token string) (Invitation, error) {
	var r invitationRow
	err := s.db.WithContext(ctx).Where("token_hash = ?", hashToken(token)).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Invitation{}, ErrInvitationNotFound
	}
	if err != nil {
		return Invitation{}, err
	}
	inv := s.invitation(r, "", "")
	if inv.Status != "pending" {
		return inv, ErrInvitationUsed
	}
	w, err := s.Get(ctx, r.WorkspaceID)
	if err != nil {
		return inv, err
	}
	inv.Workspace = w.Name
	return inv, nil
}

// Accept uses the invitation behind token for userID (whose email is
// email), inside tx when given (a new account's transaction) or its own.
func (s *Service) Accept(ctx context.Context, tx *gorm.DB, token string, userID int64, email string) (Workspace, error) {
	if tx == nil {
		var w Workspace
		err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			var err error
			w, err = s.Accept(ctx, tx, token, userID, email)
			return err
		})
		return w, err
	}
	now := s.clock()
	var r invitationRow
	err := tx.WithContext(ctx).Where("token_hash = ?", hashToken(token)).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Workspace{}, ErrInvitationNotFound
	}
	if err != nil {
		return Workspace{}, err
	}
	if r.Email != "" && !strings.EqualFold(r.Email, email) {
		return Workspace{}, ErrWrongInvitee
	}
	var n int64
	if err := tx.Model(&membershipRow{}).Where("workspace_id = ? AND user_id = ?", r.WorkspaceID, userID).Count(&n).Error; err != nil {
		return Workspace{}, err
	}
	if n > 0 {
		return Workspace{}, ErrAlreadyMember
	}
	// Single use: only the accept that flips accepted_at wins.
	res := tx.Model(&invitationRow{}).
		Where("id = ? AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > ?", r.ID, now).
		Updates(map[string]any{"accepted_at": now, "accepted_by": userID})
	if res.Error != nil {
		return Workspace{}, res.Error
	}
	if res.RowsAffected == 0 {
		return Workspace{}, ErrInvitationUsed
	}
	if err := tx.Create(&membershipRow{WorkspaceID: r.WorkspaceID, UserID: userID, Role: r.Role, CreatedAt: now}).Error; err != nil {
		return Workspace{}, err
	}
	var w workspaceRow
	if err := tx.Take(&w, r.WorkspaceID).Error; err != nil {
		return Workspace{}, err
	}
	s.log.Info("invitation accepted", "workspace_id", r.WorkspaceID, "user_id", userID, "role", r.Role)
	return w.workspace(access.Role(r.Role)), nil
}

// JoinIn adds userID to the workspace with key k with role, inside tx (a
// new single sign-on account's transaction).
func JoinIn(ctx context.Context, tx *gorm.DB, k string, userID int64, role access.Role, now time.Time) (Workspace, error) {
	var w workspaceRow
	err := tx.WithContext(ctx).Where("key = ?", k).Take(&w).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Workspace{}, ErrNotFound
	}
	if err != nil {
		return Workspace{}, err
	}
	m := membershipRow{WorkspaceID: w.ID, UserID: userID, Role: string(role), CreatedAt: now}
	if err := tx.WithContext(ctx).Create(&m).Error; err != nil {
		return Workspace{}, err
	}
	return w.workspace(role), nil
}
