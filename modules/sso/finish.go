package sso

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// Finish completes a sign-in on the redirect URL: it returns the verified
// identity and the relative path to continue to ("" when none was given).
// It clears the login cookie whatever the outcome, so a callback URL works
// once. Every error wraps one of the package's Err* sentinels.
func (p *Provider) Finish(w http.ResponseWriter, r *http.Request) (Identity, string, error) {
	http.SetCookie(w, p.cookie(r, "", -1))
	q := r.URL.Query()

	if code := q.Get("error"); code != "" {
		return Identity{}, "", fmt.Errorf("%w: %s %s", ErrProviderDenied, quote(code), quote(q.Get("error_description")))
	}
	l, err := p.loginFrom(r)
	if err != nil {
		return Identity{}, "", err
	}
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(l.State)) != 1 {
		return Identity{}, "", fmt.Errorf("%w: the state parameter differs from the login cookie's", ErrStateMismatch)
	}
	code := q.Get("code")
	if code == "" {
		return Identity{}, "", ErrMissingCode
	}
	d, err := p.discover(r.Context())
	if err != nil {
		return Identity{}, "", err
	}
	ctx := oidc.ClientContext(r.Context(), p.client)
	tok, err := d.oauth.Exchange(ctx, code, oauth2.VerifierOption(l.Verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.ErrorCode != "" {
			return Identity{}, "", fmt.Errorf("%w: %w", ErrCodeRejected, err)
		}
		return Identity{}, "", fmt.Errorf("%w: token endpoint: %w", ErrProviderUnavailable, err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return Identity{}, "", fmt.Errorf("%w: the token response has no id_token", ErrInvalidIDToken)
	}
	idt, err := p.verify(ctx, d, raw)
	if err != nil {
		return Identity{}, "", err
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(l.Nonce)) != 1 {
		return Identity{}, "", ErrBadNonce
	}
	id, err := p.identity(idt)
	if err != nil {
		return Identity{}, "", err
	}
	return id, safeNext(l.Next), nil
}

// loginFrom opens the login cookie and checks its age.
func (p *Provider) loginFrom(r *http.Request) (login, error) {
	c, err := r.Cookie(loginCookie)
	if err != nil || c.Value == "" {
		return login{}, ErrMissingCookie
	}
	l, err := p.sealer.open(c.Value)
	if err != nil {
		return login{}, fmt.Errorf("%w: %w", ErrStateMismatch, err)
	}
	issued := time.Unix(l.IssuedAt, 0)
	// A cookie from the future means the clock went back; a minute of
	// that is tolerated, more is treated like an old cookie.
	if age := p.now().Sub(issued); age > loginTTL || age < -time.Minute {
		return login{}, fmt.Errorf("%w: started at %s", ErrLoginExpired, issued.UTC().Format(time.RFC3339))
	}
	return l, nil
}

// verify has go-oidc check the ID token and, when it refuses, says which
// check failed.
func (p *Provider) verify(ctx context.Context, d *discovered, raw string) (*oidc.IDToken, error) {
	idt, err := d.verifier.Verify(ctx, raw)
	if err == nil {
		return idt, nil
	}
	var expired *oidc.TokenExpiredError
	if errors.As(err, &expired) {
		return nil, fmt.Errorf("%w: %w", ErrTokenExpired, err)
	}
	// go-oidc's other errors have no types. The signature-only verifier
	// (same keys, same algorithms) tells a forged or malformed token from
	// a genuine one that fails a claim check; the claims then name it.
	t, serr := d.sigOnly.Verify(ctx, raw)
	switch {
	case serr != nil:
		return nil, fmt.Errorf("%w: %w", ErrBadSignature, err)
	case t.Issuer != p.cfg.Issuer:
		return nil, fmt.Errorf("%w: %w", ErrWrongIssuer, err)
	case !slices.Contains(t.Audience, p.cfg.ClientID):
		return nil, fmt.Errorf("%w: %w", ErrWrongAudience, err)
	}
	return nil, fmt.Errorf("%w: %w", ErrInvalidIDToken, err)
}

// identity applies the email rules to a verified token.
func (p *Provider) identity(idt *oidc.IDToken) (Identity, error) {
	var claims struct {
		Email         string          `json:"email"`
		EmailVerified json.RawMessage `json:"email_verified"`
		Name          string          `json:"name"`
	}
	if err := idt.Claims(&claims); err != nil {
		return Identity{}, fmt.Errorf("%w: claims: %w", ErrInvalidIDToken, err)
	}
	email := strings.ToLower(strings.TrimSpace(claims.Email))
	at := strings.LastIndexByte(email, '@')
	if at <= 0 || at == len(email)-1 {
		return Identity{}, fmt.Errorf("%w: email claim %s", ErrEmailMissing, quote(claims.Email))
	}
	// Some providers send the boolean as a string.
	switch v := string(claims.EmailVerified); v {
	case "true", `"true"`:
	default:
		if v == "" {
			v = "absent"
		}
		return Identity{}, fmt.Errorf("%w: %s has email_verified %s", ErrEmailUnverified, email, v)
	}
	if !emailDomainAllowed(email, p.domains) {
		return Identity{}, fmt.Errorf("%w: %s (allowed: %s)", ErrDomainNotAllowed, email, strings.Join(p.domains, ", "))
	}
	return Identity{Issuer: idt.Issuer, Subject: idt.Subject, Email: email, Name: claims.Name}, nil
}

// quote bounds and quotes text that came from the query string, so it can
// go into an error (and a log line) safely.
func quote(s string) string {
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return fmt.Sprintf("%q", s)
}
