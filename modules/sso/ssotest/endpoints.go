package ssotest

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// keyID names the one signing key in the JWKS.
const keyID = "ssotest-1"

// codeTTL is how long an authorization code may wait for its exchange.
const codeTTL = time.Minute

// grant is what an authorization code stands for.
type grant struct {
	clientID    string
	redirectURI string
	challenge   string
	nonce       string
	user        User
	expires     time.Time
}

func (p *Provider) discovery(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                p.URL,
		"authorization_endpoint":                p.URL + "/authorize",
		"token_endpoint":                        p.URL + "/token",
		"jwks_uri":                              p.URL + "/jwks",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"code_challenge_methods_supported":      []string{"S256"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
		"scopes_supported":                      []string{"openid", "email", "profile"},
		"claims_supported":                      []string{"iss", "sub", "aud", "exp", "iat", "nonce", "email", "email_verified", "name"},
	})
}

func (p *Provider) jwks(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &p.key.PublicKey, KeyID: keyID, Algorithm: string(jose.RS256), Use: "sig"},
	}})
}

// authorize approves at once. Errors about the client or the redirect URI
// are shown here (redirecting to an unchecked URI would be an open
// redirect); the others go back to the client, as OAuth 2.0 says.
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p.mu.Lock()
	set := p.set
	p.mu.Unlock()

	if q.Get("client_id") != set.clientID {
		http.Error(w, "ssotest: unknown client_id", http.StatusBadRequest)
		return
	}
	redirectURI := q.Get("redirect_uri")
	back, err := url.Parse(redirectURI)
	if err != nil || !redirectAllowed(back, set.redirectURIs) {
		http.Error(w, "ssotest: redirect_uri is not registered", http.StatusBadRequest)
		return
	}
	fail := func(code, description string) {
		v := back.Query()
		v.Set("error", code)
		v.Set("error_description", description)
		if s := q.Get("state"); s != "" {
			v.Set("state", s)
		}
		back.RawQuery = v.Encode()
		http.Redirect(w, r, back.String(), http.StatusFound)
	}
	switch {
	case set.deny != "":
		fail(set.deny, "the test provider was told to refuse")
		return
	case q.Get("response_type") != "code":
		fail("unsupported_response_type", "only the code flow is supported")
		return
	case !slices.Contains(strings.Fields(q.Get("scope")), "openid"):
		fail("invalid_scope", "the openid scope is required")
		return
	case q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43:
		fail("invalid_request", "PKCE with code_challenge_method=S256 is required")
		return
	}
	code := rand.Text()
	p.mu.Lock()
	p.codes[code] = &grant{
		clientID:    set.clientID,
		redirectURI: redirectURI,
		challenge:   q.Get("code_challenge"),
		nonce:       q.Get("nonce"),
		user:        set.user,
		expires:     set.now().Add(codeTTL),
	}
	p.mu.Unlock()
	v := back.Query()
	v.Set("code", code)
	v.Set("state", q.Get("state"))
	back.RawQuery = v.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

func redirectAllowed(u *url.URL, registered []string) bool {
	if len(registered) > 0 {
		return slices.Contains(registered, u.String())
	}
	host := u.Hostname()
	return u.Scheme == "http" && (host == "127.0.0.1" || host == "localhost" || host == "::1")
}

// token exchanges a code for tokens after checking the client, the
// redirect URI and the PKCE verifier. A code works once.
func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "unreadable form")
		return
	}
	p.mu.Lock()
	set := p.set
	g := p.codes[r.PostForm.Get("code")]
	delete(p.codes, r.PostForm.Get("code"))
	p.mu.Unlock()

	id, secret, ok := clientCredentials(r)
	if !ok || id != set.clientID || subtle.ConstantTimeCompare([]byte(secret), []byte(set.clientSecret)) != 1 {
		w.Header().Set("WWW-Authenticate", `Basic realm="ssotest"`)
		oauthError(w, http.StatusUnauthorized, "invalid_client", "unknown client or wrong secret")
		return
	}
	now := set.now()
	switch {
	case r.PostForm.Get("grant_type") != "authorization_code":
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "only authorization_code is supported")
		return
	case g == nil || now.After(g.expires) || g.clientID != id:
		oauthError(w, http.StatusBadRequest, "invalid_grant", "unknown, used or expired code")
		return
	case r.PostForm.Get("redirect_uri") != g.redirectURI:
		oauthError(w, http.StatusBadRequest, "invalid_grant", "redirect_uri differs from the authorization request's")
		return
	case !pkceMatches(r.PostForm.Get("code_verifier"), g.challenge):
		oauthError(w, http.StatusBadRequest, "invalid_grant", "code_verifier does not match the code_challenge")
		return
	}
	idToken, err := p.idToken(set, g, now)
	if err != nil {
		oauthError(w, http.StatusInternalServerError, "server_error", err.Error())
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": rand.Text(),
		"token_type":   "Bearer",
		"expires_in":   3600,
		"id_token":     idToken,
	})
}

// clientCredentials reads client_secret_basic or client_secret_post.
func clientCredentials(r *http.Request) (id, secret string, ok bool) {
	if id, secret, ok := r.BasicAuth(); ok {
		// RFC 6749 2.3.1: both are form-encoded before going into the header.
		uid, err1 := url.QueryUnescape(id)
		usecret, err2 := url.QueryUnescape(secret)
		return uid, usecret, err1 == nil && err2 == nil
	}
	id = r.PostForm.Get("client_id")
	return id, r.PostForm.Get("client_secret"), id != ""
}

func pkceMatches(verifier, challenge string) bool {
	if len(verifier) < 43 || len(verifier) > 128 {
		return false
	}
	sum := sha256.Sum256([]byte(verifier))
	return subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(challenge)) == 1
}

// idToken signs the ID token for g, misbehaving as set says.
func (p *Provider) idToken(set settings, g *grant, now time.Time) (string, error) {
	claims := map[string]any{
		"iss":   p.URL,
		"sub":   g.user.Subject,
		"aud":   g.clientID,
		"iat":   now.Unix(),
		"exp":   now.Add(5 * time.Minute).Unix(),
		"nonce": g.nonce,
		"name":  g.user.Name,
	}
	if g.user.Email != "" {
		claims["email"] = g.user.Email
	}
	if !set.omitEmailVerified {
		claims["email_verified"] = g.user.EmailVerified
	}
	if set.wrongIssuer {
		claims["iss"] = p.URL + "/someone-else"
	}
	if set.wrongAudience {
		claims["aud"] = "someone-else"
	}
	if set.expired {
		claims["iat"] = now.Add(-10 * time.Minute).Unix()
		claims["exp"] = now.Add(-time.Minute).Unix()
	}
	if set.wrongNonce {
		claims["nonce"] = "not-" + g.nonce
	}
	key := p.key
	if set.foreignKey {
		key = p.foreign
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: keyID, Algorithm: string(jose.RS256)}},
		(&jose.SignerOptions{}).WithType("JWT"),
	)
	if err != nil {
		return "", err
	}
	obj, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return obj.CompactSerialize()
}

func oauthError(w http.ResponseWriter, status int, code, description string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": description})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	// A failed write means the client went away; the test sees that side.
	_ = json.NewEncoder(w).Encode(v)
}
