package auth

import (
	"fmt"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/betterstack/betterstack/modules/apperr"
	"github.com/betterstack/betterstack/modules/server"
)

// APIQuota limits each workspace to perMinute API requests in fixed
// one-minute windows (lim must count in one-minute windows), answering 429
// with Retry-After and the setting's name past it. It runs after the auth
// middleware; requests of someone in no workspace count against the
// person. If the limiter cannot answer (Redis down), requests go on: the
// quota protects the installation, it must not take the API down.
func (s *Service) APIQuota(lim Limiter, perMinute int) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		if perMinute <= 0 {
			return next
		}
		return func(c echo.Context) error {
			a := server.Access(c)
			key := "api:ws:" + strconv.FormatInt(a.WorkspaceID, 10)
			if a.WorkspaceID == 0 {
				key = "api:user:" + strconv.FormatInt(a.UserID, 10)
			}
			ctx := c.Request().Context()
			blocked, wait, err := lim.Blocked(ctx, key, perMinute)
			if err != nil {
				s.log.Warn("api quota unavailable; allowing the request", "err", err)
				return next(c)
			}
			if blocked {
				if wait < time.Second {
					wait = time.Second
				}
				c.Response().Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds()+0.999)))
				return &apperr.Error{Kind: apperr.RateLimited, RetryAfter: wait, Message: fmt.Sprintf(
					"this workspace made %d API requests this minute, the most it may (max_api_requests_per_minute); try again in %s", perMinute, wait.Round(time.Second))}
			}
			if err := lim.Hit(ctx, key); err != nil {
				s.log.Warn("api quota unavailable; request not counted", "err", err)
			}
			return next(c)
		}
	}
}
