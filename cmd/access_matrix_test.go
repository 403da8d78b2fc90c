package cmd

import (
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/betterstack/betterstack/modules/access"
)

// publicRoutes are the routes anyone may call: no session, no rule.
var publicRoutes = map[string]bool{
	"GET /healthz": true, "GET /readyz": true, "GET /metrics": true, "GET /static/:hash/*": true,
	"POST /api/v1/auth/signup": true, "POST /api/v1/auth/login": true, "POST /api/v1/auth/login/2fa": true,
	"POST /api/v1/auth/accept-invitation": true, "GET /api/v1/public/status-pages/:slug": true,
	"GET /login": true, "POST /login": true, "POST /login/2fa": true, "GET /invite/:token": true, "GET /login/sso": true, "GET /login/sso/callback": true, "POST /invite/:token/signup": true, "GET /signup": true, "POST /signup": true,
	"GET /status/:slug": true, "HEAD /status/:slug": true, "GET /status/:slug/feed.atom": true, "POST /status/:slug/login": true,
	"GET /ping/:token": true, "HEAD /ping/:token": true, "POST /ping/:token": true,
	"GET /ping/:token/:signal": true, "HEAD /ping/:token/:signal": true, "POST /ping/:token/:signal": true,
	"GET /badge/:token/status.svg": true, "GET /badge/:token/uptime.svg": true, "GET /badge/:token/response-time.svg": true,
}

// mayDo is what each role may do, written out here rather than taken from
// access.Can, so a change to the rule must change this table too.
var mayDo = map[access.Action][]access.Role{
	access.Read:        {access.Owner, access.Admin, access.Editor, access.Responder, access.Viewer},
	access.Self:        {access.Owner, access.Admin, access.Editor, access.Responder, access.Viewer},
	access.Account:     {access.Owner, access.Admin, access.Editor, access.Responder, access.Viewer},
	access.Tokens:      {access.Owner, access.Admin, access.Editor, access.Responder, access.Viewer},
	access.Respond:     {access.Owner, access.Admin, access.Editor, access.Responder},
	access.Edit:        {access.Owner, access.Admin, access.Editor},
	access.Channels:    {access.Owner, access.Admin},
	access.Members:     {access.Owner, access.Admin},
	access.Settings:    {access.Owner, access.Admin},
	access.Audit:       {access.Owner, access.Admin},
	access.DeleteSpace: {access.Owner},
}

// ruinous are allowed requests the matrix does not send, because they
// would end the session or the workspace the rest of the matrix uses; their
// refusals are still checked.
var ruinous = map[string]bool{
	"POST /api/v1/auth/logout": true, "POST /logout": true, "DELETE /api/v1/workspace": true,
	"POST /api/v1/workspace/leave": true, "POST /settings/members/leave": true,
}

// TestEveryRouteHasARule walks the router: every route is public or has an
// access rule, every rule names a route, and for every role each route
// answers 403 exactly when the role may not do the route's action — through
// the API with a session token, and through the dashboard with its cookie.
func TestEveryRouteHasARule(t *testing.T) {
	cfg := testDefaults()
	cfg.DataDir = t.TempDir()
	app := MustApp(t, cfg)
	owner := mustSignup(t, app, "owner@example.com")
	sessions := map[access.Role]string{access.Owner: owner}
	for _, role := range []access.Role{access.Admin, access.Editor, access.Responder, access.Viewer} {
		r := do(t, app, "POST", "/api/v1/invitations", owner, `{"role":"`+string(role)+`"}`)
		var inv struct{ Token string }
		r.JSON(t, &inv)
		if r.Status != http.StatusCreated || inv.Token == "" {
			t.Fatalf("invite %s: %d %s", role, r.Status, r.Body)
		}
		r = do(t, app, "POST", "/api/v1/auth/accept-invitation", "",
			`{"email":"`+string(role)+`@example.com","password":"correct horse","invitation":"`+inv.Token+`"}`)
		var out struct{ Token string }
		r.JSON(t, &out)
		if r.Status != http.StatusCreated {
			t.Fatalf("accept as %s: %d %s", role, r.Status, r.Body)
		}
		sessions[role] = out.Token
	}
	browsers := map[access.Role]*browser{}
	for role, tok := range sessions {
		b := newBrowser(t, app)
		b.cookies["bs_session"] = &http.Cookie{Name: "bs_session", Value: tok}
		if r := b.get("/settings/account"); r.Status != http.StatusOK {
			t.Fatalf("%s cannot open their account page: %d", role, r.Status)
		}
		browsers[role] = b
	}

	seen := map[string]bool{}
	var keys []string
	for _, rt := range app.HTTP.Echo().Routes() {
		if strings.HasPrefix(rt.Method, "echo_") {
			continue // the router's own not-found handlers
		}
		k := rt.Method + " " + rt.Path
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for rule := range access.Routes {
		if !seen[rule] {
			t.Errorf("access rule %q names no route", rule)
		}
	}
	for _, k := range keys {
		if publicRoutes[k] {
			continue
		}
		action, ok := access.Routes[k]
		if !ok {
			t.Errorf("route %s has no access rule (add it to modules/access/routes.go)", k)
			continue
		}
		method, pattern, _ := strings.Cut(k, " ")
		path := strings.NewReplacer(":id", "999999", ":token", "nope", ":hash", "x", ":slug", "nope", "*", "x").Replace(pattern)
		for _, role := range access.Roles {
			allowed := slices.Contains(mayDo[action], role)
			if allowed && ruinous[k] {
				continue
			}
			var status int
			if strings.HasPrefix(pattern, "/api/v1/") {
				status = do(t, app, method, path, sessions[role], "").Status
			} else if method == http.MethodGet {
				status = browsers[role].get(path).Status
			} else {
				status = browsers[role].post(path, url.Values{}).Status
			}
			if got := status == http.StatusForbidden; got == allowed {
				t.Errorf("%s as %s (%s): status %d, want 403 = %v", k, role, action, status, !allowed)
			}
		}
	}
	// The viewer's session is still a viewer's, and the owner's workspace
	// still stands after the matrix.
	if r := do(t, app, "GET", "/api/v1/workspace", owner, ""); r.Status != http.StatusOK || !strings.Contains(r.Body, `"role":"owner"`) {
		t.Fatalf("owner's workspace after the matrix: %d %s", r.Status, r.Body)
	}
}
