package audit

import (
	"context"
	"log/slog"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/betterstack/betterstack/modules/access"
)

// The services record their changes with Note, finding the recorder in the
// request's context (Middleware puts it there for every HTTP request). The
// change's workspace is explicit; who did it, from where, comes from the
// request's access value. Work outside a request (the alerter, the CLI,
// tests of a single module) carries no recorder and records nothing. A
// write that fails is logged and does not undo the change it describes:
// the change already committed, and refusing the answer would only hide it.

type ctxKey struct{}

// WithRecorder returns ctx carrying s.
func WithRecorder(ctx context.Context, s *Service) context.Context {
	return context.WithValue(ctx, ctxKey{}, s)
}

// Middleware puts s in every request's context.
func Middleware(s *Service) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			c.SetRequest(c.Request().WithContext(WithRecorder(c.Request().Context(), s)))
			return next(c)
		}
	}
}

// Event is one change to record.
type Event struct {
	WorkspaceID int64
	Action      string // "monitor.update"
	RecordType  string // "monitor"
	RecordID    int64  // 0 = none
	RecordKey   string
	Before      any // nil for a create
	After       any // nil for a delete
	Secret      []string
	// Actor overrides the access value's actor (a failed login names the
	// email tried); ActorUserID likewise (0 = from the access value).
	Actor       string
	ActorUserID int64
	// Address and UserAgent override the access value's (public routes
	// such as login have none).
	Address   string
	UserAgent string
}

// noise are fields every record has that change without anyone changing
// them: they are not part of what an entry says changed.
var noise = []string{"updated_at", "created_at", "status", "last_checked_at", "last_used_at"}

// Note records ev if ctx carries a recorder.
func Note(ctx context.Context, ev Event) {
	s, _ := ctx.Value(ctxKey{}).(*Service)
	if s == nil {
		return
	}
	a := access.From(ctx)
	e := Entry{WorkspaceID: ev.WorkspaceID, Action: ev.Action, RecordType: ev.RecordType, RecordKey: ev.RecordKey,
		Actor: ActorSystem, Address: a.Address, UserAgent: a.UserAgent}
	if ev.RecordID != 0 {
		id := ev.RecordID
		e.RecordID = &id
	}
	if a.Actor != "" {
		e.Actor = a.Actor
		if a.TokenID != 0 {
			e.Actor = a.Actor + " (API token)"
		}
	}
	if ev.Actor != "" {
		e.Actor = ev.Actor
	}
	uid := a.UserID
	if ev.ActorUserID != 0 {
		uid = ev.ActorUserID
	}
	if uid != 0 {
		e.ActorUserID = &uid
	}
	if ev.Address != "" {
		e.Address, e.UserAgent = ev.Address, ev.UserAgent
	}
	if ev.Before != nil || ev.After != nil {
		e.Changes = Diff(ev.Before, ev.After, ev.Secret...)
		for _, k := range noise {
			delete(e.Changes, k)
		}
	}
	if err := s.Record(context.WithoutCancel(ctx), e); err != nil {
		slog.Default().Error("audit log write failed; the change stands", "action", ev.Action, "workspace_id", ev.WorkspaceID, "err", err)
	}
}

// RunRetention deletes entries older than keep every interval until ctx
// ends (the alerter runs it; purging twice from two alerters is harmless).
func (s *Service) RunRetention(ctx context.Context, keep, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if n, err := s.Purge(ctx, s.now().Add(-keep)); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			slog.Default().Warn("audit retention", "err", err)
		} else if n > 0 {
			slog.Default().Info("audit entries purged", "count", n)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
