package sso_test

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/betterstack/betterstack/modules/sso"
	"github.com/betterstack/betterstack/modules/sso/ssotest"
)

func TestLoginHappyPath(t *testing.T) {
	clk := newClock()
	idp := ssotest.Start(t, ssotest.WithNow(clk.Now), ssotest.WithUser(ssotest.User{
		Subject: "0042", Email: "Alice.Smith@Example.COM", Name: "Alice Smith", EmailVerified: true,
	}))
	a := newApp(t, idp, clk, func(c *sso.Config) { c.AllowedDomains = []string{"example.com"} })

	var authz url.Values
	id, next, err := a.login(t, steps{
		next:      "/monitors/7?tab=incidents",
		authorize: func(u *url.URL) { authz = u.Query() },
	})
	if err != nil {
		t.Fatalf("Finish: %v", err)
	}
	want := sso.Identity{Issuer: idp.URL, Subject: "0042", Email: "alice.smith@example.com", Name: "Alice Smith"}
	if id != want {
		t.Errorf("identity = %+v, want %+v", id, want)
	}
	if next != "/monitors/7?tab=incidents" {
		t.Errorf("next = %q, want /monitors/7?tab=incidents", next)
	}
	for k, v := range map[string]string{
		"response_type": "code", "client_id": ssotest.DefaultClientID, "scope": "openid email profile",
		"code_challenge_method": "S256", "redirect_uri": a.URL + "/callback",
	} {
		if authz.Get(k) != v {
			t.Errorf("authorize %s = %q, want %q", k, authz.Get(k), v)
		}
	}
	for _, k := range []string{"state", "nonce", "code_challenge"} {
		if len(authz.Get(k)) < 26 {
			t.Errorf("authorize %s = %q, want a long random value", k, authz.Get(k))
		}
	}
	if a.loginCookie(t) != nil {
		t.Error("the login cookie is still in the browser after Finish")
	}
}

