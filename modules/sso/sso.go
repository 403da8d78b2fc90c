// Package sso signs people in with an OpenID Connect provider (Google,
// Microsoft Entra, Okta, Keycloak, Authentik, ...) using the authorization
// code flow with PKCE. It owns no tables: it turns a browser round trip
// through the provider into a verified Identity, and the caller decides what
// that identity may do (find or create the user, start a session).
//
// Data enters through two calls made by the caller's handlers:
//
//  1. Start, on the "sign in with SSO" link: it makes a random state, nonce
//     and PKCE verifier, keeps them in a short-lived login cookie and returns
//     the provider's authorization URL to redirect the browser to.
//  2. Finish, on the redirect URL the provider sends the browser back to: it
//     checks the state against the cookie, exchanges the code (with the PKCE
//     verifier) for tokens, verifies the ID token and returns the Identity and
//     the relative path to continue to.
//
// Nothing leaves the package but that Identity and typed errors: every refusal
// wraps one of the Err* sentinels below (apperr kinds, with a message safe to
// show the person signing in), so the caller can map it to a page with
// errors.Is and log the wrapped detail once.
//
// Decisions:
//   - Discovery is lazy. New does no network I/O, so the monitor starts while
//     the provider is down; the first Start (or Finish) fetches the discovery
//     document, and a failure is answered with ErrProviderUnavailable and
//     retried on the next sign-in. Discover lets the composition root warm it
//     up and log a failure at start without failing.
//   - The ID token is verified by go-oidc (signature against the provider's
//     JWKS, issuer, audience = client id, expiry with the injected clock).
//     When it refuses, a signature-only verification of the same token labels
//     the refusal (wrong issuer, wrong audience, bad signature); the decision
//     itself stays go-oidc's. The nonce is compared here, in constant time.
//   - The login cookie is AES-256-GCM sealed with a key derived from the
//     cookie key, so the PKCE verifier and nonce are neither readable nor
//     forgeable. It carries the state and its own issue time: it is refused
//     after 10 minutes (by the injected clock, not only the browser's
//     Max-Age). It is HttpOnly, SameSite=Lax (the provider's redirect is a
//     top-level GET, which Lax allows), scoped to the redirect URL's path, and
//     Secure when the request came over TLS or the redirect URL is https.
//     There is one login cookie, so a second sign-in started in another tab
//     supersedes the first. Finish clears it whatever the outcome.
//   - The email is required, lowercased, and email_verified must be true (the
//     JSON boolean or the string "true"). A missing email_verified claim is
//     refused like false: some multi-tenant providers send an email the user
//     can set freely, and trusting it would let anyone claim any address.
//   - AllowedDomains matches the part after the last "@" exactly and without
//     regard to case: "example.com" admits alice@Example.COM but not
//     bob@sub.example.com (list subdomains one by one) nor
//     eve@example.com.evil.org. An empty list admits every domain the
//     provider vouches for, which is only right for a provider that serves
//     one organisation.
//   - The optional "next" path survives the round trip only if it is a
//     relative path starting with a single "/" (no "//", no backslash, no
//     control characters), so the sign-in cannot become an open redirect.
package sso

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/betterstack/betterstack/modules/apperr"
)

// Config is the sso settings for one OpenID Connect provider.
type Config struct {
	// Issuer is the provider's issuer URL; the discovery document is read
	// from Issuer + "/.well-known/openid-configuration" and must name the
	// same issuer.
	Issuer string
	// ClientID and ClientSecret identify this installation to the provider.
	ClientID     string
	ClientSecret string
	// RedirectURL is this installation's callback URL, registered with the
	// provider; it is where Finish must be served.
	RedirectURL string
	// AllowedDomains lists the email domains that may sign in, matched
	// exactly and case-insensitively. Empty admits any domain.
	AllowedDomains []string
	// Scopes requested; empty means openid, email, profile. "openid" is
	// added when missing.
	Scopes []string
}

// Identity is the person the provider vouched for.
type Identity struct {
	Issuer  string // the ID token's iss
	Subject string // the ID token's sub: stable per issuer, unlike the email
	Email   string // lowercased and verified by the provider
	Name    string // the name claim, possibly empty
}

