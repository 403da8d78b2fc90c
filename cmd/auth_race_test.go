package cmd

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/betterstack/betterstack/modules/config"
)

// parallel sends n requests at once (body made from each one's index) and
// returns how many got each status.
func parallel(t *testing.T, app *App, n int, method, path string, body func(i int) string) map[int]int {
	t.Helper()
	var mu sync.Mutex
	var wg sync.WaitGroup
	got := map[int]int{}
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := do(t, app, method, path, "", body(i))
			mu.Lock()
			got[r.Status]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	return got
}

// TestLoginLimitHoldsForAttemptsAtOnce: 30 wrong passwords for one account
// sent at once from one address: exactly login_max_failures (10) are tried
// and answered 401, the other 20 get 429. Before, each attempt was checked
// against the count before the ones in flight had been counted, and all 30
// were tried. Then 30 logins at once for unknown emails from the same
// address: the address's limit (20) holds the same way, counting the 10
// already made.
func TestLoginLimitHoldsForAttemptsAtOnce(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg config.Config) {
		app := MustApp(t, cfg)
		mustSignup(t, app, "me@example.com")
		got := parallel(t, app, 30, "POST", "/api/v1/auth/login", func(i int) string {
			return fmt.Sprintf(`{"email":"me@example.com","password":"guess %d of many"}`, i)
		})
		if got[http.StatusUnauthorized] != 10 || got[http.StatusTooManyRequests] != 20 {
			t.Fatalf("one account, 30 at once: %v, want 10 tried (401) and 20 refused (429)", got)
		}
		got = parallel(t, app, 30, "POST", "/api/v1/auth/login", func(i int) string {
			return fmt.Sprintf(`{"email":"nobody%d@example.com","password":"guess of many"}`, i)
		})
		if got[http.StatusUnauthorized] != 10 || got[http.StatusTooManyRequests] != 20 {
			t.Fatalf("one address, 30 more at once: %v, want 10 tried (401, the address's 20th failure) and 20 refused (429)", got)
		}
	})
}

// TestFirstSignupCannotBeRaced: with sign-up left to the first account
// (the default), ten sign-ups at once on a fresh installation make one
// account; the other nine are refused as if they came after it.
func TestFirstSignupCannotBeRaced(t *testing.T) {
	forEachBackend(t, func(t *testing.T, cfg config.Config) {
		cfg.AllowSignup = nil // only the first account
		app := MustApp(t, cfg)
		got := parallel(t, app, 10, "POST", "/api/v1/auth/signup", func(i int) string {
			return fmt.Sprintf(`{"email":"u%d@example.com","password":"a long password"}`, i)
		})
		if got[http.StatusCreated] != 1 || got[http.StatusForbidden] != 9 {
			t.Fatalf("10 first sign-ups at once: %v, want 1 made (201) and 9 refused (403)", got)
		}
		var n int64
		if err := app.DB.Raw("SELECT count(*) FROM users").Scan(&n).Error; err != nil || n != 1 {
			t.Fatalf("%d accounts (%v), want 1", n, err)
		}
	})
}

// TestInvitationCheckedFirst: a sign-up through a made-up invitation
// answers 404 whether or not the email has an account: it used to answer
// 409 for one that had, telling anyone which emails are registered, after
// hashing the password.
func TestInvitationCheckedFirst(t *testing.T) {
	app := MustApp(t, func() config.Config { c := testDefaults(); c.DataDir = t.TempDir(); return c }())
	mustSignup(t, app, "me@example.com")
	for _, email := range []string{"me@example.com", "nobody@example.com"} {
		r := do(t, app, "POST", "/api/v1/auth/accept-invitation", "",
			`{"email":"`+email+`","password":"whatever123","invitation":"made-up"}`)
		want(t, "made-up invitation for "+email, r, http.StatusNotFound, "invitation")
	}
}