func TestLoginCookieAttributes(t *testing.T) {
	clk := newClock()
	idp := ssotest.Start(t, ssotest.WithNow(clk.Now))
	a := newApp(t, idp, clk, nil)

	res := a.get(t, a.URL+"/login")
	set := res.Header.Get("Set-Cookie")
	for _, want := range []string{"betterstack_sso=", "Path=/callback", "Max-Age=600", "HttpOnly", "SameSite=Lax"} {
		if !strings.Contains(set, want) {
			t.Errorf("Set-Cookie %q lacks %q", set, want)
		}
	}
	if strings.Contains(set, "Secure") {
		t.Errorf("Set-Cookie %q is Secure on plain http: the browser would drop it", set)
	}

	// Over TLS, or when the redirect URL is https (a TLS proxy in front),
	// the cookie is Secure.
	tlsReq := httptest.NewRequest(http.MethodGet, "https://example.com/login", nil)
	rec := httptest.NewRecorder()
	if _, err := a.sso.Start(rec, tlsReq); err != nil {
		t.Fatal(err)
	}
	if c := rec.Result().Cookies(); len(c) != 1 || !c[0].Secure {
		t.Errorf("cookies over TLS = %v, want one Secure cookie", c)
	}
	behindProxy, err := sso.New(idp.Config("https://status.example.com/callback"), cookieKey, nil, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	rec = httptest.NewRecorder()
	if _, err := behindProxy.Start(rec, httptest.NewRequest(http.MethodGet, "/login", nil)); err != nil {
		t.Fatal(err)
	}
	if c := rec.Result().Cookies(); len(c) != 1 || !c[0].Secure {
		t.Errorf("cookies with an https redirect URL = %v, want one Secure cookie", c)
	}
}

func TestLoginRefusals(t *testing.T) {
	otherChallenge := func() string {
		sum := sha256.Sum256([]byte("a-verifier-the-app-never-made-0123456789abcdef"))
		return base64.RawURLEncoding.EncodeToString(sum[:])
	}()
	tests := []struct {
		name  string
		opts  []ssotest.Option
		edit  func(*sso.Config)
		steps func(t *testing.T, a *app, clk *clock) steps
		want  error
	}{
		{name: "wrong audience", opts: []ssotest.Option{ssotest.WithWrongAudience()}, want: sso.ErrWrongAudience},
		{name: "expired token", opts: []ssotest.Option{ssotest.WithExpiredToken()}, want: sso.ErrTokenExpired},
		{name: "wrong nonce", opts: []ssotest.Option{ssotest.WithWrongNonce()}, want: sso.ErrBadNonce},
		{name: "wrong issuer", opts: []ssotest.Option{ssotest.WithWrongIssuer()}, want: sso.ErrWrongIssuer},
		{name: "signed with a foreign key", opts: []ssotest.Option{ssotest.WithForeignKey()}, want: sso.ErrBadSignature},
		{name: "email_verified false", opts: []ssotest.Option{ssotest.WithUnverifiedEmail()}, want: sso.ErrEmailUnverified},
		{name: "email_verified absent", opts: []ssotest.Option{ssotest.WithoutEmailVerified()}, want: sso.ErrEmailUnverified},
		{
			name: "no email claim",
			opts: []ssotest.Option{ssotest.WithUser(ssotest.User{Subject: "s", EmailVerified: true})},
			want: sso.ErrEmailMissing,
		},
		{
			name: "domain not allowed",
			opts: []ssotest.Option{ssotest.WithUser(ssotest.User{Subject: "s", Email: "bob@example.org", EmailVerified: true})},
			edit: func(c *sso.Config) { c.AllowedDomains = []string{"example.com"} },
			want: sso.ErrDomainNotAllowed,
		},
		{
			name: "provider says access_denied",
			opts: []ssotest.Option{ssotest.WithDenial("access_denied")},
			want: sso.ErrProviderDenied,
		},
		{
			name: "state changed in the callback",
			steps: func(t *testing.T, a *app, clk *clock) steps {
				return steps{beforeCallback: func(cb *url.URL) {
					q := cb.Query()
					q.Set("state", q.Get("state")+"x")
					cb.RawQuery = q.Encode()
				}}
			},
			want: sso.ErrStateMismatch,
		},
		{
			name: "login cookie tampered with",
			steps: func(t *testing.T, a *app, clk *clock) steps {
				return steps{beforeCallback: func(cb *url.URL) {
					c := a.loginCookie(t)
					b := []byte(c.Value)
					b[len(b)/2] ^= 1
					a.client.Jar.SetCookies(cb, []*http.Cookie{{Name: c.Name, Value: string(b), Path: "/callback"}})
				}}
			},
			want: sso.ErrStateMismatch,
		},
		{
			name: "login cookie from another sign-in",
			steps: func(t *testing.T, a *app, clk *clock) steps {
				return steps{beforeCallback: func(cb *url.URL) {
					// A second sign-in in another tab replaces the cookie.
					a.get(t, a.URL+"/login")
				}}
			},
			want: sso.ErrStateMismatch,
		},
		{
			name: "no login cookie",
			steps: func(t *testing.T, a *app, clk *clock) steps {
				return steps{beforeCallback: func(*url.URL) { a.client = newClient(t) }}
			},
			want: sso.ErrMissingCookie,
		},
		{
			name: "login took more than 10 minutes",
			steps: func(t *testing.T, a *app, clk *clock) steps {
				return steps{beforeCallback: func(*url.URL) { clk.Advance(10*time.Minute + time.Second) }}
			},
			want: sso.ErrLoginExpired,
		},
		{
			name: "PKCE verifier does not match the challenge",
			steps: func(t *testing.T, a *app, clk *clock) steps {
				return steps{authorize: func(u *url.URL) {
					q := u.Query()
					q.Set("code_challenge", otherChallenge)
					u.RawQuery = q.Encode()
				}}
			},
			want: sso.ErrCodeRejected,
		},
		{
			name: "wrong client secret",
			edit: func(c *sso.Config) { c.ClientSecret = "not-the-secret" },
			want: sso.ErrCodeRejected,
		},
		{
			name: "no code in the callback",
			steps: func(t *testing.T, a *app, clk *clock) steps {
				return steps{beforeCallback: func(cb *url.URL) {
					q := cb.Query()
					q.Del("code")
					cb.RawQuery = q.Encode()
				}}
			},
			want: sso.ErrMissingCode,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			idp := ssotest.Start(t, append([]ssotest.Option{ssotest.WithNow(clk.Now)}, tt.opts...)...)
			a := newApp(t, idp, clk, tt.edit)
			var s steps
			if tt.steps != nil {
				s = tt.steps(t, a, clk)
			}
			id, _, err := a.login(t, s)
			assertRefused(t, id, err, tt.want)
		})
	}
}

func TestCallbackWorksOnce(t *testing.T) {
	clk := newClock()
	idp := ssotest.Start(t, ssotest.WithNow(clk.Now))
	a := newApp(t, idp, clk, nil)
	var callback string
	if _, _, err := a.login(t, steps{beforeCallback: func(cb *url.URL) { callback = cb.String() }}); err != nil {
		t.Fatalf("first sign-in: %v", err)
	}
	a.get(t, callback)
	a.mu.Lock()
	id, err := a.id, a.err
	a.mu.Unlock()
	assertRefused(t, id, err, sso.ErrMissingCookie)
}

