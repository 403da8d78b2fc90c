package ssotest_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/betterstack/betterstack/modules/sso/ssotest"
)

const redirectURI = "http://127.0.0.1:1/callback"

var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// authorize asks for a code with PKCE for verifier and returns the
// callback URL the provider redirected to.
func authorize(t *testing.T, p *ssotest.Provider, edit func(url.Values), verifier string) *url.URL {
	t.Helper()
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {p.ClientID()},
		"redirect_uri":          {redirectURI},
		"scope":                 {"openid email"},
		"state":                 {"st"},
		"nonce":                 {"no"},
		"code_challenge":        {oauth2.S256ChallengeFromVerifier(verifier)},
		"code_challenge_method": {"S256"},
	}
	if edit != nil {
		edit(q)
	}
	res, err := noRedirects.Get(p.URL + "/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound {
		t.Fatalf("authorize answered %d, want 302", res.StatusCode)
	}
	u, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// exchange posts form to the token endpoint with client_secret_post and
// returns the status and the OAuth error code ("" on success).
func exchange(t *testing.T, p *ssotest.Provider, form url.Values) (int, string) {
	t.Helper()
	res, err := http.PostForm(p.URL+"/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body struct {
		Error   string `json:"error"`
		IDToken string `json:"id_token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if body.Error == "" && strings.Count(body.IDToken, ".") != 2 {
		t.Errorf("success without a compact JWT id_token: %q", body.IDToken)
	}
	return res.StatusCode, body.Error
}

func TestTokenEndpointChecks(t *testing.T) {
	p := ssotest.Start(t)
	verifier := oauth2.GenerateVerifier()
	form := func(code string) url.Values {
		return url.Values{
			"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI},
			"code_verifier": {verifier}, "client_id": {p.ClientID()}, "client_secret": {p.ClientSecret()},
		}
	}
	tests := []struct {
		name       string
		edit       func(url.Values)
		wantStatus int
		wantError  string
	}{
		{"all correct", func(url.Values) {}, http.StatusOK, ""},
		{"wrong secret", func(f url.Values) { f.Set("client_secret", "x") }, http.StatusUnauthorized, "invalid_client"},
		{"other redirect_uri", func(f url.Values) { f.Set("redirect_uri", "http://127.0.0.1:2/cb") }, http.StatusBadRequest, "invalid_grant"},
		{"no code_verifier", func(f url.Values) { f.Del("code_verifier") }, http.StatusBadRequest, "invalid_grant"},
		{"other code_verifier", func(f url.Values) { f.Set("code_verifier", oauth2.GenerateVerifier()) }, http.StatusBadRequest, "invalid_grant"},
		{"unknown code", func(f url.Values) { f.Set("code", "made-up") }, http.StatusBadRequest, "invalid_grant"},
		{"wrong grant type", func(f url.Values) { f.Set("grant_type", "password") }, http.StatusBadRequest, "unsupported_grant_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cb := authorize(t, p, nil, verifier)
			if cb.Query().Get("state") != "st" {
				t.Errorf("state = %q, want st", cb.Query().Get("state"))
			}
			f := form(cb.Query().Get("code"))
			tt.edit(f)
			status, code := exchange(t, p, f)
			if status != tt.wantStatus || code != tt.wantError {
				t.Errorf("token endpoint = %d %q, want %d %q", status, code, tt.wantStatus, tt.wantError)
			}
		})
	}

	t.Run("a code works once", func(t *testing.T) {
		cb := authorize(t, p, nil, verifier)
		if status, code := exchange(t, p, form(cb.Query().Get("code"))); status != http.StatusOK {
			t.Fatalf("first exchange = %d %q", status, code)
		}
		if status, code := exchange(t, p, form(cb.Query().Get("code"))); code != "invalid_grant" {
			t.Errorf("second exchange = %d %q, want invalid_grant", status, code)
		}
	})
}

func TestAuthorizeRequiresS256(t *testing.T) {
	p := ssotest.Start(t)
	for name, edit := range map[string]func(url.Values){
		"plain method":     func(q url.Values) { q.Set("code_challenge_method", "plain") },
		"no challenge":     func(q url.Values) { q.Del("code_challenge") },
		"no openid scope":  func(q url.Values) { q.Set("scope", "email") },
		"implicit flow":    func(q url.Values) { q.Set("response_type", "id_token") },
		"provider refuses": nil,
	} {
		t.Run(name, func(t *testing.T) {
			pp := p
			if edit == nil {
				pp = ssotest.Start(t, ssotest.WithDenial("access_denied"))
			}
			cb := authorize(t, pp, edit, oauth2.GenerateVerifier())
			if cb.Query().Get("code") != "" || cb.Query().Get("error") == "" || cb.Query().Get("state") != "st" {
				t.Errorf("callback %s, want an error, the state and no code", cb)
			}
		})
	}
}

func TestAuthorizeRefusesUnknownClientAndRedirect(t *testing.T) {
	p := ssotest.Start(t, ssotest.WithRedirectURIs(redirectURI))
	for name, edit := range map[string]func(url.Values){
		"unknown client":           func(q url.Values) { q.Set("client_id", "someone") },
		"unregistered redirect":    func(q url.Values) { q.Set("redirect_uri", "http://127.0.0.1:1/other") },
		"redirect off the machine": func(q url.Values) { q.Set("redirect_uri", "https://evil.example/cb") },
	} {
		t.Run(name, func(t *testing.T) {
			q := url.Values{"response_type": {"code"}, "client_id": {p.ClientID()}, "redirect_uri": {redirectURI}}
			edit(q)
			res, err := noRedirects.Get(p.URL + "/authorize?" + q.Encode())
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusBadRequest || res.Header.Get("Location") != "" {
				t.Errorf("authorize = %d to %q, want 400 without a redirect", res.StatusCode, res.Header.Get("Location"))
			}
		})
	}
}