// Errors of this module. Each refusal wraps exactly one of them.
var (
	ErrProviderUnavailable = apperr.New(apperr.Unavailable, "the sign-in provider cannot be reached or answered wrongly; try again in a minute")
	ErrProviderDenied      = apperr.New(apperr.Forbidden, "the sign-in provider did not approve the sign-in")
	ErrMissingCookie       = apperr.New(apperr.Unauthorized, "this sign-in was not started in this browser, or cookies are blocked; start the sign-in again")
	ErrLoginExpired        = apperr.New(apperr.Unauthorized, "the sign-in took longer than 10 minutes; start it again")
	ErrStateMismatch       = apperr.New(apperr.Unauthorized, "the sign-in response does not match the sign-in this browser started; start the sign-in again")
	ErrMissingCode         = apperr.New(apperr.BadRequest, "the sign-in provider sent no authorization code")
	ErrCodeRejected        = apperr.New(apperr.Unauthorized, "the sign-in provider refused to exchange the authorization code; start the sign-in again")
	ErrInvalidIDToken      = apperr.New(apperr.Unauthorized, "the sign-in provider sent no valid ID token")
	ErrBadSignature        = apperr.New(apperr.Unauthorized, "the ID token's signature does not verify with the sign-in provider's keys")
	ErrWrongIssuer         = apperr.New(apperr.Unauthorized, "the ID token was issued by another provider than sso_issuer")
	ErrWrongAudience       = apperr.New(apperr.Unauthorized, "the ID token was issued for another client than sso_client_id")
	ErrTokenExpired        = apperr.New(apperr.Unauthorized, "the ID token has expired (is this server's clock right?)")
	ErrBadNonce            = apperr.New(apperr.Unauthorized, "the ID token does not belong to this sign-in (nonce mismatch)")
	ErrEmailMissing        = apperr.New(apperr.Forbidden, "the sign-in provider sent no email address (is the email scope granted?)")
	ErrEmailUnverified     = apperr.New(apperr.Forbidden, "the sign-in provider has not verified this email address")
	ErrDomainNotAllowed    = apperr.New(apperr.Forbidden, "this email address's domain may not sign in here")
)

// Validate checks the settings; each message names the setting to change.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if err := checkURL(c.Issuer); err != nil {
		bad("sso_issuer %v", err)
	} else if u, _ := url.Parse(c.Issuer); u.RawQuery != "" || u.Fragment != "" {
		bad("sso_issuer must have no query or fragment, not %q", c.Issuer)
	}
	if strings.TrimSpace(c.ClientID) == "" {
		bad("sso_client_id is required (the client id the provider gave this installation)")
	}
	if c.ClientSecret == "" {
		bad("sso_client_secret is required (this installation is a confidential client)")
	}
	if err := checkURL(c.RedirectURL); err != nil {
		bad("public_url %v", err)
	} else if u, _ := url.Parse(c.RedirectURL); u.Fragment != "" {
		bad("public_url must have no fragment, not %q", c.RedirectURL)
	}
	for _, d := range c.AllowedDomains {
		if !validDomain(strings.ToLower(d)) {
			bad("sso_allowed_domains: %q is not a domain name (list each domain exactly, e.g. example.com; subdomains are not included)", d)
		}
	}
	for _, s := range c.Scopes {
		if s == "" || strings.ContainsAny(s, " \t\r\n\"\\") {
			bad("sso_scopes: %q is not a scope", s)
		}
	}
	return errors.Join(errs...)
}

// checkURL accepts an absolute https URL, or http for a loopback host.
func checkURL(s string) error {
	const rule = "must be an https URL (http only for 127.0.0.1/localhost)"
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil {
		return fmt.Errorf("%s, not %q", rule, s)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if loopback(u.Hostname()) {
			return nil
		}
	}
	return fmt.Errorf("%s, not %q", rule, s)
}

func loopback(host string) bool {
	return host == "127.0.0.1" || host == "localhost" || host == "::1"
}

// validDomain accepts lowercase DNS names with at least two labels.
func validDomain(d string) bool {
	if len(d) > 253 || !strings.Contains(d, ".") {
		return false
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' {
				return false
			}
		}
	}
	return true
}

// emailDomainAllowed reports whether email (already lowercased) is in one
// of the allowed domains (already lowercased); an empty list allows all.
func emailDomainAllowed(email string, allowed []string) bool {
	if len(allowed) == 0 {
		return true
	}
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return false
	}
	domain := email[at+1:]
	for _, d := range allowed {
		if domain == d {
			return true
		}
	}
	return false
}

// safeNext returns next if it is a relative path that stays on this site,
// and "" otherwise. Browsers read "\" as "/" and drop tabs and newlines,
// so those are refused along with "//host" and absolute URLs.
func safeNext(next string) string {
	if len(next) > 1024 || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") {
		return ""
	}
	for _, r := range next {
		if r == '\\' || r < 0x20 || r == 0x7f {
			return ""
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return ""
	}
	return next
}