func TestNextDropsOpenRedirects(t *testing.T) {
	clk := newClock()
	idp := ssotest.Start(t, ssotest.WithNow(clk.Now))
	a := newApp(t, idp, clk, nil)
	for _, next := range []string{"//evil", "https://evil", "/\\evil", "\\/evil", "/\t/evil", "evil", "javascript:alert(1)", "///evil"} {
		t.Run(next, func(t *testing.T) {
			id, got, err := a.login(t, steps{next: next})
			if err != nil {
				t.Fatalf("sign-in with next %q failed: %v", next, err)
			}
			if got != "" {
				t.Errorf("next = %q, want it dropped", got)
			}
			if id.Email != ssotest.DefaultEmail {
				t.Errorf("signed in as %q, want %q", id.Email, ssotest.DefaultEmail)
			}
		})
	}
}

func TestAllowedDomains(t *testing.T) {
	clk := newClock()
	idp := ssotest.Start(t, ssotest.WithNow(clk.Now))
	tests := []struct {
		name    string
		allowed []string
		email   string
		want    string // the identity's email, "" when refused
	}{
		{"case is ignored in the email", []string{"example.com"}, "Alice@Example.COM", "alice@example.com"},
		{"case is ignored in the setting", []string{"Example.COM"}, "alice@example.com", "alice@example.com"},
		{"a listed subdomain", []string{"example.com", "eu.example.com"}, "bob@eu.example.com", "bob@eu.example.com"},
		{"an unlisted subdomain", []string{"example.com"}, "bob@sub.example.com", ""},
		{"the parent of a listed subdomain", []string{"sub.example.com"}, "bob@example.com", ""},
		{"a longer domain", []string{"example.com"}, "eve@example.com.evil.org", ""},
		{"a suffix without the dot", []string{"example.com"}, "eve@evilexample.com", ""},
		{"@ in a quoted local part", []string{"example.com"}, `"eve@example.com"@evil.org`, ""},
		{"empty list allows any domain", nil, "carol@anywhere.org", "carol@anywhere.org"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idp.SetUser(ssotest.User{Subject: "s", Email: tt.email, EmailVerified: true})
			a := newApp(t, idp, clk, func(c *sso.Config) { c.AllowedDomains = tt.allowed })
			id, _, err := a.login(t, steps{})
			if tt.want == "" {
				assertRefused(t, id, err, sso.ErrDomainNotAllowed)
				return
			}
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if id.Email != tt.want {
				t.Errorf("email = %q, want %q", id.Email, tt.want)
			}
		})
	}
}

func TestDiscoveryIsLazyAndRetried(t *testing.T) {
	clk := newClock()
	idp := ssotest.Start(t, ssotest.WithNow(clk.Now))
	idp.SetDown(true)
	a := newApp(t, idp, clk, nil) // New succeeds while the provider is down

	id, _, err := a.login(t, steps{})
	assertRefused(t, id, err, sso.ErrProviderUnavailable)
	if a.loginCookie(t) != nil {
		t.Error("a login cookie was set although the sign-in could not start")
	}

	idp.SetDown(false)
	id, _, err = a.login(t, steps{})
	if err != nil {
		t.Fatalf("sign-in after the provider came back: %v", err)
	}
	if id.Email != ssotest.DefaultEmail {
		t.Errorf("signed in as %q, want %q", id.Email, ssotest.DefaultEmail)
	}
}

func TestTokenEndpointDown(t *testing.T) {
	clk := newClock()
	idp := ssotest.Start(t, ssotest.WithNow(clk.Now))
	a := newApp(t, idp, clk, nil)
	id, _, err := a.login(t, steps{beforeCallback: func(*url.URL) { idp.SetDown(true) }})
	assertRefused(t, id, err, sso.ErrProviderUnavailable)
}

func TestDiscoverReportsIssuerMismatch(t *testing.T) {
	clk := newClock()
	idp := ssotest.Start(t, ssotest.WithNow(clk.Now))
	cfg := idp.Config("http://127.0.0.1/callback")
	cfg.Issuer = idp.URL + "/" // discovery still works, but names the issuer without the slash
	p, err := sso.New(cfg, cookieKey, nil, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	err = p.Discover(t.Context())
	if !errors.Is(err, sso.ErrProviderUnavailable) || !strings.Contains(err.Error(), idp.URL) {
		t.Errorf("Discover = %v, want ErrProviderUnavailable naming the discovered issuer %s", err, idp.URL)
	}
}
